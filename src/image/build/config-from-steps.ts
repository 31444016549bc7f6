// Applies a stage's metadata instructions (ENV CMD ENTRYPOINT WORKDIR EXPOSE LABEL USER VOLUME SHELL
// STOPSIGNAL HEALTHCHECK MAINTAINER ARG ONBUILD) to an image config, with Docker's builder semantics:
//   - values are expanded with the ARGs in scope and the config's Env (ENV wins over ARG), all pairs
//     of one ENV/LABEL line seeing the values from before that line;
//   - CMD/ENTRYPOINT shell form becomes [...SHELL, "<cmd>"] (default ["/bin/sh", "-c"]);
//   - ENTRYPOINT resets a CMD inherited from the base image; WORKDIR is relative to the previous one;
//   - each instruction adds a history entry (empty_layer unless it made a layer).
import { posix } from 'node:path';
import { SkiffError } from '../../errors.js';
import type { Instruction } from './instructions.js';
import type { CommandForm } from './dockerfile-args.js';
import type { ImageConfig } from './oci-config.js';
import { processWord, processWords, type Env } from './shell-words.js';

const DEFAULT_SHELL = ['/bin/sh', '-c'];
const SIGNALS = new Set(['HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM', 'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'PWR', 'SYS']);
const DURATION_UNIT: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration for the forms HEALTHCHECK accepts ("1m30s", "500ms") → nanoseconds. */
export function durationNs(d: string): number {
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * DURATION_UNIT[m[2]!]!;
  return Math.round(total);
}

function stepError(ins: Instruction, message: string, hint: string): SkiffError {
  return new SkiffError('EBUILD', `Dockerfile:${ins.line}: ${message}`, hint);
}

export class StageState {
  config: ImageConfig;
  /** ARG values in scope in this stage (undefined: declared without a value). */
  private readonly args = new Map<string, string | undefined>();
  private cmdSet = false;

  constructor(base: ImageConfig, private readonly buildArgs: ReadonlyMap<string, string>, private readonly globalArgs: ReadonlyMap<string, string | undefined>, private readonly now: () => string = () => new Date().toISOString()) {
    this.config = structuredClone(base);
    this.config.config ??= {};
    this.config.history ??= [];
  }

  /** A cached step's result replaces the config this step would have made (same ids on a rebuild). */
  adopt(config: ImageConfig): void {
    this.config = structuredClone(config);
  }

  /** The ARGs in scope with a value, sorted: part of a step's cache key, as in Docker's classic builder. */
  argsInScope(): string[] {
    return [...this.args].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).sort();
  }

  /** Variables for expansion: ARGs in scope, then the image's Env on top. */
  env(): Env {
    const m = new Map<string, string>();
    for (const [k, v] of this.args) if (v !== undefined) m.set(k, v);
    for (const e of this.config.config.Env ?? []) {
      const eq = e.indexOf('=');
      m.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
    }
    return m;
  }

  get shell(): string[] {
    return this.config.config.Shell ?? DEFAULT_SHELL;
  }

  workdir(): string {
    return this.config.config.WorkingDir || '/';
  }

  /** The command an exec-form or shell-form CMD/ENTRYPOINT/RUN stands for. */
  commandLine(c: CommandForm): string[] {
    return c.form === 'exec' ? c.args : [...this.shell, c.args[0]];
  }

  setEnv(name: string, value: string): void {
    const env = (this.config.config.Env ??= []);
    const i = env.findIndex((e) => e === name || e.startsWith(`${name}=`));
    if (i >= 0) env[i] = `${name}=${value}`;
    else env.push(`${name}=${value}`);
  }

  addHistory(createdBy: string, emptyLayer: boolean): void {
    this.config.history!.push({ created: this.now(), created_by: createdBy, comment: 'skiff build', ...(emptyLayer ? { empty_layer: true } : {}) });
  }

  /** Records a layer a step produced (COPY, ADD, RUN, WORKDIR mkdir). */
  addLayer(diffId: string, createdBy: string): void {
    this.config.rootfs.diff_ids.push(diffId);
    this.addHistory(createdBy, false);
  }

  /** Applies one metadata instruction; returns false for instructions that make layers (RUN/COPY/ADD). */
  apply(ins: Instruction): boolean {
    const c = this.config.config;
    const env = this.env();
    const word = (s: string) => processWord(s, env);
    switch (ins.kind) {
      case 'ARG':
        for (const a of ins.args) {
          const value = this.buildArgs.get(a.name) ?? (a.value !== undefined ? word(a.value) : this.globalArgs.get(a.name));
          this.args.set(a.name, value);
        }
        // Docker's classic builder commits ARG as a step of its own (an empty_layer history entry).
        this.addHistory(`ARG ${ins.args.map((a) => (this.args.get(a.name) !== undefined && a.value !== undefined ? `${a.name}=${this.args.get(a.name)}` : a.name)).join(' ')}`, true);
        return true;
      case 'ENV': {
        const pairs = ins.pairs.map((p) => [word(p.name), word(p.value)] as const);
        for (const [k, v] of pairs) this.setEnv(k, v);
        this.addHistory(`ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`, true);
        return true;
      }
      case 'LABEL': {
        const pairs = ins.pairs.map((p) => [word(p.name), word(p.value)] as const);
        c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(pairs) };
        this.addHistory(`LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`, true);
        return true;
      }
      case 'CMD':
        c.Cmd = this.commandLine(ins.command);
        this.cmdSet = true;
        this.addHistory(`CMD ${JSON.stringify(c.Cmd)}`, true);
        return true;
      case 'ENTRYPOINT':
        c.Entrypoint = ins.command.form === 'shell' && ins.command.args[0] === '' ? null : this.commandLine(ins.command);
        if (!this.cmdSet) c.Cmd = null; // a CMD from the base image does not fit a new ENTRYPOINT
        this.addHistory(`ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`, true);
        return true;
      case 'SHELL':
        c.Shell = ins.shell;
        this.addHistory(`SHELL ${JSON.stringify(ins.shell)}`, true);
        return true;
      case 'WORKDIR':
        c.WorkingDir = posix.resolve(this.workdir(), word(ins.path));
        this.addHistory(`WORKDIR ${c.WorkingDir}`, true);
        return true;
      case 'USER':
        c.User = word(ins.user);
        this.addHistory(`USER ${c.User}`, true);
        return true;
      case 'EXPOSE': {
        const ports = ins.ports.flatMap((p) => processWords(p, env)).flatMap((p) => exposedPorts(ins, p));
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) };
        this.addHistory(`EXPOSE map[${ports.map((p) => `${p}:{}`).join(' ')}]`, true);
        return true;
      }
      case 'VOLUME': {
        const paths = ins.paths.map(word);
        if (paths.some((p) => p === '')) throw stepError(ins, 'VOLUME specified can not be an empty string', 'give each volume a path');
        c.Volumes = { ...(c.Volumes ?? {}), ...Object.fromEntries(paths.map((p) => [p, {}])) };
        this.addHistory(`VOLUME ${JSON.stringify(paths)}`, true);
        return true;
      }
      case 'STOPSIGNAL': {
        const sig = word(ins.signal);
        const bare = sig.toUpperCase().replace(/^SIG/, '');
        const ok = /^\d+$/.test(sig) ? Number(sig) > 0 && Number(sig) < 65 : SIGNALS.has(bare) || /^RTMIN(\+\d+)?$|^RTMAX(-\d+)?$/.test(bare);
        if (!ok) throw stepError(ins, `invalid signal: ${sig}`, 'use a signal name like SIGTERM or a number');
        c.StopSignal = sig;
        this.addHistory(`STOPSIGNAL ${sig}`, true);
        return true;
      }
      case 'HEALTHCHECK':
        c.Healthcheck = {
          Test: ins.test,
          ...(ins.interval ? { Interval: durationNs(ins.interval) } : {}),
          ...(ins.timeout ? { Timeout: durationNs(ins.timeout) } : {}),
          ...(ins.startPeriod ? { StartPeriod: durationNs(ins.startPeriod) } : {}),
          ...(ins.startInterval ? { StartInterval: durationNs(ins.startInterval) } : {}),
          ...(ins.retries !== undefined ? { Retries: ins.retries } : {}),
        };
        this.addHistory(`HEALTHCHECK ${JSON.stringify(ins.test)}`, true);
        return true;
      case 'ONBUILD':
        c.OnBuild = [...(c.OnBuild ?? []), ins.trigger];
        this.addHistory(`ONBUILD ${ins.trigger}`, true);
        return true;
      case 'MAINTAINER':
        this.config.author = word(ins.name);
        this.addHistory(`MAINTAINER ${this.config.author}`, true);
        return true;
      default:
        return false;
    }
  }
}

/** "80" → ["80/tcp"], "53/UDP" → ["53/udp"], "8000-8002" → three ports. */
function exposedPorts(ins: Instruction, spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  const bad = () => stepError(ins, `invalid containerPort: ${spec}`, 'write EXPOSE 80, EXPOSE 53/udp or EXPOSE 8000-8010');
  if (!m) throw bad();
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (from < 1 || to > 65535 || to < from) throw bad();
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: to - from + 1 }, (_, i) => `${from + i}/${proto}`);
}
