// POST /build: a tar of the build context in the body, the classic builder's JSON stream back —
// `{"stream":"Step 1/5 : FROM …\n"}`, what RUN prints, `{"aux":{"ID":"sha256:…"}}`, `Successfully
// built/tagged` — through skiff's own builder (src/engine/build.ts). An error before the first line
// (bad parameters, a Dockerfile that does not parse) is an HTTP error, as moby answers; after it, an
// `{"errorDetail":…,"error":…}` message ends the stream (with the RUN's exit code as `code`, which the
// docker CLI exits with). Parameters skiff cannot honour are refused by name, never dropped.
// POST /build/prune empties the layer cache.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Router } from '../router.js';
import { ApiError } from '../errors.js';
import { boolParam, sendJson } from '../http-util.js';
import { SkiffError } from '../../errors.js';

/** `{"a":"b"}` query values (buildargs, labels); null values (`--build-arg NAME` unset) are dropped. */
function jsonMap(q: URLSearchParams, name: string): Record<string, string> {
  const raw = q.get(name);
  if (!raw || raw === 'null') return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ApiError(400, `invalid ${name}: ${raw}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError(400, `invalid ${name}: ${raw}`);
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => typeof x === 'string') as [string, string][]);
}

/** Parameters the docker CLI sends with their defaults; any other value is refused by name. */
function refuseUnsupported(q: URLSearchParams): void {
  const unsupported = (name: string, why: string) => new ApiError(400, `skiff's builder does not support the build option ${name}${why ? ` (${why})` : ''}`);
  if (q.get('version') === '2') throw new ApiError(400, 'skiff builds with the classic builder only (BuildKit is not available): set DOCKER_BUILDKIT=0');
  for (const n of ['remote', 'cgroupparent', 'cpusetcpus', 'cpusetmems', 'outputs']) if (q.get(n)) throw unsupported(n, '');
  for (const n of ['memory', 'memswap', 'cpushares', 'cpuperiod', 'cpuquota', 'shmsize']) {
    const v = q.get(n);
    if (v && v !== '0' && !(n === 'memswap' && v === '-1')) throw unsupported(n, 'resource limits on RUN steps');
  }
  for (const n of ['extrahosts', 'cachefrom', 'ulimits']) {
    const v = q.get(n);
    if (v && v !== '[]' && v !== 'null') throw unsupported(n, '');
  }
  if (boolParam(q, 'squash')) throw unsupported('squash', '');
  const net = q.get('networkmode');
  if (net && net !== 'default' && net !== 'none') throw unsupported(`networkmode=${net}`, 'RUN steps have no network');
  const platform = q.get('platform');
  if (platform && !/^linux\/(amd64|x86_64)$/.test(platform)) throw unsupported(`platform=${platform}`, 'skiff builds for this machine only');
  const isolation = q.get('isolation');
  if (isolation && isolation !== 'default') throw unsupported(`isolation=${isolation}`, '');
}

export function buildRoutes(r: Router): void {
  r.on('POST', '/build', async (ctx) => {
    const q = ctx.query;
    refuseUnsupported(q);
    const tags = q.getAll('t').filter(Boolean);
    const dockerfile = q.get('dockerfile') || 'Dockerfile';
    const { storePaths } = await import('../../state/paths.js');
    const tmp = storePaths().tmp;
    mkdirSync(tmp, { recursive: true });
    const dir = mkdtempSync(join(tmp, 'api-build-'));
    const res = ctx.response();
    let started = false;
    const send = (o: object) => {
      if (!started) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        started = true;
      }
      if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify(o) + '\r\n');
    };
    const quiet = boolParam(q, 'q');
    try {
      const { contextFromStream } = await import('../../engine/build-input.js');
      const got = await contextFromStream(ctx.req, dir);
      const { resolve, sep } = await import('node:path');
      const dockerfilePath = resolve(dir, dockerfile);
      if (got.dockerfileText === undefined && dockerfilePath !== dir && !dockerfilePath.startsWith(dir + sep)) {
        throw new ApiError(400, `the Dockerfile (${dockerfile}) must be within the build context`);
      }
      const { buildImage } = await import('../../engine/build.js');
      const built = await buildImage({
        contextDir: dir, tags,
        ...(got.dockerfileText !== undefined ? { dockerfileText: got.dockerfileText } : { dockerfile: dockerfilePath }),
        buildArgs: jsonMap(q, 'buildargs'), labels: jsonMap(q, 'labels'),
        ...(q.get('target') ? { target: q.get('target')! } : {}),
        noCache: boolParam(q, 'nocache'), pull: boolParam(q, 'pull'),
      }, {
        line: (l) => { if (!quiet) send({ stream: l + '\n' }); },
        raw: (b) => { if (!quiet) send({ stream: b.toString('utf8') }); },
      });
      send({ aux: { ID: built.id } });
      if (quiet) send({ stream: built.id + '\n' });
      else {
        send({ stream: `Successfully built ${built.id.slice(7, 19)}\n` });
        for (const t of built.tags) send({ stream: `Successfully tagged ${t}\n` });
      }
      res.end();
    } catch (e) {
      if (!started) {
        // moby: a build that fails before its first line is a plain error (400 for a bad Dockerfile)
        if (e instanceof SkiffError && (e.code === 'EBUILD' || e.code === 'EUSAGE')) throw new ApiError(400, e.message);
        throw e;
      }
      const message = e instanceof SkiffError ? e.message : String((e as Error)?.message ?? e);
      const code = e instanceof SkiffError && e.exitCode !== 1 && e.exitCode !== 125 ? e.exitCode : undefined;
      send({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
      res.end();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  r.on('POST', '/build/prune', async (ctx) => {
    const { pruneStepCache } = await import('../../image/build/step-cache.js');
    const { entries, bytes } = pruneStepCache();
    sendJson(ctx.response(), 200, { CachesDeleted: entries, SpaceReclaimed: bytes });
  });
}
