// The agent metric contract as PromQL, one expression per model column (features.ts AGENT_SIGNALS), and
// the one way a Prometheus range answer becomes per-agent sample rows. Training (training/prometheus-
// source) and serving (the server's scoring) both go through here, so a model never sees columns built
// differently from those it was trained on. Each expression covers the whole fleet: one query_range per
// column, never one per agent.
import { parseDurationMs } from '../lib/units.ts';
import { AGENT_SIGNALS } from './features.ts';
import { DEFAULT_FILL_LIMIT, preprocess } from './preprocessing.ts';

export const AGENT_LABELS = 'agent, agent_type, tier';

export interface SignalQuery {
  column: (typeof AGENT_SIGNALS)[number]['column'];
  promql: string;
}

/** The columns a served model may read, in the contract's order: each has its expression below. */
export const CONTRACT_COLUMNS: readonly string[] = AGENT_SIGNALS.map((s) => s.column);

/**
 * Why a model reading `columns` cannot be served, or undefined when it can. Serving fetches each column
 * with its expression in signalQueries, so a column without one (a CSV's gpu_temp) would fail every
 * scoring round; training, promotion and loading ask here, so such a model never reaches the server.
 * Any subset of the contract, in any order, is servable (columns are fetched by name).
 */
export function contractProblem(columns: readonly string[]): string | undefined {
  const outside = columns.filter((c) => !CONTRACT_COLUMNS.includes(c));
  if (outside.length === 0) return undefined;
  const one = outside.length === 1;
  return `${one ? 'column' : 'columns'} ${outside.join(', ')} ${one ? 'is' : 'are'} not in the agent metric contract (${CONTRACT_COLUMNS.join(', ')}; models/features.ts AGENT_SIGNALS): the server reads each model column from Prometheus with that contract's query, and there is none for ${one ? 'it' : 'them'}`;
}

/** PromQL per column, with rates over `rateWindow` (a Prometheus duration such as 1m). */
export function signalQueries(rateWindow = '1m', selector = ''): SignalQuery[] {
  if (!/^\d+(ms|s|m|h)$/.test(rateWindow)) throw new Error(`rate window must be a Prometheus duration such as 30s or 1m, but was ${JSON.stringify(rateWindow)}`);
  const sel = (metric: string, extra = '') => {
    const parts = [selector, extra].filter(Boolean).join(', ');
    return parts ? `${metric}{${parts}}` : metric;
  };
  const by = `by (${AGENT_LABELS})`;
  const expressions: Record<SignalQuery['column'], string> = {
    latency_p99_s: `histogram_quantile(0.99, sum by (${AGENT_LABELS}, le) (rate(${sel('agent_request_duration_seconds_bucket')}[${rateWindow}])))`,
    // No traffic reads as 0 errors (0/0 is NaN in PromQL, and a gap becomes 0 in features anyway).
    error_rate: `(sum ${by} (rate(${sel('agent_requests_total', 'status=~"5.."')}[${rateWindow}])) or sum ${by} (rate(${sel('agent_requests_total')}[${rateWindow}])) * 0) / clamp_min(sum ${by} (rate(${sel('agent_requests_total')}[${rateWindow}])), 1e-9)`,
    request_rate: `sum ${by} (rate(${sel('agent_requests_total')}[${rateWindow}]))`,
    queue_depth: `max ${by} (${sel('agent_queue_depth')})`,
    memory_utilisation: `max ${by} (${sel('agent_memory_bytes')} / ${sel('agent_memory_limit_bytes')})`,
    cpu: `sum ${by} (rate(${sel('process_cpu_seconds_total')}[${rateWindow}]))`,
    dependency_up: `min ${by} (${sel('agent_dependency_up')})`,
  };
  return AGENT_SIGNALS.map((s) => ({ column: s.column, promql: expressions[s.column] }));
}

/** One series of a Prometheus matrix answer (resultType "matrix"). */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface AgentSeries {
  agent: string;
  agentType: string;
  tier: string;
  /** Unix seconds of each row: start, start + step, ..., end. */
  timestamps: number[];
  /** One row per timestamp, one value per column in `columns` order; NaN where Prometheus had none. */
  rows: number[][];
}

/**
 * Aligns range answers (one per column) on the step grid from `start` to `end` and groups them by agent.
 * Missing samples (gaps, restarts, an agent not yet scraped) stay NaN here: models/preprocessing.ts
 * fills or drops them, for training and serving alike.
 */
export function assembleAgentSeries(columns: readonly string[], answers: ReadonlyMap<string, readonly MatrixSeries[]>, start: number, end: number, step: number): Map<string, AgentSeries> {
  if (!(step > 0)) throw new Error(`step must be positive, but was ${step}`);
  const length = Math.floor((end - start) / step + 1e-9) + 1;
  const timestamps = Array.from({ length }, (_, i) => start + i * step);
  const agents = new Map<string, AgentSeries>();
  columns.forEach((column, c) => {
    for (const series of answers.get(column) ?? []) {
      const agent = series.metric.agent;
      if (!agent) continue;
      let entry = agents.get(agent);
      if (!entry) {
        entry = { agent, agentType: series.metric.agent_type ?? 'unknown', tier: series.metric.tier ?? '', timestamps, rows: timestamps.map(() => new Array<number>(columns.length).fill(Number.NaN)) };
        agents.set(agent, entry);
      }
      for (const [t, v] of series.values) {
        const i = Math.round((t - start) / step);
        if (i < 0 || i >= length) continue;
        const value = Number(v);
        entry.rows[i]![c] = Number.isFinite(value) ? value : Number.NaN;
      }
    }
  });
  return agents;
}

/** How much history an agent needs before a model's reading of it means anything. */
export interface HistoryNeed {
  /** Rows in the model's feature window. */
  window: number;
  /** Rows before the window whose samples rates need (the rate window over the step). */
  warmupRows: number;
  /** The model's forward-fill limit (models/preprocessing.ts); default DEFAULT_FILL_LIMIT. */
  fillLimit?: number;
}

/** The rate window's length in rows of `stepSeconds`: a rate over a shorter life is extrapolated. */
export function warmupRows(sampling: { stepSeconds: number; rateWindow: string }): number {
  const ms = parseDurationMs(sampling.rateWindow);
  if (ms === undefined) throw new Error(`the model's rate window ${JSON.stringify(sampling.rateWindow)} is not a duration`);
  return Math.ceil(ms / 1000 / sampling.stepSeconds);
}

export type LatestWindow = { rows: number[][]; sampleAt: number } | { missing: string };

/**
 * The newest `window` rows of an agent after the preprocessing training applies (models/preprocessing.ts:
 * short gaps carried forward, rows with nothing dropped, the rest 0), ending at the last row Prometheus
 * had any value for (the range's end may be newer than the last scrape or rule evaluation). So a window
 * spanning a gap holds the rows training would have put in it. An agent with fewer kept rows than the
 * window plus the rate warm-up is not scored, as training leaves such rows out: its baselines and rates
 * would rest on a few samples, which a model reads as anomalous (every healthy agent of a fresh fleet
 * did), so a new deployment would page as it starts.
 */
export function latestWindow(series: AgentSeries, need: HistoryNeed): LatestWindow {
  // Steps after the last sample are not there yet (not gaps): carrying values into them would score
  // a copy of the newest sample as if it were a new one.
  let last = series.rows.length - 1;
  while (last >= 0 && !series.rows[last]!.some(Number.isFinite)) last--;
  if (last < 0) return { missing: 'no samples' };
  const p = preprocess(series.rows.slice(0, last + 1), need.fillLimit ?? DEFAULT_FILL_LIMIT);
  const history = p.kept.length;
  const needed = need.window + need.warmupRows;
  if (history < needed) return { missing: `${history} rows of history, fewer than the ${needed} the model needs (a window of ${need.window} after ${need.warmupRows} of rate warm-up)` };
  return { rows: p.rows.slice(-need.window), sampleAt: series.timestamps[last]! * 1000 };
}
