// The LSTM failure predictor on TensorFlow.js (wasm backend): it learns that a ramp precedes a failure,
// its artifact round-trips through the kind registry, it reads only the past, and its contributing
// factors name the column that ramps. A tiny network keeps this to seconds.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { DETECTORS } from '../../models/detectors/index.ts';
import { FailureModel, type LabelledSeries } from '../../models/failure/failure-model.ts';
import { initBackend } from '../../models/failure/tf-backend.ts';
import { windowLabels } from '../../training/failure-labels.ts';

const COLUMNS = ['latency_p99_s', 'memory_utilisation', 'cpu'];
const STEPS = 8;
const HORIZON = 4;

// Healthy noise; every ~40 rows memory ramps for 8 rows and the agent fails (the failing rows at 0.97).
function history(n: number, seed: number): { rows: number[][]; failing: number[] } {
  const random = seededRandom(seed);
  const rows: number[][] = [];
  const failing: number[] = [];
  let next = 30 + Math.floor(20 * random());
  for (let t = 0; t < n; t++) {
    let memory = 0.4 + 0.05 * random();
    let fail = 0;
    if (t >= next && t < next + 8) memory += ((t - next + 1) / 8) * 0.5;
    if (t >= next + 8 && t < next + 12) { memory = 0.97; fail = 1; }
    if (t === next + 12) next = t + 25 + Math.floor(25 * random());
    rows.push([0.2 + 0.05 * random(), memory, 0.3 + 0.1 * random()]);
    failing.push(fail);
  }
  return { rows, failing };
}

const labelled = (h: { rows: number[][]; failing: number[] }): LabelledSeries => ({ rows: h.rows, labels: windowLabels(h.failing, HORIZON) });
let trained: Awaited<ReturnType<typeof FailureModel.train>>;
const test = history(600, 9);

describe('failure model', () => {
  before(async () => {
    const info = await initBackend('wasm');
    assert.equal(info.name, 'wasm');
    trained = await FailureModel.train([labelled(history(1500, 1))], [labelled(history(500, 2))], {
      columns: COLUMNS, architecture: { units: [8], dense: 4, dropout: 0 }, steps: STEPS, horizon: HORIZON,
      epochs: 15, batchSize: 32, patience: 4, learningRate: 1e-2, seed: 1, targetPrecision: 0.8,
    });
  });

  it('scores windows before a failure above healthy ones, calibrated, with a threshold for the target precision', () => {
    const p = trained.model.scoreSeries(test.rows);
    const labels = windowLabels(test.failing, HORIZON);
    const pos: number[] = [];
    const neg: number[] = [];
    for (let t = STEPS - 1; t < p.length; t++) if (labels[t] === 1) pos.push(p[t]!); else if (labels[t] === 0) neg.push(p[t]!);
    let wins = 0;
    for (const a of pos) for (const b of neg) wins += a > b ? 1 : a === b ? 0.5 : 0;
    const auc = wins / (pos.length * neg.length);
    assert.ok(auc > 0.9, `AUC ${auc.toFixed(3)}`);
    const v = trained.report.validation;
    assert.ok(v.brier < 0.1, `validation Brier ${v.brier}`);
    assert.ok(v.precision >= 0.8 || v.threshold === 1, `precision ${v.precision} at ${v.threshold}`);
    assert.ok(trained.report.bestEpoch >= 1 && trained.report.epochs.length <= 15);
    for (let t = 0; t < STEPS - 1; t++) assert.equal(p[t], 0, 'rows before the first full window score 0');
  });

  it('reads only the past: changing later rows leaves earlier scores alone', () => {
    const p = trained.model.scoreSeries(test.rows);
    const changed = test.rows.map((r, t) => (t > 300 ? [9, 9, 9] : r));
    const q = trained.model.scoreSeries(changed);
    for (let t = 0; t <= 300; t++) assert.ok(Math.abs(p[t]! - q[t]!) < 1e-6, `row ${t}`);
    assert.ok(Math.abs(p[320]! - q[320]!) > 1e-4);
  });

  it('round-trips its artifact through the kind registry, and refuses a damaged one by name', () => {
    const artifact = JSON.parse(JSON.stringify(trained.model.toArtifact()));
    const loaded = DETECTORS.load(artifact) as FailureModel;
    assert.equal(loaded.kind, 'failure');
    const window = test.rows.slice(100, 100 + STEPS);
    assert.ok(Math.abs(loaded.score(window).score - trained.model.score(window).score) < 1e-6);
    assert.throws(() => DETECTORS.load({ ...artifact, threshold: 2 }), /threshold must be in \(0, 1\], but was 2/);
    const weights = [...artifact.weights];
    weights[0] = { ...weights[0], shape: [1, 1] };
    assert.throws(() => DETECTORS.load({ ...artifact, weights }), /weight 0 has shape 1x1, the architecture needs 3x32/);
    assert.throws(() => DETECTORS.load({ ...artifact, architecture: { units: [], dense: 4, dropout: 0 } }), /units must be 1 to 1024/);
  });

  it('names the ramping column as what drives a prediction, and the latest steps as when', () => {
    const p = trained.model.scoreSeries(test.rows);
    const labels = windowLabels(test.failing, HORIZON);
    const t = [...p.keys()].find((i) => labels[i] === 1 && p[i]! >= 0.5);
    assert.ok(t !== undefined, 'some window before a failure scores >= 0.5');
    const { reading, steps } = trained.model.explain(test.rows.slice(t - STEPS + 1, t + 1));
    assert.equal(reading.contributions[0]!.feature, 'memory_utilisation');
    assert.equal(reading.type, 'resource_exhaustion');
    const latest = steps[steps.length - 1]!;
    assert.ok(steps.every((s) => s.contribution <= latest.contribution + 1e-9), JSON.stringify(steps));
  });
});
