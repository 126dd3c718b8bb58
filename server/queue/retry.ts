// The one place that decides whether a failure is tried again, and when. Drivers say whether a call
// may succeed if repeated (DriverError.retryable: a 503, a timeout, a refused connection) or not (a
// 4xx, a target of the wrong kind); everything else that throws (the store blinking, say) is taken as
// retryable. Retryable failures wait with exponential backoff, bounded in count; terminal ones, and
// retryable ones past the bound, are final: the engine climbs to the next rung or escalates, the
// worker pool fails the item.
import type { RetryRule } from '../../remediations/engine-ports.ts';
import { DriverError } from '../../remediations/types.ts';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  /** The wait after the first failure; it doubles after each further one, up to backoffMaxMs. */
  backoffMs: number;
  backoffMaxMs: number;
}

export type RetryDecision = { retry: true; afterMs: number } | { retry: false; why: string };

export function isRetryable(err: unknown): boolean {
  return err instanceof DriverError ? err.retryable : true;
}

/** After `attempts` tries (1 = the first failed), whether to try again and after how long. */
export function decideRetry(err: unknown, attempts: number, policy: RetryPolicy): RetryDecision {
  if (!isRetryable(err)) return { retry: false, why: 'terminal error' };
  if (attempts >= policy.maxAttempts) return { retry: false, why: `retryable, but ${attempts} of ${policy.maxAttempts} tries are spent` };
  return { retry: true, afterMs: Math.min(policy.backoffMs * 2 ** (attempts - 1), policy.backoffMaxMs) };
}

/** The engine's retry rule under `policy`: the same decision, in the shape the engine asks for. */
export function engineRetryRule(policy: RetryPolicy): RetryRule {
  return (err, attempts) => {
    const d = decideRetry(err, attempts, policy);
    return d.retry ? { afterMs: d.afterMs } : undefined;
  };
}
