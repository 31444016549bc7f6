// The version the service reports (/version, the Server header): the same build-time define the CLI's
// --version prints; the API may not import the CLI, so it reads the define itself.
declare const __SKIFF_VERSION__: string | undefined;

export const VERSION = typeof __SKIFF_VERSION__ === 'string' ? __SKIFF_VERSION__ : '0.0.0-dev';
