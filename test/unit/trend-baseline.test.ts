// The predict_linear-style baseline: extrapolates a trend out of the training range before the series
// gets there, stays at 0 on a flat or in-range series, and never reads a row after the one it scores.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trendScores } from '../../training/evaluation/trend-baseline.ts';

// Training range [0, 1] in column 0, std of 0, 1 alternating = 0.5.
const train = Array.from({ length: 20 }, (_, i) => [i % 2, 5]);

describe('trend baseline', () => {
  it('scores a ramp outside the range before the ramp itself leaves it', () => {
    // Column 0 rises by 0.1 a row from 0.1: it reaches 1 (the training max) at test row 9.
    const test = Array.from({ length: 15 }, (_, t) => [0.1 * (t + 1), 5]);
    const s = trendScores(train, test, { window: 4, horizon: 5 });
    // Row 5 (value 0.6): window rows 2..5 are a clean ramp, projection 0.6 + 0.5 = 1.1 → 0.1 / 0.5.
    assert.ok(Math.abs(s[5]! - 0.2) < 1e-9, `row 5 scores ${s[5]}`);
    assert.ok(test[5]![0]! < 1, 'the value itself is still inside the range');
    // Row 8 (0.9): projection 1.4 → 0.4 / 0.5 = 0.8; the score grows with the overshoot.
    assert.ok(Math.abs(s[8]! - 0.8) < 1e-9, `row 8 scores ${s[8]}`);
    assert.ok(s[8]! > s[5]!);
  });

  it('scores a falling trend below the minimum too', () => {
    const test = Array.from({ length: 10 }, (_, t) => [0.5 - 0.1 * t, 5]);
    const s = trendScores(train, test, { window: 3, horizon: 2 });
    // Row 4 (0.1): window rows 2..4 fall 0.1 a row; projection 0.1 − 0.2 = −0.1 → 0.1 / 0.5.
    assert.ok(Math.abs(s[4]! - 0.2) < 1e-9, `row 4 scores ${s[4]}`);
  });

  it('scores a flat series inside the range 0, including a constant column', () => {
    const test = Array.from({ length: 30 }, () => [0.5, 5]);
    const s = trendScores(train, test, { window: 6, horizon: 10 });
    // The first windows still hold the end of train's 0/1 alternation; from row 5 on the window is all
    // 0.5, so every projection is exactly 0.5, inside [0, 1].
    assert.deepEqual(Array.from(s.subarray(5)), Array<number>(25).fill(0));
  });

  it('fits the first test rows over the end of train: a full window from row 0', () => {
    // Train ends in a steep rise (column 0 climbs to its max 1); with window 3 the first test row
    // continues the rise and projects above the range at once.
    const rising = [...Array.from({ length: 10 }, () => [0, 5]), [0.5, 5], [1, 5]];
    const s = trendScores(rising, [[1, 5]], { window: 3, horizon: 1 });
    // Window (0.5, 1, 1): slope 0.25, mean 0.8333 at x = −1 → value at x = 1 is 0.8333 + 0.5 = 1.3333.
    const std = Math.sqrt((0.25 + 1) / 12 - ((0.5 + 1) / 12) ** 2);
    assert.ok(Math.abs(s[0]! - (1.3333333333333333 - 1) / std) < 1e-9, `row 0 scores ${s[0]}`);
  });

  it('never reads a row after the one it scores', () => {
    const test = Array.from({ length: 40 }, (_, t) => [0.5 + 0.3 * Math.sin(t / 3), 5 + (t % 7) * 0.01]);
    const a = trendScores(train, test, { window: 12, horizon: 10 });
    for (const t of [0, 11, 25]) {
      const changed = test.map((row, i) => (i > t ? row.map((v) => v * 30 - 4) : row));
      const b = trendScores(train, changed, { window: 12, horizon: 10 });
      assert.deepEqual(Array.from(b.subarray(0, t + 1)), Array.from(a.subarray(0, t + 1)), `scores up to ${t}`);
      assert.notDeepEqual(Array.from(b.subarray(t + 1)), Array.from(a.subarray(t + 1)));
      assert.deepEqual(Array.from(trendScores(train, test.slice(0, t + 1), { window: 12, horizon: 10 })), Array.from(a.subarray(0, t + 1)));
    }
  });

  it('names what is wrong with its options and rows', () => {
    assert.throws(() => trendScores(train, [], { window: 0, horizon: 1 }), /window must be an integer >= 1, but was 0/);
    assert.throws(() => trendScores([], [[1]], { window: 3, horizon: 1 }), /train must have at least one row/);
    assert.throws(() => trendScores(train, [[1]], { window: 3, horizon: 1 }), /test\[0\] must have 2 columns like train\[0\], but had 1/);
  });
});
