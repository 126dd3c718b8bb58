// Online scoring: an agent's recent window from Prometheus → gap handling and features (models/
// preprocessing and models/features, the modules training uses) → the model of its agent type. Used per incident (the engine's IncidentScorer) and by
// the fleet prediction loop. Windows are fetched with the step and rate window the model was trained
// with, so its temporal features mean what they meant in training.
import type { Clock } from '../../lib/clock.ts';
import type { PublishedModel } from '../../models/registry.ts';
import { assembleAgentSeries, CONTRACT_COLUMNS, latestWindow, warmupRows, type AgentSeries, type HistoryNeed } from '../../models/signal-queries.ts';
import { agentMatcher, fetchFleet } from '../../models/fleet-query.ts';
import type { AnomalyAssessment, IncidentScorer } from '../../remediations/engine.ts';
import type { Agent } from '../../remediations/types.ts';
import type { MedicMetrics } from '../observability/metrics.ts';
import type { ModelService } from './model-service.ts';
import type { FailurePrediction } from './failure-predictor.ts';
import { typeOf } from '../../models/anomaly-model.ts';
import type { PrometheusClient } from './prometheus-client.ts';

/** For models trained from CSV, which carry no sampling of their own. */
export const DEFAULT_SAMPLING = { stepSeconds: 15, rateWindow: '1m' };
/** Extra rows fetched beyond the window: the newest step may not be scraped or evaluated yet. */
const SLACK_ROWS = 2;

export function samplingOf(m: PublishedModel): { stepSeconds: number; rateWindow: string } {
  return m.model.sampling ?? DEFAULT_SAMPLING;
}

/** How a fleet fetch is split: agents per query (undefined: the whole fleet in one query per column). */
export interface FleetBatching {
  batchSize?: number;
  /** Requests in flight at once (default: one per column, as a single batch always had). */
  concurrency?: number;
}

/**
 * The model columns for every agent the selector matches (the whole fleet with an empty selector),
 * asked for in batches of agents and pages of time (models/fleet-query.ts), aligned per agent, with what
 * it cost. Columns outside the agent metric contract cannot be served.
 */
export async function fetchFleetSeries(
  prometheus: PrometheusClient, columns: readonly string[], sampling: { stepSeconds: number; rateWindow: string }, rows: number, selector: string, nowMs: number, signal: AbortSignal, batching: FleetBatching = {},
): Promise<{ series: Map<string, AgentSeries>; requests: number; skipped: string[] }> {
  const unknown = columns.filter((c) => !CONTRACT_COLUMNS.includes(c));
  if (unknown.length) throw new Error(`the model's columns ${unknown.join(', ')} are not in the agent metric contract (models/features.ts AGENT_SIGNALS): it cannot be served from Prometheus`);
  const step = sampling.stepSeconds;
  const end = Math.floor(nowMs / 1000);
  const start = end - (rows - 1) * step;
  const fleet = await fetchFleet(prometheus, {
    columns, rateWindow: sampling.rateWindow, selector, start, end, step, signal,
    batchSize: batching.batchSize, concurrency: batching.concurrency ?? columns.length,
  });
  return { series: assembleAgentSeries(columns, fleet.answers, start, end, step), requests: fleet.requests, skipped: fleet.skipped };
}

/** fetchFleetSeries' agents alone: for one agent (a selector naming it) or a fleet small enough for one batch. */
export async function fetchAgentSeries(
  prometheus: PrometheusClient, columns: readonly string[], sampling: { stepSeconds: number; rateWindow: string }, rows: number, selector: string, nowMs: number, signal: AbortSignal, batching: FleetBatching = {},
): Promise<Map<string, AgentSeries>> {
  return (await fetchFleetSeries(prometheus, columns, sampling, rows, selector, nowMs, signal, batching)).series;
}

/**
 * The history a model needs of an agent, and the rows to fetch for it: with slack for a late scrape, and
 * the fill limit's rows before the window, so a gap at the window's start is carried forward from the
 * value training would have carried (models/preprocessing.ts).
 */
export function historyNeed(m: PublishedModel): HistoryNeed & { fetchRows: number } {
  const need = { window: m.model.window, warmupRows: warmupRows(samplingOf(m)), fillLimit: m.model.fillLimit };
  return { ...need, fetchRows: need.window + need.warmupRows + need.fillLimit + SLACK_ROWS };
}

export function assessment(m: PublishedModel, rows: number[][], sampleAt: number): AnomalyAssessment {
  const s = m.model.score(rows);
  return {
    score: s.score, isAnomaly: s.isAnomaly, threshold: m.model.threshold, type: s.type,
    contributions: s.contributions, model: `${m.agentType}@${m.version}`, sampleAt,
  };
}

/**
 * A predicted failure's reading, from the prediction round that raised it: the probability as the score,
 * the anomaly type of the factor that drives it most (which the predicted-* selection rules act on).
 */
export function failureAssessment(p: FailurePrediction): AnomalyAssessment {
  const contributions = (p.factors ?? []).map((f) => ({ feature: f.feature, deviation: f.contribution }));
  return {
    score: p.probability, isAnomaly: p.factors !== undefined, threshold: p.threshold, type: typeOf(contributions[0]?.feature),
    contributions, model: `failure ${p.model}`, sampleAt: p.sampleAt,
  };
}

export function createIncidentScorer(o: { models: ModelService; prometheus: PrometheusClient; clock: Clock; metrics?: MedicMetrics; /** The failure prediction behind a preemptive incident (its alert names one), else undefined. */
  failurePrediction?: (agent: Agent, alertname: string, signal: AbortSignal) => Promise<FailurePrediction | undefined> | FailurePrediction | undefined;
}): IncidentScorer {
  return {
    async score(incident, agent, signal) {
      // The agent id comes from the inventory, never from the alert's labels.
      const predicted = await o.failurePrediction?.(agent, incident.alertname, signal);
      if (predicted) return failureAssessment(predicted);
      const m = o.models.modelFor(agent.type);
      if (!m) return undefined;
      const sampling = samplingOf(m);
      const started = performance.now();
      // The agent id comes from the inventory (a validated name), never from the alert's labels, and is
      // checked against the same rule again before it becomes query text.
      const need = historyNeed(m);
      const series = await fetchAgentSeries(o.prometheus, m.model.columns, sampling, need.fetchRows, agentMatcher([agent.id]), o.clock.now(), signal);
      const fetched = performance.now();
      const mine = series.get(agent.id);
      const window = mine ? latestWindow(mine, need) : { missing: 'no samples' };
      if ('missing' in window) throw new Error(`agent ${agent.id} cannot be scored: Prometheus holds ${window.missing} (${sampling.stepSeconds}s rows, the last ${need.fetchRows} fetched)`);
      const a = assessment(m, window.rows, window.sampleAt);
      o.metrics?.incidentScoring.observe({ phase: 'query' }, (fetched - started) / 1000);
      o.metrics?.incidentScoring.observe({ phase: 'score' }, (performance.now() - fetched) / 1000);
      return a;
    },
  };
}
