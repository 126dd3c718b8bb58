// The work queue's SQL: claiming the most urgent due item whose target has nothing running, and
// ending, retrying, deferring or releasing a claimed item. One row per incident (work_items).
import type Database from 'better-sqlite3';
import { DEFAULT_LEASE_MS, type Attempt, type ClaimedWork, type Incident, type NewAttempt, type WorkOutcome } from '../store.ts';
import type { SyncStore } from './connection.ts';
import { toIncident, toWorkItem, type Row } from '../rows.ts';

export interface SqliteQueue {
  /** Within one immediate transaction, so two workers (or processes) never claim the same item. */
  claimNext: SyncStore<'claimNext'>;
  renewLease: SyncStore<'renewLease'>;
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
    // A claim whose owner stopped renewing it (died, or cut off from the store): taken over first, it is
    // the oldest work there is. A NULL lease (claimed before leases) is left to recoverInterrupted.
    expired: db.prepare(`SELECT id FROM work_items WHERE state = 'running' AND lease_until < ? ORDER BY lease_until, id LIMIT 1`),
    claim: db.prepare(
      `UPDATE work_items SET state = 'running', claimed_by = ?, claimed_at = ?, attempts = attempts + 1, updated_at = ?,
         fence = fence + 1, lease_until = ?
       WHERE id = ? RETURNING *`,
    ),
    takeOver: db.prepare(
      `UPDATE work_items SET claimed_by = ?, claimed_at = ?, attempts = attempts + 1, updated_at = ?, fence = fence + 1, lease_until = ?,
         last_error = 'interrupted: the lease of ' || COALESCE(claimed_by, 'a worker') || ' expired while this work was running'
       WHERE id = ? AND state = 'running' RETURNING *`,
    ),
    renew: db.prepare(`UPDATE work_items SET lease_until = ? WHERE id = ? AND state = 'running' AND fence = ?`),
    incidentById: db.prepare('SELECT * FROM incidents WHERE id = ?'),
    // Each end is the claim's own: with a fence (the last parameter; NULL matches any), only while that
    // claim still holds the item.
    finish: db.prepare(
      `UPDATE work_items SET state = ?, last_error = ?, updated_at = ?, claimed_by = NULL, lease_until = NULL
       WHERE id = ? AND state = 'running' AND fence = COALESCE(?, fence)`,
    ),
    retry: db.prepare(
      `UPDATE work_items SET state = 'pending', not_before = ?, last_error = ?, updated_at = ?, claimed_by = NULL, lease_until = NULL
       WHERE id = ? AND state = 'running' AND fence = COALESCE(?, fence)`,
    ),
    // Waiting is not the work's fault either: the attempt the claim counted is given back.
    defer: db.prepare(
      `UPDATE work_items SET state = 'pending', not_before = ?, last_error = ?, attempts = MAX(attempts - 1, 0), updated_at = ?, claimed_by = NULL,
         lease_until = NULL
       WHERE id = ? AND state = 'running' AND fence = COALESCE(?, fence)`,
    ),
    // A release is not the work's fault: give back the attempt the claim counted.
    release: db.prepare(
      `UPDATE work_items SET state = 'pending', attempts = MAX(attempts - 1, 0), updated_at = ?, claimed_by = NULL, lease_until = NULL
       WHERE id = ? AND state = 'running' AND fence = COALESCE(?, fence)`,
    ),
    // After a crash the attempt stays counted: work that kills the process must not loop for ever.
    recoverInterrupted: db.prepare(
      `UPDATE work_items SET state = 'pending', updated_at = ?, claimed_by = NULL, lease_until = NULL,
         last_error = 'interrupted: the process stopped while this work was running'
       WHERE state = 'running'`,
    ),
  };

  const claimTx = db.transaction((worker: string, now: number, leaseMs: number): ClaimedWork | undefined => {
    const until = now + leaseMs;
    const expired = st.expired.get(now) as Row | undefined;
    const claimed = expired
      ? (st.takeOver.get(worker, now, now, until, expired.id) as Row)
      : (() => {
          const next = st.nextDue.get(now, now) as Row | undefined;
          return next && (st.claim.get(worker, now, now, until, next.id) as Row);
        })();
    if (!claimed) return undefined;
    const item = toWorkItem(claimed);
    const incident: Incident = toIncident(st.incidentById.get(item.incidentId) as Row);
    return { item, incident };
  });

  // The item's end first: only if the claim still holds it is the attempt recorded with it.
  const finishTx = db.transaction((itemId: number, outcome: WorkOutcome, now: number, fence: number | null): boolean => {
    const ended =
      outcome.state === 'retry' ? st.retry.run(outcome.notBefore, outcome.error, now, itemId, fence)
      : outcome.state === 'defer' ? st.defer.run(outcome.notBefore, outcome.note, now, itemId, fence)
      : st.finish.run(outcome.state, outcome.state === 'failed' ? outcome.error : null, now, itemId, fence);
    if (ended.changes === 0) return false;
    if (outcome.state !== 'retry' && outcome.attempt) insertAttempt(outcome.attempt);
    return true;
  });

  return {
    claimNext: (worker, now, leaseMs = DEFAULT_LEASE_MS) => claimTx.immediate(worker, now, leaseMs),
    renewLease: (itemId, fence, now, leaseMs) => st.renew.run(now + leaseMs, itemId, fence).changes === 1,
    finishWork: (itemId, outcome, now, fence) => finishTx.immediate(itemId, outcome, now, fence ?? null),
    releaseWork: (itemId, now, fence) => void st.release.run(now, itemId, fence ?? null),
    recoverInterrupted: (now) => st.recoverInterrupted.run(now).changes,
  };
}

