// The inbox: a validated Alertmanager payload becomes what the store records (one entry per alert, with
// its incident key, the target whose work it queues, and its priority), and the rules for recording it.
import type { AlertmanagerAlert, AlertmanagerPayload } from './alertmanager-payload.ts';
import type { Incident, Notification, ReceivedAlert, WorkItem } from '../store/store.ts';

// A Map, not an object literal: a severity is an alert's label, and `constructor` or `__proto__` looked up
// on a plain object finds Object.prototype's members (a function became the priority and the delivery 503).
const SEVERITY_PRIORITY: ReadonlyMap<string, number> = new Map([['critical', 0], ['warning', 1], ['info', 2]]);
/** Alerts with no or another severity run after info: their urgency is unknown. */
export const UNKNOWN_SEVERITY_PRIORITY = 3;

// Go's zero time.Time: Alertmanager's way of saying "no end yet".
const GO_ZERO_TIME = /^0001-01-01T00:00:00(\.0+)?Z$/;

export function toNotification(payload: AlertmanagerPayload, receivedAt: number, requestId: string | null): Notification {
  return {
    receivedAt,
    receiver: payload.receiver,
    status: payload.status,
    groupKey: payload.groupKey,
    externalURL: payload.externalURL,
    truncatedAlerts: payload.truncatedAlerts,
    requestId,
    alerts: payload.alerts.map(toReceivedAlert),
  };
}

export function toReceivedAlert(alert: AlertmanagerAlert): ReceivedAlert {
  const severity = alert.labels.severity ?? '';
  const agent = alert.labels.agent || null;
  return {
    fingerprint: alert.fingerprint,
    startsAt: alert.startsAt,
    status: alert.status,
    endsAt: alert.endsAt === undefined || GO_ZERO_TIME.test(alert.endsAt) ? null : alert.endsAt,
    labels: alert.labels,
    annotations: alert.annotations,
    generatorURL: alert.generatorURL,
    alertname: alert.labels.alertname ?? '',
    agent,
    target: agent ?? `fingerprint:${alert.fingerprint}`,
    severity,
    priority: SEVERITY_PRIORITY.get(severity) ?? UNKNOWN_SEVERITY_PRIORITY,
  };
}

// ---------------------------------------------------------------------------------------------------
// The inbox rules: what recording an alert means. Pure, so that every Store adapter applies the same
// ones inside its own transaction (the SQLite adapter in server/store/sqlite/inbox.ts) and they are
// tested without a database (test/unit/inbox.test.ts).

/** Work to queue for an incident: at most one reconcile per target runs at a time, most urgent first. */
export interface WorkRequest {
  target: string;
  /** Lower runs first (see ReceivedAlert.priority). */
  priority: number;
  /** Not claimed before this time (epoch ms). */
  notBefore: number;
}

/** What an alert not seen before (no incident with its fingerprint and startsAt) becomes. */
export interface NewIncident {
  incident: Omit<Incident, 'id'>;
  /** Null when there is nothing to heal: the alert arrived already resolved. */
  work: WorkRequest | null;
}

/**
 * A first delivery opens an incident with one delivery counted. A firing alert queues work for its
 * target, due at once, at the alert's priority; one that Medic first sees resolved (it fired while
 * Medic was down) is recorded as resolved now and queues nothing.
 */
export function openIncident(alert: ReceivedAlert, now: number): NewIncident {
  const incident: Omit<Incident, 'id'> = {
    fingerprint: alert.fingerprint,
    startsAt: alert.startsAt,
    alertname: alert.alertname,
    agent: alert.agent,
    target: alert.target,
    severity: alert.severity,
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    generatorURL: alert.generatorURL,
    firstSeenAt: now,
    lastSeenAt: now,
    endsAt: alert.endsAt,
    resolvedAt: alert.status === 'resolved' ? now : null,
    deliveries: 1,
    duplicates: 0,
    anomaly: null,
  };
  const work = alert.status === 'firing' ? { target: alert.target, priority: alert.priority, notBefore: now } : null;
  return { incident, work };
}

export type KnownAlertDecision =
  /** Close the incident (endsAt as Alertmanager sent it, resolvedAt when Medic recorded it) and cancel its unstarted work. */
  | { kind: 'resolve'; endsAt: string | null; resolvedAt: number }
  /** Count one more delivery and nothing else. */
  | { kind: 'duplicate'; seenAt: number };

/**
 * An alert whose incident already exists. Only the first resolve of a firing incident changes it.
 * Everything else is a repeat: the same alert again (repeat_interval, a retry, the other Alertmanager
 * of an HA pair), a resolve repeated, or a late firing copy of an alert already resolved (it must not
 * reopen the incident: the same fingerprint firing again comes with a new startsAt, a new incident).
 */
export function decideKnownAlert(incident: Pick<Incident, 'status'>, alert: ReceivedAlert, now: number): KnownAlertDecision {
  if (incident.status === 'firing' && alert.status === 'resolved') return { kind: 'resolve', endsAt: alert.endsAt, resolvedAt: now };
  return { kind: 'duplicate', seenAt: now };
}

/** Recorded as the cancelled work's last error. */
export const CANCELLED_BY_RESOLVE = 'alert resolved before work started';

/**
 * Whether a resolve cancels a work item of its incident: only work that never started. A remediation
 * waiting between its steps (a circuit breaker open, an approval pending: pending again, but claimed
 * before) must still be finished or wound back, whatever the alert does.
 */
export function resolveCancels(work: Pick<WorkItem, 'state' | 'claimedAt'>): boolean {
  return work.state === 'pending' && work.claimedAt === null;
}
