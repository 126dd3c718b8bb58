// Every strategy, through the engine, against a real simulated agent — over the http driver (agent in
// this process) and over the process driver (agent in its own child process): the target is really
// restarted, scaled, broken and healed, rolled back, rerouted and patched, and the patches are really
// reverted when they expire.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildInventory } from '../../remediations/inventory.ts';
import { defaultPolicies } from '../../remediations/decide/policies.ts';
import { revertDueChanges } from '../../remediations/act/change-reverter.ts';
import { createLogger } from '../../lib/logger.ts';
import { attemptsOf, policiesWith, startHarness, type Harness } from '../helpers/engine-harness.ts';
import { simTarget, type SimTarget, type TargetKind } from '../helpers/sim-target.ts';

const MIB = 1024 * 1024;

let h: Harness | undefined;
let t: SimTarget | undefined;
afterEach(async () => {
  await t?.stop();
  await h?.dispose();
  h = undefined;
  t = undefined;
});

async function setUp(kind: TargetKind, id: string, type: string, o: { policiesYaml?: string; rulesYaml?: string } = {}) {
  t = await simTarget(kind, id, type);
  h = await startHarness({ agents: [], extraInventory: [t.entry], ...o });
  if (kind === 'process') await h.process.ensureStarted(t.entry);
  return { t, h };
}

const revert = (harness: Harness) =>
  revertDueChanges({
    store: harness.store, inventory: buildInventory(harness.inventory), drivers: harness.drivers, policies: defaultPolicies(),
    clock: { now: () => Date.now() }, log: createLogger('silent'), timeoutMs: 2000,
  });

for (const kind of ['http', 'process'] as const) {
  describe(`strategies over the ${kind} driver`, { timeout: 120_000 }, () => {
    it('restart: saves state, restarts into a new boot with the state handed over, verifies', async () => {
      const { t, h } = await setUp(kind, 'autogpt-1', 'autogpt');
      const before = await t.state();
      await t.injectFault({ kind: 'crash', fixedBy: ['restart'], unhealthy: true });
      const incident = await h.incident('AgentDown', 'autogpt-1');

      const result = await h.heal(incident);

      assert.equal(result.kind === 'done' && result.outcome, 'succeeded', JSON.stringify(result));
      const after = await t.state();
      assert.notEqual(after.bootId, before.bootId, 'a new boot id proves the restart');
      if (kind === 'process') assert.notEqual(after.pid, before.pid, 'and a new process');
      assert.deepEqual(after.working, before.working, 'the working state crossed the restart');
      const [attempt] = await attemptsOf(h.store, incident.id);
      assert.match(attempt!.reason, /verified: healthy, restarted \(new boot id\)/);
    });

    it('scale: sets replicas from utilisation and the threshold, and waits until they are ready', async () => {
      const { t, h } = await setUp(kind, 'agent-s', 'generic');
      await t.patchSummary({ cpu_utilisation: 0.95 });
      const result = await h.heal(await h.incident('AgentHighLatency', 'agent-s'));
      assert.equal(result.kind, 'done', JSON.stringify(result));
      const s = await t.state();
      assert.deepEqual([s.replicas, s.readyReplicas], [3, 3], 'ceil(2 × 0.95 / 0.8) = 3, all ready');
    });

    it('circuit_break: closed → open → half_open → closed when the canary succeeds', async () => {
      const { t, h } = await setUp(kind, 'agent-c', 'generic', {
        policiesYaml: policiesWith({ tiers: { default: { circuit_break_duration: '100ms' } } }),
        rulesYaml: 'rules:\n  - name: errors\n    match: { alertname: [AgentHighErrorRate] }\n    ladder: [circuit_break]\n    params: { circuit_break: { canary_window_s: 0.1 } }\n',
      });
      await t.patchSummary({ error_rate: 0.7 });
      const incident = await h.incident('AgentHighErrorRate', 'agent-c', { annotations: { error_rate: '0.7' } });

      assert.equal((await h.heal(incident)).kind, 'defer');
      let s = await t.state();
      assert.equal(s.circuit.state, 'open');
      assert.equal(s.traffic.weight, 0, 'traffic redirected to the other replica');
      assert.equal((await h.heal(incident)).kind, 'defer', 'still open before the duration');

      await sleep(110);
      assert.equal((await h.heal(incident)).kind, 'defer');
      assert.deepEqual((await t.state()).circuit, { state: 'half_open', canary_weight: 0.1 });

      await t.patchSummary({ error_rate: 0.01 }); // the dependency recovered: the canary succeeds
      await sleep(110);
      assert.equal((await h.heal(incident)).kind, 'done');
      s = await t.state();
      assert.equal(s.circuit.state, 'closed');
      assert.equal(s.traffic.weight, 1);
      assert.deepEqual(h.events.filter((e) => e.startsWith('breaker')), ['breaker generic open', 'breaker generic half_open', 'breaker generic closed']);
      assert.equal((await h.store.getBreaker('agent-c'))!.state, 'closed');
    });

    it('circuit_break: a failing canary re-opens the breaker; past max_reopens it stays open and escalates', async () => {
      const { t, h } = await setUp(kind, 'agent-c', 'generic', {
        policiesYaml: policiesWith({ tiers: { default: { circuit_break_duration: '30ms' } } }),
        rulesYaml: 'rules:\n  - name: errors\n    match: { alertname: [AgentHighErrorRate] }\n    ladder: [circuit_break]\n    params: { circuit_break: { canary_window_s: 0.03, max_reopens: 1 } }\n',
      });
      await t.patchSummary({ error_rate: 0.3 });
      const results = await h.healUntilDone(await h.incident('AgentHighErrorRate', 'agent-c'));
      assert.equal(results.at(-1)!.kind, 'done');
      assert.deepEqual(h.events.filter((e) => e.startsWith('breaker')), [
        'breaker generic open', 'breaker generic half_open', 'breaker generic open', 'breaker generic half_open', 'breaker generic open',
      ]);
      assert.equal(h.escalations[0]!.reason, 'breaker_stuck');
      assert.equal((await t.state()).circuit.state, 'open');
    });

    it('rollback: returns to the last known-good version and verifies it runs', async () => {
      const { t, h } = await setUp(kind, 'agent-r', 'generic');
      await t.injectFault({ kind: 'bad-version', fixedBy: ['rollback'], unhealthy: true });
      const result = await h.heal(await h.incident('AgentBadVersion', 'agent-r'));
      assert.equal(result.kind, 'done', JSON.stringify(result));
      const s = await t.state();
      assert.equal(s.version, '1.4.1');
      assert.equal(s.fault, null);
    });

    it('reroute: moves traffic to the backup instances; traffic returns when the change expires', async () => {
      const { t, h } = await setUp(kind, 'crewai-1', 'crewai', {
        policiesYaml: policiesWith({ tiers: { critical_agents: { change_expiry: '100ms' } } }),
        rulesYaml: 'rules:\n  - name: dependency\n    ladder: [reroute]\n',
      });
      assert.equal((await h.heal(await h.incident('AgentDependencyDown', 'crewai-1'))).kind, 'done');
      assert.equal((await t.state()).traffic.weight, 0);
      assert.equal((await h.store.listChanges('active')).length, 1);
      await sleep(120);
      assert.equal(await revert(h), 1);
      assert.equal((await t.state()).traffic.weight, 1);
      assert.equal((await h.store.listChanges('reverted')).length, 1);
    });

    it('repair: raises the memory limit ×1.5 and reverts it on expiry', async () => {
      const { t, h } = await setUp(kind, 'agent-m', 'generic', { policiesYaml: policiesWith({ tiers: { default: { change_expiry: '100ms' } } }) });
      await t.patchSummary({ memory_bytes: 480 * MIB }); // 94% of 512 MiB
      assert.equal((await h.heal(await h.incident('AgentMemoryHigh', 'agent-m'))).kind, 'done');
      assert.equal((await t.state()).config.memory_limit_mib, 768);
      const [change] = await h.store.listChanges('active');
      assert.deepEqual([change!.before, change!.after], [{ memory_limit_mib: 512 }, { memory_limit_mib: 768 }]);
      await sleep(120);
      await revert(h);
      assert.equal((await t.state()).config.memory_limit_mib, 512, 'reverted on expiry');
    });

    it('repair: a promoted change is not reverted', async () => {
      const { t, h } = await setUp(kind, 'agent-m', 'generic', { policiesYaml: policiesWith({ tiers: { default: { change_expiry: '50ms' } } }) });
      await t.patchSummary({ memory_bytes: 500 * MIB });
      await h.heal(await h.incident('AgentMemoryHigh', 'agent-m'));
      const [change] = await h.store.listChanges('active');
      assert.ok(await h.store.settleChange(change!.id, 'promoted', Date.now(), 'promoted by sre'));
      await sleep(60);
      assert.equal(await revert(h), 0);
      assert.equal((await t.state()).config.memory_limit_mib, 768);
    });

    it('repair: an operator reverts a change before its expiry', async () => {
      const { t, h } = await setUp(kind, 'agent-m', 'generic', { policiesYaml: policiesWith({ tiers: { default: { change_expiry: '1h' } } }) });
      await t.patchSummary({ memory_bytes: 500 * MIB });
      await h.heal(await h.incident('AgentMemoryHigh', 'agent-m'));
      const [change] = await h.store.listChanges('active');
      assert.equal(await revert(h), 0, 'not due for an hour');
      assert.ok(await h.store.expireChange(change!.id, Date.now()));
      assert.equal(await revert(h), 1);
      assert.equal((await t.state()).config.memory_limit_mib, 512, 'reverted at once');
      assert.equal((await h.store.listChanges('reverted')).length, 1);
    });

    it('runtime_patch: raises the request timeout for a timeout signature, bounded and reversible', async () => {
      const { t, h } = await setUp(kind, 'agent-t', 'generic', { policiesYaml: policiesWith({ tiers: { default: { change_expiry: '50ms' } } }) });
      const result = await h.heal(await h.incident('AgentHighLatency', 'agent-t', { annotations: { error_signature: 'timeout' } }));
      assert.equal(result.kind, 'done', JSON.stringify(result));
      assert.equal((await t.state()).config.request_timeout_ms, 3000);
      await sleep(60);
      await revert(h);
      assert.equal((await t.state()).config.request_timeout_ms, 2000);
    });

    it('runtime_patch: a memory leak gets a forced GC and memory profiling', async () => {
      const { t, h } = await setUp(kind, 'agent-l', 'generic');
      await h.heal(await h.incident('AgentMemoryLeak', 'agent-l', { annotations: { error_signature: 'memory_leak' } }));
      const s = await t.state();
      assert.equal(s.gcRuns, 1);
      assert.equal(s.profiling, true);
    });
  });
}
