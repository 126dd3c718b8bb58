// The PostgreSQL store (store.driver: postgres): the Store port over a `pg` pool, for several replicas
// on one database. This file only assembles the parts (connection, inbox, queue, records, queries,
// ledgers, controls). Every commit is durable when it resolves (PostgreSQL's synchronous_commit), so
// there is no group commit or fsync of Medic's own here: each replica's pool commits in parallel.
import { randomBytes } from 'node:crypto';
import { ACQUIRE_LEASE, RELEASE_LEASE } from '../lease-sql.ts';
import type { GuardReads, GuardState, GuardWrites } from '../guards-store.ts';
import type { Store } from '../store.ts';
import { PgConnection, type PostgresStoreOptions } from './pg-connection.ts';
import { PgControls } from './pg-controls.ts';
import { PgGuards } from './pg-guards.ts';
import { PgInbox } from './pg-inbox.ts';
import { PgLedgers } from './pg-ledgers.ts';
import { PgQueries } from './pg-queries.ts';
import { PgQueue } from './pg-queue.ts';
import { PgRecords } from './pg-records.ts';

export type { PostgresStoreOptions };

// About a delivery of a few alerts, as for SQLite: "can commit" means a write of that size commits.
const HEARTBEAT_BYTES = 16 * 1024;

type P<M extends keyof Store> = Parameters<Store[M]>;
type R<M extends keyof Store> = ReturnType<Store[M]>;

export class PostgresStore implements Store {
  private readonly inbox: PgInbox;
  private readonly queue: PgQueue;
  private readonly records: PgRecords;
  private readonly queries: PgQueries;
  private readonly ledgers: PgLedgers;
  private readonly controls: PgControls;
  private readonly guards: PgGuards;

  private constructor(private readonly conn: PgConnection) {
    this.inbox = new PgInbox(conn);
    this.queue = new PgQueue(conn);
    this.records = new PgRecords(conn);
    this.queries = new PgQueries(conn);
    this.ledgers = new PgLedgers(conn);
    this.controls = new PgControls(conn);
    this.guards = new PgGuards(conn);
  }

  /** Connects and migrates. Rejects with StoreUnavailableError naming the server (never its password). */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    return new PostgresStore(await PgConnection.open(options));
  }

  recordNotification(...a: P<'recordNotification'>): R<'recordNotification'> { return this.inbox.recordNotification(...a); }
  receiveNotification(...a: P<'receiveNotification'>): R<'receiveNotification'> { return this.inbox.receiveNotification(...a); }
  recordReceived(...a: P<'recordReceived'>): R<'recordReceived'> { return this.inbox.recordReceived(...a); }
  getNotification(...a: P<'getNotification'>): R<'getNotification'> { return this.queries.getNotification(...a); }

  claimNext(...a: P<'claimNext'>): R<'claimNext'> { return this.queue.claimNext(...a); }
  renewLease(...a: P<'renewLease'>): R<'renewLease'> { return this.queue.renewLease(...a); }
  finishWork(...a: P<'finishWork'>): R<'finishWork'> { return this.queue.finishWork(...a); }
  releaseWork(...a: P<'releaseWork'>): R<'releaseWork'> { return this.queue.releaseWork(...a); }
  recoverInterrupted(...a: P<'recoverInterrupted'>): R<'recoverInterrupted'> { return this.queue.recoverInterrupted(...a); }

  recordAttempt(...a: P<'recordAttempt'>): R<'recordAttempt'> { return this.records.recordAttempt(...a); }
  updateAttempt(...a: P<'updateAttempt'>): R<'updateAttempt'> { return this.records.updateAttempt(...a); }
  actedTargetsSince(...a: P<'actedTargetsSince'>): R<'actedTargetsSince'> { return this.records.actedTargetsSince(...a); }
  disruptingTargets(...a: P<'disruptingTargets'>): R<'disruptingTargets'> { return this.records.disruptingTargets(...a); }
  failingTargetsSince(...a: P<'failingTargetsSince'>): R<'failingTargetsSince'> { return this.records.failingTargetsSince(...a); }
  history(...a: P<'history'>): R<'history'> { return this.records.history(...a); }
  getBreaker(...a: P<'getBreaker'>): R<'getBreaker'> { return this.records.getBreaker(...a); }
  saveBreaker(...a: P<'saveBreaker'>): R<'saveBreaker'> { return this.records.saveBreaker(...a); }
  listBreakers(): R<'listBreakers'> { return this.records.listBreakers(); }
  saveAnomaly(...a: P<'saveAnomaly'>): R<'saveAnomaly'> { return this.records.saveAnomaly(...a); }
  recordChange(...a: P<'recordChange'>): R<'recordChange'> { return this.records.recordChange(...a); }
  dueChanges(...a: P<'dueChanges'>): R<'dueChanges'> { return this.records.dueChanges(...a); }
  settleChange(...a: P<'settleChange'>): R<'settleChange'> { return this.records.settleChange(...a); }
  listChanges(...a: P<'listChanges'>): R<'listChanges'> { return this.records.listChanges(...a); }
  expireChange(...a: P<'expireChange'>): R<'expireChange'> { return this.records.expireChange(...a); }
  createApproval(...a: P<'createApproval'>): R<'createApproval'> { return this.records.createApproval(...a); }
  latestApproval(...a: P<'latestApproval'>): R<'latestApproval'> { return this.records.latestApproval(...a); }
  settleApproval(...a: P<'settleApproval'>): R<'settleApproval'> { return this.records.settleApproval(...a); }
  listApprovals(...a: P<'listApprovals'>): R<'listApprovals'> { return this.records.listApprovals(...a); }

  listIncidents(...a: P<'listIncidents'>): R<'listIncidents'> { return this.queries.listIncidents(...a); }
  getIncident(...a: P<'getIncident'>): R<'getIncident'> { return this.queries.getIncident(...a); }
  listAttempts(...a: P<'listAttempts'>): R<'listAttempts'> { return this.queries.listAttempts(...a); }
  stats(): R<'stats'> { return this.queries.stats(); }
  agentActivity(): R<'agentActivity'> { return this.queries.agentActivity(); }

  recordAudit(...a: P<'recordAudit'>): R<'recordAudit'> { return this.ledgers.recordAudit(...a); }
  listAudit(...a: P<'listAudit'>): R<'listAudit'> { return this.ledgers.listAudit(...a); }
  enqueueEscalation(...a: P<'enqueueEscalation'>): R<'enqueueEscalation'> { return this.ledgers.enqueueEscalation(...a); }
  dueEscalations(...a: P<'dueEscalations'>): R<'dueEscalations'> { return this.ledgers.dueEscalations(...a); }
  settleEscalation(...a: P<'settleEscalation'>): R<'settleEscalation'> { return this.ledgers.settleEscalation(...a); }
  unsentEscalations(): R<'unsentEscalations'> { return this.ledgers.unsentEscalations(); }

  actionsPaused(): R<'actionsPaused'> { return this.controls.actionsPaused(); }
  setActionsPaused(...a: P<'setActionsPaused'>): R<'setActionsPaused'> { return this.controls.setActionsPaused(...a); }
  modeOverrides(): R<'modeOverrides'> { return this.controls.modeOverrides(); }
  setModeOverride(...a: P<'setModeOverride'>): R<'setModeOverride'> { return this.controls.setModeOverride(...a); }
  clearModeOverride(...a: P<'clearModeOverride'>): R<'clearModeOverride'> { return this.controls.clearModeOverride(...a); }

  admitAction<T>(reads: GuardReads, decide: (state: GuardState) => { writes: GuardWrites; result: T }): Promise<T> { return this.guards.admitAction(reads, decide); }
  releaseReservation(...a: P<'releaseReservation'>): R<'releaseReservation'> { return this.guards.releaseReservation(...a); }

  async acquireLease(...a: P<'acquireLease'>): R<'acquireLease'> {
    const [name, holder, now, ttlMs] = a;
    const row = (await this.conn.query(ACQUIRE_LEASE, [name, holder, now + ttlMs, now]))[0];
    return row ? Number(row.fence) : undefined;
  }
  async releaseLease(...a: P<'releaseLease'>): R<'releaseLease'> {
    await this.conn.query(RELEASE_LEASE, a);
  }

  /** Commits a write the size of a delivery: a read-only standby after a failover, a full disk or a lost
   * server all fail it, where a SELECT 1 would pass. */
  async ping(): Promise<void> {
    await this.conn.query(
      'INSERT INTO store_heartbeat (id, at, payload) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET at = excluded.at, payload = excluded.payload',
      [Date.now(), randomBytes(HEARTBEAT_BYTES)],
    );
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
