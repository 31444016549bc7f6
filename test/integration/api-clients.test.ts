// SDK clients against `skiff system service`: dockerode (attach and exec start without Upgrade: a 200
// and the raw stream on the same connection), testcontainers@11 starting the lab web image,
// waiting for HTTP on its random mapped port, and stopping it, and a WebSocket client (Node's own,
// undici's, behind --experimental-websocket) on GET /containers/{id}/attach/ws.
import { describe, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { spawn } from 'node:child_process';
import { itWhen, needCommand, needRoot } from '../helpers/conditions.js';
import { api, labService, startService } from '../helpers/api-service.js';
import { freePort } from '../helpers/registry.js';

/** What a WebSocket client saw: frames (binary or text), their text, the close code. */
interface WsSession { frames: { binary: boolean; text: string }[]; text: string; code: number; error?: string }

// Runs in a child node with the built-in WebSocket: it opens the URL, sends `first` once open, types
// `then` (a frame a key, as a terminal in a browser sends keystrokes) once the output contains `when`,
// and reports when the server closes (or after 20 s).
const WS_CLIENT = `
const [url, first, when, then] = process.argv.slice(1);
const ws = new WebSocket(url);
ws.binaryType = 'arraybuffer';
const frames = [];
let text = '', sent = false, error;
ws.onopen = () => { if (first) ws.send(first); };
ws.onmessage = (m) => {
  const binary = typeof m.data !== 'string';
  const t = binary ? Buffer.from(m.data).toString() : m.data;
  frames.push({ binary, text: t });
  text += t;
  if (when && !sent && text.includes(when)) { sent = true; for (const k of then) ws.send(new TextEncoder().encode(k)); }
};
ws.onerror = (e) => { error = String(e.message ?? e.type); };
const done = (code) => { process.stdout.write(JSON.stringify({ frames, text, code, error })); process.exit(0); };
ws.onclose = (e) => done(e.code);
setTimeout(() => done(-1), 20000);
`;

function wsSession(url: string, first = '', when = '', then = ''): Promise<WsSession> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', '--experimental-websocket', '-e', WS_CLIENT, url, first, when, then], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', () => {
      try { resolve(JSON.parse(out) as WsSession); } catch { reject(new Error(`websocket client: ${out} ${err}`)); }
    });
  });
}

const conds = [needRoot, needCommand('umoci')];

describe('SDK clients', () => {
  const lab = labService('skiff-api-clients-', conds);

  itWhen(conds, 'dockerode: attach before start (200, raw multiplexed stream), wait, then exec with its exit code', async () => {
    const { default: Docker } = await import('dockerode');
    const docker = new Docker({ socketPath: lab.svc.socket });
    const c = await docker.createContainer({ Image: 'diamol/base', Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 2'], HostConfig: { NetworkMode: 'none' } });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough(), err = new PassThrough();
    let o = '', e = '';
    out.on('data', (d: Buffer) => (o += d));
    err.on('data', (d: Buffer) => (e += d));
    docker.modem.demuxStream(stream, out, err);
    const ended = new Promise<void>((r) => stream.on('end', () => r()));
    await c.start();
    await ended;
    expect((await c.wait()).StatusCode).toBe(2);
    expect(o).toBe('to-out\n');
    expect(e).toBe('to-err\n');
    await c.remove();

    const s = await docker.createContainer({ Image: 'diamol/base', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } });
    await s.start();
    const exec = await s.exec({ Cmd: ['sh', '-c', 'echo in-exec; echo oops >&2; exit 4'], AttachStdout: true, AttachStderr: true });
    const es = await exec.start({});
    let eo = '', ee = '';
    const eOut = new PassThrough(), eErr = new PassThrough();
    eOut.on('data', (d: Buffer) => (eo += d));
    eErr.on('data', (d: Buffer) => (ee += d));
    docker.modem.demuxStream(es, eOut, eErr);
    await new Promise<void>((r) => es.on('end', () => r()));
    expect(eo).toBe('in-exec\n');
    expect(ee).toBe('oops\n');
    const info = await exec.inspect();
    expect(info.ExitCode).toBe(4);
    expect(info.Running).toBe(false);
    await s.remove({ force: true });
    expect((await docker.listContainers({ all: true })).length).toBe(0);
  });

  itWhen(conds, 'testcontainers@11: the lab web image, HTTP on its mapped port, stopped and gone', async () => {
    process.env.DOCKER_HOST = `unix://${lab.svc.socket}`;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    const { GenericContainer, Wait } = await import('testcontainers');
    const started = await new GenericContainer('diamol/ch02-hello-diamol-web')
      .withExposedPorts(80)
      .withWaitStrategy(Wait.forHttp('/', 80).forStatusCode(200))
      .withStartupTimeout(60_000)
      .start();
    try {
      const port = started.getMappedPort(80);
      expect(port).toBeGreaterThan(1023);
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Hello from Chapter 2!');
    } finally {
      await started.stop();
    }
    const { default: Docker } = await import('dockerode');
    expect((await new Docker({ socketPath: lab.svc.socket }).listContainers({ all: true })).length).toBe(0);
  }, 120_000);

  itWhen(conds, 'attach/ws: a WebSocket client reads a container\'s output and types into its tty; frames as moby sends them', async () => {
    // Node's WebSocket speaks TCP only: a second service on the same store, on loopback.
    const port = await freePort();
    const svc = await startService(lab.store.root, { socketName: 'ws.sock', args: ['--host', `tcp://127.0.0.1:${port}`] });
    try {
      const { default: Docker } = await import('dockerode');
      const docker = new Docker({ socketPath: lab.svc.socket });
      // Without a tty: stdout and stderr as raw frames (never stdcopy), binary from API 1.28; the
      // stream ends with the container, with a normal close.
      const c = await docker.createContainer({ Image: 'diamol/base', Cmd: ['sh', '-c', 'sleep 1; echo to-out; echo to-err >&2'], HostConfig: { NetworkMode: 'none' } });
      const ws = wsSession(`ws://127.0.0.1:${port}/v1.50/containers/${c.id}/attach/ws?stream=1&stdout=1&stderr=1`);
      await new Promise((r) => setTimeout(r, 500));
      await c.start();
      const got = await ws;
      expect(got.error).toBeUndefined();
      expect(got.code).toBe(1000);
      expect(got.frames.every((f) => f.binary)).toBe(true);
      expect(got.text.split('\n').sort()).toEqual(['', 'to-err', 'to-out']);
      // Before 1.42 moby sends all three streams whatever the query asks; before 1.28, text frames.
      const old = await wsSession(`ws://127.0.0.1:${port}/v1.27/containers/${c.id}/attach/ws?logs=1&stream=0`);
      expect(old.frames.length).toBeGreaterThan(0);
      expect(old.frames.every((f) => !f.binary)).toBe(true);
      expect(old.text.split('\n').sort()).toEqual(['', 'to-err', 'to-out']);
      const onlyOut = await wsSession(`ws://127.0.0.1:${port}/v1.50/containers/${c.id}/attach/ws?logs=1&stdout=1`);
      expect(onlyOut.text).toBe('to-out\n');
      await c.remove();

      // With a tty and stdin: what the client types reaches the shell, its answer comes back; `exit` ends it.
      const t = await docker.createContainer({ Image: 'diamol/base', Cmd: ['sh'], Tty: true, OpenStdin: true, HostConfig: { NetworkMode: 'none' } });
      await t.start();
      const typed = await wsSession(`ws://127.0.0.1:${port}/containers/${t.id}/attach/ws?stream=1&stdin=1&stdout=1`, 'echo ws-$((6*7))\n', 'ws-42', 'exit\n');
      expect(typed.error).toBeUndefined();
      expect(typed.text).toContain('ws-42');
      expect((await t.wait()).StatusCode).toBe(0);
      await t.remove();

      // The detach keys (ctrl-p,ctrl-q unless detachKeys names others) end the stream, are not typed into
      // the shell, and leave the container running.
      const d = await docker.createContainer({ Image: 'diamol/base', Cmd: ['sh'], Tty: true, OpenStdin: true, HostConfig: { NetworkMode: 'none' } });
      await d.start();
      const byDefault = await wsSession(`ws://127.0.0.1:${port}/containers/${d.id}/attach/ws?stream=1&stdin=1&stdout=1`, 'echo one-$((6*7))\n', 'one-42', '\x10\x11');
      expect(byDefault.code).toBe(1000);
      expect(byDefault.text).not.toContain('^P');
      expect((await d.inspect()).State.Running).toBe(true);
      const named = await wsSession(`ws://127.0.0.1:${port}/containers/${d.id}/attach/ws?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a,x`, 'echo two-$((6*7))\n', 'two-42', '\x10\x11\x01x');
      expect(named.code).toBe(1000);
      // ctrl-a,x detached (ctrl-p,ctrl-q before them were typing: busybox's line editor takes them, so
      // they leave no echo to check here; test/unit/attach-demux.test.ts checks that they pass).
      expect(named.text).not.toContain('^A');
      expect((await d.inspect()).State.Running).toBe(true);
      const badKeys = await api(lab.svc.socket, 'GET', `/containers/${d.id}/attach/ws?stream=1&detachKeys=ctrl-pp`);
      expect(badKeys.status).toBe(400);
      expect(JSON.parse(badKeys.body).message).toBe('Invalid detach keys (ctrl-pp) provided');
      await d.remove({ force: true });

      // A plain GET is not a handshake: moby's 400; an unknown container: 404 before any upgrade.
      const plain = await api(lab.svc.socket, 'GET', `/containers/none-such/attach/ws`);
      expect(plain.status).toBe(404);
      const made = await docker.createContainer({ Image: 'diamol/base', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
      const noUpgrade = await api(lab.svc.socket, 'GET', `/containers/${made.id}/attach/ws?stream=1`);
      expect(noUpgrade.status).toBe(400);
      expect(JSON.parse(noUpgrade.body).message).toMatch(/not a websocket handshake/);
      await made.remove();
    } finally {
      await svc.stop();
    }
  }, 120_000);
});
