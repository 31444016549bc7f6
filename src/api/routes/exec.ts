// Exec: create (remembered in this service's memory, as moby does), start (hijacked, or detached),
// resize, inspect. The process runs through the same exec plan as `skiff exec`, with pipes for stdio.
import type { Router } from '../router.js';
import { ApiError } from '../errors.js';
import { readJson, sendEmpty, sendJson } from '../http-util.js';
import { frame, STDERR, STDOUT } from '../stdcopy.js';
import { resolveContainer } from '../../state/containers.js';
import { refreshState } from '../../state/liveness.js';

interface ExecRecord {
  ID: string; ContainerID: string; Running: boolean; ExitCode: number | null; Pid: number;
  OpenStdin: boolean; OpenStderr: boolean; OpenStdout: boolean; CanRemove: boolean; DetachKeys: string;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
  env: string[]; workdir: string;
}

export function execRoutes(r: Router): void {
  const execs = new Map<string, ExecRecord>();
  const find = (id: string): ExecRecord => {
    const e = execs.get(id);
    if (!e) throw new ApiError(404, `No such exec instance: ${id}`);
    return e;
  };

  r.on('POST', '/containers/{id}/exec', async (ctx) => {
    const cid = resolveContainer(ctx.params[0]!);
    const body = (await readJson<Record<string, unknown>>(ctx)) ?? {};
    const cmd = body.Cmd as string[] | undefined;
    if (!cmd || cmd.length === 0) throw new ApiError(400, 'No exec command specified');
    if (body.Privileged) throw new ApiError(400, 'skiff does not support Privileged exec');
    if (!(await refreshState(cid)).Running) throw new ApiError(409, `Container ${cid} is not running`);
    const { newExecId, recordExecEvent } = await import('../../engine/exec-events.js');
    const id = newExecId();
    recordExecEvent(cid, 'exec_create', id, cmd);
    execs.set(id, {
      ID: id, ContainerID: cid, Running: false, ExitCode: null, Pid: 0,
      OpenStdin: !!body.AttachStdin, OpenStderr: !!body.AttachStderr, OpenStdout: !!body.AttachStdout, CanRemove: false, DetachKeys: String(body.DetachKeys ?? ''),
      ProcessConfig: { tty: !!body.Tty, entrypoint: cmd[0]!, arguments: cmd.slice(1), privileged: false, user: String(body.User ?? '') },
      env: (body.Env as string[] | null) ?? [], workdir: String(body.WorkingDir ?? ''),
    });
    sendJson(ctx.response(), 201, { Id: id });
  });

  r.on('POST', '/exec/{id}/start', async (ctx) => {
    const e = find(ctx.params[0]!);
    if (e.Running || e.ExitCode !== null) throw new ApiError(409, `Exec ${e.ID} has already run`);
    const body = (await readJson<{ Detach?: boolean; Tty?: boolean }>(ctx)) ?? {};
    const tty = e.ProcessConfig.tty;
    const { execWithPipes } = await import('../../engine/exec.js');
    const flags = { tty, interactive: e.OpenStdin, env: e.env, workdir: e.workdir, ...(e.ProcessConfig.user ? { user: e.ProcessConfig.user } : {}) };
    const command = [e.ProcessConfig.entrypoint, ...e.ProcessConfig.arguments];
    e.Running = true;
    const finish = (code: number) => { e.Running = false; e.ExitCode = code; };
    if (body.Detach) {
      let started!: () => void;
      const ok = new Promise<void>((r2) => (started = r2));
      const run = execWithPipes(e.ContainerID, command, flags, (p, pid) => {
        e.Pid = pid;
        p.stdin.end();
        p.stdout.resume();
        p.stderr.resume();
        started();
      }, e.ID);
      run.then(finish, () => finish(126));
      await Promise.race([ok, run]);
      return sendEmpty(ctx.response(), 200);
    }
    let out: ReturnType<typeof ctx.hijack> | undefined;
    try {
      const code = await execWithPipes(e.ContainerID, command, flags, (p, pid) => {
        e.Pid = pid;
        out = ctx.hijack(!tty);
        const o = out;
        const send = (n: number) => (d: Buffer) => o.write(tty ? d : frame(n, d));
        if (e.OpenStdout || tty) p.stdout.on('data', send(STDOUT)); else p.stdout.resume();
        if (e.OpenStderr) p.stderr.on('data', send(STDERR)); else p.stderr.resume();
        if (e.OpenStdin) o.input.pipe(p.stdin); else p.stdin.end();
        // A client that goes away ends the process's input; the process itself runs to its end.
        o.closed.addEventListener('abort', () => p.stdin.end(), { once: true });
      }, e.ID);
      finish(code);
    } catch (err) {
      finish(126);
      if (!out) throw err;
    }
    out?.end();
  });

  r.on('POST', '/exec/{id}/resize', async (ctx) => {
    find(ctx.params[0]!);
    sendEmpty(ctx.response(), 200);
  });

  r.on('GET', '/exec/{id}/json', async (ctx) => {
    const e = find(ctx.params[0]!);
    const { env: _env, workdir: _wd, ...shape } = e;
    sendJson(ctx.response(), 200, shape);
  });
}
