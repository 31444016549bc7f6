// The layer rule of src/, as data: imports point down the table only, leaves are usable from anywhere
// and import only leaves, and no module imports itself back through a cycle. `npm test` checks it
// (test/unit/layer-rule.test.ts, static and dynamic `import()` alike); `npx depcruise src` shows the
// same verdict by hand. Adding a folder to src/ is one line in LAYERS (or LEAVES); a folder in
// neither is itself a violation, so nobody adds one without deciding where it sits.

/** Top to bottom. A folder may import folders of its own row (sideways) and of any row below it. */
export const LAYERS = [
  // Front doors: the CLI, the Engine API, the resident service, the warm start, the OCI runtime CLI.
  ['cli', 'api', 'service', 'warm', 'oci'],
  // One function per verb.
  ['engine'],
  // The engine's parts.
  ['image', 'layers', 'network', 'cgroups', 'rootless', 'volumes', 'doctor', 'build'],
  // What a container is on disk and how it is launched (security: seccomp/caps policy for the plan).
  ['spawn', 'state', 'security'],
  // Syscalls through ffi-rs, netlink, nftables.
  ['kernel'],
];

/** Usable from any layer; a leaf imports only leaves. Folders, or top-level files without `.ts`. */
export const LEAVES = ['format', 'types', 'errors', 'trace', 'log', 'native'];

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const any = (names) => `(${names.join('|')})`;

/** The dependency-cruiser configuration of the rule for the tree under `root` (src, or a test fixture). */
export function layerConfig(root = 'src') {
  const base = `^${esc(root)}/`;
  const folder = (names) => `${base}${any(names)}(/|\\.ts$)`;
  const known = [...LAYERS.flat(), ...LEAVES];
  const forbidden = [];
  LAYERS.forEach((row, i) => {
    const above = LAYERS.slice(0, i).flat();
    if (above.length === 0) return;
    forbidden.push({
      name: `upward-from-${row.join('-')}`,
      comment: `${row.join(', ')} must not import a layer above it (${above.join(', ')}): layers point down only`,
      severity: 'error',
      from: { path: folder(row) },
      to: { path: folder(above) },
    });
  });
  forbidden.push(
    {
      name: 'leaf-imports-layer',
      comment: `a leaf (${LEAVES.join(', ')}) is usable from anywhere, so it imports only other leaves`,
      severity: 'error',
      from: { path: folder(LEAVES) },
      to: { path: base, pathNot: folder(LEAVES) },
    },
    {
      name: 'not-in-layer-table',
      comment: 'every folder of src/ has a row in LAYERS or LEAVES of .dependency-cruiser.mjs',
      severity: 'error',
      from: {},
      to: { path: base, pathNot: folder(known) },
    },
    {
      name: 'no-circular',
      comment: 'a module that imports itself back through others: split it or move the shared part down',
      severity: 'error',
      from: { path: base },
      to: { circular: true },
    },
  );
  return {
    forbidden,
    options: {
      doNotFollow: { path: 'node_modules' },
      exclude: { path: '(^|/)node_modules/' },
      tsPreCompilationDeps: true,
      tsConfig: { fileName: 'tsconfig.json' },
      moduleSystems: ['es6'],
    },
  };
}

export default layerConfig('src');
