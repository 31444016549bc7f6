// The build context: the directory `skiff build` reads COPY/ADD sources from, minus what
// .dockerignore excludes (Docker's pattern rules, via @balena/dockerignore, a port of Docker's Go
// matcher). Sources are resolved as Docker does: wildcards per path segment (Go's filepath.Match),
// never outside the context, a directory copies its contents, several sources need a directory dest.
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { SkiffError } from '../../errors.js';

export interface BuildContext {
  dir: string;
  /** True when the context-relative path (posix, no leading ./) is excluded by .dockerignore. */
  ignored(rel: string): boolean;
}

export interface CopyItem {
  /** Host path of a file, directory or symlink in the context. */
  source: string;
  /** Absolute path in the image. */
  target: string;
  /** Named by a COPY/ADD source itself (not found inside a copied directory): ADD unpacks these archives. */
  direct?: boolean;
}

// The package is CommonJS (module.exports = factory) with an `export default` typing.
type IgnoreFactory = () => { add(patterns: string): unknown; ignores(path: string): boolean };
const ignore: IgnoreFactory = ((dockerignore as unknown as { default?: IgnoreFactory }).default ?? dockerignore) as unknown as IgnoreFactory;

export function openContext(dir: string): BuildContext {
  if (!existsSync(dir) || !lstatSync(dir).isDirectory()) {
    throw new SkiffError('EBUILD', `build context ${dir} is not a directory`, 'give skiff build a directory (usually .)');
  }
  const root = realpathSync(dir);
  const file = join(root, '.dockerignore');
  const ig = ignore();
  if (existsSync(file)) ig.add(readFileSync(file, 'utf8'));
  return { dir: root, ignored: (rel) => rel !== '' && rel !== '.' && ig.ignores(rel) };
}

/** Go's filepath.Match for one path segment, as a RegExp. */
export function segmentPattern(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < seg.length) re += seg[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) throw new SkiffError('EBUILD', `bad pattern "${seg}": unterminated [`, 'close the character class with ]');
      let cls = seg.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/[\\\]]/g, '\\$&');
      else cls = cls.replace(/[\\\]^]/g, '\\$&');
      re += `[${cls}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const hasMagic = (s: string) => /[*?[]/.test(s);

/** Context-relative paths matching one COPY source (wildcards allowed); refuses paths leaving the context. */
export function matchSource(ctx: BuildContext, src: string): string[] {
  const clean = posix.normalize('/' + src.replace(/\\/g, '/')).slice(1).replace(/\/$/, '');
  const norm = posix.normalize(src.replace(/\\/g, '/'));
  const escaped = norm === '..' || norm.startsWith('../');
  if (escaped) throw new SkiffError('EBUILD', `forbidden path outside the build context: ${src}`, 'COPY can only read files inside the build context directory');
  if (clean === '') return [''];
  let found = [''];
  for (const seg of clean.split('/')) {
    const next: string[] = [];
    for (const base of found) {
      if (!hasMagic(seg)) {
        const rel = base ? `${base}/${seg}` : seg;
        if (existsSync(join(ctx.dir, rel)) || isDanglingLink(join(ctx.dir, rel))) next.push(rel);
        continue;
      }
      const dir = join(ctx.dir, base);
      if (!existsSync(dir) || !lstatSync(dir).isDirectory()) continue;
      const re = segmentPattern(seg);
      for (const name of readdirSync(dir).sort()) if (re.test(name)) next.push(base ? `${base}/${name}` : name);
    }
    found = next;
  }
  return found.filter((rel) => !ctx.ignored(rel));
}

function isDanglingLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Every file/dir/symlink under a context dir (excluding ignored ones), sorted. */
function walk(ctx: BuildContext, rel: string, target: string, out: CopyItem[]): void {
  for (const name of readdirSync(join(ctx.dir, rel)).sort()) {
    const childRel = rel ? `${rel}/${name}` : name;
    const childTarget = posix.join(target, name);
    const st = lstatSync(join(ctx.dir, childRel));
    // An ignored directory may still hold re-included files (`!dir/keep`): descend, add only what is kept.
    if (!ctx.ignored(childRel)) out.push({ source: join(ctx.dir, childRel), target: childTarget });
    if (st.isDirectory()) walk(ctx, childRel, childTarget, out);
  }
}

/** Resolve `COPY <sources…> <dest>` against the context. `workdir` makes a relative dest absolute. */
export function resolveCopySources(ctx: BuildContext, sources: string[], dest: string, workdir = '/'): CopyItem[] {
  const destAbs = posix.resolve(workdir, dest);
  const destIsDir = dest.endsWith('/') || dest === '.' || sources.length > 1 || sources.some(hasMagic);
  const items: CopyItem[] = [];
  let matchedAny = 0;
  for (const src of sources) {
    const matches = matchSource(ctx, src);
    if (matches.length === 0 && !hasMagic(src)) {
      throw new SkiffError('EBUILD', `COPY failed: file not found in build context or excluded by .dockerignore: ${src}`, 'check the path (relative to the build context) and .dockerignore');
    }
    matchedAny += matches.length;
    for (const rel of matches) {
      const host = join(ctx.dir, rel);
      const real = existsSync(host) ? realpathSync(host) : host;
      if (real !== ctx.dir && !real.startsWith(ctx.dir + sep)) {
        throw new SkiffError('EBUILD', `forbidden path outside the build context: ${src} (${relative(ctx.dir, real)})`, 'a symlink in the context points outside it; COPY cannot follow it');
      }
      const st = lstatSync(real);
      if (st.isDirectory()) {
        walk(ctx, relative(ctx.dir, real), destAbs, items);
      } else {
        items.push({ source: real, target: destIsDir ? posix.join(destAbs, posix.basename(rel)) : destAbs, direct: true });
      }
    }
  }
  if (matchedAny === 0) throw new SkiffError('EBUILD', `COPY failed: no source files were specified (${sources.join(' ')} matched nothing)`, 'check the wildcard and .dockerignore');
  return items;
}
