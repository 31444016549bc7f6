// `skiff commit` / POST /commit and `skiff import`: a new image written as an OCI layout and taken into
// the store through the same verified path as a pull or a build.
//   commit: the container's image layers + one layer made from its overlay upper dir (whiteouts become
//           OCI `.wh.` files, opaque dirs `.wh..wh..opq`: layer-from-dir.ts), minus the mount points
//           skiff makes (Docker's init layer); config = the container's Config, then `--change` lines.
//   import: one layer from a tar (plain or gzip), config from `--change` lines.
import { recordContainerEvent } from '../state/events.js';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { SkiffError } from '../errors.js';
import { storePaths } from '../state/paths.js';
import { readConfig } from '../state/containers.js';
import { parseDockerfile } from '../image/build/dockerfile-parser.js';
import { StageState } from '../image/build/config-from-steps.js';
import { scratchConfig, type ImageConfig } from '../image/build/oci-config.js';
import { upperDirEntries } from '../image/build/layer-from-dir.js';
import { writeLayer, type LayerBlob, type LayerEntry } from '../image/build/layer-writer.js';
import { blobPath as layoutBlobPath, commitLayer, prepareLayout, writeImage } from '../image/build/oci-layout-writer.js';
import { familiarString, parseReference } from '../image/reference.js';

const CHANGE_COMMANDS = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);

/** Dockerfile instructions given with -c/--change applied to a config (Docker's allowed set). */
export function applyChanges(config: ImageConfig, changes: string[]): ImageConfig {
  if (!changes.length) return config;
  const df = parseDockerfile(`FROM scratch\n${changes.join('\n')}\n`);
  // moby names the instruction in lower case: "from is not a valid change command".
  if (df.stages.length > 1) throw new SkiffError('EUSAGE', 'from is not a valid change command', `use one of ${[...CHANGE_COMMANDS].join(', ')}`, { exitCode: 1 });
  const st = new StageState(config, new Map(), new Map());
  for (const ins of df.stages[0]?.steps ?? []) {
    if (!CHANGE_COMMANDS.has(ins.kind)) throw new SkiffError('EUSAGE', `${ins.kind.toLowerCase()} is not a valid change command`, `use one of ${[...CHANGE_COMMANDS].join(', ')}`, { exitCode: 1 });
    st.apply(ins);
  }
  // The changes are part of this one commit, not steps of their own.
  return { ...st.config, history: config.history ?? [] };
}

/** Mount points and files skiff provides to every container: not the container's changes. */
const ENGINE_NAMES = /^(dev|proc|sys)(\/|$)|^etc\/(hosts|hostname|resolv\.conf|mtab)$|^\.dockerenv$/;

async function* withoutEnginePaths(entries: AsyncIterable<LayerEntry>): AsyncGenerator<LayerEntry> {
  for await (const e of entries) {
    const name = e.name.replace(/\/$/, '');
    const plain = name.replace(/(^|\/)\.wh\.([^/]*)$/, '$1$2');
    // An engine-made stub is left out; a whiteout of such a path (the container deleted it) too.
    if (ENGINE_NAMES.test(name) || ENGINE_NAMES.test(plain)) {
      if (e.type === 'directory' && !/^(dev|proc|sys)$/.test(name)) yield e;
      continue;
    }
    yield e;
  }
}

async function importLayout(layoutDir: string, reference: string | undefined): Promise<string> {
  const { OciLayoutSource } = await import('../image/oci-layout.js');
  const { pullFromSource } = await import('../image/pull.js');
  const { defaultPlatform } = await import('../image/manifest.js');
  const quiet = { line() {}, layer() {}, done() {} };
  const imported = await pullFromSource(undefined, new OciLayoutSource(layoutDir, 'a commit'), defaultPlatform(), quiet, 'latest');
  if (reference) {
    const { parseReference } = await import('../image/reference.js');
    const { assignTag } = await import('../image/store.js');
    const t = parseReference(reference);
    assignTag(imported.record.id, `${t.domain}/${t.path}:${t.tag ?? 'latest'}`);
  }
  return imported.record.id;
}

async function withLayout<R>(fn: (dir: string, staging: string) => Promise<R>): Promise<R> {
  const paths = storePaths();
  mkdirSync(paths.tmp, { recursive: true });
  const dir = mkdtempSync(join(paths.tmp, 'commit-'));
  try {
    return await fn(dir, await prepareLayout(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface CommitOptions {
  reference?: string;
  comment?: string;
  author?: string;
  changes?: string[];
  /** Config fields a POST /commit body sets (moby's container config). */
  config?: Record<string, unknown>;
}

function checkReference(reference: string | undefined): Promise<void> | void {
  if (!reference) return;
  return import('../image/reference.js').then(({ parseReference }) => void parseReference(reference));
}

export async function commitContainer(id: string, o: CommitOptions): Promise<string> {
  await checkReference(o.reference);
  const c = readConfig(id);
  const { requireImage } = await import('../image/store.js');
  const { blobPath } = await import('../image/blobs.js');
  let rec;
  try {
    rec = requireImage(c.Image);
  } catch {
    throw new SkiffError('ENOIMAGE', `the image of container ${c.Name} (${c.Image.slice(7, 19)}) is no longer in the store`, 'pull or load it again, then commit', { exitCode: 1 });
  }
  const base = JSON.parse(readFileSync(blobPath(rec.config.digest), 'utf8')) as ImageConfig;
  const now = new Date().toISOString();
  const fromContainer: ImageConfig['config'] = {
    ...base.config,
    ...(c.Config.User ? { User: c.Config.User } : {}),
    Env: c.Config.Env,
    Cmd: c.Config.Cmd,
    Entrypoint: c.Config.Entrypoint,
    WorkingDir: c.Config.WorkingDir,
    ...(Object.keys(c.Config.Labels ?? {}).length ? { Labels: c.Config.Labels } : {}),
    ...(Object.keys(c.Config.ExposedPorts ?? {}).length ? { ExposedPorts: c.Config.ExposedPorts as Record<string, Record<string, never>> } : {}),
  };
  for (const k of ['Cmd', 'Entrypoint', 'Env', 'User', 'WorkingDir', 'Labels', 'ExposedPorts', 'Volumes', 'StopSignal'] as const) {
    if (o.config && o.config[k] !== undefined && o.config[k] !== null) (fromContainer as Record<string, unknown>)[k] = o.config[k];
  }
  return withLayout(async (dir, staging) => {
    const layers: LayerBlob[] = [];
    for (const l of rec.layers) {
      const dest = layoutBlobPath(dir, l.digest);
      const { link, copyFile } = await import('node:fs/promises');
      await link(blobPath(l.digest), dest).catch(() => copyFile(blobPath(l.digest), dest));
      layers.push({ digest: l.digest, diffId: l.diffId, size: l.size, mediaType: l.mediaType as LayerBlob['mediaType'] });
    }
    const file = join(staging, 'layer');
    const blob = await writeLayer(withoutEnginePaths(upperDirEntries(c.Rootfs.upperDir)), file);
    await commitLayer(dir, file, blob);
    layers.push(blob);
    const cmd = [...(c.Config.Entrypoint ?? []), ...(c.Config.Cmd ?? [])].join(' ');
    let config: ImageConfig = {
      ...base,
      created: now,
      ...(o.author ? { author: o.author } : {}),
      ...(o.comment ? { comment: o.comment } : {}),
      config: fromContainer,
      rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, blob.diffId] },
      history: [...(base.history ?? []), { created: now, created_by: cmd, ...(o.author ? { author: o.author } : {}), ...(o.comment ? { comment: o.comment } : {}) }],
    };
    config = applyChanges(config, o.changes ?? []);
    await writeImage(dir, config, layers, 'latest');
    const imageId = await importLayout(dir, o.reference);
    // moby's container `commit` event, after the image (and its tag) exist.
    // imageRef in the familiar form moby records ("img:c1"), whichever form the caller sent (the docker CLI sends "docker.io/library/img").
    recordContainerEvent(c, 'commit', { comment: o.comment ?? '', imageID: imageId, imageRef: o.reference ? familiarString(parseReference(o.reference)) : '' });
    return imageId;
  });
}

/** Hashes what flows through (the uncompressed tar: the diffId). */
function measure(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); cb(null, chunk); } });
}

export interface ImportOptions { reference?: string; message?: string; changes?: string[]; source: string }

/** A tar (plain or gzip, from a file or stdin) as a one-layer image; returns its id. */
export async function importTarball(input: Readable, o: ImportOptions): Promise<string> {
  await checkReference(o.reference);
  return withLayout(async (dir, staging) => {
    const file = join(staging, 'layer');
    // Sniff gzip from the first bytes: Docker's import takes compressed and plain tars alike.
    const peek = new PassThrough();
    const first = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let n = 0;
      const onData = (d: Buffer) => {
        chunks.push(d);
        n += d.length;
        if (n >= 2) done();
      };
      const done = () => { input.off('data', onData); input.off('end', done); input.pause(); resolve(Buffer.concat(chunks)); };
      input.on('data', onData);
      input.once('end', done);
      input.once('error', reject);
    });
    const gz = first[0] === 0x1f && first[1] === 0x8b;
    if (first.length === 0) throw new SkiffError('EUSAGE', 'the archive is empty', 'give a tar file, or a tar on stdin with -', { exitCode: 1 });
    peek.write(first);
    input.pipe(peek);
    const tarHash = createHash('sha256');
    const gzHash = createHash('sha256');
    let size = 0;
    const countGz = new Transform({ transform(chunk: Buffer, _e, cb) { gzHash.update(chunk); size += chunk.length; cb(null, chunk); } });
    if (gz) await pipeline(peek, createGunzip(), measure(tarHash), createGzip(), countGz, createWriteStream(file));
    else await pipeline(peek, measure(tarHash), createGzip(), countGz, createWriteStream(file));
    const blob: LayerBlob = { digest: `sha256:${gzHash.digest('hex')}`, diffId: `sha256:${tarHash.digest('hex')}`, size, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
    await commitLayer(dir, file, blob);
    const now = new Date().toISOString();
    const base = scratchConfig();
    let config: ImageConfig = { ...base, created: now, ...(o.message ? { comment: o.message } : {}), rootfs: { type: 'layers', diff_ids: [blob.diffId] }, history: [{ created: now, comment: o.message || `Imported from ${o.source}` }] };
    config = applyChanges(config, o.changes ?? []);
    await writeImage(dir, config, [blob], 'latest');
    return importLayout(dir, o.reference);
  });
}

export function importSource(arg: string): Readable {
  if (arg === '-') return process.stdin;
  if (/^https?:\/\//.test(arg)) throw new SkiffError('EUSAGE', `importing from a URL is not supported: ${arg}`, 'download it first, then `skiff import FILE`', { exitCode: 1 });
  try {
    statSync(arg);
  } catch {
    throw new SkiffError('EUSAGE', `open ${arg}: no such file or directory`, undefined, { exitCode: 1 });
  }
  return createReadStream(arg);
}
