// The dashboards against a live stack: every query, with its variables set to real values, run over a
// time range of the live Prometheus; every metric name checked against what Medic, a simulated agent and
// Prometheus export (their live /metrics, the recording rules, Prometheus's own series), and every label a
// matcher names checked against the series Prometheus holds for that metric.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DASHBOARDS } from '../../grafana/src/dashboard-list.ts';
import { dashboardQueries, substitute, type DashboardQuery } from '../../grafana/src/dashboard-queries.ts';
import { selectors } from '../../grafana/src/promql-selectors.ts';
import { REPO } from '../../sim/stack/medic-process.ts';

export interface LiveCheck {
  /** Queries whose result over the range held no value, as "dashboard where refId: expr". */
  empty: string[];
  /** Metric names no live exposition, recording rule or Prometheus series provides. */
  unknownMetrics: string[];
  /** "metric{label}" for matchers naming a label the metric's live series do not carry. */
  unknownLabels: string[];
  /** Metrics a matcher names labels on but that hold no series in the range: their labels are unchecked here. */
  noSeries: string[];
  queries: number;
}

// Series Prometheus makes itself: per scrape, and for alerting rules.
const PROMETHEUS_SERIES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'ALERTS', 'ALERTS_FOR_STATE'];

async function promGet(url: string, path: string, params: Record<string, string>): Promise<any> {
  const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
  const body = (await res.json()) as { status: string; data: any; error?: string };
  if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
  return body.data;
}

// A name is exported when a sample carries it, or when the exposition declares it (`# TYPE`): a gauge
// with no series yet (a failure probability with no failure model in service) is still Medic's to export.
const SERIES_OF: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };
const exposedNames = (text: string) => new Set([
  ...[...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )/gm)].map((m) => m[1]!),
  ...[...text.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)].flatMap((m) => (SERIES_OF[m[2]!] ?? ['']).map((suffix) => m[1]! + suffix)),
]);

function recordedNames(): Set<string> {
  const dir = join(REPO, 'rules');
  const names = readdirSync(dir).filter((f) => f.endsWith('.rules.yml'))
    .flatMap((f) => (parse(readFileSync(join(dir, f), 'utf8')) as { groups: { rules: { record?: string }[] }[] }).groups)
    .flatMap((g) => g.rules.map((r) => r.record).filter((r): r is string => !!r));
  return new Set(names);
}

export async function checkDashboardsLive(o: {
  prometheusUrl: string;
  /** /metrics addresses of Medic, one simulated agent, and Prometheus. */
  expositions: string[];
  values: Record<string, string>;
  start: number;
  end: number;
  /** Only these queries (default: all). */
  only?: (q: DashboardQuery) => boolean;
}): Promise<LiveCheck> {
  const queries = DASHBOARDS.flatMap((d) => dashboardQueries(d.build())).filter(o.only ?? (() => true));
  const known = new Set([...PROMETHEUS_SERIES, ...recordedNames()]);
  for (const url of o.expositions) for (const n of exposedNames(await (await fetch(url)).text())) known.add(n);

  const range = { start: String(o.start / 1000), end: String(o.end / 1000), step: '5' };
  const empty: string[] = [];
  const unknownMetrics = new Set<string>();
  const unknownLabels = new Set<string>();
  const noSeries = new Set<string>();
  const labelsOf = new Map<string, Set<string>>();
  for (const q of queries) {
    const expr = substitute(q.expr, o.values);
    const data = await promGet(o.prometheusUrl, '/api/v1/query_range', { query: expr, ...range });
    const values = (data.result as { values: [number, string][] }[]).flatMap((s) => s.values.map((v) => Number(v[1])));
    if (!values.some((v) => Number.isFinite(v))) empty.push(`${q.dashboard} ${q.where}${q.refId ? ` ${q.refId}` : ''}: ${expr}`);
    for (const s of selectors(q.expr)) {
      if (!s.metric) continue;
      if (!known.has(s.metric)) unknownMetrics.add(s.metric);
      if (!s.labels.length) continue;
      if (!labelsOf.has(s.metric)) {
        const series = (await promGet(o.prometheusUrl, '/api/v1/series', { 'match[]': s.metric, start: range.start, end: range.end })) as Record<string, string>[];
        labelsOf.set(s.metric, new Set(series.flatMap((x) => Object.keys(x))));
      }
      // A declared metric with no series says nothing about its labels: the caller decides whether that is allowed.
      if (!labelsOf.get(s.metric)!.size) { noSeries.add(s.metric); continue; }
      for (const label of s.labels) if (!labelsOf.get(s.metric)!.has(label)) unknownLabels.add(`${s.metric}{${label}}`);
    }
  }
  return { empty, unknownMetrics: [...unknownMetrics], unknownLabels: [...unknownLabels], noSeries: [...noSeries], queries: queries.length };
}
