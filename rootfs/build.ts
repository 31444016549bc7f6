// `npm run lab:build`: builds the chapter's images (recipes.ts) into OCI image layouts under
// rootfs/build/lab/<registry>/<repository>/, offline except for Debian's apt mirrors.
//   --out DIR      where the layouts go (default rootfs/build/lab)
//   --layers DIR   layer cache (default rootfs/build/layers)
//   --debs DIR     .deb cache (default rootfs/build/debs)
//   --force        ignore the up-to-date stamp (layers still come from the cache)
//   --only REPO    build just this repository (repeatable), e.g. --only diamol/base
// A second run with unchanged inputs (recipes, builder code, apt lists, SOURCE_DATE_EPOCH) only
// compares a stamp and exits: apt-cache alone costs seconds on a machine without apt's pkgcache.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closure, describe, download, extract, loadGraph, upstreamVersion, type DebPackage } from './lib/apt.js';
import { cachedLayer, type Layer } from './lib/layer.js';
import { writeLayout, type WrittenImage } from './lib/oci-layout.js';
import { IMAGES, recipeFiles, type LayerRecipe } from './recipes.js';
import { readJsonIfExists, writeJsonAtomic } from '../src/state/atomic.js';
import { withLock } from '../src/state/lock.js';
import { SkiffError } from '../src/errors.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** 2024-01-01T00:00:00Z: the fixed instant of every mtime and `created` unless SOURCE_DATE_EPOCH says otherwise. */
const DEFAULT_EPOCH = 1704067200;

export interface BuildOptions {
  out?: string;
  layers?: string;
  debs?: string;
  force?: boolean;
  /** Build only these repositories (e.g. 'diamol/base'); the up-to-date stamp is then neither read nor written. */
  only?: string[];
  log?: (line: string) => void;
}

export interface BuildResult {
  upToDate: boolean;
  images: WrittenImage[];
}

interface Stamp { key: string; images: WrittenImage[] }

function epochFromEnv(): number {
  const raw = process.env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return DEFAULT_EPOCH;
  if (!/^\d+$/.test(raw)) throw new SkiffError('EUSAGE', `SOURCE_DATE_EPOCH must be whole seconds, got ${raw}`, 'unset it or give e.g. 1704067200');
  return Number(raw);
}

/** Hash of everything that can change an image: builder code, recipe files, apt's package lists. */
function inputsKey(epoch: number): { builder: string; apt: string; all: string } {
  const h = createHash('sha256');
  const code = [join(HERE, 'build.ts'), join(HERE, 'recipes.ts'), ...readdirSync(join(HERE, 'lib')).sort().map((f) => join(HERE, 'lib', f))];
  for (const f of [...code, ...recipeFiles()]) h.update(f.slice(HERE.length)).update(readFileSync(f));
  const builder = h.digest('hex');
  const lists = '/var/lib/apt/lists';
  const apt = existsSync(lists)
    ? readdirSync(lists).filter((f) => f.endsWith('Packages') || f.endsWith('Release')).sort()
      .map((f) => { const s = statSync(join(lists, f)); return `${f}:${s.size}:${s.mtimeMs}`; })
    : [];
  const all = createHash('sha256').update(JSON.stringify({ builder, apt, epoch })).digest('hex');
  return { builder, apt: createHash('sha256').update(JSON.stringify(apt)).digest('hex'), all };
}

interface Resolution { layers: Record<string, string[]>; packages: DebPackage[] }

/** Each layer's package closure and records, remembered per layer while apt's lists stay the same. */
function resolvePackages(layers: LayerRecipe[], debsDir: string, aptKey: string): Resolution {
  const wanted = [...new Set(layers)].map((l) => ({ name: l.name, ...l.debs! }));
  const fileOf = (l: (typeof wanted)[number]) =>
    join(debsDir, `resolved-${createHash('sha256').update(JSON.stringify({ l, aptKey })).digest('hex').slice(0, 24)}.json`);
  const result: Resolution = { layers: {}, packages: [] };
  const packages = new Map<string, DebPackage>();
  const missing = wanted.filter((l) => {
    const cached = readJsonIfExists<{ names: string[]; packages: DebPackage[] }>(fileOf(l));
    if (!cached) return true;
    result.layers[l.name] = cached.names;
    for (const p of cached.packages) packages.set(p.name, p);
    return false;
  });
  if (missing.length) {
    const graph = loadGraph(missing.flatMap((l) => l.roots));
    const names = missing.map((l) => closure(graph, l.roots, l.exclude));
    const records = new Map(describe([...new Set(names.flat())]).map((p) => [p.name, p]));
    mkdirSync(debsDir, { recursive: true });
    missing.forEach((l, i) => {
      result.layers[l.name] = names[i]!;
      const mine = names[i]!.map((n) => records.get(n)!);
      for (const p of mine) packages.set(p.name, p);
      writeJsonAtomic(fileOf(l), { names: names[i], packages: mine });
    });
  }
  result.packages = [...packages.values()];
  return result;
}

export async function buildLab(opts: BuildOptions = {}): Promise<BuildResult> {
  const out = resolve(opts.out ?? join(HERE, 'build', 'lab'));
  const layersDir = resolve(opts.layers ?? join(HERE, 'build', 'layers'));
  const debsDir = resolve(opts.debs ?? join(HERE, 'build', 'debs'));
  const log = opts.log ?? (() => {});
  const epoch = epochFromEnv();
  const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');

  // Checked before anything is created: a bad request leaves no directory and no lock file behind.
  const recipes = opts.only ? IMAGES.filter((i) => opts.only!.includes(i.repository)) : IMAGES;
  if (opts.only && recipes.length !== new Set(opts.only).size) {
    throw new SkiffError('EUSAGE', `unknown lab image in ${opts.only.join(', ')}`, `known: ${IMAGES.map((i) => i.repository).join(', ')}`);
  }

  // The lab mirror is read by every user's rootless skiff: its folder is made world-readable here,
  // before the lock (whose helper makes missing parents private, as a store's must be) could make it 0700.
  mkdirSync(dirname(out), { recursive: true, mode: 0o755 });
  if (opts.out === undefined) chmodSync(dirname(out), 0o755); // a tree an earlier build left private
  return withLock(`${out}.lock`, async () => {
    const key = inputsKey(epoch);
    const stampPath = join(out, '.build-stamp.json');
    const stamp = readJsonIfExists<Stamp>(stampPath);
    if (!opts.force && !opts.only && stamp?.key === key.all && stamp.images.every((i) => existsSync(join(i.dir, 'index.json')))) {
      return { upToDate: true, images: stamp.images };
    }

    // Resolve every layer's packages (two apt-cache calls in all), remembered while apt's lists stay the same.
    const debLayers = recipes.flatMap((i) => i.layers).filter((l) => l.debs);
    const resolved = resolvePackages(debLayers, debsDir, key.apt);
    const names = new Map<LayerRecipe, string[]>(debLayers.map((l) => [l, resolved.layers[l.name]!]));
    const described = new Map<string, DebPackage>(resolved.packages.map((p) => [p.name, p]));
    download([...described.values()], debsDir);
    const versionOf = (pkg: string): string => {
      const p = described.get(pkg);
      if (!p) throw new SkiffError('EINTERNAL', `recipe asks for the version of ${pkg}, which no layer installs`);
      return upstreamVersion(p.version);
    };

    const built = new Map<LayerRecipe, Layer>();
    const layerOf = async (recipe: LayerRecipe): Promise<Layer> => {
      const have = built.get(recipe);
      if (have) return have;
      const pkgs = (names.get(recipe) ?? []).map((n) => described.get(n)!);
      const layerKey = JSON.stringify({ name: recipe.name, createdBy: recipe.createdBy, builder: key.builder, debs: pkgs.map((p) => p.sha256) });
      const layer = await cachedLayer(layersDir, layerKey, recipe.createdBy, epoch, async (stage) => {
        log(`building layer ${recipe.name}${pkgs.length ? ` (${pkgs.length} Debian packages)` : ''}`);
        await extract(pkgs, debsDir, stage);
        recipe.populate?.(stage);
      });
      built.set(recipe, layer);
      return layer;
    };

    const images: WrittenImage[] = [];
    for (const image of recipes) {
      const layers: Layer[] = [];
      for (const l of image.layers) layers.push(await layerOf(l));
      const written = writeLayout(join(out, image.registry, image.repository), {
        tags: image.tags(versionOf),
        layers,
        config: image.config(versionOf),
        created,
      });
      images.push(written);
    }
    if (!opts.only) {
      writeJsonAtomic(stampPath, { key: key.all, images } satisfies Stamp);
      // Layers of earlier recipes or builder versions are never used again: keep the cache to this build's.
      const live = new Set([...built.values()].map((l) => dirname(l.path)));
      for (const e of readdirSync(layersDir)) if (/^[0-9a-f]{32}$/.test(e) && !live.has(join(layersDir, e))) rmSync(join(layersDir, e), { recursive: true, force: true });
    }
    return { upToDate: false, images };
  }, 10 * 60_000);
}

function parseArgs(argv: string[]): BuildOptions {
  const opts: BuildOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (!v) throw new SkiffError('EUSAGE', `${a} needs a directory`, 'e.g. --out /tmp/lab');
      return v;
    };
    if (a === '--out') opts.out = value();
    else if (a === '--layers') opts.layers = value();
    else if (a === '--debs') opts.debs = value();
    else if (a === '--force') opts.force = true;
    else if (a === '--only') opts.only = [...(opts.only ?? []), value()];
    else throw new SkiffError('EUSAGE', `unknown option ${a}`, 'options: --out DIR --layers DIR --debs DIR --force --only REPOSITORY');
  }
  return opts;
}

async function main(): Promise<void> {
  const started = Date.now();
  try {
    const opts = parseArgs(process.argv.slice(2));
    const r = await buildLab({ ...opts, log: (l) => console.log(l) });
    const out = resolve(opts.out ?? join(HERE, 'build', 'lab'));
    for (const i of r.images) {
      const mb = (i.layersSize / 1e6).toFixed(1);
      console.log(`${relative(out, i.dir)}:${i.tags.join(',')}  ${i.manifestDigest}  ${mb} MB compressed`);
    }
    console.log(`${r.upToDate ? 'up to date' : 'built'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    if (e instanceof SkiffError) {
      console.error(`lab:build: ${e.message}.${e.hint ? ` ${e.hint}` : ''}`);
      process.exit(1);
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
