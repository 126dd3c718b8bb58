// The Store port's part for the fleet view (GET /api/fleet): what the store knows of each agent.
export interface AgentActivity {
  /** The agent label (the inventory id when it is in the inventory). */
  agent: string;
  openIncidents: number;
  /** When its newest incident was first seen. */
  lastIncidentAt: number | null;
  /** Its newest attempt that acted or is acting (remediations/records.ts ACTED_OUTCOMES; mode dry-run: it only would have). */
  lastRemediation: { strategy: string; outcome: string; mode: string; startedAt: number; finishedAt: number | null } | null;
  /** Temporary changes (config, traffic, profiling) in force on it. */
  activeChanges: number;
}

export interface FleetActivityStore {
  /** Every agent with an incident, an attempt or a change on record. */
  agentActivity(): Promise<AgentActivity[]>;
}
