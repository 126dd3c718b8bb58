// What counts as a failure, in one place for labels (simulated and Prometheus histories), live
// prediction outcomes and the alert rules it mirrors (rules/agents.rules.yml AgentHighLatency,
// AgentHighErrorRate): an agent down or not answering, or past its latency or error SLO.

export const FAILURE_SLO = { latencyP99Seconds: 2, errorRate: 0.2 };

/** A row of the agent metric contract breaches the SLO (missing values do not: see failingRows). */
export function breachesSlo(latencyP99Seconds: number | null | undefined, errorRate: number | null | undefined): boolean {
  return (latencyP99Seconds ?? 0) > FAILURE_SLO.latencyP99Seconds || (errorRate ?? 0) > FAILURE_SLO.errorRate;
}
