// Fleet-wide guards: how many remediations act at once, how much of an agent type (and of the fleet)
// may be disrupted at once, an alert storm held to a rate, and a healing budget. Per-target exclusivity comes from the
// work queue (one running item per target); cooldowns and attempt limits are per tier, in the engine.
import type { Clock } from '../../lib/clock.ts';
import type { Guards } from './policies.ts';

export const GUARD_NAMES = ['paused', 'concurrency', 'blast_radius_type', 'blast_radius_fleet', 'storm', 'budget'] as const;
export type GuardName = (typeof GUARD_NAMES)[number];

export type GuardVerdict = { ok: true; release: () => void } | { ok: false; guard: GuardName; reason: string };

/** A token bucket: `capacity` actions at once, refilled at `refillPerMinute`. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private readonly capacity: number, private readonly refillPerMinute: number, private readonly clock: Clock) {
    this.tokens = capacity;
    this.at = clock.now();
  }

  available(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 60_000) * this.refillPerMinute);
    this.at = now;
    return this.tokens;
  }

  take(): boolean {
    if (this.available() < 1) return false;
    this.tokens -= 1;
    return true;
  }

  giveBack(): void {
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }
}

export interface BlastRadiusInput {
  target: string;
  agentType: string;
  /** Agents of this type in the inventory, and in the whole fleet. */
  typeSize: number;
  fleetSize: number;
  /** Targets being disrupted now (acting or verifying), from the store and this process. */
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

/** The in-process guards, held by one engine: concurrency slots and the budget. */
export class FleetGuards {
  /** Every action of this process under way (the concurrency count)… */
  private slots = new Set<string>();
  /** …and those that take capacity away (the blast-radius count). */
  private acting = new Map<string, string>();
  private readonly bucket: TokenBucket;

  constructor(private readonly g: Guards, clock: Clock) {
    this.bucket = new TokenBucket(g.budget.capacity, g.budget.refill_per_minute, clock);
  }

  /** Targets acting right now, with their agent types (they count toward the blast radius too). */
  actingNow(): { target: string; agentType: string }[] {
    return [...this.acting.entries()].map(([target, agentType]) => ({ target, agentType }));
  }

  /** Takes a concurrency slot and a budget token for one action, or says which guard refused. An action
   * that takes no capacity away (its target is down) counts toward nobody's blast radius. */
  admit(target: string, agentType: string, takesCapacity = true): GuardVerdict {
    if (this.slots.size >= this.g.max_concurrent) {
      return { ok: false, guard: 'concurrency', reason: `${this.slots.size} remediations already acting; max_concurrent is ${this.g.max_concurrent}` };
    }
    if (!this.bucket.take()) {
      return { ok: false, guard: 'budget', reason: `healing budget spent (capacity ${this.g.budget.capacity}, refills ${this.g.budget.refill_per_minute}/min)` };
    }
    this.slots.add(target);
    if (takesCapacity) this.acting.set(target, agentType);
    return { ok: true, release: () => { this.slots.delete(target); this.acting.delete(target); } };
  }
}
