// The one retry decision: retryable failures wait with doubling backoff up to a bound in count and in
// wait; terminal ones are final at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriverError } from '../../remediations/types.ts';
import { decideRetry, engineRetryRule, isRetryable } from '../../server/queue/retry.ts';

const policy = { maxAttempts: 4, backoffMs: 100, backoffMaxMs: 250 };

describe('retry decision', () => {
  it('reads retryability from the driver, and takes any other error as retryable', () => {
    assert.equal(isRetryable(new DriverError('PUT /replicas answered 503', true)), true);
    assert.equal(isRetryable(new DriverError('PUT /replicas answered 404', false)), false);
    assert.equal(isRetryable(new Error('SQLITE_BUSY')), true);
  });

  const cases: [string, unknown, number, ReturnType<typeof decideRetry>][] = [
    ['first retryable failure waits the base backoff', new DriverError('503', true), 1, { retry: true, afterMs: 100 }],
    ['the second waits twice as long', new DriverError('503', true), 2, { retry: true, afterMs: 200 }],
    ['the wait is capped', new DriverError('503', true), 3, { retry: true, afterMs: 250 }],
    ['the last try is final', new DriverError('503', true), 4, { retry: false, why: 'retryable, but 4 of 4 tries are spent' }],
    ['a terminal error is final on the first try', new DriverError('400', false), 1, { retry: false, why: 'terminal error' }],
  ];
  for (const [what, err, attempts, expected] of cases) {
    it(what, () => assert.deepEqual(decideRetry(err, attempts, policy), expected));
  }

  it("gives the engine the same decision in its shape", () => {
    const rule = engineRetryRule(policy);
    assert.deepEqual(rule(new DriverError('503', true), 2), { afterMs: 200 });
    assert.equal(rule(new DriverError('400', false), 1), undefined);
  });
});
