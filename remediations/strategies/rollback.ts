// rollback: back to the newest known-good version other than the one running.
import { strategyCooldown, type Strategy } from './strategy.ts';

export const rollbackStrategy: Strategy = {
  name: 'rollback',
  description: 'return to the newest known-good version',
  cooldown: strategyCooldown,
  resume: 'recorded',
  onFailed: 'climb',
  plan(ctx) {
    const v = ctx.observed.version;
    if (!v) return { skip: 'the driver reports no version history' };
    const target = [...v.history].reverse().find((h) => h.known_good && h.version !== v.version);
    if (!target) return { skip: `no known-good version other than the running ${v.version}` };
    return {
      strategy: 'rollback',
      summary: `roll ${ctx.agent.id} back from ${v.version} to the last known-good ${target.version}`,
      steps: [`roll back to ${target.version}`, 'verify the version and health'],
      data: { from: v.version, to: target.version },
    };
  },
  async execute(plan, ctx) {
    const to = String(plan.data.to);
    await ctx.perform({ action: 'rollback', toVersion: to });
    return { status: 'acted', summary: `rolled back to ${to}`, details: { from: plan.data.from, to }, expect: { version: to } };
  },
};
