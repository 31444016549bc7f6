// `skiff --version`, shaped like Docker's "Docker version 28.2.2, build e6534b4".
declare const __SKIFF_VERSION__: string | undefined;
declare const __SKIFF_COMMIT__: string | undefined;

const version = typeof __SKIFF_VERSION__ === 'string' ? __SKIFF_VERSION__ : '0.0.0-dev';
const commit = typeof __SKIFF_COMMIT__ === 'string' ? __SKIFF_COMMIT__ : 'unknown';

export const VERSION_LINE = `skiff version ${version}, build ${commit}`;
