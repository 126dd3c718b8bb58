// The console's server side, in process: its static files (headers, nothing outside its folder, nothing
// from another origin, no markup built from data), the live feed that tells consoles what changed, and
// its server-sent events stream.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { changeFeed, type FeedTopic } from '../../server/api/change-feed.ts';
import { eventsApiRouter } from '../../server/api/events-api.ts';
import { CONSOLE_DIR, consoleRouter } from '../../server/console/console-router.ts';
import { createLogger } from '../../lib/logger.ts';
import type { Store } from '../../server/store/store.ts';
import { waitFor } from '../helpers/wait.ts';

const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));

describe('console files', () => {
  const app = express().use(consoleRouter());

  it('serves the console under /console/ with a strict content security policy', async () => {
    const redirect = await request(app).get('/console').expect(301);
    assert.equal(redirect.headers.location, '/console/');
    const page = await request(app).get('/console/').expect(200);
    assert.match(page.headers['content-type'] ?? '', /^text\/html/);
    assert.match(page.text, /<script type="module" src="js\/app.js"><\/script>/);
    const csp = page.headers['content-security-policy'] ?? '';
    for (const d of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(d), `${d} in ${csp}`);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const js = await request(app).get('/console/js/app.js').expect(200);
    assert.match(js.headers['content-type'] ?? '', /javascript/);
  });

  it('serves nothing outside its folder', async () => {
    for (const path of ['/console/../package.json', '/console/%2e%2e/%2e%2e/package.json', '/console/js/../../console-router.ts', '/console/nope.js']) {
      const res = await request(app).get(path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.text, /"name"\s*:\s*"medic"|consoleRouter/);
    }
  });

  it('loads nothing from another origin and builds no markup from strings', () => {
    const all = files(CONSOLE_DIR);
    assert.ok(all.length >= 8, `the console's files: ${all.join(', ')}`);
    for (const f of all) {
      const text = readFileSync(f, 'utf8');
      assert.doesNotMatch(text, /(src|href)=["']?(https?:)?\/\//, `${f} loads from another origin`);
      assert.doesNotMatch(text, /@import|url\(\s*['"]?https?:/, `${f} imports a remote stylesheet or font`);
      // Labels and annotations come from alerts: shown as text only (dom.js), never parsed as HTML.
      assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, `${f} builds markup or code from strings`);
    }
  });
});

/** A store whose few newest rows the test moves by hand. */
function fakeStore() {
  const s = { incident: 1, attempt: 1, pending: [] as number[], audit: 1, paused: false, failing: false };
  const guard = <T>(v: T) => (s.failing ? Promise.reject(new Error('store away')) : Promise.resolve(v));
  const store = {
    listIncidents: () => guard({ items: [{ id: s.incident, lastSeenAt: 1, status: 'firing' }], nextCursor: null }),
    listAttempts: () => guard({ items: [{ id: s.attempt, outcome: 'succeeded', finishedAt: 1 }], nextCursor: null }),
    listApprovals: () => guard(s.pending.map((id) => ({ id }))),
    listAudit: () => guard({ items: [{ id: s.audit }], nextCursor: null }),
    stats: () => guard({ pendingWork: 0, runningWork: 0, openIncidents: 1, receivedAlerts: 0, actionsPaused: s.paused }),
  } as unknown as Store;
  return { s, store };
}

describe('change feed', () => {
  it('tells listeners which parts changed, polls only while someone listens, and survives the store going away', async () => {
    const { s, store } = fakeStore();
    const warnings: string[] = [];
    const log = createLogger('warn', { write: (line: string) => void warnings.push(line) } as unknown as NodeJS.WritableStream);
    const feed = changeFeed({ store, log, intervalMs: 10 });
    const seen: FeedTopic[][] = [];
    const stop = feed.subscribe((t) => seen.push(t));
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(seen.length, 0, 'nothing changed yet');
    s.incident = 2;
    await waitFor('incidents', () => seen.some((t) => t.includes('incidents')));
    s.pending = [7];
    s.paused = true;
    await waitFor('approvals and controls', () => seen.some((t) => t.includes('approvals') && t.includes('controls')));
    s.failing = true;
    await waitFor('a warning', () => warnings.some((w) => w.includes('the live feed cannot read the store')));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(warnings.filter((w) => w.includes('cannot read the store')).length, 1, 'said once');
    s.failing = false;
    s.attempt = 9;
    await waitFor('remediations after the store is back', () => seen.some((t) => t.includes('remediations')));
    stop();
    assert.equal(feed.listeners(), 0);
    const before = seen.length;
    s.incident = 3;
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(seen.length, before, 'no listener, no polling');
  });

  it('close ends every listener with an empty list', () => {
    const { store } = fakeStore();
    const feed = changeFeed({ store, log: createLogger('silent'), intervalMs: 10 });
    const got: FeedTopic[][] = [];
    feed.subscribe((t) => got.push(t));
    feed.subscribe((t) => got.push(t));
    feed.close();
    assert.deepEqual(got, [[], []]);
    assert.equal(feed.listeners(), 0);
  });
});

describe('GET /api/events', () => {
  it('streams changes as server-sent events, bounds the streams, and ends them at shutdown', async () => {
    const { s, store } = fakeStore();
    const feed = changeFeed({ store, log: createLogger('silent'), intervalMs: 10 });
    const app = express().use(eventsApiRouter(feed, 1));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/events`;
    try {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      const until = async (pattern: RegExp) => {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) return false;
          text += value;
        }
        return true;
      };
      assert.ok(await until(/event: hello\n/));
      const second = await fetch(url);
      assert.equal(second.status, 503, 'one stream is the limit here');
      assert.match((await second.json()).error, /1 live streams are open already/);
      s.pending = [1];
      assert.ok(await until(/event: change\ndata: \{"topics":\["approvals"\]\}\n\n/));
      feed.close();
      assert.equal(await until(/never/), false, 'the stream ended');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
