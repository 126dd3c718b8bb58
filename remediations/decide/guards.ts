// Fleet-wide guards: how many remediations act at once, how much of an agent type (and of the fleet)
// may be under remediation within a window, and a healing budget. Per-target exclusivity comes from the
// work queue (one running item per target); cooldowns and attempt limits are per tier, in the engine.
import type { Clock } from '../../lib/clock.ts';
import type { Guards } from './policies.ts';

export const GUARD_NAMES = ['concurrency', 'blast_radius_type', 'blast_radius_fleet', 'budget'] as const;
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
  /** Targets acted on within the window (their types), plus those acting right now. */
  recent: { target: string; agentType: string | null }[];
}

/** Pure: would acting on this target push its type or the fleet past the blast-radius limits? */
export function blastRadius(g: Guards['blast_radius'], input: BlastRadiusInput): { ok: true } | { ok: false; guard: GuardName; reason: string } {
  const others = new Map(input.recent.filter((r) => r.target !== input.target).map((r) => [r.target, r.agentType]));
  const sameType = [...others.values()].filter((t) => t === input.agentType).length;
  // At least one of a type may always be healed, however small the type.
  const typeLimit = Math.max(1, Math.floor((g.per_type_percent / 100) * input.typeSize));
  if (sameType + 1 > typeLimit) {
    return { ok: false, guard: 'blast_radius_type', reason: `${sameType} of ${input.typeSize} ${input.agentType} agents already under remediation within the window; the limit is ${typeLimit} (${g.per_type_percent}%)` };
  }
  const fleetLimit = Math.max(1, Math.floor((g.fleet_percent / 100) * input.fleetSize));
  if (others.size + 1 > fleetLimit) {
    return { ok: false, guard: 'blast_radius_fleet', reason: `${others.size} of ${input.fleetSize} agents already under remediation within the window; the limit is ${fleetLimit} (${g.fleet_percent}%)` };
  }
  return { ok: true };
}

/** The in-process guards, held by one engine: concurrency slots and the budget. */
export class FleetGuards {
  private acting = new Map<string, string>();
  private readonly bucket: TokenBucket;

  constructor(private readonly g: Guards, clock: Clock) {
    this.bucket = new TokenBucket(g.budget.capacity, g.budget.refill_per_minute, clock);
  }

  /** Targets acting right now, with their agent types (they count toward the blast radius too). */
  actingNow(): { target: string; agentType: string }[] {
    return [...this.acting.entries()].map(([target, agentType]) => ({ target, agentType }));
  }

  /** Takes a concurrency slot and a budget token for one action, or says which guard refused. */
  admit(target: string, agentType: string): GuardVerdict {
    if (this.acting.size >= this.g.max_concurrent) {
      return { ok: false, guard: 'concurrency', reason: `${this.acting.size} remediations already acting; max_concurrent is ${this.g.max_concurrent}` };
    }
    if (!this.bucket.take()) {
      return { ok: false, guard: 'budget', reason: `healing budget spent (capacity ${this.g.budget.capacity}, refills ${this.g.budget.refill_per_minute}/min)` };
    }
    this.acting.set(target, agentType);
    return { ok: true, release: () => this.acting.delete(target) };
  }
}
