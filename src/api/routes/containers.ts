// Containers: list, create, inspect, start/stop/kill/restart, delete, rename, top, resize, prune.
// Every verb runs the same engine function skiff's CLI does; this file only translates moby's
// parameters and answers. Streams (attach, logs, wait, stats) are in streams.ts.
import type { Router } from '../router.js';
import { ApiError } from '../errors.js';
import { boolParam, filterList, intParam, readJson, sendEmpty, sendJson } from '../http-util.js';
import { containerSummary } from '../container-shapes.js';
import { runRequestFromBody } from '../create-body.js';
import { containerExists, readConfig, resolveContainer } from '../../state/containers.js';
import { loadContainer, refreshState } from '../../state/liveness.js';
import { expectsProcess } from '../../state/container-record.js';
import type { Events } from '../events.js';

export function containerRoutes(r: Router, events: Events): void {
  r.on('GET', '/containers/json', async (ctx) => {
    const { psRecords, containerSizer } = await import('../../engine/ps.js');
    const limit = intParam(ctx.query, 'limit', -1);
    const records = await psRecords({ all: boolParam(ctx.query, 'all'), filters: filterList(ctx.query), ...(limit > 0 ? { last: limit } : {}) });
    const now = Date.now();
    // size=1 (docker ps -s): counted as skiff's own ps -s counts them; walking every upper dir is why
    // moby, too, does it only on request.
    const sizes = boolParam(ctx.query, 'size') ? await containerSizer() : undefined;
    sendJson(ctx.response(), 200, records.map((rec) => containerSummary(rec, now, sizes?.(rec))));
  });

  r.on('POST', '/containers/create', async (ctx) => {
    const body = (await readJson<Record<string, unknown>>(ctx)) ?? {};
    const name = ctx.query.get('name') || undefined;
    const { req, extras } = runRequestFromBody(body, name);
    const { requireNetwork } = await import('../../network/networks.js');
    req.network = requireNetwork(req.network).Name;
    const { findImage } = await import('../../image/store.js');
    if (!findImage(req.image)) {
      const { familiarString, parseReference } = await import('../../image/reference.js');
      throw new ApiError(404, `No such image: ${familiarString(parseReference(req.image))}`);
    }
    const { prepareImage } = await import('../../engine/run-command.js');
    const img = await prepareImage(req);
    const { createFromRequest } = await import('../../engine/run.js');
    const config = await createFromRequest({ ...req, ...(extras.aliases.length ? { aliases: extras.aliases } : {}) }, img);
    sendJson(ctx.response(), 201, { Id: config.Id, Warnings: extras.warnings });
  });

  r.on('GET', '/containers/{id}/json', async (ctx) => {
    const { inspectObject } = await import('../../engine/inspect.js');
    const rec = await loadContainer(resolveContainer(ctx.params[0]!));
    // size=1 (docker inspect -s): SizeRw and SizeRootFs as the list counts them; absent otherwise, as moby.
    const sizes = boolParam(ctx.query, 'size') ? (await (await import('../../engine/ps.js')).containerSizer())(rec) : {};
    sendJson(ctx.response(), 200, { ...inspectObject(rec), ...sizes });
  });

  r.on('POST', '/containers/{id}/start', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const s = await refreshState(id);
    if (s.Running) return sendEmpty(ctx.response(), 304);
    const { startExisting } = await import('../../engine/lifecycle.js');
    try {
      await startExisting(id, false);
    } catch (e) {
      // moby removes an AutoRemove container whose start failed: `docker run --rm` waits for that
      // removal (wait?condition=removed) before it reports the error, and would wait for ever.
      if (containerExists(id) && readConfig(id).HostConfig.AutoRemove) {
        const { removeContainer } = await import('../../engine/remove.js');
        await removeContainer(id, { force: true }).catch(() => undefined);
      }
      throw e;
    }
    sendEmpty(ctx.response(), 204);
  });

  r.on('POST', '/containers/{id}/stop', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    if (!(await refreshState(id)).Running) return sendEmpty(ctx.response(), 304);
    const { stopContainer } = await import('../../engine/stop.js');
    // No t / signal: the container's own --stop-timeout / STOPSIGNAL (stopContainer's defaults), as moby.
    await stopContainer(id, ctx.query.has('t') ? intParam(ctx.query, 't', 10) : undefined, ctx.query.get('signal') || undefined);
    sendEmpty(ctx.response(), 204);
  });

  r.on('POST', '/containers/{id}/kill', async (ctx) => {
    // The engine's kill resolves the name itself, so its failures carry moby's `Cannot kill container:
    // NAME: ` prefix with the name as the client typed it (404 no such container, 409 not running).
    const { killContainer } = await import('../../engine/stop.js');
    await killContainer(ctx.params[0]!, ctx.query.get('signal') || 'KILL');
    sendEmpty(ctx.response(), 204);
  });

  r.on('POST', '/containers/{id}/restart', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const { stopContainer } = await import('../../engine/stop.js');
    const { startExisting } = await import('../../engine/lifecycle.js');
    await stopContainer(id, ctx.query.has('t') ? intParam(ctx.query, 't', 10) : undefined, ctx.query.get('signal') || undefined);
    await startExisting(id, false);
    events.emit('container', 'restart', id);
    sendEmpty(ctx.response(), 204);
  });

  r.on('DELETE', '/containers/{id}', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const force = boolParam(ctx.query, 'force');
    const s = await refreshState(id);
    if (expectsProcess(s) && !force) {
      const { readConfig } = await import('../../state/containers.js');
      throw new ApiError(409, `cannot remove container "/${readConfig(id).Name}": container is running: stop the container before removing or force remove`);
    }
    const { removeContainer } = await import('../../engine/remove.js');
    const { stopContainer } = await import('../../engine/stop.js');
    await removeContainer(id, { force }, {
      ...(await import('../../engine/remove-deps.js')).defaultRemoveDeps,
      // Docker's rm -f is a SIGKILL: no grace period.
      stop: async (cid) => void (await stopContainer(cid, 0, 'KILL')),
    }).catch((e: unknown) => {
      // Removed meanwhile (by its own --rm cleanup): what the client asked for.
      if ((e as { code?: string }).code !== 'ENOCONTAINER') throw e;
    });
    sendEmpty(ctx.response(), 204);
  });

  r.on('POST', '/containers/{id}/rename', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const name = ctx.query.get('name');
    if (!name) throw new ApiError(400, 'name cannot be empty');
    const { renameContainer } = await import('../../state/containers.js');
    await renameContainer(id, name);
    sendEmpty(ctx.response(), 204);
  });

  r.on('POST', '/containers/{id}/resize', async (ctx) => {
    // The supervisor sizes the pty from its own terminal; a remote size is not applied yet.
    resolveContainer(ctx.params[0]!);
    sendEmpty(ctx.response(), 200);
  });

  r.on('GET', '/containers/{id}/top', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const s = await refreshState(id);
    if (!s.Running) throw new ApiError(409, `Container ${id} is not running`);
    const { containerTop } = await import('../../engine/top.js');
    sendJson(ctx.response(), 200, await containerTop(s, ctx.query.get('ps_args') || '-ef'));
  });

  r.on('POST', '/containers/{id}/pause', async (ctx) => {
    const { pauseContainer } = await import('../../engine/pause.js');
    await pauseContainer(ctx.params[0]!);
    sendEmpty(ctx.response(), 204);
  });

  r.on('POST', '/containers/{id}/unpause', async (ctx) => {
    const { unpauseContainer } = await import('../../engine/pause.js');
    await unpauseContainer(ctx.params[0]!);
    sendEmpty(ctx.response(), 204);
  });

  r.on('POST', '/containers/{id}/update', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const body = (await readJson<Record<string, unknown>>(ctx)) ?? {};
    const { updateFlagsFromBody } = await import('../update-body.js');
    const { updateContainer } = await import('../../engine/update.js');
    await updateContainer(id, updateFlagsFromBody(body));
    sendJson(ctx.response(), 200, { Warnings: [] });
  });

  r.on('POST', '/containers/prune', async (ctx) => {
    const { pruneContainers } = await import('../../engine/remove.js');
    const r2 = await pruneContainers();
    sendJson(ctx.response(), 200, { ContainersDeleted: r2.deleted, SpaceReclaimed: r2.reclaimedBytes });
  });
}
