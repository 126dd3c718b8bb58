// The engine's ports: what it is handed (store, drivers, escalator, silencer, observer, scorer, retry
// rule) and what it answers. The server implements them; tests implement them in a few lines.
import type { Clock } from '../lib/clock.ts';
import type { AdmitAction } from './guard-state.ts';
import type { GuardName } from './decide/guards.ts';
import type { BreakerState } from './decide/circuit-breaker.ts';
import type { Policies } from './decide/policies.ts';
import type { SelectionRule } from './decide/selection.ts';
import type { DriverRegistry } from './drivers/index.ts';
import type { Inventory } from './inventory.ts';
import type { ActionsPause, ModeOverride, AnomalyAssessment, Approval, ApprovalState, Attempt, AttemptUpdate, BreakerRecord, ChangeRecord, NewAttempt } from './records.ts';
import type { StrategyRegistry } from './strategies/index.ts';
import type { PromQuery } from './act/verification.ts';
import type { Agent, StrategyName } from './types.ts';

export type { AnomalyAssessment } from './records.ts';

/** The incident as the engine needs it (the server's Incident has more). */
export interface EngineIncident {
  id: number;
  alertname: string;
  severity: string;
  status: 'firing' | 'resolved';
  target: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  firstSeenAt: number;
  /** When the alert started firing (Alertmanager's startsAt, RFC 3339): where time to recovery starts. */
  startsAt?: string;
  /** The anomaly model's reading of the agent, once scored (null or absent: not scored yet). */
  anomaly?: AnomalyAssessment | null;
}

/** Scores an incident's agent (server: Prometheus window → features → model). May throw; the engine then decides without it. */
export interface IncidentScorer {
  score(incident: EngineIncident, agent: Agent, signal: AbortSignal): Promise<AnomalyAssessment | undefined>;
}

/** The part of the server's store the engine uses. */
export interface EngineStore {
  history(target: string, since: number): Promise<Attempt[]>;
  recordAttempt(a: NewAttempt): Promise<Attempt>;
  updateAttempt(id: number, u: AttemptUpdate): Promise<Attempt>;
  /** The fleet guards' shared state, read and written in one transaction (server/store/guards-store.ts). */
  admitAction: AdmitAction;
  releaseReservation(holder: string): Promise<void>;
  getBreaker(target: string): Promise<BreakerRecord | undefined>;
  saveBreaker(b: BreakerRecord): Promise<void>;
  recordChange(c: Omit<ChangeRecord, 'id' | 'state' | 'settledAt' | 'note'>): Promise<ChangeRecord>;
  createApproval(a: Omit<Approval, 'id' | 'state' | 'decidedBy' | 'decidedAt' | 'note'>): Promise<Approval>;
  latestApproval(incidentId: number, strategy: string): Promise<Approval | undefined>;
  settleApproval(id: number, from: ApprovalState, to: ApprovalState, by: string | null, now: number, note: string | null): Promise<boolean>;
  saveAnomaly(incidentId: number, a: AnomalyAssessment): Promise<void>;
  /** The kill switch: while an operator has paused automatic actions, no new action starts. */
  actionsPaused(): Promise<ActionsPause | undefined>;
  /** Operators' decision modes per tier (they replace the policy's modes for that tier). */
  modeOverrides(): Promise<ModeOverride[]>;
}

export const ESCALATION_REASONS = [
  'no_target', 'no_driver', 'ladder_exhausted', 'ineffective_chain', 'guard_wait_exceeded', 'approval_timeout', 'notify', 'breaker_stuck',
  'work_failed', 'storm', 'rejected',
] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

export interface Escalation {
  incident: EngineIncident;
  agent?: Agent;
  reason: EscalationReason;
  message: string;
}

/** Tells humans: posts a MedicEscalation alert, pages, or just logs. Must not throw. */
export interface Escalator {
  escalate(e: Escalation): Promise<void>;
}

/** Silences an incident's alert while its remediation is verified, so nobody is paged for what is being fixed. */
export interface Silencer {
  /** Returns the silence id, or undefined when none could be made. Must not throw. */
  silence(incident: EngineIncident, attemptId: number, durationMs: number): Promise<string | undefined>;
  expire(silenceId: string): Promise<void>;
}

/** A verified recovery: from the alert's start to the verification, and where that time went. */
export interface Recovery {
  strategy: StrategyName;
  tier: string;
  /** The selection rule that recognised the fault (a name from the policy, never the alert's text). */
  fault: string;
  seconds: number;
  phases: Record<RecoveryPhase, number>;
}

/**
 * routing: alert start to Medic receiving it (Alertmanager's grouping and delivery); queueing: receiving
 * to the healing action's start (waiting for a worker, guards, earlier rungs); action; verification.
 */
export const RECOVERY_PHASES = ['routing', 'queueing', 'action', 'verification'] as const;
export type RecoveryPhase = (typeof RECOVERY_PHASES)[number];

/** Where the engine's events become metrics (the server owns the metric definitions). */
export interface EngineObserver {
  remediation(strategy: StrategyName, result: 'succeeded' | 'failed' | 'verify_failed' | 'shadow' | 'dry_run', durationS: number): void;
  /**
   * A healing action starts for real: the recovery it may end in (strategy, tier, fault rule) is known
   * now, before the outcome, so its series can exist at zero when the recovery is counted.
   */
  acting(r: Pick<Recovery, 'strategy' | 'tier' | 'fault'>): void;
  recovered(r: Recovery): void;
  escalated(reason: EscalationReason): void;
  /** A guard held an incident (counted once per incident and guard) or moved past a strategy. */
  guardBlocked(guard: GuardName | 'cooldown' | 'attempt_limit' | 'mode'): void;
  /** A held incident was let through (or escalated) after waiting this long. */
  guardWaited(guard: GuardName | 'mode', seconds: number): void;
  breaker(agentType: string, state: BreakerState): void;
}

export interface EngineLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Whether an action that threw is tried again on the same rung, and after how long (server/queue/retry.ts
 * decides; `attempts` counts the tries made so far, the failed one included). Undefined: final, climb.
 */
export type RetryRule = (err: unknown, attempts: number) => { afterMs: number } | undefined;

export interface EngineOptions {
  store: EngineStore;
  inventory: Inventory;
  policies: Policies;
  rules: SelectionRule[];
  /** Where the strategies named by rules and policies come from (default: the built-in ones). */
  strategies?: StrategyRegistry;
  /** Which driver acts on an agent, and whether for real: the one dry-run decision. */
  drivers: Pick<DriverRegistry, 'acting'>;
  escalator: Escalator;
  silencer?: Silencer;
  observer: EngineObserver;
  clock: Clock;
  retry: RetryRule;
  /** For rules that verify with PromQL. */
  prometheus?: PromQuery;
  /** The anomaly model; without it, selection uses the alert's own anomaly_type annotation only. */
  scorer?: IncidentScorer;
  /** How long guards and approvals wait between looks. */
  recheckMs?: number;
  verifyIntervalMs?: number;
  actionTimeoutMs?: number;
}

export type EngineResult =
  | { kind: 'done'; outcome: string; reason: string }
  | { kind: 'defer'; afterMs: number; note: string };
