// Runs once before the integration and e2e suites: checks that the built artefacts are present so
// failures say why, and brings the lab images (rootfs/build/lab) up to date — a stamp comparison
// when nothing changed; scripts/test.mjs already built them before the suite lost its network.
import { existsSync } from 'node:fs';

export default async function setup(): Promise<void> {
  for (const f of ['dist/cli.js', 'dist/warm-worker.js', 'native-bindings/build/skiff-runtime', 'native-bindings/build/skiff', 'native-bindings/build/skiff-warm']) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  try {
    const { buildLab } = await import('../../rootfs/build.js');
    await buildLab({ log: (l) => console.log(`lab:build: ${l}`) });
  } catch (e) {
    // Not fatal here: the tests that need the images say so (skipped locally, failed in CI).
    console.warn(`lab images could not be built (${(e as Error).message}); run \`npm run lab:build\``);
  }
}
