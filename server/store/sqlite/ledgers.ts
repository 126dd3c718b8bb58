// Append-mostly ledgers beside the engine's records: the operator API's audit trail and the escalation
// outbox (escalations kept until Alertmanager takes them). Method contracts are the Store port's.
import type Database from 'better-sqlite3';
import type { AuditEntry, PendingEscalation } from '../store.ts';
import type { SyncStore } from './connection.ts';
import { toAudit, toPending, type Row } from '../rows.ts';

export interface SqliteLedgers {
  recordAudit: SyncStore<'recordAudit'>;
  listAudit: SyncStore<'listAudit'>;
  enqueueEscalation: SyncStore<'enqueueEscalation'>;
  dueEscalations: SyncStore<'dueEscalations'>;
  settleEscalation: SyncStore<'settleEscalation'>;
  unsentEscalations: SyncStore<'unsentEscalations'>;
}

export function prepareLedgers(db: Database.Database): SqliteLedgers {
  const st = {
    insertAudit: db.prepare(
      'INSERT INTO operator_audit (at, who, role, via, method, path, status, request_id, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    listAudit: db.prepare('SELECT * FROM operator_audit WHERE id < ? ORDER BY id DESC LIMIT ?'),
    enqueue: db.prepare(
      `INSERT INTO escalation_outbox (incident_id, reason, payload, created_at, state, next_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?) RETURNING id`,
    ),
    // Due at its time, or at once when the clock reads earlier than when it was scheduled (stepped back).
    due: db.prepare("SELECT * FROM escalation_outbox WHERE state = 'pending' AND (next_at <= ? OR updated_at > ?) ORDER BY id LIMIT ?"),
    sent: db.prepare("UPDATE escalation_outbox SET state = 'sent', sent_at = ?, tries = tries + 1, last_error = NULL WHERE id = ? AND state = 'pending'"),
    retry: db.prepare("UPDATE escalation_outbox SET next_at = ?, updated_at = ?, tries = tries + 1, last_error = ? WHERE id = ? AND state = 'pending'"),
    unsent: db.prepare("SELECT COUNT(*) AS n FROM escalation_outbox WHERE state = 'pending'"),
  };

  return {
    recordAudit: (e) => void st.insertAudit.run(e.at, e.who, e.role, e.via, e.method, e.path, e.status, e.requestId, e.client),
    listAudit: (page) => {
      const rows = st.listAudit.all(page.cursor ?? Number.MAX_SAFE_INTEGER, page.limit + 1) as Row[];
      const items = rows.slice(0, page.limit).map(toAudit);
      return { items, nextCursor: rows.length > page.limit ? items[items.length - 1]!.id : null };
    },
    enqueueEscalation: (e) => Number((st.enqueue.get(e.incidentId, e.reason, JSON.stringify(e.payload), e.now, e.now, e.now) as Row).id),
    dueEscalations: (now, limit) => (st.due.all(now, now, limit) as Row[]).map(toPending),
    settleEscalation: (id, result) => {
      if ('sentAt' in result) st.sent.run(result.sentAt, id);
      else st.retry.run(result.retryAt, result.now, result.error.slice(0, 1000), id);
    },
    unsentEscalations: () => Number((st.unsent.get() as Row).n),
  };
}

