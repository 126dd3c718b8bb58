// The fleet prediction loop: every prediction_interval, one range query per model column and batch of
// agents (prometheus.batch_size; never one per agent), every agent scored by the model of its type, and medic_anomaly_score
// exported so that rules/predictive.rules.yml can alert on it through Alertmanager like any other signal.
import type { Clock } from '../../lib/clock.ts';
import type { PublishedModel } from '../../models/registry.ts';
import { latestWindow, type AgentSeries } from '../../models/signal-queries.ts';
import { assessment, fetchFleetSeries, historyNeed, samplingOf, type FleetBatching } from './anomaly-scorer.ts';
import type { Logger } from '../../lib/logger.ts';
import type { MedicMetrics } from '../observability/metrics.ts';
import type { ModelService } from './model-service.ts';
import type { PrometheusClient } from './prometheus-client.ts';
import type { FailurePredictor, FailurePrediction } from './failure-predictor.ts';
import { deadlineSignal } from '../../lib/deadline-signal.ts';

/** A sample older than this many steps is not scored: the agent is down, and AgentDown says so. */
const STALE_STEPS = 3;

export interface LoopRound {
  agents: number;
  /** Agents seen but not scored: younger than their model's window plus rate warm-up, or stale. */
  unscored: number;
  queries: number;
  queryMs: number;
  scoreMs: number;
  /** Agents the failure model scored. */
  failureAgents?: number;
}

export class PredictionLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly o: {
    models: ModelService; prometheus: PrometheusClient; metrics: MedicMetrics; log: Logger; clock: Clock; timeoutMs: number; failures?: FailurePredictor; batching?: FleetBatching;
    /** Beside other Medics on the store, only the periodic-jobs lease holder scores the fleet (one set of scores, one predicted-failure alert). */
    isLeader?: () => boolean;
  }) {}

  /** The failure predictions of the last round (none without a failure model). */
  failurePredictions(): FailurePrediction[] {
    return this.o.failures?.predictions() ?? [];
  }

  /** One round. Models that share a sampling share their queries: usually one group, so one query per column. */
  async runOnce(signal: AbortSignal = this.abort.signal): Promise<LoopRound> {
    const now = this.o.clock.now();
    const groups = new Map<string, { sampling: { stepSeconds: number; rateWindow: string }; columns: string[]; rows: number }>();
    // Each model's query group and history need, derived once per round (not once per agent).
    const plans = new Map<PublishedModel, { key: string; sampling: { stepSeconds: number; rateWindow: string }; columns: string[]; need: ReturnType<typeof historyNeed> }>();
    const planOf = (m: PublishedModel) => {
      let plan = plans.get(m);
      if (!plan) {
        const sampling = samplingOf(m);
        const columns = [...m.model.columns];
        plan = { key: `${sampling.stepSeconds}|${sampling.rateWindow}|${columns.join(',')}`, sampling, columns, need: historyNeed(m) };
        plans.set(m, plan);
      }
      return plan;
    };
    for (const info of this.o.models.inService()) {
      const p = planOf(this.o.models.modelFor(info.agentType)!);
      const entry = groups.get(p.key) ?? { sampling: p.sampling, columns: p.columns, rows: 0 };
      entry.rows = Math.max(entry.rows, p.need.fetchRows);
      groups.set(p.key, entry);
    }
    const round: LoopRound = { agents: 0, unscored: 0, queries: 0, queryMs: 0, scoreMs: 0 };
    const scores: { labels: Record<string, string>; value: number }[] = [];
    // Per agent type served, the threshold of the model serving it (its own or the fallback's):
    // AgentAnomalous compares each score with it.
    const thresholds = new Map<string, number>();
    for (const [key, g] of groups) {
      const t0 = performance.now();
      const fetched = await fetchFleetSeries(this.o.prometheus, g.columns, g.sampling, g.rows, '', now, deadlineSignal(this.o.timeoutMs, signal), this.o.batching);
      const series: Map<string, AgentSeries> = fetched.series;
      const t1 = performance.now();
      round.queries += fetched.requests;
      // Names from the query API that no inventory could hold are not queried: say so, quoted.
      if (fetched.skipped.length) this.o.log.warn({ skipped: fetched.skipped.length, examples: fetched.skipped.slice(0, 3) }, 'agents with names outside the inventory rule are not scored');
      for (const s of series.values()) {
        const m = this.o.models.modelFor(s.agentType);
        if (!m) continue;
        const plan = planOf(m);
        if (plan.key !== key) continue;
        const window = latestWindow(s, plan.need);
        if ('missing' in window || now - window.sampleAt > STALE_STEPS * g.sampling.stepSeconds * 1000) {
          round.unscored++;
          continue;
        }
        const a = assessment(m, window.rows, window.sampleAt);
        scores.push({ labels: { agent: s.agent, agent_type: s.agentType, tier: s.tier, anomaly_type: a.type }, value: a.score });
        thresholds.set(s.agentType, m.model.threshold);
        round.agents++;
      }
      round.queryMs += t1 - t0;
      round.scoreMs += performance.now() - t1;
    }
    // Replaced in one synchronous step: a scrape sees the last round whole, and agents gone from the
    // fleet (or whose type changed) leave no stale series behind.
    this.o.metrics.anomalyScore.reset();
    for (const s of scores) this.o.metrics.anomalyScore.set(s.labels, s.value);
    for (const [agentType, threshold] of thresholds) this.o.metrics.anomalyThreshold.set({ agent_type: agentType }, threshold);
    if (this.o.failures) {
      const f = await this.o.failures.runOnce(signal);
      round.failureAgents = f.agents;
      round.queries += f.queries;
      round.queryMs += f.queryMs;
      round.scoreMs += f.scoreMs;
    }
    this.o.metrics.predictionDuration.observe({ phase: 'query' }, round.queryMs / 1000);
    this.o.metrics.predictionDuration.observe({ phase: 'score' }, round.scoreMs / 1000);
    return round;
  }

  start(intervalMs: number): void {
    const tick = () => {
      if (this.o.isLeader?.() === false) return;
      if (this.running) {
        this.o.metrics.predictionLoops.inc({ result: 'skipped' });
        return;
      }
      this.running = this.runOnce().then(
        (r) => {
          this.o.metrics.predictionLoops.inc({ result: 'ok' });
          this.o.log.debug({ ...r, queryMs: Math.round(r.queryMs), scoreMs: Math.round(r.scoreMs) }, 'fleet scored');
        },
        (err) => {
          this.o.metrics.predictionLoops.inc({ result: 'failed' });
          if (!this.abort.signal.aborted) this.o.log.warn({ err: (err as Error).message }, 'fleet prediction round failed; the next one will try again');
        },
      ).finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await this.running;
  }
}
