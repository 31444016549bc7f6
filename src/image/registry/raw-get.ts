// Blob downloads through node:http/https rather than fetch: measured here, streaming a 16 MB blob
// over loopback took ~450 ms with fetch (web streams) and ~80 ms with node:http, as fast as curl.
// Follows redirects (storage backends), dropping Authorization when the origin changes, as Docker does.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { relayConnector } from './host-loopback.js';

export interface RawResponse { status: number; headers: IncomingMessage['headers']; body: IncomingMessage }

function once(url: URL, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const relay = relayConnector(url);
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, ...(relay ? { createConnection: relay } : {}) }, resolve);
    req.on('error', reject);
    req.end();
  });
}

export async function rawGet(url: string, headers: Record<string, string>): Promise<RawResponse> {
  let u = new URL(url);
  let h = { ...headers };
  for (let hops = 0; hops < 6; hops++) {
    const res = await once(u, h);
    const loc = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc) {
      res.resume();
      const next = new URL(loc, u);
      if (next.origin !== u.origin) {
        const { authorization: _drop, ...rest } = h;
        h = rest;
      }
      u = next;
      continue;
    }
    return { status: res.statusCode ?? 0, headers: res.headers, body: res };
  }
  throw Object.assign(new Error(`too many redirects for ${url}`), { code: 'EREDIRECTS' });
}
