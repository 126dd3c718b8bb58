// The inbox's SQL for PostgreSQL: the same rules as SQLite's (server/ingest/inbox.ts decides, this file
// writes), made safe for several replicas recording at once. The alert's key is unique, so the same alert
// delivered by every Alertmanager peer to every replica opens one incident (the insert that loses waits
// for the winner's commit, then finds its row); a known incident is read FOR UPDATE, so two replicas
// cannot both resolve it; and received deliveries are recorded by one replica at a time, in the order
// they were received, under an advisory lock.
import { CANCELLED_BY_RESOLVE, decideKnownAlert, openIncident, resolveCancels } from '../../ingest/inbox.ts';
import { toIncident, toWorkItem, type Row } from '../rows.ts';
import { StoreUnavailableError, type AlertStatus, type Incident, type Notification, type ReceivedAlert, type RecordedReceipt, type RecordResult } from '../store.ts';
import { inSavepoint, mapError, type PgConnection, type Queryable } from './pg-connection.ts';

const INSERT_INCIDENT = `
  INSERT INTO incidents (fingerprint, starts_at, alertname, agent, target, severity, status, labels, annotations,
    generator_url, first_seen_at, last_seen_at, ends_at, resolved_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
  ON CONFLICT (fingerprint, starts_at) DO NOTHING RETURNING id`;
const INSERT_EVENT = `
  INSERT INTO incident_alerts (incident_id, notification_id, status, received_at, ends_at, annotations) VALUES ($1, $2, $3, $4, $5, $6)`;
const INSERT_NOTIFICATION = `
  INSERT INTO notifications (received_at, receiver, status, group_key, external_url, alert_count, truncated_alerts, request_id, received_alerts)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`;
const MARK_RECORDED = 'UPDATE notifications SET received_alerts = NULL, recorded_at = $1, outcome = $2 WHERE id = $3';

export class PgInbox {
  constructor(private readonly conn: PgConnection) {}

  /** One notification, recorded in one step (Store.recordNotification): its own transaction. */
  recordNotification(n: Notification): Promise<RecordResult> {
    return this.conn.tx(async (c) => {
      const id = await insertNotification(c, n, null);
      const result = await recordAlerts(c, id, n.alerts, n.receivedAt);
      await c.query(MARK_RECORDED, [n.receivedAt, outcomeOf(result), id]);
      return result;
    });
  }

  /** The webhook's first step: one insert, committed (and so durable) before the answer. */
  async receiveNotification(n: Notification): Promise<{ notificationId: number }> {
    const rows = await this.conn.query(INSERT_NOTIFICATION, notificationValues(n, JSON.stringify(n.alerts)));
    return { notificationId: Number(rows[0]!.id) };
  }

  /**
   * The oldest received deliveries, recorded in order by whichever replica holds the lock; the others
   * wait for it and then find them recorded. Each in a savepoint, so one that breaks a rule of the
   * schema is marked unrecordable alone.
   */
  recordReceived(limit: number, now: number): Promise<RecordedReceipt[]> {
    return this.conn.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`medic.record:${this.conn.options.schema}`]);
      const waiting = (await c.query('SELECT id, received_at, request_id, alert_count, received_alerts FROM notifications WHERE received_alerts IS NOT NULL ORDER BY id LIMIT $1', [limit])).rows as Row[];
      const out: RecordedReceipt[] = [];
      for (const row of waiting) {
        const id = Number(row.id);
        const requestId = row.request_id === null ? null : String(row.request_id);
        try {
          const result = await inSavepoint(c, () => recordAlerts(c, id, JSON.parse(String(row.received_alerts)) as ReceivedAlert[], Number(row.received_at)));
          await c.query(MARK_RECORDED, [now, outcomeOf(result), id]);
          out.push({ notificationId: id, requestId, result });
        } catch (err) {
          const mapped = mapError(err);
          // The store failing is not this delivery's fault: all of them wait for the next try.
          if (mapped instanceof StoreUnavailableError) throw mapped;
          const error = (mapped as Error).message;
          await c.query('UPDATE notifications SET received_alerts = NULL, recorded_at = $1, record_error = $2 WHERE id = $3', [now, error, id]);
          out.push({ notificationId: id, requestId, error });
        }
      }
      return out;
    });
  }
}

function notificationValues(n: Notification, received: string | null): unknown[] {
  return [n.receivedAt, n.receiver, n.status, n.groupKey, n.externalURL, n.alerts.length, n.truncatedAlerts, n.requestId, received];
}

async function insertNotification(c: Queryable, n: Notification, received: string | null): Promise<number> {
  return Number((await c.query(INSERT_NOTIFICATION, notificationValues(n, received))).rows[0].id);
}

const outcomeOf = (r: RecordResult): string =>
  JSON.stringify({ created: r.created.map((i) => i.id), resolved: r.resolved.map((i) => i.id), duplicates: r.duplicates, cancelledWork: r.cancelledWork });

/** Applies the inbox rules to a notification's alerts, as of `now` (when it was received). */
async function recordAlerts(c: Queryable, notificationId: number, alerts: readonly ReceivedAlert[], now: number): Promise<RecordResult> {
  const result: RecordResult = { notificationId, created: [], resolved: [], duplicates: 0, cancelledWork: 0 };
  for (const a of alerts) {
    const annotations = JSON.stringify(a.annotations);
    const fresh = openIncident(a, now);
    const i = fresh.incident;
    const inserted = (await c.query(INSERT_INCIDENT, [
      i.fingerprint, i.startsAt, i.alertname, i.agent, i.target, i.severity, i.status, JSON.stringify(i.labels), annotations,
      i.generatorURL, i.firstSeenAt, i.lastSeenAt, i.endsAt, i.resolvedAt,
    ])).rows[0] as Row | undefined;
    if (inserted) {
      const incident: Incident = { id: Number(inserted.id), ...i };
      await c.query(INSERT_EVENT, [incident.id, notificationId, a.status, now, a.endsAt, annotations]);
      if (fresh.work) {
        await c.query(
          `INSERT INTO work_items (incident_id, target, priority, state, not_before, created_at, updated_at) VALUES ($1, $2, $3, 'pending', $4, $5, $5)`,
          [incident.id, fresh.work.target, fresh.work.priority, fresh.work.notBefore, now],
        );
      }
      result.created.push(incident);
      continue;
    }
    // Locked until this transaction ends: another replica deciding on the same alert waits, then sees
    // what this one decided.
    const found = (await c.query('SELECT id, status FROM incidents WHERE fingerprint = $1 AND starts_at = $2 FOR UPDATE', [a.fingerprint, a.startsAt])).rows[0] as Row;
    const existing = { id: Number(found.id), status: String(found.status) as AlertStatus };
    const decision = decideKnownAlert(existing, a, now);
    if (decision.kind === 'resolve') {
      const row = (await c.query(
        `UPDATE incidents SET status = 'resolved', ends_at = $1, resolved_at = $2, last_seen_at = $3, deliveries = deliveries + 1 WHERE id = $4 RETURNING *`,
        [decision.endsAt, decision.resolvedAt, now, existing.id],
      )).rows[0] as Row;
      const incident = toIncident(row);
      await c.query(INSERT_EVENT, [incident.id, notificationId, a.status, now, a.endsAt, annotations]);
      result.cancelledWork += await cancelOnResolve(c, incident.id, now);
      result.resolved.push(incident);
    } else {
      await c.query('UPDATE incidents SET deliveries = deliveries + 1, duplicates = duplicates + 1, last_seen_at = $1 WHERE id = $2', [decision.seenAt, existing.id]);
      result.duplicates += 1;
    }
  }
  return result;
}

/** Cancels the incident's work that the resolve rule says it cancels; a claim that got in first keeps it. */
async function cancelOnResolve(c: Queryable, incidentId: number, now: number): Promise<number> {
  let cancelled = 0;
  const items = ((await c.query('SELECT * FROM work_items WHERE incident_id = $1 ORDER BY id', [incidentId])).rows as Row[]).map(toWorkItem);
  for (const item of items) {
    if (!resolveCancels(item)) continue;
    const r = await c.query(`UPDATE work_items SET state = 'cancelled', updated_at = $1, last_error = $2 WHERE id = $3 AND state = 'pending'`, [now, CANCELLED_BY_RESOLVE, item.id]);
    cancelled += r.rowCount ?? 0;
  }
  return cancelled;
}
