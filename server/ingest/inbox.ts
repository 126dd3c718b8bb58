// The inbox turns a validated Alertmanager payload into what the store records: one entry per alert,
// with its incident key, the target whose work it queues, and its priority.
import type { AlertmanagerAlert, AlertmanagerPayload } from './alertmanager-payload.ts';
import type { Notification, ReceivedAlert } from '../store/store.ts';

const SEVERITY_PRIORITY: Record<string, number> = { critical: 0, warning: 1, info: 2 };
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
    priority: SEVERITY_PRIORITY[severity] ?? UNKNOWN_SEVERITY_PRIORITY,
  };
}
