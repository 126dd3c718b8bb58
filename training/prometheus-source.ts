// Training data from Prometheus (or Thanos, Mimir, VictoriaMetrics): per model column one query_range per
// batch of agents (never one per agent, never all 10,000 in one), split by time into pages Prometheus
// accepts (models/fleet-query.ts), each request retried on transient failures, then aligned per agent by
// the same code serving uses (models/signal-queries.ts).
//
// Gaps and restarts: counters that reset on a restart are handled by rate() inside the queries; scrapes
// that are missing (an agent down, a Prometheus restart) stay NaN here and the preparation step decides
// what to fill. An agent that appears or disappears inside the range simply has NaN rows there.
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_SIGNALS } from '../models/features.ts';
import { DEFAULT_BATCH_SIZE, fetchFleet, type FleetPart } from '../models/fleet-query.ts';
import { MAX_POINTS_PER_QUERY, splitRange, type TimeChunk } from '../models/range-pages.ts';
import { assembleAgentSeries, type MatrixSeries } from '../models/signal-queries.ts';
import type { TrainingData, TrainingSeries } from './training-data.ts';
import { formatInstant } from '../lib/format-instant.ts';
import type { PrometheusConnection } from '../lib/prometheus-connection.ts';
import { createPrometheusHttp, PrometheusRequestError, type PrometheusHttp } from '../lib/prometheus-request.ts';

export { MAX_POINTS_PER_QUERY, splitRange, type TimeChunk };

export interface PrometheusSourceOptions {
  /** Base URL, e.g. http://prometheus:9090 (a path prefix such as /prometheus is kept). */
  url: string;
  /** Tenant, credentials and TLS for a Prometheus-compatible API (the server's prometheus settings). */
  connection?: Omit<PrometheusConnection, 'url'>;
  /** Unix seconds; the grid is aligned to multiples of the step inside [start, end]. */
  start: number;
  end: number;
  stepSeconds: number;
  /** The rate() window of the counter columns, a Prometheus duration (30s, 1m). */
  rateWindow: string;
  /** Label matchers added to every metric, e.g. job="agents" (with or without braces). */
  selector?: string;
  /** Points per series in one request (default and maximum 11,000). */
  pointsPerQuery?: number;
  /** Agents per request (default DEFAULT_BATCH_SIZE). */
  batchSize?: number;
  /** Per request (default 60 s); Prometheus is asked to stop evaluating at the same time. */
  timeoutMs?: number;
  /** Further tries after a transient failure (default 3; backoff 0.5 s, 1 s, 2 s...). */
  retries?: number;
  backoffMs?: number;
  signal?: AbortSignal;
  /** Called after each request with how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
}

/** The selector as signalQueries expects it: matchers without braces. */
export function normaliseSelector(selector: string | undefined): string {
  const s = (selector ?? '').trim();
  return s.startsWith('{') && s.endsWith('}') ? s.slice(1, -1).trim() : s;
}

/** Fetches the model columns for every agent in [start, end] and groups the rows per agent. */
export async function fetchPrometheusHistory(o: PrometheusSourceOptions): Promise<TrainingData> {
  const step = o.stepSeconds;
  const start = Math.ceil(o.start / step) * step;
  const end = Math.floor(o.end / step) * step;
  if (end <= start) throw new Error(`the range ${formatInstant(o.start)} → ${formatInstant(o.end)} holds fewer than two ${step} s steps`);
  const http = createPrometheusHttp({ ...o.connection, url: o.url });
  const timeoutMs = o.timeoutMs ?? 60_000;
  const signal = o.signal ?? new AbortController().signal;
  const columns = AGENT_SIGNALS.map((s) => s.column);
  const selector = normaliseSelector(o.selector);
  const fleet = await fetchFleet({
    queryRange: (promql, from, to, _step, sig, part) => withRetries(o, () => queryRange(http, promql, { start: from, end: to }, step, timeoutMs, sig, part)),
    agentNames: (matchers, from, to, sig) => withRetries(o, () => agentNames(http, matchers, from, to, timeoutMs, sig)),
  }, {
    columns, rateWindow: o.rateWindow, selector, start, end, step, signal,
    batchSize: o.batchSize ?? DEFAULT_BATCH_SIZE, maxPoints: o.pointsPerQuery, onProgress: o.onProgress,
  });
  const agents = assembleAgentSeries(columns, fleet.answers, start, end, step);
  const series: TrainingSeries[] = [...agents.values()]
    .filter((a) => a.rows.some((r) => r.some(Number.isFinite)))
    .sort((a, b) => a.agent.localeCompare(b.agent))
    .map((a) => ({ agent: a.agent, agentType: a.agentType, timestamps: a.timestamps, rows: a.rows, labels: null }));
  const skipped = fleet.skipped.length ? `, ${fleet.skipped.length} agents skipped for names outside the inventory's rule (${fleet.skipped.slice(0, 3).map((n) => JSON.stringify(n)).join(', ')})` : '';
  return {
    columns,
    series,
    source: `prometheus ${http.source} query_range step ${step}s, rate window ${o.rateWindow}${selector ? `, selector {${selector}}` : ''}${skipped}`,
    sampling: { stepSeconds: step, rateWindow: o.rateWindow },
  };
}

/** Runs `attempt` again after a transient failure (429, 5xx, a timeout, a refused connection), with backoff. */
async function withRetries<T>(o: PrometheusSourceOptions, attempt: () => Promise<T>): Promise<T> {
  const retries = o.retries ?? 3;
  const backoffMs = o.backoffMs ?? 500;
  for (let tried = 0; ; tried++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof PrometheusRequestError) || !err.transient || o.signal?.aborted) throw err;
      if (tried >= retries) throw new Error(`${err.message} (gave up after ${tried + 1} tries)`);
      await sleep(backoffMs * 2 ** tried, undefined, { signal: o.signal });
    }
  }
}

async function queryRange(http: PrometheusHttp, promql: string, page: TimeChunk, step: number, timeoutMs: number, signal: AbortSignal, part?: FleetPart): Promise<MatrixSeries[]> {
  const batch = part && part.batches > 1 ? `, agents batch ${part.batch}/${part.batches}` : '';
  const what = `the query for column ${part?.column ?? '?'} (page ${part?.page ?? 1}/${part?.pages ?? 1}, ${formatInstant(page.start)} → ${formatInstant(page.end)}${batch})`;
  // POST: a batch's agent=~"..." matcher makes a query longer than proxies accept in a URL.
  const data = (await http.call('POST', '/api/v1/query_range', {
    query: promql, start: String(page.start), end: String(page.end), step: String(step),
    // Prometheus is asked to stop evaluating when the client stops waiting.
    timeout: `${Math.max(1, Math.floor(timeoutMs / 1000))}s`,
  }, { timeoutMs, signal, what })) as { resultType?: string; result?: unknown };
  if (data?.resultType !== 'matrix' || !Array.isArray(data.result)) {
    throw new PrometheusRequestError(`Prometheus at ${http.source} answered a ${String(data?.resultType)} to ${what}, expected a matrix`, false);
  }
  return data.result as MatrixSeries[];
}

async function agentNames(http: PrometheusHttp, matchers: readonly string[], start: number, end: number, timeoutMs: number, signal: AbortSignal): Promise<string[]> {
  const data = await http.call('GET', '/api/v1/label/agent/values', { 'match[]': matchers, start: String(start), end: String(end) }, { timeoutMs, signal, what: 'the list of agents' });
  if (!Array.isArray(data)) throw new PrometheusRequestError(`Prometheus at ${http.source} answered the list of agents with something other than a list`, false);
  return data.filter((v): v is string => typeof v === 'string');
}
