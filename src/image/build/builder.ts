// `skiff build` without the CLI: Dockerfile + context → an OCI image layout directory.
// Two things are injected, so the builder stays free of the image store and the container launcher:
//   resolveBase(ref)  FROM <image>: its config and layer blobs (the image store provides them)
//   runStep(spec)     RUN: run the command on the layers so far and hand back the overlay upper dir
// Everything else (parsing, ARG/ENV expansion, COPY/ADD layers, config and history) happens here.
import { existsSync } from 'node:fs';
import { copyFile, link, readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { SkiffError } from '../../errors.js';
import { parseDockerfile } from './dockerfile-parser.js';
import type { Instruction, Stage } from './instructions.js';
import { openContext, type BuildContext } from './build-context.js';
import { StageState } from './config-from-steps.js';
import { processWord } from './shell-words.js';
import { scratchConfig, type ImageConfig } from './oci-config.js';
import { writeLayer, type LayerBlob, type LayerEntry } from './layer-writer.js';
import { layerFromDir } from './layer-from-dir.js';
import { copyStepEntries } from './copy-step.js';
import { blobPath, commitLayer, prepareLayout, writeImage, type WrittenImage } from './oci-layout-writer.js';

export interface BuiltLayer {
  blob: LayerBlob;
  /** Where the compressed blob is on disk. */
  path: string;
}

export interface BaseImage {
  config: ImageConfig;
  layers: BuiltLayer[];
}

export interface RunStepSpec {
  stage: number;
  line: number;
  /** The command to execute: exec form as written, shell form wrapped in the stage's SHELL. */
  argv: string[];
  /** The image's Env plus the ARGs in scope (Docker gives RUN the build args as environment). */
  env: string[];
  workdir: string;
  user: string;
  /** The stage's layers so far, bottom first: the RUN container's lower dirs. */
  layers: BuiltLayer[];
  config: ImageConfig;
  flags: Record<string, string | true>;
}

export type RunStep = (spec: RunStepSpec) => Promise<{ upperDir: string; cleanup?: () => Promise<void> }>;

export interface BuildOptions {
  contextDir: string;
  /** Dockerfile path (default <context>/Dockerfile). */
  dockerfile?: string;
  outputDir: string;
  /** The index.json ref name (org.opencontainers.image.ref.name), e.g. "latest". */
  tag?: string;
  target?: string;
  buildArgs?: Record<string, string>;
  resolveBase?: (ref: string) => Promise<BaseImage>;
  runStep?: RunStep;
  now?: () => string;
  /** Progress, one line per instruction: "Step 2/6 : COPY index.html /web/". */
  onStep?: (line: string) => void;
}

export interface BuildResult extends WrittenImage {
  config: ImageConfig;
  layers: BuiltLayer[];
  layoutDir: string;
}

interface StageResult extends BaseImage {
  fromScratch: boolean;
}

/** Stages the target needs: itself and, through FROM <stage>, its ancestors. */
function neededStages(stages: Stage[], target: Stage): Set<number> {
  const need = new Set<number>();
  let s: Stage | undefined = target;
  while (s && !need.has(s.index)) {
    need.add(s.index);
    const ref: string = s.from.image.toLowerCase();
    s = stages.slice(0, s.index).find((x) => x.from.alias === ref);
  }
  return need;
}

export async function build(opts: BuildOptions): Promise<BuildResult> {
  const ctx = openContext(opts.contextDir);
  const dockerfilePath = opts.dockerfile ?? join(ctx.dir, 'Dockerfile');
  if (!existsSync(dockerfilePath)) throw new SkiffError('EBUILD', `no Dockerfile at ${dockerfilePath}`, 'write a Dockerfile in the build context or pass -f <file>');
  const df = parseDockerfile(await readFile(dockerfilePath, 'utf8'));
  const buildArgs = new Map(Object.entries(opts.buildArgs ?? {}));
  const globalArgs = new Map<string, string | undefined>();
  for (const a of df.globalArgs.flatMap((g) => g.args)) {
    const env = new Map([...globalArgs].filter((kv): kv is [string, string] => kv[1] !== undefined));
    globalArgs.set(a.name, buildArgs.get(a.name) ?? (a.value !== undefined ? processWord(a.value, env, df.escape) : undefined));
  }
  const target = opts.target ? df.stages.find((s) => s.from.alias === opts.target!.toLowerCase()) : df.stages[df.stages.length - 1];
  if (!target) throw new SkiffError('EBUILD', `target stage "${opts.target}" could not be found`, `stages are: ${df.stages.map((s) => s.from.alias ?? s.index).join(', ')}`);
  const need = neededStages(df.stages, target);
  const total = df.stages.filter((s) => need.has(s.index)).reduce((n, s) => n + 1 + s.steps.length, 0);

  const existed = existsSync(opts.outputDir);
  const staging = await prepareLayout(opts.outputDir);
  const results = new Map<string | number, StageResult>();
  let stepNo = 0;
  try {
    let last: StageResult | undefined;
    for (const stage of df.stages.filter((s) => need.has(s.index))) {
      opts.onStep?.(`Step ${++stepNo}/${total} : ${stage.from.original}`);
      const fromEnv = new Map([...globalArgs].filter((kv): kv is [string, string] => kv[1] !== undefined));
      const ref = processWord(stage.from.image, fromEnv, df.escape);
      const base = await baseFor(ref, results, opts);
      const st = new StageState(base.config, buildArgs, globalArgs, opts.now);
      const layers = [...base.layers];
      for (const l of layers) await linkBlob(l, opts.outputDir);
      const made = new Set<string>(['/']);
      for (const ins of stage.steps) {
        opts.onStep?.(`Step ${++stepNo}/${total} : ${ins.original}`);
        if (st.apply(ins)) {
          if (ins.kind === 'WORKDIR' && base.fromScratch && !made.has(st.workdir())) {
            const entries = dirEntries(st.workdir(), made);
            layers.push(await stepLayer(opts.outputDir, staging, entries, st, `WORKDIR ${st.workdir()}`));
          }
          continue;
        }
        layers.push(await layerStep(ins, stage, st, layers, ctx, opts, staging, made));
      }
      last = { config: st.config, layers, fromScratch: base.fromScratch };
      results.set(stage.index, last);
      if (stage.from.alias) results.set(stage.from.alias, last);
    }
    const final = last!;
    final.config.created = opts.now?.() ?? new Date().toISOString();
    const written = await writeImage(opts.outputDir, final.config, final.layers.map((l) => l.blob), opts.tag);
    return { ...written, config: final.config, layers: final.layers, layoutDir: opts.outputDir };
  } catch (e) {
    // Bad input leaves nothing half-made: a layout we created goes; an existing one keeps its index.
    await rm(existed ? staging : opts.outputDir, { recursive: true, force: true });
    throw e;
  }
}

async function baseFor(ref: string, results: Map<string | number, StageResult>, opts: BuildOptions): Promise<StageResult> {
  if (ref === 'scratch') return { config: scratchConfig(), layers: [], fromScratch: true };
  const stage = results.get(ref.toLowerCase()) ?? (/^\d+$/.test(ref) ? results.get(Number(ref)) : undefined);
  if (stage) return stage;
  if (!opts.resolveBase) throw new SkiffError('EBUILD', `FROM ${ref}: no image store to take the base image from`, 'this build can only use FROM scratch or an earlier stage');
  const base = await opts.resolveBase(ref);
  return { ...base, fromScratch: false };
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

async function stepLayer(layoutDir: string, staging: string, entries: LayerEntry[], st: StageState, createdBy: string): Promise<BuiltLayer> {
  const file = join(staging, `layer-${process.hrtime.bigint()}`);
  const blob = await writeLayer(entries, file);
  await commitLayer(layoutDir, file, blob);
  st.addLayer(blob.diffId, createdBy);
  return { blob, path: blobPath(layoutDir, blob.digest) };
}

async function layerStep(ins: Instruction, stage: Stage, st: StageState, layers: BuiltLayer[], ctx: BuildContext, opts: BuildOptions, staging: string, made: Set<string>): Promise<BuiltLayer> {
  if (ins.kind === 'COPY' || ins.kind === 'ADD') {
    const step = await copyStepEntries(ins, ctx, st.env(), st.workdir(), layers.map((l) => l.path), staging);
    try {
      for (const e of step.entries) if (e.type === 'directory') made.add('/' + e.name.replace(/\/$/, ''));
      return await stepLayer(opts.outputDir, staging, step.entries, st, `${ins.original} # skiff build`);
    } finally {
      await step.cleanup();
    }
  }
  if (ins.kind !== 'RUN') throw new SkiffError('EINTERNAL', `unexpected step ${ins.kind}`, 'this is a bug in skiff');
  if (!opts.runStep) {
    throw new SkiffError('EBUILD', `Dockerfile:${ins.line}: RUN needs the container launcher, which this build was not given`, 'build images without RUN steps, or use the `skiff build` command');
  }
  const env = [...st.env()].map(([k, v]) => `${k}=${v}`);
  const run = await opts.runStep({ stage: stage.index, line: ins.line, argv: st.commandLine(ins.command), env, workdir: st.workdir(), user: st.config.config.User ?? '', layers: [...layers], config: st.config, flags: ins.flags });
  try {
    const file = join(staging, `layer-${process.hrtime.bigint()}`);
    const blob = await layerFromDir(run.upperDir, file);
    await commitLayer(opts.outputDir, file, blob);
    st.addLayer(blob.diffId, `RUN ${JSON.stringify(st.commandLine(ins.command))}`);
    return { blob, path: blobPath(opts.outputDir, blob.digest) };
  } finally {
    await run.cleanup?.();
  }
}

/** Puts a base layer's blob into the output layout (hard link when possible). */
async function linkBlob(l: BuiltLayer, layoutDir: string): Promise<void> {
  const dest = blobPath(layoutDir, l.blob.digest);
  if (dest === l.path || existsSync(dest)) return;
  await link(l.path, dest).catch(() => copyFile(l.path, dest));
}

