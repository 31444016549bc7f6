// COPY and ADD from the build context → the layer entries of one step.
import { mkdtemp, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { SkiffError } from '../../errors.js';
import type { Instruction } from './instructions.js';
import { resolveCopySources, type BuildContext } from './build-context.js';
import { copyEntries } from './layer-from-files.js';
import { archiveEntries, isLocalArchive } from './add-archive.js';
import { resolveChown } from './chown-spec.js';
import { processWord, type Env } from './shell-words.js';
import type { LayerEntry } from './layer-writer.js';

type CopyInstruction = Extract<Instruction, { kind: 'COPY' | 'ADD' }>;

function fail(ins: CopyInstruction, message: string, hint: string): SkiffError {
  return new SkiffError('EBUILD', `Dockerfile:${ins.line}: ${message}`, hint);
}

export interface CopyStep {
  entries: LayerEntry[];
  /** Removes the scratch files ADD spooled archive members into. */
  cleanup(): Promise<void>;
}

export async function copyStepEntries(ins: CopyInstruction, ctx: BuildContext, env: Env, workdir: string, layerPaths: string[], scratchRoot: string): Promise<CopyStep> {
  const expand = (s: string) => processWord(s, env);
  const sources = ins.sources.map(expand);
  const dest = expand(ins.dest);
  const url = sources.find((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^git@/.test(s));
  if (url) {
    throw fail(ins, `${ins.kind} ${url}: skiff build works offline and does not download`, 'download the file into the build context and COPY it');
  }
  const own = ins.chown ? await resolveChown(expand(ins.chown), layerPaths) : { uid: 0, gid: 0 };
  let mode: number | undefined;
  if (ins.chmod) {
    if (!/^[0-7]{3,4}$/.test(ins.chmod)) throw fail(ins, `invalid --chmod=${ins.chmod}`, 'use octal permissions, e.g. --chmod=755');
    mode = parseInt(ins.chmod, 8);
  }
  let items;
  try {
    items = resolveCopySources(ctx, sources, dest, workdir);
  } catch (e) {
    if (e instanceof SkiffError) throw fail(ins, e.message, e.hint ?? '');
    throw e;
  }
  const ownership = { ...own, ...(mode !== undefined ? { mode } : {}) };
  if (ins.kind === 'COPY') return { entries: await copyEntries(items, ownership), cleanup: async () => {} };

  // ADD: local tar archives are unpacked at dest; everything else is copied like COPY.
  const scratch = await mkdtemp(join(scratchRoot, 'add-'));
  try {
    const plain = items.filter((i) => !(i.direct && isLocalArchive(i.source)));
    const entries = await copyEntries(plain, ownership);
    const destDir = posix.resolve(workdir, dest);
    for (const i of items.filter((x) => !plain.includes(x))) {
      const members = await archiveEntries(i.source, destDir, scratch);
      entries.push(...members.map((m) => (ins.chown ? { ...m, uid: own.uid, gid: own.gid } : m)));
    }
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const e of [...byName.values()]) {
      let dir = posix.dirname(e.name.replace(/\/$/, ''));
      while (dir !== '.' && !byName.has(dir + '/')) {
        byName.set(dir + '/', { name: dir + '/', type: 'directory', mode: 0o755, uid: own.uid, gid: own.gid, mtime: e.mtime, size: 0 });
        dir = posix.dirname(dir);
      }
    }
    const sorted = [...byName.values()].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    return { entries: sorted, cleanup: () => rm(scratch, { recursive: true, force: true }) };
  } catch (e) {
    await rm(scratch, { recursive: true, force: true });
    throw e;
  }
}

