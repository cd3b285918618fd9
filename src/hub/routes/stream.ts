/**
 * GET /api/v1/stream: server-sent events carrying the feed (revocations and
 * policy changes). Each event's id is its feed position; a client resuming
 * with Last-Event-ID (or ?since=) first gets every entry it missed, then live
 * ones. The subscription starts before the replay so nothing falls between.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { FeedEntry } from '../types.js';
import { errorResponses, type HubApp, type RouteDeps } from './common.js';

export function registerStreamRoute(app: HubApp, deps: RouteDeps): void {
  const { service, broker, heartbeatMs } = deps;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/stream',
      summary: 'Server-sent events: `revocation` and `policy`, id = feed position; resume with Last-Event-ID',
      request: {
        headers: z.object({ 'last-event-id': z.string().regex(/^\d+$/, 'a feed position (integer)').optional() }),
        query: z.object({ since: z.coerce.number().int().nonnegative().optional() }),
      },
      responses: {
        200: { description: 'an event stream (text/event-stream); data is the FeedEntry JSON', content: { 'text/event-stream': { schema: z.string() } } },
        ...errorResponses,
      },
    }),
    (c) => {
      const caller = c.get('caller');
      const header = c.req.valid('header')['last-event-id'];
      const start = header !== undefined ? Number(header) : (c.req.valid('query').since ?? 0);
      return streamSSE(c, async (stream) => {
        const pending: FeedEntry[] = [];
        let wake: (() => void) | undefined;
        const unsubscribe = broker.subscribe((entry) => {
          pending.push(entry);
          wake?.();
        });
        stream.onAbort(() => {
          unsubscribe();
          wake?.();
        });
        if (caller.kind === 'instance') await service.touch(caller.instance);
        let last = start;
        const send = async (entry: FeedEntry) => {
          if (entry.seq <= last) return;
          last = entry.seq;
          await stream.writeSSE({ id: String(entry.seq), event: entry.type, data: JSON.stringify(entry) });
        };
        try {
          // Tell the client where the feed is even when nothing is new, so it can confirm its cursor.
          await stream.writeSSE({ event: 'hello', data: JSON.stringify({ cursor: await service.store.lastSeq() }) });
          for (const entry of await service.store.feedSince(start)) await send(entry);
          while (!stream.aborted && !stream.closed) {
            while (pending.length > 0) await send(pending.shift()!);
            await new Promise<void>((resolve) => {
              wake = resolve;
              const timer = setTimeout(resolve, heartbeatMs);
              timer.unref();
            });
            wake = undefined;
            if (pending.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
          }
        } finally {
          unsubscribe();
        }
      });
    },
  );
}
