// Labels, time splits, synthetic failures and calibration for the failure model: pure rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { brier, calibrate, fitPlatt, thresholdForPrecision } from '../../models/failure/calibration.ts';
import { failureStarts, splitByTime, windowLabels } from '../../training/failure-labels.ts';
import { injectFaults, SYNTHETIC_DEFAULTS } from '../../training/synthetic-faults.ts';

describe('failure labels', () => {
  it('marks the windows ending within the horizon before a failure, leaves out the failure itself', () => {
    //            0  1  2  3  4  5  6  7  8  9
    const failing = [0, 0, 0, 0, 0, 1, 1, 1, 0, 0];
    assert.deepEqual([...windowLabels(failing, 2)], [0, 0, 0, 1, 1, 1, -1, -1, 0, 0]);
    assert.deepEqual(failureStarts(failing), [5]);
    assert.deepEqual([...windowLabels([1, 1, 0, 0, 1], 1)], [1, -1, 0, 1, 1]);
    assert.throws(() => windowLabels(failing, 0), /horizon must be an integer >= 1, but was 0/);
  });

  it('splits by time, never shuffling', () => {
    assert.deepEqual(splitByTime([1, 2, 3, 4, 5], 0.4), { train: [1, 2, 3], validation: [4, 5] });
    assert.throws(() => splitByTime([1], 1), /validation fraction must be in \(0, 1\), but was 1/);
  });
});

describe('synthetic failures', () => {
  const random = seededRandom(3);
  const healthy = Array.from({ length: 3000 }, () => [0.5 + 0.05 * random(), 0.2 + 0.01 * random(), 1]);

  it('writes failures beyond the healthy range, most ramping first, and labels exactly their rows', () => {
    const { rows, failing, faults } = injectFaults(healthy);
    assert.ok(faults.length >= 10, `${faults.length} faults in 3000 rows`);
    assert.equal(failureStarts(failing).length, faults.length);
    const ramps = faults.filter((f) => f.start > f.rampFrom);
    assert.ok(ramps.length > faults.length / 2, 'most faults degrade before they fail');
    for (const f of faults) {
      assert.ok(f.columns.every((c) => c !== 2), 'the constant column is left alone');
      const c = f.columns[0]!;
      const healthyMax = Math.max(...healthy.map((r) => r[c]!));
      const healthyMin = Math.min(...healthy.map((r) => r[c]!));
      const v = rows[f.start]![c]!;
      if (f.kind !== 'variance') assert.ok(v > healthyMax || v < healthyMin, `failure at ${f.start} leaves the healthy range (${v})`);
      assert.equal(failing[f.start - 1] ?? 0, 0);
      assert.equal(failing[f.start], 1);
    }
    assert.deepEqual(injectFaults(healthy).faults, faults, 'seeded: the same faults every time');
    assert.notDeepEqual(injectFaults(healthy, { ...SYNTHETIC_DEFAULTS, seed: 8 }).faults, faults);
  });
});

describe('calibration', () => {
  it('maps over-confident raw outputs back to frequencies (Platt), and improves the Brier score', () => {
    const random = seededRandom(5);
    // True probability q; the raw output is q pushed up (what class weights do).
    const q = Array.from({ length: 4000 }, () => 0.3 * random());
    const labels: number[] = q.map((p) => (random() < p ? 1 : 0));
    const raw = q.map((p) => Math.min(0.999, Math.sqrt(p) * 1.5));
    const c = fitPlatt(raw, labels);
    const calibrated = raw.map((r) => calibrate(c, r));
    assert.ok(brier(calibrated, labels) < brier(raw, labels), `${brier(calibrated, labels)} < ${brier(raw, labels)}`);
    const mean = calibrated.reduce((a, b) => a + b, 0) / calibrated.length;
    const rate = labels.reduce((a, b) => a + b, 0) / labels.length;
    assert.ok(Math.abs(mean - rate) < 0.01, `mean probability ${mean} ≈ failure rate ${rate}`);
    assert.deepEqual(fitPlatt([0.2, 0.4], [0, 0]), { a: 1, b: 0 }, 'one class: identity');
  });

  it('chooses the lowest threshold that reaches the target precision', () => {
    const p = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
    const y = [1, 1, 0, 1, 0, 0];
    assert.equal(thresholdForPrecision(p, y, 0.75), 0.6, '3 of 4 at 0.6');
    assert.equal(thresholdForPrecision(p, y, 1), 1, 'needs 3 alarms: none reaches 1.0 precision');
    assert.equal(thresholdForPrecision(p, y, 1, 2), 0.8);
  });
});
