// Every PromQL expression a dashboard runs (panel targets, annotations, query variables), and the same
// expression with its variables replaced by the values a person would pick, as Grafana sends it.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

export interface DashboardQuery {
  dashboard: string;
  /** Panel id and title; for an annotation or variable, its name. */
  where: string;
  panelId?: number;
  refId?: string;
  expr: string;
}

type Loose = Record<string, unknown>;

export function dashboardQueries(d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const uid: string = d.uid ?? d.title ?? '';
  for (const p of (d.panels ?? []) as unknown as Loose[]) {
    for (const t of (p.targets ?? []) as Loose[]) {
      out.push({ dashboard: uid, where: `panel ${String(p.id)} "${String(p.title)}"`, panelId: p.id as number, refId: t.refId as string, expr: String(t.expr ?? '') });
    }
  }
  for (const a of ((d.annotations as Loose | undefined)?.list ?? []) as Loose[]) {
    if (typeof a.expr === 'string') out.push({ dashboard: uid, where: `annotation "${String(a.name)}"`, expr: a.expr });
  }
  for (const v of ((d.templating as Loose | undefined)?.list ?? []) as Loose[]) {
    const q = typeof v.query === 'string' ? /^label_values\((.*),\s*[A-Za-z_]+\)$/.exec(v.query) : null;
    if (v.type === 'query' && q) out.push({ dashboard: uid, where: `variable $${String(v.name)}`, expr: q[1]! });
  }
  return out;
}

/**
 * The expression with Grafana's variables replaced: `$name` and `${name}` by `values[name]` (a regex
 * value for the multi-value agent filters), and the interval variables by the given durations.
 */
export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const value = values[name];
    if (value === undefined) throw new Error(`dashboard query: no value for variable $${name} in ${JSON.stringify(expr)}`);
    return value;
  });
}
