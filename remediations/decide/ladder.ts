// Climbing a selection's ladder: each rung is taken unless it already failed or was applied for this
// incident, is cooling down on this target, has used up its attempts, or its plan skips. What each
// strategy's cooldown and role are is the strategy's own declaration; nothing here names one.
import { acted as didAct, type Attempt } from '../records.ts';
import type { StrategyRegistry } from '../strategies/index.ts';
import type { Strategy } from '../strategies/strategy.ts';
import type { StrategyName } from '../types.ts';
import type { TierPolicy } from './policies.ts';

const FAILED = new Set(['failed', 'verify_failed']);

export type RungBlock = { reason: string; guard?: 'cooldown' | 'attempt_limit' };

/** Why a rung cannot be taken now, or undefined when it can. */
export function unavailable(strategy: Strategy, tier: TierPolicy, history: Attempt[], mine: Attempt[], now: number): RungBlock | undefined {
  const name = strategy.name;
  if (mine.some((a) => a.strategy === name && FAILED.has(a.outcome))) return { reason: 'already failed for this incident' };
  if (mine.some((a) => a.strategy === name && (a.outcome === 'succeeded' || a.outcome === 'dry_run'))) {
    return { reason: 'already applied for this incident' };
  }
  const acted = history.filter((a) => a.strategy === name && didAct(a));
  const cooldown = strategy.cooldown(tier);
  const last = acted[acted.length - 1];
  if (last && last.startedAt > now - cooldown.ms) {
    return { reason: `cooling down: last ${name} ${Math.round((now - last.startedAt) / 1000)}s ago, cooldown ${cooldown.ms / 1000}s`, guard: 'cooldown' };
  }
  if (cooldown.limit) {
    const { max, windowMs, setting } = cooldown.limit;
    const recent = acted.filter((a) => a.startedAt > now - windowMs).length;
    if (recent >= max) return { reason: `${recent} ${name}s within ${windowMs / 1000}s reach ${setting} ${max}`, guard: 'attempt_limit' };
  }
  return undefined;
}

/** aggressive_recycling: a recycling strategy that a tuning one precedes goes to the top of the ladder. */
export function recycleFirst(ladder: StrategyName[], strategies: StrategyRegistry): StrategyName[] {
  const role = (name: StrategyName) => (strategies.has(name) ? strategies.get(name).role : undefined);
  const firstTune = ladder.findIndex((s) => role(s) === 'tune');
  if (firstTune < 0) return ladder;
  const late = ladder.filter((s, i) => i > firstTune && role(s) === 'recycle');
  return late.length === 0 ? ladder : [...late, ...ladder.filter((s) => !late.includes(s))];
}

/** Successful remediations of the same alert on this target, by other incidents, within the window. */
export function ineffectiveRemedies(history: Attempt[], alertname: string, incidentId: number, since: number): Attempt[] {
  return history.filter((a) => a.alertname === alertname && a.outcome === 'succeeded' && a.startedAt >= since && a.incidentId !== incidentId);
}
