// `skiff build`: the Dockerfile builder (src/image/build/) with the two things only the engine has —
// base images from the store, and RUN steps executed as real containers (no network, no record in
// `ps`, like BuildKit's) whose overlay upper dir becomes the step's layer. The result is imported into
// the store through the same verified path as a pull, and tagged.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { storePaths } from '../state/paths.js';
import { build, type BaseImage, type RunStepSpec } from '../image/build/builder.js';
import { buildContainerPlan } from '../spawn/container-plan.js';
import { launch } from '../spawn/launch.js';
import { containerIdMaps, gidMapped, setgroupsAllowed } from './id-maps.js';
import { resolveUser } from './user-lookup.js';
import { pathOf } from './process-spec.js';

export interface BuildFlags { tag?: string[]; file?: string; buildArg?: string[]; target?: string; quiet?: boolean }

async function resolveBase(ref: string): Promise<BaseImage> {
  const { ensureImage } = await import('../image/ensure.js');
  const { requireImage } = await import('../image/store.js');
  const { blobPath } = await import('../image/blobs.js');
  const img = await ensureImage(ref, { pull: 'missing', out: (l) => process.stderr.write(l + '\n') });
  const rec = requireImage(img.id);
  return {
    config: img.config as unknown as BaseImage['config'],
    layers: rec.layers.map((l) => ({ blob: { digest: l.digest, diffId: l.diffId, size: l.size, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' as const }, path: blobPath(l.digest) })),
  };
}

async function runStep(spec: RunStepSpec): Promise<{ upperDir: string; cleanup: () => Promise<void> }> {
  const { ensureLayers } = await import('../layers/layer-store.js');
  const { dirs } = await ensureLayers(spec.layers.map((l) => ({ digest: l.blob.digest, mediaType: l.blob.mediaType, blobPath: l.path, diffId: l.blob.diffId })));
  const paths = storePaths();
  mkdirSync(paths.tmp, { recursive: true });
  const dir = mkdtempSync(join(paths.tmp, 'build-'));
  const cleanup = async () => rmSync(dir, { recursive: true, force: true });
  try {
    const upperDir = join(dir, 'upper'), workDir = join(dir, 'work'), mountPoint = join(dir, 'rootfs');
    mkdirSync(upperDir, { mode: 0o755 });
    for (const d of [workDir, mountPoint]) mkdirSync(d, { mode: 0o700 });
    const maps = containerIdMaps();
    const user = resolveUser(spec.user, dirs);
    const id = randomBytes(32).toString('hex');
    const path = pathOf(spec.env);
    // A RUN step is confined as a default container is (Docker's build does the same).
    const { containerConfinement } = await import('./confinement.js');
    const confine = containerConfinement({ PidsLimit: 0 } as Parameters<typeof containerConfinement>[0], false);
    const plan = buildContainerPlan({
      id, hostname: id.slice(0, 12),
      rootfs: { layersDir: paths.layers, lowerDirs: dirs, upperDir, workDir, mountPoint, volatile: true },
      process: { args: spec.argv, env: spec.env, cwd: spec.workdir || '/', uid: user.uid, gid: user.gid, groups: setgroupsAllowed() ? user.groups : null, tty: false, path },
      idMap: { uid: maps.uid, gid: maps.gid }, ttyGroupMapped: gidMapped(5, maps),
      network: 'private', binds: [], waitForGo: false,
      security: confine.security, privileged: false, readonlyRootfs: false, devices: [], supervise: { logPipes: false }, trace: trace.enabled,
    });
    const r = await launch(plan, { stdio: 'inherit' });
    if (r.exitCode !== 0) {
      throw new SkiffError('EBUILD', `The command '${spec.argv.join(' ')}' returned a non-zero code: ${r.exitCode}`, `fix RUN at Dockerfile line ${spec.line}`);
    }
    return { upperDir, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

export async function buildCommand(context: string, f: BuildFlags): Promise<void> {
  const { parseReference, familiarString } = await import('../image/reference.js');
  const tags = (f.tag ?? []).map((t) => parseReference(t));
  const buildArgs: Record<string, string> = {};
  for (const a of f.buildArg ?? []) {
    const eq = a.indexOf('=');
    if (eq < 0) {
      const v = process.env[a];
      if (v !== undefined) buildArgs[a] = v;
    } else buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const paths = storePaths();
  mkdirSync(paths.tmp, { recursive: true });
  const out = mkdtempSync(join(paths.tmp, 'build-out-'));
  try {
    const contextDir = resolve(context);
    const result = await build({
      contextDir, dockerfile: f.file ? resolve(f.file) : undefined, outputDir: out, tag: 'latest', target: f.target, buildArgs,
      resolveBase, runStep, onStep: (line) => { if (!f.quiet) process.stdout.write(line + '\n'); },
    });
    const { OciLayoutSource } = await import('../image/oci-layout.js');
    const { pullFromSource } = await import('../image/pull.js');
    const { defaultPlatform } = await import('../image/manifest.js');
    const quiet = { line() {}, layer() {}, done() {} };
    const source = new OciLayoutSource(result.layoutDir, 'the build');
    const imported = await pullFromSource(undefined, source, defaultPlatform(), quiet, 'latest');
    const { assignTag } = await import('../image/store.js');
    for (const t of tags) assignTag(imported.record.id, `${t.domain}/${t.path}:${t.tag ?? 'latest'}`);
    if (f.quiet) process.stdout.write(imported.record.id + '\n');
    else {
      process.stdout.write(`Successfully built ${imported.record.id.slice(7, 19)}\n`);
      for (const t of tags) process.stdout.write(`Successfully tagged ${familiarString(t)}\n`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
