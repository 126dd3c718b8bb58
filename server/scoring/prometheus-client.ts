// A Prometheus-compatible query API (Prometheus, Thanos, Mimir, VictoriaMetrics): instant queries for
// PromQL checks in verification, range queries for the anomaly model's windows, the agent label's values
// to batch fleet queries. Tenant, credentials and TLS come from the one place that builds them
// (lib/prometheus-connection.ts); every call is bounded by the configured timeout.
import type { FleetQuerier } from '../../models/fleet-query.ts';
import type { MatrixSeries } from '../../models/signal-queries.ts';
import type { PromQuery } from '../../remediations/act/verification.ts';
import type { PrometheusConnection } from '../../lib/prometheus-connection.ts';
import { createPrometheusHttp } from '../../lib/prometheus-request.ts';

export interface PrometheusClient extends PromQuery, FleetQuerier {
  /** One range query; start and end in Unix seconds, step in seconds. */
  queryRange(expr: string, start: number, end: number, step: number, signal: AbortSignal): Promise<MatrixSeries[]>;
}

/** `connection` is a base URL or the full settings (server/app/prometheus-credentials.ts). */
export function createPrometheusClient(connection: string | PrometheusConnection, timeoutMs: number): PrometheusClient {
  const http = createPrometheusHttp(typeof connection === 'string' ? { url: connection } : connection);
  // POST for queries: Prometheus and its compatibles accept form bodies, and a batch's agent=~"..."
  // matcher outgrows the URL length proxies allow.
  const call = (method: 'GET' | 'POST', path: string, params: Record<string, string | readonly string[]>, signal: AbortSignal, what: string) =>
    http.call(method, path, params, { timeoutMs, signal, what }) as Promise<{ resultType?: string; result?: unknown[] } | undefined>;
  return {
    async query(expr, signal) {
      const data = (await call('POST', '/api/v1/query', { query: expr }, signal, 'an instant query')) ?? {};
      const result = data.result ?? [];
      if (data.resultType === 'scalar') return [Number((result as unknown[])[1])];
      return (result as { value?: [number, string] }[]).map((r) => Number(r.value?.[1]));
    },
    async queryRange(expr, start, end, step, signal) {
      const data = (await call('POST', '/api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(step) }, signal, 'a range query')) ?? {};
      if (data.resultType !== 'matrix') throw new Error(`Prometheus at ${http.source} answered a ${String(data.resultType)} to a range query, expected a matrix`);
      return (data.result ?? []) as MatrixSeries[];
    },
    async agentNames(matchers, start, end, signal) {
      // GET: Prometheus serves label values on GET only; the matchers are short (no agent names in them).
      const data = (await http.call('GET', '/api/v1/label/agent/values', { 'match[]': matchers, start: String(start), end: String(end) }, { timeoutMs, signal, what: 'the list of agents' })) as unknown;
      if (!Array.isArray(data)) throw new Error(`Prometheus at ${http.source} answered the list of agents with something other than a list`);
      return data.filter((v): v is string => typeof v === 'string');
    },
  };
}
