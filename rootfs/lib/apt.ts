// Debian packages as layer inputs, fetched only from the machine's own apt mirrors: resolve a
// package's run-time closure, download the exact candidate .debs into a cache (verified by the
// SHA256 apt itself trusts), and unpack them with dpkg-deb (no maintainer scripts are ever run).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { SkiffError } from '../../src/errors.js';
import { run, runAll } from './run.js';

export interface DebPackage {
  name: string;
  version: string;
  sha256: string;
  /** Base name of the archive's Filename field: the name the cache stores it under. */
  file: string;
}

/** Packages a container never needs at run time: package managers, init glue, perl for maintainer scripts. */
export const NEVER_IN_IMAGES = [
  'perl', 'perl-base', 'perl-modules-5.36', 'libperl5.36', 'dpkg', 'debconf', 'cdebconf', 'debconf-2.0',
  'iproute2', 'tar', 'install-info', 'lsb-base', 'init-system-helpers', 'sysvinit-utils', 'adduser',
  'passwd', 'ucf', 'procps', 'readline-common', 'apache2-data', 'apache2-utils', 'ssl-cert', 'libc-bin',
];

const APT_HINT = 'check that Debian mirrors are reachable and run `apt-get update`';



/** Parses `apt-cache depends --recurse` output: package → groups of alternatives (virtuals expanded). */
export function parseDepends(text: string): Map<string, Block> {
  const blocks = new Map<string, Block>();
  let current: Block | undefined;
  let openGroup: string[] | undefined; // a `|Depends:` line continues into the next line's group
  let lastAlt: string[] | undefined; // the group the indented provider lines add to
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (!line.startsWith(' ')) {
      const name = line.trim();
      current = { groups: [], real: !name.startsWith('<') };
      blocks.set(name.replace(/^<|>$/g, ''), current);
      openGroup = undefined;
      continue;
    }
    if (!current) continue;
    const dep = /^ ([ |])(?:Pre)?Depends: (.+)$/.exec(line);
    if (dep) {
      const target = dep[2]!.trim();
      const group = openGroup ?? [];
      if (!openGroup) current.groups.push(group);
      group.push(target.startsWith('<') ? '' : target); // a virtual contributes only its providers
      openGroup = dep[1] === '|' ? group : undefined;
      lastAlt = group;
      continue;
    }
    if (/^ {4}\S/.test(line) && lastAlt) lastAlt.push(line.trim()); // provider of the virtual above
  }
  for (const b of blocks.values()) for (const g of b.groups) for (let i = g.length - 1; i >= 0; i--) if (!g[i]) g.splice(i, 1);
  return blocks;
}

/** Dependency graph of every package reachable from `roots` (one apt-cache call: each costs ~1-2 s here). */
export interface AptGraph { blocks: Map<string, Block> }
export interface Block { groups: string[][]; real: boolean }

export function loadGraph(roots: string[]): AptGraph {
  const text = run('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts',
    '--no-breaks', '--no-replaces', '--no-enhances', ...new Set(roots)], { hint: APT_HINT });
  return { blocks: parseDepends(text) };
}

/**
 * The run-time closure of `roots`: Depends and Pre-Depends, first satisfiable alternative, never
 * Recommends; any package in `exclude` (or NEVER_IN_IMAGES) is dropped together with what only it needed.
 */
export function closure(graph: AptGraph, roots: string[], exclude: string[] = []): string[] {
  const { blocks } = graph;
  const skip = new Set([...NEVER_IN_IMAGES, ...exclude]);
  for (const r of roots) if (!blocks.get(r)?.real) throw new SkiffError('EBUILD', `Debian package ${r} is unknown to apt`, APT_HINT);
  const chosen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const name = queue.shift()!;
    if (chosen.has(name)) continue;
    chosen.add(name);
    for (const group of blocks.get(name)?.groups ?? []) {
      const names = group.map((n) => n.replace(/:any$/, ''));
      if (names.some((n) => chosen.has(n))) continue;
      const pick = names.find((n) => !skip.has(n) && blocks.get(n)?.real);
      if (pick) queue.push(pick);
    }
  }
  return [...chosen].sort();
}

/** The candidate version, archive file name and SHA256 of each package, as apt's lists record them. */
export function describe(names: string[]): DebPackage[] {
  const text = run('apt-cache', ['show', '--no-all-versions', ...new Set(names)], { hint: APT_HINT });
  const out: DebPackage[] = [];
  for (const para of text.split(/\n\n+/)) {
    const field = (f: string) => new RegExp(`^${f}: (.+)$`, 'm').exec(para)?.[1]?.trim();
    const name = field('Package');
    if (!name) continue;
    const version = field('Version');
    const filename = field('Filename');
    const sha256 = field('SHA256');
    if (!version || !filename || !sha256) throw new SkiffError('EBUILD', `apt has no archive record for ${name}`, APT_HINT);
    out.push({ name, version, sha256, file: basename(filename) });
  }
  const missing = names.filter((n) => !out.some((p) => p.name === n));
  if (missing.length) throw new SkiffError('EBUILD', `apt knows no candidate for ${missing.join(', ')}`, APT_HINT);
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Makes sure every package is in `cacheDir` with the SHA256 apt expects; downloads what is missing. */
export function download(pkgs: DebPackage[], cacheDir: string): void {
  mkdirSync(cacheDir, { recursive: true });
  const missing = pkgs.filter((p) => !(existsSync(join(cacheDir, p.file)) && sha256File(join(cacheDir, p.file)) === p.sha256));
  if (!missing.length) return;
  const tmp = mkdtempSync(join(cacheDir, '.download-'));
  try {
    run('apt-get', ['download', '-q', ...missing.map((p) => `${p.name}=${p.version}`)], { cwd: tmp, hint: APT_HINT });
    const got = readdirSync(tmp);
    for (const p of missing) {
      const f = got.find((g) => g.startsWith(`${p.name}_`) && g.endsWith('.deb'));
      if (!f) throw new SkiffError('EBUILD', `apt-get download did not produce ${p.name}`, APT_HINT);
      if (sha256File(join(tmp, f)) !== p.sha256) {
        throw new SkiffError('EDIGEST', `${f} does not match the SHA256 in apt's lists`, 'run `apt-get update` and build again');
      }
      renameSync(join(tmp, f), join(cacheDir, p.file));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Documentation a container never reads, dropped the way slim images do (dpkg path-exclude). */
const PRUNE = ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/lintian', 'usr/share/locale', 'usr/share/bug'];

/**
 * Unpacks the packages' data (not their scripts) into `dir`, then drops documentation. Several
 * dpkg-deb at once: a closure's packages never share a file, and xz decompression is the cost.
 */
export async function extract(pkgs: DebPackage[], cacheDir: string, dir: string): Promise<void> {
  await runAll(pkgs.map((p) => ({ cmd: 'dpkg-deb', args: ['-x', join(cacheDir, p.file), dir] })), Math.max(2, availableParallelism()));
  for (const d of PRUNE) rmSync(join(dir, d), { recursive: true, force: true });
}

/** Upstream part of a Debian version: `1:1.22.1-9+deb12u11` → `1.22.1`. */
export function upstreamVersion(version: string): string {
  return version.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
}
