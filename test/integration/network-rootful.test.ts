// Rootful bridge networking end to end, inside namespaces the suite made:
//   suite netns  (the "host": skiff0, nft table ip skiff, 198.18.0.254 towards "outside")
//   outside      (198.18.0.1, a benchmark-range address in a netns of its own)
//   containers   (`unshare --net sleep` holders)
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itWhen, needRoot, needCommand, needFile } from '../helpers/conditions.js';
import { assertSuiteNetns, makeHolder, ip, type NsHolder } from '../helpers/netns.js';
import { ask, startServer, type Server } from '../helpers/net-traffic.js';
import { resetStorePathsCache } from '../../src/state/paths.js';

const conds = [needRoot, needCommand('nsenter'), needCommand('ip'), needFile('/usr/lib/x86_64-linux-gnu/libnftables.so.1')];
const ID1 = 'a1'.repeat(32);
const ID2 = 'b2'.repeat(32);
const HOST_OUT = '198.18.0.254';
const OUTSIDE = '198.18.0.1';

let store: string;
let outside: NsHolder | undefined;
const holders: NsHolder[] = [];
const servers: Server[] = [];
type Net = typeof import('../../src/network/index.js');
let net: Net;

function vethLinks(): string[] {
  return ip(['-o', 'link', 'show']).split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '').filter((n) => n.startsWith('veth'));
}
/** Link names (state flags change on their own, e.g. the bridge's carrier once its last port is gone). */
function linkNames(): string {
  return ip(['-o', 'link', 'show']).split('\n').map((l) => l.split(':')[1]?.trim() ?? '').filter(Boolean).sort().join(' ');
}
/** Addresses by link (an IPv6 address's DAD state — tentative, then not — changes on its own). */
function addresses(): string {
  return ip(['-o', 'addr', 'show']).split('\n').map((l) => l.split(/\s+/).slice(1, 4).join(' ')).filter(Boolean).sort().join('\n');
}
function skiffRules(): string {
  try {
    return execFileSync('nft', ['list', 'table', 'ip', 'skiff'], { encoding: 'utf8' });
  } catch {
    return '';
  }
}
const enter = (h: NsHolder) => ['-t', String(h.pid), '--net'];

describe('rootful bridge networking', () => {
  beforeAll(async () => {
    if (conds.some((c) => c())) return;
    assertSuiteNetns();
    store = mkdtempSync(join(tmpdir(), 'skiff-net-'));
    process.env.SKIFF_ROOT = store;
    resetStorePathsCache();
    net = await import('../../src/network/index.js');
    outside = await makeHolder();
    ip(['link', 'add', 'sk-out', 'type', 'veth', 'peer', 'name', 'sk-out-peer', 'netns', String(outside.pid)]);
    ip(['addr', 'add', `${HOST_OUT}/24`, 'dev', 'sk-out']);
    ip(['link', 'set', 'sk-out', 'up']);
    execFileSync('nsenter', [...enter(outside), '--', 'sh', '-c', `ip link set lo up && ip addr add ${OUTSIDE}/24 dev sk-out-peer && ip link set sk-out-peer up`]);
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const h of holders) await h.kill();
    if (net) {
      await net.releaseNetwork(ID1).catch(() => undefined);
      await net.releaseNetwork(ID2).catch(() => undefined);
    }
    try { ip(['link', 'del', 'sk-out']); } catch { /* gone with its peer */ }
    await outside?.kill();
    if (store) rmSync(store, { recursive: true, force: true });
    delete process.env.SKIFF_ROOT;
    resetStorePathsCache();
  });

  itWhen(conds, 'connects containers, publishes ports, NATs out, and releases everything', async () => {
    const c1 = await makeHolder();
    const c2 = await makeHolder();
    holders.push(c1, c2);
    const p1 = await net.prepareNetwork({ id: ID1, name: 'web', hostname: ID1.slice(0, 12), mode: 'bridge', ports: [net.parsePortSpec('8088:80')] });
    const p2 = await net.prepareNetwork({ id: ID2, name: 'client', hostname: ID2.slice(0, 12), mode: 'bridge', ports: [] });
    expect(p1).toMatchObject({ ip: '172.17.0.2', gateway: '172.17.0.1', prefixLen: 16, mac: '02:42:ac:11:00:02' });
    expect(p2.ip).toBe('172.17.0.3');
    expect(net.formatPorts(p1.ports)).toBe('0.0.0.0:8088->80/tcp');
    for (const f of Object.values(p1.files)) expect(existsSync(f)).toBe(true);
    // nothing kernel-side before connect
    expect(vethLinks()).toEqual([]);

    await net.connectNetwork(ID1, c1.netns);
    await net.connectNetwork(ID2, c2.netns);
    expect(vethLinks().sort()).toEqual([`veth${ID1.slice(0, 7)}`, `veth${ID2.slice(0, 7)}`]);
    const inside = execFileSync('nsenter', [...enter(c1), '--', 'ip', '-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
    expect(inside).toMatch(/eth0\s+inet 172\.17\.0\.2\/16 brd 172\.17\.255\.255/);
    expect(execFileSync('nsenter', [...enter(c1), '--', 'ip', 'route'], { encoding: 'utf8' })).toContain('default via 172.17.0.1 dev eth0');

    servers.push(await startServer(enter(c1), '0.0.0.0', 80));
    servers.push(await startServer(enter(outside!), OUTSIDE, 9000));

    // host → container directly
    expect(ask([], '172.17.0.2', 80)).toBe('172.17.0.1');
    // host → published port, via localhost and via the host's own address (output chain)
    expect(ask([], '127.0.0.1', 8088)).toBe('172.17.0.1');
    expect(ask([], HOST_OUT, 8088)).toBe(HOST_OUT);
    // outside → published port: DNAT keeps the client's address
    expect(ask(enter(outside!), HOST_OUT, 8088)).toBe(OUTSIDE);
    // container → outside: MASQUERADE makes it the host's address
    expect(ask(enter(c1), OUTSIDE, 9000)).toBe(HOST_OUT);
    // container → container, directly and through the published port (hairpin)
    expect(ask(enter(c2), '172.17.0.2', 80)).toBe('172.17.0.3');
    expect(ask(enter(c2), HOST_OUT, 8088)).toMatch(/^172\.17\.0\.1$/);
    expect(ask(enter(c2), '172.17.0.1', 8088)).toBe('172.17.0.1');

    expect(skiffRules()).toContain(ID1);
    await net.releaseNetwork(ID1);
    await net.releaseNetwork(ID1); // idempotent
    await net.releaseNetwork(ID2);
    expect(vethLinks()).toEqual([]);
    expect(skiffRules()).not.toContain(ID1);
    expect(skiffRules()).toContain('skiff-base'); // other rules untouched
    expect(ask([], '127.0.0.1', 8088)).toMatch(/^ERR/);
    expect(existsSync(p1.files.hosts)).toBe(false);
    const { Ipam } = await import('../../src/network/ipam.js');
    expect(await new Ipam().list()).toEqual({});
  });

  itWhen(conds, 'refuses a port in use (by a socket or by another container) and leaves nothing behind', async () => {
    const { SkiffError } = await import('../../src/errors.js');
    const squatter = await startServer([], '0.0.0.0', 8099);
    servers.push(squatter);
    const linksBefore = linkNames();
    await expect(net.prepareNetwork({ id: ID1, name: 'x', hostname: 'x', mode: 'bridge', ports: [net.parsePortSpec('8099:80')] }))
      .rejects.toMatchObject({ code: 'EPORT', message: expect.stringContaining('already in use') });
    await squatter.stop();
    // published by another container: no socket is bound, the record must catch it
    await net.prepareNetwork({ id: ID2, name: 'y', hostname: 'y', mode: 'bridge', ports: [net.parsePortSpec('8100:80')] });
    const e = await net.prepareNetwork({ id: ID1, name: 'x', hostname: 'x', mode: 'bridge', ports: [net.parsePortSpec('127.0.0.1:8100:80')] }).catch((x) => x);
    expect(e).toBeInstanceOf(SkiffError);
    expect(e.code).toBe('EPORT');
    expect(existsSync(net.networkFilesDir(ID1))).toBe(false);
    const { Ipam } = await import('../../src/network/ipam.js');
    expect(Object.keys(await new Ipam().list())).toEqual([ID2]);
    await net.releaseNetwork(ID2);
    expect(linkNames()).toBe(linksBefore);
    expect(skiffRules()).not.toMatch(/dnat to/);
  });

  itWhen(conds, 'random host port (-p 80) gets a free port and works', async () => {
    const c = await makeHolder();
    holders.push(c);
    const p = await net.prepareNetwork({ id: ID1, name: 'r', hostname: 'r', mode: 'bridge', ports: [net.parsePortSpec('80')] });
    expect(p.ports[0]!.hostPort).toBeGreaterThan(1023);
    await net.connectNetwork(ID1, c.netns);
    const s = await startServer(enter(c), '0.0.0.0', 80);
    servers.push(s);
    expect(ask([], '127.0.0.1', p.ports[0]!.hostPort)).toBe('172.17.0.1');
    expect(await net.containerPorts(ID1)).toEqual(p.ports);
    await s.stop();
    await net.releaseNetwork(ID1);
  });

  itWhen(conds, '50 connect/release cycles leave zero links, addresses, rules and allocations', async () => {
    const { Ipam } = await import('../../src/network/ipam.js');
    const links = linkNames();
    const addrs = addresses();
    const rulesBefore = skiffRules();
    for (let i = 0; i < 50; i++) {
      const id = i.toString(16).padStart(2, '0').repeat(32);
      const h = await makeHolder();
      try {
        await net.prepareNetwork({ id, name: `c${i}`, hostname: id.slice(0, 12), mode: 'bridge', ports: [net.parsePortSpec(`${9100 + (i % 5)}:80`)] });
        await net.connectNetwork(id, h.netns);
        if (i % 10 === 0) expect(ask([], '172.17.0.1', 9100 + (i % 5))).toMatch(/^ERR ECONNREFUSED/); // DNATed, nobody listening
      } finally {
        await net.releaseNetwork(id);
        await h.kill();
      }
    }
    expect(linkNames()).toBe(links);
    expect(addresses()).toBe(addrs);
    expect(skiffRules()).toBe(rulesBefore);
    expect(await new Ipam().list()).toEqual({});
  }, 180_000);

  itWhen(conds, 'netlink primitives: rename, move by netns fd, get by name, delete', async () => {
    const { withNetlink } = await import('../../src/kernel/netlink-socket.js');
    const L = await import('../../src/kernel/netlink-links.js');
    const h = await makeHolder();
    holders.push(h);
    withNetlink((nl) => {
      L.addVethPair(nl, 'sk-t0', { name: 'sk-t1' });
      const t1 = L.getLink(nl, 'sk-t1')!;
      L.renameLink(nl, t1.index, 'sk-moved');
      expect(L.getLink(nl, 'sk-t1')).toBeUndefined();
      L.moveToNetns(nl, L.getLink(nl, 'sk-moved')!.index, h.netns);
      expect(L.getLink(nl, 'sk-moved')).toBeUndefined();
    });
    const there = withNetlink((nl) => L.getLink(nl, 'sk-moved'), h.netns);
    expect(there?.name).toBe('sk-moved');
    withNetlink((nl) => {
      expect(L.deleteLinkIfExists(nl, 'sk-t0')).toBe(true);
      expect(L.deleteLinkIfExists(nl, 'sk-t0')).toBe(false);
    });
    expect(withNetlink((nl) => L.getLink(nl, 'sk-moved'), h.netns)).toBeUndefined();
  });

  itWhen(conds, 'publishes UDP ports too', async () => {
    const c = await makeHolder();
    holders.push(c);
    await net.prepareNetwork({ id: ID1, name: 'u', hostname: 'u', mode: 'bridge', ports: [net.parsePortSpec('5353:53/udp')] });
    await net.connectNetwork(ID1, c.netns);
    const echo = spawn('nsenter', [...enter(c), '--', process.execPath, '-e',
      "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('pong '+m,r.port,r.address));s.bind(53,()=>console.log('ready'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
    servers.push({ child: echo, stop: async () => { echo.kill('SIGKILL'); } });
    await new Promise((r) => echo.stdout!.once('data', r));
    const reply = execFileSync(process.execPath, ['-e',
      "const s=require('dgram').createSocket('udp4');s.on('message',(m)=>{console.log(String(m));process.exit(0)});s.send('ping',5353,'127.0.0.1');setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},3000)"], { encoding: 'utf8' }).trim();
    expect(reply).toBe('pong ping');
    echo.kill('SIGKILL');
    await net.releaseNetwork(ID1);
    expect(skiffRules()).not.toContain(ID1);
  });

  itWhen(conds, '--network none and host: the /etc files, no address, no link, no rule', async () => {
    const linksBefore = linkNames();
    const none = await net.prepareNetwork({ id: ID1, name: 'n', hostname: 'nohost', mode: 'none', ports: [net.parsePortSpec('8111:80')] });
    expect(none.ip).toBeUndefined();
    expect(none.ports).toEqual([]);
    expect(readFileSync(none.files.hosts, 'utf8')).not.toContain('nohost');
    expect(readFileSync(none.files.hostname, 'utf8')).toBe('nohost\n');
    const h = await makeHolder();
    holders.push(h);
    await net.connectNetwork(ID1, h.netns); // nothing to do
    expect(linkNames()).toBe(linksBefore);
    const host = await net.prepareNetwork({ id: ID2, name: 'h', hostname: 'hosty', mode: 'host', ports: [] });
    expect(host.ip).toBeUndefined();
    await net.releaseNetwork(ID1);
    await net.releaseNetwork(ID2);
    expect(existsSync(none.files.hosts)).toBe(false);
    expect(skiffRules()).not.toContain('8111');
  });

  itWhen(conds, 'reconcileNetworks releases networks whose containers are gone (crash recovery)', async () => {
    const a = await makeHolder();
    const b = await makeHolder();
    holders.push(a, b);
    await net.prepareNetwork({ id: ID1, name: 'a', hostname: 'a', mode: 'bridge', ports: [net.parsePortSpec('8120:80')] });
    await net.prepareNetwork({ id: ID2, name: 'b', hostname: 'b', mode: 'bridge', ports: [net.parsePortSpec('8121:80')] });
    await net.connectNetwork(ID1, a.netns);
    await net.connectNetwork(ID2, b.netns);
    expect(await net.reconcileNetworks([ID2])).toEqual([ID1]);
    expect(vethLinks()).toEqual([`veth${ID2.slice(0, 7)}`]);
    expect(skiffRules()).not.toContain(ID1);
    expect(skiffRules()).toContain(ID2);
    await net.releaseNetwork(ID2);
    expect(vethLinks()).toEqual([]);
  });

  itWhen(conds, 'a connect that fails half-way leaves no veth and no rule', async () => {
    const linksBefore = linkNames();
    await net.prepareNetwork({ id: ID1, name: 'f', hostname: 'f', mode: 'bridge', ports: [net.parsePortSpec('8130:80')] });
    // not a network namespace: the veth peer cannot be created there
    await expect(net.connectNetwork(ID1, '/proc/self/ns/uts')).rejects.toMatchObject({ code: 'EKERNEL' });
    expect(linkNames().replace(' skiff0', '')).toBe(linksBefore.replace(' skiff0', ''));
    expect(vethLinks()).toEqual([]);
    expect(skiffRules()).not.toContain(ID1);
    await net.releaseNetwork(ID1);
  });

  itWhen(conds, 'the release after an exit (processes gone) leaves no link, rule, address or file behind', async () => {
    const { Ipam } = await import('../../src/network/ipam.js');
    const linksBefore = linkNames().replace(' skiff0', '');
    const plain = await makeHolder();
    const published = await makeHolder();
    const p1 = await net.prepareNetwork({ id: ID1, name: 'x1', hostname: 'x1', mode: 'bridge', ports: [] });
    const p2 = await net.prepareNetwork({ id: ID2, name: 'x2', hostname: 'x2', mode: 'bridge', ports: [net.parsePortSpec('8140:80')] });
    await net.connectNetwork(ID1, plain.netns);
    await net.connectNetwork(ID2, published.netns);
    expect(vethLinks().sort()).toEqual([`veth${ID1.slice(0, 7)}`, `veth${ID2.slice(0, 7)}`].sort());
    expect(skiffRules()).toContain(ID2);
    // The containers end: their namespaces go, and the kernel takes their veth pairs with them.
    await plain.kill();
    await published.kill();
    await net.releaseNetwork(ID1, { processesGone: true });
    await net.releaseNetwork(ID2, { processesGone: true });
    expect(await new Ipam().list()).toEqual({});
    expect(existsSync(p1.files.hosts)).toBe(false);
    expect(existsSync(p2.files.hosts)).toBe(false);
    expect(skiffRules()).not.toContain(ID2);
    expect(skiffRules()).not.toContain('8140');
    // The kernel's teardown of a dead namespace runs in a worker thread: wait for it (not a timing assertion).
    for (let i = 0; i < 100 && vethLinks().length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(vethLinks()).toEqual([]);
    expect(linkNames().replace(' skiff0', '')).toBe(linksBefore);
  });

  itWhen(conds, 'a release whose address another process already freed does not free the address its next owner got', async () => {
    const { Ipam } = await import('../../src/network/ipam.js');
    const h = await makeHolder();
    holders.push(h);
    const mine = await net.prepareNetwork({ id: ID1, name: 's1', hostname: 's1', mode: 'bridge', ports: [] });
    await net.connectNetwork(ID1, h.netns);
    // Another process (a supervisor's cleanup) released it, and a new container got the same address.
    const other = new Ipam();
    expect(await other.release(ID1)).toBe(true);
    expect(await other.allocate(ID2)).toBe(mine.ip);
    await net.releaseNetwork(ID1, { processesGone: true });
    expect((await other.list())[ID2]?.ip).toBe(mine.ip);
    await net.releaseNetwork(ID2);
    expect(await other.list()).toEqual({});
  });

  itWhen(conds, 'priming the bridge path ahead changes nothing: no link, address, rule or store file', async () => {
    const links = linkNames();
    const addrs = addresses();
    const rules = skiffRules();
    const { readdirSync } = await import('node:fs');
    const storeBefore = readdirSync(store).sort();
    net.primeNetwork();
    expect(linkNames()).toBe(links);
    expect(addresses()).toBe(addrs);
    expect(skiffRules()).toBe(rules);
    expect(readdirSync(store).sort()).toEqual(storeBefore);
  });
});
