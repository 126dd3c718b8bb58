// The inbox's SQL: recording Alertmanager notifications as incidents, alert events and queued work.
// What each alert means (new, resolve, repeat; what to queue; which work a resolve cancels) is decided
// by the rules in server/ingest/inbox.ts; this file only writes what they decide.
import type Database from 'better-sqlite3';
import { CANCELLED_BY_RESOLVE, decideKnownAlert, openIncident, resolveCancels } from '../../ingest/inbox.ts';
import { StoreUnavailableError, type AlertStatus, type Incident, type Notification, type RecordResult } from '../store.ts';
import { mapError } from './connection.ts';
import type { Settled } from './group-commit.ts';
import { toIncident, toWorkItem, type Row } from './rows.ts';

export interface SqliteInbox {
  /**
   * Records the notifications in one transaction (one fsync), each in a savepoint of its own: one that
   * fails rolls back alone and the others still commit. Throws only when the transaction as a whole fails.
   */
  recordAll(notifications: readonly Notification[]): Settled<RecordResult>[];
}

export function prepareInbox(db: Database.Database): SqliteInbox {
  const st = {
    insertNotification: db.prepare(
      `INSERT INTO notifications (received_at, receiver, status, group_key, external_url, alert_count, truncated_alerts, request_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    ),
    // Only what the rules look at: repeats are frequent, and decoding the whole row would be wasted.
    incidentByKey: db.prepare('SELECT id, status FROM incidents WHERE fingerprint = ? AND starts_at = ?'),
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
    workOfIncident: db.prepare('SELECT * FROM work_items WHERE incident_id = ? ORDER BY id'),
    cancelWork: db.prepare(
      `UPDATE work_items SET state = 'cancelled', updated_at = ?, last_error = ? WHERE id = ? AND state = 'pending'`,
    ),
  };

  /** Cancels the incident's work that the resolve rule says it cancels; returns how many items. */
  const cancelOnResolve = (incidentId: number, now: number): number => {
    let cancelled = 0;
    for (const item of (st.workOfIncident.all(incidentId) as Row[]).map(toWorkItem)) {
      if (resolveCancels(item)) cancelled += st.cancelWork.run(now, CANCELLED_BY_RESOLVE, item.id).changes;
    }
    return cancelled;
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
      const fresh = openIncident(a, now);
      const i = fresh.incident;
      const inserted = st.insertIncident.get(
        i.fingerprint, i.startsAt, i.alertname, i.agent, i.target, i.severity, i.status, JSON.stringify(i.labels), annotations,
        i.generatorURL, i.firstSeenAt, i.lastSeenAt, i.endsAt, i.resolvedAt,
      ) as Row | undefined;
      if (inserted) {
        // Built from what was inserted rather than read back: the columns left out hold their defaults.
        const incident: Incident = { id: Number(inserted.id), ...i };
        st.insertAlertEvent.run(incident.id, notificationId, a.status, now, a.endsAt, annotations);
        if (fresh.work) st.insertWork.run(incident.id, fresh.work.target, fresh.work.priority, fresh.work.notBefore, now, now);
        result.created.push(incident);
        continue;
      }
      const existing = st.incidentByKey.get(a.fingerprint, a.startsAt) as { id: number; status: AlertStatus };
      const decision = decideKnownAlert(existing, a, now);
      if (decision.kind === 'resolve') {
        const incident = toIncident(st.resolveIncident.get(decision.endsAt, decision.resolvedAt, now, existing.id) as Row);
        st.insertAlertEvent.run(incident.id, notificationId, a.status, now, a.endsAt, annotations);
        result.cancelledWork += cancelOnResolve(incident.id, now);
        result.resolved.push(incident);
      } else {
        st.countDuplicate.run(decision.seenAt, existing.id);
        result.duplicates += 1;
      }
    }
    return result;
  };

  // The common case, every notification good: one transaction for the group with no savepoints, since
  // each savepoint copies every page it touches to a sub-journal first (a third of the commit's cost).
  const allTx = db.transaction((notifications: readonly Notification[]) => notifications.map(recordOne));
  // After a failure, again with a savepoint each (nested inside the batch's transaction, each
  // notification's transaction becomes one): the one that fails rolls back alone, the others commit.
  const recordOneTx = db.transaction(recordOne);
  const isolatedTx = db.transaction((notifications: readonly Notification[]) =>
    notifications.map((n): Settled<RecordResult> => {
      try {
        return { ok: recordOneTx(n) };
      } catch (err) {
        return { err: mapError(err) };
      }
    }),
  );

  return {
    recordAll(notifications) {
      try {
        return allTx.immediate(notifications).map((ok) => ({ ok }));
      } catch (err) {
        // The database cannot commit at all: every notification of the group fails alike.
        if (mapError(err) instanceof StoreUnavailableError) throw err;
        return isolatedTx.immediate(notifications);
      }
    },
  };
}
