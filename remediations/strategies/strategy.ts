// What every strategy is: a pure `plan` that explains itself, and an `execute` bounded by a signal that
// never sleeps in a loop (a strategy that must wait returns `wait` and is resumed later).
import type { BreakerRecordView } from '../decide/circuit-breaker.ts';
import type { TierPolicy } from '../decide/policies.ts';
import type { IncidentFacts } from '../decide/selection.ts';
import type { ActionRequest, ActionResult, Agent, Health, StrategyName, Summary } from '../types.ts';

/** One entry of an agent's deploy history, as its driver reports it (docs/agent-protocol.md). */
export interface VersionEntry {
  version: string;
  known_good: boolean;
  /** ISO time of the deploy, when the driver knows it. */
  deployed_at?: string;
}

/** The target's live state, read before planning. Absent fields: the driver does not support the read. */
export interface Observation {
  health: Health;
  summary?: Summary;
  config?: { config: Record<string, unknown>; revision: number };
  version?: { version: string; history: VersionEntry[] };
  replicas?: { replicas: number; readyReplicas: number };
  traffic?: { weight: number };
  breaker?: BreakerRecordView;
}

export interface HealingContext {
  incident: IncidentFacts & { id: number; target: string };
  agent: Agent;
  tier: TierPolicy;
  params: Record<string, number | string | boolean>;
  observed: Observation;
  now: number;
}

export interface Plan {
  strategy: StrategyName;
  /** One sentence: what will be done and why. */
  summary: string;
  steps: string[];
  /** Strategy-specific values that execute needs (kept JSON-serialisable: plans are recorded). */
  data: Record<string, unknown>;
}

export type PlanResult = Plan | { skip: string };

/** What verification must see, beyond a healthy target. */
export interface Expectation {
  /** Default true. Reroute mitigates without healing the target itself. */
  healthy?: boolean;
  newBootIdThan?: string;
  readyReplicasAtLeast?: number;
  version?: string;
  trafficWeight?: number;
  /** A PromQL expression that must return at least one sample. */
  promql?: string;
  /** The health failure the target showed before the action; seeing it persist ends verification early. */
  failingBefore?: string;
}

export interface ChangeSpec {
  kind: 'config' | 'traffic' | 'profiling';
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export type Outcome =
  | { status: 'acted'; summary: string; details: Record<string, unknown>; expect: Expectation; changes?: ChangeSpec[] }
  | { status: 'wait'; afterMs: number; summary: string; details: Record<string, unknown> }
  | { status: 'failed'; summary: string; details: Record<string, unknown> };

export interface ExecuteContext {
  agent: Agent;
  tier: TierPolicy;
  signal: AbortSignal;
  now: () => number;
  /** Stable across retries of one attempt: makes restarts idempotent. */
  requestId: string;
  perform(request: ActionRequest): Promise<ActionResult>;
  /** Moves the target's circuit breaker, checked against the transition table. */
  moveBreaker?(to: BreakerRecordView['state'], nextCheckAt: number | null): Promise<void>;
}

/** How soon a strategy may act again on the same target, and at most how often within a window. */
export interface Cooldown {
  ms: number;
  limit?: { max: number; windowMs: number; setting: string };
}

/**
 * A remedy. Besides planning and acting it declares what the engine needs to treat it like any other,
 * so the engine names no strategy: its cooldown, how an interrupted run resumes, what a failed outcome
 * means, and its role in the tier's aggressive_recycling.
 */
export interface Strategy {
  readonly name: StrategyName;
  /** One sentence for `medic config defaults` and the docs. */
  readonly description: string;
  cooldown(tier: TierPolicy): Cooldown;
  /**
   * 'recorded': a run interrupted by a restart of Medic replays its recorded plan (idempotent by request
   * id). 'replan': each run plans afresh from the live state (a strategy whose phases span runs).
   */
  readonly resume: 'recorded' | 'replan';
  /** What a `failed` outcome means: try the next rung, or escalate with this reason (the target is left mid-way). */
  readonly onFailed: 'climb' | { escalate: 'breaker_stuck' };
  /** aggressive_recycling puts 'recycle' strategies ahead of the 'tune' ones. */
  readonly role?: 'recycle' | 'tune';
  plan(ctx: HealingContext): PlanResult;
  execute(plan: Plan, ctx: ExecuteContext): Promise<Outcome>;
}

/** The cooldown most strategies have: the tier's strategy_cooldown. */
export const strategyCooldown = (tier: TierPolicy): Cooldown => ({ ms: tier.strategy_cooldown });

export const isSkip = (p: PlanResult): p is { skip: string } => 'skip' in p;
