// skiff's own nftables table, `ip skiff`: MASQUERADE for containers going out, DNAT for published
// ports. Nothing here touches any other table. Every per-container rule carries the container id as
// its comment, so release deletes exactly that container's rules (by handle) and nothing else.
//
//   prerouting  (nat, -100)  fib daddr type local [ip daddr H] tcp dport P dnat to C:p   # from outside and hairpin
//   output      (nat, -100)  same                                                       # from the host itself (localhost too)
//   postrouting (nat,  100)  ip saddr S oifname != BR masquerade                         # containers → world
//                            oifname BR ip saddr S ct status dnat masquerade             # hairpin: container → host port → container
//                            oifname BR ip saddr 127.0.0.0/8 masquerade                  # localhost → container (with route_localnet)
import { join } from 'node:path';
import { nft, type NftCommand } from '../kernel/nftables.js';
import { withLock } from '../state/lock.js';
import { storePaths } from '../state/paths.js';
import type { PortBinding } from './port-spec.js';

export const TABLE = 'skiff';
const FAMILY = 'ip';
const DEFAULT_BASE_TAG = 'skiff-base';

const t = { family: FAMILY, table: TABLE };
const tableObj = { family: FAMILY, name: TABLE };

const match = (left: unknown, right: unknown, op = '=='): unknown => ({ match: { op, left, right } });
const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
const prefix = (cidr: string) => {
  const [addr, len] = cidr.split('/');
  return { prefix: { addr, len: Number(len) } };
};
const rule = (chain: string, expr: unknown[], comment: string): NftCommand => ({ add: { rule: { ...t, chain, expr, comment } } });

export interface NatConfig {
  bridge: string; subnet: string; lockFile?: string;
  /** Comment on this network's MASQUERADE rules (user-defined networks each have their own). */
  baseTag?: string;
}

function natLock(cfg: NatConfig): string {
  return cfg.lockFile ?? join(storePaths().locks, 'nat.lock');
}

export interface NftRule { chain: string; handle: number; comment?: string; expr: unknown[] }

/** Every rule of skiff's table (empty when the table does not exist). */
export function listRules(): NftRule[] {
  let out;
  try {
    out = nft([{ list: { table: tableObj } }], `list table ${FAMILY} ${TABLE}`);
  } catch {
    return [];
  }
  return (out?.nftables ?? []).flatMap((o) => (o.rule ? [o.rule as NftRule] : []));
}

export function tableExists(): boolean {
  try {
    nft([{ list: { table: tableObj } }], `look for table ${FAMILY} ${TABLE}`);
    return true;
  } catch {
    return false;
  }
}

function baseRules(cfg: NatConfig): NftCommand[] {
  const oif = { meta: { key: 'oifname' } };
  const BASE_TAG = cfg.baseTag ?? DEFAULT_BASE_TAG;
  return [
    rule('postrouting', [match(payload('ip', 'saddr'), prefix(cfg.subnet)), match(oif, cfg.bridge, '!='), { masquerade: null }], BASE_TAG),
    rule('postrouting', [match(oif, cfg.bridge), match(payload('ip', 'saddr'), prefix(cfg.subnet)), match({ ct: { key: 'status' } }, 'dnat', 'in'), { masquerade: null }], BASE_TAG),
    rule('postrouting', [match(oif, cfg.bridge), match(payload('ip', 'saddr'), prefix('127.0.0.0/8')), { masquerade: null }], BASE_TAG),
  ];
}

/**
 * The rules of one chain of skiff's table (empty when it does not exist). libnftables then fetches
 * only that chain, not every container's DNAT rules: what a run pays stays the same with 200 of them.
 */
function listChainRules(chain: string): NftRule[] {
  let out;
  try {
    out = nft([{ list: { chain: { ...t, name: chain } } }], `list chain ${FAMILY} ${TABLE} ${chain}`);
  } catch {
    return [];
  }
  return (out?.nftables ?? []).flatMap((o) => (o.rule ? [o.rule as NftRule] : []));
}

/** Whether the network's MASQUERADE rules are in place: one listing of the chain that holds them, no lock (reading is atomic). */
export function natBasePresent(cfg: NatConfig): boolean {
  const tag = cfg.baseTag ?? DEFAULT_BASE_TAG;
  return listChainRules('postrouting').some((r) => r.comment === tag);
}

/** Table, chains and the base rules, once (idempotent; one atomic batch). */
export async function ensureNatBase(cfg: NatConfig): Promise<void> {
  const tag = cfg.baseTag ?? DEFAULT_BASE_TAG;
  // Every run after the first finds the rules in place.
  if (natBasePresent(cfg)) return;
  await withLock(natLock(cfg), () => {
    if (tableExists() && listRules().some((r) => r.comment === tag)) return;
    if (tableExists()) {
      // The table exists (another network made it): only this network's rules are missing.
      nft(baseRules(cfg), `MASQUERADE for ${cfg.subnet}`);
      return;
    }
    const chain = (name: string, hook: string, prio: number): NftCommand => ({ add: { chain: { ...t, name, type: 'nat', hook, prio, policy: 'accept' } } });
    nft([
      { add: { table: tableObj } },
      chain('prerouting', 'prerouting', -100),
      chain('output', 'output', -100),
      chain('postrouting', 'postrouting', 100),
      ...baseRules(cfg),
    ], `create table ${FAMILY} ${TABLE} with MASQUERADE for ${cfg.subnet}`);
  });
}

function dnatExpr(b: PortBinding, containerIp: string): unknown[] {
  const expr: unknown[] = [match({ fib: { result: 'type', flags: ['daddr'] } }, 'local')];
  if (b.hostIp !== '0.0.0.0') expr.push(match(payload('ip', 'daddr'), b.hostIp));
  expr.push(match(payload(b.proto, 'dport'), b.hostPort));
  expr.push({ dnat: { addr: containerIp, port: b.containerPort } });
  return expr;
}

/** DNAT rules for a container's published ports, tagged with its id. */
export async function addPortRules(cfg: NatConfig, id: string, containerIp: string, bindings: PortBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  await withLock(natLock(cfg), () => {
    nft(bindings.flatMap((b) => [rule('prerouting', dnatExpr(b, containerIp), id), rule('output', dnatExpr(b, containerIp), id)]),
      `DNAT ${bindings.map((b) => `${b.hostIp}:${b.hostPort}/${b.proto} → ${containerIp}:${b.containerPort}`).join(', ')} for ${id.slice(0, 12)}`);
  });
}

/** Delete exactly the rules tagged with `id`; returns how many went. Idempotent. */
export async function removeRulesFor(cfg: NatConfig, id: string): Promise<number> {
  return withLock(natLock(cfg), () => {
    const mine = listRules().filter((r) => r.comment === id);
    if (mine.length === 0) return 0;
    nft(mine.map((r) => ({ delete: { rule: { ...t, chain: r.chain, handle: r.handle } } })), `remove ${mine.length} NAT rules of ${id.slice(0, 12)}`);
    return mine.length;
  });
}

/** A user-defined network goes: its MASQUERADE rules go with it. */
export async function removeBaseRules(cfg: NatConfig): Promise<void> {
  const tag = cfg.baseTag ?? DEFAULT_BASE_TAG;
  await withLock(natLock(cfg), () => {
    if (!tableExists()) return;
    const mine = listRules().filter((r) => r.comment === tag);
    if (mine.length) nft(mine.map((r) => ({ delete: { rule: { ...t, chain: r.chain, handle: r.handle } } })), `remove MASQUERADE of ${cfg.subnet}`);
  });
}
