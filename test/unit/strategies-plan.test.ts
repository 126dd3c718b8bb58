// Each strategy's plan is pure: table-driven cases over observations and tier policies, including every
// tier field a plan reads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPolicies, type TierPolicy } from '../../remediations/decide/policies.ts';
import { STRATEGIES } from '../../remediations/strategies/index.ts';
import { isSkip, type HealingContext, type Observation } from '../../remediations/strategies/strategy.ts';
import type { Summary } from '../../remediations/types.ts';

const policies = defaultPolicies();
const tier = (name = 'default', over: Partial<TierPolicy> = {}): TierPolicy => ({ ...policies.tiers.get(name)!, ...over });

const summary = (over: Partial<Summary> = {}): Summary => ({
  requestsPerS: 10, errorRate: 0.01, latencyP99S: 0.3, queueDepth: 0, memoryBytes: 100, memoryLimitBytes: 1000, cpuUtilisation: 0.3,
  replicas: 2, readyReplicas: 2, connections: 10, diskUsedRatio: 0.3, ...over,
});

function ctx(over: { tier?: TierPolicy; observed?: Partial<Observation>; params?: HealingContext['params']; signature?: string; now?: number } = {}): HealingContext {
  return {
    incident: { id: 1, target: 'a1', alertname: 'X', severity: 'critical', labels: {}, annotations: {}, errorSignature: over.signature },
    agent: { id: 'a1', type: 'generic', tier: '', driver: 'http', target: { kind: 'dry-run' } },
    tier: over.tier ?? tier(),
    params: over.params ?? {},
    observed: {
      health: { healthy: true, bootId: 'b1' },
      summary: summary(),
      config: { config: { memory_limit_mib: 512, cpu_limit_millicores: 1000, max_connections: 100, request_timeout_ms: 2000, storage_limit_mib: 1024 }, revision: 1 },
      version: { version: '2.0', history: [{ version: '1.0', known_good: true }, { version: '1.5', known_good: false }, { version: '2.0', known_good: true }] },
      replicas: { replicas: 2, readyReplicas: 2 },
      traffic: { weight: 1 },
      ...over.observed,
    },
    now: over.now ?? 1_000_000,
  };
}

const planOf = (name: string, c: HealingContext) => STRATEGIES.get(name).plan(c);

describe('scale plan', () => {
  const cases: { what: string; cpu: number; queue?: number; t: TierPolicy; to: number | 'skip' }[] = [
    { what: 'load under the threshold needs nothing', cpu: 0.5, t: tier(), to: 'skip' },
    { what: 'cpu 0.95 at threshold 0.8: ceil(2 × 0.95 / 0.8) = 3', cpu: 0.95, t: tier(), to: 3 },
    { what: 'scale_threshold 0.5 asks for more: ceil(2 × 0.95 / 0.5) = 4', cpu: 0.95, t: tier('default', { scale_threshold: 0.5 }), to: 4 },
    { what: 'preemptive_scaling adds one ahead of the load', cpu: 0.95, t: tier('default', { preemptive_scaling: true }), to: 4 },
    { what: 'max_replicas bounds it', cpu: 1, t: tier('default', { scale_threshold: 0.1, max_replicas: 5 }), to: 5 },
    { what: 'already at max_replicas', cpu: 1, t: tier('default', { max_replicas: 2 }), to: 'skip' },
    { what: 'a queue backlog counts as load: 300 queued / (50 × 2) = 3.0', cpu: 0.1, queue: 300, t: tier(), to: 8 },
    { what: 'min_replicas lifts a small need', cpu: 0.95, t: tier('default', { min_replicas: 6, max_replicas: 10 }), to: 6 },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const p = planOf('scale', ctx({ tier: c.t, observed: { summary: summary({ cpuUtilisation: c.cpu, queueDepth: c.queue ?? 0 }) } }));
      if (c.to === 'skip') assert.ok(isSkip(p), JSON.stringify(p));
      else assert.equal(!isSkip(p) && p.data.to, c.to, JSON.stringify(p));
    });
  }
});

describe('repair plan (the validators)', () => {
  const mib = 1024 * 1024;
  const cases: { what: string; s: Partial<Summary>; t: TierPolicy; patch: Record<string, number> | 'skip' }[] = [
    { what: 'memory at 94% of its limit: raise ×1.5', s: { memoryBytes: 480 * mib, memoryLimitBytes: 512 * mib }, t: tier(), patch: { memory_limit_mib: 768 } },
    { what: 'memory at 85%: within the default 10% headroom', s: { memoryBytes: 435 * mib, memoryLimitBytes: 512 * mib }, t: tier(), patch: 'skip' },
    { what: 'memory at 85% with memory_limit_buffer 0.2 (lightweight): act', s: { memoryBytes: 435 * mib, memoryLimitBytes: 512 * mib }, t: tier('lightweight_agents'), patch: { memory_limit_mib: 768 } },
    { what: 'max_memory_limit_mib caps the raise', s: { memoryBytes: 500 * mib, memoryLimitBytes: 512 * mib }, t: tier('default', { max_memory_limit_mib: 600 }), patch: { memory_limit_mib: 600 } },
    { what: 'at the cap already: nothing to raise', s: { memoryBytes: 500 * mib, memoryLimitBytes: 512 * mib }, t: tier('default', { max_memory_limit_mib: 512 }), patch: 'skip' },
    { what: 'cpu saturated: raise the cpu limit', s: { cpuUtilisation: 0.97 }, t: tier(), patch: { cpu_limit_millicores: 1500 } },
    { what: 'max_cpu_limit_millicores caps the cpu raise', s: { cpuUtilisation: 0.97 }, t: tier('default', { max_cpu_limit_millicores: 1200 }), patch: { cpu_limit_millicores: 1200 } },
    { what: 'max_connections_limit caps the network raise', s: { connections: 95 }, t: tier('default', { max_connections_limit: 120 }), patch: { max_connections: 120 } },
    { what: 'max_storage_limit_mib caps the storage raise', s: { diskUsedRatio: 0.95 }, t: tier('default', { max_storage_limit_mib: 1100 }), patch: { storage_limit_mib: 1100 } },
    { what: 'connections near max_connections: raise it (network)', s: { connections: 95 }, t: tier(), patch: { max_connections: 150 } },
    { what: 'storage nearly full: raise the storage limit', s: { diskUsedRatio: 0.95 }, t: tier(), patch: { storage_limit_mib: 1536 } },
    { what: 'everything within limits', s: {}, t: tier(), patch: 'skip' },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const p = planOf('repair', ctx({ tier: c.t, observed: { summary: summary(c.s) } }));
      if (c.patch === 'skip') assert.ok(isSkip(p), JSON.stringify(p));
      else assert.deepEqual(!isSkip(p) && p.data.patch, c.patch, JSON.stringify(p));
    });
  }
});

describe('repair plan: memory trend (a leak or predicted exhaustion alert)', () => {
  const mib = 1024 * 1024;
  it('raises the memory limit on the trend the alert saw, before the headroom is used up', () => {
    const observed = { summary: summary({ memoryBytes: 330 * mib, memoryLimitBytes: 512 * mib }) };
    assert.ok(isSkip(planOf('repair', ctx({ observed }))), 'at 64% without the trend: nothing to repair');
    const p = planOf('repair', ctx({ observed, params: { memory_trend: true } }));
    assert.deepEqual(!isSkip(p) && p.data.patch, { memory_limit_mib: 768 }, JSON.stringify(p));
    assert.match(!isSkip(p) ? p.summary : '', /memory climbing towards its limit \(64% now/);
  });

  it('still respects max_memory_limit_mib', () => {
    const observed = { summary: summary({ memoryBytes: 330 * mib, memoryLimitBytes: 512 * mib }) };
    assert.ok(isSkip(planOf('repair', ctx({ observed, params: { memory_trend: true }, tier: tier('default', { max_memory_limit_mib: 512 }) }))));
  });
});

describe('repair plan: invalid settings', () => {
  it('resets a setting below its working minimum to a safe value', () => {
    const c = ctx();
    c.observed.config!.config.request_timeout_ms = 0;
    const p = planOf('repair', c);
    assert.deepEqual(!isSkip(p) && p.data.patch, { request_timeout_ms: 2000 }, JSON.stringify(p));
    assert.deepEqual(!isSkip(p) && p.data.before, { request_timeout_ms: 0 });
  });
});

describe('reroute plan', () => {
  it('needs a backup instance or a second replica (backup_instances)', () => {
    const single = { replicas: { replicas: 1, readyReplicas: 1 } };
    assert.ok(isSkip(planOf('reroute', ctx({ observed: single }))));
    assert.ok(!isSkip(planOf('reroute', ctx({ observed: single, tier: tier('critical_agents') }))), 'critical agents have 2 backup instances');
    assert.ok(!isSkip(planOf('reroute', ctx())), 'a second replica takes the traffic');
  });

  it('does nothing when the traffic is already away', () => {
    assert.ok(isSkip(planOf('reroute', ctx({ observed: { traffic: { weight: 0 } } }))));
  });
});

describe('rollback plan', () => {
  it('picks the newest known-good version other than the running one', () => {
    const p = planOf('rollback', ctx());
    assert.equal(!isSkip(p) && p.data.to, '1.0', 'skips 1.5, which is not known good');
  });

  it('skips when nothing known-good is left', () => {
    const p = planOf('rollback', ctx({ observed: { version: { version: '2.0', history: [{ version: '2.0', known_good: true }] } } }));
    assert.ok(isSkip(p));
  });
});

describe('runtime_patch plan', () => {
  const cases: [string | undefined, string | 'skip'][] = [
    ['timeout', 'request_timeout_ms 2000→3000'],
    ['connection_pool_exhausted', 'max_connections 100→150'],
    ['memory_leak', 'force GC and profile memory for 300s'],
    ['segfault', 'skip'],
    [undefined, 'skip'],
  ];
  for (const [signature, expected] of cases) {
    it(`${signature ?? 'no signature'} → ${expected}`, () => {
      const p = planOf('runtime_patch', ctx({ signature }));
      if (expected === 'skip') assert.ok(isSkip(p));
      else assert.ok(!isSkip(p) && p.summary.endsWith(expected), JSON.stringify(p));
    });
  }

  it('max_request_timeout_ms bounds the timeout raise', () => {
    const p = planOf('runtime_patch', ctx({ signature: 'timeout', tier: tier('default', { max_request_timeout_ms: 2500 }) }));
    assert.ok(!isSkip(p) && p.summary.endsWith('request_timeout_ms 2000→2500'));
  });
});

describe('circuit_break plan', () => {
  const breaker = (state: 'closed' | 'open' | 'half_open', nextCheckAt: number | null, opens = 1) => ({ breaker: { state, changedAt: 0, nextCheckAt, opens } });
  const cases: { what: string; observed: Partial<Observation>; phase: string }[] = [
    { what: 'no breaker yet: open it', observed: {}, phase: 'open' },
    { what: 'open and not due: wait', observed: breaker('open', 2_000_000), phase: 'wait' },
    { what: 'open and due: half-open', observed: breaker('open', 999_000), phase: 'half_open' },
    { what: 'half-open, canary at 99%: close', observed: { ...breaker('half_open', 999_000), summary: summary({ errorRate: 0.01 }) }, phase: 'close' },
    { what: 'half-open, canary at 90%: re-open', observed: { ...breaker('half_open', 999_000), summary: summary({ errorRate: 0.1 }) }, phase: 'reopen' },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const p = planOf('circuit_break', ctx({ observed: c.observed }));
      assert.equal(!isSkip(p) && p.data.phase, c.phase, JSON.stringify(p));
    });
  }

  it('waits circuit_break_duration while open', () => {
    const p = planOf('circuit_break', ctx({ tier: tier('default', { circuit_break_duration: 42_000 }) }));
    assert.equal(!isSkip(p) && p.data.duration, 42_000);
  });
});
