// Prometheus's HTTP query API: instant queries for PromQL checks in verification, range queries for the
// anomaly model's windows. Every call is bounded by the configured timeout.
import type { MatrixSeries } from '../../models/signal-queries.ts';
import type { PromQuery } from '../../remediations/act/verification.ts';
import { deadlineSignal } from '../../lib/deadline-signal.ts';

export interface PrometheusClient extends PromQuery {
  /** One range query; start and end in Unix seconds, step in seconds. */
  queryRange(expr: string, start: number, end: number, step: number, signal: AbortSignal): Promise<MatrixSeries[]>;
}

export function createPrometheusClient(baseUrl: string, timeoutMs: number): PrometheusClient {
  const base = baseUrl.replace(/\/$/, '');
  const get = async (path: string, params: Record<string, string>, signal: AbortSignal) => {
    const res = await fetch(`${base}${path}?${new URLSearchParams(params)}`, { signal: deadlineSignal(timeoutMs, signal) });
    const body = (await res.json().catch(() => ({}))) as { status?: string; error?: string; data?: { resultType?: string; result?: unknown[] } };
    if (!res.ok || body.status !== 'success') throw new Error(`Prometheus answered ${res.status} to ${path}: ${body.error ?? 'no error text'}`);
    return body.data ?? {};
  };
  return {
    async query(expr, signal) {
      const data = await get('/api/v1/query', { query: expr }, signal);
      const result = data.result ?? [];
      if (data.resultType === 'scalar') return [Number((result as unknown[])[1])];
      return (result as { value?: [number, string] }[]).map((r) => Number(r.value?.[1]));
    },
    async queryRange(expr, start, end, step, signal) {
      const data = await get('/api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(step) }, signal);
      if (data.resultType !== 'matrix') throw new Error(`Prometheus answered a ${String(data.resultType)} to a range query, expected a matrix`);
      return (data.result ?? []) as MatrixSeries[];
    },
  };
}
