// The kinds of agent a simulated fleet is made of, with their tier and normal load. A fleet of N takes
// them in turn, so every type is present from ten agents on.

export interface AgentType {
  type: string;
  tier: string;
  /** Mean requests per second at the middle of the load cycle. */
  rps: number;
  /** Typical request latency, seconds. */
  latencyS: number;
}

// Base latencies sit inside histogram buckets with room for ±20% of cycle and noise: a healthy agent's
// p99 never jumps between buckets, so trend alerts stay quiet without a fault.
export const AGENT_TYPES: readonly AgentType[] = [
  { type: 'autogpt', tier: 'critical_agents', rps: 20, latencyS: 0.7 },
  { type: 'crewai', tier: 'critical_agents', rps: 25, latencyS: 0.7 },
  { type: 'bigagi', tier: 'critical_agents', rps: 15, latencyS: 0.35 },
  { type: 'semgrep', tier: 'lightweight_agents', rps: 40, latencyS: 0.15 },
  { type: 'shellgpt', tier: 'lightweight_agents', rps: 30, latencyS: 0.07 },
  { type: 'langchain', tier: 'default', rps: 25, latencyS: 0.35 },
  { type: 'babyagi', tier: 'default', rps: 10, latencyS: 0.7 },
  { type: 'metagpt', tier: 'default', rps: 12, latencyS: 0.7 },
  { type: 'opendevin', tier: 'default', rps: 8, latencyS: 0.7 },
  { type: 'aider', tier: 'default', rps: 18, latencyS: 0.35 },
];
