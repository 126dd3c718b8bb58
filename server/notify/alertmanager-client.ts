// Alertmanager's v2 API, for what Medic tells humans: escalations posted as MedicEscalation alerts (so
// they route, group and page like any alert) and silences while a remediation is being verified.
import axios, { type AxiosInstance } from 'axios';
import type { Escalation, Escalator, Silencer } from '../../remediations/engine.ts';
import { systemClock, type Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { clipText } from '../../lib/clip-text.ts';

const LABEL_MAX = 256;
const DESCRIPTION_MAX = 4096;

export interface AlertmanagerClientOptions {
  url: string;
  timeoutMs: number;
  /** Where a human reads the incident: Medic's own base URL. */
  medicUrl: string;
  log: Logger;
  /** The time an escalation starts and a silence ends are stamped with. */
  clock?: Clock;
}

/** Alertmanager's client: escalations are built here, and kept and sent by the outbox (escalation-outbox.ts). */
export interface AlertmanagerClient extends Silencer {
  /** The MedicEscalation alert for an escalation, as Alertmanager's v2 API takes it, stamped now. */
  escalationAlerts(e: Escalation): unknown[];
  /** Posts alerts; throws when Alertmanager did not take them (unreachable, a timeout, or not a 2xx). */
  postAlerts(alerts: unknown): Promise<void>;
}

export function createAlertmanagerClient(o: AlertmanagerClientOptions): AlertmanagerClient {
  const clock = o.clock ?? systemClock;
  const http: AxiosInstance = axios.create({ baseURL: o.url.replace(/\/$/, ''), timeout: o.timeoutMs, validateStatus: () => true });
  return {
    escalationAlerts(e: Escalation) {
      const now = new Date(clock.now());
      // Label-derived text is clipped: the alert's labels are anyone's input, and Alertmanager keeps this.
      const labels: Record<string, string> = {
        alertname: 'MedicEscalation',
        severity: 'critical',
        reason: e.reason,
        incident_alertname: clipText(e.incident.alertname, LABEL_MAX),
        ...(e.incident.labels.agent ? { agent: clipText(e.incident.labels.agent, LABEL_MAX) } : {}),
        ...(e.agent ? { agent_type: e.agent.type } : {}),
      };
      return [{
        labels,
        annotations: {
          summary: `Medic escalates ${clipText(e.incident.alertname, LABEL_MAX)} on ${clipText(e.incident.target, LABEL_MAX)}: ${e.reason.replace(/_/g, ' ')}`,
          description: clipText(e.message, DESCRIPTION_MAX),
          incident_url: `${o.medicUrl}/api/incidents/${e.incident.id}`,
        },
        startsAt: now.toISOString(),
        generatorURL: `${o.medicUrl}/api/incidents/${e.incident.id}`,
      }];
    },
    async postAlerts(alerts) {
      const res = await http.post('/api/v2/alerts', alerts);
      if (res.status >= 300) throw new Error(`Alertmanager answered ${res.status} to POST /api/v2/alerts: ${clipText(JSON.stringify(res.data ?? ''), 300)}`);
    },
    async silence(incident, attemptId, durationMs) {
      const matchers = Object.entries(incident.labels)
        .filter(([name]) => ['alertname', 'agent', 'instance', 'job'].includes(name))
        .map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
      if (!matchers.some((m) => m.name === 'alertname')) return undefined;
      try {
        const res = await http.post('/api/v2/silences', {
          matchers,
          startsAt: new Date(clock.now()).toISOString(),
          endsAt: new Date(clock.now() + durationMs).toISOString(),
          createdBy: 'medic',
          comment: `Medic remediation ${attemptId} on incident ${incident.id} is being verified`,
        });
        if (res.status >= 300) {
          o.log.warn({ status: res.status, incident: incident.id }, 'Alertmanager refused the silence');
          return undefined;
        }
        return String((res.data as { silenceID?: string }).silenceID ?? '') || undefined;
      } catch (err) {
        o.log.warn({ err, incident: incident.id }, 'cannot create a silence in Alertmanager');
        return undefined;
      }
    },
    async expire(silenceId) {
      try {
        await http.delete(`/api/v2/silence/${encodeURIComponent(silenceId)}`);
      } catch (err) {
        o.log.warn({ err, silenceId }, 'cannot expire the silence');
      }
    },
  };
}

/** Without Alertmanager: escalations are logged (and recorded by the engine), nothing is silenced. */
export function createLogEscalator(log: Logger): Escalator {
  return {
    async escalate(e) {
      log.warn({ incident: e.incident.id, reason: e.reason, agent: e.incident.labels.agent }, `ESCALATION: ${e.message}`);
    },
  };
}
