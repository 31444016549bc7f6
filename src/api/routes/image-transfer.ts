// Images in and out of the engine, and what they are made of: history, save (`GET /images/get`,
// `GET /images/{name}/get`: docker-archive tarballs, the format `skiff save` writes), load
// (`POST /images/load`), push (Docker's JSON progress stream) and `POST /auth` (`docker login`). Registry
// credentials come from the client's `X-Registry-Auth` header (base64 JSON), as moby reads them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from '../router.js';
import { ApiError } from '../errors.js';
import { boolParam, readJson, sendJson } from '../http-util.js';
import type { Events } from '../events.js';
import type { Credentials } from '../../image/registry/credentials.js';
import type { Progress } from '../../image/progress.js';

/** moby's registry.AuthConfig, as the docker CLI sends it (base64url of JSON). */
interface AuthConfig { username?: string; password?: string; serveraddress?: string; identitytoken?: string; registrytoken?: string }

/** The credentials of an `X-Registry-Auth` header; undefined when it has none (anonymous, or skiff login's). */
export function registryAuth(req: IncomingMessage): Credentials | undefined {
  const raw = req.headers['x-registry-auth'];
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  let auth: AuthConfig;
  try {
    // The CLI uses base64url; Node's base64 decoder reads both alphabets, padded or not.
    auth = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as AuthConfig;
  } catch {
    throw new ApiError(400, 'invalid X-Registry-Auth header: not base64 of a JSON object');
  }
  if (!auth || typeof auth !== 'object') throw new ApiError(400, 'invalid X-Registry-Auth header: not base64 of a JSON object');
  if (auth.username && auth.password !== undefined) return { username: auth.username, password: auth.password };
  if (auth.identitytoken || auth.registrytoken) throw new ApiError(400, 'skiff does not support identity or registry tokens in X-Registry-Auth yet; log in with a username and password');
  return undefined;
}

/** A JSON-lines progress stream as moby writes it (`\r\n` after each message). */
function jsonStream(res: ServerResponse): { msg(o: object): void; progress: Progress } {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const msg = (o: object) => res.write(JSON.stringify(o) + '\r\n');
  return {
    msg,
    progress: {
      line: (status) => msg({ status }),
      layer: (id, status, current, total) => msg(current !== undefined && total ? { status, progressDetail: { current, total }, id } : { status, progressDetail: {}, id }),
      done() {},
    },
  };
}

function errorMessage(message: string): object {
  return { errorDetail: { message }, error: message };
}

export function imageTransferRoutes(r: Router, events: Events): void {
  r.on('GET', '/images/{name*}/history', async (ctx) => {
    const { imageHistory } = await import('../../image/history.js');
    sendJson(ctx.response(), 200, imageHistory(ctx.params[0]!));
  });

  const save = async (res: ServerResponse, names: string[]) => {
    if (names.length === 0) throw new ApiError(400, 'no images given to save (names=…)');
    const { requireImage } = await import('../../image/store.js');
    names.forEach(requireImage); // a missing image is a 404 before any byte of the tar is sent
    const { saveImages } = await import('../../image/save-load.js');
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    try {
      await saveImages(names, 'docker-archive', res);
    } catch (e) {
      res.destroy(e as Error); // half a tar must not look like a whole one
      return;
    }
    for (const n of names) events.emit('image', 'save', n);
  };
  r.on('GET', '/images/get', async (ctx) => save(ctx.response(), ctx.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean)));
  r.on('GET', '/images/{name*}/get', async (ctx) => save(ctx.response(), [ctx.params[0]!]));

  r.on('POST', '/images/load', async (ctx) => {
    const { loadArchive } = await import('../../image/save-load.js');
    // `quiet` only silences moby's per-layer progress bars, which skiff does not send: the answer is the same.
    void boolParam(ctx.query, 'quiet');
    const { msg } = jsonStream(ctx.response());
    try {
      const lines = await loadArchive(ctx.req);
      for (const l of lines) {
        msg({ stream: `${l}\n` });
        events.emit('image', 'load', l.replace(/^Loaded image( ID)?: /, ''));
      }
    } catch (e) {
      msg(errorMessage((e as Error).message));
    }
    ctx.response().end();
  });

  r.on('POST', '/images/{name*}/push', async (ctx) => {
    const credentials = registryAuth(ctx.req);
    const { parseReference, familiarString, fullName } = await import('../../image/reference.js');
    const { listImages } = await import('../../image/store.js');
    const name = ctx.params[0]!;
    const tag = ctx.query.get('tag');
    const ref = parseReference(tag ? `${name}:${tag}` : name);
    // Without a tag moby pushes every local tag of the repository.
    const targets = tag || /:[\w][\w.-]*$/.test(name.slice(name.lastIndexOf('/') + 1))
      ? [familiarString(ref)]
      : listImages().flatMap((i) => i.repoTags).filter((t) => t.startsWith(`${fullName(ref)}:`)).map((t) => familiarString(parseReference(t))).sort();
    if (targets.length === 0) throw new ApiError(404, `An image does not exist locally with the tag: ${familiarString(ref).replace(/:latest$/, '')}`);
    const { pushImage } = await import('../../image/push.js');
    const { msg, progress } = jsonStream(ctx.response());
    try {
      for (const t of targets) {
        const r = await pushImage(t, progress, credentials ? { credentials } : {});
        msg({ progressDetail: {}, aux: { Tag: r.tag, Digest: r.digest, Size: r.size } });
        events.emit('image', 'push', t);
      }
    } catch (e) {
      msg(errorMessage((e as Error).message));
    }
    ctx.response().end();
  });

  r.on('POST', '/auth', async (ctx) => {
    const body = await readJson<AuthConfig>(ctx);
    if (!body?.username || body.password === undefined) throw new ApiError(400, 'skiff checks logins by username and password (identity tokens are not supported)');
    const server = (body.serveraddress || 'docker.io').replace(/^https?:\/\//, '').replace(/\/.*$/, '').replace(/^(index\.)?docker\.io$|^registry-1\.docker\.io$/, 'docker.io');
    const { RegistryClient } = await import('../../image/registry/client.js');
    const { SkiffError } = await import('../../errors.js');
    try {
      await new RegistryClient(server, { credentials: { username: body.username, password: body.password } }).ping();
    } catch (e) {
      // moby answers a refused login 401 with the registry's complaint; the CLI prints it.
      if (e instanceof SkiffError && e.code === 'EAUTH') throw new ApiError(401, `login attempt to ${server} failed: ${e.message}`);
      throw e;
    }
    sendJson(ctx.response(), 200, { Status: 'Login Succeeded', IdentityToken: '' });
  });
}
