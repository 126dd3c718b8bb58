// The calibrated anomaly score: a tail that extrapolates, a nearest-state distance that does not dilute
// one extreme metric, a threshold that is a false-alarm rate, and an explanation that names the metric.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { alarmBudget } from '../../models/alarm-budget.ts';
import { AnomalyModel } from '../../models/anomaly-model.ts';
import { AGENT_SIGNALS } from '../../models/features.ts';
import { chooseReference, NearestReference } from '../../models/nearest-reference.ts';
import { fitTail, rateOfScore, scoreOfProbability, tailProbability, thresholdForRate } from '../../models/tail-calibration.ts';

const COLUMNS = AGENT_SIGNALS.map((s) => s.column);

/** A healthy agent at a 5 s step: a load cycle, noise, and the contract's seven columns. */
function healthy(n: number, seed: number, from = 0): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, k) => {
    const t = from + k;
    const load = 1 + 0.3 * Math.sin((2 * Math.PI * t) / 120);
    return [0.2 * load + 0.02 * random(), 0.01 + 0.004 * random(), 5 * load + random(), 2 * load + 2 * random(), 0.4 + 0.05 * load + 0.01 * random(), 0.3 * load + 0.05 * random(), 1];
  });
}

describe('tail calibration', () => {
  const random = seededRandom(3);
  const uniform = Array.from({ length: 20_000 }, random);
  const tail = fitTail(uniform);

  it('reads the empirical distribution below its 95% quantile', () => {
    assert.ok(Math.abs(tailProbability(tail, 0.5) - 0.5) < 0.02);
    assert.ok(Math.abs(tailProbability(tail, 0.9) - 0.1) < 0.01);
    assert.equal(tailProbability(tail, -1), 1);
  });

  it('extrapolates past it with a decreasing exponential tail, finite however far out', () => {
    const far = [0.96, 1.2, 5, 50].map((x) => tailProbability(tail, x));
    for (let i = 1; i < far.length; i++) assert.ok(far[i]! < far[i - 1]!, JSON.stringify(far));
    assert.ok(far[0]! < 0.05 && far[0]! > 0.01);
    assert.equal(scoreOfProbability(tailProbability(tail, 50)), 1);
  });

  it('maps probabilities to scores whose threshold is the false-alarm rate', () => {
    assert.equal(scoreOfProbability(1e-5), 0.5);
    assert.equal(thresholdForRate(1e-4), 0.4);
    assert.ok(Math.abs(rateOfScore(thresholdForRate(3e-5)) - 3e-5) < 1e-12);
    assert.throws(() => thresholdForRate(0), /false-alarm rate must be in \(0, 1\), but was 0/);
  });
});

describe('alarm budget', () => {
  it('turns alerts per agent per day into a per-reading rate, counting every reading above the threshold as one', () => {
    assert.ok(Math.abs(alarmBudget(1, 5).readingRate - 5 / 86_400) < 1e-15);
    assert.throws(() => alarmBudget(0, 5), /alarm budget must be a positive number of alerts per agent per day, but was 0/);
    assert.throws(() => alarmBudget(10_000, 15), /flags .*% of readings: it is no budget/);
  });
});

describe('nearest healthy state', () => {
  it('keeps evenly spread rows, and leaves a row\'s own neighbourhood out when asked', () => {
    const rows = Array.from({ length: 100 }, (_, i) => Float64Array.of(i));
    const ref = chooseReference(rows, 10);
    assert.deepEqual(ref.positions, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const near = new NearestReference(ref);
    assert.deepEqual(near.nearest([41]), { index: 4, distance: 1 });
    assert.equal(near.nearest([41], { position: 41, radius: 5 }).distance, 9);
    assert.equal(near.gaps([45], 4)[0], 5);
  });
});

describe('calibrated anomaly model', () => {
  const train = [1, 2, 3].map((seed) => healthy(2000, seed));
  const model = AnomalyModel.trainSeries(train, COLUMNS, { window: 12, seed: 1, sampling: { stepSeconds: 5, rateWindow: '30s' } });

  it('sets its threshold from the alarm budget, not from the contamination', () => {
    assert.equal(model.budget.stepSeconds, 5);
    assert.equal(model.threshold, thresholdForRate(5 / 86_400));
    const a = model.toArtifact();
    assert.equal(a.contamination, 0.1);
    assert.ok(a.forestThreshold! > 0 && a.forestThreshold! < 1);
  });

  it('stays under its budget on later healthy data of other agents', () => {
    let flagged = 0;
    let readings = 0;
    for (const seed of [7, 8, 9, 10]) {
      const scored = model.scoreSeries(healthy(3000, seed, 2000)).slice(40);
      readings += scored.length;
      flagged += scored.filter((s) => s.isAnomaly).length;
    }
    // 11,840 readings at a rate of 5.8e-5: 0.7 expected. Five or more would happen with probability < 0.001.
    assert.ok(flagged < 5, `${flagged} of ${readings} healthy readings flagged`);
  });

  const cases: [string, number, (v: number) => number, string, string][] = [
    ['an error burst', 1, (v) => v * 60, 'error_burst', 'error_rate'],
    ['a latency spike', 0, (v) => v * 8, 'latency_degradation', 'latency_p99_s'],
    ['a memory leak at its end', 4, () => 0.97, 'resource_exhaustion', 'memory_utilisation'],
    ['a dependency down', 6, () => 0, 'dependency_failure', 'dependency_up'],
  ];
  for (const [name, column, change, type, feature] of cases) {
    it(`scores ${name} far above the threshold from its first reading, and names the metric`, () => {
      const rows = healthy(200, 11, 2000);
      for (let t = 150; t < 200; t++) rows[t]![column] = change(rows[t]![column]!);
      const first = model.scoreLatest(rows.slice(151 - model.window, 151));
      assert.ok(first.score >= model.threshold + 0.1, `${first.score} against ${model.threshold}`);
      assert.equal(first.type, type);
      assert.match(first.contributions[0]!.feature, new RegExp(`^${feature}:`));
      // The same reading on the training path (the whole series) scores the same.
      const series = model.scoreSeries(rows)[150]!;
      assert.ok(Math.abs(series.score - first.score) < 1e-9);
    });
  }

  it('refuses an artifact from before calibrated scores, saying to retrain', () => {
    const { scorer: _, ...old } = model.toArtifact();
    assert.throws(() => AnomalyModel.fromArtifact(old as never), /predates calibrated scores; retrain it with this version \(medic train anomaly\)/);
  });
});
