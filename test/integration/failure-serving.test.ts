// Serving the failure model: the fleet's windows fetched from Prometheus' range API (answered here from
// simulated histories), scored in one batch, exported as medic_failure_probability, with the factors of
// the agents above the threshold; and the same probability as the model gives offline for that window,
// so training and serving read rows the same way.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createLogger } from '../../lib/logger.ts';
import type { FailureModel } from '../../models/failure/failure-model.ts';
import { promotedVersion } from '../../models/registry.ts';
import { signalQueries, type MatrixSeries } from '../../models/signal-queries.ts';
import { agentMatcher } from '../../models/fleet-query.ts';
import { createMetrics } from '../../server/observability/metrics.ts';
import { FailurePredictor } from '../../server/scoring/failure-predictor.ts';
import { createIncidentScorer } from '../../server/scoring/anomaly-scorer.ts';
import { typeOf } from '../../models/anomaly-model.ts';
import { ModelService } from '../../server/scoring/model-service.ts';
import type { PrometheusClient } from '../../server/scoring/prometheus-client.ts';
import { FLEET_HISTORY_COLUMNS, FLEET_HISTORY_DEFAULTS, simulateFleetHistory, type AgentHistory } from '../../sim/fleet-history.ts';
import { windowLabels } from '../../training/failure-labels.ts';
import { BACKTEST_DEFAULTS } from '../../training/evaluation/failure-backtest.ts';
import { trainFailure } from '../../training/train-failure.ts';
import { tempDir } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';
import { startFailureModels } from '../../server/scoring/failure-models-start.ts';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const STEP = FLEET_HISTORY_DEFAULTS.stepSeconds;

// A Prometheus that answers each contract query with the rows of a history up to a chosen row per agent
// (all agents, or the one a selector names).
function historyPrometheus(rateWindow: string, agents: { name: string; type: string; h: AgentHistory; upTo: number }[], clock: { nowS: number }): PrometheusClient {
  const columnOf = new Map(signalQueries(rateWindow).map((q) => [q.promql, FLEET_HISTORY_COLUMNS.indexOf(q.column as never)]));
  const agentOf = new Map<string, string>();
  const learn = (name: string) => {
    for (const q of signalQueries(rateWindow, agentMatcher([name]))) {
      columnOf.set(q.promql, FLEET_HISTORY_COLUMNS.indexOf(q.column as never));
      agentOf.set(q.promql, name);
    }
  };
  return {
    async query() { return []; },
    async queryRange(expr, start, end, step) {
      // One agent's query (an incident scored on demand) names it in a selector: the fleet's without it.
      const selected = /agent="([^"]+)"/.exec(expr)?.[1];
      if (selected) learn(selected);
      const named = agentOf.get(expr);
      const c = columnOf.get(expr);
      assert.ok(c !== undefined && c >= 0, `a contract query: ${expr}`);
      return agents.filter((a) => named === undefined || a.name === named).map((a): MatrixSeries => {
        const values: [number, string][] = [];
        for (let t = start; t <= end; t += step) {
          const row = a.upTo - Math.round((clock.nowS - t) / STEP);
          if (row >= 0) values.push([t, String(a.h.rows[row]![c])]);
        }
        return { metric: { agent: a.name, agent_type: a.type, tier: 'default' }, values };
      });
    },
  } as PrometheusClient;
}

describe('failure model serving', { timeout: 120_000 }, () => {
  let registry: string;
  let model: FailureModel;
  let heldOut: AgentHistory;
  let before_: number;
  let healthy: number;

  before(async () => {
    registry = tempDir('medic-failure-serving-');
    const histories = simulateFleetHistory({ ...FLEET_HISTORY_DEFAULTS, agents: 4, hours: 24, seed: 3 });
    const r = await trainFailure(histories, [...FLEET_HISTORY_COLUMNS], {
      ...BACKTEST_DEFAULTS, horizon: 20, epochs: 4, architecture: { units: [16], dense: 8, dropout: 0 }, learningRate: 5e-3, targetPrecision: 0.8, minRecall: 0.3,
      registry, agentType: 'default', source: 'test fleet', stepSeconds: STEP, rateWindow: '60s', promote: true, backend: 'wasm',
    });
    assert.equal(r.promoted, true, r.gate.reasons.join('; '));
    heldOut = simulateFleetHistory({ ...FLEET_HISTORY_DEFAULTS, agents: 1, hours: 24, seed: 11 })[0]!;
    const services = new ModelService(registry, createLogger('silent'), undefined, 'failure');
    services.reload();
    model = services.modelFor('crewai')!.model as FailureModel;
    const p = model.scoreSeries(heldOut.rows);
    const labels = windowLabels(heldOut.failing, 20);
    const finite = (t: number) => heldOut.rows.slice(t - 30, t + 1).every((r) => r.every(Number.isFinite));
    const candidates = [...p.keys()].filter((t) => t > 40 && finite(t));
    before_ = candidates.filter((t) => labels[t] === 1).reduce((a, b) => (p[b]! > p[a]! ? b : a));
    healthy = candidates.filter((t) => labels[t] === 0).reduce((a, b) => (p[b]! < p[a]! ? b : a));
    assert.ok(p[before_]! >= model.threshold, `the model foresees a failure of the held-out agent (p ${p[before_]} against ${model.threshold})`);
    assert.ok(p[healthy]! < model.threshold);
  });

  it('starts serving the first failure model promoted while Medic runs, without a restart', async () => {
    const later = tempDir('medic-failure-later-');
    const models = new ModelService(later, createLogger('silent'), undefined, 'failure');
    const start = await startFailureModels(later, models, 100, createLogger('silent'));
    try {
      assert.equal(start.backend(), undefined, 'no TensorFlow.js while the registry holds no failure model');
      await sleep(300);
      assert.deepEqual(models.inService(), []);
      cpSync(join(registry, 'failure'), join(later, 'failure'), { recursive: true });
      await waitFor('the failure model in service', () => models.inService().length > 0, 10_000, 50);
      assert.equal(models.inService()[0]!.version, 'v0001');
      assert.ok(start.backend()?.name, 'the backend is named once started');
    } finally {
      start.stop();
    }
  });

  it('scores the fleet in one batch, exports the probabilities, explains the agents above the threshold, and matches offline scoring', async () => {
    const metrics = createMetrics({ storeStats: async () => ({}) as never, workerStates: () => ({ busy: 0, idle: 0 }) }, 'test');
    const services = new ModelService(registry, createLogger('silent'), metrics, 'failure');
    services.reload();
    assert.equal(promotedVersion(registry, 'default', 'failure'), 'v0001');
    const clock = { nowS: 1_800_000_000 };
    const nowS = clock.nowS;
    const fleet = [
      { name: 'crewai-1', type: 'crewai', h: heldOut, upTo: before_ },
      { name: 'crewai-2', type: 'crewai', h: heldOut, upTo: healthy },
    ];
    const prometheus = historyPrometheus('60s', fleet, clock);
    const predictor = new FailurePredictor({ models: services, prometheus, metrics, clock: { now: () => clock.nowS * 1000 }, timeoutMs: 5000 });
    const round = await predictor.runOnce(AbortSignal.timeout(10_000));
    assert.deepEqual({ agents: round.agents, unscored: round.unscored, queries: round.queries }, { agents: 2, unscored: 0, queries: FLEET_HISTORY_COLUMNS.length });
    const [first, second] = predictor.predictions();
    assert.equal(first!.agent, 'crewai-1');
    const offline = model.scoreSeries(heldOut.rows);
    assert.ok(Math.abs(first!.probability - offline[before_]!) < 1e-4, `${first!.probability} served, ${offline[before_]} offline`);
    assert.ok(Math.abs(second!.probability - offline[healthy]!) < 1e-4);
    assert.ok(first!.factors && first!.factors.length === 3 && first!.steps?.length === 4, 'factors for the agent above the threshold');
    assert.equal(second!.factors, undefined, 'none for a healthy agent');
    const exported = (await metrics.failureProbability.get()).values;
    assert.deepEqual(exported.map((v) => [v.labels.agent, v.labels.agent_type, v.labels.tier, Number(v.value.toFixed(4))]).sort(),
      [['crewai-1', 'crewai', 'default', Number(first!.probability.toFixed(4))], ['crewai-2', 'crewai', 'default', Number(second!.probability.toFixed(4))]]);
    // Each model's threshold, and the one each scored agent type is held to (here the default model's).
    assert.deepEqual((await metrics.failureThreshold.get()).values.map((v) => [v.labels.agent_type, v.value]).sort(), [['crewai', model.threshold], ['default', model.threshold]]);

    // The incident AgentFailurePredicted raises is read from this round's prediction: the probability,
    // and the type of its top factor, which the predicted-* selection rules act on.
    const scorer = createIncidentScorer({
      models: new ModelService(registry, createLogger('silent')), prometheus, clock: { now: () => nowS * 1000 },
      failurePrediction: (a, alertname, signal) => (alertname === 'AgentFailurePredicted' ? predictor.predictionFor(a, signal) : undefined),
    });
    const agent = { id: 'crewai-1', type: 'crewai' } as never;
    const reading = await scorer.score({ alertname: 'AgentFailurePredicted' } as never, agent, AbortSignal.timeout(5000));
    assert.equal(reading?.score, first!.probability);
    assert.equal(reading?.isAnomaly, true);
    assert.equal(reading?.type, typeOf(first!.factors![0]!.feature));
    assert.equal(reading?.model, 'failure default@v0001');
    // A replica that did not run the round (another holds the lease; or it restarted since) scores the
    // agent itself, and reads what the round read: the same probability and the same top factor.
    const queriesBefore = round.queries;
    const other = new FailurePredictor({ models: services, prometheus, metrics, clock: { now: () => clock.nowS * 1000 }, timeoutMs: 5000 });
    assert.deepEqual(other.predictions(), [], 'this one ran no round');
    const onDemand = await other.predictionFor({ id: 'crewai-1', type: 'crewai' }, AbortSignal.timeout(10_000));
    assert.ok(onDemand && Math.abs(onDemand.probability - first!.probability) < 1e-6, `${onDemand?.probability} on demand, ${first!.probability} in the round`);
    assert.equal(onDemand.tier, 'default');
    assert.equal(onDemand.factors?.[0]?.feature, first!.factors![0]!.feature);
    assert.equal(queriesBefore, FLEET_HISTORY_COLUMNS.length);
    assert.equal(await other.predictionFor({ id: 'crewai-9', type: 'crewai' }, AbortSignal.timeout(10_000)), undefined, 'an agent Prometheus does not hold: no reading');
    assert.equal(await scorer.score({ alertname: 'AgentHighLatency' } as never, agent, AbortSignal.timeout(5000)), undefined, 'other alerts: the anomaly model (none here)');

    // Later: crewai-1 fails as foreseen. The prediction is matched with it: recall 1, the lead time is
    // the time from the alarm to the failure.
    assert.ok((await metrics.predictionFailures.get()).values.every((v) => v.value === 0), 'nothing judged yet');
    const start = [...heldOut.failing.keys()].find((t) => t > before_ && heldOut.failing[t] === 1)!;
    clock.nowS += (start - before_) * STEP;
    fleet[0]!.upTo = start;
    fleet[1]!.upTo = healthy + (start - before_);
    await predictor.runOnce(AbortSignal.timeout(10_000));
    const failures = (await metrics.predictionFailures.get()).values.filter((v) => v.value > 0).map((v) => [v.labels.predicted, v.value]);
    assert.deepEqual(failures, [['yes', 1]]);
    assert.equal((await metrics.predictionRecall.get()).values[0]?.value, 1);
    assert.equal((await metrics.predictionLeadTime.get()).values[0]?.value, (start - before_) * STEP);
  });
});
