// Keeps a claim's lease while its work runs: renewed every third of the lease, so a worker that dies
// (kill -9, a lost node) stops renewing and another worker, on any replica, takes the work over once the
// lease expires. A worker that finds its claim taken over, or that cannot renew before the lease ends
// (cut off from the store), stops acting: its handler is aborted, and its fence keeps any late write
// of its own from overwriting the new owner's.
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { MedicMetrics } from '../observability/metrics.ts';
import type { Store, WorkItem } from '../store/store.ts';

export interface LeaseKeeper {
  /** The claim is no longer this worker's: do not write anything more for it. */
  lost(): boolean;
  stop(): void;
}

export class LeaseLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

export interface LeaseKeeperOptions {
  store: Pick<Store, 'renewLease'>;
  clock: Clock;
  item: WorkItem;
  leaseMs: number;
  controller: AbortController;
  log: Logger;
  metrics: Pick<MedicMetrics, 'workProcessed'>;
}

export function keepLease(o: LeaseKeeperOptions): LeaseKeeper {
  let lost = false;
  let stopped = false;
  let renewing = false;
  let until = o.item.leaseUntil ?? Number.POSITIVE_INFINITY;
  const lose = (why: string) => {
    if (lost || stopped) return;
    lost = true;
    o.metrics.workProcessed.inc({ result: 'lease_lost' });
    o.log.warn({ fence: o.item.fence }, `stopping this work: ${why}`);
    o.controller.abort(new LeaseLostError(why));
  };
  const renew = async () => {
    if (lost || stopped || renewing) return;
    renewing = true;
    const now = o.clock.now();
    try {
      if (await o.store.renewLease(o.item.id, o.item.fence, now, o.leaseMs)) until = now + o.leaseMs;
      else lose('another worker took it over (its lease had lapsed)');
    } catch (err) {
      // The store out of reach: keep trying until the lease runs out, then stop acting, since another
      // replica may be taking the work over by then.
      if (o.clock.now() >= until) lose(`the lease could not be renewed before it ran out (${(err as Error).message})`);
    } finally {
      renewing = false;
    }
  };
  const timer = setInterval(() => void renew(), Math.max(20, Math.floor(o.leaseMs / 3)));
  timer.unref();
  return {
    lost: () => lost,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
