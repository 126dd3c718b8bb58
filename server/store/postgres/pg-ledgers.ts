// The operator API's audit trail and the escalation outbox in PostgreSQL, as
// server/store/sqlite/ledgers.ts keeps them in SQLite. Method contracts are the Store port's.
import { toAudit, toPending, type Row } from '../rows.ts';
import type { AuditEntry, Page, PageRequest, PendingEscalation } from '../store.ts';
import type { PgConnection } from './pg-connection.ts';

export class PgLedgers {
  constructor(private readonly conn: PgConnection) {}

  async recordAudit(e: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.conn.query(
      'INSERT INTO operator_audit (at, who, role, via, method, path, status, request_id, client) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [e.at, e.who, e.role, e.via, e.method, e.path, e.status, e.requestId, e.client],
    );
  }
  async listAudit(page: PageRequest): Promise<Page<AuditEntry>> {
    const rows = await this.conn.query('SELECT * FROM operator_audit WHERE id < $1 ORDER BY id DESC LIMIT $2', [page.cursor ?? Number.MAX_SAFE_INTEGER, page.limit + 1]);
    const items = rows.slice(0, page.limit).map(toAudit);
    return { items, nextCursor: rows.length > page.limit ? items[items.length - 1]!.id : null };
  }
  async enqueueEscalation(e: { incidentId: number; reason: string; payload: unknown; now: number }): Promise<number> {
    const rows = await this.conn.query(
      `INSERT INTO escalation_outbox (incident_id, reason, payload, created_at, state, next_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', $4, $4) RETURNING id`,
      [e.incidentId, e.reason, JSON.stringify(e.payload), e.now],
    );
    return Number(rows[0]!.id);
  }
  // Due at its time, or at once when the clock reads earlier than when it was scheduled (stepped back).
  async dueEscalations(now: number, limit: number): Promise<PendingEscalation[]> {
    const rows = await this.conn.query("SELECT * FROM escalation_outbox WHERE state = 'pending' AND (next_at <= $1 OR updated_at > $1) ORDER BY id LIMIT $2", [now, limit]);
    return rows.map(toPending);
  }
  async settleEscalation(id: number, result: { sentAt: number } | { retryAt: number; error: string; now: number }): Promise<void> {
    if ('sentAt' in result) {
      await this.conn.query("UPDATE escalation_outbox SET state = 'sent', sent_at = $1, tries = tries + 1, last_error = NULL WHERE id = $2 AND state = 'pending'", [result.sentAt, id]);
    } else {
      await this.conn.query(
        "UPDATE escalation_outbox SET next_at = $1, updated_at = $2, tries = tries + 1, last_error = $3 WHERE id = $4 AND state = 'pending'",
        [result.retryAt, result.now, result.error.slice(0, 1000), id],
      );
    }
  }
  async unsentEscalations(): Promise<number> {
    return Number((await this.conn.query("SELECT COUNT(*) AS n FROM escalation_outbox WHERE state = 'pending'"))[0]!.n);
  }
}

