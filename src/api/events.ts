// GET /events over the engine's one event log (src/state/events.ts), which every skiff process appends
// to — so a client sees what the skiff CLI did as well as what this service did. `since` replays the
// log, `until` ends the stream, filters are moby's (src/engine/events.ts: the CLI's `skiff events`
// uses the same code). The few actions only the API performs (restart, network connect) are recorded
// through `emit`.
import type { Router } from './router.js';
import { filterList } from './http-util.js';
import { ApiError } from './errors.js';
import { eventJson, recordEvent } from '../state/events.js';

export class Events {
  private streams = 0;

  emit(type: string, action: string, id: string, attrs: Record<string, string> = {}): void {
    recordEvent(type, action, id, attrs);
  }

  listeners(): number {
    return this.streams;
  }

  routes(r: Router): void {
    r.on('GET', '/events', async (ctx) => {
      const { eventTime, streamEvents } = await import('../engine/events.js');
      const now = Date.now();
      let since: number | undefined;
      let until: number | undefined;
      try {
        since = eventTime('since', ctx.query.get('since') ?? undefined, now);
        until = eventTime('until', ctx.query.get('until') ?? undefined, now);
        (await import('../engine/events.js')).eventFilter(filterList(ctx.query));
      } catch (e) {
        throw new ApiError(400, (e as Error).message);
      }
      const res = ctx.response();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      this.streams++;
      try {
        await streamEvents({ filters: filterList(ctx.query), ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), signal: ctx.gone },
          (m) => void res.write(eventJson(m) + '\n'));
      } finally {
        this.streams--;
      }
      res.end();
    });
  }
}
