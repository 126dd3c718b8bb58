// circuit_break: open the breaker and redirect traffic, wait circuit_break_duration, half-open with
// canary traffic, then close when the canary's success rate is above 95%, else re-open. Each phase is
// one run: the strategy returns `wait` and the engine resumes it when the breaker's next check is due.
import { strategyCooldown, type HealingContext, type Plan, type Strategy } from './strategy.ts';

const CANARY_WEIGHT = 0.1;
const CANARY_SUCCESS = 0.95;

function redirects(ctx: HealingContext): boolean {
  return ctx.tier.backup_instances > 0 || (ctx.observed.replicas?.replicas ?? 1) > 1;
}

export const circuitBreakStrategy: Strategy = {
  name: 'circuit_break',
  description: 'open the breaker, wait, half-open with canary traffic, close or re-open',
  cooldown: strategyCooldown,
  resume: 'replan',
  onFailed: { escalate: 'breaker_stuck' },
  plan(ctx) {
    const b = ctx.observed.breaker;
    const duration = ctx.tier.circuit_break_duration;
    const canaryMs = Number(ctx.params.canary_window_s ?? 10) * 1000;
    const maxReopens = Number(ctx.params.max_reopens ?? 3);
    const redirect = redirects(ctx);
    const base = { duration, canaryMs, maxReopens, redirect };
    const plan = (phase: string, summary: string, steps: string[], extra: Record<string, unknown> = {}): Plan => ({
      strategy: 'circuit_break', summary, steps, data: { ...base, phase, ...extra },
    });
    if (!b || b.state === 'closed') {
      return plan('open', `open ${ctx.agent.id}'s circuit breaker${redirect ? ' and redirect its traffic' : ''} for ${duration / 1000}s`, [
        'open the breaker', ...(redirect ? ['move traffic away'] : []), `wait ${duration / 1000}s`, 'half-open with canary traffic', `close if the canary succeeds > ${CANARY_SUCCESS * 100}%`,
      ]);
    }
    const due = b.nextCheckAt === null || b.nextCheckAt <= ctx.now;
    if (!due) return plan('wait', `breaker ${b.state}; next check in ${Math.ceil((b.nextCheckAt! - ctx.now) / 1000)}s`, ['wait'], { waitMs: b.nextCheckAt! - ctx.now });
    if (b.state === 'open') {
      return plan('half_open', `half-open ${ctx.agent.id}'s breaker with ${CANARY_WEIGHT * 100}% canary traffic`, ['half-open the breaker', `observe the canary for ${canaryMs / 1000}s`]);
    }
    const errorRate = ctx.observed.summary?.errorRate;
    if (errorRate === undefined) return { skip: 'no error rate to judge the canary by' };
    const success = 1 - errorRate;
    if (success > CANARY_SUCCESS) {
      return plan('close', `close ${ctx.agent.id}'s breaker: canary success ${(success * 100).toFixed(1)}% > ${CANARY_SUCCESS * 100}%`, ['close the breaker', ...(redirect ? ['restore traffic'] : [])], { success });
    }
    return plan('reopen', `re-open ${ctx.agent.id}'s breaker: canary success ${(success * 100).toFixed(1)}% ≤ ${CANARY_SUCCESS * 100}%`, ['re-open the breaker', `wait ${duration / 1000}s`], { success, opens: b.opens });
  },
  async execute(plan, ctx) {
    const d = plan.data;
    const move = ctx.moveBreaker!;
    const now = ctx.now();
    switch (d.phase) {
      case 'wait':
        return { status: 'wait', afterMs: Number(d.waitMs), summary: plan.summary, details: { phase: 'wait' } };
      case 'open':
        await ctx.perform({ action: 'set_circuit', state: 'open' });
        if (d.redirect) await ctx.perform({ action: 'set_traffic', weight: 0 });
        await move('open', now + Number(d.duration));
        return { status: 'wait', afterMs: Number(d.duration), summary: 'breaker open', details: { phase: 'open', redirected: d.redirect } };
      case 'half_open':
        await ctx.perform({ action: 'set_circuit', state: 'half_open', canaryWeight: CANARY_WEIGHT });
        if (d.redirect) await ctx.perform({ action: 'set_traffic', weight: CANARY_WEIGHT });
        await move('half_open', now + Number(d.canaryMs));
        return { status: 'wait', afterMs: Number(d.canaryMs), summary: 'breaker half-open: canary traffic flowing', details: { phase: 'half_open' } };
      case 'close':
        await ctx.perform({ action: 'set_circuit', state: 'closed' });
        if (d.redirect) await ctx.perform({ action: 'set_traffic', weight: 1 });
        await move('closed', null);
        return { status: 'acted', summary: plan.summary, details: { phase: 'closed', success: d.success }, expect: {} };
      default: {
        await ctx.perform({ action: 'set_circuit', state: 'open' });
        if (d.redirect) await ctx.perform({ action: 'set_traffic', weight: 0 });
        await move('open', now + Number(d.duration));
        // `opens` counts the first opening too: re-openings so far are opens − 1, and this is one more.
        if (Number(d.opens) > Number(d.maxReopens)) {
          return { status: 'failed', summary: `canary failed after ${Number(d.opens)} openings: the breaker stays open`, details: { phase: 'open', success: d.success } };
        }
        return { status: 'wait', afterMs: Number(d.duration), summary: plan.summary, details: { phase: 'reopened', success: d.success } };
      }
    }
  },
};
