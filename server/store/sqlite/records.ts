// The remediation engine's records in SQL: attempts (the audit trail), circuit breakers, reversible
// changes, approvals, and the anomaly reading kept with an incident. Shapes are the engine's
// (remediations/records.ts); the method contracts are the Store port's.
import type Database from 'better-sqlite3';
import type { Attempt, NewAttempt } from '../store.ts';
import type { SyncStore } from './connection.ts';
import { toApproval, toAttempt, toBreaker, toChange, type Row } from '../rows.ts';

/** The Store's record methods, synchronous: the assembly adds error mapping and the promise. */
export interface SqliteRecords {
  /** Also used inside the queue's transaction, so that an item's end and its attempt commit together. */
  insertAttempt: (a: NewAttempt) => Attempt;
  updateAttempt: SyncStore<'updateAttempt'>;
  actedTargetsSince: SyncStore<'actedTargetsSince'>;
  disruptingTargets: SyncStore<'disruptingTargets'>;
  failingTargetsSince: SyncStore<'failingTargetsSince'>;
  history: SyncStore<'history'>;
  getBreaker: SyncStore<'getBreaker'>;
  saveBreaker: SyncStore<'saveBreaker'>;
  listBreakers: SyncStore<'listBreakers'>;
  saveAnomaly: SyncStore<'saveAnomaly'>;
  recordChange: SyncStore<'recordChange'>;
  dueChanges: SyncStore<'dueChanges'>;
  settleChange: SyncStore<'settleChange'>;
  listChanges: SyncStore<'listChanges'>;
  expireChange: SyncStore<'expireChange'>;
  createApproval: SyncStore<'createApproval'>;
  latestApproval: SyncStore<'latestApproval'>;
  settleApproval: SyncStore<'settleApproval'>;
  listApprovals: SyncStore<'listApprovals'>;
}

export function prepareRecords(db: Database.Database): SqliteRecords {
  const st = {
    insertAttempt: db.prepare(
      `INSERT INTO attempts (incident_id, work_item_id, target, strategy, driver, mode, outcome, reason, started_at, finished_at, details, agent_type, alertname)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    ),
    updateAttempt: db.prepare('UPDATE attempts SET outcome = ?, reason = ?, finished_at = ?, details = ? WHERE id = ? RETURNING *'),
    // What counts as "acted on" for the blast radius: automatic attempts that reached the target.
    actedTargets: db.prepare(
      `SELECT DISTINCT target, agent_type FROM attempts
       WHERE started_at >= ? AND mode = 'auto' AND outcome IN ('in_progress', 'succeeded', 'failed', 'verify_failed')`,
    ),
    // The engine writes takesCapacity: false into an action's details when its target was already down.
    disrupting: db.prepare(
      `SELECT DISTINCT target, agent_type FROM attempts
       WHERE started_at >= ? AND mode = 'auto' AND outcome = 'in_progress' AND COALESCE(json_extract(details, '$.takesCapacity'), 1) != 0`,
    ),
    failing: db.prepare(`SELECT DISTINCT target, alertname FROM incidents WHERE status = 'firing' AND agent IS NOT NULL AND first_seen_at >= ?`),
    history: db.prepare('SELECT * FROM attempts WHERE target = ? AND started_at >= ? ORDER BY started_at, id'),
    getBreaker: db.prepare('SELECT * FROM circuit_breakers WHERE target = ?'),
    saveBreaker: db.prepare(
      `INSERT INTO circuit_breakers (target, agent_type, state, changed_at, next_check_at, opens) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (target) DO UPDATE SET agent_type = excluded.agent_type, state = excluded.state, changed_at = excluded.changed_at,
         next_check_at = excluded.next_check_at, opens = excluded.opens`,
    ),
    listBreakers: db.prepare('SELECT * FROM circuit_breakers ORDER BY target'),
    saveAnomaly: db.prepare('UPDATE incidents SET anomaly = ? WHERE id = ?'),
    insertChange: db.prepare(
      `INSERT INTO changes (incident_id, attempt_id, target, kind, before, after, applied_at, expires_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active') RETURNING *`,
    ),
    // Due at expiry, or at once when the clock reads earlier than the change was applied (stepped back):
    // a temporary change must not outlive its term by the size of the step.
    dueChanges: db.prepare("SELECT * FROM changes WHERE state = 'active' AND (expires_at <= ? OR applied_at > ?) ORDER BY expires_at, id"),
    settleChange: db.prepare("UPDATE changes SET state = ?, settled_at = ?, note = ? WHERE id = ? AND state = 'active'"),
    listChanges: db.prepare('SELECT * FROM changes WHERE (? IS NULL OR state = ?) ORDER BY id DESC LIMIT 500'),
    // Never later than it was: an operator only brings a revert forward.
    expireChange: db.prepare("UPDATE changes SET expires_at = MIN(expires_at, ?) WHERE id = ? AND state = 'active'"),
    insertApproval: db.prepare(
      `INSERT INTO approvals (incident_id, strategy, plan, requested_at, expires_at, state) VALUES (?, ?, ?, ?, ?, 'pending') RETURNING *`,
    ),
    latestApproval: db.prepare('SELECT * FROM approvals WHERE incident_id = ? AND strategy = ? ORDER BY id DESC LIMIT 1'),
    // The expected current state guards the move: two deciders racing, one wins and the other sees false.
    settleApproval: db.prepare('UPDATE approvals SET state = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ? AND state = ?'),
    listApprovals: db.prepare('SELECT * FROM approvals WHERE (? IS NULL OR state = ?) ORDER BY id DESC LIMIT 500'),
  };

  const optional = <T>(row: unknown, map: (r: Row) => T): T | undefined => (row ? map(row as Row) : undefined);

  return {
    insertAttempt: (a) =>
      toAttempt(
        st.insertAttempt.get(
          a.incidentId, a.workItemId, a.target, a.strategy, a.driver, a.mode, a.outcome, a.reason,
          a.startedAt, a.finishedAt, JSON.stringify(a.details), a.agentType ?? null, a.alertname ?? null,
        ) as Row,
      ),
    updateAttempt: (id, u) =>
      toAttempt(st.updateAttempt.get(u.outcome, u.reason, u.finishedAt, JSON.stringify(u.details), id) as Row),
    actedTargetsSince: (since) =>
      (st.actedTargets.all(since) as Row[]).map((r) => ({ target: String(r.target), agentType: r.agent_type === null ? null : String(r.agent_type) })),
    disruptingTargets: (since) =>
      (st.disrupting.all(since) as Row[]).map((r) => ({ target: String(r.target), agentType: r.agent_type === null ? null : String(r.agent_type) })),
    failingTargetsSince: (since) => (st.failing.all(since) as Row[]).map((r) => ({ target: String(r.target), alertname: String(r.alertname) })),
    history: (target, since) => (st.history.all(target, since) as Row[]).map(toAttempt),

    getBreaker: (target) => optional(st.getBreaker.get(target), toBreaker),
    saveBreaker: (b) => void st.saveBreaker.run(b.target, b.agentType, b.state, b.changedAt, b.nextCheckAt, b.opens),
    listBreakers: () => (st.listBreakers.all() as Row[]).map(toBreaker),
    saveAnomaly: (incidentId, a) => void st.saveAnomaly.run(JSON.stringify(a), incidentId),

    recordChange: (c) =>
      toChange(
        st.insertChange.get(c.incidentId, c.attemptId, c.target, c.kind, JSON.stringify(c.before), JSON.stringify(c.after), c.appliedAt, c.expiresAt) as Row,
      ),
    dueChanges: (now) => (st.dueChanges.all(now, now) as Row[]).map(toChange),
    settleChange: (id, state, now, note) => st.settleChange.run(state, now, note, id).changes === 1,
    listChanges: (state) => (st.listChanges.all(state ?? null, state ?? null) as Row[]).map(toChange),
    expireChange: (id, now) => st.expireChange.run(now, id).changes === 1,

    createApproval: (a) => toApproval(st.insertApproval.get(a.incidentId, a.strategy, JSON.stringify(a.plan), a.requestedAt, a.expiresAt) as Row),
    latestApproval: (incidentId, strategy) => optional(st.latestApproval.get(incidentId, strategy), toApproval),
    settleApproval: (id, from, to, by, now, note) => st.settleApproval.run(to, by, now, note, id, from).changes === 1,
    listApprovals: (state) => (st.listApprovals.all(state ?? null, state ?? null) as Row[]).map(toApproval),
  };
}
