// `skiff build` without the CLI: Dockerfile + context → an OCI image layout directory, step by step as
// Docker's classic builder goes (its output lines, its step count, its cache). What needs the engine is
// injected, so the builder stays free of the image store and the container launcher:
//   resolveBase(ref)   FROM <image> / COPY --from=<image>: its config and layer blobs
//   runStep(spec)      RUN: run the command on the layers so far and hand back the overlay upper dir
//   layerDirs(layers)  COPY --from: the unpacked directories of a stage's or an image's layers
//   cache              the layer cache (step-cache.ts); absent or noCache: every step runs
// Everything else (parsing, ARG/ENV expansion, COPY/ADD layers, ONBUILD, config and history) is here.
import { existsSync } from 'node:fs';
import { copyFile, link, readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SkiffError } from '../../errors.js';
import { parseDockerfile, parseTrigger } from './dockerfile-parser.js';
import type { Instruction, Stage } from './instructions.js';
import { openContext, type BuildContext } from './build-context.js';
import { StageState } from './config-from-steps.js';
import { processWord } from './shell-words.js';
import { scratchConfig, type ImageConfig } from './oci-config.js';
import { writeLayer, type LayerBlob, type LayerEntry } from './layer-writer.js';
import { layerFromDir } from './layer-from-dir.js';
import { copyStepEntries } from './copy-step.js';
import { resolveChown } from './chown-spec.js';
import { StageFs, stageCopyEntries } from './stage-fs.js';
import { configId, entriesChecksum, stepKey, type StepCache } from './step-cache.js';
import { blobPath, commitLayer, prepareLayout, writeImage, type WrittenImage } from './oci-layout-writer.js';

export interface BuiltLayer {
  blob: LayerBlob;
  /** Where the compressed blob is on disk. */
  path: string;
}

export interface BaseImage {
  config: ImageConfig;
  layers: BuiltLayer[];
  /** The image's id in the store (its config digest); computed from the config when absent. */
  id?: string;
}

export interface RunStepSpec {
  stage: number;
  line: number;
  /** The id of the build container ("Running in <id>"), 64 hex digits. */
  containerId: string;
  /** The command to execute: exec form as written, shell form wrapped in the stage's SHELL. */
  argv: string[];
  /** The image's Env plus the ARGs in scope (Docker gives RUN the build args as environment). */
  env: string[];
  workdir: string;
  user: string;
  /** The stage's layers so far, bottom first: the RUN container's lower dirs. */
  layers: BuiltLayer[];
  config: ImageConfig;
}

export type RunStep = (spec: RunStepSpec) => Promise<{ upperDir: string; cleanup?: () => Promise<void> }>;

export interface BuildOptions {
  contextDir: string;
  /** Dockerfile path (default <context>/Dockerfile). */
  dockerfile?: string;
  /** The Dockerfile's text itself (`skiff build -f -`, a Dockerfile on stdin); wins over `dockerfile`. */
  dockerfileText?: string;
  outputDir: string;
  /** The index.json ref name (org.opencontainers.image.ref.name), e.g. "latest". */
  tag?: string;
  target?: string;
  buildArgs?: Record<string, string>;
  /** `--label`: added by a last LABEL step, as Docker's classic builder does. */
  labels?: Record<string, string>;
  resolveBase?: (ref: string, platform?: string) => Promise<BaseImage>;
  runStep?: RunStep;
  layerDirs?: (layers: BuiltLayer[]) => Promise<string[]>;
  cache?: StepCache;
  noCache?: boolean;
  now?: () => string;
  /** Progress, Docker's lines without their newline: "Step 2/6 : COPY index.html /web/", " ---> 3f2a…". */
  onStep?: (line: string) => void;
}

export interface BuildResult extends WrittenImage {
  config: ImageConfig;
  layers: BuiltLayer[];
  layoutDir: string;
  /** The image id (sha256 of the config), as each " ---> <id>" line shows it. */
  id: string;
}

interface StageResult { config: ImageConfig; layers: BuiltLayer[]; id: string; fromScratch: boolean }

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** Everything one build run shares between its stages and steps. */
class Run {
  readonly results = new Map<string | number, StageResult>();
  readonly images = new Map<string, StageResult>();

  constructor(readonly opts: BuildOptions, readonly ctx: BuildContext, readonly staging: string, readonly escape: '\\' | '`') {}

  line(text: string): void {
    this.opts.onStep?.(text);
  }

  async image(ref: string, platform?: string): Promise<StageResult> {
    if (ref === 'scratch') {
      const config = scratchConfig();
      return { config, layers: [], id: configId(config), fromScratch: true };
    }
    const have = this.images.get(ref);
    if (have) return have;
    if (!this.opts.resolveBase) throw new SkiffError('EBUILD', `FROM ${ref}: no image store to take the base image from`, 'this build can only use FROM scratch or an earlier stage');
    const base = await this.opts.resolveBase(ref, platform);
    const r = { config: base.config, layers: base.layers, id: base.id ?? configId(base.config), fromScratch: false };
    this.images.set(ref, r);
    return r;
  }
}

export async function build(opts: BuildOptions): Promise<BuildResult> {
  const ctx = openContext(opts.contextDir);
  let text = opts.dockerfileText;
  if (text === undefined) {
    const dockerfilePath = opts.dockerfile ?? join(ctx.dir, 'Dockerfile');
    if (!existsSync(dockerfilePath)) throw new SkiffError('EBUILD', `Cannot locate specified Dockerfile: ${dockerfilePath}`, 'write a Dockerfile in the build context or pass -f <file>', { exitCode: 1 });
    text = await readFile(dockerfilePath, 'utf8');
  }
  const df = parseDockerfile(text);
  const buildArgs = new Map(Object.entries(opts.buildArgs ?? {}));
  const globalArgs = new Map<string, string | undefined>();
  for (const a of df.globalArgs.flatMap((g) => g.args)) {
    const env = new Map([...globalArgs].filter((kv): kv is [string, string] => kv[1] !== undefined));
    globalArgs.set(a.name, buildArgs.get(a.name) ?? (a.value !== undefined ? processWord(a.value, env, df.escape) : undefined));
  }
  // The classic builder runs every stage up to the target (not only those the target needs).
  const targetIx = opts.target ? df.stages.findIndex((s) => s.from.alias === opts.target!.toLowerCase()) : df.stages.length - 1;
  if (targetIx < 0) throw new SkiffError('EBUILD', `failed to reach build target ${opts.target} in Dockerfile`, `stages are: ${df.stages.map((s) => s.from.alias ?? s.index).join(', ')}`, { exitCode: 1 });
  const stages = df.stages.slice(0, targetIx + 1);
  const labels = Object.entries(opts.labels ?? {});
  const total = df.globalArgs.length + stages.reduce((n, s) => n + 1 + s.steps.length, 0) + (labels.length ? 1 : 0);

  const existed = existsSync(opts.outputDir);
  const staging = await prepareLayout(opts.outputDir);
  const run = new Run(opts, ctx, staging, df.escape);
  let stepNo = 0;
  try {
    for (const a of df.globalArgs) run.line(`Step ${++stepNo}/${total} : ${a.original}`);
    let last: StageResult | undefined;
    for (const stage of stages) {
      run.line(`Step ${++stepNo}/${total} : ${stage.from.original}`);
      const fromEnv = new Map([...globalArgs].filter((kv): kv is [string, string] => kv[1] !== undefined));
      const ref = processWord(stage.from.image, fromEnv, df.escape);
      const platform = stage.from.platform ? processWord(stage.from.platform, fromEnv, df.escape) : undefined;
      const base = run.results.get(ref.toLowerCase()) ?? (await run.image(ref, platform));
      const sp = new StageProgress(run, stage, base, buildArgs, globalArgs);
      await sp.triggers();
      run.line(` ---> ${short(sp.id)}`);
      const steps = [...stage.steps];
      if (labels.length && stage === stages.at(-1)) steps.push(labelStep(labels));
      for (const ins of steps) {
        run.line(`Step ${++stepNo}/${total} : ${ins.original}`);
        await sp.step(ins);
        run.line(` ---> ${short(sp.id)}`);
      }
      last = sp.result();
      run.results.set(stage.index, last);
      if (stage.from.alias) run.results.set(stage.from.alias, last);
    }
    const final = last!;
    const written = await writeImage(opts.outputDir, final.config, final.layers.map((l) => l.blob), opts.tag);
    return { ...written, config: final.config, layers: final.layers, layoutDir: opts.outputDir, id: final.id };
  } catch (e) {
    // Bad input leaves nothing half-made: a layout we created goes; an existing one keeps its index.
    await rm(existed ? staging : opts.outputDir, { recursive: true, force: true });
    throw e;
  }
}

/** `--label k=v`: a LABEL instruction whose values are taken literally. */
function labelStep(labels: [string, string][]): Instruction {
  const quote = (s: string) => `"${s.replace(/(["\\$])/g, '\\$1')}"`;
  return { line: 0, original: `LABEL ${labels.map(([k, v]) => `${quote(k)}=${quote(v)}`).join(' ')}`, kind: 'LABEL', pairs: labels.map(([k, v]) => ({ name: k.replace(/([\\$])/g, '\\$1'), value: v.replace(/([\\$])/g, '\\$1') })) };
}

/** One stage being built: its config, its layers, its current image id, and each step with the cache. */
class StageProgress {
  private readonly st: StageState;
  private readonly layers: BuiltLayer[];
  private readonly made = new Set<string>(['/']);
  private readonly fromScratch: boolean;
  id: string;

  constructor(private readonly run: Run, private readonly stage: Stage, base: StageResult, buildArgs: ReadonlyMap<string, string>, globalArgs: ReadonlyMap<string, string | undefined>) {
    this.st = new StageState(base.config, buildArgs, globalArgs, run.opts.now);
    this.layers = [...base.layers];
    this.fromScratch = base.fromScratch;
    this.id = base.id;
  }

  result(): StageResult {
    return { config: this.st.config, layers: [...this.layers], id: this.id, fromScratch: this.fromScratch };
  }

  /** The base image's ONBUILD triggers run first, as part of FROM; the new image does not inherit them. */
  async triggers(): Promise<void> {
    const triggers = this.st.config.config.OnBuild ?? [];
    for (const l of this.layers) await linkBlob(l, this.run.opts.outputDir);
    if (triggers.length === 0) return;
    this.run.line(`# Executing ${triggers.length} build ${triggers.length > 1 ? 'triggers' : 'trigger'}`);
    this.st.config.config.OnBuild = null;
    for (const t of triggers) await this.step(parseTrigger(t, this.stage.from.line, this.run.escape));
  }

  private now(): string {
    return this.run.opts.now?.() ?? new Date().toISOString();
  }

  private cached(parts: string[]): { key: string; hit?: { config: ImageConfig; layer?: BuiltLayer } } {
    const key = stepKey(this.id, parts);
    const cache = this.run.opts.cache;
    if (!cache || this.run.opts.noCache) return { key };
    const got = cache.get(key);
    if (!got) return { key };
    const layer = got.step.layer && got.layerPath ? { blob: got.step.layer, path: got.layerPath } : undefined;
    return { key, hit: { config: got.step.config, ...(layer ? { layer } : {}) } };
  }

  /** Takes a cached result: its config (timestamps and all) and its layer. */
  private async reuse(hit: { config: ImageConfig; layer?: BuiltLayer }): Promise<void> {
    this.run.line(' ---> Using cache');
    if (hit.layer) {
      await linkBlob(hit.layer, this.run.opts.outputDir);
      this.layers.push({ blob: hit.layer.blob, path: blobPath(this.run.opts.outputDir, hit.layer.blob.digest) });
    }
    this.st.adopt(hit.config);
    this.id = configId(this.st.config);
  }

  private async commit(key: string, layer?: BuiltLayer): Promise<void> {
    this.st.config.created = this.now();
    if (layer) this.layers.push(layer);
    this.id = configId(this.st.config);
    if (this.run.opts.cache && !this.run.opts.noCache) {
      await this.run.opts.cache.put(key, { config: this.st.config, ...(layer ? { layer: layer.blob } : {}) }, layer?.path);
    }
  }

  async step(ins: Instruction): Promise<void> {
    const args = this.st.argsInScope();
    if (ins.kind === 'COPY' || ins.kind === 'ADD') return this.copy(ins);
    if (ins.kind === 'RUN') {
      const argv = this.st.commandLine(ins.command);
      const { key, hit } = this.cached(['RUN', JSON.stringify(argv), ...args]);
      if (hit) return this.reuse(hit);
      return this.runCommand(ins, argv, key);
    }
    // Metadata: applied first (it also updates ARGs in scope), then keyed by the instruction and ARGs.
    const needDir = ins.kind === 'WORKDIR' && this.fromScratch;
    if (!this.st.apply(ins)) throw new SkiffError('EINTERNAL', `unexpected step ${ins.kind}`, 'this is a bug in skiff');
    const { key, hit } = this.cached([ins.kind, ins.original, ...args, ...this.st.argsInScope()]);
    const dirs = needDir ? dirEntries(this.st.workdir(), this.made) : [];
    if (hit) return this.reuse(hit);
    const container = randomBytes(32).toString('hex');
    this.run.line(` ---> Running in ${short(container)}`);
    // FROM scratch has no directories: WORKDIR makes its own (any other base gets it at run time).
    const layer = dirs.length ? await this.writeEntries(dirs, `WORKDIR ${this.st.workdir()}`) : undefined;
    this.run.line(`Removing intermediate container ${short(container)}`);
    await this.commit(key, layer);
  }

  private async writeEntries(entries: LayerEntry[], createdBy: string): Promise<BuiltLayer> {
    const file = join(this.run.staging, `layer-${process.hrtime.bigint()}`);
    const blob = await writeLayer(entries, file);
    await commitLayer(this.run.opts.outputDir, file, blob);
    this.st.addLayer(blob.diffId, createdBy);
    return { blob, path: blobPath(this.run.opts.outputDir, blob.digest) };
  }

  private async copy(ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>): Promise<void> {
    const args = this.st.argsInScope();
    const env = this.st.env();
    let entries: LayerEntry[];
    let cleanup = async () => {};
    let source = 'context';
    if (ins.from !== undefined) {
      const from = processWord(ins.from, env, this.run.escape);
      const stage = this.fromStage(from);
      const src = stage ?? (await this.run.image(from));
      source = src.id;
      if (!this.run.opts.layerDirs) throw new SkiffError('EBUILD', `Dockerfile:${ins.line}: COPY --from needs the image store, which this build was not given`, 'use the `skiff build` command');
      const fs = new StageFs(await this.run.opts.layerDirs(src.layers));
      const own = ins.chown ? await resolveChown(processWord(ins.chown, env, this.run.escape), this.layers.map((l) => l.path)) : { uid: 0, gid: 0 };
      if (ins.chmod && !/^[0-7]{3,4}$/.test(ins.chmod)) throw new SkiffError('EBUILD', `Dockerfile:${ins.line}: invalid --chmod=${ins.chmod}`, 'use octal permissions, e.g. --chmod=755', { exitCode: 1 });
      const mode = ins.chmod ? parseInt(ins.chmod, 8) : undefined;
      const what = stage ? `build stage ${from}` : `image ${from}`;
      try {
        entries = stageCopyEntries(fs, ins.sources.map((s) => processWord(s, env, this.run.escape)), processWord(ins.dest, env, this.run.escape), this.st.workdir(), { ...own, ...(mode !== undefined ? { mode } : {}) }, what);
      } catch (e) {
        if (e instanceof SkiffError) throw new SkiffError('EBUILD', `Dockerfile:${ins.line}: ${e.message}`, e.hint, { exitCode: 1 });
        throw e;
      }
    } else {
      const step = await copyStepEntries(ins, this.run.ctx, env, this.st.workdir(), this.layers.map((l) => l.path), this.run.staging);
      entries = step.entries;
      cleanup = step.cleanup;
    }
    try {
      const { key, hit } = this.cached([ins.kind, ins.original, ...args, source, await entriesChecksum(entries)]);
      if (hit) return await this.reuse(hit);
      for (const e of entries) if (e.type === 'directory') this.made.add('/' + e.name.replace(/\/$/, ''));
      await this.commit(key, await this.writeEntries(entries, `${ins.original} # skiff build`));
    } finally {
      await cleanup();
    }
  }

  /** `--from=<name>` or `--from=<index>` of an earlier stage; undefined for an image reference. */
  private fromStage(from: string): StageResult | undefined {
    if (/^\d+$/.test(from)) {
      const n = Number(from);
      if (n >= this.stage.index) throw new SkiffError('EBUILD', `invalid from flag value ${from}: refers to current or future build stage`, 'COPY --from can only name an earlier stage', { exitCode: 1 });
      return this.run.results.get(n);
    }
    return this.run.results.get(from.toLowerCase());
  }

  private async runCommand(ins: Extract<Instruction, { kind: 'RUN' }>, argv: string[], key: string): Promise<void> {
    if (!this.run.opts.runStep) {
      throw new SkiffError('EBUILD', `Dockerfile:${ins.line}: RUN needs the container launcher, which this build was not given`, 'build images without RUN steps, or use the `skiff build` command');
    }
    const containerId = randomBytes(32).toString('hex');
    this.run.line(` ---> Running in ${short(containerId)}`);
    const env = [...this.st.env()].map(([k, v]) => `${k}=${v}`);
    const result = await this.run.opts.runStep({ stage: this.stage.index, line: ins.line, containerId, argv, env, workdir: this.st.workdir(), user: this.st.config.config.User ?? '', layers: [...this.layers], config: this.st.config });
    try {
      const file = join(this.run.staging, `layer-${process.hrtime.bigint()}`);
      const blob = await layerFromDir(result.upperDir, file);
      await commitLayer(this.run.opts.outputDir, file, blob);
      this.st.addLayer(blob.diffId, `RUN ${JSON.stringify(argv)}`);
      this.run.line(`Removing intermediate container ${short(containerId)}`);
      await this.commit(key, { blob, path: blobPath(this.run.opts.outputDir, blob.digest) });
    } finally {
      await result.cleanup?.();
    }
  }
}

/** Directory entries for a path and any parent not made yet in this stage. */
function dirEntries(path: string, made: Set<string>): LayerEntry[] {
  const out: LayerEntry[] = [];
  let p = path;
  while (!made.has(p)) {
    out.unshift({ name: p.slice(1) + '/', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 });
    made.add(p);
    p = posix.dirname(p);
  }
  return out;
}

/** Puts a base layer's blob into the output layout (hard link when possible). */
async function linkBlob(l: BuiltLayer, layoutDir: string): Promise<void> {
  const dest = blobPath(layoutDir, l.blob.digest);
  if (dest === l.path || existsSync(dest)) return;
  await link(l.path, dest).catch(() => copyFile(l.path, dest));
}
