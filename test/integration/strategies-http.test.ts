// Every strategy, through the engine and the http driver, against a real simulated agent on loopback:
// the target is really restarted, scaled, broken and healed, rolled back, rerouted, patched — and the
// patches are really reverted when they expire.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildInventory } from '../../remediations/inventory.ts';
import { createDriverRegistry } from '../../remediations/drivers/index.ts';
import { createLogger } from '../../server/logger.ts';
import { revertDueChanges } from '../../server/change-reverter.ts';
import { attemptsOf, policiesWith, startHarness, type Harness } from '../helpers/engine-harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

const revert = (harness: Harness) =>
  revertDueChanges({
    store: harness.store,
    inventory: buildInventory(harness.inventory),
    driverFor: (name) => createDriverRegistry({ httpTimeoutMs: 2000, processStartTimeoutMs: 5000 }).get(name),
    clock: { now: () => Date.now() },
    log: createLogger('silent'),
    timeoutMs: 2000,
  });

describe('strategies over the http driver', () => {
  it('restart: saves state, restarts into a new boot with the state handed over, verifies', async () => {
    h = await startHarness({ agents: [{ id: 'autogpt-1', type: 'autogpt' }] });
    const agent = h.agents.get('autogpt-1')!;
    agent.state.working = { conversations: 7, queued_tasks: ['a', 'b', 'c'] };
    agent.injectFault({ kind: 'crash', fixedBy: ['restart'], unhealthy: true });
    const bootBefore = agent.state.bootId;
    const incident = await h.incident('AgentDown', 'autogpt-1');

    const result = await h.heal(incident);

    assert.deepEqual(result, { kind: 'done', outcome: 'succeeded', reason: 'restart requested (state saved)' });
    assert.notEqual(agent.state.bootId, bootBefore, 'a new boot id proves the restart');
    assert.equal(agent.state.restarts, 1);
    assert.deepEqual(agent.state.working, { conversations: 7, queued_tasks: ['a', 'b', 'c'] });
    assert.deepEqual(agent.calls.filter((c) => c.startsWith('POST')), ['POST /admin/state/save', 'POST /admin/restart']);
    const [attempt] = await attemptsOf(h.store, incident.id);
    assert.equal(attempt!.outcome, 'succeeded');
    assert.match(attempt!.reason, /verified: healthy, restarted \(new boot id\)/);
  });

  it('scale: sets replicas from utilisation and the threshold, and waits until they are ready', async () => {
    h = await startHarness({ agents: [{ id: 'agent-s', type: 'generic' }] });
    const agent = h.agents.get('agent-s')!;
    agent.state.summary.cpu_utilisation = 0.95;
    const result = await h.heal(await h.incident('AgentHighLatency', 'agent-s'));
    assert.equal(result.kind, 'done');
    assert.equal(agent.state.replicas, 3, 'ceil(2 × 0.95 / 0.8) = 3');
    assert.equal(agent.state.readyReplicas, 3);
    assert.deepEqual(agent.calls.filter((c) => c.startsWith('PUT')), ['PUT /admin/replicas']);
  });

  it('circuit_break: closed → open → half_open → closed when the canary succeeds', async () => {
    h = await startHarness({
      agents: [{ id: 'agent-c', type: 'generic' }],
      policiesYaml: policiesWith({ tiers: { default: { circuit_break_duration: '100ms' } } }),
      rulesYaml: 'rules:\n  - name: errors\n    match: { alertname: [AgentHighErrorRate] }\n    ladder: [circuit_break]\n    params: { circuit_break: { canary_window_s: 0.1 } }\n',
    });
    const agent = h.agents.get('agent-c')!;
    agent.state.summary.error_rate = 0.7;
    const incident = await h.incident('AgentHighErrorRate', 'agent-c', { annotations: { error_rate: '0.7' } });

    const opened = await h.heal(incident);
    assert.equal(opened.kind, 'defer');
    assert.equal(agent.state.circuit.state, 'open');
    assert.equal(agent.state.traffic.weight, 0, 'traffic redirected to the other replica');
    assert.equal(await h.heal(incident).then((r) => r.kind), 'defer', 'still open before the duration');
    assert.equal(agent.state.circuit.state, 'open');

    await sleep(110);
    assert.equal((await h.heal(incident)).kind, 'defer');
    assert.deepEqual(agent.state.circuit, { state: 'half_open', canary_weight: 0.1 });

    agent.state.summary.error_rate = 0.01; // the dependency recovered: the canary succeeds
    await sleep(110);
    const closed = await h.heal(incident);
    assert.equal(closed.kind, 'done');
    assert.equal(agent.state.circuit.state, 'closed');
    assert.equal(agent.state.traffic.weight, 1);
    assert.deepEqual(h.events.filter((e) => e.startsWith('breaker')), ['breaker generic open', 'breaker generic half_open', 'breaker generic closed']);
    const breaker = await h.store.getBreaker('agent-c');
    assert.equal(breaker!.state, 'closed');
  });

  it('circuit_break: a failing canary re-opens the breaker, and after max_reopens it escalates', async () => {
    h = await startHarness({
      agents: [{ id: 'agent-c', type: 'generic' }],
      policiesYaml: policiesWith({ tiers: { default: { circuit_break_duration: '30ms' } } }),
      rulesYaml: 'rules:\n  - name: errors\n    match: { alertname: [AgentHighErrorRate] }\n    ladder: [circuit_break]\n    params: { circuit_break: { canary_window_s: 0.03, max_reopens: 1 } }\n',
    });
    const agent = h.agents.get('agent-c')!;
    agent.state.summary.error_rate = 0.3;
    const incident = await h.incident('AgentHighErrorRate', 'agent-c');
    const results = await h.healUntilDone(incident);
    assert.equal(results.at(-1)!.kind, 'done');
    assert.deepEqual(h.events.filter((e) => e.startsWith('breaker')), [
      'breaker generic open', 'breaker generic half_open', 'breaker generic open', 'breaker generic half_open', 'breaker generic open',
    ]);
    assert.equal(h.escalations[0]!.reason, 'breaker_stuck');
    assert.equal(agent.state.circuit.state, 'open', 'a breaker that cannot close stays open');
  });

  it('rollback: returns to the last known-good version and verifies it runs', async () => {
    h = await startHarness({ agents: [{ id: 'agent-r', type: 'generic' }] });
    const agent = h.agents.get('agent-r')!;
    agent.injectFault({ kind: 'bad-version', fixedBy: ['rollback'], unhealthy: true });
    const result = await h.heal(await h.incident('AgentBadVersion', 'agent-r'));
    assert.equal(result.kind, 'done');
    assert.equal(agent.state.version, '1.4.1');
    assert.equal(agent.state.fault, null);
  });

  it('reroute: moves traffic to the backup instances, and traffic returns when the change expires', async () => {
    h = await startHarness({
      agents: [{ id: 'crewai-1', type: 'crewai' }],
      policiesYaml: policiesWith({ tiers: { critical_agents: { change_expiry: '100ms' } } }),
      rulesYaml: 'rules:\n  - name: dependency\n    ladder: [reroute]\n',
    });
    const agent = h.agents.get('crewai-1')!;
    const result = await h.heal(await h.incident('AgentDependencyDown', 'crewai-1'));
    assert.equal(result.kind, 'done');
    assert.equal(agent.state.traffic.weight, 0);
    assert.equal((await h.store.listChanges('active')).length, 1);
    await sleep(120);
    assert.equal(await revert(h), 1);
    assert.equal(agent.state.traffic.weight, 1);
    assert.equal((await h.store.listChanges('reverted')).length, 1);
  });

  it('repair: raises the memory limit ×1.5 and reverts it on expiry', async () => {
    h = await startHarness({ agents: [{ id: 'agent-m', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { change_expiry: '100ms' } } }) });
    const agent = h.agents.get('agent-m')!;
    agent.state.summary.memory_bytes = 480 * 1024 * 1024; // 94% of 512 MiB
    agent.injectFault({ kind: 'memory-leak', fixedBy: ['memory_limit'], unhealthy: false });
    const result = await h.heal(await h.incident('AgentMemoryHigh', 'agent-m'));
    assert.equal(result.kind, 'done');
    assert.equal(agent.state.config.memory_limit_mib, 768);
    const [change] = await h.store.listChanges('active');
    assert.deepEqual([change!.before, change!.after], [{ memory_limit_mib: 512 }, { memory_limit_mib: 768 }]);
    await sleep(120);
    await revert(h);
    assert.equal(agent.state.config.memory_limit_mib, 512, 'reverted on expiry');
  });

  it('repair: a promoted change is not reverted', async () => {
    h = await startHarness({ agents: [{ id: 'agent-m', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { change_expiry: '50ms' } } }) });
    const agent = h.agents.get('agent-m')!;
    agent.state.summary.memory_bytes = 500 * 1024 * 1024;
    await h.heal(await h.incident('AgentMemoryHigh', 'agent-m'));
    const [change] = await h.store.listChanges('active');
    assert.ok(await h.store.settleChange(change!.id, 'promoted', Date.now(), 'promoted by sre'));
    await sleep(60);
    assert.equal(await revert(h), 0);
    assert.equal(agent.state.config.memory_limit_mib, 768);
  });

  it('runtime_patch: raises the request timeout for a timeout signature, bounded and reversible', async () => {
    h = await startHarness({ agents: [{ id: 'agent-t', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { change_expiry: '50ms' } } }) });
    const agent = h.agents.get('agent-t')!;
    const result = await h.heal(await h.incident('AgentHighLatency', 'agent-t', { annotations: { error_signature: 'timeout' } }));
    assert.equal(result.kind, 'done');
    assert.equal(agent.state.config.request_timeout_ms, 3000);
    await sleep(60);
    await revert(h);
    assert.equal(agent.state.config.request_timeout_ms, 2000);
  });

  it('runtime_patch: a memory leak gets a forced GC and memory profiling', async () => {
    h = await startHarness({ agents: [{ id: 'agent-l', type: 'generic' }] });
    const agent = h.agents.get('agent-l')!;
    await h.heal(await h.incident('AgentMemoryLeak', 'agent-l', { annotations: { error_signature: 'memory_leak' } }));
    assert.equal(agent.state.gcRuns, 1);
    assert.equal(agent.state.profiling, true);
  });
});
