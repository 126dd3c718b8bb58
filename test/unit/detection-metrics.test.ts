import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { evaluateAsd } from '../../training/evaluation/evaluate-asd.ts';
import { rollingZScores } from '../../training/evaluation/baselines.ts';
import { evaluateScores, rocAuc } from '../../training/evaluation/detection-metrics.ts';
import { tempDir } from '../helpers/service.ts';

describe('detection metrics', () => {
  it('computes ROC-AUC with ties averaged', () => {
    assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
    assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
    assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
  });

  it('finds the best point-wise F1, and the (inflated) point-adjusted F1 beside it', () => {
    const labels = [0, 0, 1, 1, 1, 1, ...Array<number>(14).fill(0)];
    // One point of the segment scores high: point-wise recall 1/4, point-adjusted the whole segment.
    const scores = labels.map((_, i) => (i === 3 ? 0.9 : 0));
    const r = evaluateScores(scores, labels);
    assert.equal(r.recall, 0.25);
    assert.equal(r.precision, 1);
    assert.equal(r.f1PointAdjusted, 1);
    assert.equal(r.segmentRecall, 1);
  });

  it('the rolling z-score looks only at the past', () => {
    const rows = [[1], [1], [1], [1], [10], [1]];
    const z = rollingZScores(rows, 3);
    assert.equal(z[0], 0);
    assert.ok(z[4]! > 100, 'the jump stands out');
  });
});

describe('medic anomaly evaluate', () => {
  it('evaluates Medic and the baselines on an ASD-shaped data set', () => {
    const dir = tempDir('medic-asd-');
    for (const sub of ['train', 'test', 'test_label']) mkdirSync(join(dir, sub));
    const row = (t: number, spike: boolean) => [0.5 + 0.1 * Math.sin(t / 10), spike ? 0.95 : 0.3 + 0.05 * Math.cos(t / 7)].map((v) => v.toFixed(3)).join(',');
    writeFileSync(join(dir, 'train', 'omi-1.txt'), Array.from({ length: 600 }, (_, t) => row(t, false)).join('\n'));
    const labels = Array.from({ length: 300 }, (_, t) => (t >= 150 && t < 170 ? 1 : 0));
    writeFileSync(join(dir, 'test', 'omi-1.txt'), labels.map((l, t) => row(t, l === 1)).join('\n'));
    writeFileSync(join(dir, 'test_label', 'omi-1.txt'), labels.join('\n'));
    const r = evaluateAsd(dir, 12, 1);
    assert.equal(r.servers, 1);
    assert.deepEqual(Object.keys(r.detectors), ['medic (calibrated)', 'iforest on raw', 'max-|z| (rolling)', 'random']);
    assert.ok(r.detectors['medic (calibrated)']!.auc > r.detectors.random!.auc, JSON.stringify(r.detectors));
    assert.ok(r.detectors['medic (calibrated)']!.segmentRecall === 1);
  });
});
