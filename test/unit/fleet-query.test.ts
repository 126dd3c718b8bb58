// Fleet queries at scale: a fleet of N agents with batch size B is ceil(N/B) queries per column (never
// one per agent, never all of them in one), a long range is paged under 11,000 points per series, pages
// and batches join back per series, and only names the inventory could hold become query text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentMatcher, fetchFleet, inBatches, type FleetQuerier } from '../../models/fleet-query.ts';
import { MAX_POINTS_PER_QUERY } from '../../models/range-pages.ts';
import type { MatrixSeries } from '../../models/signal-queries.ts';
import { prometheusHttpOptions } from '../../lib/prometheus-connection.ts';

const COLUMNS = ['queue_depth', 'cpu'];

/** A query API over `names`: answers each range query with the agents its agent=~ matcher names. */
function fakeFleet(names: string[]) {
  const ranges: { expr: string; start: number; end: number; step: number }[] = [];
  const listings: string[][] = [];
  const q: FleetQuerier = {
    async queryRange(expr, start, end, step) {
      ranges.push({ expr, start, end, step });
      const m = /agent=~?"([^"]*)"/.exec(expr);
      const asked = m ? m[1]!.split('|').map((n) => n.replaceAll('\\\\.', '.')) : names;
      const values: [number, string][] = [];
      for (let t = start; t <= end; t += step) values.push([t, '1']);
      return asked.filter((n) => names.includes(n)).map((agent): MatrixSeries => ({ metric: { agent, agent_type: 't', tier: '' }, values: [...values] }));
    },
    async agentNames(matchers) {
      listings.push([...matchers]);
      return names;
    },
  };
  return { q, ranges, listings };
}

const request = (batchSize: number | undefined, start = 0, end = 60, step = 15) => ({
  columns: COLUMNS, rateWindow: '1m', selector: 'job="agents"', start, end, step, batchSize, signal: new AbortController().signal,
});

describe('fleet queries', () => {
  it('asks ceil(N/B) queries per column for a fleet of N agents in batches of B', async () => {
    for (const [n, b] of [[10_000, 500], [1234, 100], [3, 2], [7, 7], [1, 500]] as const) {
      const names = Array.from({ length: n }, (_, i) => `agent-${String(i).padStart(5, '0')}`);
      const f = fakeFleet(names);
      const answer = await fetchFleet(f.q, request(b));
      assert.equal(f.ranges.length, COLUMNS.length * Math.ceil(n / b), `N=${n} B=${b}`);
      assert.equal(answer.requests, f.ranges.length);
      assert.equal(f.listings.length, 1, 'the fleet is listed once, not per column');
      for (const c of COLUMNS) assert.equal(answer.answers.get(c)!.length, n, `every agent of ${c} answered once`);
      // Every agent is in exactly one batch of each column.
      const asked = f.ranges.flatMap((r) => /agent=~?"([^"]*)"/.exec(r.expr)![1]!.split('|'));
      assert.equal(asked.length, n * COLUMNS.length);
      assert.ok(f.ranges.every((r) => r.expr.includes('job="agents"')), 'the operator\'s selector stays on every query');
    }
  });

  it('asks the whole fleet in one query per column when no batch size is given', async () => {
    const f = fakeFleet(['a', 'b', 'c']);
    await fetchFleet(f.q, request(undefined));
    assert.equal(f.ranges.length, COLUMNS.length);
    assert.equal(f.listings.length, 0);
    assert.ok(f.ranges.every((r) => !r.expr.includes('agent=')));
  });

  it('pages a long range under 11,000 points per series and joins the pages in time order', async () => {
    const f = fakeFleet(['a', 'b', 'c']);
    const step = 15;
    const points = 2 * MAX_POINTS_PER_QUERY + 5;
    const answer = await fetchFleet(f.q, request(2, 0, (points - 1) * step, step));
    // 2 batches × 3 pages per column.
    assert.equal(f.ranges.length, COLUMNS.length * 2 * 3);
    assert.ok(f.ranges.every((r) => (r.end - r.start) / r.step + 1 <= MAX_POINTS_PER_QUERY));
    const a = answer.answers.get('cpu')!.find((s) => s.metric.agent === 'a')!;
    assert.equal(a.values.length, points);
    assert.deepEqual(a.values.map(([t]) => t), Array.from({ length: points }, (_, i) => i * step));
  });

  it('keeps pages in order when several requests are in flight', async () => {
    const f = fakeFleet(['a', 'b']);
    const slow: FleetQuerier = { ...f.q, queryRange: async (...args) => { await new Promise((r) => setTimeout(r, args[1] === 0 ? 5 : 0)); return f.q.queryRange(...args); } };
    const answer = await fetchFleet(slow, { ...request(1, 0, 30 * 15, 15), maxPoints: 10, concurrency: 8 });
    const times = answer.answers.get('queue_depth')!.find((s) => s.metric.agent === 'b')!.values.map(([t]) => t);
    assert.deepEqual(times, [...times].sort((x, y) => x - y));
    assert.equal(times.length, 31);
  });

  it('puts no agent name into a query that the inventory would not accept, and says which it skipped', async () => {
    const evil = 'x"} or vector(1) or up{a="';
    const f = fakeFleet(['good-1', evil, 'good.2', '']);
    const answer = await fetchFleet(f.q, request(10));
    assert.deepEqual(answer.skipped.sort(), ['', evil].sort());
    assert.ok(f.ranges.every((r) => !r.expr.includes('vector(1)')));
    assert.ok(f.ranges.every((r) => r.expr.includes('agent=~"good-1|good\\\\.2"')), f.ranges[0]!.expr);
  });

  it('quotes one agent exactly and escapes the only regex character names may hold', () => {
    assert.equal(agentMatcher(['crewai-1']), 'agent="crewai-1"');
    assert.equal(agentMatcher(['a.b', 'c']), 'agent=~"a\\\\.b|c"');
    assert.throws(() => agentMatcher(['ok', 'a"b']), /agent name "a\\"b" must be a name of letters, digits/);
    assert.deepEqual(inBatches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
    assert.throws(() => inBatches([1], 0), /batch size must be a positive integer, but was 0/);
  });
});

describe('HTTP options for a Prometheus-compatible API', () => {
  it('sends the tenant as X-Scope-OrgID and the bearer token, or basic auth', () => {
    const bearer = prometheusHttpOptions({ url: 'http://mimir:8080/prometheus', tenant: 'team-a', bearerToken: 'tok' });
    assert.equal(bearer.headers['X-Scope-OrgID'], 'team-a');
    assert.equal(bearer.headers.authorization, 'Bearer tok');
    const basic = prometheusHttpOptions({ url: 'http://vm:8428', basicAuth: { username: 'u', password: 'p' } });
    assert.equal(basic.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
    assert.equal(basic.headers['X-Scope-OrgID'], undefined);
    const inUrl = prometheusHttpOptions({ url: 'http://u:p%40ss@thanos:9090' });
    assert.equal(inUrl.headers.authorization, `Basic ${Buffer.from('u:p@ss').toString('base64')}`);
  });

  it('verifies TLS unless told not to, with the CA given', () => {
    const agent = prometheusHttpOptions({ url: 'https://thanos:443', tls: { ca: 'PEM' } }).agent as unknown as { options: { ca?: string; rejectUnauthorized?: boolean } };
    assert.equal(agent.options.ca, 'PEM');
    assert.equal(agent.options.rejectUnauthorized, true);
    const skip = prometheusHttpOptions({ url: 'https://thanos:443', tls: { insecureSkipVerify: true } }).agent as unknown as { options: { rejectUnauthorized?: boolean } };
    assert.equal(skip.options.rejectUnauthorized, false);
  });
});
