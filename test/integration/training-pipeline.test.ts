// The training pipeline from data to registry: a model per agent type and the default on every row,
// held-out evaluation in the card, and promotion only through the evaluation gate.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { AGENT_SIGNALS } from '../../models/features.ts';
import { listTypes, listVersions, loadPromoted, promotedVersion, readCard } from '../../models/registry.ts';
import { GATE_DEFAULTS } from '../../training/evaluation-gate.ts';
import { trainAnomaly, type TrainAnomalyOptions } from '../../training/train-anomaly.ts';
import type { TrainingData, TrainingSeries } from '../../training/training-data.ts';

const COLUMNS = AGENT_SIGNALS.map((s) => s.column);

/** A healthy agent sampled every 15 s; from `driftFrom` on its load sits far above anything seen before. */
function agent(id: string, type: string, n: number, seed: number, o: { driftFrom?: number; anomalyAt?: number } = {}): TrainingSeries {
  const random = seededRandom(seed);
  const rows = Array.from({ length: n }, (_, t) => {
    const drift = o.driftFrom !== undefined && t >= o.driftFrom ? 3 : 1;
    const spike = o.anomalyAt !== undefined && t >= o.anomalyAt && t < o.anomalyAt + 15;
    // An incident shows in several signals at once: slow answers, errors, work piling up.
    return [0.3 + 0.03 * random() + (spike ? 2 : 0), 0.01 * random() + (spike ? 0.5 : 0), drift * (20 + 5 * Math.sin(t / 30) + random()), 5 + 3 * random() + (spike ? 100 : 0), 0.5 + 0.02 * random(), 0.3 + 0.05 * random(), 1];
  });
  const labels = o.anomalyAt === undefined ? null : rows.map((_, t) => (t >= o.anomalyAt! && t < o.anomalyAt! + 15 ? 1 : 0));
  return { agent: id, agentType: type, timestamps: rows.map((_, t) => 1_735_689_600 + 15 * t), rows, labels };
}

const options = (registry: string, lines: string[] = []): TrainAnomalyOptions => ({
  registry, window: 6, contamination: 0.05, alarmBudget: 1, seed: 1, trees: 30, sampleSize: 128, validationFraction: 0.2, minRows: 200,
  maxTrainRows: 100_000, fillLimit: 3, promote: true, gate: GATE_DEFAULTS, log: (l) => lines.push(l), progress: { tty: undefined },
});
const data = (series: TrainingSeries[]): TrainingData => ({ columns: COLUMNS, series, source: 'csv fleet.csv' });
const registry = () => mkdtempSync(join(tmpdir(), 'medic-train-'));

describe('training pipeline', () => {
  it('publishes and promotes a model per agent type and a default on every row, skipping types with too little data', async () => {
    const root = registry();
    const lines: string[] = [];
    const { outcomes } = await trainAnomaly(data([
      agent('crewai-1', 'crewai', 400, 1), agent('crewai-2', 'crewai', 400, 2), agent('aider-1', 'aider', 400, 3), agent('tiny-1', 'tiny', 100, 4),
    ]), options(root, lines));
    assert.deepEqual(outcomes.map((o) => [o.agentType, o.version ?? null, o.promoted]), [
      ['aider', 'v0001', true], ['crewai', 'v0001', true], ['tiny', null, false], ['default', 'v0001', true],
    ]);
    assert.ok(lines.some((l) => /^tiny: skipped: 80 training rows, fewer than --min-rows 200 \(its agents are served by the default model\)/.test(l)), lines.join('\n'));
    const card = readCard(join(root, 'anomaly', 'crewai', 'v0001'))!;
    assert.deepEqual(card.dataRange, { from: '2025-01-01T00:00:00.000Z', to: '2025-01-01T01:39:45.000Z' });
    assert.deepEqual(card.rows, { train: 640, validation: 160 }, 'the last 20% of each agent, in time, is held out');
    assert.equal(card.source, 'csv fleet.csv');
    assert.deepEqual(Object.keys(card.describe!), COLUMNS);
    assert.equal(card.describe!.dependency_up!.mean, 1);
    assert.equal(card.metrics.validation_rows, 160);
    for (const m of ['validation_flag_rate', 'score_p50', 'score_p99', 'threshold']) assert.ok(Number.isFinite(card.metrics[m]), m);
    assert.equal(readCard(join(root, 'anomaly', 'default', 'v0001'))!.rows.train, 640 + 320 + 80);
    const { models, errors } = loadPromoted(root);
    assert.deepEqual(errors, []);
    assert.deepEqual([...models.keys()].sort(), ['aider', 'crewai', 'default']);
    assert.equal(models.get('crewai')!.model.sampling, undefined, 'CSV rows carry no Prometheus sampling');
  });

  it('publishes but does not promote a model whose held-out healthy rows it flags far beyond its alarm budget', async () => {
    const root = registry();
    await trainAnomaly(data([agent('crewai-1', 'crewai', 1000, 1)]), options(root));
    assert.equal(promotedVersion(root, 'crewai'), 'v0001');
    // The held-out fifth of the new data runs at three times the load the model trained on.
    const lines: string[] = [];
    const { outcomes } = await trainAnomaly(data([agent('crewai-1', 'crewai', 1000, 5, { driftFrom: 800 })]), options(root, lines));
    const crewai = outcomes.find((o) => o.agentType === 'crewai')!;
    assert.equal(crewai.version, 'v0002');
    assert.equal(crewai.promoted, false);
    assert.ok(crewai.gate!.checks.some((c) => c.name === 'alarm budget' && !c.passed), JSON.stringify(crewai.gate));
    assert.deepEqual(listVersions(root, 'crewai'), ['v0001', 'v0002']);
    assert.equal(promotedVersion(root, 'crewai'), 'v0001', 'the version in service stays');
    assert.ok(readCard(join(root, 'anomaly', 'crewai', 'v0002'))!.notes!.some((n) => n === 'evaluation gate: FAILED'));
    assert.ok(lines.some((l) => /crewai: {3}alarm budget: flagged \d+ of 200 healthy held-out readings/.test(l)), lines.join('\n'));
  });

  it('with labels, scores the promoted version on the same held-out rows and reports precision, recall, F1 and AUC', async () => {
    const root = registry();
    const fleet = () => data([agent('crewai-1', 'crewai', 600, 1, { anomalyAt: 520 }), agent('crewai-2', 'crewai', 600, 2, { anomalyAt: 540 })]);
    // A full forest (100 trees, the default): with 30, one seed's AUC on 30 anomalous rows ranges 0.81-0.96.
    const full = { ...options(root), trees: 100 };
    const first = (await trainAnomaly(fleet(), full)).outcomes.find((o) => o.agentType === 'crewai')!;
    for (const m of ['precision', 'recall', 'f1', 'best_f1', 'auc']) assert.ok(Number.isFinite(first.metrics![m]), m);
    assert.equal(first.metrics!.validation_anomalous_rows, 30);
    assert.ok(first.metrics!.auc! > 0.9, `AUC ${first.metrics!.auc}`);
    const second = (await trainAnomaly(fleet(), { ...full, seed: 2 })).outcomes.find((o) => o.agentType === 'crewai')!;
    const comparison = second.gate!.checks.find((c) => c.name === 'not worse than the promoted version')!;
    // The same data and held-out rows: v0001 must score exactly what its own card says.
    assert.match(comparison.detail, new RegExp(`vs v0001 ${first.metrics!.auc!.toFixed(4)}`));
  });

  it('refuses data with a column outside the agent metric contract, naming it and the contract, before training anything', async () => {
    const root = registry();
    const withGpu = (s: TrainingSeries): TrainingSeries => ({ ...s, rows: s.rows.map((r) => [...r, 60]) });
    const lines: string[] = [];
    await assert.rejects(
      trainAnomaly({ columns: [...COLUMNS, 'gpu_temp'], series: [withGpu(agent('crewai-1', 'crewai', 400, 1))], source: 'csv fleet.csv' }, options(root, lines)),
      (err: Error) => {
        assert.match(err.message, /^csv fleet\.csv: column gpu_temp is not in the agent metric contract \(latency_p99_s, error_rate, request_rate, queue_depth, memory_utilisation, cpu, dependency_up; models\/features\.ts AGENT_SIGNALS\)/);
        assert.match(err.message, /medic anomaly score --train/);
        return true;
      },
    );
    assert.deepEqual(listTypes(root), [], 'nothing published');
    assert.deepEqual(lines, [], 'refused before preparing the data');
  });

  it('fails when no agent type has enough rows, naming them', async () => {
    await assert.rejects(trainAnomaly(data([agent('crewai-1', 'crewai', 50, 1)]), options(registry())), /no model trained: every agent type has fewer than --min-rows 200 training rows \(crewai 40, default 40\)/);
  });
});
