// The embedded store: SQLite through better-sqlite3, in WAL mode. better-sqlite3 is synchronous, so
// the methods below run to completion on the event loop; they are async only to keep the Store contract
// that PostgreSQL shares.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import {
  StoreUnavailableError,
  type AnomalyAssessment,
  type Approval,
  type ApprovalState,
  type AttemptUpdate,
  type BreakerRecord,
  type ChangeRecord,
  type ChangeState,
  type Attempt,
  type AttemptFilter,
  type ClaimedWork,
  type Incident,
  type IncidentAlertEvent,
  type IncidentDetail,
  type IncidentFilter,
  type NewAttempt,
  type Notification,
  type Page,
  type ReceivedAlert,
  type PageRequest,
  type RecordResult,
  type Store,
  type StoreStats,
  type WorkItem,
  type WorkOutcome,
} from '../store.ts';

export interface SqliteStoreOptions {
  path: string;
  synchronous: 'full' | 'normal';
  busyTimeoutMs: number;
}

// Errors that mean "the database cannot take writes now", not "this request is wrong".
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|READONLY|IOERR|FULL|CANTOPEN|PROTOCOL|NOTADB|CORRUPT|PERM|AUTH)/;
// After these the connection itself may be unusable (file replaced or moved): reopen it on the next ping.
const REOPEN_CODES = /^SQLITE_(READONLY_DBMOVED|IOERR|CANTOPEN|NOTADB|CORRUPT)/;

type Row = Record<string, unknown>;

interface PendingRecord {
  notification: Notification;
  resolve: (r: RecordResult) => void;
  reject: (e: unknown) => void;
}

export class SqliteStore implements Store {
  private db!: Database.Database;
  private st!: ReturnType<typeof prepareStatements>;
  private batch: PendingRecord[] = [];
  private closed = false;
  private broken = false;

  private constructor(private readonly options: SqliteStoreOptions) {}

  /** Opens (creating if needed) and migrates the database. Throws StoreUnavailableError with the path. */
  static open(options: SqliteStoreOptions): SqliteStore {
    const store = new SqliteStore(options);
    store.connect();
    return store;
  }

  private connect(): void {
    const { path } = this.options;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      try {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${this.options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        db.pragma(`busy_timeout = ${Math.max(0, Math.round(this.options.busyTimeoutMs))}`);
        db.pragma('foreign_keys = ON');
        migrate(db, path);
        this.st = prepareStatements(db);
      } catch (err) {
        db.close();
        throw err;
      }
      this.db = db;
      this.broken = false;
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`cannot open the SQLite database ${path}: ${describe(err)}`, { cause: err });
    }
  }

  recordNotification(notification: Notification): Promise<RecordResult> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return new Promise((resolve, reject) => {
      this.batch.push({ notification, resolve, reject });
      // Group commit: notifications arriving in the same turn of the event loop share one transaction
      // and one fsync. Each still commits or fails as a whole (a savepoint each).
      if (this.batch.length === 1) setImmediate(() => this.flushBatch());
    });
  }

  private flushBatch(): void {
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    const results: ({ ok: RecordResult } | { err: unknown })[] = [];
    try {
      this.run(() =>
        this.st.batchTx.immediate(() => {
          results.length = 0;
          for (const p of batch) {
            try {
              results.push({ ok: this.st.recordOneTx(p.notification) });
            } catch (err) {
              results.push({ err });
            }
          }
        }),
      );
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const r = results[i]!;
      if ('ok' in r) p.resolve(r.ok);
      else p.reject(mapError(r.err));
    });
  }

  async claimNext(worker: string, now: number): Promise<ClaimedWork | undefined> {
    return this.runQueueWrite(() =>
      this.st.claimTx.immediate((): ClaimedWork | undefined => {
        const next = this.st.nextDue.get(now) as Row | undefined;
        if (!next) return undefined;
        const item = toWorkItem(this.st.claim.get(worker, now, now, next.id) as Row);
        const incident = toIncident(this.st.incidentById.get(item.incidentId) as Row);
        return { item, incident };
      }),
    );
  }

  async finishWork(itemId: number, outcome: WorkOutcome, now: number): Promise<void> {
    this.runQueueWrite(() =>
      this.st.finishTx.immediate(() => {
        if (outcome.state !== 'retry' && outcome.attempt) this.insertAttempt(outcome.attempt);
        if (outcome.state === 'retry') this.st.retry.run(outcome.notBefore, outcome.error, now, itemId);
        else if (outcome.state === 'defer') this.st.defer.run(outcome.notBefore, outcome.note, now, itemId);
        else this.st.finish.run(outcome.state, outcome.state === 'failed' ? outcome.error : null, now, itemId);
      }),
    );
  }

  async releaseWork(itemId: number, now: number): Promise<void> {
    this.runQueueWrite(() => this.st.release.run(now, itemId));
  }

  async recoverInterrupted(now: number): Promise<number> {
    return this.runQueueWrite(() => this.st.recoverInterrupted.run(now).changes);
  }

  async recordAttempt(a: NewAttempt): Promise<Attempt> {
    return this.run(() => this.insertAttempt(a));
  }

  private insertAttempt(a: NewAttempt): Attempt {
    const row = this.st.insertAttempt.get(
      a.incidentId, a.workItemId, a.target, a.strategy, a.driver, a.mode, a.outcome, a.reason,
      a.startedAt, a.finishedAt, JSON.stringify(a.details), a.agentType ?? null, a.alertname ?? null,
    ) as Row;
    return toAttempt(row);
  }

  async updateAttempt(id: number, u: AttemptUpdate): Promise<Attempt> {
    return this.run(() => toAttempt(this.st.updateAttempt.get(u.outcome, u.reason, u.finishedAt, JSON.stringify(u.details), id) as Row));
  }

  async actedTargetsSince(since: number): Promise<{ target: string; agentType: string | null }[]> {
    return this.run(() =>
      (this.st.actedTargets.all(since) as Row[]).map((r) => ({ target: String(r.target), agentType: r.agent_type === null ? null : String(r.agent_type) })),
    );
  }

  async getBreaker(target: string): Promise<BreakerRecord | undefined> {
    return this.run(() => {
      const row = this.st.getBreaker.get(target) as Row | undefined;
      return row ? toBreaker(row) : undefined;
    });
  }

  async saveAnomaly(incidentId: number, a: AnomalyAssessment): Promise<void> {
    this.run(() => this.st.saveAnomaly.run(JSON.stringify(a), incidentId));
  }

  async saveBreaker(b: BreakerRecord): Promise<void> {
    this.run(() => this.st.saveBreaker.run(b.target, b.agentType, b.state, b.changedAt, b.nextCheckAt, b.opens));
  }

  async listBreakers(): Promise<BreakerRecord[]> {
    return this.run(() => (this.st.listBreakers.all() as Row[]).map(toBreaker));
  }

  async recordChange(c: Omit<ChangeRecord, 'id' | 'state' | 'settledAt' | 'note'>): Promise<ChangeRecord> {
    return this.run(() =>
      toChange(this.st.insertChange.get(c.incidentId, c.attemptId, c.target, c.kind, JSON.stringify(c.before), JSON.stringify(c.after), c.appliedAt, c.expiresAt) as Row),
    );
  }

  async dueChanges(now: number): Promise<ChangeRecord[]> {
    return this.run(() => (this.st.dueChanges.all(now) as Row[]).map(toChange));
  }

  async settleChange(id: number, state: Exclude<ChangeState, 'active'>, now: number, note: string | null): Promise<boolean> {
    return this.run(() => this.st.settleChange.run(state, now, note, id).changes === 1);
  }

  async listChanges(state?: ChangeState): Promise<ChangeRecord[]> {
    return this.run(() => (this.st.listChanges.all(state ?? null, state ?? null) as Row[]).map(toChange));
  }

  async createApproval(a: Omit<Approval, 'id' | 'state' | 'decidedBy' | 'decidedAt' | 'note'>): Promise<Approval> {
    return this.run(() => toApproval(this.st.insertApproval.get(a.incidentId, a.strategy, JSON.stringify(a.plan), a.requestedAt, a.expiresAt) as Row));
  }

  async latestApproval(incidentId: number, strategy: string): Promise<Approval | undefined> {
    return this.run(() => {
      const row = this.st.latestApproval.get(incidentId, strategy) as Row | undefined;
      return row ? toApproval(row) : undefined;
    });
  }

  async settleApproval(id: number, from: ApprovalState, to: ApprovalState, by: string | null, now: number, note: string | null): Promise<boolean> {
    return this.run(() => this.st.settleApproval.run(to, by, now, note, id, from).changes === 1);
  }

  async listApprovals(state?: ApprovalState): Promise<Approval[]> {
    return this.run(() => (this.st.listApprovals.all(state ?? null, state ?? null) as Row[]).map(toApproval));
  }

  async history(target: string, since: number): Promise<Attempt[]> {
    return this.run(() => (this.st.history.all(target, since) as Row[]).map(toAttempt));
  }

  async listIncidents(filter: IncidentFilter, page: PageRequest): Promise<Page<Incident>> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.agent !== undefined) (where.push('agent = ?'), args.push(filter.agent));
    if (filter.status !== undefined) (where.push('status = ?'), args.push(filter.status));
    if (filter.since !== undefined) (where.push('first_seen_at >= ?'), args.push(filter.since));
    if (filter.until !== undefined) (where.push('first_seen_at < ?'), args.push(filter.until));
    return this.page('incidents', where, args, page, toIncident);
  }

  async listAttempts(filter: AttemptFilter, page: PageRequest): Promise<Page<Attempt>> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.agent !== undefined) {
      where.push('incident_id IN (SELECT id FROM incidents WHERE agent = ?)');
      args.push(filter.agent);
    }
    if (filter.outcome !== undefined) (where.push('outcome = ?'), args.push(filter.outcome));
    if (filter.since !== undefined) (where.push('started_at >= ?'), args.push(filter.since));
    if (filter.until !== undefined) (where.push('started_at < ?'), args.push(filter.until));
    return this.page('attempts', where, args, page, toAttempt);
  }

  // Keyset pagination, newest first: stable while new rows arrive, unlike OFFSET.
  private page<T>(table: 'incidents' | 'attempts', where: string[], args: unknown[], page: PageRequest, map: (r: Row) => T): Promise<Page<T>> {
    if (page.cursor !== undefined) (where.push('id < ?'), args.push(page.cursor));
    const sql = `SELECT * FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.run(() => this.db.prepare(sql).all(...args, page.limit + 1) as Row[]);
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    return Promise.resolve({ items: items.map(map), nextCursor: more ? Number(items[items.length - 1]!.id) : null });
  }

  async getIncident(id: number): Promise<IncidentDetail | undefined> {
    return this.run(() => {
      const row = this.st.incidentById.get(id) as Row | undefined;
      if (!row) return undefined;
      return {
        incident: toIncident(row),
        alerts: (this.st.alertsOfIncident.all(id) as Row[]).map(toAlertEvent),
        work: (this.st.workOfIncident.all(id) as Row[]).map(toWorkItem),
        attempts: (this.st.attemptsOfIncident.all(id) as Row[]).map(toAttempt),
      };
    });
  }

  async stats(): Promise<StoreStats> {
    return this.run(() => {
      const row = this.st.stats.get() as Row;
      return { pendingWork: Number(row.pending), runningWork: Number(row.running), openIncidents: Number(row.open) };
    });
  }

  async ping(): Promise<void> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    if (this.broken) {
      try {
        this.db.close();
      } catch {
        // The old handle is being replaced; its close errors say nothing new.
      }
      this.connect();
    }
    // Taking the write lock, not just reading, is what "can commit" means: WAL readers succeed even
    // while another process holds the database locked.
    this.run(() => {
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushBatch();
    this.closed = true;
    this.db.close();
  }

  /**
   * Queue bookkeeping (claims, completions, releases) commits without its own fsync. In WAL mode it is
   * still atomic and survives a crash of the process; only a power loss can undo it, and then the item
   * runs again (it is re-evaluated, never lost). The next inbox commit fsyncs the WAL, and with it every
   * commit before it. Accepted notifications keep a fsync each: Alertmanager never resends those.
   */
  private runQueueWrite<T>(fn: () => T): T {
    if (this.options.synchronous !== 'full') return this.run(fn);
    return this.run(() => {
      this.db.pragma('synchronous = NORMAL');
      try {
        return fn();
      } finally {
        this.db.pragma('synchronous = FULL');
      }
    });
  }

  /** Runs a database operation, turning "cannot write now" errors into StoreUnavailableError. */
  private run<T>(fn: () => T): T {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && REOPEN_CODES.test(code)) this.broken = true;
      throw mapError(err);
    }
  }
}

function mapError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    return new StoreUnavailableError(`SQLite cannot commit now (${code}): ${describe(err)}`, { cause: err });
  }
  return err;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function migrate(db: Database.Database, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const current = Number((db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as Row).v);
  const latest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;
  if (current > latest) {
    throw new StoreUnavailableError(
      `${path} has schema version ${current}, newer than this Medic knows (${latest}): run a newer Medic, or point --data-dir elsewhere`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of SQLITE_MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }).immediate();
  }
}

function prepareStatements(db: Database.Database) {
  const st = {
    insertNotification: db.prepare(
      `INSERT INTO notifications (received_at, receiver, status, group_key, external_url, alert_count, truncated_alerts, request_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    ),
    incidentByKey: db.prepare('SELECT * FROM incidents WHERE fingerprint = ? AND starts_at = ?'),
    incidentById: db.prepare('SELECT * FROM incidents WHERE id = ?'),
    insertIncident: db.prepare(
      `INSERT INTO incidents (fingerprint, starts_at, alertname, agent, target, severity, status, labels, annotations,
         generator_url, first_seen_at, last_seen_at, ends_at, resolved_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (fingerprint, starts_at) DO NOTHING RETURNING id`,
    ),
    resolveIncident: db.prepare(
      `UPDATE incidents SET status = 'resolved', ends_at = ?, resolved_at = ?, last_seen_at = ?, deliveries = deliveries + 1
       WHERE id = ? RETURNING *`,
    ),
    countDuplicate: db.prepare(
      'UPDATE incidents SET deliveries = deliveries + 1, duplicates = duplicates + 1, last_seen_at = ? WHERE id = ?',
    ),
    insertAlertEvent: db.prepare(
      `INSERT INTO incident_alerts (incident_id, notification_id, status, received_at, ends_at, annotations)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    insertWork: db.prepare(
      `INSERT INTO work_items (incident_id, target, priority, state, not_before, created_at, updated_at)
       VALUES (?, ?, ?, 'pending', ?, ?, ?)`,
    ),
    cancelPendingWork: db.prepare(
      // Only work that never started: a remediation waiting between its steps (a circuit breaker open,
      // an approval pending) must still be finished or wound back, whatever the alert does.
      `UPDATE work_items SET state = 'cancelled', updated_at = ?, last_error = 'alert resolved before work started'
       WHERE incident_id = ? AND state = 'pending' AND claimed_at IS NULL`,
    ),
    nextDue: db.prepare(
      `SELECT w.id FROM work_items w
       WHERE w.state = 'pending' AND w.not_before <= ?
         AND NOT EXISTS (SELECT 1 FROM work_items r WHERE r.target = w.target AND r.state = 'running')
       ORDER BY w.priority, w.created_at, w.id LIMIT 1`,
    ),
    claim: db.prepare(
      `UPDATE work_items SET state = 'running', claimed_by = ?, claimed_at = ?, attempts = attempts + 1, updated_at = ?
       WHERE id = ? RETURNING *`,
    ),
    finish: db.prepare(
      `UPDATE work_items SET state = ?, last_error = ?, updated_at = ?, claimed_by = NULL WHERE id = ? AND state = 'running'`,
    ),
    retry: db.prepare(
      `UPDATE work_items SET state = 'pending', not_before = ?, last_error = ?, updated_at = ?, claimed_by = NULL
       WHERE id = ? AND state = 'running'`,
    ),
    // A release is not the work's fault: give back the attempt the claim counted.
    release: db.prepare(
      `UPDATE work_items SET state = 'pending', attempts = MAX(attempts - 1, 0), updated_at = ?, claimed_by = NULL
       WHERE id = ? AND state = 'running'`,
    ),
    // After a crash the attempt stays counted: work that kills the process must not loop for ever.
    recoverInterrupted: db.prepare(
      `UPDATE work_items SET state = 'pending', updated_at = ?, claimed_by = NULL,
         last_error = 'interrupted: the process stopped while this work was running'
       WHERE state = 'running'`,
    ),
    insertAttempt: db.prepare(
      `INSERT INTO attempts (incident_id, work_item_id, target, strategy, driver, mode, outcome, reason, started_at, finished_at, details, agent_type, alertname)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    ),
    updateAttempt: db.prepare('UPDATE attempts SET outcome = ?, reason = ?, finished_at = ?, details = ? WHERE id = ? RETURNING *'),
    actedTargets: db.prepare(
      `SELECT DISTINCT target, agent_type FROM attempts
       WHERE started_at >= ? AND mode = 'auto' AND outcome IN ('in_progress', 'succeeded', 'failed', 'verify_failed')`,
    ),
    getBreaker: db.prepare('SELECT * FROM circuit_breakers WHERE target = ?'),
    saveAnomaly: db.prepare('UPDATE incidents SET anomaly = ? WHERE id = ?'),
    saveBreaker: db.prepare(
      `INSERT INTO circuit_breakers (target, agent_type, state, changed_at, next_check_at, opens) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (target) DO UPDATE SET agent_type = excluded.agent_type, state = excluded.state, changed_at = excluded.changed_at,
         next_check_at = excluded.next_check_at, opens = excluded.opens`,
    ),
    listBreakers: db.prepare('SELECT * FROM circuit_breakers ORDER BY target'),
    insertChange: db.prepare(
      `INSERT INTO changes (incident_id, attempt_id, target, kind, before, after, applied_at, expires_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active') RETURNING *`,
    ),
    dueChanges: db.prepare("SELECT * FROM changes WHERE state = 'active' AND expires_at <= ? ORDER BY expires_at, id"),
    settleChange: db.prepare("UPDATE changes SET state = ?, settled_at = ?, note = ? WHERE id = ? AND state = 'active'"),
    listChanges: db.prepare('SELECT * FROM changes WHERE (? IS NULL OR state = ?) ORDER BY id DESC LIMIT 500'),
    insertApproval: db.prepare(
      `INSERT INTO approvals (incident_id, strategy, plan, requested_at, expires_at, state) VALUES (?, ?, ?, ?, ?, 'pending') RETURNING *`,
    ),
    latestApproval: db.prepare('SELECT * FROM approvals WHERE incident_id = ? AND strategy = ? ORDER BY id DESC LIMIT 1'),
    settleApproval: db.prepare('UPDATE approvals SET state = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ? AND state = ?'),
    listApprovals: db.prepare('SELECT * FROM approvals WHERE (? IS NULL OR state = ?) ORDER BY id DESC LIMIT 500'),
    defer: db.prepare(
      `UPDATE work_items SET state = 'pending', not_before = ?, last_error = ?, attempts = MAX(attempts - 1, 0), updated_at = ?, claimed_by = NULL
       WHERE id = ? AND state = 'running'`,
    ),
    history: db.prepare('SELECT * FROM attempts WHERE target = ? AND started_at >= ? ORDER BY started_at, id'),
    alertsOfIncident: db.prepare('SELECT * FROM incident_alerts WHERE incident_id = ? ORDER BY id'),
    workOfIncident: db.prepare('SELECT * FROM work_items WHERE incident_id = ? ORDER BY id'),
    attemptsOfIncident: db.prepare('SELECT * FROM attempts WHERE incident_id = ? ORDER BY id'),
    stats: db.prepare(
      `SELECT (SELECT COUNT(*) FROM work_items WHERE state = 'pending') AS pending,
              (SELECT COUNT(*) FROM work_items WHERE state = 'running') AS running,
              (SELECT COUNT(*) FROM incidents WHERE status = 'firing') AS open`,
    ),
  };

  const recordOne = (n: Notification): RecordResult => {
    const now = n.receivedAt;
    const notificationId = Number(
      (st.insertNotification.get(now, n.receiver, n.status, n.groupKey, n.externalURL, n.alerts.length, n.truncatedAlerts, n.requestId) as Row).id,
    );
    const result: RecordResult = { notificationId, created: [], resolved: [], duplicates: 0, cancelledWork: 0 };
    for (const a of n.alerts) {
      const annotations = JSON.stringify(a.annotations);
      // Most alerts are new: try the insert first, and look the incident up only when it exists.
      const inserted = st.insertIncident.get(
        a.fingerprint, a.startsAt, a.alertname, a.agent, a.target, a.severity, a.status,
        JSON.stringify(a.labels), annotations, a.generatorURL, now, now,
        a.endsAt, a.status === 'resolved' ? now : null,
      ) as Row | undefined;
      if (inserted) {
        const id = Number(inserted.id);
        st.insertAlertEvent.run(id, notificationId, a.status, now, a.endsAt, annotations);
        if (a.status === 'firing') st.insertWork.run(id, a.target, a.priority, now, now, now);
        result.created.push(newIncident(id, a, now));
        continue;
      }
      const existing = st.incidentByKey.get(a.fingerprint, a.startsAt) as Row;
      if (existing.status === 'firing' && a.status === 'resolved') {
        const incident = toIncident(st.resolveIncident.get(a.endsAt, now, now, existing.id) as Row);
        st.insertAlertEvent.run(incident.id, notificationId, a.status, now, a.endsAt, annotations);
        result.cancelledWork += st.cancelPendingWork.run(now, incident.id).changes;
        result.resolved.push(incident);
      } else {
        // The same alert again (repeat_interval, a retry, the other Alertmanager of an HA pair), or a
        // late firing copy of an alert already resolved: nothing to do but count it.
        st.countDuplicate.run(now, existing.id);
        result.duplicates += 1;
      }
    }
    return result;
  };

  return {
    ...st,
    // Nested inside batchTx, each notification's transaction becomes a savepoint of its own.
    recordOneTx: db.transaction(recordOne),
    batchTx: db.transaction((fn: () => void) => fn()),
    claimTx: db.transaction((fn: () => ClaimedWork | undefined) => fn()),
    finishTx: db.transaction((fn: () => void) => fn()),
  };
}

/** The row just inserted for a new alert, built from what was inserted rather than read back. */
function newIncident(id: number, a: ReceivedAlert, now: number): Incident {
  return {
    id,
    fingerprint: a.fingerprint,
    startsAt: a.startsAt,
    alertname: a.alertname,
    agent: a.agent,
    target: a.target,
    severity: a.severity,
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    generatorURL: a.generatorURL,
    firstSeenAt: now,
    lastSeenAt: now,
    endsAt: a.endsAt,
    resolvedAt: a.status === 'resolved' ? now : null,
    deliveries: 1,
    duplicates: 0,
    anomaly: null,
  };
}

function json(value: unknown): Record<string, string> {
  return JSON.parse(String(value)) as Record<string, string>;
}

function toIncident(r: Row): Incident {
  return {
    id: Number(r.id),
    fingerprint: String(r.fingerprint),
    startsAt: String(r.starts_at),
    alertname: String(r.alertname),
    agent: r.agent === null ? null : String(r.agent),
    target: String(r.target),
    severity: String(r.severity),
    status: r.status as Incident['status'],
    labels: json(r.labels),
    annotations: json(r.annotations),
    generatorURL: String(r.generator_url),
    firstSeenAt: Number(r.first_seen_at),
    lastSeenAt: Number(r.last_seen_at),
    endsAt: r.ends_at === null ? null : String(r.ends_at),
    resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
    deliveries: Number(r.deliveries),
    duplicates: Number(r.duplicates),
    anomaly: r.anomaly === null || r.anomaly === undefined ? null : (JSON.parse(String(r.anomaly)) as AnomalyAssessment),
  };
}

function toWorkItem(r: Row): WorkItem {
  return {
    id: Number(r.id),
    incidentId: Number(r.incident_id),
    target: String(r.target),
    priority: Number(r.priority),
    state: r.state as WorkItem['state'],
    attempts: Number(r.attempts),
    notBefore: Number(r.not_before),
    claimedBy: r.claimed_by === null ? null : String(r.claimed_by),
    claimedAt: r.claimed_at === null ? null : Number(r.claimed_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastError: r.last_error === null ? null : String(r.last_error),
  };
}

function toAttempt(r: Row): Attempt {
  return {
    id: Number(r.id),
    incidentId: Number(r.incident_id),
    workItemId: r.work_item_id === null ? null : Number(r.work_item_id),
    target: String(r.target),
    strategy: String(r.strategy),
    driver: String(r.driver),
    mode: String(r.mode),
    outcome: String(r.outcome),
    reason: String(r.reason),
    startedAt: Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    details: JSON.parse(String(r.details)) as Record<string, unknown>,
    agentType: r.agent_type === null || r.agent_type === undefined ? null : String(r.agent_type),
    alertname: r.alertname === null || r.alertname === undefined ? null : String(r.alertname),
  };
}

function toBreaker(r: Row): BreakerRecord {
  return {
    target: String(r.target),
    agentType: String(r.agent_type),
    state: r.state as BreakerRecord['state'],
    changedAt: Number(r.changed_at),
    nextCheckAt: r.next_check_at === null ? null : Number(r.next_check_at),
    opens: Number(r.opens),
  };
}

function toChange(r: Row): ChangeRecord {
  return {
    id: Number(r.id),
    incidentId: Number(r.incident_id),
    attemptId: Number(r.attempt_id),
    target: String(r.target),
    kind: String(r.kind),
    before: JSON.parse(String(r.before)) as Record<string, unknown>,
    after: JSON.parse(String(r.after)) as Record<string, unknown>,
    appliedAt: Number(r.applied_at),
    expiresAt: Number(r.expires_at),
    state: r.state as ChangeRecord['state'],
    settledAt: r.settled_at === null ? null : Number(r.settled_at),
    note: r.note === null ? null : String(r.note),
  };
}

function toApproval(r: Row): Approval {
  return {
    id: Number(r.id),
    incidentId: Number(r.incident_id),
    strategy: String(r.strategy),
    plan: JSON.parse(String(r.plan)) as Record<string, unknown>,
    requestedAt: Number(r.requested_at),
    expiresAt: Number(r.expires_at),
    state: r.state as Approval['state'],
    decidedBy: r.decided_by === null ? null : String(r.decided_by),
    decidedAt: r.decided_at === null ? null : Number(r.decided_at),
    note: r.note === null ? null : String(r.note),
  };
}

function toAlertEvent(r: Row): IncidentAlertEvent {
  return {
    id: Number(r.id),
    notificationId: Number(r.notification_id),
    status: r.status as IncidentAlertEvent['status'],
    receivedAt: Number(r.received_at),
    endsAt: r.ends_at === null ? null : String(r.ends_at),
    annotations: json(r.annotations),
  };
}
