// The streaming container endpoints: attach (hijacked, or over a WebSocket: attach/ws), logs (follow), wait, stats. Each ends when
// its client goes away — the AbortSignal from the router stops the engine's loop, so nothing is left
// polling for a client that is gone.
import { compareVersion, type Router } from '../router.js';
import { ApiError } from '../errors.js';
import { boolParam } from '../http-util.js';
import { frame, STDERR, STDOUT } from '../stdcopy.js';
import { readConfig, resolveContainer } from '../../state/containers.js';
import { loadContainer } from '../../state/liveness.js';
import type { Events } from '../events.js';

/** The query's detachKeys as bytes (moby's default ctrl-p,ctrl-q when absent); a bad spec is moby's 400. */
async function detachKeysOf(query: URLSearchParams): Promise<number[]> {
  const spec = query.get('detachKeys') || 'ctrl-p,ctrl-q';
  const { parseDetachKeys } = await import('../../engine/attach.js');
  try {
    return parseDetachKeys(spec);
  } catch {
    throw new ApiError(400, `Invalid detach keys (${spec}) provided`);
  }
}

export function streamRoutes(r: Router, _events: Events): void {
  r.on('POST', '/containers/{id}/attach', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const tty = readConfig(id).Config.Tty;
    const want = { stdout: boolParam(ctx.query, 'stdout'), stderr: boolParam(ctx.query, 'stderr'), stdin: boolParam(ctx.query, 'stdin') };
    if (!boolParam(ctx.query, 'stream') && !boolParam(ctx.query, 'logs')) throw new ApiError(400, 'at least one of stream or logs must be set');
    const detachKeys = await detachKeysOf(ctx.query);
    const { attachStreams } = await import('../../engine/attach-stream.js');
    const out = ctx.hijack(!tty);
    const { recordContainerEvent } = await import('../../state/events.js');
    recordContainerEvent(readConfig(id), 'attach');
    await attachStreams(id, {
      tty,
      ...(want.stdin ? { stdin: out.input } : {}),
      detachKeys, onDetach: () => recordContainerEvent(readConfig(id), 'detach'),
      logs: boolParam(ctx.query, 'logs'),
      // stream=0: the logs so far, then the end (an aborted signal stops after the first read).
      signal: boolParam(ctx.query, 'stream') ? out.closed : AbortSignal.abort(),
      output(stream, data) {
        if (stream === 'stdout' && !want.stdout) return;
        if (stream === 'stderr' && !want.stderr) return;
        out.write(tty ? data : frame(stream === 'stderr' ? STDERR : STDOUT, data));
      },
    });
    out.end();
  });

  // moby's attach over a WebSocket (browsers' terminals): never multiplexed, the streams are raw
  // frames — binary from API 1.28 on, text before; stdin/stdout/stderr are honoured from 1.42, older
  // clients get all three, as moby does.
  r.on('GET', '/containers/{id}/attach/ws', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const tty = readConfig(id).Config.Tty;
    const all = compareVersion(ctx.version, '1.42') < 0;
    const want = { stdout: all || boolParam(ctx.query, 'stdout'), stderr: all || boolParam(ctx.query, 'stderr'), stdin: all || boolParam(ctx.query, 'stdin') };
    const detachKeys = await detachKeysOf(ctx.query);
    const out = ctx.websocket(compareVersion(ctx.version, '1.28') >= 0);
    const { attachStreams } = await import('../../engine/attach-stream.js');
    const { recordContainerEvent } = await import('../../state/events.js');
    await attachStreams(id, {
      tty,
      ...(want.stdin ? { stdin: out.input } : {}),
      detachKeys, onDetach: () => recordContainerEvent(readConfig(id), 'detach'),
      logs: boolParam(ctx.query, 'logs'),
      // stream=0: the logs so far, then the end (an aborted signal stops after the first read).
      signal: boolParam(ctx.query, 'stream') ? out.closed : AbortSignal.abort(),
      output(stream, data) {
        if (stream === 'stdout' && !want.stdout) return;
        if (stream === 'stderr' && !want.stderr) return;
        out.write(data);
      },
    });
    out.end();
  });

  r.on('GET', '/containers/{id}/logs', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const q = ctx.query;
    const stdout = boolParam(q, 'stdout'), stderr = boolParam(q, 'stderr');
    if (!stdout && !stderr) throw new ApiError(400, 'Bad parameters: you must choose at least one stream');
    const tty = readConfig(id).Config.Tty;
    const { streamLogs } = await import('../../engine/logs.js');
    const res = ctx.response();
    let started = false;
    const begin = () => {
      if (started) return;
      started = true;
      res.writeHead(200, { 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
      res.flushHeaders();
    };
    const send = (n: number) => (text: string) => {
      begin();
      const b = Buffer.from(text);
      res.write(tty ? b : frame(n, b));
    };
    const until = q.get('until');
    // Options are checked (a bad `since` is a 400) before the first byte is sent.
    await streamLogs(id, {
      follow: boolParam(q, 'follow'), tail: q.get('tail') ?? 'all', timestamps: boolParam(q, 'timestamps'),
      ...(q.get('since') && q.get('since') !== '0' ? { since: q.get('since')! } : {}), ...(until && until !== '0' ? { until } : {}),
      signal: ctx.gone,
    }, { stdout: stdout ? send(STDOUT) : () => begin(), stderr: stderr ? send(STDERR) : () => begin() });
    begin();
    res.end();
  });

  r.on('POST', '/containers/{id}/wait', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const { parseWaitCondition, waitContainer } = await import('../../engine/wait.js');
    const condition = parseWaitCondition(ctx.query.get('condition') ?? undefined);
    const res = ctx.response();
    // Headers first: the docker CLI starts the container only once its wait is in place.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const result = await waitContainer(id, condition, ctx.gone);
    res.end(result ? JSON.stringify(result) + '\n' : undefined);
  });

  r.on('GET', '/containers/{id}/stats', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const { dockerStats } = await import('../stats-shape.js');
    const stream = ctx.query.get('stream') === null || boolParam(ctx.query, 'stream');
    const oneShot = boolParam(ctx.query, 'one-shot');
    const res = ctx.response();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    let prev: Awaited<ReturnType<typeof dockerStats>> | undefined;
    if (!stream && !oneShot) {
      prev = await dockerStats(await loadContainer(id));
      await new Promise((r2) => setTimeout(r2, 1000));
    }
    for (;;) {
      const cur = await dockerStats(await loadContainer(id), prev);
      res.write(JSON.stringify(cur) + '\n');
      prev = cur;
      if (!stream || ctx.gone.aborted) break;
      await new Promise<void>((r2) => {
        const t = setTimeout(r2, 1000);
        ctx.gone.addEventListener('abort', () => { clearTimeout(t); r2(); }, { once: true });
      });
      if (ctx.gone.aborted) break;
    }
    res.end();
  });
}
