// GET /events: what this service did (create, start, stop, die, destroy, pull …), as moby's event
// messages, to every listening client; `since` replays the recent ones kept in memory.
import { EventEmitter } from 'node:events';
import type { Router } from './router.js';
import { filterList } from './http-util.js';

export interface EventMessage {
  Type: string; Action: string; status?: string; id?: string; from?: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local'; time: number; timeNano: number;
}

export class Events {
  private readonly bus = new EventEmitter();
  private readonly recent: EventMessage[] = [];

  emit(type: string, action: string, id: string, attrs: Record<string, string> = {}): void {
    const ns = BigInt(Date.now()) * 1_000_000n;
    const m: EventMessage = {
      Type: type, Action: action, ...(type === 'container' ? { status: action, id, ...(attrs.image ? { from: attrs.image } : {}) } : {}),
      Actor: { ID: id, Attributes: attrs }, scope: 'local', time: Number(ns / 1_000_000_000n), timeNano: Number(ns),
    };
    this.recent.push(m);
    if (this.recent.length > 256) this.recent.shift();
    this.bus.emit('event', m);
  }

  listeners(): number {
    return this.bus.listenerCount('event');
  }

  routes(r: Router): void {
    r.on('GET', '/events', async (ctx) => {
      const since = Number(ctx.query.get('since') ?? NaN);
      const until = Number(ctx.query.get('until') ?? NaN);
      const filters = filterList(ctx.query);
      const match = (m: EventMessage) => filters.every((f) => {
        const [k, v] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
        if (k === 'type') return m.Type === v;
        if (k === 'event') return m.Action === v;
        if (k === 'container') return m.Type === 'container' && (m.Actor.ID.startsWith(v) || m.Actor.Attributes.name === v);
        if (k === 'label') return true;
        return true;
      }) && (Number.isNaN(since) || m.time >= since) && (Number.isNaN(until) || m.time <= until);
      const res = ctx.response();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      if (!Number.isNaN(since)) for (const m of this.recent) if (match(m)) res.write(JSON.stringify(m) + '\n');
      const on = (m: EventMessage) => { if (match(m)) res.write(JSON.stringify(m) + '\n'); };
      this.bus.on('event', on);
      await new Promise<void>((resolve) => {
        ctx.gone.addEventListener('abort', () => resolve(), { once: true });
        if (!Number.isNaN(until)) setTimeout(resolve, Math.max(0, until * 1000 - Date.now())).unref();
      });
      this.bus.off('event', on);
      res.end();
    });
  }
}
