// A bounded pool of workers draining the store's work queue. The queue lives in the store, so a
// restart resumes it; the store hands out at most one running item per target. Whether a handler's
// failure is retried, and when, is retry.ts's decision.
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { MedicMetrics } from '../observability/metrics.ts';
import { DEFAULT_LEASE_MS, type ClaimedWork, type NewAttempt, type Store, type WorkOutcome } from '../store/store.ts';
import { keepLease, type LeaseKeeper } from './lease-keeper.ts';
import { decideRetry } from './retry.ts';

export interface HandlerContext {
  /** Aborted when the pool stops and the grace period is over: stop and throw. */
  signal: AbortSignal;
  log: Logger;
}

export interface HandlerResult {
  /** The audit record of what was done, committed together with the item's completion. */
  attempt?: NewAttempt;
  /** Not finished: run the item again after this, without counting an attempt (a breaker waiting,
   * an approval pending, a guard full). */
  defer?: { afterMs: number; note: string };
}

/** Heals (or pretends to heal) one claimed incident. */
export type WorkHandler = (work: ClaimedWork, ctx: HandlerContext) => Promise<HandlerResult>;

export interface WorkerPoolOptions {
  store: Store;
  handler: WorkHandler;
  concurrency: number;
  pollIntervalMs: number;
  maxAttempts: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  clock: Clock;
  log: Logger;
  metrics: MedicMetrics;
  /** Names this process's claims in the store. */
  instanceId: string;
  /** Work failed for good (its tries spent, or a terminal error): close what it left under way and tell
   * a human, before the item is marked failed. Without it the failure is only logged. */
  onGaveUp?: (work: ClaimedWork, error: string, ctx: { log: Logger }) => Promise<void>;
  /** True while deliveries are being answered: workers claim after them (see loop). */
  ingestBusy?: () => boolean;
  /** How long a claim holds unless renewed (renewed every third of it while the work runs). */
  leaseMs?: number;
}

// How long a worker defers to deliveries being answered before it claims anyway: under a steady flood
// the workers slow down (the backlog is bounded by server.max_backlog) but never stop.
const MAX_DEFER_MS = 100;

interface InFlight {
  controller: AbortController;
  done: Promise<void>;
  itemId: number;
  fence: number;
}

export class WorkerPool {
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly inFlight = new Map<number, InFlight>();
  private waiters = new Set<() => void>();

  constructor(private readonly o: WorkerPoolOptions) {}

  start(): void {
    for (let i = 0; i < this.o.concurrency; i++) this.loops.push(this.loop(`${this.o.instanceId}/${i}`));
  }

  /** New work may be due: idle workers look now instead of at their next poll. */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) w();
  }

  get running(): boolean {
    return this.loops.length > 0 && !this.stopping;
  }

  states(): { busy: number; idle: number } {
    const busy = this.inFlight.size;
    return { busy, idle: this.loops.length === 0 ? 0 : this.o.concurrency - busy };
  }

  /**
   * Stops claiming, lets in-flight work finish for up to timeoutMs, then aborts it and returns it to
   * the queue so the next start runs it again.
   */
  async stop(timeoutMs: number): Promise<{ released: number }> {
    this.stopping = true;
    this.wake();
    const all = Promise.all([...this.inFlight.values()].map((f) => f.done));
    const finished = await Promise.race([all.then(() => true), sleep(timeoutMs, false, { ref: false })]);
    let released = 0;
    if (!finished) {
      const left = [...this.inFlight.values()];
      for (const f of left) f.controller.abort(new Error('shutting down'));
      // Handlers that honour their signal end promptly; one that does not is released anyway.
      await Promise.race([Promise.all(left.map((f) => f.done)), sleep(1000, undefined, { ref: false })]);
      for (const f of [...this.inFlight.values()]) {
        await this.o.store.releaseWork(f.itemId, this.o.clock.now(), f.fence).catch(() => undefined);
        released++;
      }
    }
    await Promise.race([Promise.all(this.loops), sleep(1000, undefined, { ref: false })]);
    this.loops = [];
    return { released };
  }

  private async loop(workerId: string): Promise<void> {
    while (!this.stopping) {
      // The store answers synchronously, so without this a backlog would be drained in one run of
      // microtasks and starve the webhook: let pending I/O in between items.
      await yieldToEventLoop();
      // Answers first: a delivery Alertmanager waits on outranks work already safe in the queue, and
      // the store is synchronous, so a claim blocks the answers behind it.
      for (let waited = 0; this.o.ingestBusy?.() && waited < MAX_DEFER_MS && !this.stopping; waited += 2) await sleep(2);
      if (this.stopping) break;
      let work: ClaimedWork | undefined;
      try {
        work = await this.o.store.claimNext(workerId, this.o.clock.now(), this.leaseMs);
      } catch (err) {
        this.o.log.error({ err, worker: workerId }, 'cannot claim work: store unavailable; will retry');
        await this.idle(this.o.pollIntervalMs);
        continue;
      }
      if (!work) {
        await this.idle(this.o.pollIntervalMs);
        continue;
      }
      const controller = new AbortController();
      const log = this.o.log.child({ incident: work.incident.id, workItem: work.item.id, target: work.item.target, worker: workerId });
      if (work.item.lastError?.startsWith('interrupted: the lease')) log.warn({ fence: work.item.fence, attempt: work.item.attempts }, 'took over work whose owner stopped renewing its lease');
      // Renewed while the work runs; lost (another worker took it over), the handler is aborted.
      const lease = keepLease({ store: this.o.store, clock: this.o.clock, item: work.item, leaseMs: this.leaseMs, controller, log, metrics: this.o.metrics });
      const done = this.process(work, controller.signal, log, lease).finally(() => lease.stop());
      this.inFlight.set(work.item.id, { controller, done, itemId: work.item.id, fence: work.item.fence });
      await done;
      this.inFlight.delete(work.item.id);
    }
  }

  private get leaseMs(): number {
    return this.o.leaseMs ?? DEFAULT_LEASE_MS;
  }

  private idle(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.add(wake);
    });
  }

  private async process(work: ClaimedWork, signal: AbortSignal, log: Logger, lease: LeaseKeeper): Promise<void> {
    const { item, incident } = work;
    const fence = item.fence;
    if (item.attempts > this.o.maxAttempts) {
      // Only reachable after crashes mid-work: the item may be what kills the process.
      const error = `gave up after ${item.attempts - 1} attempts (last: ${item.lastError ?? 'unknown'})`;
      log.error({ attempts: item.attempts - 1 }, error);
      await this.giveUp(work, error, log);
      return;
    }
    const started = this.o.clock.now();
    log.debug({ alertname: incident.alertname, severity: incident.severity, attempt: item.attempts }, 'work started');
    try {
      const result = await this.o.handler(work, { signal, log });
      if (result.defer) {
        const notBefore = this.o.clock.now() + result.defer.afterMs;
        await this.finish(item.id, fence, { state: 'defer', notBefore, note: result.defer.note, attempt: result.attempt }, 'deferred', log);
        log.info({ afterMs: result.defer.afterMs, note: result.defer.note }, 'work deferred');
        return;
      }
      await this.finish(item.id, fence, { state: 'done', attempt: result.attempt }, 'done', log);
      log.info(
        { alertname: incident.alertname, durationMs: this.o.clock.now() - started, outcome: result.attempt?.outcome, reason: result.attempt?.reason },
        'work done',
      );
    } catch (err) {
      // Its new owner carries it on from what is recorded: nothing of this claim's is written any more.
      if (lease.lost()) return;
      if (signal.aborted && this.stopping) {
        await this.o.store.releaseWork(item.id, this.o.clock.now(), fence).catch(() => undefined);
        this.o.metrics.workProcessed.inc({ result: 'released' });
        log.warn('work interrupted by shutdown; returned to the queue');
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      const decision = decideRetry(err, item.attempts, { maxAttempts: this.o.maxAttempts, backoffMs: this.o.retryBackoffMs, backoffMaxMs: this.o.retryBackoffMaxMs });
      if (!decision.retry) {
        log.error({ err, attempts: item.attempts, why: decision.why }, 'work failed');
        await this.giveUp(work, message, log, `${message} (${decision.why})`);
        return;
      }
      log.warn({ err, attempts: item.attempts, retryInMs: decision.afterMs }, 'work failed; will retry');
      await this.finish(item.id, fence, { state: 'retry', error: message, notBefore: this.o.clock.now() + decision.afterMs }, 'retry', log);
    }
  }

  // Escalated before the item is closed: a crash between the two runs the item once more and gives up
  // again, which escalates twice rather than never.
  private async giveUp(work: ClaimedWork, error: string, log: Logger, why = error): Promise<void> {
    try {
      await this.o.onGaveUp?.(work, why, { log });
    } catch (err) {
      log.error({ err }, 'could not escalate the work given up on; it is marked failed');
    }
    await this.finish(work.item.id, work.item.fence, { state: 'failed', error }, 'failed', log);
  }

  // The outcome must reach the store, or the item stays "running" until the next start. Keep trying
  // while the process runs; recoverInterrupted() covers the rest.
  private async finish(itemId: number, fence: number, outcome: WorkOutcome, result: 'done' | 'failed' | 'retry' | 'deferred', log: Logger): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        if (await this.o.store.finishWork(itemId, outcome, this.o.clock.now(), fence)) {
          this.o.metrics.workProcessed.inc({ result });
        } else {
          // The lease lapsed (a long pause, the store out of reach) and another worker took the item:
          // its result stands, this one is dropped.
          this.o.metrics.workProcessed.inc({ result: 'lease_lost' });
          log.warn({ fence, outcome: result }, 'outcome not recorded: another worker took this work over when its lease lapsed');
        }
        return;
      } catch (err) {
        if (this.stopping) {
          log.error({ err }, 'cannot record the outcome; the item will be re-evaluated at the next start');
          return;
        }
        if (tries === 1) log.error({ err }, 'cannot record the outcome: store unavailable; will retry');
        await this.idle(this.o.pollIntervalMs);
      }
    }
  }
}
