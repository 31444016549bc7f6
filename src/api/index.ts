// The Engine API as one request handler: every route table on one router. The service (src/service)
// owns the sockets; this module owns what is said on them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Router } from './router.js';
import { Events } from './events.js';
import { systemRoutes } from './routes/system.js';
import { containerRoutes } from './routes/containers.js';
import { streamRoutes } from './routes/streams.js';
import { execRoutes } from './routes/exec.js';
import { imageRoutes } from './routes/images.js';
import { networkRoutes } from './routes/networks.js';
import { buildRoutes } from './routes/build.js';
import { archiveRoutes } from './routes/archive.js';

export interface EngineApi {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
  events: Events;
}

export function engineApi(onError: (e: unknown) => void = () => {}, log: (line: string) => void = () => {}): EngineApi {
  const router = new Router(log);
  const events = new Events();
  systemRoutes(router, () => events.listeners());
  containerRoutes(router, events);
  streamRoutes(router, events);
  execRoutes(router);
  imageRoutes(router, events);
  networkRoutes(router, events);
  buildRoutes(router);
  archiveRoutes(router);
  events.routes(router);
  return {
    events,
    request: (req, res) => void router.handle(req, res).catch(onError),
    upgrade: (req, socket, head) => void router.handle(req, undefined, { socket, head }).catch(onError),
  };
}
