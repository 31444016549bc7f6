// `skiff ps`: the container list as Docker prints it — rows built like docker/cli's
// ContainerContext (every field a string), Docker's filters, the default table or a --format template.
import { listContainers } from '../state/liveness.js';
import { parseIsoMs, type ContainerRecord, type ContainerStatus, type PortBinding } from '../state/container-record.js';
import { ago } from '../format/duration.js';
import { statusText } from '../state/status-text.js';
import { commandColumn, shortId } from '../format/truncate.js';
import { alignTabs } from '../format/table.js';
import { compileTemplate, parseFormat } from '../format/template.js';
import { SkiffError } from '../errors.js';

export interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  noTrunc?: boolean;
  filters?: string[];
  format?: string;
  last?: number;
  latest?: boolean;
  /** `-s`: the writable layer's size and the image's beside it, as `0B (virtual 7.05MB)`. */
  size?: boolean;
}

export const DEFAULT_PS_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** What `{{.Field}}` sees for one container, and the header each field gets in a table. */
export interface PsRow {
  ID: string; Image: string; Command: string; CreatedAt: string; RunningFor: string; Ports: string;
  State: string; Status: string; Size: string; Names: string; Labels: string; Mounts: string; Networks: string; LocalVolumes: string;
}

const HEADERS: PsRow = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
  State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', LocalVolumes: 'LOCAL VOLUMES',
};

const STATUSES: ContainerStatus[] = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** Go's time.Time.String() in the local zone: `2026-11-25 12:00:00 +0000 UTC`. */
function goTimeString(iso: string): string {
  const d = new Date(parseIsoMs(iso));
  const off = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + off * 60_000).toISOString();
  const sign = off < 0 ? '-' : '+';
  const hhmm = `${String(Math.trunc(Math.abs(off) / 60)).padStart(2, '0')}${String(Math.abs(off) % 60).padStart(2, '0')}`;
  const zone = off === 0 ? 'UTC' : new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${local.slice(0, 10)} ${local.slice(11, 19)} ${sign}${hhmm} ${zone}`;
}

/**
 * docker/cli DisplayablePorts: ports sorted (private port, IP, public port, protocol); a run of exposed
 * ports, or of ports published on the same number, is one range (`7000-7001/tcp`,
 * `0.0.0.0:8080-8081->8080-8081/tcp`); a port published on another number is listed alone, after them
 * (`0.0.0.0:8090->80/tcp`).
 */
export function displayPorts(ports: Record<string, PortBinding[] | null>): string {
  const flat: Array<{ priv: number; ip: string; pub: number; type: string }> = [];
  for (const [spec, bindings] of Object.entries(ports)) {
    const [num, type = 'tcp'] = spec.split('/');
    if (!bindings || bindings.length === 0) flat.push({ priv: Number(num), ip: '', pub: 0, type });
    else for (const b of bindings) flat.push({ priv: Number(num), ip: b.HostIp || '0.0.0.0', pub: Number(b.HostPort) || 0, type });
  }
  flat.sort((a, b) => a.priv - b.priv || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0) || a.pub - b.pub || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [], mappings: string[] = [];
  const form = (key: string, g: { first: number; last: number }) => {
    const [ip, type] = key.includes('/') ? key.split('/') as [string, string] : ['', key];
    const range = g.first === g.last ? String(g.first) : `${g.first}-${g.last}`;
    return `${ip ? `${ip}:${range}->${range}` : range}/${type}`;
  };
  for (const p of flat) {
    let key = p.type;
    if (p.ip) {
      if (p.pub !== p.priv) {
        mappings.push(`${p.ip.includes(':') ? `[${p.ip}]` : p.ip}:${p.pub}->${p.priv}/${p.type}`);
        continue;
      }
      key = `${p.ip}/${p.type}`;
    }
    const g = groups.get(key);
    if (!g) { groups.set(key, { first: p.priv, last: p.priv }); continue; }
    if (p.priv === g.last + 1) { g.last = p.priv; continue; }
    result.push(form(key, g));
    // Map keeps the key's first insertion order, as Go's groupMapKeys does.
    groups.set(key, { first: p.priv, last: p.priv });
  }
  for (const [key, g] of groups) result.push(form(key, g));
  return [...result, ...mappings].join(', ');
}

/** Strip a digest from the reference the user gave, as ps does unless --no-trunc. */
function imageColumn(r: ContainerRecord, trunc: boolean): string {
  const ref = r.config.ImageRef || r.config.Image;
  if (!ref) return '<no image>';
  if (!trunc) return ref;
  if (/^sha256:[0-9a-f]{64}$/.test(ref)) return shortId(ref);
  return ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref;
}

export function psRow(r: ContainerRecord, trunc: boolean, now = Date.now()): PsRow {
  const labels = r.config.Config.Labels ?? {};
  return {
    ID: trunc ? shortId(r.config.Id) : r.config.Id,
    Image: imageColumn(r, trunc),
    Command: commandColumn(r.config.Path, r.config.Args, trunc),
    CreatedAt: goTimeString(r.config.Created),
    RunningFor: ago(r.config.Created, now),
    // A stopped container has no ports (Docker clears them when it stops), only a running one lists them.
    Ports: r.state.Running || r.state.Status === 'running' || r.state.Status === 'paused' ? displayPorts(r.state.NetworkSettings?.Ports ?? {}) : '',
    State: r.state.Status,
    Status: statusText(r.state, now),
    Size: '0B',
    Names: r.config.Name,
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    Mounts: (r.config.HostConfig.Binds ?? []).map((b) => b.split(':')[0]!).join(','),
    Networks: r.config.HostConfig.NetworkMode === 'default' ? 'bridge' : r.config.HostConfig.NetworkMode || 'bridge',
    LocalVolumes: '0',
  };
}

type Filter = (r: ContainerRecord) => boolean;

/** Docker's filters: values of one key are OR-ed, different keys AND-ed. */
function parseFilters(specs: string[]): { test: Filter; impliesAll: boolean } {
  const byKey = new Map<string, string[]>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new SkiffError('EUSAGE', `bad format of filter (expected name=value)`, `write it as -f status=exited`);
    const key = spec.slice(0, eq).toLowerCase();
    byKey.set(key, [...(byKey.get(key) ?? []), spec.slice(eq + 1)]);
  }
  const tests: Filter[] = [];
  for (const [key, values] of byKey) {
    if (key === 'status') {
      for (const v of values) if (!STATUSES.includes(v as ContainerStatus)) {
        throw new SkiffError('EUSAGE', `invalid filter 'status=${v}'`, `use one of: ${STATUSES.join(', ')}`);
      }
      tests.push((r) => values.includes(r.state.Status));
    } else if (key === 'name') {
      const res = values.map((v) => new RegExp(v.replace(/^\//, '')));
      tests.push((r) => res.some((re) => re.test(r.config.Name)));
    } else if (key === 'id') tests.push((r) => values.some((v) => r.config.Id.startsWith(v)));
    else if (key === 'exited') tests.push((r) => r.state.Status === 'exited' && values.some((v) => Number(v) === r.state.ExitCode));
    else if (key === 'label') {
      tests.push((r) => values.every((v) => {
        const [k, val] = v.split('=', 2) as [string, string | undefined];
        const have = r.config.Config.Labels?.[k];
        return have !== undefined && (val === undefined || have === val);
      }));
    } else if (key === 'ancestor') tests.push((r) => values.some((v) => r.config.ImageRef === v || r.config.Image === v || r.config.Image.startsWith(`sha256:${v}`)));
    else throw new SkiffError('EUSAGE', `invalid filter '${key}'`, 'supported filters: status, name, id, exited, label, ancestor');
  }
  return { test: (r) => tests.every((t) => t(r)), impliesAll: byKey.has('status') || byKey.has('exited') };
}

/** The containers `ps` shows (all, filters, last), newest first: the data behind the table and the Engine API's list. */
export async function psRecords(opts: Pick<PsOptions, 'all' | 'filters' | 'last' | 'latest'>): Promise<ContainerRecord[]> {
  const { test, impliesAll } = parseFilters(opts.filters ?? []);
  const last = opts.latest ? 1 : opts.last ?? -1;
  const all = opts.all || impliesAll || last > 0;
  const records = (await listContainers()).filter((r) => (all || r.state.Status === 'running' || r.state.Status === 'paused' || r.state.Status === 'restarting') && test(r));
  return last > 0 ? records.slice(0, last) : records;
}

/** The text `skiff ps` prints. */
export async function psText(opts: PsOptions, now = Date.now()): Promise<string> {
  const records = await psRecords(opts);
  const trunc = !opts.noTrunc;
  const table = opts.size ? `${DEFAULT_PS_FORMAT}\t{{.Size}}` : DEFAULT_PS_FORMAT;
  let format = opts.format || (opts.quiet ? '{{.ID}}' : table);
  if (format === 'json') format = '{{json .}}';
  if (format === 'table') format = table;
  const spec = parseFormat(format);
  const tpl = compileTemplate(spec.body, { missing: 'error' });
  const sizes = opts.size ? await sizeColumn() : undefined;
  const lines = records.map((r) => tpl.render(sortedRow({ ...psRow(r, trunc, now), ...(sizes ? { Size: sizes(r) } : {}) })));
  if (!spec.table) return lines.map((l) => l + '\n').join('');
  return alignTabs([tpl.render(HEADERS), ...lines]);
}

/** `{{json .}}` prints the row's keys sorted, as Go marshals a map. */
function sortedRow(row: PsRow): PsRow {
  return Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1))) as unknown as PsRow;
}

/** A container's sizes as moby reports them (`size=1`): its writable layer, and that plus its image. */
export interface ContainerSizes { SizeRw: number; SizeRootFs: number }

/**
 * What `ps -s` and the API's `size=1` count, one function for both so they never disagree: SizeRw is the
 * bytes of the container's upper dir, SizeRootFs adds its image's unpacked size — as `images` SIZE and
 * moby's SizeRootFs count it (not the download's).
 */
export async function containerSizer(): Promise<(r: ContainerRecord) => ContainerSizes> {
  const { diskUsage } = await import('./remove.js');
  const { getImage } = await import('../image/store.js');
  const { unpackedSize } = await import('../image/layers.js');
  return (r) => {
    const rw = diskUsage(r.config.Rootfs.upperDir);
    const img = getImage(r.config.Image);
    return { SizeRw: rw, SizeRootFs: rw + (img ? unpackedSize(img) : 0) };
  };
}

/** docker ps -s: `SizeRw (virtual SizeRootFs)` with three significant digits, as docker/cli prints them. */
async function sizeColumn(): Promise<(r: ContainerRecord) => string> {
  const sizes = await containerSizer();
  const { humanSizeWithPrecision } = await import('../format/size.js');
  return (r) => {
    const { SizeRw, SizeRootFs } = sizes(r);
    return `${humanSizeWithPrecision(SizeRw, 3)} (virtual ${humanSizeWithPrecision(SizeRootFs, 3)})`;
  };
}
