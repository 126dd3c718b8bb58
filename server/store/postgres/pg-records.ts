// The remediation engine's records in PostgreSQL: attempts, circuit breakers, reversible changes,
// approvals and the anomaly reading, as server/store/sqlite/records.ts keeps them in SQLite. Every guarded
// move (settle an approval, settle a change) is one UPDATE with its expected state in the WHERE clause,
// so two replicas racing get one winner and one false.
import { toApproval, toAttempt, toBreaker, toChange, type Row } from '../rows.ts';
import type { Approval, ApprovalState, Attempt, AttemptUpdate, BreakerRecord, ChangeRecord, ChangeState, NewAttempt } from '../store.ts';
import type { PgConnection, Queryable } from './pg-connection.ts';

/** Also used inside the queue's transaction, so that an item's end and its attempt commit together. */
export async function insertAttempt(c: Queryable, a: NewAttempt): Promise<Attempt> {
  const r = await c.query(
    `INSERT INTO attempts (incident_id, work_item_id, target, strategy, driver, mode, outcome, reason, started_at, finished_at, details, agent_type, alertname)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
    [a.incidentId, a.workItemId, a.target, a.strategy, a.driver, a.mode, a.outcome, a.reason, a.startedAt, a.finishedAt, JSON.stringify(a.details), a.agentType ?? null, a.alertname ?? null],
  );
  return toAttempt(r.rows[0] as Row);
}

const targets = (rows: Row[]) => rows.map((r) => ({ target: String(r.target), agentType: r.agent_type === null ? null : String(r.agent_type) }));

/** Also read inside the guards' admission (pg-guards.ts). */
export async function disruptingTargets(c: Queryable | PgConnection, since: number): Promise<{ target: string; agentType: string | null }[]> {
  return targets(rowsOf(await c.query(
    `SELECT DISTINCT target, agent_type FROM attempts
     WHERE started_at >= $1 AND mode = 'auto' AND outcome = 'in_progress' AND (details::jsonb -> 'takesCapacity') IS DISTINCT FROM 'false'::jsonb`,
    [since],
  )));
}
export async function failingTargetsSince(c: Queryable | PgConnection, since: number): Promise<{ target: string; alertname: string }[]> {
  const rows = rowsOf(await c.query(`SELECT DISTINCT target, alertname FROM incidents WHERE status = 'firing' AND agent IS NOT NULL AND first_seen_at >= $1`, [since]));
  return rows.map((r) => ({ target: String(r.target), alertname: String(r.alertname) }));
}
// A pool client answers a result, the connection its rows.
const rowsOf = (r: Row[] | { rows: unknown[] }): Row[] => (Array.isArray(r) ? r : (r.rows as Row[]));

export class PgRecords {
  constructor(private readonly conn: PgConnection) {}

  recordAttempt(a: NewAttempt): Promise<Attempt> {
    return this.conn.tx((c) => insertAttempt(c, a));
  }
  async updateAttempt(id: number, u: AttemptUpdate): Promise<Attempt> {
    const rows = await this.conn.query('UPDATE attempts SET outcome = $1, reason = $2, finished_at = $3, details = $4 WHERE id = $5 RETURNING *', [u.outcome, u.reason, u.finishedAt, JSON.stringify(u.details), id]);
    return toAttempt(rows[0]!);
  }
  // What counts as "acted on" for the blast radius: automatic attempts that reached the target.
  async actedTargetsSince(since: number): Promise<{ target: string; agentType: string | null }[]> {
    return targets(await this.conn.query(
      `SELECT DISTINCT target, agent_type FROM attempts WHERE started_at >= $1 AND mode = 'auto' AND outcome IN ('in_progress', 'succeeded', 'failed', 'verify_failed')`,
      [since],
    ));
  }
  // The engine writes takesCapacity: false into an action's details when its target was already down.
  disruptingTargets(since: number): Promise<{ target: string; agentType: string | null }[]> {
    return disruptingTargets(this.conn, since);
  }
  failingTargetsSince(since: number): Promise<{ target: string; alertname: string }[]> {
    return failingTargetsSince(this.conn, since);
  }
  async history(target: string, since: number): Promise<Attempt[]> {
    return (await this.conn.query('SELECT * FROM attempts WHERE target = $1 AND started_at >= $2 ORDER BY started_at, id', [target, since])).map(toAttempt);
  }

  async getBreaker(target: string): Promise<BreakerRecord | undefined> {
    const row = (await this.conn.query('SELECT * FROM circuit_breakers WHERE target = $1', [target]))[0];
    return row ? toBreaker(row) : undefined;
  }
  async saveBreaker(b: BreakerRecord): Promise<void> {
    await this.conn.query(
      `INSERT INTO circuit_breakers (target, agent_type, state, changed_at, next_check_at, opens) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (target) DO UPDATE SET agent_type = excluded.agent_type, state = excluded.state, changed_at = excluded.changed_at,
         next_check_at = excluded.next_check_at, opens = excluded.opens`,
      [b.target, b.agentType, b.state, b.changedAt, b.nextCheckAt, b.opens],
    );
  }
  async listBreakers(): Promise<BreakerRecord[]> {
    return (await this.conn.query('SELECT * FROM circuit_breakers ORDER BY target')).map(toBreaker);
  }
  async saveAnomaly(incidentId: number, a: unknown): Promise<void> {
    await this.conn.query('UPDATE incidents SET anomaly = $1 WHERE id = $2', [JSON.stringify(a), incidentId]);
  }

  async recordChange(c: Omit<ChangeRecord, 'id' | 'state' | 'settledAt' | 'note'>): Promise<ChangeRecord> {
    const rows = await this.conn.query(
      `INSERT INTO changes (incident_id, attempt_id, target, kind, before, after, applied_at, expires_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active') RETURNING *`,
      [c.incidentId, c.attemptId, c.target, c.kind, JSON.stringify(c.before), JSON.stringify(c.after), c.appliedAt, c.expiresAt],
    );
    return toChange(rows[0]!);
  }
  // Due at expiry, or at once when the clock reads earlier than the change was applied (stepped back).
  async dueChanges(now: number): Promise<ChangeRecord[]> {
    return (await this.conn.query("SELECT * FROM changes WHERE state = 'active' AND (expires_at <= $1 OR applied_at > $1) ORDER BY expires_at, id", [now])).map(toChange);
  }
  async settleChange(id: number, state: Exclude<ChangeState, 'active'>, now: number, note: string | null): Promise<boolean> {
    return (await this.conn.query("UPDATE changes SET state = $1, settled_at = $2, note = $3 WHERE id = $4 AND state = 'active' RETURNING id", [state, now, note, id])).length === 1;
  }
  async listChanges(state?: ChangeState): Promise<ChangeRecord[]> {
    return (await this.conn.query('SELECT * FROM changes WHERE ($1::text IS NULL OR state = $1) ORDER BY id DESC LIMIT 500', [state ?? null])).map(toChange);
  }
  // Never later than it was: an operator only brings a revert forward.
  async expireChange(id: number, now: number): Promise<boolean> {
    return (await this.conn.query("UPDATE changes SET expires_at = LEAST(expires_at, $1) WHERE id = $2 AND state = 'active' RETURNING id", [now, id])).length === 1;
  }

  async createApproval(a: Omit<Approval, 'id' | 'state' | 'decidedBy' | 'decidedAt' | 'note'>): Promise<Approval> {
    const rows = await this.conn.query(
      `INSERT INTO approvals (incident_id, strategy, plan, requested_at, expires_at, state) VALUES ($1, $2, $3, $4, $5, 'pending') RETURNING *`,
      [a.incidentId, a.strategy, JSON.stringify(a.plan), a.requestedAt, a.expiresAt],
    );
    return toApproval(rows[0]!);
  }
  async latestApproval(incidentId: number, strategy: string): Promise<Approval | undefined> {
    const row = (await this.conn.query('SELECT * FROM approvals WHERE incident_id = $1 AND strategy = $2 ORDER BY id DESC LIMIT 1', [incidentId, strategy]))[0];
    return row ? toApproval(row) : undefined;
  }
  async settleApproval(id: number, from: ApprovalState, to: ApprovalState, by: string | null, now: number, note: string | null): Promise<boolean> {
    const rows = await this.conn.query('UPDATE approvals SET state = $1, decided_by = $2, decided_at = $3, note = $4 WHERE id = $5 AND state = $6 RETURNING id', [to, by, now, note, id, from]);
    return rows.length === 1;
  }
  async listApprovals(state?: ApprovalState): Promise<Approval[]> {
    return (await this.conn.query('SELECT * FROM approvals WHERE ($1::text IS NULL OR state = $1) ORDER BY id DESC LIMIT 500', [state ?? null])).map(toApproval);
  }
}
