// Fleet-wide guards' rules: how much of an agent type (and of the fleet) may be disrupted at once, and
// when failures make an alert storm. admission.ts combines them with concurrency and the token buckets;
// the store keeps their state for every replica. Per-target exclusivity comes from the work queue (one
// running item per target); cooldowns and attempt limits are per tier, in the engine.
import type { Guards } from './policies.ts';

export const GUARD_NAMES = ['paused', 'concurrency', 'blast_radius_type', 'blast_radius_fleet', 'storm', 'budget'] as const;
export type GuardName = (typeof GUARD_NAMES)[number];

export interface BlastRadiusInput {
  target: string;
  agentType: string;
  /** Agents of this type in the inventory, and in the whole fleet. */
  typeSize: number;
  fleetSize: number;
  /** Targets being disrupted now (acting or verifying, or admitted to act), from the store. */
  disrupting: { target: string; agentType: string | null }[];
  /** The target does not serve now: restoring it takes no capacity away. */
  targetDown: boolean;
}

export type BlastRadiusVerdict = { ok: true; takesCapacity: boolean; note?: string } | { ok: false; guard: GuardName; reason: string };

/**
 * Pure: would acting on this target disrupt more of its type, or of the fleet, than the budget allows?
 * A disruption budget, not a rate limit: it counts what is being disrupted now, as a Kubernetes
 * PodDisruptionBudget counts pods and Envoy's outlier detection counts hosts ejected now.
 */
export function blastRadius(g: Guards['blast_radius'], input: BlastRadiusInput): BlastRadiusVerdict {
  if (input.targetDown) return { ok: true, takesCapacity: false, note: `${input.target} is already down: restoring it takes no capacity away` };
  const others = new Map(input.disrupting.filter((r) => r.target !== input.target).map((r) => [r.target, r.agentType]));
  const sameType = [...others.values()].filter((t) => t === input.agentType).length;
  // At least one of a type may always be healed, however small the type.
  const typeLimit = Math.max(1, Math.floor((g.per_type_percent / 100) * input.typeSize));
  if (sameType + 1 > typeLimit) {
    return { ok: false, guard: 'blast_radius_type', reason: `${sameType} of ${input.typeSize} ${input.agentType} agents are being remediated now; the limit is ${typeLimit} (${g.per_type_percent}%)` };
  }
  const fleetLimit = Math.max(g.min_agents, Math.floor((g.fleet_percent / 100) * input.fleetSize));
  if (others.size + 1 > fleetLimit) {
    return { ok: false, guard: 'blast_radius_fleet', reason: `${others.size} of ${input.fleetSize} agents are being remediated now; the limit is ${fleetLimit} (${g.fleet_percent}%, at least ${g.min_agents})` };
  }
  return { ok: true, takesCapacity: true };
}

export interface StormVerdict {
  storm: boolean;
  /** Agents with alerts that started within the window, and how many make a storm. */
  failing: number;
  threshold: number;
  /** The alerts behind them, most frequent first: one name dominating suggests one cause. */
  alertnames: { alertname: string; agents: number }[];
}

/** Pure: is a large share of the fleet failing together? */
export function detectStorm(g: Guards['storm'], fleetSize: number, failing: { target: string; alertname: string }[]): StormVerdict {
  const agents = new Set(failing.map((f) => f.target));
  const threshold = Math.max(g.min_agents, Math.ceil((g.fleet_percent / 100) * fleetSize));
  const byName = new Map<string, Set<string>>();
  for (const f of failing) byName.set(f.alertname, (byName.get(f.alertname) ?? new Set()).add(f.target));
  const alertnames = [...byName].map(([alertname, set]) => ({ alertname, agents: set.size })).sort((a, b) => b.agents - a.agents);
  return { storm: agents.size >= threshold, failing: agents.size, threshold, alertnames };
}
