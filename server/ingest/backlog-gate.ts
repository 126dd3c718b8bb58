// Back-pressure for the webhook: past a bounded backlog of queued work, deliveries that could add to it
// are answered 503 (Alertmanager retries them later) instead of growing the queue, the database and
// memory without end. Resolves still go through: they only shrink the backlog.
import type { Clock } from '../../lib/clock.ts';
import type { StoreStats } from '../store/store.ts';

export interface BacklogGate {
  /** Whether a delivery with firing alerts must wait, and the backlog as last counted. */
  check(): Promise<{ full: boolean; depth: number; limit: number }>;
  /** Work this process just queued, counted until the next look at the store. */
  queued(count: number): void;
  /**
   * Past half the limit: recording received deliveries should stop letting answers go first and catch
   * up, so that a flood slows the answers before it fills the backlog and they turn to 503.
   */
  pressing(): boolean;
}

export function backlogGate(o: { stats: () => Promise<StoreStats>; limit: number; clock: Clock; refreshMs?: number }): BacklogGate {
  const refreshMs = o.refreshMs ?? 500;
  let depth = 0;
  let countedAt = -Infinity;
  let counting: Promise<void> | undefined;
  const count = async () => {
    const s = await o.stats();
    // Alerts received and not yet recorded count as the work they may queue.
    depth = s.pendingWork + s.runningWork + s.receivedAlerts;
    countedAt = o.clock.now();
  };
  return {
    async check() {
      // A count of the queue per delivery would cost more than the delivery: at most one per refreshMs,
      // shared by the deliveries that arrive meanwhile.
      if (o.clock.now() - countedAt >= refreshMs) {
        counting ??= count().finally(() => (counting = undefined));
        await counting;
      }
      return { full: depth >= o.limit, depth, limit: o.limit };
    },
    queued(n) {
      depth += n;
    },
    pressing() {
      return depth >= o.limit / 2;
    },
  };
}
