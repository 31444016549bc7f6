// `create` and `run`: config.json → plan → launcher. `create` leaves the container's init blocked on
// its exec fifo (set up, hooks run, not yet exec'd) and returns; `run` supervises it to the end and
// returns its exit status, or with --detach does create + start. Nothing half-made is left behind:
// a failed create removes its state directory and kills whatever it started.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SkiffError } from '../errors.js';
import { processStartTime } from '../kernel/process-identity.js';
import { trace } from '../trace.js';
import { runHooks } from './hooks.js';
import { launchPlan } from './launcher.js';
import { OciStore, type OciRecord } from './state.js';
import { OCI_VERSION, type OciConfig } from './spec.js';
import { translate } from './translate.js';

export interface CreateOptions {
  root: string;
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  /** run in the foreground (no exec fifo) instead of create */
  foreground?: boolean;
}

export function readConfig(bundle: string): OciConfig {
  let text: string;
  try {
    text = readFileSync(resolve(bundle, 'config.json'), 'utf8');
  } catch (e) {
    throw new SkiffError('EUSAGE', `cannot read ${resolve(bundle, 'config.json')}: ${(e as Error).message}`, 'give the bundle directory with --bundle');
  }
  let c: OciConfig;
  try {
    c = JSON.parse(text) as OciConfig;
  } catch (e) {
    throw new SkiffError('EUSAGE', `config.json is not valid JSON: ${(e as Error).message}`, 'fix the bundle\'s config.json');
  }
  // runtime-spec: an invalid or unsupported value is an error; the version is the first one read.
  if (typeof c.ociVersion !== 'string' || !/^1\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(c.ociVersion)) {
    throw new SkiffError('EUSAGE', `config.json: unsupported ociVersion ${JSON.stringify(c.ociVersion)}`, 'skiff-oci reads runtime-spec 1.x configs');
  }
  return c;
}

export function writePidFile(path: string | undefined, pid: number): void {
  if (!path) return;
  const p = resolve(path);
  writeFileSync(`${p}.tmp`, String(pid));
  renameSync(`${p}.tmp`, p);
}

/** True when a resources entry asks for something: a non-zero number, a non-empty list or string. */
function asks(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || (typeof v === 'number' && v <= 0)) return false;
  if (Array.isArray(v)) return v.some(asks);
  if (typeof v === 'object') return Object.values(v as object).some(asks);
  return true;
}

function unsupported(c: OciConfig): void {
  // The device list containerd and podman always send is enforced by the device nodes the container
  // gets (only the configured ones), not by a cgroup; every other entry would need a cgroup v2 controller.
  const r = { ...(c.linux?.resources ?? {}) } as Record<string, unknown>;
  // cpu.shares 1024 is the kernel's default weight: containerd sends it for "no limit".
  const cpu = r.cpu as Record<string, unknown> | undefined;
  if (cpu && cpu.shares === 1024) r.cpu = { ...cpu, shares: 0 };
  const limits = Object.keys(r).filter((k) => k !== 'devices' && asks(r[k]));
  if (limits.length) {
    throw new SkiffError('ECGROUP', `linux.resources.${limits.join(', ')}: cgroup limits need cgroup v2 with its controllers, which this host does not offer`,
      'boot with systemd.unified_cgroup_hierarchy=1 (see `skiff doctor`), or drop the limits from config.json');
  }
}

export async function create(o: CreateOptions): Promise<number> {
  const bundle = resolve(o.bundle ?? '.');
  const config = readConfig(bundle);
  unsupported(config);
  const store = new OciStore(o.root);
  const dir = store.claim(o.id);
  const hooks = config.hooks ?? {};
  const early = [...(hooks.prestart ?? []), ...(hooks.createRuntime ?? []), ...(hooks.createContainer ?? [])];
  let pid = 0;
  const record = (p: number, started: boolean): OciRecord => ({
    id: o.id, pid: p, startTime: processStartTime(p) ?? '', bundle, created: new Date().toISOString(), owner: process.geteuid?.() ?? 0,
    annotations: config.annotations, poststop: hooks.poststop, started,
    namespaces: (config.linux?.namespaces ?? []).map((n) => n.type),
  });
  try {
    const { plan } = translate({
      config, bundle, mode: o.foreground ? 'run' : 'create', fifoPath: o.foreground ? undefined : store.fifo(o.id),
      consoleSocket: o.consoleSocket && resolve(o.consoleSocket), pauseForHooks: early.length > 0, euid: process.geteuid?.() ?? 0, trace: trace.enabled,
    });
    const result = await launchPlan(plan, {
      onPid: (p) => {
        pid = p;
        store.write(record(p, !!o.foreground));
        if (o.foreground) writePidFile(o.pidFile, p);
        // runtime-tools checks "created" in these hooks' state, as runc reports it.
        const st = { ociVersion: OCI_VERSION, id: o.id, status: 'created' as const, pid: p, bundle, annotations: config.annotations };
        runHooks('prestart', hooks.prestart, st);
        runHooks('createRuntime', hooks.createRuntime, st);
        runHooks('createContainer', hooks.createContainer, st);
      },
    });
    if (o.foreground) {
      store.remove(o.id);
      runHooks('poststop', hooks.poststop, { ociVersion: OCI_VERSION, id: o.id, status: 'stopped', bundle, annotations: config.annotations }, false);
      return result.exitCode ?? 0;
    }
    writePidFile(o.pidFile, result.pid);
    return 0;
  } catch (e) {
    if (pid) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
    store.remove(o.id);
    void dir;
    throw e;
  }
}
