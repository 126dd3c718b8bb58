// The workers' signal to let the webhook go first: busy while a delivery is being answered and for a
// moment after the last answer, when the next deliveries of a flood are about to arrive.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IngestActivity } from '../../server/ingest/ingest-activity.ts';

describe('IngestActivity', () => {
  it('is idle before any delivery', () => {
    assert.equal(new IngestActivity(() => 1000, 5).busy(), false);
  });

  it('is busy while deliveries are answered and for the quiet time after the last answer, then idle', () => {
    let now = 1000;
    const a = new IngestActivity(() => now, 5);
    a.started();
    a.started();
    assert.equal(a.busy(), true);
    now += 50;
    a.answered();
    assert.equal(a.busy(), true, 'one still in flight');
    a.answered();
    // Every connection answered in the same turn: "none in flight" here is not "quiet".
    assert.equal(a.busy(), true, 'just answered');
    now += 4.9;
    assert.equal(a.busy(), true);
    now += 0.2;
    assert.equal(a.busy(), false, 'quiet for longer than the quiet time');
  });
});
