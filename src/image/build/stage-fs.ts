// `COPY --from=<stage|image>`: reads files out of another image's filesystem without mounting it.
// The image's unpacked layer directories (lowest first, as the store keeps them: whiteouts are 0/0
// character devices, opaque directories carry overlay's `opaque` xattr — docs/unpack.md) are merged
// here the way overlayfs would show them. The source path is resolved inside that view, following
// symlinks but never above its root (Docker's FollowSymlinkInScope); what is found becomes COPY's
// layer entries, owned 0:0 or --chown, exactly like files from the build context.
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { SkiffError } from '../../errors.js';
import { getXattr, listXattrs } from '../../kernel/xattr-read.js';
import type { CopyOwnership } from './layer-from-files.js';
import type { LayerEntry } from './layer-writer.js';
import { segmentPattern } from './build-context.js';

interface Found { path: string; st: Stats }

function lst(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

function isOpaque(p: string): boolean {
  const attrs = listXattrs(p);
  return ['user.overlay.opaque', 'trusted.overlay.opaque'].some((k) => attrs.includes(k) && getXattr(p, k)?.toString('latin1') === 'y');
}

/** The merged view of layer directories, lowest first. Paths are relative, without leading slash. */
export class StageFs {
  constructor(private readonly dirs: string[]) {}

  /** Does layer i hide `rel` of the layers below it (a whiteout, a file or an opaque dir on its way)? */
  private hides(i: number, rel: string): boolean {
    const parts = rel.split('/');
    for (let n = 1; n < parts.length; n++) {
      const p = join(this.dirs[i]!, ...parts.slice(0, n));
      const st = lst(p);
      if (!st) return false; // deeper ancestors are absent too
      if (!st.isDirectory() || isOpaque(p)) return true;
    }
    return false;
  }

  /** The topmost entry for `rel` (no symlink resolution), or undefined when absent or deleted. */
  lookup(rel: string): Found | undefined {
    if (rel === '') return this.dirs.length ? { path: this.dirs.at(-1)!, st: lstatSync(this.dirs.at(-1)!) } : undefined;
    for (let i = this.dirs.length - 1; i >= 0; i--) {
      const path = join(this.dirs[i]!, rel);
      const st = lst(path);
      if (st) return isWhiteout(st) ? undefined : { path, st };
      if (this.hides(i, rel)) return undefined;
    }
    return undefined;
  }

  /** Names in a merged directory, sorted bytewise. */
  list(rel: string): string[] {
    const names = new Set<string>();
    for (let i = this.dirs.length - 1; i >= 0; i--) {
      const path = join(this.dirs[i]!, rel);
      const st = lst(path);
      if (st && !st.isDirectory()) break;
      if (st) {
        for (const n of readdirSync(path)) names.add(n);
        if (isOpaque(path)) break;
      } else if (rel !== '' && this.hides(i, rel)) break;
    }
    return [...names].filter((n) => this.lookup(rel ? `${rel}/${n}` : n) !== undefined).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  /** Resolves an absolute path, following symlinks (at most 40) without ever leaving the root. */
  resolve(abs: string): string | undefined {
    let todo = posix.normalize('/' + abs).split('/').filter(Boolean);
    const done: string[] = [];
    let links = 0;
    while (todo.length) {
      const part = todo.shift()!;
      if (part === '..') { done.pop(); continue; }
      const rel = [...done, part].join('/');
      const f = this.lookup(rel);
      if (!f) return undefined;
      if (f.st.isSymbolicLink()) {
        if (++links > 40) throw new SkiffError('EBUILD', `too many levels of symbolic links at /${rel}`, 'fix the symlink loop in the source image');
        const target = readlinkSync(f.path);
        if (target.startsWith('/')) done.length = 0;
        todo = [...target.split('/').filter(Boolean), ...todo];
        continue;
      }
      done.push(part);
    }
    return done.join('/');
  }
}

/** Every source `COPY --from` names, resolved in `fs`, as layer entries under `dest`. */
export function stageCopyEntries(fs: StageFs, sources: string[], dest: string, workdir: string, own: CopyOwnership, what: string): LayerEntry[] {
  const destAbs = posix.resolve(workdir, dest);
  const hasMagic = (s: string) => /[*?[]/.test(s);
  const destIsDir = dest.endsWith('/') || dest === '.' || sources.length > 1 || sources.some(hasMagic);
  const byName = new Map<string, LayerEntry>();
  const add = (rel: string, target: string) => {
    const f = fs.lookup(rel)!;
    const name = target.replace(/^\/+/, '');
    const common = { uid: own.uid, gid: own.gid, mtime: Math.floor(f.st.mtimeMs / 1000) };
    const mode = own.mode ?? f.st.mode & 0o7777;
    if (f.st.isDirectory()) {
      if (name) byName.set(name + '/', { ...common, name: name + '/', type: 'directory', mode, size: 0 });
      for (const child of fs.list(rel)) add(rel ? `${rel}/${child}` : child, posix.join(target, child));
    } else if (f.st.isSymbolicLink()) byName.set(name, { ...common, name, type: 'symlink', mode: 0o777, size: 0, linkname: readlinkSync(f.path) });
    else if (f.st.isFile()) byName.set(name, { ...common, name, type: 'file', mode, size: f.st.size, source: f.path });
    // device nodes, fifos and sockets are not copied between stages (as for the build context)
  };
  for (const src of sources) {
    const matches = hasMagic(src) ? globIn(fs, src) : [fs.resolve(src)].filter((r): r is string => r !== undefined);
    if (matches.length === 0) {
      throw new SkiffError('EBUILD', `COPY failed: stat ${posix.resolve('/', src)}: file does not exist in ${what}`, `check the path inside ${what}`);
    }
    for (const rel of matches) {
      const f = fs.lookup(rel)!;
      if (f.st.isDirectory()) add(rel, destAbs);
      else add(rel, destIsDir ? posix.join(destAbs, posix.basename(rel)) : destAbs);
    }
  }
  // The directories leading to the destination, as for context copies.
  const newest = Math.max(0, ...[...byName.values()].map((e) => e.mtime));
  for (const name of [...byName.keys()]) {
    let dir = posix.dirname(name.replace(/\/$/, ''));
    while (dir !== '.' && dir !== '/' && !byName.has(dir + '/')) {
      byName.set(dir + '/', { name: dir + '/', type: 'directory', mode: 0o755, uid: own.uid, gid: own.gid, mtime: newest, size: 0 });
      dir = posix.dirname(dir);
    }
  }
  return [...byName.values()].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}

/** Wildcards per path segment (Go's filepath.Match), matched in the merged view. */
function globIn(fs: StageFs, src: string): string[] {
  let found = [''];
  for (const seg of posix.normalize('/' + src).split('/').filter(Boolean)) {
    const next: string[] = [];
    for (const base of found) {
      const dir = fs.resolve('/' + base);
      if (dir === undefined || !fs.lookup(dir)?.st.isDirectory()) continue;
      const re = segmentPattern(seg);
      for (const n of fs.list(dir)) if (re.test(n)) next.push(dir ? `${dir}/${n}` : n);
    }
    found = next;
  }
  return found.map((r) => fs.resolve('/' + r)).filter((r): r is string => r !== undefined);
}
