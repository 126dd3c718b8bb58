// restart: save state → graceful shutdown → restart with the saved state → verify a new boot.
import type { Strategy } from './strategy.ts';

export const restartStrategy: Strategy = {
  name: 'restart',
  description: 'save state, restart gracefully with it, verify a new boot',
  cooldown: (tier) => ({ ms: tier.restart_cooldown, limit: { max: tier.max_restart_attempts, windowMs: tier.attempt_window, setting: 'max_restart_attempts' } }),
  resume: 'recorded',
  onFailed: 'climb',
  role: 'recycle',
  plan(ctx) {
    const gracefulTimeoutS = Number(ctx.params.graceful_timeout_s ?? 30);
    const bootId = ctx.observed.health.bootId;
    return {
      strategy: 'restart',
      summary: `restart ${ctx.agent.id} gracefully (within ${gracefulTimeoutS}s), handing its saved state to the new process`,
      steps: ['save the working state', `graceful shutdown within ${gracefulTimeoutS}s`, 'restart with the saved state', 'verify a new boot and health'],
      data: { gracefulTimeoutS, bootIdBefore: bootId ?? null, pidBefore: ctx.observed.health.pid ?? null },
    };
  },
  async execute(plan, ctx) {
    let state: Record<string, unknown> | undefined;
    let stateNote = 'state saved';
    try {
      const saved = await ctx.perform({ action: 'save_state' });
      state = (saved.data.state as Record<string, unknown> | undefined) ?? undefined;
    } catch (err) {
      // A target too broken to save its state still needs its restart; say what was lost.
      stateNote = `state not saved: ${(err as Error).message}`;
    }
    const result = await ctx.perform({ action: 'restart', requestId: ctx.requestId, gracefulTimeoutS: Number(plan.data.gracefulTimeoutS), state });
    const before = typeof plan.data.bootIdBefore === 'string' ? plan.data.bootIdBefore : undefined;
    return {
      status: 'acted',
      summary: `restart requested (${stateNote})`,
      details: { stateSaved: state !== undefined, stateNote, answer: result.data },
      expect: before ? { newBootIdThan: before } : {},
    };
  },
};
