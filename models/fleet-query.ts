// Fleet queries at scale, for serving and training alike: the agent metric contract's expressions asked
// for a batch of agents at a time (agent=~"a|b|c"), each batch paged by time under the 11,000 points per
// series limit, and the pages joined back per series. One query over 10,000 agents is what Mimir's and
// Thanos' per-query limits (series fetched, samples, response size) refuse, and one query per agent is
// 10,000 requests a round: batches of a few hundred keep both small.
//
// Agent names come from the query API itself (the agent label's values), so they are validated before
// they become query text: a name outside the inventory's rule is skipped and reported, never quoted.
import { MAX_POINTS_PER_QUERY, splitRange } from './range-pages.ts';
import { signalQueries, type MatrixSeries } from './signal-queries.ts';

/** An agent name as the inventory accepts it (remediations/inventory.ts): the only outside text in a query. */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const AGENT_NAME_RULE = 'must be a name of letters, digits, ".", "_" or "-"';
/** Agents per query: under Mimir's and Thanos' default per-query limits with room, and 20 batches for 10,000 agents. */
export const DEFAULT_BATCH_SIZE = 500;
/** Metrics every contract agent exports; the agent label's values on them name the fleet. */
const FLEET_METRICS = ['agent_requests_total', 'agent_queue_depth', 'agent_memory_bytes'];

export interface FleetQuerier {
  /** One range query; start and end in Unix seconds, step in seconds; `part` says which, for messages. */
  queryRange(expr: string, start: number, end: number, step: number, signal: AbortSignal, part?: FleetPart): Promise<MatrixSeries[]>;
  /** The agent label's values on series matching any of `matchers` in [start, end]. Without it the fleet is asked for whole. */
  agentNames?(matchers: readonly string[], start: number, end: number, signal: AbortSignal): Promise<string[]>;
}

/** Which request of a fleet fetch this is (1-based), for messages and progress. */
export interface FleetPart {
  column: string;
  page: number;
  pages: number;
  batch: number;
  batches: number;
}

export interface FleetRequest {
  columns: readonly string[];
  rateWindow: string;
  /** Label matchers of the operator's (job="agents"), without braces; '' for none. */
  selector: string;
  /** Unix seconds, on the step grid. */
  start: number;
  end: number;
  step: number;
  /** Agents per query; undefined asks for the whole fleet in one query per column and page. */
  batchSize?: number;
  maxPoints?: number;
  /** Requests in flight at once (default 1: in order, as a progress bar expects). */
  concurrency?: number;
  signal: AbortSignal;
  /** After each range request, with how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
}

export interface FleetAnswer {
  /** Per column, the series of every batch and page, pages joined in time order. */
  answers: Map<string, MatrixSeries[]>;
  /** Range requests made (the agent listing not counted). */
  requests: number;
  batches: number;
  pages: number;
  /** Agent label values outside AGENT_NAME: not queried. */
  skipped: string[];
}

/** agent="a" for one name, agent=~"a|b" for several; throws on a name outside AGENT_NAME. */
export function agentMatcher(names: readonly string[]): string {
  const bad = names.find((n) => !AGENT_NAME.test(n));
  if (bad !== undefined) throw new Error(`agent name ${JSON.stringify(bad)} ${AGENT_NAME_RULE}: it cannot be put in a query`);
  if (names.length === 1) return `agent="${names[0]}"`;
  // "." is the only regex character the rule allows; \\ in a PromQL string is one backslash.
  return `agent=~"${names.map((n) => n.replaceAll('.', '\\\\.')).join('|')}"`;
}

export function inBatches<T>(items: readonly T[], size: number): T[][] {
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`batch size must be a positive integer, but was ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function fetchFleet(q: FleetQuerier, r: FleetRequest): Promise<FleetAnswer> {
  const byColumn = new Map(signalQueries(r.rateWindow).map((s) => [s.column as string, s]));
  const missing = r.columns.filter((c) => !byColumn.has(c));
  if (missing.length) throw new Error(`columns ${missing.join(', ')} have no query in the agent metric contract`);
  let selectors: string[] = [r.selector];
  const skipped: string[] = [];
  if (r.batchSize !== undefined && q.agentNames) {
    const matchers = FLEET_METRICS.map((m) => `{${[`__name__="${m}"`, r.selector].filter(Boolean).join(', ')}}`);
    const names = [...new Set(await q.agentNames(matchers, r.start, r.end, r.signal))].sort();
    const valid = names.filter((n) => AGENT_NAME.test(n));
    skipped.push(...names.filter((n) => !AGENT_NAME.test(n)));
    selectors = inBatches(valid, r.batchSize).map((batch) => [r.selector, agentMatcher(batch)].filter(Boolean).join(', '));
  }
  const pages = splitRange(r.start, r.end, r.step, Math.min(r.maxPoints ?? MAX_POINTS_PER_QUERY, MAX_POINTS_PER_QUERY));
  const tasks = r.columns.flatMap((column) => selectors.flatMap((selector, b) => {
    const promql = signalQueries(r.rateWindow, selector).find((s) => s.column === column)!.promql;
    return pages.map((page, k) => ({ column, promql, page, part: { column, page: k + 1, pages: pages.length, batch: b + 1, batches: selectors.length } }));
  }));
  const results = new Array<MatrixSeries[]>(tasks.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      const t = tasks[i]!;
      results[i] = await q.queryRange(t.promql, t.page.start, t.page.end, r.step, r.signal, t.part);
      r.onProgress?.(++done, tasks.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(r.concurrency ?? 1, tasks.length)) }, worker));
  // Tasks are in column, batch, page order: a series' pages are appended oldest first.
  const merged = new Map<string, Map<string, MatrixSeries>>(r.columns.map((c) => [c, new Map()]));
  tasks.forEach((t, i) => {
    const into = merged.get(t.column)!;
    for (const series of results[i]!) {
      const key = JSON.stringify(Object.entries(series.metric).sort(([a], [b]) => a.localeCompare(b)));
      const seen = into.get(key);
      if (seen) seen.values.push(...series.values);
      else into.set(key, { metric: series.metric, values: [...series.values] });
    }
  });
  return {
    answers: new Map([...merged].map(([c, m]) => [c, [...m.values()]])),
    requests: tasks.length, batches: selectors.length, pages: pages.length, skipped,
  };
}
