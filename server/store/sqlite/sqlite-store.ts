// The embedded store: SQLite through better-sqlite3, in WAL mode. This file only assembles the parts
// (connection, inbox, queue, records, queries, ledgers) into the Store port. better-sqlite3 is synchronous, so
// each method runs to completion on the event loop; they return promises because that is the port's
// contract, which every adapter implements and test/integration/store-contract.test.ts checks.
import type Database from 'better-sqlite3';
import type {
  ActionsPause,
  AgentActivity,
  Approval,
  Attempt,
  AuditEntry,
  BreakerRecord,
  ChangeRecord,
  ClaimedWork,
  Incident,
  IncidentDetail,
  ModeOverride,
  Notification,
  NotificationDetail,
  RecordedReceipt,
  Page,
  PendingEscalation,
  RecordResult,
  Store,
  StoreStats,
} from '../store.ts';
import { StoreUnavailableError } from '../store.ts';
import type { GuardReads, GuardState, GuardWrites } from '../guards-store.ts';
import { SqliteConnection, type SqliteStoreOptions, type SyncStore } from './connection.ts';
import { GroupCommit } from './group-commit.ts';
import { prepareInbox } from './inbox.ts';
import { prepareQueries } from './queries.ts';
import { prepareQueue } from './queue.ts';
import { prepareControls } from './controls.ts';
import { prepareLedgers } from './ledgers.ts';
import { prepareGuards } from './guards.ts';
import { prepareLeases } from './leases.ts';
import { prepareRecords } from './records.ts';

export type { SqliteStoreOptions };

function prepareParts(db: Database.Database) {
  const records = prepareRecords(db);
  return { inbox: prepareInbox(db), queue: prepareQueue(db, records.insertAttempt), records, queries: prepareQueries(db), ledgers: prepareLedgers(db), controls: prepareControls(db), leases: prepareLeases(db), guards: prepareGuards(db, records) };
}

type Parts = ReturnType<typeof prepareParts>;
type Args<M extends keyof Store> = Parameters<SyncStore<M>>;

export class SqliteStore implements Store {
  private readonly conn: SqliteConnection<Parts>;
  // Notifications arriving in the same turn of the event loop share one transaction and one fsync;
  // each still commits or fails as a whole (a savepoint each).
  private readonly inbox = new GroupCommit<Notification, RecordResult>((ns) => this.conn.run((p) => p.inbox.recordAll(ns)));
  private readonly receipts = new GroupCommit<Notification, { notificationId: number }>((ns) => this.conn.run((p) => p.inbox.receiveAll(ns)));

  private constructor(options: SqliteStoreOptions) {
    this.conn = new SqliteConnection(options, prepareParts);
  }

  /** Opens (creating if needed) and migrates the database. Throws StoreUnavailableError with the path. */
  static open(options: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(options);
  }

  recordNotification(notification: Notification): Promise<RecordResult> {
    if (this.conn.isClosed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    // Answered once the group's commit is on disk: a 200 means Alertmanager may forget the delivery.
    return this.inbox.submit(notification).then(async (result) => {
      await this.conn.durable();
      return result;
    });
  }

  receiveNotification(notification: Notification): Promise<{ notificationId: number }> {
    if (this.conn.isClosed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return this.receipts.submit(notification).then(async (result) => {
      await this.conn.durable();
      return result;
    });
  }
  // Recording commits as the queue does (no fsync of its own): a power loss can only undo it back to
  // "received", and then it is recorded again; the receipt itself was durable before its answer.
  async recordReceived(...args: Args<'recordReceived'>): Promise<RecordedReceipt[]> {
    return this.conn.runQueueWrite((p) => p.inbox.recordReceived(...args));
  }
  async agentActivity(): Promise<AgentActivity[]> {
    return this.conn.run((p) => p.queries.agentActivity());
  }
  async getNotification(...args: Args<'getNotification'>): Promise<NotificationDetail | undefined> {
    return this.conn.run((p) => p.queries.getNotification(...args));
  }

  // The queue: its bookkeeping commits without a fsync of its own (see SqliteConnection.runQueueWrite).
  async claimNext(...args: Args<'claimNext'>): Promise<ClaimedWork | undefined> {
    return this.conn.runQueueWrite((p) => p.queue.claimNext(...args));
  }
  async renewLease(...args: Args<'renewLease'>): Promise<boolean> {
    return this.conn.runQueueWrite((p) => p.queue.renewLease(...args));
  }
  async finishWork(...args: Args<'finishWork'>): Promise<boolean> {
    return this.conn.runQueueWrite((p) => p.queue.finishWork(...args));
  }
  async releaseWork(...args: Args<'releaseWork'>): Promise<void> {
    this.conn.runQueueWrite((p) => p.queue.releaseWork(...args));
  }
  async recoverInterrupted(...args: Args<'recoverInterrupted'>): Promise<number> {
    return this.conn.runQueueWrite((p) => p.queue.recoverInterrupted(...args));
  }

  // The remediation engine's records.
  // An action's record before it acts (in progress, carrying its idempotency key) gets its own fsync: it
  // must outlive a power loss, or the action could be sent again under a new key. Every other record (a
  // decision, an escalation, an outcome) commits as the queue does: safe from a crash of the process, and
  // fsynced with the next delivery; an fsync each made the workers' records crowd out the deliveries.
  async recordAttempt(...args: Args<'recordAttempt'>): Promise<Attempt> {
    const write = (p: Parts) => p.records.insertAttempt(...args);
    if (args[0].outcome !== 'in_progress') return this.conn.runQueueWrite(write);
    return this.durably(write);
  }
  async updateAttempt(...args: Args<'updateAttempt'>): Promise<Attempt> {
    return this.conn.runQueueWrite((p) => p.records.updateAttempt(...args));
  }
  async actedTargetsSince(...args: Args<'actedTargetsSince'>): Promise<{ target: string; agentType: string | null }[]> {
    return this.conn.run((p) => p.records.actedTargetsSince(...args));
  }
  async disruptingTargets(...args: Args<'disruptingTargets'>): Promise<{ target: string; agentType: string | null }[]> {
    return this.conn.run((p) => p.records.disruptingTargets(...args));
  }
  async failingTargetsSince(...args: Args<'failingTargetsSince'>): Promise<{ target: string; alertname: string }[]> {
    return this.conn.run((p) => p.records.failingTargetsSince(...args));
  }
  async history(...args: Args<'history'>): Promise<Attempt[]> {
    return this.conn.run((p) => p.records.history(...args));
  }
  async getBreaker(...args: Args<'getBreaker'>): Promise<BreakerRecord | undefined> {
    return this.conn.run((p) => p.records.getBreaker(...args));
  }
  async saveBreaker(...args: Args<'saveBreaker'>): Promise<void> {
    await this.durably((p) => p.records.saveBreaker(...args));
  }
  async listBreakers(): Promise<BreakerRecord[]> {
    return this.conn.run((p) => p.records.listBreakers());
  }
  async saveAnomaly(...args: Args<'saveAnomaly'>): Promise<void> {
    this.conn.run((p) => p.records.saveAnomaly(...args));
  }
  async recordChange(...args: Args<'recordChange'>): Promise<ChangeRecord> {
    return this.durably((p) => p.records.recordChange(...args));
  }
  async dueChanges(...args: Args<'dueChanges'>): Promise<ChangeRecord[]> {
    return this.conn.run((p) => p.records.dueChanges(...args));
  }
  async expireChange(...args: Args<'expireChange'>): Promise<boolean> {
    return this.durably((p) => p.records.expireChange(...args));
  }
  async settleChange(...args: Args<'settleChange'>): Promise<boolean> {
    return this.durably((p) => p.records.settleChange(...args));
  }
  async listChanges(...args: Args<'listChanges'>): Promise<ChangeRecord[]> {
    return this.conn.run((p) => p.records.listChanges(...args));
  }
  async createApproval(...args: Args<'createApproval'>): Promise<Approval> {
    return this.durably((p) => p.records.createApproval(...args));
  }
  async latestApproval(...args: Args<'latestApproval'>): Promise<Approval | undefined> {
    return this.conn.run((p) => p.records.latestApproval(...args));
  }
  async settleApproval(...args: Args<'settleApproval'>): Promise<boolean> {
    return this.durably((p) => p.records.settleApproval(...args));
  }
  async listApprovals(...args: Args<'listApprovals'>): Promise<Approval[]> {
    return this.conn.run((p) => p.records.listApprovals(...args));
  }

  // Reads for the API and the metrics.
  async listIncidents(...args: Args<'listIncidents'>): Promise<Page<Incident>> {
    return this.conn.run((p) => p.queries.listIncidents(...args));
  }
  async listAttempts(...args: Args<'listAttempts'>): Promise<Page<Attempt>> {
    return this.conn.run((p) => p.queries.listAttempts(...args));
  }
  async getIncident(...args: Args<'getIncident'>): Promise<IncidentDetail | undefined> {
    return this.conn.run((p) => p.queries.getIncident(...args));
  }
  async stats(): Promise<StoreStats> {
    return this.conn.run((p) => p.queries.stats());
  }

  // The ledgers: an audit entry and an escalation are durable before their callers go on.
  async recordAudit(...args: Args<'recordAudit'>): Promise<void> {
    await this.durably((p) => p.ledgers.recordAudit(...args));
  }
  async listAudit(...args: Args<'listAudit'>): Promise<Page<AuditEntry>> {
    return this.conn.run((p) => p.ledgers.listAudit(...args));
  }
  async enqueueEscalation(...args: Args<'enqueueEscalation'>): Promise<number> {
    return this.durably((p) => p.ledgers.enqueueEscalation(...args));
  }
  async dueEscalations(...args: Args<'dueEscalations'>): Promise<PendingEscalation[]> {
    return this.conn.run((p) => p.ledgers.dueEscalations(...args));
  }
  async settleEscalation(...args: Args<'settleEscalation'>): Promise<void> {
    this.conn.run((p) => p.ledgers.settleEscalation(...args));
  }
  async unsentEscalations(): Promise<number> {
    return this.conn.run((p) => p.ledgers.unsentEscalations());
  }

  // The kill switch: durable before the operator is told it holds (or no longer holds).
  async actionsPaused(): Promise<ActionsPause | undefined> {
    return this.conn.run((p) => p.controls.actionsPaused());
  }
  async setActionsPaused(...args: Args<'setActionsPaused'>): Promise<boolean> {
    return this.durably((p) => p.controls.setActionsPaused(...args));
  }
  async modeOverrides(): Promise<ModeOverride[]> {
    return this.conn.run((p) => p.controls.modeOverrides());
  }
  async setModeOverride(...args: Args<'setModeOverride'>): Promise<void> {
    await this.durably((p) => p.controls.setModeOverride(...args));
  }
  async clearModeOverride(...args: Args<'clearModeOverride'>): Promise<boolean> {
    return this.durably((p) => p.controls.clearModeOverride(...args));
  }

  // Named leases: a lost one costs a round of periodic jobs at most, so no fsync of their own.
  async acquireLease(...args: Args<'acquireLease'>): Promise<number | undefined> {
    return this.conn.runQueueWrite((p) => p.leases.acquireLease(...args));
  }
  async releaseLease(...args: Args<'releaseLease'>): Promise<void> {
    this.conn.runQueueWrite((p) => p.leases.releaseLease(...args));
  }

  // The guards' reservations and buckets: lost with a crash, they would only admit one action too many
  // after it, and a crash also ends every action they count; so no fsync of their own.
  async admitAction<T>(reads: GuardReads, decide: (state: GuardState) => { writes: GuardWrites; result: T }): Promise<T> {
    return this.conn.runQueueWrite((p) => p.guards.admitAction(reads, decide));
  }
  async releaseReservation(holder: string): Promise<void> {
    this.conn.runQueueWrite((p) => p.guards.releaseReservation(holder));
  }

  async ping(): Promise<void> {
    this.conn.ping();
    await this.conn.durable();
  }

  /** A write that must survive a power loss before its caller goes on (operators' decisions, changes to revert, breakers). */
  private async durably<T>(fn: (p: Parts) => T): Promise<T> {
    const result = this.conn.run(fn);
    await this.conn.durable();
    return result;
  }

  async close(): Promise<void> {
    if (this.conn.isClosed) return;
    // Answer what is waiting for the next group commit before the handle goes.
    this.inbox.flush();
    this.receipts.flush();
    await this.conn.close();
  }
}
