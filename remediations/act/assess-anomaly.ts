// The anomaly model's reading of the incident's agent, taken once per incident beside the look at the
// target. Scoring is a hint for selection: a scorer that fails costs the hint, never the remediation.
import type { AnomalyAssessment, EngineIncident, EngineLog, EngineOptions } from '../engine-ports.ts';
import type { Agent } from '../types.ts';

/** The anomaly model's reading, stored with the incident; a scorer that fails only costs the hint. */
export async function assessAnomaly(
  o: Pick<EngineOptions, 'scorer' | 'store'>, incident: EngineIncident, agent: Agent, signal: AbortSignal, log: EngineLog,
): Promise<AnomalyAssessment | undefined> {
  if (!o.scorer || incident.status !== 'firing') return undefined;
  try {
    const a = await o.scorer.score(incident, agent, signal);
    if (!a) return undefined;
    await o.store.saveAnomaly(incident.id, a);
    log.info({ anomalyScore: round(a.score), anomalyType: a.type, isAnomaly: a.isAnomaly, model: a.model, top: a.contributions[0]?.feature }, 'anomaly model scored the agent');
    return a;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'anomaly scoring failed: deciding on the alert alone');
    return undefined;
  }
}

export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
