// The container filesystem endpoints: archive (GET/HEAD/PUT, what `docker cp` uses, with moby's
// X-Docker-Container-Path-Stat header), export, changes (`docker diff`) and commit. Each calls the
// engine function `skiff cp`/`export`/`diff`/`commit` call (src/engine/archive.ts, diff.ts, commit.ts).
import type { Router } from '../router.js';
import { ApiError } from '../errors.js';
import { boolParam, sendJson, readJson } from '../http-util.js';
import { resolveContainer } from '../../state/containers.js';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

export function archiveRoutes(r: Router): void {
  const statOrTar = (head: boolean) => async (ctx: Parameters<Parameters<Router['on']>[2]>[0]) => {
    const ref = ctx.params[0]!;
    const id = resolveContainer(ref);
    const path = ctx.query.get('path');
    if (!path) throw new ApiError(400, 'path is required');
    const res = ctx.response();
    const { archiveFromContainer } = await import('../../engine/archive.js');
    await archiveFromContainer(id, ref, path, (stat) => {
      const value = Buffer.from(JSON.stringify(stat)).toString('base64');
      if (head) {
        res.writeHead(200, { [STAT_HEADER]: value, 'Content-Type': 'application/x-tar' });
        res.end();
        return undefined;
      }
      res.writeHead(200, { [STAT_HEADER]: value, 'Content-Type': 'application/x-tar' });
      return res;
    });
  };
  r.on('HEAD', '/containers/{id}/archive', statOrTar(true));
  r.on('GET', '/containers/{id}/archive', statOrTar(false));

  r.on('PUT', '/containers/{id}/archive', async (ctx) => {
    const ref = ctx.params[0]!;
    const id = resolveContainer(ref);
    const path = ctx.query.get('path');
    if (!path) throw new ApiError(400, 'path is required');
    const { extractToContainer } = await import('../../engine/archive.js');
    await extractToContainer(id, ref, path, ctx.req, {
      noOverwriteDirNonDir: boolParam(ctx.query, 'noOverwriteDirNonDir'),
      copyUIDGID: boolParam(ctx.query, 'copyUIDGID'),
    });
    const res = ctx.response();
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
  });

  r.on('GET', '/containers/{id}/export', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const { exportContainer } = await import('../../engine/archive.js');
    const res = ctx.response();
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await exportContainer(id, res);
  });

  r.on('GET', '/containers/{id}/changes', async (ctx) => {
    const id = resolveContainer(ctx.params[0]!);
    const { containerChanges } = await import('../../engine/diff.js');
    const kinds = { C: 0, A: 1, D: 2 } as const;
    sendJson(ctx.response(), 200, (await containerChanges(id)).map((c) => ({ Path: c.path, Kind: kinds[c.kind] })));
  });

  r.on('POST', '/commit', async (ctx) => {
    const ref = ctx.query.get('container');
    if (!ref) throw new ApiError(400, 'container is required');
    const id = resolveContainer(ref);
    const body = (await readJson<Record<string, unknown>>(ctx)) ?? {};
    const repo = ctx.query.get('repo') || '';
    const tag = ctx.query.get('tag') || '';
    const { commitContainer } = await import('../../engine/commit.js');
    const imageId = await commitContainer(id, {
      ...(repo ? { reference: tag ? `${repo}:${tag}` : repo } : {}),
      comment: ctx.query.get('comment') ?? '',
      author: ctx.query.get('author') ?? '',
      changes: ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter(Boolean),
      config: body,
    });
    // The engine's commitContainer records moby's `commit` (with comment, imageID, imageRef): a second one
    // here gave docker events two commits, the second without the container's attributes.
    sendJson(ctx.response(), 201, { Id: imageId });
  });
}
