// Training data from Prometheus: one query_range per model column for the whole fleet (never one per
// agent), split by time into pages Prometheus accepts, each page retried on transient failures, then
// aligned per agent by the same code serving uses (models/signal-queries.ts).
//
// Gaps and restarts: counters that reset on a restart are handled by rate() inside the queries; scrapes
// that are missing (an agent down, a Prometheus restart) stay NaN here and the preparation step decides
// what to fill. An agent that appears or disappears inside the range simply has NaN rows there.
import { setTimeout as sleep } from 'node:timers/promises';
import axios, { type AxiosInstance } from 'axios';
import { AGENT_SIGNALS } from '../models/features.ts';
import { assembleAgentSeries, signalQueries, type MatrixSeries } from '../models/signal-queries.ts';
import type { TrainingData, TrainingSeries } from './training-data.ts';
import { formatInstant } from '../lib/format-instant.ts';

/** Prometheus refuses a range query that would return more than 11,000 points per series. */
export const MAX_POINTS_PER_QUERY = 11_000;

export interface PrometheusSourceOptions {
  /** Base URL, e.g. http://prometheus:9090 (a path prefix such as /prometheus is kept). */
  url: string;
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
  /** Per request (default 60 s); Prometheus is asked to stop evaluating at the same time. */
  timeoutMs?: number;
  /** Further tries after a transient failure (default 3; backoff 0.5 s, 1 s, 2 s...). */
  retries?: number;
  backoffMs?: number;
  signal?: AbortSignal;
  /** Called after each request with how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
  /** For tests: the HTTP client. */
  http?: AxiosInstance;
}

export interface TimeChunk {
  start: number;
  end: number;
}

/**
 * Splits the step grid start, start+step, ..., ≤ end into consecutive pages of at most `maxPoints`
 * points. Pages share no point and leave none out: page k+1 starts one step after page k ends.
 */
export function splitRange(start: number, end: number, stepSeconds: number, maxPoints = MAX_POINTS_PER_QUERY): TimeChunk[] {
  if (!(stepSeconds > 0)) throw new Error(`step must be positive, but was ${stepSeconds}`);
  if (!(Number.isInteger(maxPoints) && maxPoints >= 1)) throw new Error(`points per query must be a positive integer, but was ${maxPoints}`);
  if (end < start) throw new Error(`the range ends (${end}) before it starts (${start})`);
  const points = Math.floor((end - start) / stepSeconds + 1e-9) + 1;
  const chunks: TimeChunk[] = [];
  for (let first = 0; first < points; first += maxPoints) {
    const last = Math.min(points, first + maxPoints) - 1;
    chunks.push({ start: start + first * stepSeconds, end: start + last * stepSeconds });
  }
  return chunks;
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
  const queries = signalQueries(o.rateWindow, normaliseSelector(o.selector));
  const chunks = splitRange(start, end, step, Math.min(o.pointsPerQuery ?? MAX_POINTS_PER_QUERY, MAX_POINTS_PER_QUERY));
  const http = o.http ?? axios.create();
  const timeoutMs = o.timeoutMs ?? 60_000;
  const total = queries.length * chunks.length;
  let done = 0;
  const answers = new Map<string, MatrixSeries[]>();
  for (const q of queries) {
    // Pages of one column are joined per label set: a series is the same series across pages.
    const merged = new Map<string, MatrixSeries>();
    for (const [k, chunk] of chunks.entries()) {
      const what = `column ${q.column} (page ${k + 1}/${chunks.length}, ${formatInstant(chunk.start)} → ${formatInstant(chunk.end)})`;
      const result = await queryRange(http, o, q.promql, chunk, timeoutMs, what);
      for (const series of result) {
        const key = JSON.stringify(Object.entries(series.metric).sort(([a], [b]) => a.localeCompare(b)));
        const into = merged.get(key);
        if (into) into.values.push(...series.values);
        else merged.set(key, { metric: series.metric, values: [...series.values] });
      }
      o.onProgress?.(++done, total);
    }
    answers.set(q.column, [...merged.values()]);
  }
  const columns = AGENT_SIGNALS.map((s) => s.column);
  const agents = assembleAgentSeries(columns, answers, start, end, step);
  const series: TrainingSeries[] = [...agents.values()]
    .filter((a) => a.rows.some((r) => r.some(Number.isFinite)))
    .sort((a, b) => a.agent.localeCompare(b.agent))
    .map((a) => ({ agent: a.agent, agentType: a.agentType, timestamps: a.timestamps, rows: a.rows, labels: null }));
  const selector = normaliseSelector(o.selector);
  return {
    columns,
    series,
    source: `prometheus ${o.url} query_range step ${step}s, rate window ${o.rateWindow}${selector ? `, selector {${selector}}` : ''}`,
    sampling: { stepSeconds: step, rateWindow: o.rateWindow },
  };
}

class TerminalQueryError extends Error {}

async function queryRange(http: AxiosInstance, o: PrometheusSourceOptions, promql: string, chunk: TimeChunk, timeoutMs: number, what: string): Promise<MatrixSeries[]> {
  const url = `${o.url.replace(/\/+$/, '')}/api/v1/query_range`;
  const retries = o.retries ?? 3;
  const backoffMs = o.backoffMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await http.get(url, {
        params: { query: promql, start: chunk.start, end: chunk.end, step: o.stepSeconds, timeout: `${Math.max(1, Math.floor(timeoutMs / 1000))}s` },
        timeout: timeoutMs,
        signal: o.signal,
        // Every answer is read here: Prometheus explains a refused query in the body of a 4xx.
        validateStatus: () => true,
        responseType: 'json',
      });
      const body = res.data as { status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: unknown } } | string;
      if (res.status >= 200 && res.status < 300 && typeof body === 'object' && body?.status === 'success') {
        if (body.data?.resultType !== 'matrix' || !Array.isArray(body.data.result)) {
          throw new TerminalQueryError(`Prometheus at ${o.url} answered a ${String(body.data?.resultType)} to the range query for ${what}, expected a matrix`);
        }
        return body.data.result as MatrixSeries[];
      }
      const reason = typeof body === 'object' && body?.error ? `${body.errorType ?? 'error'}: ${body.error}` : `HTTP ${res.status}`;
      // 429 and 5xx are Prometheus being busy or restarting; 400/422 are the query itself (no retry helps).
      if (res.status === 429 || res.status >= 500) throw new Error(`Prometheus at ${o.url} answered ${res.status} for ${what}: ${reason}`);
      throw new TerminalQueryError(`Prometheus at ${o.url} refused the query for ${what}: ${reason}\nquery: ${promql}`);
    } catch (err) {
      if (err instanceof TerminalQueryError || o.signal?.aborted) throw err;
      const message = transientMessage(err, o.url, what, timeoutMs);
      if (attempt >= retries) throw new Error(`${message} (gave up after ${attempt + 1} tries)`);
      await sleep(backoffMs * 2 ** attempt, undefined, { signal: o.signal });
    }
  }
}

function transientMessage(err: unknown, url: string, what: string, timeoutMs: number): string {
  if (axios.isAxiosError(err)) {
    if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT') return `Prometheus at ${url} did not answer within ${timeoutMs} ms for ${what}`;
    if (err.code === 'ECONNREFUSED') return `cannot reach Prometheus at ${url} (connection refused): is it running, and is --prometheus right?`;
    return `cannot query Prometheus at ${url} for ${what}: ${err.code ?? ''} ${err.message}`.replace(/ {2,}/g, ' ');
  }
  return (err as Error).message;
}
