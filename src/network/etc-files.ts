// The three files Docker writes for every container and bind-mounts over the image's own:
// /etc/hosts, /etc/hostname, /etc/resolv.conf. They live on the host side (never inside the rootfs),
// so writing them never follows a symlink the image planted.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic.js';

export interface EtcFiles { hosts: string; hostname: string; resolvConf: string }

/** Docker's defaults when the host has no usable nameserver. */
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];
/** slirp4netns's built-in DNS forwarder: what a rootless container must use. */
export const SLIRP_DNS = '10.0.2.3';

export function hostsContent(hostname: string, ip?: string, extra: Array<{ ip: string; names: string[] }> = []): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const e of extra) lines.push(`${e.ip}\t${e.names.join(' ')}`);
  if (ip) lines.push(`${ip}\t${hostname}`);
  return lines.join('\n') + '\n';
}

/**
 * The host's resolv.conf as the container should see it: loopback nameservers (systemd-resolved's
 * 127.0.0.53, a local dnsmasq) cannot be reached from another netns, so Docker drops them and falls
 * back to public resolvers when none are left. Rootless containers use slirp4netns's forwarder.
 */
export function resolvConfContent(hostResolv: string, opts: { rootless?: boolean } = {}): string {
  const kept: string[] = [];
  let servers = 0;
  for (const line of hostResolv.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) {
      const ip = m[1]!;
      if (opts.rootless || ip.startsWith('127.') || ip === '::1' || ip.includes(':')) continue;
      servers++;
    }
    if (line.trim() !== '' || kept.length) kept.push(line);
  }
  while (kept.length && kept[kept.length - 1]!.trim() === '') kept.pop();
  const add = opts.rootless ? [SLIRP_DNS] : servers === 0 ? FALLBACK_NAMESERVERS : [];
  for (const ns of add) kept.push(`nameserver ${ns}`);
  return kept.join('\n') + '\n';
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

export interface EtcFilesRequest {
  dir: string;
  hostname: string;
  ip?: string;
  mode: 'bridge' | 'none' | 'host';
  rootless: boolean;
  hostResolvPath?: string;
  /** --add-host, --dns, --dns-search, --dns-option, --domainname. */
  custom?: EtcCustom;
}

export interface EtcCustom {
  extraHosts?: Array<{ ip: string; names: string[] }>;
  dns?: string[]; dnsSearch?: string[]; dnsOptions?: string[];
  domainname?: string;
}

/**
 * Docker's resolv.conf with --dns/--dns-search/--dns-option (libnetwork's resolvconf.Build): the search
 * line, the nameservers, the options — each from the flag when given, else the host's (as the container
 * would get them); a search of "." clears the list. Without any of these flags the file is as it was.
 */
export function customResolvConf(base: string, c: EtcCustom): string {
  if (!c.dns?.length && !c.dnsSearch?.length && !c.dnsOptions?.length) return base;
  const of = (kind: string) => base.split('\n').flatMap((l) => {
    const m = new RegExp(`^\\s*${kind}\\s+(.*)$`).exec(l);
    return m ? m[1]!.trim().split(/\s+/) : [];
  });
  const search = c.dnsSearch?.length ? c.dnsSearch.filter((d) => d !== '.') : of('search');
  const servers = c.dns?.length ? c.dns : of('nameserver');
  const options = c.dnsOptions?.length ? c.dnsOptions : of('options');
  const out: string[] = [];
  if (search.length) out.push(`search ${search.join(' ')}`);
  for (const ns of servers) out.push(`nameserver ${ns}`);
  if (options.length) out.push(`options ${options.join(' ')}`);
  return out.join('\n') + '\n';
}

/** Bind-mounted into the container, where any user (not only root) reads them; their parents stay 0700. */
const WORLD_READABLE = 0o644;

/** Write the files into `dir` (created 0700 … files 0644) and return their paths. */
export function writeEtcFiles(r: EtcFilesRequest): EtcFiles {
  mkdirSync(r.dir, { recursive: true, mode: 0o700 });
  const files: EtcFiles = { hosts: join(r.dir, 'hosts'), hostname: join(r.dir, 'hostname'), resolvConf: join(r.dir, 'resolv.conf') };
  const hostResolv = readOr(r.hostResolvPath ?? '/etc/resolv.conf', '');
  const c = r.custom ?? {};
  const extra = (c.extraHosts ?? []).map((e) => `${e.ip}\t${e.names.join(' ')}`).join('\n');
  // Docker writes "IP\thostname.domainname hostname" when a domain name is set.
  const fqdn = c.domainname ? `${r.hostname}.${c.domainname} ${r.hostname}` : r.hostname;
  if (r.mode === 'host') {
    // --network host shares the host's names too (--add-host lines come after them).
    const hosts = readOr('/etc/hosts', hostsContent(r.hostname));
    writeFileAtomic(files.hosts, extra ? `${hosts.replace(/\n?$/, '\n')}${extra}\n` : hosts, WORLD_READABLE);
    writeFileAtomic(files.resolvConf, customResolvConf(hostResolv || FALLBACK_NAMESERVERS.map((n) => `nameserver ${n}`).join('\n') + '\n', c), WORLD_READABLE);
  } else {
    writeFileAtomic(files.hosts, hostsContent(fqdn, r.ip, c.extraHosts ?? []), WORLD_READABLE);
    writeFileAtomic(files.resolvConf, customResolvConf(resolvConfContent(hostResolv, { rootless: r.rootless }), c), WORLD_READABLE);
  }
  writeFileAtomic(files.hostname, r.hostname + '\n', WORLD_READABLE);
  return files;
}

export function removeEtcFiles(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
