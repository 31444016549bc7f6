// Which tar entries a layer may contain. Decided in memory, before a single byte reaches the disk.
//
// The unpack target starts empty and nothing but this layer writes into it, so the set of paths
// this layer has created so far (and their types) is exactly what is on disk. That lets us refuse
// every escape by looking at names alone:
//   - names are relative, with no `..` and no NUL; `./` prefixes and `//` collapse;
//   - every parent of an entry is a directory made by this layer (or implied by it) — never a
//     symlink or a file made earlier in the same layer ("symlink-then-write" is refused, see below);
//   - a hardlink points at a non-directory this layer already made; a hardlink to a symlink becomes
//     a copy of that symlink (same meaning, no link(2) on a symlink that points out);
//   - a path never changes between directory and non-directory (that would delete a subtree).
// Symlink *targets* are kept verbatim (absolute ones too): nothing during unpack follows them.
//
// Why refuse, not resolve, a path through an in-layer symlink: Docker resolves it inside a chroot.
// A layer made from a filesystem walk (docker commit, buildkit, umoci, skopeo) can never contain
// one — the walker lists a symlink and does not descend — so only a crafted tar has such a name,
// and writing it somewhere other than where its name says is a surprise, not a feature. The
// usr-merge case (`bin -> usr/bin` in a LOWER layer, `bin/x` in this one) is a different thing:
// each layer is unpacked on its own (as containers-storage does), and `bin/x` lands in this layer's
// own `bin/` directory.

export type Kind = 'dir' | 'file' | 'symlink' | 'other';

export class PolicyError extends Error {}

const MAX_PATH = 4095;
const MAX_COMPONENT = 255;

/** 'a/./b//c/' → 'a/b/c'; '.' or './' → '' (the layer root). Throws on anything that could leave the root. */
export function normalizeName(raw: string, what = 'path'): string {
  if (raw.includes('\0')) throw new PolicyError(`${what} contains a NUL byte`);
  if (raw.startsWith('/')) throw new PolicyError(`absolute ${what} ${JSON.stringify(raw)}`);
  if (Buffer.byteLength(raw) > MAX_PATH) throw new PolicyError(`${what} longer than ${MAX_PATH} bytes`);
  const parts: string[] = [];
  for (const c of raw.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new PolicyError(`${what} ${JSON.stringify(raw)} contains '..'`);
    if (Buffer.byteLength(c) > MAX_COMPONENT) throw new PolicyError(`${what} has a component longer than ${MAX_COMPONENT} bytes`);
    parts.push(c);
  }
  return parts.join('/');
}

interface Node { kind: Kind; symlinkTarget?: string }

export class LayerTree {
  private readonly nodes = new Map<string, Node>([['', { kind: 'dir' }]]);

  /** Called for each parent directory a name implies but the layer has not listed (yet). */
  constructor(private readonly onImplied: (dir: string) => void = () => {}) {}

  /** Check that every parent of `path` is a directory of this layer; create implied ones. */
  private parents(path: string): void {
    let i = path.indexOf('/');
    while (i !== -1) {
      const p = path.slice(0, i);
      const n = this.nodes.get(p);
      if (!n) {
        this.nodes.set(p, { kind: 'dir' });
        this.onImplied(p);
      } else if (n.kind === 'symlink') throw new PolicyError(`${JSON.stringify(path)} goes through the symlink ${JSON.stringify(p)} made earlier in this layer`);
      else if (n.kind !== 'dir') throw new PolicyError(`${JSON.stringify(path)} goes through the non-directory ${JSON.stringify(p)}`);
      i = path.indexOf('/', i + 1);
    }
  }

  /** Record an entry at `path` (already normalized). */
  add(path: string, kind: Kind, symlinkTarget?: string): void {
    if (path === '' && kind !== 'dir') throw new PolicyError('the layer root must be a directory');
    this.parents(path);
    const prev = this.nodes.get(path);
    if (prev && (prev.kind === 'dir') !== (kind === 'dir')) {
      throw new PolicyError(`${JSON.stringify(path)} changes between directory and non-directory`);
    }
    if (prev && prev.kind === 'symlink' && kind !== 'symlink') {
      throw new PolicyError(`${JSON.stringify(path)} replaces a symlink with a ${kind}`);
    }
    this.nodes.set(path, symlinkTarget === undefined ? { kind } : { kind, symlinkTarget });
  }

  /** A hardlink's target: must already exist in this layer and not be a directory. */
  hardlinkTarget(target: string): Node {
    const n = this.nodes.get(target);
    if (!n) throw new PolicyError(`hardlink to ${JSON.stringify(target)}, which this layer does not contain (before it)`);
    if (n.kind === 'dir') throw new PolicyError(`hardlink to the directory ${JSON.stringify(target)}`);
    return n;
  }

  kindOf(path: string): Kind | undefined {
    return this.nodes.get(path)?.kind;
  }

  /** The parent directory for an opaque marker; it must be (or become) a directory of this layer. */
  markDir(path: string): void {
    if (path === '') return;
    const n = this.nodes.get(path);
    if (n && n.kind !== 'dir') throw new PolicyError(`opaque marker inside the non-directory ${JSON.stringify(path)}`);
    this.parents(path + '/x');
  }
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export type WhiteoutKind = { kind: 'whiteout'; target: string } | { kind: 'opaque'; dir: string } | { kind: 'meta' } | undefined;

/** Classify a normalized name as an OCI/AUFS whiteout. */
export function whiteoutOf(path: string): WhiteoutKind {
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  const dir = slash === -1 ? '' : path.slice(0, slash);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith('.wh..wh.')) return { kind: 'meta' }; // AUFS bookkeeping (.wh..wh.plnk …): Docker ignores it
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') throw new PolicyError(`invalid whiteout ${JSON.stringify(path)}`);
  return { kind: 'whiteout', target: dir === '' ? name : `${dir}/${name}` };
}
