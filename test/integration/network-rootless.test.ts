// The rootless crossing: an engine-like namespace (user + net, held by `sleep`, as the lead's holder
// does), slirp4netns (outbound, UDP ports) and skiff-portfwd (TCP ports) attached to it, published
// ports reaching it from the suite's netns, and the same bridge/veth/DNAT code working inside it. All
// inside namespaces the suite made.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itWhen, needRoot, needCommand, needUserns } from '../helpers/conditions.js';
import { assertSuiteNetns, makeHolder, ip, type NsHolder } from '../helpers/netns.js';
import { ask, startServer, type Server } from '../helpers/net-traffic.js';
import { ensureTestUser, runAs } from '../helpers/users.js';
import { startEngineUplink, stopEngineUplink, readUplink, type Uplink } from '../../src/network/rootless/uplink.js';
import { listForwards, publishPort, unpublishPort } from '../../src/network/rootless/publish.js';

const conds = [needRoot, needUserns, needCommand('slirp4netns'), needCommand('nsenter')];
const HOST_OUT = '198.18.0.254';
const OUTSIDE = '198.18.0.1';
const root = process.cwd();

let outside: NsHolder | undefined;
const holders: NsHolder[] = [];
const servers: Server[] = [];
const dirs: string[] = [];
const uplinks: Array<{ up: Uplink; run: string }> = [];
const enterEngine = (h: NsHolder) => ['-t', String(h.pid), '--user', '--net', '--preserve-credentials'];

function pidsOf(name: string): string[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
const slirpPids = () => pidsOf('slirp4netns');
/** Whether anything listens on TCP 127.0.0.1/0.0.0.0:port in this (the suite's) netns. */
function listening(port: number): boolean {
  return execFileSync('ss', ['-Htln', `sport = :${port}`], { encoding: 'utf8' }).trim() !== '';
}

/** A "container" netns inside the engine (owned by its user namespace): the child and its sleep's pid. */
async function containerIn(engine: NsHolder): Promise<[ChildProcess, number]> {
  const ctr = spawn('nsenter', [...enterEngine(engine), '--', 'unshare', '--net', 'sleep', 'infinity'], { stdio: 'ignore' });
  let ctrPid = 0;
  for (let i = 0; i < 200 && !ctrPid; i++) {
    await new Promise((r) => setTimeout(r, 10));
    try {
      ctrPid = Number(execFileSync('pgrep', ['-P', String(ctr.pid), '-x', 'sleep'], { encoding: 'utf8' }).trim()) || 0;
    } catch { /* not yet */ }
    if (!ctrPid) {
      try { if (execFileSync('cat', [`/proc/${ctr.pid}/comm`], { encoding: 'utf8' }).trim() === 'sleep') ctrPid = ctr.pid!; } catch { /* not yet */ }
    }
  }
  return [ctr, ctrPid];
}

describe('rootless network crossing (slirp4netns)', () => {
  beforeAll(async () => {
    if (conds.some((c) => c())) return;
    assertSuiteNetns();
    outside = await makeHolder();
    ip(['link', 'add', 'sk-rl-out', 'type', 'veth', 'peer', 'name', 'sk-rl-peer', 'netns', String(outside.pid)]);
    ip(['addr', 'add', `${HOST_OUT}/24`, 'dev', 'sk-rl-out']);
    ip(['link', 'set', 'sk-rl-out', 'up']);
    execFileSync('nsenter', ['-t', String(outside.pid), '--net', '--', 'sh', '-c', `ip link set lo up && ip addr add ${OUTSIDE}/24 dev sk-rl-peer && ip link set sk-rl-peer up`]);
    servers.push(await startServer(['-t', String(outside.pid), '--net'], OUTSIDE, 9000));
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const u of uplinks) stopEngineUplink(u.up, u.run); // a failed test must not leave slirp4netns running
    for (const h of holders) await h.kill();
    try { ip(['link', 'del', 'sk-rl-out']); } catch { /* gone */ }
    await outside?.kill();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  itWhen(conds, 'publishes and unpublishes a port into the engine namespace, and gives it a way out', async () => {
    const engine = await makeHolder({ user: true });
    holders.push(engine);
    const run = mkdtempSync(join(tmpdir(), 'skiff-rl-'));
    dirs.push(run);
    const up = await startEngineUplink(engine.pid, { run });
    uplinks.push({ up, run });
    expect(readUplink(run)).toEqual(up);
    const cfg = execFileSync('nsenter', [...enterEngine(engine), '--', 'ip', '-o', '-4', 'addr', 'show', 'tap0'], { encoding: 'utf8' });
    expect(cfg).toContain('10.0.2.100/24');
    const srv = await startServer(enterEngine(engine), '0.0.0.0', 18080);
    servers.push(srv);
    expect(up.portfwd).toBeDefined();
    const fwd = await publishPort(up, { hostIp: '127.0.0.1', hostPort: 18080, containerPort: 18080, proto: 'tcp' });
    expect(fwd.via).toBe('portfwd');
    expect((await listForwards(up)).map((e) => [e.host_port, e.via])).toEqual([[18080, 'portfwd']]);
    // skiff-portfwd connects from inside the engine netns: to an engine-local server, from its own address
    expect(ask([], '127.0.0.1', 18080)).toBe('10.0.2.100');
    // UDP stays with slirp4netns
    const udp = await publishPort(up, { hostIp: '127.0.0.1', hostPort: 18081, containerPort: 18081, proto: 'udp' });
    expect(udp.via).toBeUndefined();
    expect((await listForwards(up)).filter((e) => e.proto === 'udp').map((e) => e.host_port)).toEqual([18081]);
    await unpublishPort(up, udp);
    // the same port again is refused with EPORT
    await expect(publishPort(up, { hostIp: '127.0.0.1', hostPort: 18080, containerPort: 1, proto: 'tcp' })).rejects.toMatchObject({ code: 'EPORT' });
    // outbound: engine → outside through slirp4netns, seen as the suite netns's address
    expect(ask(enterEngine(engine), OUTSIDE, 9000)).toBe(HOST_OUT);
    await unpublishPort(up, fwd);
    expect(await listForwards(up)).toEqual([]);
    expect(ask([], '127.0.0.1', 18080)).toMatch(/^ERR/);
    stopEngineUplink(up, run);
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(join(run, 'uplink.json'))).toBe(false);
    expect(slirpPids()).not.toContain(String(up.pid));
    expect(pidsOf('skiff-portfwd')).not.toContain(String(up.portfwd!.pid));
    expect(existsSync(up.portfwd!.socket)).toBe(false);
  });

  itWhen(conds, 'runs the same bridge, veth and DNAT code inside the engine namespace: host → -p → container', async () => {
    const engine = await makeHolder({ user: true });
    holders.push(engine);
    const store = mkdtempSync(join(tmpdir(), 'skiff-rl-store-'));
    dirs.push(store);
    const up = await startEngineUplink(engine.pid, { run: join(store, 'run') });
    uplinks.push({ up, run: join(store, 'run') });
    // a "container" inside the engine: its netns is owned by the engine's user namespace
    const [ctr, ctrPid] = await containerIn(engine);
    const [ctr2, ctr2Pid] = await containerIn(engine);
    expect(ctrPid).toBeGreaterThan(0);
    expect(ctr2Pid).toBeGreaterThan(0);
    const id = 'c0'.repeat(32);
    const engineRun = (args: string[]) => JSON.parse(execFileSync('nsenter', [...enterEngine(engine), '--', process.execPath, '--import', 'tsx',
      join(root, 'test/fixtures/engine-net.mts'), ...args], { encoding: 'utf8', env: { ...process.env, SKIFF_ROOT: store }, cwd: root }).trim().split('\n').pop()!);
    try {
      const p = engineRun(['connect', id, `/proc/${ctrPid}/ns/net`, '18088:80', '80']);
      expect(p.error).toBeUndefined();
      expect(p.ip).toBe('172.17.0.2');
      expect(p.ports[0]).toEqual({ hostIp: '0.0.0.0', hostPort: 18088, containerPort: 80, proto: 'tcp' });
      const random = p.ports[1].hostPort as number; // -p 80: the forwarder picked it
      expect(random).toBeGreaterThanOrEqual(32768);
      // rootless links use slirp4netns's MTU: its cost is per packet
      expect(execFileSync('nsenter', ['-t', String(ctrPid), '--user', '--net', '--preserve-credentials', '--', 'ip', '-o', 'link', 'show', 'eth0'], { encoding: 'utf8' })).toContain('mtu 65520');
      const srv = await startServer(['-t', String(ctrPid), '--user', '--net', '--preserve-credentials'], '0.0.0.0', 80);
      servers.push(srv);
      // TCP goes through skiff-portfwd, bound in the host's (here: the suite's) netns
      expect(listening(18088)).toBe(true);
      expect((await listForwards(up)).map((e) => e.via)).toEqual(['portfwd', 'portfwd']);
      // a loopback client has no address the container could answer: it sees the engine's bridge
      expect(ask([], '127.0.0.1', 18088)).toBe('172.17.0.1');
      expect(ask([], '127.0.0.1', random)).toBe('172.17.0.1');
      // a client from elsewhere keeps its address
      expect(ask(['-t', String(outside!.pid), '--net'], HOST_OUT, 18088)).toBe(OUTSIDE);
      // container → outside: MASQUERADE in the engine, then slirp4netns
      expect(ask(['-t', String(ctrPid), '--user', '--net', '--preserve-credentials'], OUTSIDE, 9000)).toBe(HOST_OUT);
      // the same host port for a second container: the clear error, and nothing of it left behind
      const second = engineRun(['connect', 'c1'.repeat(32), `/proc/${ctr2Pid}/ns/net`, '18088:81']);
      expect(second).toMatchObject({ code: 'EPORT', error: expect.stringContaining('18088/tcp is already in use') });
      expect((await listForwards(up)).length).toBe(2);
      expect(engineRun(['release', id])).toEqual({});
      expect(ask([], '127.0.0.1', 18088)).toMatch(/^ERR/);
      expect(await listForwards(up)).toEqual([]);
      // rm freed the host port: anyone may bind it again
      expect(listening(18088)).toBe(false);
      const again = await startServer([], '0.0.0.0', 18088);
      await again.stop();
      const links = execFileSync('nsenter', [...enterEngine(engine), '--', 'ip', '-o', 'link'], { encoding: 'utf8' });
      expect(links).not.toContain('veth');
    } finally {
      ctr.kill('SIGKILL');
      ctr2.kill('SIGKILL');
      stopEngineUplink(up, join(store, 'run'));
    }
  });

  itWhen([...conds, needCommand('setpriv')], 'works for an unprivileged user: slirp4netns joins the user namespace it owns', async () => {
    const user = ensureTestUser(true);
    const run = mkdtempSync(join(tmpdir(), 'skiff-rl-user-'));
    dirs.push(run);
    chmodSync(run, 0o777);
    const engine = await makeHolder({ user: true, runAs: { uid: user.uid, gid: user.gid } });
    holders.push(engine);
    const node = (args: string[]) => runAs(user, process.execPath, ['--import', join(root, 'node_modules/tsx/dist/loader.mjs'), join(root, 'test/fixtures/uplink.mts'), ...args]);
    const started = node(['start', String(engine.pid), run]);
    expect(started.stderr).toBe('');
    const up = JSON.parse(started.stdout);
    uplinks.push({ up, run });
    try {
      const owner = execFileSync('stat', ['-c', '%u', `/proc/${up.pid}`], { encoding: 'utf8' }).trim();
      expect(Number(owner)).toBe(user.uid);
      const srv = await startServer(enterEngine(engine), '0.0.0.0', 18090);
      servers.push(srv);
      // the forwarder's host half runs as the user, in the host's user namespace
      expect(Number(execFileSync('stat', ['-c', '%u', `/proc/${up.portfwd.pid}`], { encoding: 'utf8' }).trim())).toBe(user.uid);
      const pub = node(['publish', run, '127.0.0.1', '18090']);
      expect(pub.status).toBe(0);
      expect(ask([], '127.0.0.1', 18090)).toBe('10.0.2.100');
      // a port another process holds: the clear error
      const taken = await startServer([], '127.0.0.1', 18091);
      servers.push(taken);
      const busy = node(['publish', run, '127.0.0.1', '18091']);
      expect(busy.status).not.toBe(0);
      expect(JSON.parse(busy.stderr.trim().split('\n').pop()!)).toMatchObject({ code: 'EPORT', message: expect.stringContaining('already in use') });
      // an unprivileged user may not publish a privileged port; the error says how to allow it
      const priv = node(['publish', run, '127.0.0.1', '81']);
      expect(priv.status).not.toBe(0);
      const err = JSON.parse(priv.stderr.trim().split('\n').pop()!);
      expect(err).toMatchObject({ code: 'EPORT', message: expect.stringContaining('privileged'), hint: expect.stringContaining('ip_unprivileged_port_start=81') });
    } finally {
      node(['stop', run]);
    }
  });

  itWhen(conds, 'slirp4netns and skiff-portfwd end when the engine holder dies (they would otherwise keep the netns alive)', async () => {
    const engine = await makeHolder({ user: true });
    holders.push(engine);
    const run = mkdtempSync(join(tmpdir(), 'skiff-rl-exit-'));
    dirs.push(run);
    const up = await startEngineUplink(engine.pid, { run });
    uplinks.push({ up, run });
    expect(slirpPids()).toContain(String(up.pid));
    expect(pidsOf('skiff-portfwd')).toContain(String(up.portfwd!.pid));
    await publishPort(up, { hostIp: '127.0.0.1', hostPort: 18092, containerPort: 18092, proto: 'tcp' });
    expect(listening(18092)).toBe(true);
    await engine.kill();
    let gone = false;
    for (let i = 0; i < 60 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      gone = !slirpPids().includes(String(up.pid)) && pidsOf('skiff-portfwd').every((p) => p !== String(up.portfwd!.pid));
    }
    expect(gone).toBe(true);
    // the crash left no host port bound
    expect(listening(18092)).toBe(false);
    expect(existsSync(`/proc/${up.watcherPid}/exe`) && execFileSync('cat', [`/proc/${up.watcherPid}/comm`], { encoding: 'utf8' }).trim() === 'sh').toBe(false);
  });
});
