// What an incident's attempts say was done, in a form two runs can be compared by: the strategies that
// acted (in order), decisions that did not act (shadow, notify), escalations with their reason, the guards
// that held it and the cooldowns it met; and the report's tallies over many incidents. Pure.
import { acted } from '../../remediations/records.ts';
import type { Attempt } from '../store/store.ts';

export interface IncidentOutcome {
  tier: string | null;
  /** Strategies that acted, in order. */
  acted: string[];
  /** Strategies decided without acting: `restart (shadow)`, `rollback (notified)`. */
  proposed: string[];
  escalations: string[];
  guards: string[];
  cooldowns: number;
  rejected: boolean;
}

export function outcomeOf(attempts: readonly Attempt[]): IncidentOutcome {
  const o: IncidentOutcome = { tier: null, acted: [], proposed: [], escalations: [], guards: [], cooldowns: 0, rejected: false };
  for (const a of attempts) {
    if (typeof a.details.tier === 'string') o.tier ??= a.details.tier;
    // A breaker's phases, a retry: one attempt row per phase, one action.
    if (acted(a) && o.acted[o.acted.length - 1] !== a.strategy) o.acted.push(a.strategy);
    if (a.outcome === 'shadow' || a.outcome === 'notified') o.proposed.push(`${a.strategy} (${a.outcome})`);
    if (a.outcome === 'escalated') o.escalations.push(String(a.details.escalation ?? 'unknown'));
    if (a.outcome === 'blocked' && typeof a.details.guard === 'string') o.guards.push(a.details.guard);
    if (a.outcome === 'rejected') o.rejected = true;
    const climbed = Array.isArray(a.details.ladderClimbed) ? (a.details.ladderClimbed as unknown[]) : [];
    o.cooldowns += climbed.filter((c) => typeof c === 'string' && c.includes('cooling down')).length;
  }
  return o;
}

/** The outcome in a few words; two runs differ for an incident when these differ. */
export function describeOutcome(o: IncidentOutcome, awaitingOperator = false): string {
  const parts = [
    o.acted.length ? `acted: ${o.acted.join(' → ')}` : '',
    o.proposed.length ? `decided without acting: ${o.proposed.join(', ')}` : '',
    o.rejected ? 'an operator rejected it' : '',
    awaitingOperator ? 'waits for an operator (approve mode; the record has no answer)' : '',
    o.escalations.length ? `escalated: ${o.escalations.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'nothing done';
}

export interface Tally {
  recorded: number;
  candidate: number;
}

/** Adds one to `side` of `key`'s tally. */
export function count(t: Map<string, Tally>, key: string, side: keyof Tally, by = 1): void {
  const v = t.get(key) ?? { recorded: 0, candidate: 0 };
  v[side] += by;
  t.set(key, v);
}
