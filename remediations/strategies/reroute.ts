// reroute: move this agent's traffic to its healthy replicas or the tier's backup instances. A
// reversible change: traffic comes back when it expires, unless an operator promotes it.
import { strategyCooldown, type Strategy } from './strategy.ts';

export const rerouteStrategy: Strategy = {
  name: 'reroute',
  description: 'move traffic to healthy replicas or backups, reversibly',
  cooldown: strategyCooldown,
  resume: 'recorded',
  onFailed: 'climb',
  plan(ctx) {
    const backups = ctx.tier.backup_instances;
    const replicas = ctx.observed.replicas?.replicas ?? ctx.observed.summary?.replicas ?? 1;
    if (backups === 0 && replicas <= 1) return { skip: 'no backup instance (backup_instances 0) and no second replica to take the traffic' };
    const weight = ctx.observed.traffic?.weight;
    if (weight === undefined) return { skip: 'the driver reports no traffic weight' };
    if (weight === 0) return { skip: 'traffic already moved away' };
    const to = backups > 0 ? `${backups} backup instance(s)` : `${replicas - 1} other replica(s)`;
    return {
      strategy: 'reroute',
      summary: `move ${ctx.agent.id}'s traffic (weight ${weight}) to ${to}`,
      steps: ['set traffic weight to 0', `revert after ${Math.round(ctx.tier.change_expiry / 1000)}s unless promoted`],
      data: { before: weight, backups },
    };
  },
  async execute(plan, ctx) {
    await ctx.perform({ action: 'set_traffic', weight: 0 });
    return {
      status: 'acted',
      summary: 'traffic moved away',
      details: { before: plan.data.before },
      expect: { trafficWeight: 0, healthy: false },
      changes: [{ kind: 'traffic', before: { weight: plan.data.before }, after: { weight: 0 } }],
    };
  },
};
