// Escalations are what Medic owes humans: each is kept in the store before it is sent, and sent again
// until Alertmanager takes it, across Alertmanager outages and Medic restarts alike. An escalation that
// cannot even be kept (the store is down too) is sent directly and logged whole, so a human sees it
// somewhere. Alertmanager deduplicates by labels, so a resend after an unanswered success is harmless.
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { logThrottle } from '../../lib/log-throttle.ts';
import type { Escalation, Escalator } from '../../remediations/engine-ports.ts';
import { decideRetry } from '../queue/retry.ts';
import type { Store } from '../store/store.ts';

export interface OutboxOptions {
  store: Store;
  /** Builds the alerts for an escalation (stamped when it was decided) and posts them; post throws on failure. */
  build: (e: Escalation) => unknown;
  post: (payload: unknown) => Promise<void>;
  clock: Clock;
  log: Logger;
  /** How often due escalations are looked for; the first send is immediate. */
  intervalMs: number;
  /** Beside other Medics on the store, only the periodic-jobs lease holder resends on the interval; a new
   * escalation is still sent at once by the Medic that decided it (Alertmanager merges a rare double). */
  isLeader?: () => boolean;
  /** The wait after a failed send doubles from this, up to backoffMaxMs; escalations are never given up. */
  backoffMs?: number;
  backoffMaxMs?: number;
}

const BATCH = 50;

export interface EscalationOutbox extends Escalator {
  /** Sends what is due now; resolves when this round is done. Never throws. */
  flush(): Promise<void>;
  start(): void;
  stop(): void;
}

export function createEscalationOutbox(o: OutboxOptions): EscalationOutbox {
  const policy = { maxAttempts: Number.MAX_SAFE_INTEGER, backoffMs: o.backoffMs ?? 1000, backoffMaxMs: o.backoffMaxMs ?? 60_000 };
  const failures = logThrottle(30_000, () => o.clock.now());
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;

  const sendOne = async (id: number, payload: unknown, tries: number, incidentId: number) => {
    try {
      await o.post(payload);
      await o.store.settleEscalation(id, { sentAt: o.clock.now() });
      if (tries > 0) o.log.info({ escalation: id, incident: incidentId, tries: tries + 1 }, 'escalation delivered to Alertmanager after retrying');
    } catch (err) {
      const decision = decideRetry(err, tries + 1, policy);
      const retryAt = o.clock.now() + (decision.retry ? decision.afterMs : policy.backoffMaxMs);
      const error = err instanceof Error ? err.message : String(err);
      failures((suppressedSinceLast) => o.log.warn({ escalation: id, incident: incidentId, tries: tries + 1, error, retryInMs: retryAt - o.clock.now(), suppressedSinceLast },
        'cannot deliver an escalation to Alertmanager; it is kept and will be sent again'));
      await o.store.settleEscalation(id, { retryAt, error, now: o.clock.now() }).catch(() => undefined);
    }
  };

  const flushOnce = async () => {
    for (;;) {
      const due = await o.store.dueEscalations(o.clock.now(), BATCH);
      for (const e of due) await sendOne(e.id, e.payload, e.tries, e.incidentId);
      // A full batch that all failed is retried on the next tick, not in a tight loop.
      if (due.length < BATCH) return;
      if ((await o.store.dueEscalations(o.clock.now(), 1)).length === 0) return;
    }
  };

  const flush = (): Promise<void> => {
    // One round at a time: a tick and an escalation's immediate send do not post the same row twice.
    round ??= flushOnce().catch((err: unknown) => o.log.error({ err }, 'escalation outbox round failed')).finally(() => { round = undefined; });
    return round;
  };

  return {
    async escalate(e: Escalation) {
      const payload = o.build(e);
      try {
        await o.store.enqueueEscalation({ incidentId: e.incident.id, reason: e.reason, payload, now: o.clock.now() });
      } catch (err) {
        o.log.error({ err, incident: e.incident.id, reason: e.reason, message: e.message }, 'cannot keep the escalation in the store; sending it once, directly');
        await o.post(payload).catch((postErr: unknown) => o.log.error({ err: postErr, incident: e.incident.id }, `ESCALATION NOT DELIVERED: ${e.message}`));
        return;
      }
      // Sent in the background: the worker that escalated is free at once. Awaiting the round would hold
      // it for up to a whole batch of Alertmanager timeouts while Alertmanager hangs.
      void flush();
    },
    flush,
    start() {
      if (timer) return;
      timer = setInterval(() => void (o.isLeader?.() === false ? undefined : flush()), o.intervalMs);
      timer.unref();
      void flush();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
