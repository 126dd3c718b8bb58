// The work queue's SQL for PostgreSQL: the same queue as SQLite's (server/store/sqlite/queue.ts). Claims
// are taken one at a time under an advisory lock, so the "nothing running on this target" test sees every
// claim committed before it, from any replica; the unique index on running items per target backs it.
import { toIncident, toWorkItem, type Row } from '../rows.ts';
import type { ClaimedWork, NewAttempt, WorkOutcome } from '../store.ts';
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

  claimNext(worker: string, now: number): Promise<ClaimedWork | undefined> {
    return this.conn.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`medic.claim:${this.conn.options.schema}`]);
      const next = (await c.query(NEXT_DUE, [now])).rows[0] as Row | undefined;
      if (!next) return undefined;
      const claimed = (await c.query(
        `UPDATE work_items SET state = 'running', claimed_by = $1, claimed_at = $2, attempts = attempts + 1, updated_at = $2 WHERE id = $3 RETURNING *`,
        [worker, now, next.id],
      )).rows[0] as Row;
      const item = toWorkItem(claimed);
      const incident = toIncident((await c.query('SELECT * FROM incidents WHERE id = $1', [item.incidentId])).rows[0] as Row);
      return { item, incident };
    });
  }

  /** The item's end and its attempt, if any, commit together. */
  finishWork(itemId: number, outcome: WorkOutcome, now: number): Promise<void> {
    return this.conn.tx(async (c) => {
      if (outcome.state !== 'retry' && outcome.attempt) await insertAttempt(c, outcome.attempt as NewAttempt);
      await finish(c, itemId, outcome, now);
    });
  }

  async releaseWork(itemId: number, now: number): Promise<void> {
    // A release is not the work's fault: give back the attempt the claim counted.
    await this.conn.query(
      `UPDATE work_items SET state = 'pending', attempts = GREATEST(attempts - 1, 0), updated_at = $1, claimed_by = NULL WHERE id = $2 AND state = 'running'`,
      [now, itemId],
    );
  }

  /** After a crash the attempt stays counted: work that kills the process must not loop for ever. */
  async recoverInterrupted(now: number): Promise<number> {
    const rows = await this.conn.query(
      `UPDATE work_items SET state = 'pending', updated_at = $1, claimed_by = NULL,
         last_error = 'interrupted: the process stopped while this work was running'
       WHERE state = 'running' RETURNING id`,
      [now],
    );
    return rows.length;
  }
}

async function finish(c: Queryable, itemId: number, outcome: WorkOutcome, now: number): Promise<void> {
  if (outcome.state === 'retry') {
    await c.query(
      `UPDATE work_items SET state = 'pending', not_before = $1, last_error = $2, updated_at = $3, claimed_by = NULL WHERE id = $4 AND state = 'running'`,
      [outcome.notBefore, outcome.error, now, itemId],
    );
  } else if (outcome.state === 'defer') {
    // Waiting is not the work's fault either: the attempt the claim counted is given back.
    await c.query(
      `UPDATE work_items SET state = 'pending', not_before = $1, last_error = $2, attempts = GREATEST(attempts - 1, 0), updated_at = $3, claimed_by = NULL
       WHERE id = $4 AND state = 'running'`,
      [outcome.notBefore, outcome.note, now, itemId],
    );
  } else {
    await c.query(
      `UPDATE work_items SET state = $1, last_error = $2, updated_at = $3, claimed_by = NULL WHERE id = $4 AND state = 'running'`,
      [outcome.state, outcome.state === 'failed' ? outcome.error : null, now, itemId],
    );
  }
}
