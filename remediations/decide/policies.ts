// Tier policies (policies.yaml) and the fleet-wide guards. The shipped defaults are the design's tiers;
// every field changes behaviour somewhere: test/unit/strategies-plan.test.ts proves the fields a plan reads,
// test/integration/engine-decisions.test.ts those that show over several incidents.
import { z } from 'zod';
import { Duration, loadYamlConfig, parseYamlConfig } from '../../lib/yaml-config.ts';
import { STRATEGY_NAMES } from '../strategies/index.ts';
import type { StrategyName } from '../types.ts';
import { unknownStrategy } from './strategy-names.ts';

export const DECISION_MODES = ['auto', 'shadow', 'approve', 'notify'] as const;
export type DecisionMode = (typeof DECISION_MODES)[number];

const TierFields = {
  /** Restarts of one target allowed within attempt_window; then the ladder moves on. */
  max_restart_attempts: z.number().int().min(1),
  /** No second restart of a target within this time. */
  restart_cooldown: Duration,
  /** No second use of any other strategy on a target within this time. */
  strategy_cooldown: Duration,
  attempt_window: Duration,
  /** Utilisation (0..1) above which scale adds replicas: replicas × utilisation / threshold. */
  scale_threshold: z.number().gt(0).lte(1),
  min_replicas: z.number().int().min(1),
  max_replicas: z.number().int().min(1),
  /** Scale one replica beyond the computed need, ahead of the load. */
  preemptive_scaling: z.boolean(),
  /** How long a breaker stays open before it lets canary traffic through. */
  circuit_break_duration: Duration,
  /** Instances that can take this agent's traffic; reroute needs them (or a second replica). */
  backup_instances: z.number().int().min(0),
  /** Recycle (restart) before tuning (repair, runtime_patch) on resource exhaustion. */
  aggressive_recycling: z.boolean(),
  /** Headroom kept free under a limit: repair acts when use exceeds limit × (1 − buffer). */
  memory_limit_buffer: z.number().min(0).lt(1),
  max_memory_limit_mib: z.number().int().min(1),
  max_cpu_limit_millicores: z.number().int().min(1),
  max_request_timeout_ms: z.number().int().min(1),
  max_connections_limit: z.number().int().min(1),
  max_storage_limit_mib: z.number().int().min(1),
  /** Config and runtime patches are reverted after this, unless an operator promotes them. */
  change_expiry: Duration,
  verify_timeout: Duration,
  /** auto, shadow (decide, record, do not act), approve (wait for an operator), notify (escalate the plan). */
  mode: z.enum(DECISION_MODES),
  /** Use the dry-run driver for every agent of this tier. */
  dry_run: z.boolean(),
  /** Per-strategy decision modes, overriding `mode`. */
  strategy_modes: z.record(z.string(), z.enum(DECISION_MODES)),
  /**
   * How a remediation of a predicted failure (PREEMPTIVE_ALERTNAME: the agent has not failed yet) is
   * decided; unset, the tier's `mode`. Per-strategy modes still win.
   */
  preemptive_mode: z.enum(DECISION_MODES),
};

const DEFAULT_TIER = {
  max_restart_attempts: 3,
  restart_cooldown: 300_000,
  strategy_cooldown: 120_000,
  attempt_window: 3_600_000,
  scale_threshold: 0.8,
  min_replicas: 1,
  max_replicas: 10,
  preemptive_scaling: false,
  circuit_break_duration: 60_000,
  backup_instances: 0,
  aggressive_recycling: false,
  memory_limit_buffer: 0.1,
  max_memory_limit_mib: 4096,
  max_cpu_limit_millicores: 4000,
  max_request_timeout_ms: 30_000,
  max_connections_limit: 1000,
  max_storage_limit_mib: 65536,
  change_expiry: 3_600_000,
  verify_timeout: 60_000,
  mode: 'auto' as DecisionMode,
  dry_run: false,
  strategy_modes: {} as Partial<Record<StrategyName, DecisionMode>>,
  preemptive_mode: undefined as DecisionMode | undefined,
};
export type TierPolicy = typeof DEFAULT_TIER & { name: string };

const TierSchema = z.strictObject({
  agent_types: z.array(z.string().min(1)).default([]),
  ...Object.fromEntries(Object.entries(TierFields).map(([k, v]) => [k, v.optional()])),
}) as z.ZodType<{ agent_types: string[] } & Partial<Omit<TierPolicy, 'name'>>>;

const GuardsSchema = z.strictObject({
  /** Remediations acting at once across the fleet. */
  max_concurrent: z.number().int().min(1).default(10),
  blast_radius: z
    .strictObject({
      /** At most this share of one agent type, and of the fleet, disrupted now (acting or verifying),
       * as a PodDisruptionBudget counts: a remediation that finished gives its room back. */
      per_type_percent: z.number().gt(0).lte(100).default(20),
      fleet_percent: z.number().gt(0).lte(100).default(10),
      /** However small the fleet, this many agents (and one of each type) may be disrupted at once, so
       * that a small fleet heals independent faults in parallel. */
      min_agents: z.number().int().min(1).default(3),
      /** An action still unfinished after this long no longer counts (one a crashed process left). */
      window: Duration.default(600_000),
      /** Waiting this long for room escalates instead. */
      max_wait: Duration.default(300_000),
    })
    .prefault({}),
  storm: z
    .strictObject({
      /** This share of the fleet (and at least min_agents agents) with alerts that started within window:
       * a storm with a likely common cause, acted on at rate_per_minute and escalated once. */
      fleet_percent: z.number().gt(0).lte(100).default(30),
      min_agents: z.number().int().min(2).default(6),
      window: Duration.default(300_000),
      rate_per_minute: z.number().gt(0).default(2),
    })
    .prefault({}),
  budget: z
    .strictObject({
      /** A token bucket: each action spends one; it refills at refill_per_minute. */
      capacity: z.number().int().min(1).default(30),
      refill_per_minute: z.number().gt(0).default(10),
    })
    .prefault({}),
  ineffective: z
    .strictObject({
      /** This many successful remediations of the same alert on a target within window, and it fires
       * again: the remedy does not work; stop and escalate. */
      after: z.number().int().min(1).default(3),
      window: Duration.default(3_600_000),
    })
    .prefault({}),
  approval_timeout: Duration.default(900_000),
});
export type Guards = z.output<typeof GuardsSchema>;

/** The policies' schema; strategy names are checked against the registry's. */
export function policiesSchema(strategies: readonly string[] = STRATEGY_NAMES) {
  return z
  .strictObject({
    tiers: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a lower-case name'), TierSchema).default({}),
    guards: GuardsSchema.prefault({}),
  })
  .superRefine((p, ctx) => {
    const owner = new Map<string, string>();
    for (const [tier, t] of Object.entries(p.tiers)) {
      for (const type of t.agent_types) {
        const other = owner.get(type);
        if (other) ctx.addIssue({ code: 'custom', path: ['tiers', tier, 'agent_types'], message: `lists ${type}, which tier ${other} lists too` });
        owner.set(type, tier);
      }
      if ((t.min_replicas ?? 1) > (t.max_replicas ?? DEFAULT_TIER.max_replicas)) {
        ctx.addIssue({ code: 'custom', path: ['tiers', tier, 'min_replicas'], message: 'must not exceed max_replicas' });
      }
      for (const name of Object.keys(t.strategy_modes ?? {})) unknownStrategy(ctx, strategies, name, ['tiers', tier, 'strategy_modes', name]);
    }
  });
}

export const PoliciesSchema = policiesSchema();

export interface Policies {
  tiers: Map<string, TierPolicy>;
  /** agent type → tier name */
  typeTiers: Map<string, string>;
  guards: Guards;
}

/** The design's tiers, shipped as the default policies.yaml. */
export const DEFAULT_POLICIES_YAML = `# Medic tier policies. Every tier inherits the 'default' tier's values.
tiers:
  default:
    max_restart_attempts: 3
    restart_cooldown: 300s
    scale_threshold: 0.8
    circuit_break_duration: 60s
  critical_agents:
    agent_types: [autogpt, crewai, bigagi]
    max_restart_attempts: 5
    restart_cooldown: 180s
    preemptive_scaling: true
    backup_instances: 2
  lightweight_agents:
    agent_types: [semgrep, shellgpt]
    max_restart_attempts: 2
    aggressive_recycling: true
    memory_limit_buffer: 0.2
guards:
  max_concurrent: 10
  blast_radius: { per_type_percent: 20, fleet_percent: 10, min_agents: 3, window: 10m, max_wait: 5m }
  storm: { fleet_percent: 30, min_agents: 6, window: 5m, rate_per_minute: 2 }
  budget: { capacity: 30, refill_per_minute: 10 }
  ineffective: { after: 3, window: 1h }
`;

export function buildPolicies(parsed: z.output<typeof PoliciesSchema>): Policies {
  const base = { ...DEFAULT_TIER, ...stripTypes(parsed.tiers.default) };
  const tiers = new Map<string, TierPolicy>([['default', { ...base, name: 'default' }]]);
  const typeTiers = new Map<string, string>();
  for (const [name, t] of Object.entries(parsed.tiers)) {
    if (name !== 'default') tiers.set(name, { ...base, ...stripTypes(t), name });
    for (const type of t.agent_types) typeTiers.set(type, name);
  }
  return { tiers, typeTiers, guards: parsed.guards };
}

export function loadPolicies(file: string, strategies?: readonly string[]): Policies {
  return buildPolicies(loadYamlConfig(file, policiesSchema(strategies), 'policies file'));
}

export function parsePoliciesYaml(text: string, label: string, strategies?: readonly string[]): Policies {
  return buildPolicies(parseYamlConfig(text, policiesSchema(strategies), label));
}

export const defaultPolicies = (): Policies => parsePoliciesYaml(DEFAULT_POLICIES_YAML, 'built-in policies');

/** The tier an agent belongs to: its inventory tier when named, else the tier listing its type, else default. */
export function tierFor(policies: Policies, agentType: string, inventoryTier?: string): TierPolicy {
  const name = (inventoryTier && policies.tiers.has(inventoryTier) ? inventoryTier : undefined) ?? policies.typeTiers.get(agentType) ?? 'default';
  return policies.tiers.get(name)!;
}

/** The alert of a predicted failure (rules/predictive.rules.yml): its remediations are preemptive. */
export const PREEMPTIVE_ALERTNAME = 'AgentFailurePredicted';

export function modeFor(tier: TierPolicy, strategy: StrategyName, preemptive = false): DecisionMode {
  return tier.strategy_modes[strategy] ?? (preemptive ? tier.preemptive_mode : undefined) ?? tier.mode;
}

function stripTypes<T extends { agent_types?: string[] }>(t: T | undefined): Omit<T, 'agent_types'> {
  if (!t) return {} as Omit<T, 'agent_types'>;
  const { agent_types: _types, ...rest } = t;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<T, 'agent_types'>;
}
