import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bestNabScore, normalise, probationLength, rowWeights, scaledSigmoid, scoreFile, STANDARD_PROFILE, type NabFile } from '../../training/evaluation/nab.ts';
import { seededRandom } from '../../lib/random.ts';
import { windowedGaussianScores } from '../../training/evaluation/baselines.ts';

const file = (windows: [number, number][], n = 1000): NabFile => ({
  name: 'f.csv', category: 'c', timestamps: Array.from({ length: n }, (_, i) => String(i)), values: Array.from({ length: n }, () => 0), windows,
});
const detect = (n: number, at: number[]) => Array.from({ length: n }, (_, i) => at.includes(i));

describe('NAB-style scorer', () => {
  it('weighs a detection by how early it comes in its window', () => {
    assert.ok(Math.abs(scaledSigmoid(-1) - 0.9866) < 1e-4);
    assert.equal(scaledSigmoid(0), 0);
    assert.equal(scaledSigmoid(4), -1);
  });

  it('normalises so that no detection is 0 and a detection at each window start is 100', () => {
    const f = file([[400, 499], [700, 799]]);
    assert.equal(normalise([scoreFile(f, detect(1000, []))]), 0);
    assert.ok(Math.abs(normalise([scoreFile(f, detect(1000, [400, 700]))]) - 100) < 1e-9);
  });

  it('counts only the first detection in a window, charges false positives, ignores the probationary 15%', () => {
    const f = file([[400, 499]]);
    const once = scoreFile(f, detect(1000, [450])).raw;
    assert.equal(scoreFile(f, detect(1000, [450, 460, 470])).raw, once);
    assert.ok(scoreFile(f, detect(1000, [450, 900])).raw < once, 'a false positive after the window costs');
    assert.equal(scoreFile(f, detect(1000, [450, 10])).raw, once, 'detections in the probationary period are ignored');
    assert.equal(scoreFile(f, detect(1000, [300])).raw, -1 - 0.11, 'a false positive before any window costs A_FP; the window is missed');
  });

  it("caps the probationary period at 750 rows, as NAB's sweeper does", () => {
    assert.equal(probationLength(1000), 150);
    assert.equal(probationLength(5000), 750);
    assert.equal(probationLength(15_900), 750);
    const f = file([[1000, 1599]], 16_000);
    assert.ok(scoreFile(f, detect(16_000, [1000])).raw > 0.99, 'a window after row 750 counts in a long file');
  });

  it('pays an on-time detection exactly A_TP, and prices a false positive by its distance over the window width less one', () => {
    const f = file([[400, 499]]);
    const { window, weight } = rowWeights(f);
    assert.equal(weight[400], STANDARD_PROFILE.tp);
    assert.equal(window[450], 0);
    assert.equal(window[500], -1);
    assert.ok(Math.abs(weight[500]! - 0.11 * scaledSigmoid(1 / 99)) < 1e-12);
    assert.ok(Math.abs(weight[598]! - 0.11 * scaledSigmoid(99 / 99)) < 1e-12);
    assert.equal(weight[300], -0.11, 'before any window: a full A_FP');
  });

  it('finds the best of every distinct score as the threshold, as a brute force over them does', () => {
    const random = seededRandom(5);
    const files = [file([[400, 499]], 800), file([[300, 349], [600, 699]], 900)];
    const scores = files.map((f) => Float64Array.from(f.values, () => Math.round(random() * 400) / 400));
    let brute = Number.NEGATIVE_INFINITY;
    for (const threshold of new Set([...scores[0]!, ...scores[1]!])) {
      brute = Math.max(brute, normalise(files.map((f, i) => scoreFile(f, Array.from(scores[i]!, (v) => v >= threshold)))));
    }
    const r = bestNabScore(files, scores);
    assert.ok(Math.abs(r.score - Math.max(brute, 0)) < 1e-9, `${r.score} vs ${brute}`);
    assert.ok(Math.abs(normalise(files.map((f, i) => scoreFile(f, Array.from(scores[i]!, (v) => v >= r.threshold)))) - r.score) < 1e-9);
  });

  it('picks the best threshold over the corpus', () => {
    const f = file([[400, 499]]);
    const scores = Float64Array.from({ length: 1000 }, (_, i) => (i === 410 ? 0.9 : i === 800 ? 0.5 : 0.1));
    const r = bestNabScore([f], [scores]);
    assert.equal(r.threshold, 0.9);
    assert.ok(r.score > 90);
  });

  it('the windowed Gaussian baseline scores a jump as improbable', () => {
    const values = Array.from({ length: 500 }, (_, i) => Math.sin(i / 10) + (i === 400 ? 20 : 0));
    const s = windowedGaussianScores(values);
    assert.ok(s[400]! > 0.999);
    assert.ok(s[300]! < 0.99);
  });
});
