// Feature extraction (one module for training and serving) and the anomaly model built on it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { AnomalyModel, trainingSkip, typeOf } from '../../models/anomaly-model.ts';
import { extractFeatures, extractLatest, featureNames, FEATURE_SCHEMA_VERSION, featuresAt } from '../../models/features.ts';

const COLUMNS = ['latency_p99_s', 'error_rate', 'memory_utilisation'];

/** An agent's normal life, with a memory spike from `spikeAt` for 20 samples. */
function series(n: number, seed: number, spikeAt?: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, t) => {
    const spike = spikeAt !== undefined && t >= spikeAt && t < spikeAt + 20;
    return [0.3 + 0.05 * Math.sin(t / 20) + 0.02 * random(), 0.01 * random(), spike ? 0.97 : 0.5 + 0.05 * random()];
  });
}

describe('feature extraction', () => {
  it("names each column's value and temporal features", () => {
    assert.deepEqual(featureNames(['cpu']), ['cpu:value', 'cpu:delta', 'cpu:roll_mean', 'cpu:roll_std', 'cpu:zscore', 'cpu:slope']);
  });

  it("reads a flat series' last-digit rounding as no change, and a real step off a flat baseline as one", () => {
    // Prometheus computes a flat p99 as 0.995 one step and 0.99499999999999988 the next.
    const wobble = [[0.995], [0.995], [0.995], [0.99499999999999988]];
    assert.ok(Math.abs(featuresAt(wobble, 3, { window: 4 })[4]!) < 1e-6);
    // Twelve samples of exactly 0.7: the baseline's mean comes out as 0.7000000000000001 (schema 1 said -10).
    const flat = Array.from({ length: 12 }, () => [0.7]);
    assert.equal(featuresAt(flat, 11, { window: 12 })[4], 0);
    const big = [[1e6], [1e6], [1e6], [1e6 + 1e-7]];
    assert.equal(featuresAt(big, 3, { window: 4 })[4], 0);
    const step = [[0.7], [0.7], [0.7], [3.7]];
    assert.equal(featuresAt(step, 3, { window: 4 })[4], 10);
  });

  it('computes delta, rolling mean/std, z-score against the baseline before the sample, and slope', () => {
    const rows = [[1], [2], [3], [4], [10]];
    const f = featuresAt(rows, 4, { window: 4 });
    // window = 2, 3, 4, 10; baseline (before t) = 2, 3, 4: mean 3, std sqrt(2/3)
    assert.equal(f[0], 10);
    assert.equal(f[1], 6);
    assert.equal(f[2], 4.75);
    assert.ok(Math.abs(f[3]! - Math.sqrt((4 + 9 + 16 + 100) / 4 - 4.75 ** 2)) < 1e-12);
    assert.ok(Math.abs(f[4]! - 7 / Math.sqrt(2 / 3)) < 1e-12, `z ${f[4]}`);
    assert.equal(featuresAt([[1], [1], [1], [50]], 3, { window: 4 })[4], 10, 'a jump off a flat baseline clips at 10');
    assert.ok(Math.abs(f[5]! - 2.5) < 1e-12, `slope ${f[5]}`);
    assert.ok(Math.abs(featuresAt([[1], [2], [3]], 2, { window: 3 })[5]! - 1) < 1e-12);
  });

  it('never looks ahead: changing later samples leaves earlier features alone', () => {
    const rows = series(100, 1);
    const before = extractFeatures(rows, { window: 12 });
    const changed = rows.map((r, t) => (t > 50 ? r.map((v) => v * 100) : r));
    const after = extractFeatures(changed, { window: 12 });
    for (let t = 0; t <= 50; t++) assert.deepEqual(after[t], before[t]);
  });

  it('gives training and serving identical vectors for the same samples (parity)', () => {
    const rows = series(300, 2, 150);
    const window = 12;
    const training = extractFeatures(rows, { window });
    for (let t = 0; t < rows.length; t++) {
      // Serving fetches the trailing window that ends at t, as the prediction loop does.
      const serving = extractLatest(rows.slice(Math.max(0, t - window), t + 1), { window });
      assert.deepEqual(serving, training[t], `sample ${t}`);
    }
  });

  it('reads gaps (NaN) as zero rather than spreading NaN', () => {
    const f = featuresAt([[1], [Number.NaN], [3]], 2, { window: 3 });
    assert.ok(Array.from(f).every(Number.isFinite));
  });
});

describe('AnomalyModel', () => {
  const train = series(2000, 3);
  const model = AnomalyModel.train(train, COLUMNS, { window: 12, seed: 5, contamination: 0.02 });

  it('flags the onset of an injected memory spike, scores the spike above calm, and calls it resource exhaustion', () => {
    const scored = model.scoreSeries(series(400, 4, 200));
    const spike = scored.slice(200, 220);
    const calm = scored.slice(50, 180);
    const mean = (xs: { score: number }[]) => xs.reduce((a, s) => a + s.score, 0) / xs.length;
    assert.ok(spike[0]!.isAnomaly, 'the onset is flagged');
    assert.ok(spike.filter((s) => s.isAnomaly).length >= 5, 'and several samples of the spike');
    assert.ok(calm.filter((s) => s.isAnomaly).length <= 10, 'few calm samples flagged');
    assert.ok(mean(spike) > mean(calm) + 0.04, `spike ${mean(spike)} vs calm ${mean(calm)}`);
    assert.equal(spike[0]!.type, 'resource_exhaustion');
    assert.match(spike[0]!.contributions[0]!.feature, /^memory_utilisation:/);
  });

  it('scores the same through the serving path as through the training path', () => {
    const rows = series(300, 6, 150);
    const bySeries = model.scoreSeries(rows);
    for (const t of [20, 155, 299]) assert.deepEqual(model.scoreLatest(rows.slice(t - 12, t + 1)), bySeries[t]);
  });

  it('scores identically after an artifact round trip (JSON)', () => {
    const again = AnomalyModel.fromArtifact(JSON.parse(JSON.stringify(model.toArtifact())));
    const rows = series(200, 7, 100);
    assert.deepEqual(again.scoreSeries(rows), model.scoreSeries(rows));
  });

  it('is reproducible with a seed', () => {
    const twin = AnomalyModel.train(train, COLUMNS, { window: 12, seed: 5, contamination: 0.02 });
    assert.deepEqual(twin.toArtifact(), model.toArtifact());
  });

  it('refuses an artifact built for another feature schema, saying how to fix it', () => {
    const old = { ...model.toArtifact(), featureSchemaVersion: FEATURE_SCHEMA_VERSION + 1 };
    assert.throws(() => AnomalyModel.fromArtifact(old), /built for feature schema \d+, but this Medic extracts schema \d+: retrain it/);
  });

  it('trains on several agents without a window ever spanning two of them, leaving out what serving would not score', () => {
    // Two flat agents far apart (values exact in binary): only a window spanning both could see a change.
    const a = Array.from({ length: 40 }, () => [0.5]);
    const b = Array.from({ length: 30 }, () => [2]);
    const o = { window: 6, seed: 1, trees: 10, sampling: { stepSeconds: 5, rateWindow: '15s' } };
    const m = AnomalyModel.trainSeries([a, b], ['x'], o);
    assert.equal(trainingSkip(o), 5 + 3, 'a partial window (5 rows) and a 15s rate window at 5s (3 rows)');
    assert.equal(m.trainingRows, 40 - 8 + 30 - 8);
    const { scaler, featureNames: names } = m.toArtifact();
    for (const f of ['x:delta', 'x:slope', 'x:roll_std']) assert.equal(scaler.mean[names.indexOf(f)], 0, `${f} saw a change: a window crossed agents`);
    const joined = AnomalyModel.train([...a, ...b], ['x'], o).toArtifact();
    assert.ok(joined.scaler.mean[names.indexOf('x:delta')]! > 0, 'one concatenated series does see the jump (the control)');
    assert.throws(() => AnomalyModel.trainSeries([a.slice(0, 9)], ['x'], o), /need at least 2 rows to train after each series' first 8 \(window 6 and rate warm-up\), got 1 from 1 series/);
  });

  it('refuses a window that would break train/serve parity', () => {
    assert.throws(() => AnomalyModel.train(train, COLUMNS, { window: 1 }), /window must be an integer >= 2/);
  });

  it('maps the most deviating feature to an anomaly type', () => {
    const cases: [string, string][] = [
      ['latency_p99_s:zscore', 'latency_degradation'], ['error_rate:value', 'error_burst'], ['cpu:slope', 'resource_exhaustion'],
      ['queue_depth:value', 'resource_exhaustion'], ['request_rate:delta', 'traffic_anomaly'], ['dependency_up:value', 'dependency_failure'], ['x:value', 'unknown'],
    ];
    for (const [feature, type] of cases) assert.equal(typeOf(feature), type, feature);
  });

  it('refuses damaged artifacts with a message naming what is wrong', () => {
    const a = model.toArtifact();
    assert.throws(() => AnomalyModel.fromArtifact({ ...a, threshold: 7 }), /damaged: threshold must be in \[0, 1\], but was 7/);
    assert.throws(() => AnomalyModel.fromArtifact({ ...a, scaler: { mean: [1], std: [1] } }), /scaler must hold 18 finite means/);
    const tree = a.forest.trees[0]!;
    assert.throws(() => AnomalyModel.fromArtifact({ ...a, forest: { ...a.forest, trees: [{ ...tree, left: tree.left.slice(1) }] } }), /a tree of the forest is malformed/);
    assert.throws(() => AnomalyModel.fromArtifact({ ...a, preprocessing: { fillLimit: -1 } }), /preprocessing.fillLimit must be an integer >= 0, but was -1/);
  });

  it('carries the fill limit it was prepared with to serving; artifacts from before it was recorded get the default', () => {
    const five = AnomalyModel.train(train, COLUMNS, { window: 12, seed: 5, fillLimit: 5 });
    assert.equal(AnomalyModel.fromArtifact(JSON.parse(JSON.stringify(five.toArtifact()))).fillLimit, 5);
    assert.equal(model.toArtifact().preprocessing, undefined);
    assert.equal(model.fillLimit, 3);
  });

  it('can score with ml-isolation-forest instead (a cross-check), but never publish such a model', () => {
    const ml = AnomalyModel.train(train, COLUMNS, { window: 12, implementation: 'ml-isolation-forest', trees: 30 });
    const spiked = series(400, 9, 300);
    const scores = ml.scoreSeries(spiked).map((s) => s.score);
    const inSpike = scores.slice(300, 320).reduce((x, y) => x + y, 0) / 20;
    const before = scores.slice(100, 300).reduce((x, y) => x + y, 0) / 200;
    assert.ok(inSpike > before, `spike ${inSpike} vs before ${before}`);
    assert.throws(() => ml.toArtifact(), /built with ml-isolation-forest cannot be saved/);
  });
});
