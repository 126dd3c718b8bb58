// The alert hold-off: one incident, one alert, whatever detector raised it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { holdOff, holdOffScores } from '../../training/evaluation/alert-hold-off.ts';

const at = (n: number, on: number[]) => Array.from({ length: n }, (_, i) => on.includes(i));
const indices = (xs: boolean[]) => xs.flatMap((x, i) => (x ? [i] : []));

describe('alert hold-off', () => {
  it('drops alerts within the span after an alert, counted in samples', () => {
    assert.deepEqual(indices(holdOff(at(20, [2, 3, 5, 6, 7, 9]), { samples: 4 })), [2, 7]);
  });

  it('does not restart on a held-off alert, so a lasting condition alerts once per span', () => {
    assert.deepEqual(indices(holdOff(at(12, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), { samples: 3 })), [0, 4, 8]);
  });

  it('measures a span in hours on the timestamps, whatever the sampling', () => {
    const hours = [0, 1, 2, 10, 13, 13.5, 30];
    assert.deepEqual(indices(holdOff(at(7, [0, 2, 3, 4, 5, 6]), { hours: 12 }, hours)), [0, 4, 6]);
    assert.throws(() => holdOff(at(3, [0]), { hours: 1 }), /a span in hours needs one time per sample, got 0 for 3/);
  });

  it('zeroes the scores of held-off alerts only', () => {
    const s = holdOffScores([0.1, 0.9, 0.4, 0.8, 0.2, 0.7], 0.5, { samples: 3 });
    assert.deepEqual(Array.from(s), [0.1, 0.9, 0.4, 0, 0.2, 0.7]);
  });
});
