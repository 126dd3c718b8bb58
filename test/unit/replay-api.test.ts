// POST /api/replays at the edge: the period and the candidate files checked before anything runs, one
// replay at a time (in process, through supertest, with a replay that waits to be let go).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { replayApiRouter, type ReplayService } from '../../server/api/replay-api.ts';
import { createLogger } from '../../lib/logger.ts';

function app() {
  let release!: () => void;
  const runs: unknown[] = [];
  const service: ReplayService = {
    defaults: () => ({ policies: 'tiers: {}\n', rules: 'rules: []\n' }),
    run: async (input) => {
      runs.push(input);
      await new Promise<void>((r) => (release = r));
      return { from: '', to: '', incidents: 0, actions: [], guards: [], cooldowns: { recorded: 0, candidate: 0 }, escalations: [], awaitingOperator: 0, differences: [], elapsedMs: 1 };
    },
  };
  const a = express().use((req, res, next) => ((res.locals.principal = { name: 'alice', role: 'operator', via: 'api-token' }), next())).use(replayApiRouter(service, createLogger('silent')));
  return { a, runs, release: () => release() };
}

describe('replay API', () => {
  it('gives the policies and rules in force as text', async () => {
    const res = await request(app().a).get('/api/replays/defaults').expect(200);
    assert.deepEqual(res.body, { policies: 'tiers: {}\n', rules: 'rules: []\n' });
  });

  it('refuses a bad period or bad candidate files, naming the problem, before running anything', async () => {
    const { a, runs } = app();
    const bad = async (body: unknown, pattern: RegExp) => {
      const res = await request(a).post('/api/replays').send(body as object).expect(400);
      assert.match(JSON.stringify(res.body), pattern);
    };
    await bad({ from: 'yesterday', to: '2026-12-01T00:00:00Z' }, /from.*must be an RFC 3339 time/);
    await bad({ from: '2026-12-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, /from must be before to/);
    await bad({ from: '2026-01-01T00:00:00Z', to: '2026-12-01T00:00:00Z' }, /the period is 334 days; a replay here covers at most 92/);
    await bad({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z', policies: 'tiers:\n  default:\n    mode: yolo\n' }, /candidate policies or rules need fixing.*mode/);
    await bad({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z', rules: 'rules:\n  - name: x\n    ladder: [teleport]\n' }, /teleport/);
    await bad({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z', shell: 'rm -rf /' }, /shell/);
    assert.equal(runs.length, 0);
  });

  it('runs one replay at a time', async () => {
    const { a, runs, release } = app();
    const body = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
    const first = request(a).post('/api/replays').send(body).then((r) => r);
    while (runs.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await request(a).post('/api/replays').send(body);
    assert.equal(second.status, 409);
    assert.match(second.body.error, /a replay is running \(started by alice at /);
    release();
    assert.equal((await first).status, 200);
    assert.deepEqual(runs[0], { from: Date.parse(body.from), to: Date.parse(body.to) }, 'the policies and rules in force when none are given');
    const third = request(a).post('/api/replays').send(body).then((r) => r);
    while (runs.length === 1) await new Promise((r) => setTimeout(r, 5));
    release();
    assert.equal((await third).status, 200, 'the next one runs once the first is done');
  });
});
