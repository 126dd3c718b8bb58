// runtime_patch: a catalogue of known patches, chosen by the alert's error signature. Config patches
// are bounded by the tier and reversible; a memory leak gets a forced GC and time-boxed profiling.
import type { TierPolicy } from '../decide/policies.ts';
import { strategyCooldown, type ChangeSpec, type Observation, type Plan, type Strategy } from './strategy.ts';
import type { ActionRequest } from '../types.ts';

interface Patch {
  describe: string;
  requests: ActionRequest[];
  changes: ChangeSpec[];
}

type CatalogueEntry = (observed: Observation, tier: TierPolicy, profilingS: number) => Patch | { skip: string };

const raiseConfig = (key: string, max: (t: TierPolicy) => number): CatalogueEntry => (observed, tier) => {
  const current = Number(observed.config?.config[key]);
  if (!Number.isFinite(current) || current <= 0) return { skip: `the config has no ${key}` };
  const to = Math.min(max(tier), Math.ceil(current * 1.5));
  if (to <= current) return { skip: `${key} is already at the tier maximum ${max(tier)}` };
  return {
    describe: `${key} ${current}→${to}`,
    requests: [{ action: 'patch_config', patch: { [key]: to } }],
    changes: [{ kind: 'config', before: { [key]: current }, after: { [key]: to } }],
  };
};

/** Known error signatures and their patches. */
export const PATCH_CATALOGUE: Record<string, CatalogueEntry> = {
  timeout: raiseConfig('request_timeout_ms', (t) => t.max_request_timeout_ms),
  connection_pool_exhausted: raiseConfig('max_connections', (t) => t.max_connections_limit),
  memory_leak: (_observed, _tier, profilingS) => ({
    describe: `force GC and profile memory for ${profilingS}s`,
    requests: [{ action: 'gc' }, { action: 'set_profiling', enabled: true, durationS: profilingS }],
    changes: [{ kind: 'profiling', before: { enabled: false }, after: { enabled: true } }],
  }),
};

export const runtimePatchStrategy: Strategy = {
  name: 'runtime_patch',
  description: 'apply a known runtime patch chosen by the error signature, reversibly',
  cooldown: strategyCooldown,
  resume: 'recorded',
  onFailed: 'climb',
  role: 'tune',
  plan(ctx) {
    const signature = ctx.incident.errorSignature;
    if (!signature) return { skip: 'the alert carries no error_signature' };
    const entry = PATCH_CATALOGUE[signature];
    if (!entry) return { skip: `no known patch for error signature ${signature}` };
    const patch = entry(ctx.observed, ctx.tier, Number(ctx.params.profiling_s ?? 300));
    if ('skip' in patch) return patch;
    const plan: Plan = {
      strategy: 'runtime_patch',
      summary: `patch ${ctx.agent.id} for ${signature}: ${patch.describe}`,
      steps: [...patch.requests.map((r) => r.action), `revert after ${Math.round(ctx.tier.change_expiry / 1000)}s unless promoted`],
      data: { signature, requests: patch.requests, changes: patch.changes },
    };
    return plan;
  },
  async execute(plan, ctx) {
    for (const request of plan.data.requests as ActionRequest[]) await ctx.perform(request);
    return {
      status: 'acted',
      summary: `patched for ${String(plan.data.signature)}`,
      details: { requests: plan.data.requests },
      expect: {},
      changes: plan.data.changes as ChangeSpec[],
    };
  },
};
