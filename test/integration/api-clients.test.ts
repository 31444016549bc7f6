// SDK clients against `skiff system service`: dockerode (attach and exec start without Upgrade: a 200
// and the raw stream on the same connection) and testcontainers@11 starting the lab web image,
// waiting for HTTP on its random mapped port, and stopping it.
import { describe, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { itWhen, needCommand, needRoot } from '../helpers/conditions.js';
import { labService } from '../helpers/api-service.js';

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
});
