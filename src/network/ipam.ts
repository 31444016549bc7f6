// Address management for the bridge network: one IPv4 address per container, persisted in
// <store>/network/ipam.json and changed only under a lock, so two CLIs never hand out the same
// address. The lowest free address is handed out, as Docker's IPAM does (libnetwork's bitmask SetAny
// without the serial option): a freed address is reused first, and `run` after `rm` gets the same one.
import { join } from 'node:path';
import { cidrString, formatIPv4, parseCidr, type Cidr } from './ipv4.js';
import { SkiffError } from '../errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { storePaths } from '../state/paths.js';
import type { PortBinding } from './port-spec.js';

export const DEFAULT_SUBNET = '172.17.0.0/16';

export interface Allocation {
  ip: string; ports: PortBinding[]; mac?: string;
  /** Container name and hostname: what peers on a user-defined network resolve. */
  name?: string; hostname?: string;
  /** More names peers resolve (Docker's network aliases; compose's service name). */
  aliases?: string[];
  /** --add-host lines, kept when peers rewrite this container's /etc/hosts. */
  extraHosts?: Array<{ ip: string; names: string[] }>;
}

interface IpamFile { subnet: string; gateway: string; /** Written by older versions (round-robin); ignored. */ last?: string; allocations: Record<string, Allocation> }

export interface IpamOptions { file?: string; lockFile?: string; subnet?: string }

export class Ipam {
  readonly file: string;
  readonly lockFile: string;
  readonly range: Cidr;
  readonly gateway: string;
  readonly prefixLen: number;

  constructor(opts: IpamOptions = {}) {
    const p = opts.file && opts.lockFile ? undefined : storePaths();
    this.file = opts.file ?? join(p!.network, 'ipam.json');
    this.lockFile = opts.lockFile ?? join(p!.locks, 'network.lock');
    this.range = parseCidr(opts.subnet ?? DEFAULT_SUBNET);
    this.gateway = formatIPv4(this.range.first + 1);
    this.prefixLen = this.range.prefixLen;
  }

  private read(): IpamFile {
    const f = readJsonIfExists<IpamFile>(this.file);
    return f ?? { subnet: cidrString(this.range), gateway: this.gateway, allocations: {} };
  }

  private write(f: IpamFile): void {
    writeJsonAtomic(this.file, f, 0o600);
  }

  /** Everything held under the lock: read, change, write. */
  async update<R>(fn: (f: IpamFile) => R): Promise<R> {
    return withLock(this.lockFile, () => {
      const f = this.read();
      const r = fn(f);
      this.write(f);
      return r;
    });
  }

  /**
   * Every allocation. No lock: the file is only ever replaced whole (rename), so a read sees one
   * complete version; whoever changes it re-reads under the lock.
   */
  async list(): Promise<Record<string, Allocation>> {
    return this.read().allocations;
  }

  /** The container's address (the same one again if it already has one), with its names, in one update. */
  async allocate(id: string, ports: PortBinding[] = [], names: Pick<Allocation, 'name' | 'hostname' | 'aliases' | 'extraHosts'> = {}): Promise<string> {
    return (await this.claim(id, ports, names)).ip;
  }

  /** allocate, returning the whole record as written (its ports are the earlier ones if it had an address). */
  async claim(id: string, ports: PortBinding[] = [], names: Pick<Allocation, 'name' | 'hostname' | 'aliases' | 'extraHosts'> = {}): Promise<Allocation> {
    return this.update((f) => {
      const have = f.allocations[id];
      if (have) {
        Object.assign(have, names);
        return structuredClone(have);
      }
      const used = new Set(Object.values(f.allocations).map((a) => a.ip));
      // Docker's IPAM: the lowest free address, so a freed one is reused first.
      const first = this.range.first + 2; // .0 network, .1 gateway
      const last = this.range.last - 1; // broadcast
      for (let v = first; v <= last; v++) {
        const ip = formatIPv4(v);
        if (!used.has(ip)) {
          f.allocations[id] = { ip, ports, ...names };
          return structuredClone(f.allocations[id]);
        }
      }
      throw new SkiffError('ENETWORK', `no free address left in ${cidrString(this.range)}`, 'remove stopped containers (skiff container prune) to free addresses');
    });
  }

  async setPorts(id: string, ports: PortBinding[]): Promise<void> {
    await this.update((f) => {
      const a = f.allocations[id];
      if (a) a.ports = ports;
    });
  }

  /** Free the container's address; false when it had none (release is idempotent). */
  async release(id: string): Promise<boolean> {
    return this.update((f) => {
      if (!f.allocations[id]) return false;
      delete f.allocations[id];
      return true;
    });
  }

  /** After a crash: drop allocations whose containers no longer exist. Returns the freed ids. */
  async reconcile(liveIds: Iterable<string>): Promise<string[]> {
    const live = new Set(liveIds);
    return this.update((f) => {
      const gone = Object.keys(f.allocations).filter((id) => !live.has(id));
      for (const id of gone) delete f.allocations[id];
      return gone;
    });
  }
}
