// The work queue's SQL: claiming the most urgent due item whose target has nothing running, and
// ending, retrying, deferring or releasing a claimed item. One row per incident (work_items).
import type Database from 'better-sqlite3';
import type { Attempt, ClaimedWork, Incident, NewAttempt, WorkOutcome } from '../store.ts';
import type { SyncStore } from './connection.ts';
import { toIncident, toWorkItem, type Row } from '../rows.ts';

export interface SqliteQueue {
  /** Within one immediate transaction, so two workers (or processes) never claim the same item. */
  claimNext: SyncStore<'claimNext'>;
  /** The item's end and its attempt, if any, commit together. */
  finishWork: SyncStore<'finishWork'>;
  releaseWork: SyncStore<'releaseWork'>;
  recoverInterrupted: SyncStore<'recoverInterrupted'>;
}

export function prepareQueue(db: Database.Database, insertAttempt: (a: NewAttempt) => Attempt): SqliteQueue {
  const st = {
    // Due when its time has come, or when the clock now reads earlier than when the item was scheduled:
    // the clock was stepped back (NTP, a VM restored), and waiting for the old time to come round again
    // would stall healing for as long as the step. Early is harmless: a deferred item looks again.
    nextDue: db.prepare(
      `SELECT w.id FROM work_items w
       WHERE w.state = 'pending' AND (w.not_before <= ? OR w.updated_at > ?)
         AND NOT EXISTS (SELECT 1 FROM work_items r WHERE r.target = w.target AND r.state = 'running')
       ORDER BY w.priority, w.created_at, w.id LIMIT 1`,
    ),
    claim: db.prepare(
      `UPDATE work_items SET state = 'running', claimed_by = ?, claimed_at = ?, attempts = attempts + 1, updated_at = ?
       WHERE id = ? RETURNING *`,
    ),
    incidentById: db.prepare('SELECT * FROM incidents WHERE id = ?'),
    finish: db.prepare(
      `UPDATE work_items SET state = ?, last_error = ?, updated_at = ?, claimed_by = NULL WHERE id = ? AND state = 'running'`,
    ),
    retry: db.prepare(
      `UPDATE work_items SET state = 'pending', not_before = ?, last_error = ?, updated_at = ?, claimed_by = NULL
       WHERE id = ? AND state = 'running'`,
    ),
    // Waiting is not the work's fault either: the attempt the claim counted is given back.
    defer: db.prepare(
      `UPDATE work_items SET state = 'pending', not_before = ?, last_error = ?, attempts = MAX(attempts - 1, 0), updated_at = ?, claimed_by = NULL
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
  };

  const claimTx = db.transaction((worker: string, now: number): ClaimedWork | undefined => {
    const next = st.nextDue.get(now, now) as Row | undefined;
    if (!next) return undefined;
    const item = toWorkItem(st.claim.get(worker, now, now, next.id) as Row);
    const incident: Incident = toIncident(st.incidentById.get(item.incidentId) as Row);
    return { item, incident };
  });

  const finishTx = db.transaction((itemId: number, outcome: WorkOutcome, now: number) => {
    if (outcome.state !== 'retry' && outcome.attempt) insertAttempt(outcome.attempt);
    if (outcome.state === 'retry') st.retry.run(outcome.notBefore, outcome.error, now, itemId);
    else if (outcome.state === 'defer') st.defer.run(outcome.notBefore, outcome.note, now, itemId);
    else st.finish.run(outcome.state, outcome.state === 'failed' ? outcome.error : null, now, itemId);
  });

  return {
    claimNext: (worker, now) => claimTx.immediate(worker, now),
    finishWork: (itemId, outcome, now) => finishTx.immediate(itemId, outcome, now),
    releaseWork: (itemId, now) => void st.release.run(now, itemId),
    recoverInterrupted: (now) => st.recoverInterrupted.run(now).changes,
  };
}
