// Failure prediction scored by events: every expected count below is derived by hand from the arrays.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bestEventF1, eventPrediction } from '../../training/evaluation/event-prediction.ts';

/** `n` zero labels with 1s on [from, to] for each given segment. */
function labelsWith(n: number, ...segments: [number, number][]): number[] {
  const out = Array<number>(n).fill(0);
  for (const [from, to] of segments) out.fill(1, from, to + 1);
  return out;
}

/** Scores of 1 on the given rows, 0 elsewhere. */
function alarmsAt(n: number, rows: number[]): number[] {
  const out = Array<number>(n).fill(0);
  for (const r of rows) out[r] = 1;
  return out;
}

describe('event prediction', () => {
  it('counts an alarm exactly H rows before the start as predicting it, with lead time H', () => {
    const labels = labelsWith(20, [10, 12]);
    const r = eventPrediction(labels, alarmsAt(20, [7]), 0.5, 3);
    assert.equal(r.events, 1);
    assert.equal(r.predicted, 1);
    assert.equal(r.episodes, 1);
    assert.equal(r.trueEpisodes, 1);
    assert.deepEqual(r.leadTimes, [3]);
    assert.equal(r.medianLead, 3);
    assert.equal(r.f1, 1);
  });

  it('misses an event whose only alarm is H + 1 rows early, and counts that alarm as false', () => {
    const labels = labelsWith(20, [10, 12]);
    const r = eventPrediction(labels, alarmsAt(20, [6]), 0.5, 3);
    assert.equal(r.predicted, 0);
    assert.equal(r.recall, 0);
    assert.equal(r.episodes, 1);
    assert.equal(r.falseAlarms, 1);
    assert.equal(r.precision, 0);
    assert.equal(r.f1, 0);
    assert.deepEqual(r.leadTimes, []);
    assert.equal(r.medianLead, null);
  });

  it('catches an event at its start row with lead time 0', () => {
    const r = eventPrediction(labelsWith(20, [10, 12]), alarmsAt(20, [10]), 0.5, 3);
    assert.equal(r.predicted, 1);
    assert.deepEqual(r.leadTimes, [0]);
  });

  it('ignores alarms inside a segment after its start: neither a prediction nor a false alarm', () => {
    const labels = labelsWith(20, [10, 14]);
    const r = eventPrediction(labels, alarmsAt(20, [11, 12, 13]), 0.5, 3);
    assert.equal(r.events, 1);
    assert.equal(r.predicted, 0);
    assert.equal(r.episodes, 0);
    assert.equal(r.falseAlarms, 0);
  });

  it('lets an ignored row split alarms into two episodes', () => {
    // Alarms 9, 10 (the start), 11 (ignored), 12, 15: episodes {9, 10} true, {12} false (row 11 broke
    // the run, and no event starts in [12, 15]), {15} false.
    const labels = labelsWith(20, [10, 11]);
    const r = eventPrediction(labels, alarmsAt(20, [9, 10, 11, 12, 15]), 0.5, 3);
    assert.equal(r.episodes, 3);
    assert.equal(r.trueEpisodes, 1);
    assert.equal(r.falseAlarms, 2);
    assert.equal(r.predicted, 1);
    assert.deepEqual(r.leadTimes, [1]);
  });

  it('credits an episode with the event its start predicts, not a later one it merely runs into', () => {
    // Events at 10 and 16, H = 4; alarms 8..15 are one run starting at 8 (row 10 is a start, so it is
    // not ignored). Its start predicts 10 (lead 2); for 16 it is a standing alarm begun 8 rows before.
    const labels = labelsWith(30, [10, 10], [16, 18]);
    const scores = alarmsAt(30, [8, 9, 10, 11, 12, 13, 14, 15]);
    const r = eventPrediction(labels, scores, 0.5, 4);
    assert.equal(r.events, 2);
    assert.equal(r.predicted, 1);
    assert.equal(r.episodes, 1);
    assert.equal(r.trueEpisodes, 1);
    assert.equal(r.precision, 1);
    assert.equal(r.recall, 0.5);
    assert.deepEqual(r.leadTimes, [2]);
    assert.equal(r.medianLead, 2);
  });

  it('does not reward an alarm that is always on', () => {
    // Segments every 10 rows; every row alarms. Read per row, each gap between segments would be a true
    // episode ending at the next start; read per episode start, only gaps that begin within H of a start are.
    const labels = labelsWith(60, [10, 11], [20, 21], [30, 31], [40, 41], [50, 51]);
    const r = eventPrediction(labels, new Float64Array(60).fill(1), 0.5, 3);
    assert.equal(r.episodes, 6);
    assert.equal(r.trueEpisodes, 0);
    assert.equal(r.predicted, 0);
  });

  it('mixes hits, a miss and a false alarm into precision, recall, F1 and the median lead', () => {
    // Events at 10, 30, 50, 70; H = 5. Alarms: 6 (→10, lead 4), 29 (→30, lead 1), 44 (50 − 6: missed),
    // 68–69 (→70, leads 2 via 68), 90 (false). Episodes: 6, 29, 44, 68–69, 90 → 5, true 3.
    const labels = labelsWith(100, [10, 12], [30, 31], [50, 55], [70, 70]);
    const r = eventPrediction(labels, alarmsAt(100, [6, 29, 44, 68, 69, 90]), 0.5, 5);
    assert.equal(r.events, 4);
    assert.equal(r.predicted, 3);
    assert.equal(r.episodes, 5);
    assert.equal(r.trueEpisodes, 3);
    assert.equal(r.falseAlarms, 2);
    assert.equal(r.recall, 3 / 4);
    assert.equal(r.precision, 3 / 5);
    assert.equal(r.f1, (2 * (3 / 5) * (3 / 4)) / (3 / 5 + 3 / 4));
    assert.deepEqual(r.leadTimes, [4, 1, 2]);
    assert.equal(r.medianLead, 2);
  });

  it('treats a segment starting at row 0 as an event and clips its window at 0', () => {
    const r = eventPrediction(labelsWith(10, [0, 2]), alarmsAt(10, [0, 1]), 0.5, 3);
    assert.equal(r.events, 1);
    assert.equal(r.predicted, 1);
    assert.equal(r.episodes, 1);
    assert.deepEqual(r.leadTimes, [0]);
  });

  it('names what is wrong with its input', () => {
    assert.throws(() => eventPrediction([0, 1], [0], 0.5, 3), /one value per label \(2\), but had 1/);
    assert.throws(() => eventPrediction([0, 2], [0, 0], 0.5, 3), /labels\[1\] must be 0 or 1, but was 2/);
    assert.throws(() => eventPrediction([0, 1], [0, 0], 0.5, -1), /horizon must be an integer >= 0, but was -1/);
  });
});

describe('best event F1', () => {
  it('picks the threshold that alarms before the events and not on the noise', () => {
    // Events at 10 and 30, H = 3. Scores: 0.9 at 8 and 28 (both predict), 0.6 at 20 (false), 0.3 noise at 2.
    // Thresholds: 0.9 → P 1, R 1 (F1 1); 0.6 → P 2/3; 0.3 → P 2/4; 0 → every row alarms.
    const labels = labelsWith(40, [10, 12], [30, 32]);
    const scores = Array<number>(40).fill(0);
    scores[8] = 0.9;
    scores[28] = 0.9;
    scores[20] = 0.6;
    scores[2] = 0.3;
    const best = bestEventF1(labels, scores, 3);
    assert.equal(best.threshold, 0.9);
    assert.equal(best.f1, 1);
    assert.deepEqual(best.leadTimes, [2, 2]);
    // Checked against the single-threshold function at the others.
    assert.equal(eventPrediction(labels, scores, 0.6, 3).f1, (2 * (2 / 3) * 1) / (2 / 3 + 1));
  });

  it('prefers a lower threshold when only it reaches an event', () => {
    // Event at 10, H = 2: only the 0.4 alarm at 9 predicts it; the 0.8 at 25 is false either way.
    // 0.8 → F1 0; 0.4 → P 1/2, R 1, F1 2/3; 0 → two episodes (rows 0–10, 12–29) ties at 2/3 and loses
    // the tie to the higher threshold.
    const labels = labelsWith(30, [10, 11]);
    const scores = Array<number>(30).fill(0);
    scores[25] = 0.8;
    scores[9] = 0.4;
    const best = bestEventF1(labels, scores, 2);
    assert.equal(best.threshold, 0.4);
    assert.equal(best.f1, 2 / 3);
  });

  it('returns +Infinity and F1 0 when there is no event to predict', () => {
    // Every finite threshold has recall 0 (no events), so F1 0; the tie goes to no alarms at all.
    const best = bestEventF1(Array<number>(20).fill(0), alarmsAt(20, [2]), 2);
    assert.equal(best.threshold, Number.POSITIVE_INFINITY);
    assert.equal(best.f1, 0);
    assert.equal(best.episodes, 0);
  });

  it('still finds the top threshold when the scores are subsampled to a few quantiles', () => {
    // 1000 distinct noise scores below 0.5 and one 0.99 alarm just before the only event: the highest
    // distinct value is always a candidate, so 10 quantiles still reach F1 1.
    const n = 1000;
    const labels = labelsWith(n, [500, 505]);
    const scores = Array.from({ length: n }, (_, i) => (i === 498 ? 0.99 : (i % 997) / 2000));
    const best = bestEventF1(labels, scores, 3, { maxThresholds: 10 });
    assert.equal(best.threshold, 0.99);
    assert.equal(best.f1, 1);
  });
});
