// Images: list, pull (POST /images/create, with Docker's JSON progress stream and X-Registry-Auth;
// with fromSrc it is `docker import`: image-import.ts),
// inspect, tag, delete, prune (history, save/load, push and /auth: image-transfer.ts). The pull and the
// store are the ones skiff's CLI uses.
import type { Router } from '../router.js';
import { ApiError } from '../errors.js';
import { boolParam, filterList, sendJson } from '../http-util.js';
import type { Events } from '../events.js';
import { imageTransferRoutes, registryAuth } from './image-transfer.js';
import { importImage } from './image-import.js';

export function imageRoutes(r: Router, events: Events): void {
  r.on('GET', '/images/json', async (ctx) => {
    const { listImages, displayTag, containersUsing } = await import('../../image/store.js');
    const { readBlob } = await import('../../image/blobs.js');
    const { unpackedSize } = await import('../../image/layers.js');
    const { imageListFilter } = await import('./image-filters.js');
    const keep = imageListFilter(filterList(ctx.query));
    // Newest first, as moby sorts (the docker CLI prints the daemon's order).
    const all = listImages().sort((a, b) => Date.parse(b.created ?? '0') - Date.parse(a.created ?? '0') || a.id.localeCompare(b.id))
      .filter((i) => boolParam(ctx.query, 'all') || i.repoTags.length > 0 || containersUsing(i.id).length === 0)
      .map(keep).filter((i) => i !== undefined);
    sendJson(ctx.response(), 200, all.map((i) => {
      let labels: Record<string, string> = {};
      try {
        labels = (JSON.parse(readBlob(i.config.digest).toString('utf8')) as { config?: { Labels?: Record<string, string> } }).config?.Labels ?? {};
      } catch {
        // an unreadable config shows no labels
      }
      const size = unpackedSize(i); // Docker's Size is the unpacked size
      return {
        Id: i.id, ParentId: '', RepoTags: [...i.repoTags].sort().map(displayTag), RepoDigests: [...i.repoDigests].sort().map(displayTag),
        Created: Math.floor(Date.parse(i.created ?? i.addedAt) / 1000), Size: size, SharedSize: -1, VirtualSize: size, Labels: labels, Containers: -1,
      };
    }));
  });

  r.on('POST', '/images/create', async (ctx) => {
    const from = ctx.query.get('fromImage');
    if (!from) {
      if (ctx.query.get('fromSrc') === null) throw new ApiError(400, 'one of fromImage or fromSrc is required');
      await importImage(ctx, events);
      return;
    }
    const tag = ctx.query.get('tag');
    const name = tag ? (tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`) : from;
    const { parseReference } = await import('../../image/reference.js');
    const ref = parseReference(name);
    const credentials = registryAuth(ctx.req);
    const { pullReference } = await import('../../image/ensure.js');
    const res = ctx.response();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const msg = (o: object) => res.write(JSON.stringify(o) + '\r\n');
    try {
      await pullReference(ref, {
        line(text) {
          const m = /^(\S+): (Pulling from .*)$/.exec(text);
          msg(m ? { status: m[2], id: m[1] } : { status: text });
        },
        layer(id, status, cur, total) {
          msg(cur !== undefined && total ? { status, progressDetail: { current: cur, total }, id } : { status, progressDetail: {}, id });
        },
        done() {},
      }, { ...(ctx.query.get('platform') ? { platform: ctx.query.get('platform')! } : {}), ...(credentials ? { credentials } : {}) });
    } catch (e) {
      const message = (e as Error).message;
      msg({ errorDetail: { message }, error: message });
    }
    res.end();
  });

  r.on('GET', '/images/{name*}/json', async (ctx) => {
    const { inspectImage } = await import('../../image/inspect.js');
    sendJson(ctx.response(), 200, inspectImage(ctx.params[0]!));
  });

  r.on('POST', '/images/{name*}/tag', async (ctx) => {
    const repo = ctx.query.get('repo');
    if (!repo) throw new ApiError(400, 'repository name must have at least one component');
    const target = `${repo}${ctx.query.get('tag') ? `:${ctx.query.get('tag')}` : ''}`;
    const { tagImage } = await import('../../image/tag.js');
    await tagImage(ctx.params[0]!, target);
    sendJson(ctx.response(), 201, undefined);
  });

  r.on('DELETE', '/images/{name*}', async (ctx) => {
    const { removeImage } = await import('../../image/remove.js');
    const lines = await removeImage(ctx.params[0]!, boolParam(ctx.query, 'force'));
    const items = lines.map((l) => {
      const [k, v] = [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)];
      return k === 'Deleted' ? { Deleted: v } : { Untagged: v };
    });
    sendJson(ctx.response(), 200, items);
  });

  r.on('POST', '/images/prune', async (ctx) => {
    const { pruneImages } = await import('../../image/remove.js');
    const dangling = ctx.query.get('filters')?.includes('"dangling":{"false"') ?? false;
    const { lines, reclaimed } = await pruneImages(dangling);
    sendJson(ctx.response(), 200, { ImagesDeleted: lines.length === 0 ? null : lines.map((l) => (l.startsWith('deleted') ? { Deleted: l.slice(9) } : { Untagged: l.slice(10) })), SpaceReclaimed: reclaimed });
  });

  imageTransferRoutes(r, events);
}
