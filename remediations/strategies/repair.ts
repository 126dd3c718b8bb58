// repair: configuration validators (memory, cpu, network, storage) find a resource used past its limit
// less the tier's headroom (or, with the memory_trend parameter, memory that an alert saw climbing towards
// its limit), and raise that limit ×1.5 within the tier's maximum. Each raise is a
// reversible change; the ineffective-chain guard stops a raise that does not help from repeating.
import type { TierPolicy } from '../decide/policies.ts';
import { strategyCooldown, type Observation, type Strategy } from './strategy.ts';

interface Finding {
  validator: 'memory' | 'cpu' | 'network' | 'storage' | 'config';
  key: string;
  from: number;
  to: number;
  why: string;
}

const RAISE = 1.5;

/** Settings that must lie in a range for the agent to work at all, and the safe value to restore. */
const SANE: { key: string; min: number; safe: number }[] = [
  { key: 'request_timeout_ms', min: 100, safe: 2000 },
  { key: 'max_connections', min: 1, safe: 100 },
];

/**
 * Pure: what each validator finds on this target, and the raise it proposes (or why it cannot).
 * `memoryTrend`: the alert already established that memory climbs towards its limit (a leak or a
 * predicted exhaustion), so the memory validator acts on that trend instead of waiting for the headroom
 * to be used up: raising the limit before the OOM kill is the point of alerting early.
 */
export function validate(observed: Observation, tier: TierPolicy, memoryTrend = false): { findings: Finding[]; blocked: string[] } {
  const s = observed.summary;
  const c = observed.config?.config ?? {};
  const findings: Finding[] = [];
  const blocked: string[] = [];
  // Invalid settings first: an agent whose timeout is 0 is broken whatever its load.
  for (const v of SANE) {
    const value = Number(c[v.key]);
    if (v.key in c && !(value >= v.min)) {
      findings.push({ validator: 'config', key: v.key, from: value, to: v.safe, why: `${v.key} is ${String(c[v.key])}, below the working minimum ${v.min}` });
    }
  }
  if (!s) return { findings, blocked: findings.length ? [] : ['no summary to validate'] };
  const trigger = 1 - tier.memory_limit_buffer;
  const consider = (validator: Finding['validator'], key: string, use: number, max: number, what: string) => {
    const limit = Number(c[key]);
    if (!(use > trigger)) return;
    if (!Number.isFinite(limit) || limit <= 0) return void blocked.push(`${validator}: ${what} but the config has no ${key}`);
    const to = Math.min(max, Math.ceil(limit * RAISE));
    if (to <= limit) return void blocked.push(`${validator}: ${what} but ${key} is already at the tier maximum ${max}`);
    findings.push({ validator, key, from: limit, to, why: `${what} (> ${Math.round(trigger * 100)}%)` });
  };
  if (s.memoryLimitBytes > 0) {
    const use = s.memoryBytes / s.memoryLimitBytes;
    if (memoryTrend) consider('memory', 'memory_limit_mib', Math.max(use, trigger + 1), tier.max_memory_limit_mib, `memory climbing towards its limit (${Math.round(use * 100)}% now, the alert's trend)`);
    else consider('memory', 'memory_limit_mib', use, tier.max_memory_limit_mib, `memory at ${Math.round(use * 100)}% of its limit`);
  }
  consider('cpu', 'cpu_limit_millicores', s.cpuUtilisation, tier.max_cpu_limit_millicores, `cpu at ${Math.round(s.cpuUtilisation * 100)}%`);
  const maxConn = Number(c.max_connections);
  if (maxConn > 0) {
    const use = s.connections / maxConn;
    consider('network', 'max_connections', use, tier.max_connections_limit, `connections at ${Math.round(use * 100)}% of max_connections`);
  }
  consider('storage', 'storage_limit_mib', s.diskUsedRatio, tier.max_storage_limit_mib, `storage at ${Math.round(s.diskUsedRatio * 100)}%`);
  // A setting already reset above is not raised as well.
  const seen = new Set<string>();
  return { findings: findings.filter((f) => !seen.has(f.key) && (seen.add(f.key), true)), blocked };
}

export const repairStrategy: Strategy = {
  name: 'repair',
  description: 'raise a resource limit that is used up (or about to be), reversibly',
  cooldown: strategyCooldown,
  resume: 'recorded',
  onFailed: 'climb',
  role: 'tune',
  plan(ctx) {
    if (!ctx.observed.config) return { skip: 'the driver reports no configuration to repair' };
    const { findings, blocked } = validate(ctx.observed, ctx.tier, ctx.params.memory_trend === true);
    if (findings.length === 0) return { skip: blocked.length ? blocked.join('; ') : 'every validator passes: no resource over its limit' };
    const patch = Object.fromEntries(findings.map((f) => [f.key, f.to]));
    return {
      strategy: 'repair',
      summary: `raise ${findings.map((f) => `${f.key} ${f.from}→${f.to}`).join(', ')} on ${ctx.agent.id}: ${findings.map((f) => f.why).join('; ')}`,
      steps: ['patch the configuration', `revert after ${Math.round(ctx.tier.change_expiry / 1000)}s unless promoted`, 'verify health'],
      data: { patch, before: Object.fromEntries(findings.map((f) => [f.key, f.from])), findings, blocked },
    };
  },
  async execute(plan, ctx) {
    const patch = plan.data.patch as Record<string, unknown>;
    await ctx.perform({ action: 'patch_config', patch });
    return {
      status: 'acted',
      summary: `configuration patched: ${JSON.stringify(patch)}`,
      details: { patch },
      expect: {},
      changes: [{ kind: 'config', before: plan.data.before as Record<string, unknown>, after: patch }],
    };
  },
};
