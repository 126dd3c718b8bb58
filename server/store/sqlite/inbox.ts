// The inbox's SQL: recording Alertmanager notifications as incidents, alert events and queued work.
// What each alert means (new, resolve, repeat; what to queue; which work a resolve cancels) is decided
// by the rules in server/ingest/inbox.ts; this file only writes what they decide.
import type Database from 'better-sqlite3';
import { CANCELLED_BY_RESOLVE, decideKnownAlert, openIncident, resolveCancels } from '../../ingest/inbox.ts';
import { StoreUnavailableError, type AlertStatus, type Incident, type Notification, type ReceivedAlert, type RecordedReceipt, type RecordResult } from '../store.ts';
import { mapError } from './connection.ts';
import type { Settled } from './group-commit.ts';
import { toIncident, toWorkItem, type Row } from '../rows.ts';

export interface SqliteInbox {
  /**
   * Records the notifications in one transaction (one fsync), each in a savepoint of its own: one that
   * fails rolls back alone and the others still commit. Throws only when the transaction as a whole fails.
   */
  recordAll(notifications: readonly Notification[]): Settled<RecordResult>[];
  /** Commits the notifications as received, alerts not yet recorded, in one transaction; their ids. */
  receiveAll(notifications: readonly Notification[]): Settled<{ notificationId: number }>[];
  /** Records the oldest received notifications, at most `limit` (Store.recordReceived). */
  recordReceived(limit: number, now: number): RecordedReceipt[];
}

export function prepareInbox(db: Database.Database): SqliteInbox {
  const st = {
    insertNotification: db.prepare(
      `INSERT INTO notifications (received_at, receiver, status, group_key, external_url, alert_count, truncated_alerts, request_id, received_alerts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    ),
    // Oldest first: a resolve must be recorded after the firing delivery received before it.
    waiting: db.prepare('SELECT id, received_at, request_id, alert_count, received_alerts FROM notifications WHERE received_alerts IS NOT NULL ORDER BY id LIMIT ?'),
    countWaiting: db.prepare('UPDATE inbox_waiting SET alerts = alerts + ? WHERE id = 1'),
    markRecorded: db.prepare('UPDATE notifications SET received_alerts = NULL, recorded_at = ?, outcome = ? WHERE id = ?'),
    markUnrecordable: db.prepare('UPDATE notifications SET received_alerts = NULL, recorded_at = ?, record_error = ? WHERE id = ?'),
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

  const insertNotification = (n: Notification, received: string | null): number =>
    Number((st.insertNotification.get(n.receivedAt, n.receiver, n.status, n.groupKey, n.externalURL, n.alerts.length, n.truncatedAlerts, n.requestId, received) as Row).id);

  /** Applies the inbox rules to a notification's alerts, as of `now` (when it was received). */
  const recordAlerts = (notificationId: number, alerts: readonly ReceivedAlert[], now: number): RecordResult => {
    const result: RecordResult = { notificationId, created: [], resolved: [], duplicates: 0, cancelledWork: 0 };
    for (const a of alerts) {
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

  const outcomeOf = (r: RecordResult): string =>
    JSON.stringify({ created: r.created.map((i) => i.id), resolved: r.resolved.map((i) => i.id), duplicates: r.duplicates, cancelledWork: r.cancelledWork });

  const recordOne = (n: Notification): RecordResult => {
    const result = recordAlerts(insertNotification(n, null), n.alerts, n.receivedAt);
    st.markRecorded.run(n.receivedAt, outcomeOf(result), result.notificationId);
    return result;
  };

  /** A received notification's alerts recorded and the notification marked, as of its receipt. */
  const recordWaiting = (row: Row, now: number): RecordedReceipt => {
    const result = recordAlerts(Number(row.id), JSON.parse(String(row.received_alerts)) as ReceivedAlert[], Number(row.received_at));
    st.markRecorded.run(now, outcomeOf(result), result.notificationId);
    st.countWaiting.run(-Number(row.alert_count));
    return { notificationId: result.notificationId, requestId: row.request_id === null ? null : String(row.request_id), result };
  };
  // As for recordAll: the batch without savepoints first; after a failure, again with one each, and the
  // notification that breaks a rule of the schema is marked unrecordable and kept, not retried forever.
  const recordWaitingTx = db.transaction(recordWaiting);
  const waitingTx = db.transaction((limit: number, now: number) => (st.waiting.all(limit) as Row[]).map((row) => recordWaiting(row, now)));
  const waitingIsolatedTx = db.transaction((limit: number, now: number): RecordedReceipt[] =>
    (st.waiting.all(limit) as Row[]).map((row): RecordedReceipt => {
      try {
        return recordWaitingTx(row, now);
      } catch (err) {
        const mapped = mapError(err);
        // The store itself failing is not this notification's fault: all of them wait for the next try.
        if (mapped instanceof StoreUnavailableError) throw mapped;
        const error = (mapped as Error).message;
        st.markUnrecordable.run(now, error, Number(row.id));
        st.countWaiting.run(-Number(row.alert_count));
        return { notificationId: Number(row.id), requestId: row.request_id === null ? null : String(row.request_id), error };
      }
    }),
  );
  const receiveAllTx = db.transaction((notifications: readonly Notification[]) => {
    const received = notifications.map((n) => ({ ok: { notificationId: insertNotification(n, JSON.stringify(n.alerts)) } }));
    st.countWaiting.run(notifications.reduce((sum, n) => sum + n.alerts.length, 0));
    return received;
  });

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
    // One insert per delivery, into a table without secondary indexes but the small one of waiting rows:
    // what a delivery costs before its answer. A failure here is the store's, for the whole group.
    receiveAll: (notifications) => receiveAllTx.immediate(notifications),
    recordReceived(limit, now) {
      try {
        return waitingTx.immediate(limit, now);
      } catch (err) {
        if (mapError(err) instanceof StoreUnavailableError) throw err;
        return waitingIsolatedTx.immediate(limit, now);
      }
    },
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
