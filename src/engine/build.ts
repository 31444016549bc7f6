// `skiff build` and the Engine API's POST /build: the Dockerfile builder (src/image/build/) with the
// things only the engine has — base images from the store (pulled when missing), unpacked layer dirs
// for COPY --from, the layer cache in the store, and RUN steps executed as real containers (no network,
// no record in `ps`, confined as a default container is) whose overlay upper dir becomes the step's
// layer. The result is imported into the store through the same verified path as a pull, and tagged.
// Output goes to a sink: the CLI writes it to stdout, the API wraps it in `{"stream": …}` messages.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { storePaths } from '../state/paths.js';
import { build, type BaseImage, type BuiltLayer, type RunStepSpec } from '../image/build/builder.js';
import { buildContainerPlan } from '../spawn/container-plan.js';
import { launch } from '../spawn/launch.js';
import { containerIdMaps, gidMapped, setgroupsAllowed } from './id-maps.js';
import { resolveUser } from './user-lookup.js';
import { pathOf } from './process-spec.js';

export interface BuildRequest {
  /** The build context, a directory on disk. */
  contextDir: string;
  /** The Dockerfile: a path on disk, or its text (a Dockerfile given on stdin). */
  dockerfile?: string;
  dockerfileText?: string;
  tags: string[];
  buildArgs: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** Pull base images even when the store has them (`--pull`). */
  pull?: boolean;
}

export interface BuildSink {
  /** One of Docker's classic builder lines, without its newline. */
  line(text: string): void;
  /** What a RUN step printed (stdout and stderr, as Docker's build stream carries both). */
  raw(chunk: Buffer): void;
}

export interface Built { id: string; tags: string[] }

async function layerDirs(layers: BuiltLayer[]): Promise<string[]> {
  const { ensureLayers } = await import('../layers/layer-store.js');
  const { dirs } = await ensureLayers(layers.map((l) => ({ digest: l.blob.digest, mediaType: l.blob.mediaType, blobPath: l.path, diffId: l.blob.diffId })));
  return dirs;
}

function resolveBaseWith(pull: boolean, sink: BuildSink) {
  return async (ref: string, platform?: string): Promise<BaseImage> => {
    const { ensureImage } = await import('../image/ensure.js');
    const { requireImage } = await import('../image/store.js');
    const { blobPath } = await import('../image/blobs.js');
    const img = await ensureImage(ref, { pull: pull ? 'always' : 'missing', out: (l) => sink.line(l), ...(platform ? { platform } : {}) });
    const rec = requireImage(img.id);
    return {
      id: rec.id,
      config: img.config as unknown as BaseImage['config'],
      layers: rec.layers.map((l) => ({ blob: { digest: l.digest, diffId: l.diffId, size: l.size, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' as const }, path: blobPath(l.digest) })),
    };
  };
}

function runStepWith(sink: BuildSink) {
  return async (spec: RunStepSpec): Promise<{ upperDir: string; cleanup: () => Promise<void> }> => {
    const dirs = await layerDirs(spec.layers);
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
      const path = pathOf(spec.env);
      // A RUN step is confined as a default container is (Docker's build does the same).
      const { containerConfinement } = await import('./confinement.js');
      const confine = containerConfinement({ PidsLimit: 0 }, false);
      const plan = buildContainerPlan({
        id: spec.containerId, hostname: spec.containerId.slice(0, 12),
        rootfs: { layersDir: paths.layers, lowerDirs: dirs, upperDir, workDir, mountPoint, volatile: true },
        process: { args: spec.argv, env: spec.env, cwd: spec.workdir || '/', uid: user.uid, gid: user.gid, groups: setgroupsAllowed() ? user.groups : null, tty: false, path },
        idMap: { uid: maps.uid, gid: maps.gid }, ttyGroupMapped: gidMapped(5, maps),
        network: 'private', binds: [], waitForGo: false, trace: trace.enabled,
        security: confine.security, privileged: false, readonlyRootfs: false, devices: [],
        // RUN's output is relayed by the supervisor to our pipes; it gets no stdin, as in Docker.
        supervise: { stdin: false, relay: { stdin: false, stdout: true, stderr: true, raw: false, detachKeys: [] } },
      });
      let drained: Promise<unknown> = Promise.resolve();
      const r = await launch(plan, {
        stdio: 'pipe',
        onSpawn: (child) => {
          child.stdin?.on('error', () => {});
          child.stdin?.end();
          const ends = [child.stdout, child.stderr].map((s) => new Promise<void>((resolve) => {
            if (!s) return resolve();
            s.on('data', (d: Buffer) => sink.raw(d));
            s.once('close', () => resolve());
          }));
          drained = Promise.all(ends);
        },
      });
      await drained;
      if (r.exitCode !== 0) {
        const code = r.exitCode ?? 128 + (r.signal ?? 0);
        throw new SkiffError('EBUILD', `The command '${spec.argv.join(' ')}' returned a non-zero code: ${code}`, `fix RUN at Dockerfile line ${spec.line}`, { exitCode: code });
      }
      return { upperDir, cleanup };
    } catch (e) {
      await cleanup();
      throw e;
    }
  };
}

/** Parses `--build-arg NAME=value` (or `NAME`, taken from the environment when set there). */
export function parseBuildArgs(list: string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq < 0) {
      const v = env[a];
      if (v !== undefined) out[a] = v;
    } else out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

/** Builds, imports into the store and tags; the lines Docker prints go to the sink. */
export async function buildImage(req: BuildRequest, sink: BuildSink): Promise<Built> {
  const { parseReference, familiarString } = await import('../image/reference.js');
  // Every tag is checked before anything runs: a bad one leaves nothing behind.
  const tags = req.tags.map((t) => {
    try {
      return parseReference(t);
    } catch (e) {
      throw new SkiffError('EUSAGE', `invalid argument "${t}" for "-t, --tag" flag: ${(e as Error).message}`, 'name images like name:tag or registry/name:tag', { exitCode: 1 });
    }
  });
  const paths = storePaths();
  mkdirSync(paths.tmp, { recursive: true });
  const out = mkdtempSync(join(paths.tmp, 'build-out-'));
  try {
    const { storeStepCache } = await import('../image/build/step-cache.js');
    const result = await build({
      contextDir: req.contextDir, outputDir: out, tag: 'latest', buildArgs: req.buildArgs,
      ...(req.dockerfileText !== undefined ? { dockerfileText: req.dockerfileText } : {}),
      ...(req.dockerfile ? { dockerfile: req.dockerfile } : {}),
      ...(req.target ? { target: req.target } : {}),
      ...(req.labels ? { labels: req.labels } : {}),
      resolveBase: resolveBaseWith(!!req.pull, sink), runStep: runStepWith(sink), layerDirs,
      cache: storeStepCache(), noCache: !!req.noCache,
      onStep: (line) => sink.line(line),
    });
    const { OciLayoutSource } = await import('../image/oci-layout.js');
    const { pullFromSource } = await import('../image/pull.js');
    const { defaultPlatform } = await import('../image/manifest.js');
    const quiet = { line() {}, layer() {}, done() {} };
    const source = new OciLayoutSource(result.layoutDir, 'the build');
    const imported = await pullFromSource(undefined, source, defaultPlatform(), quiet, 'latest');
    const { assignTag } = await import('../image/store.js');
    for (const t of tags) assignTag(imported.record.id, `${t.domain}/${t.path}:${t.tag ?? 'latest'}`);
    return { id: imported.record.id, tags: tags.map((t) => familiarString({ ...t, tag: t.tag ?? 'latest' })) };
  } catch (e) {
    if (e instanceof SkiffError) throw e.exitCode === 125 ? new SkiffError(e.code, e.message, e.hint, { cause: e, exitCode: 1 }) : e;
    throw e;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
