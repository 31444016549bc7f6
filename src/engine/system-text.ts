// The text of `skiff version`, `skiff info` and `skiff system df [-v]`, laid out as the docker CLI lays
// out the same documents (docker/cli's version template, its info printer, its disk-usage formatter),
// or a --format template / `json` over the same fields.
import { clientVersion, diskUsage, engineInfo, serverVersion, type DiskUsage } from './system-info.js';
import { compileTemplate, parseFormat } from '../format/template.js';
import { alignTabs } from '../format/table.js';
import { bytesSize, humanSize } from '../format/size.js';
import { ago } from '../format/duration.js';
import { commandColumn, shortId } from '../format/truncate.js';

/** A user's --format over one document: `json`, or a Go template (one line). */
function formatted(format: string, doc: unknown): string {
  if (format === 'json') return JSON.stringify(doc) + '\n';
  return compileTemplate(parseFormat(format).body, { missing: 'error' }).render(doc) + '\n';
}

/** tabwriter.NewWriter(out, 20, 1, 1, ' ', 0) as docker version uses it: key cells at least 20 wide. */
function keyed(rows: Array<[string, string]>): string {
  const w = Math.max(20, ...rows.map(([k]) => k.length + 1));
  return rows.map(([k, v]) => `${k}${' '.repeat(w - k.length)}${v}`.trimEnd() + '\n').join('');
}

export function versionText(format?: string): string {
  const client = clientVersion();
  const server = serverVersion() as { Platform: { Name: string }; Components: Array<{ Name: string; Version: string; Details: Record<string, string> }> };
  if (format) return formatted(format, { Client: client, Server: server });
  const c = client as Record<string, string>;
  let out = `Client: ${(client.Platform as { Name: string }).Name}\n` + keyed([
    [' Version:', c.Version!], [' API version:', c.ApiVersion!], [' Node.js version:', process.version], [' Git commit:', c.GitCommit!],
    [' Built:', c.BuildTime!], [' OS/Arch:', `${c.Os}/${c.Arch}`], [' Context:', c.Context!],
  ]);
  out += `\nServer: ${server.Platform.Name}\n`;
  for (const comp of server.Components) {
    out += ` ${comp.Name}:\n`;
    const d = comp.Details;
    out += comp.Name === 'Engine'
      ? keyed([['  Version:', comp.Version], ['  API version:', `${d.ApiVersion} (minimum version ${d.MinAPIVersion})`], ['  Node.js version:', process.version],
        ['  Git commit:', d.GitCommit!], ['  Built:', d.BuildTime!], ['  OS/Arch:', `${d.Os}/${d.Arch}`], ['  Experimental:', d.Experimental!]])
      : keyed([['  Version:', comp.Version], ...Object.keys(d).sort().map((k): [string, string] => [`  ${k}:`, d[k]!])]);
  }
  return out;
}

/** `skiff info`: the client lines, then the server's as docker/cli's prettyPrintServerInfo writes them. */
export async function infoText(format?: string): Promise<{ stdout: string; stderr: string }> {
  const info = await engineInfo() as Record<string, any>;
  const clientInfo = { Version: clientVersion().Version, Context: 'default', Debug: false, Plugins: [], Warnings: null };
  if (format) return { stdout: formatted(format, { ...info, ClientInfo: clientInfo }), stderr: '' };
  const l: string[] = ['Client:', ` Version:    ${clientInfo.Version}`, ' Context:    default', ' Debug Mode: false', '', 'Server:'];
  l.push(` Containers: ${info.Containers}`, `  Running: ${info.ContainersRunning}`, `  Paused: ${info.ContainersPaused}`, `  Stopped: ${info.ContainersStopped}`);
  l.push(` Images: ${info.Images}`, ` Server Version: ${info.ServerVersion}`, ` Storage Driver: ${info.Driver}`);
  for (const [k, v] of info.DriverStatus as string[][]) l.push(`  ${k}: ${v}`);
  l.push(` Logging Driver: ${info.LoggingDriver}`, ` Cgroup Driver: ${info.CgroupDriver}`, ` Cgroup Version: ${info.CgroupVersion}`, ' Plugins:');
  l.push(`  Volume: ${info.Plugins.Volume.join(' ')}`, `  Network: ${info.Plugins.Network.join(' ')}`, `  Log: ${info.Plugins.Log.join(' ')}`);
  l.push(' Swarm: inactive', ` Runtimes: ${Object.keys(info.Runtimes).sort().join(' ')}`, ` Default Runtime: ${info.DefaultRuntime}`, ` Init Binary: ${info.InitBinary}`);
  l.push(` containerd version: ${info.ContainerdCommit.ID}`, ` runc version: ${info.RuncCommit.ID}`, ` init version: ${info.InitCommit.ID}`, ' Security Options:');
  for (const opt of info.SecurityOptions as string[]) {
    const kv = Object.fromEntries(opt.split(',').map((p) => p.split('=', 2) as [string, string]));
    l.push(`  ${kv.name}`);
    if (kv.profile) l.push(`   Profile: ${kv.profile}`);
  }
  l.push(` Kernel Version: ${info.KernelVersion}`, ` Operating System: ${info.OperatingSystem}`, ` OSType: ${info.OSType}`, ` Architecture: ${info.Architecture}`);
  l.push(` CPUs: ${info.NCPU}`, ` Total Memory: ${bytesSize(info.MemTotal)}`, ` Name: ${info.Name}`, ` ID: ${info.ID}`, ` Docker Root Dir: ${info.DockerRootDir}`);
  l.push(' Debug Mode: false', ' Experimental: false', ' Insecure Registries:', ...info.RegistryConfig.InsecureRegistryCIDRs.map((c: string) => `  ${c}`), ' Live Restore Enabled: false', '');
  const warnings = (info.Warnings as string[] | null) ?? [];
  return { stdout: l.join('\n') + '\n', stderr: warnings.map((w) => w + '\n').join('') };
}

/** `size (pct%)` as docker/cli's Reclaimable columns print it. */
function reclaimable(part: number, total: number): string {
  return total > 0 ? `${humanSize(part)} (${Math.floor((part * 100) / total)}%)` : humanSize(part);
}

interface DfRow { Type: string; TotalCount: string; Active: string; Size: string; Reclaimable: string }

function summaryRows(du: DiskUsage): DfRow[] {
  const imgUsed = du.Images.filter((i) => i.Containers > 0).reduce((n, i) => n + i.Size - i.SharedSize, 0);
  const active = (s: string) => s === 'running' || s === 'paused';
  const ctrSize = du.Containers.reduce((n, c) => n + c.SizeRw, 0);
  const ctrIdle = du.Containers.filter((c) => !active(c.State)).reduce((n, c) => n + c.SizeRw, 0);
  const volSize = du.Volumes.reduce((n, v) => n + Math.max(0, v.UsageData.Size), 0);
  const volIdle = du.Volumes.filter((v) => v.UsageData.RefCount === 0).reduce((n, v) => n + Math.max(0, v.UsageData.Size), 0);
  return [
    { Type: 'Images', TotalCount: String(du.Images.length), Active: String(du.Images.filter((i) => i.Containers > 0).length), Size: humanSize(du.LayersSize), Reclaimable: reclaimable(Math.max(0, du.LayersSize - imgUsed), du.LayersSize) },
    { Type: 'Containers', TotalCount: String(du.Containers.length), Active: String(du.Containers.filter((c) => active(c.State)).length), Size: humanSize(ctrSize), Reclaimable: reclaimable(ctrIdle, ctrSize) },
    { Type: 'Local Volumes', TotalCount: String(du.Volumes.length), Active: String(du.Volumes.filter((v) => v.UsageData.RefCount > 0).length), Size: humanSize(volSize), Reclaimable: reclaimable(volIdle, volSize) },
    { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
  ];
}

const DF_HEADERS: DfRow = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

export async function dfText(o: { verbose?: boolean; format?: string }, now = Date.now()): Promise<string> {
  const du = await diskUsage();
  if (o.verbose) return dfVerbose(du, now);
  const rows = summaryRows(du);
  let format = o.format || 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
  if (format === 'json') format = '{{json .}}';
  const spec = parseFormat(format);
  const tpl = compileTemplate(spec.body, { missing: 'error' });
  const lines = rows.map((r) => tpl.render(r));
  return spec.table ? alignTabs([tpl.render(DF_HEADERS), ...lines]) : lines.map((x) => x + '\n').join('');
}

function dfVerbose(du: DiskUsage, now: number): string {
  const created = (unix: number) => ago(new Date(unix * 1000).toISOString(), now);
  const images = du.Images.flatMap((i) => i.RepoTags.map((t) => {
    const cut = t.lastIndexOf(':');
    return [t.slice(0, cut), t.slice(cut + 1), shortId(i.Id), created(i.Created), humanSize(i.Size), humanSize(i.SharedSize), humanSize(i.Size - i.SharedSize), String(i.Containers)];
  }));
  const containers = du.Containers.map((c) => {
    const [path = '', ...args] = c.Command.split(' ');
    return [shortId(c.Id), c.Image, commandColumn(path, args, true), String(c.Mounts.length), humanSize(c.SizeRw), created(c.Created), c.Status, c.Names[0]!.slice(1)];
  });
  const volumes = du.Volumes.map((v) => [v.Name, String(v.UsageData.RefCount), humanSize(v.UsageData.Size)]);
  const table = (head: string[], rows: string[][]) => alignTabs([head, ...rows].map((r) => r.join('\t')));
  return 'Images space usage:\n\n' + table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], images)
    + '\nContainers space usage:\n\n' + table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], containers)
    + '\nLocal Volumes space usage:\n\n' + table(['VOLUME NAME', 'LINKS', 'SIZE'], volumes)
    + '\nBuild cache usage: 0B\n\n' + table(['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED'], []);
}
