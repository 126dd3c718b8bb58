// What changed in the store, for the console's live views (GET /api/events). One poller for every
// listener, and only while someone listens: it reads a few newest rows once a second and tells each
// listener which parts changed. Read from the store, not from this process's events, so that a console
// on one replica sees what another replica did (several replicas share one store).
import type { Logger } from '../../lib/logger.ts';
import type { Store } from '../store/store.ts';

/** The parts of the state a view may show; a listener is told which of them changed. */
export type FeedTopic = 'incidents' | 'remediations' | 'approvals' | 'controls' | 'queue';

export type FeedListener = (topics: FeedTopic[]) => void;

export interface ChangeFeed {
  /** Starts listening; returns the function that stops. */
  subscribe(listener: FeedListener): () => void;
  listeners(): number;
  /** Ends every stream (shutdown): listeners are told with an empty list, then dropped. */
  close(): void;
}

type Stamp = Record<FeedTopic, string>;

export function changeFeed(options: { store: Store; log: Logger; intervalMs?: number }): ChangeFeed {
  const { store, log } = options;
  const intervalMs = options.intervalMs ?? 1_000;
  const listeners = new Set<FeedListener>();
  let last: Stamp | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  let failing = false;

  const read = async (): Promise<Stamp> => {
    const [incident, attempt, pending, audit, stats] = await Promise.all([
      store.listIncidents({}, { limit: 1 }), store.listAttempts({}, { limit: 1 }), store.listApprovals('pending'),
      store.listAudit({ limit: 1 }), store.stats(),
    ]);
    const i = incident.items[0];
    const a = attempt.items[0];
    return {
      // A new incident, or the newest one updated (a repeat delivery, resolved); openIncidents catches an
      // older one resolving.
      incidents: `${i?.id}:${i?.lastSeenAt}:${i?.status}:${stats.openIncidents}`,
      remediations: `${a?.id}:${a?.outcome}:${a?.finishedAt}`,
      approvals: pending.map((p) => p.id).join(','),
      // Every operator change is audited: the newest audit row moves with a pause, a mode or a revert.
      controls: `${audit.items[0]?.id}:${stats.actionsPaused}`,
      queue: `${stats.pendingWork}:${stats.runningWork}:${stats.receivedAlerts}`,
    };
  };

  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const now = await read();
      if (failing) log.info('the live feed reads the store again');
      failing = false;
      const changed = last ? (Object.keys(now) as FeedTopic[]).filter((k) => now[k] !== last![k]) : [];
      last = now;
      if (changed.length > 0) for (const l of [...listeners]) l(changed);
    } catch (err) {
      // The store being away is reported by /readyz and the store's own logs; say it here once.
      if (!failing) log.warn({ err }, 'the live feed cannot read the store; consoles see no updates until it can');
      failing = true;
    } finally {
      polling = false;
    }
  };

  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    last = undefined;
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!timer) {
        timer = setInterval(() => void poll(), intervalMs);
        timer.unref();
        void poll();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    listeners: () => listeners.size,
    close() {
      stop();
      for (const l of [...listeners]) l([]);
      listeners.clear();
    },
  };
}
