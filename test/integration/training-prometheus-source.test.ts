// Training data from Prometheus: pages that respect the 11,000-points limit, one query per column for
// the whole fleet, pages joined back into per-agent series with gaps kept as NaN, transient failures
// retried and refused queries explained. Against a small HTTP server that answers like Prometheus.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AGENT_SIGNALS } from '../../models/features.ts';
import { signalQueries } from '../../models/signal-queries.ts';
import { fetchPrometheusHistory, MAX_POINTS_PER_QUERY, normaliseSelector, splitRange } from '../../training/prometheus-source.ts';

describe('splitting a range into pages', () => {
  it('splits the step grid into pages of at most N points that share none and miss none', () => {
    assert.deepEqual(splitRange(0, 100, 10, 4), [{ start: 0, end: 30 }, { start: 40, end: 70 }, { start: 80, end: 100 }]);
    for (const [start, end, step, max] of [[0, 99, 10, 3], [1000, 1000, 15, 5], [0, 604_800, 15, MAX_POINTS_PER_QUERY], [7, 7 + 37 * 2.5, 2.5, 6]] as const) {
      const pages = splitRange(start, end, step, max);
      const points = pages.flatMap((p) => Array.from({ length: Math.round((p.end - p.start) / step) + 1 }, (_, i) => p.start + i * step));
      const grid = Array.from({ length: Math.floor((end - start) / step + 1e-9) + 1 }, (_, i) => start + i * step);
      assert.deepEqual(points, grid, `pages of ${JSON.stringify([start, end, step, max])}`);
      assert.ok(pages.every((p) => (p.end - p.start) / step + 1 <= max));
    }
  });

  it('needs four pages for a week at 15 s, the largest Prometheus accepts', () => {
    const pages = splitRange(0, 7 * 86_400, 15);
    assert.equal(pages.length, 4);
    assert.equal((pages[0]!.end - pages[0]!.start) / 15 + 1, 11_000);
  });

  it('accepts a selector with or without braces', () => {
    assert.equal(normaliseSelector('{job="agents"}'), 'job="agents"');
    assert.equal(normaliseSelector(' job="agents" '), 'job="agents"');
  });
});

interface Seen {
  query: string;
  start: number;
  end: number;
  step: number;
}

describe('fetching history from Prometheus', () => {
  let server: Server;
  let url: string;
  let seen: Seen[];
  let failNext: number[];
  // The fleet's two agents fit one batch: one query per column names both, never one per agent.
  const columnOf = new Map(signalQueries('30s', 'job="agents", agent=~"aider-1|crewai-1"').map((q, c) => [q.promql, c]));

  before(async () => {
    server = createServer(async (req, res) => {
      const u = new URL(req.url!, 'http://x');
      res.setHeader('content-type', 'application/json');
      if (u.pathname === '/api/v1/label/agent/values') return void res.end(JSON.stringify({ status: 'success', data: ['crewai-1', 'aider-1'] }));
      // Queries come as a form body (POST), as Prometheus and its compatibles accept them.
      let body = '';
      for await (const chunk of req) body += chunk;
      const p = new URLSearchParams(body);
      const q: Seen = { query: p.get('query')!, start: Number(p.get('start')), end: Number(p.get('end')), step: Number(p.get('step')) };
      seen.push(q);
      const status = failNext.shift();
      if (status) {
        res.statusCode = status;
        return void res.end(JSON.stringify({ status: 'error', errorType: status === 400 ? 'bad_data' : 'unavailable', error: status === 400 ? 'parse error at char 3' : 'busy' }));
      }
      // As Prometheus does: more than 11,000 points per series is refused.
      if ((q.end - q.start) / q.step > 11_000) {
        res.statusCode = 400;
        return void res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'exceeded maximum resolution of 11,000 points per timeseries' }));
      }
      const c = columnOf.get(q.query);
      const values = (gap: (t: number) => boolean): [number, string][] => {
        const out: [number, string][] = [];
        for (let t = q.start; t <= q.end; t += q.step) if (!gap(t)) out.push([t, String(c! * 1000 + t)]);
        return out;
      };
      res.end(JSON.stringify({
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            { metric: { agent: 'crewai-1', agent_type: 'crewai', tier: 'critical_agents' }, values: values(() => false) },
            // aider-1 restarted: nothing scraped from 30 to 45.
            { metric: { agent: 'aider-1', agent_type: 'aider', tier: 'default' }, values: values((t) => t >= 30 && t <= 45) },
          ],
        },
      }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen = [];
    failNext = [];
  });

  const fetch = (o: Partial<Parameters<typeof fetchPrometheusHistory>[0]> = {}) => fetchPrometheusHistory({
    url, start: 3, end: 98, stepSeconds: 5, rateWindow: '30s', selector: '{job="agents"}', pointsPerQuery: 4, backoffMs: 1, ...o,
  });

  it('asks one query per column for the whole fleet (one batch), page by page, and joins the pages per agent', async () => {
    const progress: number[] = [];
    const data = await fetch({ onProgress: (done, total) => progress.push(done / total) });
    // Grid 5..95 (aligned to the step inside [3, 98]): 19 points, pages of 4 → 5 pages per column.
    assert.equal(seen.length, AGENT_SIGNALS.length * 5);
    assert.equal(new Set(seen.map((s) => s.query)).size, AGENT_SIGNALS.length, 'never one query per agent');
    assert.ok(seen.every((s) => (s.end - s.start) / s.step + 1 <= 4 && s.step === 5));
    assert.equal(progress.at(-1), 1);
    assert.deepEqual(data.columns, AGENT_SIGNALS.map((s) => s.column));
    assert.deepEqual(data.sampling, { stepSeconds: 5, rateWindow: '30s' });
    assert.match(data.source, /prometheus http:\/\/127.0.0.1:\d+ query_range step 5s, rate window 30s, selector \{job="agents"\}/);
    const crewai = data.series.find((s) => s.agent === 'crewai-1')!;
    assert.equal(crewai.agentType, 'crewai');
    assert.deepEqual(crewai.timestamps, Array.from({ length: 19 }, (_, i) => 5 + 5 * i));
    assert.deepEqual(crewai.rows[0], AGENT_SIGNALS.map((_, c) => c * 1000 + 5));
    assert.deepEqual(crewai.rows[18], AGENT_SIGNALS.map((_, c) => c * 1000 + 95));
    const aider = data.series.find((s) => s.agent === 'aider-1')!;
    assert.deepEqual(aider.rows.map((r) => Number.isNaN(r[0]!)), aider.timestamps!.map((t) => t >= 30 && t <= 45), 'the restart gap stays NaN');
  });

  it('retries a busy Prometheus and then succeeds', async () => {
    failNext = [503, 503];
    const data = await fetch({ pointsPerQuery: 100 });
    assert.equal(seen.length, AGENT_SIGNALS.length + 2);
    assert.equal(data.series.length, 2);
  });

  it('explains a refused query without retrying it', async () => {
    failNext = [400];
    await assert.rejects(fetch(), /refused the query for column latency_p99_s \(page 1\/5, 1970-01-01T00:00:05.000Z → 1970-01-01T00:00:20.000Z\): bad_data: parse error at char 3/);
    assert.equal(seen.length, 1);
  });

  it('gives up on a Prometheus that stays busy, saying how often it tried', async () => {
    failNext = [503, 503, 503];
    await assert.rejects(fetch({ retries: 2 }), /answered 503 to the query for column latency_p99_s .*: unavailable: busy \(gave up after 3 tries\)/);
  });

  it('says when Prometheus cannot be reached', async () => {
    await assert.rejects(fetch({ url: 'http://127.0.0.1:1', retries: 1 }), /cannot reach Prometheus at http:\/\/127.0.0.1:1 \(connection refused\)/);
  });

  it('never asks for more than 11,000 points per series, whatever page size is asked for', async () => {
    const data = await fetch({ start: 0, end: 11_001 * 5, pointsPerQuery: 20_000 });
    assert.equal(seen.length, AGENT_SIGNALS.length * 2);
    assert.ok(seen.every((s) => (s.end - s.start) / s.step + 1 <= MAX_POINTS_PER_QUERY));
    assert.equal(data.series[0]!.rows.length, 11_002);
  });
});
