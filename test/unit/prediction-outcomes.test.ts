// Live predictions matched with what happened afterwards (models/failure/prediction-outcomes.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PredictionOutcomes } from '../../models/failure/prediction-outcomes.ts';

const H = 60_000;
const S = 10_000; // one reading every 10 s

describe('prediction outcomes', () => {
  it('counts a foreseen failure, its lead time, a false alarm, a missed failure, and scores the readings', () => {
    const o = new PredictionOutcomes(H);
    // a: alarms at 20 s and 30 s, fails at 50 s → a true episode, a predicted failure, lead 30 s.
    // b: alarms at 20 s, nothing follows → a false alarm once 60 s have passed.
    // c: never alarms, fails at 40 s → missed.
    for (let t = 0; t <= 200_000; t += S) {
      o.observe('a', t, t >= 20_000 && t < 50_000 ? 0.9 : 0.1, t >= 20_000 && t < 50_000, t >= 50_000 && t < 80_000);
      o.observe('b', t, t === 20_000 ? 0.8 : 0.05, t === 20_000, false);
      if (t >= 40_000 && t < 70_000) o.down('c', t);
      else o.observe('c', t, 0.1, false, false);
    }
    assert.deepEqual(o.totals.episodes, { true: 1, false: 1 });
    assert.deepEqual(o.totals.failures, { predicted: 1, missed: 1 });
    assert.deepEqual(o.totals.leadSeconds, [30]);
    assert.equal(o.precision(), 0.5);
    assert.equal(o.recall(), 0.5);
    const brier = o.brierScore()!;
    assert.ok(brier > 0 && brier < 0.25, `Brier ${brier}`);
  });

  it('counts an alarm followed by Medic remediating the agent as true: a prevented failure is a foreseen one', () => {
    const o = new PredictionOutcomes(H);
    for (let t = 0; t <= 200_000; t += S) {
      if (t === 40_000) o.remediated('a', t);
      o.observe('a', t, t >= 20_000 && t < 40_000 ? 0.9 : 0.1, t >= 20_000 && t < 40_000, false);
    }
    assert.deepEqual(o.totals.episodes, { true: 1, false: 0 });
    assert.deepEqual(o.totals.failures, { predicted: 0, missed: 0 });
    assert.equal(o.recall(), undefined);
    assert.throws(() => new PredictionOutcomes(0), /the horizon must be positive, but was 0 ms/);
    // An agent down from the first look was not seen to fail.
    o.down('z', 210_000);
    assert.deepEqual(o.totals.failures, { predicted: 0, missed: 0 });
  });
});
