// `docker import`: POST /images/create?fromSrc=-|URL&repo=&tag=&message=&changes=. The body (fromSrc=-)
// or the file at the URL becomes a one-layer image through the code `skiff import` runs
// (importTarball in src/engine/commit.ts). The answer is moby's: a JSON stream whose last message is
// `{"status":"sha256:…"}`, which the docker CLI prints. A URL that cannot be fetched (this machine is
// usually offline) is an error naming the URL and why, before anything is streamed.
import type { Readable } from 'node:stream';
import type { Ctx } from '../router.js';
import { ApiError } from '../errors.js';
import type { Events } from '../events.js';

/** repo may carry its own tag (the docker CLI sends `repo=name:tag` and no `tag`); `tag` wins, as in moby. */
export function importReference(repo: string | null, tag: string | null): string | undefined {
  if (!repo) return undefined;
  if (!tag) return repo;
  const slash = repo.lastIndexOf('/');
  const colon = repo.lastIndexOf(':');
  const bare = colon > slash ? repo.slice(0, colon) : repo;
  return `${bare}:${tag}`;
}

/** What Go's net/http says of a failed dial (moby's words for the usual offline failures). */
function dialError(u: URL, e: NodeJS.ErrnoException): string {
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  if (e.code === 'ECONNREFUSED') return `dial tcp ${u.hostname}:${port}: connect: connection refused`;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `dial tcp: lookup ${u.hostname}: no such host`;
  if (e.code === 'ENETUNREACH') return `dial tcp ${u.hostname}:${port}: connect: network is unreachable`;
  return `${e.code ?? ''} ${e.message ?? 'cannot connect'}`.trim();
}

async function download(url: string): Promise<Readable> {
  if (!/^https?:\/\//i.test(url)) throw new ApiError(400, `fromSrc must be - (the request body) or an http(s) URL, not ${url}`);
  const { rawGet } = await import('../../image/registry/raw-get.js');
  let res;
  try {
    res = await rawGet(url, {});
  } catch (e) {
    throw new ApiError(500, `Get "${url}": ${dialError(new URL(url), e as NodeJS.ErrnoException)}`);
  }
  if (res.status !== 200) {
    res.body.resume();
    throw new ApiError(500, `Get "${url}": the server answered ${res.status}`);
  }
  return res.body;
}

export async function importImage(ctx: Ctx, events: Events): Promise<void> {
  const src = ctx.query.get('fromSrc')!;
  const platform = ctx.query.get('platform');
  if (platform) {
    const { defaultPlatform } = await import('../../image/manifest.js');
    const here = defaultPlatform();
    if (!platform.startsWith(`${here.os}/${here.architecture}`)) throw new ApiError(400, `skiff imports only for this machine's platform (${here.os}/${here.architecture}), not ${platform}`);
  }
  const reference = importReference(ctx.query.get('repo'), ctx.query.get('tag'));
  const changes = ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter(Boolean);
  const message = ctx.query.get('message') ?? '';
  const input = src === '-' ? ctx.req : await download(src);
  const { importTarball } = await import('../../engine/commit.js');
  const id = await importTarball(input, { ...(reference ? { reference } : {}), ...(message ? { message } : {}), changes, source: src === '-' ? '-' : src });
  events.emit('image', 'import', id);
  const res = ctx.response();
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ status: id }) + '\r\n');
}
