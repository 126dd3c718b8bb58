// How a run of the engine writes the audit trail: every decision that is not an action (skipped,
// blocked, shadow, notified, escalated, …) is one attempt row with the incident's context filled in,
// and an escalation is that row plus the message to humans and its metric.
import type { EngineIncident, EngineOptions, EngineResult, EscalationReason } from '../engine-ports.ts';
import type { NewAttempt } from '../records.ts';
import type { Agent } from '../types.ts';

export type DecisionRecord = Partial<NewAttempt> & Pick<NewAttempt, 'strategy' | 'outcome' | 'reason'>;

export interface IncidentRecorder {
  record(a: DecisionRecord): Promise<unknown>;
  escalate(reason: EscalationReason, message: string, agent?: Agent): Promise<EngineResult>;
}

/** `agent` and `driver` are read when a row is written: they are known only part-way through a run. */
export function incidentRecorder(
  o: Pick<EngineOptions, 'store' | 'escalator' | 'observer' | 'clock'>, incident: EngineIncident, workItemId: number | null,
  context: () => { agent?: Agent; driver?: string },
): IncidentRecorder {
  const record = (a: DecisionRecord) => {
    const { agent, driver } = context();
    const at = o.clock.now();
    return o.store.recordAttempt({
      incidentId: incident.id, workItemId, target: incident.target, driver: driver ?? agent?.driver ?? 'none', mode: 'auto',
      startedAt: at, finishedAt: at, details: {}, agentType: agent?.type ?? null, alertname: incident.alertname, ...a,
    });
  };
  return {
    record,
    async escalate(reason, message, agent = context().agent) {
      await record({ strategy: 'none', outcome: 'escalated', reason: message, details: { escalation: reason } });
      await o.escalator.escalate({ incident, agent, reason, message });
      o.observer.escalated(reason);
      return { kind: 'done', outcome: 'escalated', reason: message };
    },
  };
}
