// The `run`/`create` flags that only describe the container (no kernel work at parse time): labels,
// --add-host, --dns*, --ulimit, --stop-signal/--stop-timeout, --expose, --health-*, --log-driver/--log-opt,
// --domainname, --group-add, --oom-kill-disable, --shm-size. Each is read with Docker's grammar and fails
// with Docker's wording (exit 125) before anything is pulled or created; the result is the fields of
// Docker's Config/HostConfig they become, as `inspect` shows them.
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { SkiffError } from '../errors.js';
import { parseGoDuration } from '../format/duration.js';
import { parseRamSize } from '../cgroups/limits.js';
import type { HealthConfig, RunExtras, Ulimit } from '../state/container-record.js';
import type { RunFlags } from './run-flags.js';
import { signalNumber } from './stop.js';

function flagError(flag: string, value: string, why: string, hint: string): SkiffError {
  return new SkiffError('EUSAGE', `invalid argument "${value}" for "${flag}" flag: ${why}`, hint);
}

/** `open FILE: no such file or directory` as Docker says it, for --label-file and --env-file. */
export function readListFile(path: string, flag: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(code ?? e);
    throw new SkiffError('EUSAGE', `open ${path}: ${why}`, `check the ${flag} path`);
  }
  return text.split('\n').map((l) => l.replace(/^\s+/, '').replace(/\r$/, '')).filter((l) => l.trim() && !l.startsWith('#'));
}

/** -l KEY[=VALUE] and --label-file: the file first, then the flags (later wins), as docker/cli does. */
export function parseLabels(labels: string[], files: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of [...files.flatMap((f) => readListFile(f, '--label-file')), ...labels]) {
    const eq = l.indexOf('=');
    const key = eq < 0 ? l : l.slice(0, eq);
    if (!key.trim()) throw flagError('--label', l, 'invalid label format: key is empty', 'write -l key=value');
    out[key] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return out;
}

/** The address `host-gateway` stands for: the default bridge's gateway (Docker's default host-gateway-ip). */
export const HOST_GATEWAY = '172.17.0.1';

/** --add-host NAME:IP (or NAME=IP, Docker 25+), IP may be `host-gateway` or IPv6 in brackets. */
export function parseAddHost(v: string): string {
  const sep = v.indexOf('=') >= 0 ? v.indexOf('=') : v.indexOf(':');
  const host = sep < 0 ? '' : v.slice(0, sep);
  let ip = sep < 0 ? '' : v.slice(sep + 1);
  if (!host || !ip) throw flagError('--add-host', v, `bad format for add-host: "${v}"`, 'write --add-host name:1.2.3.4 (or name:host-gateway)');
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip !== 'host-gateway' && !isIPv4(ip) && !isIPv6(ip)) {
    throw flagError('--add-host', v, `invalid IP address in add-host: "${ip}"`, 'give an IPv4 or IPv6 address, or host-gateway');
  }
  if (/\s/.test(host)) throw flagError('--add-host', v, `invalid hostname in add-host: "${host}"`, 'a host name has no spaces');
  return `${host}:${ip}`;
}

/** The /etc/hosts lines of the stored ExtraHosts, host-gateway resolved. */
export function extraHostEntries(extra: string[] | undefined): Array<{ ip: string; names: string[] }> {
  return (extra ?? []).map((e) => {
    const i = e.indexOf(':');
    const ip = e.slice(i + 1);
    return { ip: ip === 'host-gateway' ? HOST_GATEWAY : ip, names: [e.slice(0, i)] };
  });
}

function parseDns(v: string): string {
  if (!isIPv4(v) && !isIPv6(v)) throw flagError('--dns', v, `IP address is not correctly formatted: ${v}`, 'give the nameserver as an IP address, e.g. --dns 9.9.9.9');
  return v;
}

function parseDnsSearch(v: string): string {
  // docker/opts ValidateDNSSearch: "." alone clears the list; a label is at most 63 characters, the name 255.
  const d = v.replace(/\.$/, '');
  if (v !== '.' && (!d || d.length > 255 || d.split('.').some((l) => !/^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l)))) {
    throw flagError('--dns-search', v, `${v} is not a valid domain`, 'give a domain name, e.g. --dns-search example.com');
  }
  return v;
}

/** getrlimit(2)'s resources under the names Docker (go-units) accepts. */
export const ULIMIT_RESOURCES: Record<string, number> = {
  core: 4, cpu: 0, data: 2, fsize: 1, locks: 10, memlock: 8, msgqueue: 12, nice: 13, nofile: 7, nproc: 6,
  rss: 5, rtprio: 14, rttime: 15, sigpending: 11, stack: 3,
};

/** go-units ParseUlimit: NAME=SOFT[:HARD], -1 is unlimited, soft ≤ hard. */
export function parseUlimit(v: string): Ulimit {
  const bad = (why: string) => flagError('--ulimit', v, why, 'write --ulimit nofile=1024:2048 (name=soft[:hard], -1 for unlimited)');
  const eq = v.indexOf('=');
  if (eq < 0) throw bad(`invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  if (!(name in ULIMIT_RESOURCES)) throw bad(`invalid ulimit type: ${name}`);
  const parts = v.slice(eq + 1).split(':');
  if (parts.length > 2) throw bad(`too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (s: string, which: string): number => {
    if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw bad(`invalid ulimit ${which} value: ${s}`);
    return Number(s);
  };
  const soft = num(parts[0]!, 'soft');
  const hard = parts.length === 2 ? num(parts[1]!, 'hard') : soft;
  if (soft !== -1 && (hard === -1 ? false : soft > hard)) throw bad(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

/**
 * The container's process lives in a user namespace, where no one may raise a hard limit above the one
 * skiff itself runs under (setrlimit needs CAP_SYS_RESOURCE in the initial namespace): say so now,
 * before anything is made, rather than as EPERM at the launcher's step. `limits`: /proc/self/limits.
 */
export function checkUlimitsReachable(ulimits: Ulimit[], limits = readFileSync('/proc/self/limits', 'utf8')): void {
  const rows = limits.split('\n').slice(1).filter((l) => l.trim());
  for (const u of ulimits) {
    const hardText = rows[ULIMIT_RESOURCES[u.Name]!]?.slice(26).trim().split(/\s+/)[1];
    if (!hardText || hardText === 'unlimited') continue;
    const own = Number(hardText);
    if (u.Hard < 0 || u.Hard > own) {
      throw new SkiffError('EUSAGE', `--ulimit ${u.Name}=${u.Soft}:${u.Hard}: the hard limit is above skiff's own (${own}), which a container in a user namespace cannot raise`,
        `ask for at most ${u.Name}=${Math.min(u.Soft < 0 ? own : u.Soft, own)}:${own}, or raise skiff's limit (ulimit -H, systemd LimitNOFILE=…)`);
    }
  }
}

/** A Go duration flag of the healthcheck, in nanoseconds as Docker stores it (0 when not given). */
function healthDuration(flag: string, v: string | undefined): number {
  if (v === undefined) return 0;
  const ms = parseGoDuration(v);
  if (ms === undefined) throw flagError(flag, v, `time: invalid duration "${v}"`, 'write a duration like 30s, 1m30s or 500ms');
  if (ms < 0) throw new SkiffError('EUSAGE', `${flag} cannot be negative`, 'give a duration of 0 or more');
  if (ms > 0 && ms < 1) throw new SkiffError('EUSAGE', `${flag} cannot be less than 1ms`, 'give at least 1ms');
  return Math.round(ms * 1e6);
}

/** --health-* / --no-healthcheck: Docker's container.HealthConfig (undefined: the image's own, if any). */
export function parseHealth(f: RunFlags): HealthConfig | undefined {
  const given = f.healthCmd !== undefined || f.healthInterval !== undefined || f.healthRetries !== undefined
    || f.healthTimeout !== undefined || f.healthStartPeriod !== undefined;
  if (f.healthcheck === false) {
    if (given) throw new SkiffError('EUSAGE', '--no-healthcheck conflicts with --health-* options', 'drop either --no-healthcheck or the --health-* flags');
    return { Test: ['NONE'] };
  }
  if (!given) return undefined;
  let retries = 0;
  if (f.healthRetries !== undefined) {
    if (!/^-?\d+$/.test(f.healthRetries)) throw flagError('--health-retries', f.healthRetries, 'strconv.ParseInt: parsing ' + JSON.stringify(f.healthRetries) + ': invalid syntax', 'give a whole number, e.g. --health-retries 3');
    retries = Number(f.healthRetries);
    if (retries < 0) throw new SkiffError('EUSAGE', '--health-retries cannot be negative', 'give 0 or more');
  }
  const h: HealthConfig = {
    Test: f.healthCmd !== undefined ? ['CMD-SHELL', f.healthCmd] : [],
    Interval: healthDuration('--health-interval', f.healthInterval),
    Timeout: healthDuration('--health-timeout', f.healthTimeout),
    StartPeriod: healthDuration('--health-start-period', f.healthStartPeriod),
    Retries: retries,
  };
  return h;
}

/** --expose PORT[/PROTO] or a range START-END[/PROTO]: more ExposedPorts keys. */
export function parseExpose(v: string): string[] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(v);
  const bad = (why = '') => new SkiffError('EUSAGE', `invalid range format for --expose: ${v}${why}`, 'write --expose 80, --expose 80/udp or --expose 8000-8010');
  if (!m) throw bad(`, error: strconv.ParseUint: parsing ${JSON.stringify(v.split('/')[0])}: invalid syntax`);
  const start = Number(m[1]), end = m[2] ? Number(m[2]) : start;
  if (start < 1 || end > 65535 || end < start) throw bad();
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

const LOG_OPTS = new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag', 'mode', 'max-buffer-size']);

/** --log-driver json-file|none, --log-opt KEY=VALUE (max-size and max-file are what skiff's supervisor acts on). */
export function parseLogConfig(driver: string | undefined, opts: string[]): { Type: string; Config: Record<string, string> } {
  const type = driver ?? 'json-file';
  if (type !== 'json-file' && type !== 'none') {
    // Docker's own drivers skiff does not have are named as such; any other name is Docker's plugin lookup error.
    const dockers = ['local', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs', 'logentries'];
    throw new SkiffError('EUSAGE', dockers.includes(type) ? `logging driver "${type}" is not supported by skiff` : `error looking up logging plugin ${type}: plugin "${type}" not found`,
      'use --log-driver json-file or none');
  }
  const config: Record<string, string> = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw flagError('--log-opt', o, `invalid key value pair format in log-opt: ${o}`, 'write --log-opt max-size=10m');
    config[o.slice(0, eq)] = o.slice(eq + 1);
  }
  if (type === 'none' && opts.length) throw new SkiffError('EUSAGE', `unknown log opt '${Object.keys(config)[0]}' for none log driver`, 'the none driver takes no options');
  for (const k of Object.keys(config)) {
    if (!LOG_OPTS.has(k)) throw new SkiffError('EUSAGE', `unknown log opt '${k}' for json-file log driver`, 'json-file takes max-size, max-file, compress, labels, env, tag');
  }
  if (config['max-size'] !== undefined) {
    const n = parseRamSize(config['max-size'], '--log-opt max-size');
    if (n <= 0) throw new SkiffError('EUSAGE', `invalid value for max-size: ${config['max-size']}`, 'give a positive size, e.g. max-size=10m');
  }
  if (config['max-file'] !== undefined) {
    const n = Number(config['max-file']);
    if (!/^-?\d+$/.test(config['max-file'])) throw new SkiffError('EUSAGE', `failed to initialize logging driver: strconv.Atoi: parsing ${JSON.stringify(config['max-file'])}: invalid syntax`, 'give max-file=1 or more');
    if (n < 1) throw new SkiffError('EUSAGE', 'failed to initialize logging driver: max-file cannot be less than 1', 'give max-file=1 or more');
    if (n > 1 && config['max-size'] === undefined) throw new SkiffError('EUSAGE', "max-file cannot be set without max-size: it only takes effect once the log is rotated by size", 'add --log-opt max-size=10m');
  }
  return { Type: type, Config: config };
}

/** The log rotation the supervisor does: bytes per file and files kept (0/1: no rotation). */
export function logRotation(config: Record<string, string> | undefined): { maxSize: number; maxFile: number } {
  const size = config?.['max-size'] !== undefined ? parseRamSize(config['max-size'], '--log-opt max-size') : 0;
  const files = config?.['max-file'] !== undefined ? Number(config['max-file']) : 1;
  return { maxSize: size, maxFile: files };
}

/** dockerd's warning on cgroup v2, skiff's only cgroup version: it has no switch for the OOM killer. */
const OOM_KILL_DISABLE_WARNING = 'Your kernel does not support OomKillDisable. OomKillDisable discarded.';

/**
 * --oom-kill-disable / HostConfig.OomKillDisable: discarded (kept as false) as dockerd does on cgroup v2;
 * the warning when it was asked for — the CLI prints it, the API's create answers it in `Warnings`.
 */
export function discardOomKillDisable(x: RunExtras): string | undefined {
  if (!x.OomKillDisable) return undefined;
  x.OomKillDisable = false;
  return OOM_KILL_DISABLE_WARNING;
}

/** The `run`/`create` flags of this file, read into Docker's fields. */
export function parseRunExtras(f: RunFlags): RunExtras {
  const x: RunExtras = {};
  if (f.domainname !== undefined) {
    if (f.domainname.length > 255 || !/^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(f.domainname)) {
      throw flagError('--domainname', f.domainname, 'invalid domain name', 'use letters, digits, "-" and "." (at most 255 characters)');
    }
    x.Domainname = f.domainname;
  }
  if (f.stopSignal !== undefined) {
    try { signalNumber(f.stopSignal); } catch {
      throw new SkiffError('EUSAGE', `Invalid signal: ${f.stopSignal}`, 'use a name like SIGTERM, SIGINT or QUIT, or a number');
    }
    x.StopSignal = f.stopSignal;
  }
  if (f.stopTimeout !== undefined) {
    if (!/^-?\d+$/.test(f.stopTimeout.trim())) throw flagError('--stop-timeout', f.stopTimeout, `strconv.ParseInt: parsing "${f.stopTimeout}": invalid syntax`, 'give whole seconds, e.g. --stop-timeout 5 (-1: wait forever)');
    x.StopTimeout = Number(f.stopTimeout);
  }
  if (f.expose?.length) x.ExposedPorts = Object.fromEntries(f.expose.flatMap(parseExpose).map((k) => [k, {}]));
  const health = parseHealth(f);
  if (health) x.Healthcheck = health;
  if (f.addHost?.length) x.ExtraHosts = f.addHost.map(parseAddHost);
  if (f.dns?.length) x.Dns = f.dns.map(parseDns);
  if (f.dnsSearch?.length) x.DnsSearch = f.dnsSearch.map(parseDnsSearch);
  if (f.dnsOption?.length) {
    for (const o of f.dnsOption) if (!o.trim() || /\s/.test(o)) throw flagError('--dns-option', o, 'a resolver option is one word (ndots:2, edns0, …)', 'write --dns-option ndots:2');
    x.DnsOptions = f.dnsOption;
  }
  if (f.ulimit?.length) {
    const byName = new Map<string, Ulimit>();
    for (const u of f.ulimit.map(parseUlimit)) byName.set(u.Name, u);
    x.Ulimits = [...byName.values()];
    checkUlimitsReachable(x.Ulimits);
  }
  if (f.logDriver !== undefined || f.logOpt?.length) x.LogConfig = parseLogConfig(f.logDriver, f.logOpt ?? []);
  if (f.groupAdd?.length) {
    for (const g of f.groupAdd) if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(g)) throw flagError('--group-add', g, 'a group is a name or a number', 'e.g. --group-add audio or --group-add 29');
    x.GroupAdd = f.groupAdd;
  }
  if (f.oomKillDisable) x.OomKillDisable = true;
  if (f.shmSize !== undefined) {
    const n = parseRamSize(f.shmSize, '--shm-size');
    if (n <= 0) throw flagError('--shm-size', f.shmSize, 'the size must be greater than 0', 'e.g. --shm-size 128m');
    x.ShmSize = n;
  }
  return x;
}
