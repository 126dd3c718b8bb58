import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bestNabScore, normalise, scaledSigmoid, scoreFile, type NabFile } from '../../training/nab.ts';
import { windowedGaussianScores } from '../../training/baselines.ts';

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
