// The few panel shapes every Medic dashboard is made of, so that each dashboard file reads as a list of
// questions and the queries that answer them. Every panel and query is on the `datasource` variable,
// whose default is the provisioned Prometheus (grafana/provisioning/datasources/medic.yml).
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { ReduceDataOptionsBuilder, type DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { DashboardLinkBuilder, RowBuilder, type Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** The provisioned datasource's uid: the `datasource` variable's default. */
export const DATASOURCE_UID = 'medic-prometheus';
export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  /** The series' name in the legend (`{{label}}` templates). */
  legend?: string;
}

export interface PanelSpec {
  title: string;
  /** What the panel answers and how to read it. */
  description: string;
  /** A Grafana unit id (s, percentunit, short, bytes, reqps, …). */
  unit: string;
  queries: Query[];
  /** Grid width out of 24. */
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  links?: { title: string; url: string }[];
}

function targets(queries: Query[], format?: PromQueryFormat, instant = false) {
  return queries.map((q, i) => {
    const t = new DataqueryBuilder().datasource(DATASOURCE).expr(q.expr).refId(String.fromCharCode(65 + i)).legendFormat(q.legend ?? '__auto');
    if (format) t.format(format);
    if (instant) t.instant();
    return t;
  });
}

function common<B extends { datasource(d: DataSourceRef): B; title(t: string): B; description(d: string): B; unit(u: string): B; span(w: number): B; height(h: number): B; min(n: number): B; max(n: number): B; dataLinks(l: cog.Builder<import('@grafana/grafana-foundation-sdk/dashboard').DashboardLink>[]): B }>(b: B, s: PanelSpec, width: number, height: number): B {
  b.datasource(DATASOURCE).title(s.title).description(s.description).unit(s.unit).span(s.width ?? width).height(s.height ?? height);
  if (s.min !== undefined) b.min(s.min);
  if (s.max !== undefined) b.max(s.max);
  if (s.links) b.dataLinks(s.links.map((l) => new DashboardLinkBuilder(l.title).url(l.url).targetBlank(true)));
  return b;
}

/** A time series: how something moved over the dashboard's range. */
export function timeseries(s: PanelSpec): cog.Builder<Panel> {
  const b = common(new TimeseriesBuilder(), s, 12, 8).fillOpacity(10).lineWidth(1);
  for (const t of targets(s.queries)) b.withTarget(t);
  return b;
}

/** One number now (the last value), with a sparkline. */
export function stat(s: PanelSpec): cog.Builder<Panel> {
  const b = common(new StatBuilder(), s, 4, 4).reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']));
  for (const t of targets(s.queries)) b.withTarget(t);
  return b;
}

/** A table of the series' labels and current values (an instant query). */
export function table(s: PanelSpec): cog.Builder<Panel> {
  const b = common(new TableBuilder(), s, 12, 8);
  for (const t of targets(s.queries, PromQueryFormat.Table, true)) b.withTarget(t);
  return b;
}

export const row = (title: string) => new RowBuilder(title);

/** The agent filter every fleet query carries. */
export const AGENTS = 'agent_type=~"$agent_type", tier=~"$tier", agent=~"$agent"';
