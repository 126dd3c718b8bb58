// Admission: may one more action start now, fleet-wide? Pure: given the guards' shared state (the
// actions under way, the token buckets, the storm, the alerts firing), it returns the verdict and what
// to write back. The store runs it inside one transaction, one admission at a time, so that several
// Medics on one store count the same actions and spend the same budget (server/store/guards-store.ts).
// In order: an alert storm's rate, the disruption budget (blast radius), concurrency, the healing budget.
// Tokens are spent only when every guard lets the action through.
import type { GuardBucket, GuardState, GuardWrites, Reservation } from '../guard-state.ts';
import { blastRadius, detectStorm, type GuardName, type StormVerdict } from './guards.ts';
import type { Guards } from './policies.ts';

export const BUDGET_BUCKET = 'budget';
export const STORM_BUCKET = 'storm';

export interface AdmissionRequest {
  holder: string;
  workItemId: number | null;
  target: string;
  agentType: string;
  /** The target does not serve now: restoring it takes no capacity away. */
  targetDown: boolean;
  typeSize: number;
  fleetSize: number;
  /** Whether an alert's target is in the inventory (others are not Medic's to count). */
  known: (target: string) => boolean;
  /** Alerts that do not count toward a storm (the preemptive one: a prediction, not a failure). */
  ignoredAlertnames: readonly string[];
  now: number;
  guards: Guards;
}

export type AdmissionVerdict = { ok: true; takesCapacity: boolean; note?: string } | { ok: false; guard: GuardName; reason: string };

export interface Admission {
  verdict: AdmissionVerdict;
  /** This admission found the storm begun: it escalates it (once, whichever replica it runs on). */
  stormStarted?: StormVerdict;
  /** This admission found the storm over, and since when it had lasted. */
  stormEnded?: { failing: number; threshold: number; since: number };
}

/** A token bucket's tokens at `now`: full when new, refilled at ratePerMinute since it was last written. */
export function refill(b: GuardBucket | undefined, name: string, capacity: number, ratePerMinute: number, now: number): GuardBucket {
  if (!b) return { name, tokens: capacity, at: now, since: now };
  const tokens = Math.min(capacity, b.tokens + (Math.max(0, now - b.at) / 60_000) * ratePerMinute);
  return { ...b, tokens, at: now };
}

/** Where the failing alerts that make a storm begin: the window, or the storm's start while it lasts. */
export const failingSince = (g: Guards, now: number) => (storm: GuardBucket | undefined): number => Math.min(now, storm?.since ?? now) - g.storm.window;

export function decideAdmission(req: AdmissionRequest, state: GuardState): { writes: GuardWrites; result: Admission } {
  const g = req.guards;
  const writes: GuardWrites = { put: [], drop: [] };
  const refuse = (guard: GuardName, reason: string, extra: Partial<Admission> = {}) => ({ writes, result: { verdict: { ok: false as const, guard, reason }, ...extra } });

  // The storm: a row while it lasts. Whoever finds it begun creates the row and escalates.
  const failing = state.failing.filter((f) => req.known(f.target) && !req.ignoredAlertnames.includes(f.alertname));
  const storm = detectStorm(g.storm, req.fleetSize, failing);
  const stormRow = state.buckets.get(STORM_BUCKET);
  const extra: Partial<Admission> = {};
  let stormBucket: GuardBucket | undefined;
  if (storm.storm) {
    const capacity = Math.max(1, Math.floor(g.storm.rate_per_minute));
    stormBucket = refill(stormRow, STORM_BUCKET, capacity, g.storm.rate_per_minute, req.now);
    if (!stormRow) extra.stormStarted = storm;
    writes.put.push(stormBucket);
    if (stormBucket.tokens < 1) {
      return refuse('storm', `alert storm: ${storm.failing} of ${req.fleetSize} agents failing; acting on at most ${g.storm.rate_per_minute} per minute`, extra);
    }
  } else if (stormRow) {
    extra.stormEnded = { failing: storm.failing, threshold: storm.threshold, since: stormRow.since };
    writes.drop.push(STORM_BUCKET);
  }

  // The disruption budget: actions in progress (recorded) and admitted (reserved) that take capacity.
  const reserved = state.reservations.filter((r) => r.takesCapacity).map((r) => ({ target: r.target, agentType: r.agentType as string | null }));
  const radius = blastRadius(g.blast_radius, {
    target: req.target, agentType: req.agentType, typeSize: req.typeSize, fleetSize: req.fleetSize,
    disrupting: [...state.disrupting, ...reserved], targetDown: req.targetDown,
  });
  if (!radius.ok) return refuse(radius.guard, radius.reason, extra);

  const acting = new Set(state.reservations.map((r) => r.target));
  if (acting.size >= g.max_concurrent) {
    return refuse('concurrency', `${acting.size} remediations already acting; max_concurrent is ${g.max_concurrent}`, extra);
  }
  const budget = refill(state.buckets.get(BUDGET_BUCKET), BUDGET_BUCKET, g.budget.capacity, g.budget.refill_per_minute, req.now);
  if (budget.tokens < 1) {
    return refuse('budget', `healing budget spent (capacity ${g.budget.capacity}, refills ${g.budget.refill_per_minute}/min)`, extra);
  }

  writes.put = writes.put.filter((b) => b.name !== STORM_BUCKET);
  if (stormBucket) writes.put.push({ ...stormBucket, tokens: stormBucket.tokens - 1 });
  writes.put.push({ ...budget, tokens: budget.tokens - 1 });
  const reservation: Reservation = {
    holder: req.holder, workItemId: req.workItemId, target: req.target, agentType: req.agentType, takesCapacity: radius.takesCapacity,
    // An action unfinished after the blast radius's window no longer counts there either.
    until: req.now + g.blast_radius.window,
  };
  writes.reserve = reservation;
  return { writes, result: { verdict: { ok: true, takesCapacity: radius.takesCapacity, note: radius.note }, ...extra } };
}
