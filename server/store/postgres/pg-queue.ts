// The work queue's SQL for PostgreSQL: the same queue as SQLite's (server/store/sqlite/queue.ts), with
// claims as leases and a fencing token. Claims are taken one at a time under an advisory lock, so the "nothing running on this target" test sees every
// claim committed before it, from any replica; the unique index on running items per target backs it.
import { toIncident, toWorkItem, type Row } from '../rows.ts';
import { DEFAULT_LEASE_MS, type ClaimedWork, type NewAttempt, type WorkOutcome } from '../store.ts';
import type { PgConnection, Queryable } from './pg-connection.ts';
import { insertAttempt } from './pg-records.ts';

// Due when its time has come, or when the clock now reads earlier than when the item was scheduled (the
// clock was stepped back): see the SQLite queue.
const NEXT_DUE = `
  SELECT w.id FROM work_items w
  WHERE w.state = 'pending' AND (w.not_before <= $1 OR w.updated_at > $1)
    AND NOT EXISTS (SELECT 1 FROM work_items r WHERE r.target = w.target AND r.state = 'running')
  ORDER BY w.priority, w.created_at, w.id LIMIT 1`;

export class PgQueue {
  constructor(private readonly conn: PgConnection) {}

  claimNext(worker: string, now: number, leaseMs = DEFAULT_LEASE_MS): Promise<ClaimedWork | undefined> {
    return this.conn.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`medic.claim:${this.conn.options.schema}`]);
      // A claim whose owner stopped renewing it (died, or cut off from the database) is taken over first:
      // it is the oldest work there is. The attempt is counted, the fence moves on.
      const expired = (await c.query(`SELECT id FROM work_items WHERE state = 'running' AND lease_until < $1 ORDER BY lease_until, id LIMIT 1`, [now])).rows[0] as Row | undefined;
      let claimed: Row | undefined;
      if (expired) {
        claimed = (await c.query(
          `UPDATE work_items SET claimed_by = $1, claimed_at = $2, attempts = attempts + 1, updated_at = $2, fence = fence + 1, lease_until = $3,
             last_error = 'interrupted: the lease of ' || COALESCE(claimed_by, 'a worker') || ' expired while this work was running'
           WHERE id = $4 AND state = 'running' RETURNING *`,
          [worker, now, now + leaseMs, expired.id],
        )).rows[0] as Row;
      } else {
        const next = (await c.query(NEXT_DUE, [now])).rows[0] as Row | undefined;
        if (!next) return undefined;
        claimed = (await c.query(
          `UPDATE work_items SET state = 'running', claimed_by = $1, claimed_at = $2, attempts = attempts + 1, updated_at = $2,
             fence = fence + 1, lease_until = $3
           WHERE id = $4 RETURNING *`,
          [worker, now, now + leaseMs, next.id],
        )).rows[0] as Row;
      }
      const item = toWorkItem(claimed);
      const incident = toIncident((await c.query('SELECT * FROM incidents WHERE id = $1', [item.incidentId])).rows[0] as Row);
      return { item, incident };
    });
  }

  async renewLease(itemId: number, fence: number, now: number, leaseMs: number): Promise<boolean> {
    const rows = await this.conn.query(`UPDATE work_items SET lease_until = $1 WHERE id = $2 AND state = 'running' AND fence = $3 RETURNING id`, [now + leaseMs, itemId, fence]);
    return rows.length === 1;
  }

  /** The item's end first: only if the claim still holds it is its attempt recorded with it. */
  finishWork(itemId: number, outcome: WorkOutcome, now: number, fence?: number): Promise<boolean> {
    return this.conn.tx(async (c) => {
      if (!(await finish(c, itemId, outcome, now, fence ?? null))) return false;
      if (outcome.state !== 'retry' && outcome.attempt) await insertAttempt(c, outcome.attempt as NewAttempt);
      return true;
    });
  }

  async releaseWork(itemId: number, now: number, fence?: number): Promise<void> {
    // A release is not the work's fault: give back the attempt the claim counted.
    await this.conn.query(
      `UPDATE work_items SET state = 'pending', attempts = GREATEST(attempts - 1, 0), updated_at = $1, claimed_by = NULL, lease_until = NULL
       WHERE id = $2 AND state = 'running' AND fence = COALESCE($3, fence)`,
      [now, itemId, fence ?? null],
    );
  }

  /** The only process on the schema, at start-up: the attempt stays counted, so work that kills the process cannot loop for ever. */
  async recoverInterrupted(now: number): Promise<number> {
    const rows = await this.conn.query(
      `UPDATE work_items SET state = 'pending', updated_at = $1, claimed_by = NULL, lease_until = NULL,
         last_error = 'interrupted: the process stopped while this work was running'
       WHERE state = 'running' RETURNING id`,
      [now],
    );
    return rows.length;
  }
}

// Each end is the claim's own: with a fence, only while that claim still holds the item.
async function finish(c: Queryable, itemId: number, outcome: WorkOutcome, now: number, fence: number | null): Promise<boolean> {
  const mine = `id = $4 AND state = 'running' AND fence = COALESCE($5::bigint, fence)`;
  const r = outcome.state === 'retry'
    ? await c.query(
      `UPDATE work_items SET state = 'pending', not_before = $1, last_error = $2, updated_at = $3, claimed_by = NULL, lease_until = NULL WHERE ${mine}`,
      [outcome.notBefore, outcome.error, now, itemId, fence],
    )
    : outcome.state === 'defer'
      // Waiting is not the work's fault either: the attempt the claim counted is given back.
      ? await c.query(
        `UPDATE work_items SET state = 'pending', not_before = $1, last_error = $2, attempts = GREATEST(attempts - 1, 0), updated_at = $3, claimed_by = NULL,
           lease_until = NULL WHERE ${mine}`,
        [outcome.notBefore, outcome.note, now, itemId, fence],
      )
      : await c.query(
        `UPDATE work_items SET state = $1, last_error = $2, updated_at = $3, claimed_by = NULL, lease_until = NULL WHERE ${mine}`,
        [outcome.state, outcome.state === 'failed' ? outcome.error : null, now, itemId, fence],
      );
  return (r.rowCount ?? 0) === 1;
}
