// The Engine API service with raw HTTP: moby's ping headers and versioned paths, its error shapes and
// statuses, the hijacked attach (101 + stdcopy frames) against wait/start as the docker CLI orders
// them, a socket only its owner can use, idle exit, and a client that disconnects from `logs -f`
// leaving nothing open behind. Root and rootless.
import { afterAll, describe, expect } from 'vitest';
import { request } from 'node:http';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { itWhen, needRoot, needCommand, needUserns } from '../helpers/conditions.js';
import { assertSuiteNetns } from '../helpers/netns.js';
import { skiffAs, tempStore, type Store } from '../helpers/skiff.js';
import { userStore } from '../helpers/engine.js';
import { ensureTestUser } from '../helpers/users.js';
import { api, labService, startService, type Service } from '../helpers/api-service.js';
import { allCapabilitiesMask } from '../helpers/capabilities.js';

const conds = [needRoot, needCommand('umoci')];

/** stdcopy frames → [stream, text] pairs. */
function unframe(buf: Buffer): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (let o = 0; o + 8 <= buf.length;) {
    const n = buf.readUInt32BE(o + 4);
    out.push([buf[o]!, buf.subarray(o + 8, o + 8 + n).toString()]);
    o += 8 + n;
  }
  return out;
}

/** POST attach with Upgrade: tcp, as the docker CLI does; resolves with everything until EOF. */
function attachUpgraded(socket: string, id: string): Promise<{ status: number; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method: 'POST', path: `/v1.50/containers/${id}/attach?stream=1&stdout=1&stderr=1`, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
    req.on('upgrade', (res, sock, head) => {
      const parts: Buffer[] = [head];
      sock.on('data', (d: Buffer) => parts.push(d));
      sock.on('end', () => resolve({ status: res.statusCode ?? 0, data: Buffer.concat(parts) }));
    });
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

async function runThroughApi(socket: string, cmd: string[], host: Record<string, unknown> = {}): Promise<{ frames: Array<[number, string]>; code: number }> {
  const created = await api(socket, 'POST', '/v1.50/containers/create', { Image: 'diamol/base', Cmd: cmd, HostConfig: { AutoRemove: true, NetworkMode: 'none', ...host } });
  expect(created.status).toBe(201);
  const id = JSON.parse(created.body).Id as string;
  const attached = attachUpgraded(socket, id);
  await new Promise((r) => setTimeout(r, 100));
  const waited = api(socket, 'POST', `/v1.50/containers/${id}/wait?condition=removed`);
  expect((await api(socket, 'POST', `/v1.50/containers/${id}/start`)).status).toBe(204);
  const a = await attached;
  expect(a.status).toBe(101);
  const w = await waited;
  expect(w.status).toBe(200);
  // --rm: gone once wait=removed answered
  expect((await api(socket, 'GET', `/containers/${id}/json`)).status).toBe(404);
  return { frames: unframe(a.data), code: JSON.parse(w.body).StatusCode };
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

describe('Engine API service (root)', () => {
  const lab = labService('skiff-api-', conds);

  itWhen(conds, 'ping answers GET and HEAD with Api-Version, Server and Ostype; paths are versioned 1.24–1.50', async () => {
    const s = lab.svc.socket;
    expect(statSync(s).mode & 0o777).toBe(0o600);
    for (const method of ['GET', 'HEAD']) {
      const r = await api(s, method, '/_ping');
      expect(r.status).toBe(200);
      expect(r.headers['api-version']).toBe('1.50');
      expect(r.headers.ostype).toBe('linux');
      expect(String(r.headers.server)).toMatch(/^skiff\//);
      expect(r.body).toBe(method === 'GET' ? 'OK' : '');
    }
    expect((await api(s, 'GET', '/v1.24/version')).status).toBe(200);
    expect(JSON.parse((await api(s, 'GET', '/v1.41/version')).body).ApiVersion).toBe('1.50');
    const tooNew = await api(s, 'GET', '/v1.51/version');
    expect(tooNew.status).toBe(400);
    expect(JSON.parse(tooNew.body).message).toBe('client version 1.51 is too new. Maximum supported API version is 1.50');
    expect((await api(s, 'GET', '/v1.23/version')).status).toBe(400);
  });

  itWhen(conds, 'errors carry moby\'s status and message', async () => {
    const s = lab.svc.socket;
    const none = await api(s, 'GET', '/v1.50/containers/nope/json');
    expect(none.status).toBe(404);
    expect(JSON.parse(none.body)).toEqual({ message: 'No such container: nope' });
    const noImage = await api(s, 'POST', '/v1.50/containers/create', { Image: 'busybox' });
    expect(noImage.status).toBe(404);
    expect(JSON.parse(noImage.body)).toEqual({ message: 'No such image: busybox:latest' });
    const unsupported = await api(s, 'POST', '/v1.50/containers/create', { Image: 'diamol/base', HostConfig: { PidMode: 'host', MemorySwappiness: -1 } });
    expect(unsupported.status).toBe(400);
    expect(JSON.parse(unsupported.body).message).toContain('HostConfig.PidMode');
    const first = await api(s, 'POST', '/v1.50/containers/create?name=taken', { Image: 'diamol/base', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } });
    expect(first.status).toBe(201);
    const again = await api(s, 'POST', '/v1.50/containers/create?name=taken', { Image: 'diamol/base' });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body).message).toContain('taken');
    // A failed kill carries moby's prefix with the name as typed: not running (409), no such container (404).
    const idle = await api(s, 'POST', '/v1.50/containers/taken/kill');
    expect(idle.status).toBe(409);
    expect(JSON.parse(idle.body)).toEqual({ message: `Cannot kill container: taken: Container ${JSON.parse(first.body).Id} is not running` });
    const noKill = await api(s, 'POST', '/v1.50/containers/nope/kill');
    expect(noKill.status).toBe(404);
    expect(JSON.parse(noKill.body)).toEqual({ message: 'Cannot kill container: nope: No such container: nope' });
    expect((await api(s, 'POST', '/v1.50/containers/taken/start')).status).toBe(204);
    expect((await api(s, 'POST', '/v1.50/containers/taken/start')).status).toBe(304);
    const running = await api(s, 'DELETE', '/v1.50/containers/taken');
    expect(running.status).toBe(409);
    expect(JSON.parse(running.body).message).toContain('container is running');
    expect((await api(s, 'DELETE', '/v1.50/containers/taken?force=1')).status).toBe(204);
    expect((await api(s, 'GET', '/v1.50/containers/taken/json')).status).toBe(404);
    expect((await api(s, 'GET', '/v1.50/nothing/here')).status).toBe(404);
  });

  itWhen(conds, 'run --rm as the docker CLI orders it: create, attach (101, stdcopy frames), wait=removed, start', async () => {
    const r = await runThroughApi(lab.svc.socket, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.frames).toContainEqual([1, 'out\n']);
    expect(r.frames).toContainEqual([2, 'err\n']);
  });

  itWhen(conds, 'create applies CapAdd/CapDrop, Privileged, Devices, SecurityOpt as the CLI flags do; a bad one is the flag\'s 400; OomKillDisable warns', async () => {
    const s = lab.svc.socket;
    const capEff = async (host: Record<string, unknown>): Promise<bigint> => {
      const r = await runThroughApi(s, ['sh', '-c', 'grep CapEff /proc/self/status'], host);
      expect(r.code).toBe(0);
      return BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(r.frames.map(([, t]) => t).join(''))![1]}`);
    };
    const bit = (n: number) => 1n << BigInt(n);
    // CAP_NET_ADMIN is 12, CAP_CHOWN 0: Docker's default set has CHOWN and not NET_ADMIN.
    const plain = await capEff({});
    expect(plain & bit(12)).toBe(0n);
    expect(plain & bit(0)).toBe(bit(0));
    const added = await capEff({ CapAdd: ['NET_ADMIN'] });
    expect(added).toBe(plain | bit(12));
    // With NET_ADMIN the container's root may configure its own network namespace; without it, not.
    const addAddr = ['ip', 'addr', 'add', '10.99.0.1/32', 'dev', 'lo'];
    expect((await runThroughApi(s, addAddr, { CapAdd: ['NET_ADMIN'] })).code).toBe(0);
    expect((await runThroughApi(s, addAddr)).code).not.toBe(0);
    // CapDrop CHOWN: chown fails, where it works by default.
    const chown = ['sh', '-c', 'touch /f && chown 1 /f'];
    expect((await runThroughApi(s, chown)).code).toBe(0);
    expect((await runThroughApi(s, chown, { CapDrop: ['CHOWN'] })).code).not.toBe(0);
    // Privileged: every capability the kernel has.
    expect(await capEff({ Privileged: true })).toBe(allCapabilitiesMask());
    // Devices: the host's node at the container's path; SecurityOpt: no-new-privileges=false is applied.
    const dev = await runThroughApi(s, ['sh', '-c', 'test -c /dev/xnull && echo dev; grep NoNewPrivs /proc/self/status'], {
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'rwm' }], SecurityOpt: ['no-new-privileges=false'],
    });
    expect(dev.frames.map(([, t]) => t).join('')).toMatch(/^dev\nNoNewPrivs:\s+0\n$/);
    const created = await api(s, 'POST', '/v1.50/containers/create', { Image: 'diamol/base', HostConfig: { CapAdd: ['NET_ADMIN'], CapDrop: ['CHOWN'], NetworkMode: 'none' } });
    const inspected = JSON.parse((await api(s, 'GET', `/v1.50/containers/${JSON.parse(created.body).Id}/json`)).body) as { HostConfig: Record<string, unknown> };
    expect({ CapAdd: inspected.HostConfig.CapAdd, CapDrop: inspected.HostConfig.CapDrop }).toEqual({ CapAdd: ['CAP_NET_ADMIN'], CapDrop: ['CAP_CHOWN'] });
    expect((await api(s, 'DELETE', `/v1.50/containers/${JSON.parse(created.body).Id}`)).status).toBe(204);
    // What the flags refuse, the API refuses with the same words.
    const bad = await api(s, 'POST', '/v1.50/containers/create', { Image: 'diamol/base', HostConfig: { CapAdd: ['BOGUS'] } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ message: 'invalid CapAdd: unknown capability: "CAP_BOGUS"' });
    const noDev = await api(s, 'POST', '/v1.50/containers/create', { Image: 'diamol/base', HostConfig: { Devices: [{ PathOnHost: '/dev/nope', PathInContainer: '/dev/nope', CgroupPermissions: 'rwm' }] } });
    expect(noDev.status).toBe(400);
    expect(JSON.parse(noDev.body).message).toBe('invalid --device "/dev/nope": /dev/nope: no such device');
    const oom = await api(s, 'POST', '/v1.50/containers/create', { Image: 'diamol/base', HostConfig: { OomKillDisable: true, NetworkMode: 'none' } });
    expect(oom.status).toBe(201);
    expect(JSON.parse(oom.body).Warnings).toEqual(['Your kernel does not support OomKillDisable. OomKillDisable discarded.']);
    expect((await api(s, 'DELETE', `/v1.50/containers/${JSON.parse(oom.body).Id}`)).status).toBe(204);
  });

  itWhen(conds, 'size=1: SizeRw is the writable layer, SizeRootFs adds the image, in the list and in inspect (absent without size)', async () => {
    const s = lab.svc.socket;
    const c = await api(s, 'POST', '/v1.50/containers/create?name=sized', { Image: 'diamol/base', Cmd: ['sh', '-c', 'head -c 100000 /dev/zero > /f'], HostConfig: { NetworkMode: 'none' } });
    expect(c.status).toBe(201);
    const id = JSON.parse(c.body).Id as string;
    expect((await api(s, 'POST', `/v1.50/containers/${id}/start`)).status).toBe(204);
    expect(JSON.parse((await api(s, 'POST', `/v1.50/containers/${id}/wait`)).body).StatusCode).toBe(0);
    const image = JSON.parse((await api(s, 'GET', '/v1.50/images/diamol/base/json')).body).Size as number;
    expect(image).toBeGreaterThan(0);
    const filter = encodeURIComponent(JSON.stringify({ name: ['sized'] }));
    const [listed] = JSON.parse((await api(s, 'GET', `/v1.50/containers/json?all=1&size=1&filters=${filter}`)).body) as Array<{ SizeRw: number; SizeRootFs: number }>;
    expect(listed!.SizeRw).toBeGreaterThanOrEqual(100_000);
    expect(listed!.SizeRw).toBeLessThan(200_000);
    expect(listed!.SizeRootFs).toBe(listed!.SizeRw + image);
    const inspected = JSON.parse((await api(s, 'GET', `/v1.50/containers/${id}/json?size=1`)).body) as { SizeRw: number; SizeRootFs: number };
    expect({ SizeRw: inspected.SizeRw, SizeRootFs: inspected.SizeRootFs }).toEqual({ SizeRw: listed!.SizeRw, SizeRootFs: listed!.SizeRootFs });
    const [plain] = JSON.parse((await api(s, 'GET', `/v1.50/containers/json?all=1&filters=${filter}`)).body) as Array<Record<string, unknown>>;
    expect(plain).not.toHaveProperty('SizeRw');
    expect(JSON.parse((await api(s, 'GET', `/v1.50/containers/${id}/json`)).body)).not.toHaveProperty('SizeRootFs');
    expect((await api(s, 'DELETE', `/v1.50/containers/${id}`)).status).toBe(204);
  });

  itWhen(conds, 'a client that leaves logs -f leaves nothing open in the service; many clients at once', async () => {
    const s = lab.svc.socket;
    const c = await api(s, 'POST', '/containers/create?name=talker', { Image: 'diamol/base', Cmd: ['sh', '-c', 'while true; do echo tick; sleep 0.2; done'], HostConfig: { NetworkMode: 'none' } });
    expect(c.status).toBe(201);
    await api(s, 'POST', '/containers/talker/start');
    const pid = lab.svc.child.pid!;
    await api(s, 'GET', '/_ping');
    const before = fdCount(pid);
    const followers = Array.from({ length: 5 }, () => new Promise<string>((resolve) => {
      const req = request({ socketPath: s, path: '/containers/talker/logs?follow=1&stdout=1' }, (res) => {
        let got = '';
        res.on('data', (d: Buffer) => {
          got += d.toString();
          if (got.includes('tick')) req.destroy();
        });
        res.on('close', () => resolve(got));
      });
      req.on('error', () => {});
      req.end();
    }));
    for (const text of await Promise.all(followers)) expect(text).toContain('tick');
    let after = fdCount(pid);
    for (let i = 0; i < 40 && after > before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = fdCount(pid);
    }
    expect(after).toBeLessThanOrEqual(before);
    expect((await api(s, 'DELETE', '/containers/talker?force=1')).status).toBe(204);
  });

  itWhen(conds, '--timeout: the service leaves after that long without a client, and removes its socket', async () => {
    const root = tempStore('skiff-api-idle-');
    try {
      const idle = await startService(root.root, { args: ['--timeout', '1'] });
      const code = await new Promise<number | null>((resolve) => {
        const t = setTimeout(() => resolve(-1), 10_000);
        idle.child.once('exit', (c) => { clearTimeout(t); resolve(c); });
      });
      expect(code).toBe(0);
      expect(() => statSync(idle.socket)).toThrow();
    } finally {
      root.dispose();
    }
  });
});

describe('Engine API service (rootless)', () => {
  const rl = [...conds, needUserns, needCommand('setpriv'), needCommand('newuidmap')];
  let ustore: Store | undefined;
  let usvc: Service | undefined;
  afterAll(async () => {
    await usvc?.stop();
    ustore?.dispose();
  });

  itWhen(rl, 'an ordinary user serves the API from its engine namespace: 0600 socket of its own, a container runs', async () => {
    assertSuiteNetns();
    const user = ensureTestUser(true);
    ustore = userStore(user, 'skiff-api-rl-');
    // The user's own store, loaded by the user (skiff refuses a store that is not the caller's own).
    const lab = skiffAs(user, ['lab', 'load'], ustore.env);
    expect(lab.status, lab.stderr).toBe(0);
    usvc = await startService(ustore.root, { user });
    const st = statSync(usvc.socket);
    expect(st.uid).toBe(user.uid);
    expect(st.mode & 0o777).toBe(0o600);
    const r = await runThroughApi(usvc.socket, ['sh', '-c', 'echo rootless-$(id -u)']);
    expect(r.code).toBe(0);
    expect(r.frames).toContainEqual([1, 'rootless-0\n']);
    // SIGTERM to the process the user started reaches the service inside the engine namespace.
    await usvc.stop();
    const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(usvc!.socket);
      } catch {
        return false;
      }
    });
    expect(left).toEqual([]);
    expect(() => statSync(usvc!.socket)).toThrow();
  });
});
