// /_ping, /version, /info, /system/df: what every client asks first. The docker CLI starts each
// command with HEAD /_ping and speaks min(its version, our Api-Version) from then on.
import type { Router } from '../router.js';
import { API_VERSION } from '../router.js';
import { sendJson } from '../http-util.js';
import { VERSION } from '../server-version.js';

export function pingHeaders(): Record<string, string> {
  return {
    'Api-Version': API_VERSION, 'Docker-Experimental': 'false', Ostype: 'linux', Server: `skiff/${VERSION} (linux)`,
    'Builder-Version': '1', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache',
  };
}

export function systemRoutes(r: Router, listeners: () => number = () => 0): void {
  const ping = async (ctx: Parameters<Parameters<Router['on']>[2]>[0]) => {
    const res = ctx.response();
    res.writeHead(200, { ...pingHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '2' });
    res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  r.on('GET', '/_ping', ping).on('HEAD', '/_ping', ping);

  r.on('GET', '/version', async (ctx) => {
    const { serverVersion } = await import('../../engine/system-info.js');
    sendJson(ctx.response(), 200, serverVersion());
  });

  r.on('GET', '/info', async (ctx) => {
    const { engineInfo } = await import('../../engine/system-info.js');
    sendJson(ctx.response(), 200, await engineInfo(listeners()));
  });

  r.on('GET', '/system/df', async (ctx) => {
    const { diskUsage } = await import('../../engine/system-info.js');
    sendJson(ctx.response(), 200, await diskUsage());
  });
}
