// Failure prediction for the whole fleet, each prediction round: one range query per column and batch of
// agents at the failure model's sampling, every agent's last window scored in ONE batch (131 agents: one network call),
// medic_failure_probability exported for rules/predictive.rules.yml (AgentFailurePredicted, which comes
// back through Alertmanager as a preemptive incident), and the contributing factors of the agents at or
// above the model's threshold (occlusion costs a dozen forward passes, so only for those).
import type { Clock } from '../../lib/clock.ts';
import type { FailureModel } from '../../models/failure/failure-model.ts';
import { PredictionOutcomes } from '../../models/failure/prediction-outcomes.ts';
import { breachesSlo } from '../../lib/failure-slo.ts';
import type { PublishedModel } from '../../models/registry.ts';
import { latestWindow } from '../../models/signal-queries.ts';
import type { MedicMetrics } from '../observability/metrics.ts';
import { fetchAgentSeries, fetchFleetSeries, historyNeed, samplingOf, type FleetBatching } from './anomaly-scorer.ts';
import { agentMatcher } from '../../models/fleet-query.ts';
import type { ModelService } from './model-service.ts';
import type { PrometheusClient } from './prometheus-client.ts';
import { deadlineSignal } from '../../lib/deadline-signal.ts';

/** A sample older than this many steps is not scored: the agent is down, and AgentDown says so. */
const STALE_STEPS = 3;
/** AgentFailurePredicted's level (rules/predictive.rules.yml): agents past it are explained, so the incident it raises can say why. */
export const ALERT_PROBABILITY = 0.7;

export interface FailurePrediction {
  agent: string;
  agentType: string;
  tier: string;
  probability: number;
  threshold: number;
  model: string;
  sampleAt: number;
  /** For agents at or above the threshold (or the alert's 0.7): the metrics and the window's quarters that drive it. */
  factors?: { feature: string; contribution: number }[];
  steps?: { from: number; to: number; contribution: number }[];
}

// A window's prediction, explained when it reaches the model's threshold or the alert's level.
function predictionOf(m: PublishedModel, b: { agent: string; agentType: string; tier: string; rows: number[][]; sampleAt: number }, probability: number): FailurePrediction {
  const model = m.model as FailureModel;
  const prediction: FailurePrediction = { agent: b.agent, agentType: b.agentType, tier: b.tier, probability, threshold: model.threshold, model: `${m.agentType}@${m.version}`, sampleAt: b.sampleAt };
  if (probability >= Math.min(model.threshold, ALERT_PROBABILITY)) {
    const e = model.explain(b.rows);
    prediction.factors = e.reading.contributions.map((c) => ({ feature: c.feature, contribution: c.deviation }));
    prediction.steps = e.steps;
  }
  return prediction;
}

export interface FailureRound { agents: number; unscored: number; queries: number; queryMs: number; scoreMs: number }


export class FailurePredictor {
  private latest: FailurePrediction[] = [];
  private outcomes: { horizonMs: number; tracker: PredictionOutcomes; exported: { true: number; false: number; predicted: number; missed: number } } | undefined;

  constructor(private readonly o: {
    models: ModelService; prometheus: PrometheusClient; metrics: MedicMetrics; clock: Clock; timeoutMs: number; batching?: FleetBatching;
    /** Agents Medic acted on since a time (the store): their alarms count as foreseen, not false. */
    actedSince?: (sinceMs: number) => Promise<{ target: string }[]>;
  }) {}

  /** The last round's predictions, most likely failure first. */
  predictions(): FailurePrediction[] {
    return this.latest;
  }

  async runOnce(signal: AbortSignal): Promise<FailureRound> {
    const round: FailureRound = { agents: 0, unscored: 0, queries: 0, queryMs: 0, scoreMs: 0 };
    const now = this.o.clock.now();
    const next: FailurePrediction[] = [];
    // Usually one model ('default') serves the fleet: one fetch, one batch.
    const served = new Map<string, PublishedModel>();
    for (const info of this.o.models.inService()) served.set(`${info.agentType}@${info.version}`, this.o.models.modelFor(info.agentType)!);
    for (const m of served.values()) {
      const need = historyNeed(m);
      const sampling = samplingOf(m);
      const t0 = performance.now();
      const { series, requests } = await fetchFleetSeries(this.o.prometheus, m.model.columns, sampling, need.fetchRows, '', now, deadlineSignal(this.o.timeoutMs, signal), this.o.batching);
      const t1 = performance.now();
      round.queries += requests;
      round.queryMs += t1 - t0;
      const horizonMs = (m.model as FailureModel).artifact.horizon * sampling.stepSeconds * 1000;
      const outcomes = this.outcomesFor(horizonMs);
      for (const acted of (await this.o.actedSince?.(now - horizonMs).catch(() => [])) ?? []) outcomes.remediated(acted.target, now);
      const batch: { agent: string; agentType: string; tier: string; rows: number[][]; sampleAt: number }[] = [];
      for (const s of series.values()) {
        if (this.o.models.modelFor(s.agentType) !== m) continue;
        const w = latestWindow(s, need);
        const stale = !('missing' in w) && now - w.sampleAt > STALE_STEPS * sampling.stepSeconds * 1000;
        if ('missing' in w || stale) {
          // Down (its samples stopped): a failure. Too young to score: nothing happened yet.
          if (stale || ('missing' in w && w.missing === 'no samples')) outcomes.down(s.agent, now);
          round.unscored++;
          continue;
        }
        batch.push({ agent: s.agent, agentType: s.agentType, tier: s.tier, rows: w.rows, sampleAt: w.sampleAt });
      }
      if (!batch.length) continue;
      const model = m.model as FailureModel;
      const p = model.scoreBatch(batch.map((b) => b.rows));
      batch.forEach((b, i) => {
        next.push(predictionOf(m, b, p[i]!));
        const last = b.rows[b.rows.length - 1]!;
        const latency = last[model.columns.indexOf('latency_p99_s')];
        const errors = last[model.columns.indexOf('error_rate')];
        const failing = breachesSlo(latency, errors);
        outcomes.observe(b.agent, now, p[i]!, p[i]! >= model.threshold, failing);
      });
      round.agents += batch.length;
      round.scoreMs += performance.now() - t1;
    }
    // Replaced in one synchronous step, like the anomaly scores: agents gone leave no stale series.
    this.o.metrics.failureProbability.reset();
    for (const x of next) {
      this.o.metrics.failureProbability.set({ agent: x.agent, agent_type: x.agentType, tier: x.tier }, x.probability);
      // Per agent type as it was scored (by its own model or the default one), so a panel can set an
      // agent's probability against its threshold; the model service exports each model's own beside it.
      this.o.metrics.failureThreshold.set({ agent_type: x.agentType }, x.threshold);
    }
    this.latest = next.sort((a, b) => b.probability - a.probability);
    this.exportOutcomes();
    return round;
  }

  /**
   * The prediction behind an incident the predicted-failure alert raised on this agent: the last round's
   * when it is recent, else the agent scored now from its own window. A replica that does not run the
   * rounds (another holds the periodic-jobs lease), or one that restarted since, then decides on the
   * failure model's reading as the round's holder would, not on the anomaly model's. No metric is
   * exported for it: the round's holder exports the fleet's. Undefined when no failure model serves the
   * agent's type or its window cannot be read (the incident is then decided without a reading).
   */
  async predictionFor(agent: { id: string; type: string; tier?: string }, signal: AbortSignal): Promise<FailurePrediction | undefined> {
    const m = this.o.models.modelFor(agent.type);
    if (!m) return undefined;
    const now = this.o.clock.now();
    const sampling = samplingOf(m);
    const recent = this.latest.find((p) => p.agent === agent.id);
    if (recent && now - recent.sampleAt <= STALE_STEPS * sampling.stepSeconds * 1000) return recent;
    const need = historyNeed(m);
    const series = await fetchAgentSeries(this.o.prometheus, m.model.columns, sampling, need.fetchRows, agentMatcher([agent.id]), now, deadlineSignal(this.o.timeoutMs, signal), this.o.batching);
    const s = series.get(agent.id);
    const w = s ? latestWindow(s, need) : { missing: 'no samples' as const };
    if ('missing' in w || now - w.sampleAt > STALE_STEPS * sampling.stepSeconds * 1000) return undefined;
    const probability = (m.model as FailureModel).scoreBatch([w.rows])[0]!;
    return predictionOf(m, { agent: agent.id, agentType: agent.type, tier: s?.tier ?? agent.tier ?? 'default', rows: w.rows, sampleAt: w.sampleAt }, probability);
  }

  // One tracker per horizon: a model with another horizon starts its count afresh.
  private outcomesFor(horizonMs: number): PredictionOutcomes {
    if (this.outcomes?.horizonMs !== horizonMs) this.outcomes = { horizonMs, tracker: new PredictionOutcomes(horizonMs), exported: { true: 0, false: 0, predicted: 0, missed: 0 } };
    return this.outcomes.tracker;
  }

  private exportOutcomes(): void {
    if (!this.outcomes) return;
    const { tracker, exported } = this.outcomes;
    const t = tracker.totals;
    const m = this.o.metrics;
    m.predictionEpisodes.inc({ outcome: 'true' }, t.episodes.true - exported.true);
    m.predictionEpisodes.inc({ outcome: 'false' }, t.episodes.false - exported.false);
    m.predictionFailures.inc({ predicted: 'yes' }, t.failures.predicted - exported.predicted);
    m.predictionFailures.inc({ predicted: 'no' }, t.failures.missed - exported.missed);
    this.outcomes.exported = { true: t.episodes.true, false: t.episodes.false, predicted: t.failures.predicted, missed: t.failures.missed };
    const set = (g: { set(v: number): void; reset(): void }, v: number | undefined) => (v === undefined ? g.reset() : g.set(v));
    set(m.predictionPrecision, tracker.precision());
    set(m.predictionRecall, tracker.recall());
    set(m.predictionBrier, tracker.brierScore());
    const leads = [...t.leadSeconds].sort((a, b) => a - b);
    set(m.predictionLeadTime, leads.length ? leads[leads.length >> 1] : undefined);
  }
}
