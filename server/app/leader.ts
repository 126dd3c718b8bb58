// Which Medic runs the periodic jobs (the change reverter, the escalation outbox's resends, the
// prediction loops): the holder of the store's `periodic-jobs` lease. Each Medic tries to take or extend
// it every third of its term; the holder runs the jobs, the others stand by and take over within a term
// of the holder's death. A holder that cannot extend its lease before it ends stops leading at once,
// since another may have it by then. Alone on its store (SQLite), a Medic simply always holds it.
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { MedicMetrics } from '../observability/metrics.ts';
import type { LeasesStore } from '../store/leases-store.ts';

export const LEADER_LEASE = 'periodic-jobs';
export const LEADER_TERM_MS = 15_000;

export interface Leader {
  /** True while this Medic holds the lease (checked by each job at each tick). */
  isLeader(): boolean;
  start(): Promise<void>;
  /** Stops trying and gives the lease up, so that another Medic takes over at once. */
  stop(): Promise<void>;
}

export interface LeaderOptions {
  store: LeasesStore;
  holder: string;
  clock: Clock;
  log: Logger;
  termMs?: number;
  metrics?: Pick<MedicMetrics, 'leader' | 'anomalyScore' | 'failureProbability'>;
}

export function createLeader(o: LeaderOptions): Leader {
  const termMs = o.termMs ?? LEADER_TERM_MS;
  let until = 0;
  let fence: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let trying: Promise<void> | undefined;
  let leading = false;

  const set = (now: boolean) => {
    if (now === leading) return;
    leading = now;
    o.log.info({ fence, holder: o.holder }, now ? 'this Medic now runs the periodic jobs (it holds the periodic-jobs lease)' : 'this Medic no longer runs the periodic jobs: another holds the lease');
    o.metrics?.leader.set(now ? 1 : 0);
    // Scores this Medic no longer refreshes must not stay exported beside the new leader's.
    if (!now) {
      o.metrics?.anomalyScore.reset();
      o.metrics?.failureProbability.reset();
    }
  };

  const attempt = async () => {
    const now = o.clock.now();
    try {
      fence = await o.store.acquireLease(LEADER_LEASE, o.holder, now, termMs);
      if (fence !== undefined) until = now + termMs;
      set(fence !== undefined);
    } catch (err) {
      // The store out of reach: lead only while the lease surely still runs.
      if (o.clock.now() >= until) set(false);
      o.log.warn({ err: (err as Error).message }, 'cannot renew the periodic-jobs lease: store unavailable');
    }
  };
  const tick = () => {
    trying ??= attempt().finally(() => (trying = undefined));
    return trying;
  };

  return {
    isLeader: () => leading && o.clock.now() < until,
    async start() {
      await tick();
      timer = setInterval(() => void tick(), Math.max(20, Math.floor(termMs / 3)));
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await trying;
      if (leading) await o.store.releaseLease(LEADER_LEASE, o.holder).catch(() => undefined);
      set(false);
    },
  };
}
