// Medic's streaming detector for one metric: causal, finds what it is built to find, quiet otherwise.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { scoreUnivariate, UnivariateDetector } from '../../training/evaluation/univariate-detector.ts';

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
    // from the mean. The first high half-cycle (sample 144) is new too, so alerts are read after it.
    const random = seededRandom(11);
    const values = Array.from({ length: 6500 }, (_, t) => (t >= 6000 && t < 6200 ? 50 : (Math.floor(t / 144) % 2) * 100) + random());
    const noveltyOff = alerts(scoreUnivariate(values, { noveltyWeight: 0 }), 300);
    const found = alerts(scoreUnivariate(values), 300);
    assert.deepEqual(noveltyOff, [], 'the z-score alone misses it');
    assert.ok(found.some((t) => t >= 6000 && t < 6010), `novelty alerts early in the flat stretch (alerts: ${found.join(', ')})`);
    assert.ok(found.every((t) => t >= 6000 && t < 6200), 'and only there');
  });

  it('scores nothing before its minimum history, and a gap (NaN) as 0 without learning it', () => {
    const d = new UnivariateDetector({ minHistory: 10 });
    for (let t = 0; t < 10; t++) assert.equal(d.update(t % 2), 0);
    assert.equal(d.update(Number.NaN), 0);
    assert.ok(d.update(0) < 0.5);
    assert.ok(d.update(1000) > 0.99);
  });

  it('names the option, the rule and the value it refuses', () => {
    assert.throws(() => new UnivariateDetector({ shortSamples: 0 }), /shortSamples must be a positive integer, but was 0/);
    assert.throws(() => new UnivariateDetector({ historySamples: 50, minHistory: 100 }), /historySamples must be an integer >= minHistory, but was 50/);
  });
});
