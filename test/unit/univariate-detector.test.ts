// Medic's streaming detector for one metric: causal, finds what it is built to find, quiet otherwise.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { scoreUnivariate, tailProbability, UNIVARIATE_DEFAULTS, UnivariateDetector } from '../../training/evaluation/univariate-detector.ts';

/** A daily cycle (288 samples a day) with noise, as a 5-minute metric; `edit` changes sample t. */
function series(n: number, seed: number, edit: (t: number, v: number) => number = (_, v) => v): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, t) => edit(t, 50 + 5 * Math.sin((2 * Math.PI * t) / 288) + 2 * (random() + random() + random() - 1.5)));
}

const alerts = (scores: ArrayLike<number>, from = 0) => Array.from(scores).flatMap((s, t) => (t >= from && s >= 0.5 ? [t] : []));

describe('univariate detector', () => {
  it('never reads a sample after the one it scores: later changes leave earlier scores as they were', () => {
    const base = series(1500, 3);
    const a = scoreUnivariate(base);
    for (const t of [150, 700, 1200]) {
      const changed = base.map((v, i) => (i > t ? v * 40 - 7 : v));
      const b = scoreUnivariate(changed);
      assert.deepEqual(Array.from(b.subarray(0, t + 1)), Array.from(a.subarray(0, t + 1)), `scores up to ${t}`);
      assert.notDeepEqual(Array.from(b.subarray(t + 1)), Array.from(a.subarray(t + 1)));
      // Nor does it depend on how long the series is: the first t + 1 samples alone score the same.
      assert.deepEqual(Array.from(scoreUnivariate(base.slice(0, t + 1))), Array.from(a.subarray(0, t + 1)));
    }
  });

  it('alerts on an injected spike and on a level shift, and nowhere else', () => {
    const spikeAt = 1100;
    const shiftAt = 1700;
    const values = series(2200, 7, (t, v) => (t === spikeAt ? v + 60 : t >= shiftAt ? v + 45 : v));
    const scores = scoreUnivariate(values);
    const found = alerts(scores, 100);
    assert.ok(found.includes(spikeAt), `the spike at ${spikeAt} alerts (alerts: ${found.slice(0, 10).join(', ')})`);
    assert.ok(found.some((t) => t >= shiftAt && t < shiftAt + 3), 'the shift alerts within three samples');
    assert.deepEqual(found.filter((t) => t < shiftAt && t !== spikeAt && t !== spikeAt + 1), [], 'no alert before the shift but the spike (and its average with the next sample)');
  });

  it('finds a level the series never held, inside its usual range (novelty), where the z-score stays low', () => {
    // A square wave between 0 and 100 for 6000 samples, then it stays at 50: one standard deviation
    // from the mean, so no z-score finds it. The first high half-cycle (sample 144) is new too, so
    // alerts are read after it.
    const random = seededRandom(11);
    const values = Array.from({ length: 6500 }, (_, t) => (t >= 6000 && t < 6200 ? 50 : (Math.floor(t / 144) % 2) * 100) + random());
    const past = values.slice(6000 - UNIVARIATE_DEFAULTS.historySamples, 6000);
    const mean = past.reduce((s, v) => s + v, 0) / past.length;
    const std = Math.sqrt(past.reduce((s, v) => s + (v - mean) ** 2, 0) / past.length);
    assert.ok(Math.abs(50 - mean) / std < 0.1, 'the flat stretch sits at the mean');
    const found = alerts(scoreUnivariate(values), 300);
    assert.ok(found.some((t) => t >= 6000 && t < 6012), `novelty alerts early in the flat stretch (alerts: ${found.join(', ')})`);
    assert.ok(found.every((t) => t >= 6000 && t < 6200), 'and only there');
  });

  it('is calibrated on each series: a stationary series rarely reaches 0.5, whatever its noise and scale', () => {
    // Normal, heavy-tailed (a ratio of uniforms: bursts 100 times the typical size) and skewed noise,
    // at three scales. An uncalibrated statistic alerts far more on the heavy tail; a tail probability
    // of 10^−alertAt per sample, collapsed into runs, leaves a few alerts per 10,000 samples on each.
    const n = 10_000;
    const noises: Record<string, (r: () => number) => number> = {
      normal: (r) => r() + r() + r() - 1.5,
      'heavy-tailed': (r) => (r() - 0.5) / Math.max(r(), 0.01),
      skewed: (r) => -Math.log(1 - r()),
    };
    for (const [name, noise] of Object.entries(noises)) {
      for (const scale of [0.001, 1, 1e6]) {
        const random = seededRandom(21);
        const found = alerts(scoreUnivariate(Array.from({ length: n }, () => 10 * scale + scale * noise(random))), 0);
        assert.ok(found.length <= 0.005 * n, `${name} noise × ${scale}: ${found.length} alerts in ${n} samples`);
      }
    }
  });

  it('scores past the tail of its history with a finite probability that falls as the statistic rises', () => {
    const random = seededRandom(4);
    const sorted = Array.from({ length: 2000 }, () => -Math.log(1 - random())).sort((a, b) => a - b);
    // An exponential sample: the tail's estimate of P(X >= 5) is near e^−5 = 0.0067 (the empirical share
    // there rests on a dozen values).
    const p5 = tailProbability(sorted, 5, 0.08);
    assert.ok(p5 > 0.0067 / 2 && p5 < 0.0067 * 2, `P(X >= 5) = ${p5}`);
    const beyond = [sorted[sorted.length - 1]! + 1, 20, 40].map((s) => tailProbability(sorted, s, 0.08));
    assert.ok(beyond.every((p, i) => p > 0 && (i === 0 || p < beyond[i - 1]!)), `beyond the largest: ${beyond.join(', ')}`);
    assert.equal(tailProbability(sorted, -1, 0.08), 1, 'below everything: certain');
  });

  it('scores nothing before its minimum history of values and of statistics, and a gap (NaN) as 0 without learning it', () => {
    const d = new UnivariateDetector({ minHistory: 10 });
    for (let t = 0; t < 20; t++) assert.equal(d.update(t % 2), 0, `sample ${t}`);
    assert.equal(d.update(Number.NaN), 0);
    assert.ok(d.update(0) < 0.5);
    assert.ok(d.update(1000) > 0.9);
  });

  it('names the option, the rule and the value it refuses', () => {
    assert.throws(() => new UnivariateDetector({ shortSamples: 0 }), /shortSamples must be a positive integer, but was 0/);
    assert.throws(() => new UnivariateDetector({ historySamples: 50, minHistory: 100 }), /historySamples must be an integer >= minHistory, but was 50/);
    assert.throws(() => new UnivariateDetector({ tailShare: 0.5 }), /tailShare must be in \(0, 0.5\), but was 0.5/);
  });
});
