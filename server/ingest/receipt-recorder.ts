// The inbox's second step. The webhook answers once a delivery is committed as received (one row, one
// group fsync); this records the received deliveries as incidents and queued work afterwards, oldest
// first, in batches, each exactly once (Store.recordReceived). Answers go first: while the webhook is
// busy, recording waits, but never longer than MAX_WAIT_MS, so it keeps going under a steady flood (a
// small batch each time). Once what waits passes half of server.max_backlog (which counts these alerts
// too), recording stops waiting and takes turns with the answers, batch by batch: a sustained flood then
// slows the answers to the pace of recording, before the backlog fills and deliveries are refused.
// Nothing received is lost: what is waiting at a stop or a crash is recorded at the next start.
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { logThrottle } from '../../lib/log-throttle.ts';
import type { MedicMetrics } from '../observability/metrics.ts';
import type { RecordedReceipt, RecordResult, Store } from '../store/store.ts';

/**
 * Deliveries per transaction: about 4 ms of the event loop at 10 alerts each, so a delivery arriving
 * meanwhile waits no longer than that (64 made the p99 at 1,000 deliveries/s 93 ms, measured).
 */
const BATCH = 16;
/** While the webhook is busy: how long recording may wait, and how much it records then. */
const MAX_WAIT_MS = 250;
const BATCH_WHILE_BUSY = 8;
/** How often to look again whether the webhook went quiet. */
const LOOK_AGAIN_MS = 5;
/** After the store refused a batch (it answers 503 to deliveries meanwhile too). */
const RETRY_MS = 1_000;

export interface ReceiptRecorderDeps {
  store: Pick<Store, 'recordReceived'>;
  clock: Clock;
  log: Logger;
  metrics: MedicMetrics;
  /** Deliveries being answered (ingest-activity.ts). */
  ingestBusy: () => boolean;
  /** The backlog is past half its bound (backlog-gate.ts): record without waiting for the webhook. */
  catchUp?: () => boolean;
  /** Incidents were created or work cancelled: the workers have something to look at. */
  onRecorded: (result: RecordResult) => void;
  /** A monotonic clock in ms for the waiting above (performance.now by default). */
  monotonic?: () => number;
}

export class ReceiptRecorder {
  private timer?: NodeJS.Timeout | NodeJS.Immediate;
  private running?: Promise<void>;
  private again = false;
  private waitingSince?: number;
  private stopped = true;
  private readonly storeRefusals: ReturnType<typeof logThrottle>;

  constructor(private readonly d: ReceiptRecorderDeps) {
    this.storeRefusals = logThrottle(10_000, () => d.clock.now());
  }

  /** Records what an earlier run left received, then whatever the webhook receives. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Something was received: record it soon. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (!this.timer) this.timer = setImmediate(() => this.step());
  }

  /**
   * Records what waits (the webhook is closed by now) until none is left or `timeoutMs` has passed;
   * what still waits then stays committed as received, for the next start.
   */
  async stop(timeoutMs: number): Promise<{ left: boolean }> {
    this.stopped = true;
    this.cancelTimer();
    await this.running;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      let recorded;
      try {
        recorded = await this.d.store.recordReceived(BATCH, this.d.clock.now());
      } catch {
        return { left: true };
      }
      this.report(recorded);
      if (recorded.length < BATCH) return { left: false };
      if (performance.now() >= deadline) return { left: true };
    }
  }

  private cancelTimer(): void {
    if (!this.timer) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private later(ms: number): void {
    if (!this.stopped && !this.timer) this.timer = setTimeout(() => this.step(), ms);
  }

  private step(): void {
    this.timer = undefined;
    if (this.stopped || this.running) return;
    const now = (this.d.monotonic ?? performance.now.bind(performance))();
    let limit = BATCH;
    if (this.d.ingestBusy() && !this.d.catchUp?.()) {
      this.waitingSince ??= now;
      if (now - this.waitingSince < MAX_WAIT_MS) return this.later(LOOK_AGAIN_MS);
      limit = BATCH_WHILE_BUSY;
    }
    this.waitingSince = undefined;
    this.running = this.recordBatch(limit).finally(() => {
      this.running = undefined;
    });
  }

  private async recordBatch(limit: number): Promise<void> {
    let recorded;
    try {
      recorded = await this.d.store.recordReceived(limit, this.d.clock.now());
    } catch (err) {
      this.storeRefusals((suppressedSinceLast) =>
        this.d.log.error({ err, suppressedSinceLast }, 'cannot record received deliveries: store unavailable; they stay committed as received and are recorded when it is back'),
      );
      this.again = false;
      return this.later(RETRY_MS);
    }
    this.report(recorded);
    const more = recorded.length === limit || this.again;
    this.again = false;
    if (more && !this.stopped) this.timer ??= setImmediate(() => this.step());
  }

  private report(recorded: RecordedReceipt[]): void {
    for (const r of recorded) {
      const log = r.requestId ? this.d.log.child({ requestId: r.requestId }) : this.d.log;
      if ('error' in r) {
        this.d.metrics.notificationsUnrecordable.inc();
        log.error({ notification: r.notificationId, err: r.error }, 'a received delivery cannot be recorded: it is kept with the error (GET /api/notifications/:id)');
        continue;
      }
      const result = r.result;
      countRecorded(this.d.metrics, result);
      log.info(
        {
          notification: result.notificationId,
          created: result.created.map((i) => i.id),
          resolved: result.resolved.map((i) => i.id),
          duplicates: result.duplicates,
          cancelledWork: result.cancelledWork,
        },
        'notification recorded',
      );
      if (result.created.length > 0 || result.cancelledWork > 0) this.d.onRecorded(result);
    }
  }
}

function countRecorded(metrics: MedicMetrics, result: RecordResult): void {
  if (result.duplicates > 0) metrics.alertDuplicates.inc(result.duplicates);
  if (result.created.length > 0) metrics.incidentsCreated.inc(result.created.length);
  if (result.resolved.length > 0) metrics.incidentsResolved.inc(result.resolved.length);
  if (result.cancelledWork > 0) metrics.workCancelled.inc(result.cancelledWork);
}
