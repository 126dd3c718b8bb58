// A strategy already under way for an incident is resumed, not re-selected: a breaker between its
// phases, a retry after a transient failure, or an action the previous process was performing when it
// died. The recorded plan and the attempt's request id make the resumed action idempotent (an agent
// answers a repeated restart request id with the first call's result); verification tells the rest.
import type { EngineLog, EngineResult, EngineStore } from '../engine-ports.ts';
import type { Attempt } from '../records.ts';
import type { StrategyRegistry } from '../strategies/index.ts';
import { isSkip, type HealingContext, type Plan, type Strategy } from '../strategies/strategy.ts';

export type Params = Record<string, number | string | boolean>;

/** What the engine acts on: a strategy, its plan, and why. */
export interface Chosen { strategy: Strategy; plan: Plan; params: Params; rule: string; climbed: string[]; verifyPromql?: string }

/** The strategy under way for this incident (a breaker between phases, a retry, an action a crash cut short). */
export async function resumeAttempt(
  strategies: StrategyRegistry, store: Pick<EngineStore, 'updateAttempt'>, attempt: Attempt, context: (p: Params) => HealingContext, now: number, log: EngineLog,
): Promise<Chosen | EngineResult> {
  const strategy = strategies.get(attempt.strategy);
  const params = (attempt.details.params as Params | undefined) ?? {};
  const recorded = attempt.details.plan as Omit<Plan, 'strategy'> | undefined;
  const plan = strategy.resume === 'replan' || !recorded ? strategy.plan(context(params)) : { strategy: strategy.name, ...recorded };
  if (isSkip(plan)) {
    await store.updateAttempt(attempt.id, { outcome: 'failed', reason: plan.skip, finishedAt: now, details: attempt.details });
    return { kind: 'defer', afterMs: 0, note: `${strategy.name} cannot continue: ${plan.skip}` };
  }
  if (attempt.details.tries !== undefined) log.info({ strategy: strategy.name, attempt: attempt.id, tries: attempt.details.tries }, 'retrying the same strategy');
  else if (strategy.resume === 'recorded') log.warn({ strategy: strategy.name, attempt: attempt.id }, 'resuming an action interrupted by a restart of Medic');
  const verifyPromql = typeof attempt.details.verifyPromql === 'string' ? attempt.details.verifyPromql : undefined;
  return { strategy, plan, params, rule: String(attempt.details.rule ?? ''), climbed: [], verifyPromql };
}
