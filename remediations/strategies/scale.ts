// scale: set replicas to what the load needs (replicas × utilisation / scale_threshold), within the
// tier's bounds; setting, never adding, keeps it idempotent.
import { strategyCooldown, type Strategy } from './strategy.ts';

export const scaleStrategy: Strategy = {
  name: 'scale',
  description: 'set replicas to what the load needs, within the tier bounds',
  cooldown: strategyCooldown,
  resume: 'recorded',
  onFailed: 'climb',
  plan(ctx) {
    const s = ctx.observed.summary;
    const current = ctx.observed.replicas?.replicas ?? s?.replicas;
    if (!s || current === undefined) return { skip: 'the driver reports no load or replica count to size from' };
    const perReplica = Number(ctx.params.queue_capacity_per_replica ?? 50);
    const queueUtilisation = s.queueDepth / (perReplica * Math.max(current, 1));
    const utilisation = Math.max(s.cpuUtilisation, queueUtilisation);
    const t = ctx.tier;
    let needed = Math.ceil((Math.max(current, 1) * utilisation) / t.scale_threshold);
    if (t.preemptive_scaling) needed += 1;
    const desired = Math.min(t.max_replicas, Math.max(t.min_replicas, needed));
    const load = `utilisation ${utilisation.toFixed(2)} (cpu ${s.cpuUtilisation.toFixed(2)}, queue ${s.queueDepth}) against threshold ${t.scale_threshold}`;
    if (desired <= current) {
      return { skip: current >= t.max_replicas ? `already at max_replicas ${t.max_replicas}` : `${current} replicas suffice: ${load}` };
    }
    return {
      strategy: 'scale',
      summary: `scale ${ctx.agent.id} from ${current} to ${desired} replicas: ${load}${t.preemptive_scaling ? ', plus one ahead of the load (preemptive_scaling)' : ''}`,
      steps: [`set replicas to ${desired}`, `wait until ${desired} replicas are ready`],
      data: { from: current, to: desired, utilisation },
    };
  },
  async execute(plan, ctx) {
    const to = Number(plan.data.to);
    await ctx.perform({ action: 'set_replicas', replicas: to });
    return { status: 'acted', summary: `replicas set to ${to}`, details: { from: plan.data.from, to }, expect: { readyReplicasAtLeast: to } };
  },
};
