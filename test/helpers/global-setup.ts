// Runs once before the integration and e2e suites: builds nothing (scripts/test.mjs built
// everything), only checks that the built artefacts are present so failures say why.
import { existsSync } from 'node:fs';

export default function setup(): void {
  for (const f of ['dist/cli.js', 'native-bindings/build/skiff-runtime']) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
}
