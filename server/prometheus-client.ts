// Prometheus's instant-query API, for PromQL checks in verification.
import type { PromQuery } from '../remediations/verification.ts';

export function createPrometheusClient(baseUrl: string, timeoutMs: number): PromQuery {
  const base = baseUrl.replace(/\/$/, '');
  return {
    async query(expr, signal) {
      const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query: expr })}`, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
      const body = (await res.json().catch(() => ({}))) as { status?: string; error?: string; data?: { resultType?: string; result?: unknown[] } };
      if (!res.ok || body.status !== 'success') throw new Error(`Prometheus answered ${res.status}: ${body.error ?? 'no error text'}`);
      const result = body.data?.result ?? [];
      if (body.data?.resultType === 'scalar') return [Number((result as unknown[])[1])];
      return (result as { value?: [number, string] }[]).map((r) => Number(r.value?.[1]));
    },
  };
}
