// GET /api/events: server-sent events telling a console which parts of the state changed, so that its
// views update without a reload; the view then reads the API as usual (nothing but topic names goes
// down this stream). Behind the /api gate like every read; a browser sends its token with fetch, as
// EventSource cannot send an Authorization header.
import express, { type Router } from 'express';
import type { ChangeFeed } from './change-feed.ts';

const HEARTBEAT_MS = 15_000;

export function eventsApiRouter(feed: ChangeFeed, maxStreams: number): Router {
  const router = express.Router();

  router.get('/api/events', (req, res) => {
    // Each stream holds a connection for as long as a console is open; a bound keeps a forgotten loop
    // of tabs from holding all of them.
    if (feed.listeners() >= maxStreams) {
      res.setHeader('Retry-After', '30');
      return void res.status(503).json({ error: `${maxStreams} live streams are open already (the limit); close a console or retry later` });
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    // The client reconnects after this long when the stream ends (a restart, a deploy).
    res.write('retry: 3000\n\n');
    res.write(`event: hello\ndata: ${JSON.stringify({ heartbeatMs: HEARTBEAT_MS })}\n\n`);

    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const unsubscribe = feed.subscribe((topics) => {
      if (topics.length === 0) return void res.end();
      res.write(`event: change\ndata: ${JSON.stringify({ topics })}\n\n`);
    });
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });

  return router;
}
