// The records the remediation engine keeps: attempts (the audit trail), circuit breakers, reversible
// changes and approvals. The engine owns their shapes; the server's store persists them.
import type { BreakerState } from './decide/circuit-breaker.ts';

export type { BreakerState };

/** Outcomes that mean a strategy acted on the target (for cooldowns, attempt limits and failure labels). */
export const ACTED_OUTCOMES: ReadonlySet<string> = new Set(['in_progress', 'succeeded', 'failed', 'verify_failed']);

/** The attempt changed something: it acted, and not as a dry run. */
export function acted(a: { outcome: string; mode: string }): boolean {
  return ACTED_OUTCOMES.has(a.outcome) && a.mode !== 'dry-run';
}

/** An entry of the audit trail: what was (or would have been) done to a target, and why. */
export interface Attempt {
  id: number;
  incidentId: number;
  workItemId: number | null;
  target: string;
  strategy: string;
  driver: string;
  mode: string;
  outcome: string;
  reason: string;
  startedAt: number;
  finishedAt: number | null;
  details: Record<string, unknown>;
  agentType: string | null;
  alertname: string | null;
}

export type NewAttempt = Omit<Attempt, 'id' | 'agentType' | 'alertname'> & { agentType?: string | null; alertname?: string | null };

/** The "after" half of an attempt recorded before acting. */
export interface AttemptUpdate {
  outcome: string;
  reason: string;
  finishedAt: number | null;
  details: Record<string, unknown>;
}


/** The kill switch (an operator's pause of automatic actions): who paused, when, and why. */
export interface ActionsPause {
  by: string;
  at: number;
  note: string | null;
}

/** An operator's decision mode for a whole tier, in force until cleared: it replaces the policy file's
 * mode, strategy_modes and preemptive_mode for that tier. */
export interface ModeOverride {
  tier: string;
  mode: 'auto' | 'shadow' | 'approve' | 'notify';
  by: string;
  at: number;
  note: string | null;
}

export interface BreakerRecord {
  target: string;
  agentType: string;
  state: BreakerState;
  changedAt: number;
  /** When the breaker's next step is due (half-open after the open duration, the canary verdict). */
  nextCheckAt: number | null;
  opens: number;
}

export type ChangeState = 'active' | 'reverted' | 'promoted' | 'revert_failed';

/** A config or runtime patch that expires and is reverted unless promoted. */
export interface ChangeRecord {
  id: number;
  incidentId: number;
  attemptId: number;
  target: string;
  kind: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  appliedAt: number;
  expiresAt: number;
  state: ChangeState;
  settledAt: number | null;
  note: string | null;
}

export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired' | 'used';

export interface Approval {
  id: number;
  incidentId: number;
  strategy: string;
  plan: Record<string, unknown>;
  requestedAt: number;
  expiresAt: number;
  state: ApprovalState;
  decidedBy: string | null;
  decidedAt: number | null;
  note: string | null;
}

/** What the anomaly model said about an incident's agent when Medic first handled the incident. */
export interface AnomalyAssessment {
  /** In [0, 1], higher is more anomalous. */
  score: number;
  /** The score reached the model's threshold: only then does `type` steer the selection. */
  isAnomaly: boolean;
  threshold: number;
  /** resource_exhaustion, latency_degradation, error_burst, traffic_anomaly, dependency_failure or unknown. */
  type: string;
  /** The features that deviate most, largest first. */
  contributions: { feature: string; deviation: number }[];
  /** agent_type@version of the model that scored. */
  model: string;
  /** Unix ms of the newest sample scored. */
  sampleAt: number;
}
