// A target that misbehaves: an admin API that hangs, answers garbage, JSON that is not an object, a body
// that never ends, or a reset connection. Each call is bounded in time and memory, nothing throws past
// the engine, no attempt is left in progress, and the incident ends escalated to a human once.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { startHarness, TOKEN, type Harness } from '../helpers/engine-harness.ts';

type Mode = 'hang' | 'html' | 'json-null-500' | 'endless' | 'reset';

async function startBrokenAgent(mode: Mode): Promise<{ url: string; calls: string[]; server: Server }> {
  const calls: string[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    open.add(res);
    res.on('close', () => open.delete(res));
    switch (mode) {
      case 'hang':
        return; // Accepted, read, never answered.
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Please sign in</body></html>');
        return;
      case 'json-null-500':
        res.writeHead(500, { 'content-type': 'application/json' }).end('null');
        return;
      case 'endless': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = () => { while (!res.destroyed && res.write(chunk)); };
        res.on('drain', pump);
        pump();
        return;
      }
      case 'reset':
        req.socket.destroy();
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    for (const res of open) res.destroy();
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

const TIMEOUT_MS = 300;

describe('a target that misbehaves', () => {
  let h: Harness | undefined;
  after(() => h?.dispose());

  for (const [mode, expected] of [
    ['hang', /timed out after 300 ms/],
    ['html', /not a JSON object: <html>/],
    ['json-null-500', /answered 500/],
    ['endless', /timed out|not a JSON object/],
    ['reset', /fetch failed|socket|ECONNRESET/i],
  ] as const) {
    it(`${mode}: bounded, recorded, escalated once`, { timeout: 60_000 }, async () => {
      const agent = await startBrokenAgent(mode);
      h = await startHarness({
        agents: [],
        httpTimeoutMs: TIMEOUT_MS,
        extraInventory: [{ id: `broken-${mode}`, type: 'generic', tier: '', driver: 'http', target: { kind: 'http', base_url: agent.url, token: TOKEN } }],
      });
      const heapBefore = process.memoryUsage().heapUsed;
      const started = Date.now();
      const incident = await h.incident('AgentDown', `broken-${mode}`);
      const results = await h.healUntilDone(incident, 30);
      const elapsed = Date.now() - started;

      const last = results[results.length - 1]!;
      assert.equal(last.kind, 'done', `the incident ends: ${JSON.stringify(results)}`);
      assert.equal(h.escalations.length, 1, `escalated once: ${h.events.join(', ')}`);
      assert.ok(agent.calls.some((c) => c.startsWith('POST')), `the action was tried: ${agent.calls.join(', ')}`);
      const detail = (await h.store.getIncident(incident.id))!;
      assert.deepEqual(detail.attempts.filter((a) => a.outcome === 'in_progress'), [], 'no attempt left in progress');
      const reasons = detail.attempts.map((a) => a.reason ?? '').join(' | ');
      assert.match(reasons, expected);
      // Three tries of one rung, each call bounded by the timeout, plus health checks and backoff.
      assert.ok(elapsed < 15_000, `bounded in time: ${elapsed} ms`);
      assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024, 'bounded in memory');
      await h.dispose();
      h = undefined;
    });
  }
});
