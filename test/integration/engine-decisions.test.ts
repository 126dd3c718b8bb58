// The engine's decisions against real simulated agents: decision modes, escalation paths, tier fields
// that only show over several incidents, the blast radius under a fleet-wide failure, and the
// ineffective chain. Time that matters (cooldowns, windows, waits) comes from a clock the test moves.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { attemptsOf, policiesWith, startHarness, type Harness } from '../helpers/engine-harness.ts';

const MIB = 1024 * 1024;

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

function movableClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('decision modes', () => {
  it('auto acts', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }] });
    assert.equal((await h.heal(await h.incident('AgentDown', 'a1'))).kind, 'done');
    assert.equal(h.agents.get('a1')!.state.restarts, 1);
  });

  it('shadow decides and records, and does not act', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { mode: 'shadow' } } }) });
    const incident = await h.incident('AgentDown', 'a1');
    const r = await h.heal(incident);
    assert.deepEqual([r.kind, r.kind === 'done' && r.outcome], ['done', 'shadow']);
    assert.equal(h.agents.get('a1')!.state.restarts, 0);
    assert.deepEqual(h.agents.get('a1')!.calls.filter((c) => !c.startsWith('GET')), []);
    const [a] = await attemptsOf(h.store, incident.id);
    assert.match(a!.reason, /shadow mode: would restart a1 gracefully/);
  });

  it('notify escalates the plan to a human and does not act', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { mode: 'notify' } } }) });
    await h.heal(await h.incident('AgentDown', 'a1'));
    assert.equal(h.agents.get('a1')!.state.restarts, 0);
    assert.equal(h.escalations[0]!.reason, 'notify');
    assert.match(h.escalations[0]!.message, /Medic proposes: restart a1/);
  });

  it('approve waits for an operator, then acts once on approval', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { mode: 'approve' } } }) });
    const incident = await h.incident('AgentDown', 'a1');
    assert.equal((await h.heal(incident)).kind, 'defer');
    assert.equal((await h.heal(incident)).kind, 'defer', 'still waiting; no second approval request');
    const approvals = await h.store.listApprovals('pending');
    assert.equal(approvals.length, 1);
    assert.equal(h.agents.get('a1')!.state.restarts, 0);
    assert.ok(await h.store.settleApproval(approvals[0]!.id, 'pending', 'approved', 'sre@example', Date.now(), 'go'));
    assert.equal((await h.heal(incident)).kind, 'done');
    assert.equal(h.agents.get('a1')!.state.restarts, 1);
    assert.equal((await h.store.listApprovals('used')).length, 1, 'an approval is spent on one action');
  });

  it('approve: an approved action that a guard holds keeps its approval, and is not put to the operator again', async () => {
    const clock = movableClock();
    h = await startHarness({
      agents: [{ id: 'a1', type: 'generic' }, { id: 'a2', type: 'generic' }], clock,
      policiesYaml: policiesWith({ tiers: { default: { mode: 'approve' } }, guards: { budget: { capacity: 1, refill_per_minute: 1 } } }),
    });
    const approveAll = async () => {
      for (const a of await h!.store.listApprovals('pending')) await h!.store.settleApproval(a.id, 'pending', 'approved', 'sre@example', clock.now(), null);
    };
    const first = await h.incident('AgentDown', 'a1');
    await h.heal(first);
    await approveAll();
    assert.equal((await h.heal(first)).kind, 'done', 'a1 acts, spending the budget');
    const second = await h.incident('AgentDown', 'a2');
    await h.heal(second);
    await approveAll();
    const held = await h.heal(second);
    assert.match(held.kind === 'defer' ? held.note ?? '' : '', /^budget:/, 'approved, then held by the healing budget');
    clock.advance(5_000);
    assert.equal((await h.heal(second)).kind, 'defer', 'still held');
    assert.deepEqual(await h.store.listApprovals('pending'), [], 'no second request to the operator');
    assert.equal((await h.store.listApprovals('approved')).length, 1, 'the approval is kept');
    clock.advance(61_000);
    assert.equal((await h.heal(second)).kind, 'done', 'acts once the budget refills');
    assert.equal(h.agents.get('a2')!.state.restarts, 1);
    assert.equal((await h.store.listApprovals('used')).length, 2, 'each approval spent on exactly one action');
  });

  it('approve: a rejection ends it without acting and hands the incident to a person', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { mode: 'approve' } } }) });
    const incident = await h.incident('AgentDown', 'a1');
    await h.heal(incident);
    const [approval] = await h.store.listApprovals('pending');
    await h.store.settleApproval(approval!.id, 'pending', 'rejected', 'sre@example', Date.now(), 'maintenance window');
    const r = await h.heal(incident);
    assert.deepEqual([r.kind, r.kind === 'done' && r.outcome], ['done', 'escalated']);
    assert.equal(h.agents.get('a1')!.state.restarts, 0);
    assert.deepEqual((await attemptsOf(h.store, incident.id)).map((a) => a.outcome), ['awaiting_approval', 'rejected', 'escalated'], 'the rejection recorded, then the escalation');
    assert.equal(h.escalations.length, 1);
    assert.equal(h.escalations[0]!.reason, 'rejected');
    assert.match(h.escalations[0]!.message, /sre@example rejected .* \(maintenance window\); Medic will not act/);
  });

  it('approve: no decision within approval_timeout escalates', async () => {
    const clock = movableClock();
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], clock, policiesYaml: policiesWith({ tiers: { default: { mode: 'approve' } }, guards: { approval_timeout: '1m' } }) });
    const incident = await h.incident('AgentDown', 'a1');
    await h.heal(incident);
    clock.advance(61_000);
    const r = await h.heal(incident);
    assert.equal(r.kind, 'done');
    assert.equal(h.escalations[0]!.reason, 'approval_timeout');
    assert.equal((await h.store.listApprovals('expired')).length, 1);
  });

  it('strategy_modes override the tier mode for one strategy', async () => {
    h = await startHarness({
      agents: [{ id: 'a1', type: 'generic' }],
      policiesYaml: policiesWith({ tiers: { default: { mode: 'auto', strategy_modes: { restart: 'shadow' } } } }),
    });
    const r = await h.heal(await h.incident('AgentDown', 'a1'));
    assert.equal(r.kind === 'done' && r.outcome, 'shadow');
  });

  it('dry_run (per tier) reads the target but changes nothing', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { dry_run: true } } }) });
    const incident = await h.incident('AgentDown', 'a1');
    const r = await h.heal(incident);
    assert.equal(r.kind === 'done' && r.outcome, 'dry_run');
    assert.equal(h.agents.get('a1')!.state.restarts, 0);
    assert.deepEqual(h.agents.get('a1')!.calls.filter((c) => c.startsWith('PUT') || c === 'POST /admin/restart'), []);
    const [a] = await attemptsOf(h.store, incident.id);
    assert.equal(a!.mode, 'dry-run');
    assert.equal(a!.driver, 'dry-run');
  });
});

describe('the kill switch', () => {
  it('holds every new action while paused, records it once, asks no approver, and acts once resumed', async () => {
    const clock = movableClock();
    h = await startHarness({
      agents: [{ id: 'a1', type: 'generic' }], clock,
    });
    assert.ok(await h.store.setActionsPaused({ by: 'sre@example', at: clock.now(), note: 'bad deploy of Medic rules' }));
    assert.equal(await h.store.setActionsPaused({ by: 'someone-else', at: clock.now(), note: null }), false, 'pausing again changes nothing');
    assert.equal((await h.store.actionsPaused())?.by, 'sre@example', 'the first pause stands');
    const incident = await h.incident('AgentDown', 'a1');
    const first = await h.heal(incident);
    assert.equal(first.kind, 'defer');
    assert.match(first.kind === 'defer' ? first.note ?? '' : '', /paused: automatic actions are paused \(by sre@example at .*: bad deploy of Medic rules\)/);
    clock.advance(10_000);
    assert.equal((await h.heal(incident)).kind, 'defer');
    assert.equal(h.agents.get('a1')!.state.restarts, 0, 'nothing acted');
    const held = (await attemptsOf(h.store, incident.id)).filter((a) => a.outcome === 'blocked');
    assert.equal(held.length, 1, 'held once, however often it is checked');
    assert.equal(held[0]!.details.guard, 'paused');
    assert.deepEqual(h.events.filter((e) => e.startsWith('blocked')), ['blocked paused']);

    assert.ok(await h.store.setActionsPaused(null));
    assert.equal(await h.store.actionsPaused(), undefined);
    assert.equal((await h.heal(incident)).kind, 'done');
    assert.equal(h.agents.get('a1')!.state.restarts, 1, 'acts once resumed');
  });

  it('in approve mode, puts nothing to an approver while paused', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { mode: 'approve' } } }) });
    await h.store.setActionsPaused({ by: 'sre@example', at: Date.now(), note: null });
    const incident = await h.incident('AgentDown', 'a1');
    assert.equal((await h.heal(incident)).kind, 'defer');
    assert.deepEqual(await h.store.listApprovals(), [], 'no approval requested');
    await h.store.setActionsPaused(null);
    assert.equal((await h.heal(incident)).kind, 'defer');
    assert.equal((await h.store.listApprovals('pending')).length, 1, 'asked once resumed');
  });

  it('escalates a paused incident once it has waited past max_wait', async () => {
    const clock = movableClock();
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], clock, policiesYaml: policiesWith({ guards: { blast_radius: { max_wait: '5m' } } }) });
    await h.store.setActionsPaused({ by: 'sre@example', at: clock.now(), note: null });
    const incident = await h.incident('AgentDown', 'a1');
    assert.equal((await h.heal(incident)).kind, 'defer');
    clock.advance(6 * 60_000);
    const r = await h.heal(incident);
    assert.deepEqual([r.kind, r.kind === 'done' && r.outcome], ['done', 'escalated']);
    assert.equal(h.escalations[0]!.reason, 'guard_wait_exceeded');
    assert.match(h.escalations[0]!.message, /for paused: automatic actions are paused/);
    assert.equal(h.agents.get('a1')!.state.restarts, 0);
  });
});

describe("an operator's decision mode for a tier", () => {
  it('replaces the policy file\'s modes for that tier until cleared, and the decision says so', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { mode: 'auto', strategy_modes: { restart: 'auto' } } } }) });
    await h.store.setModeOverride({ tier: 'default', mode: 'shadow', by: 'sre@example', at: Date.now(), note: 'rollout of new rules' });
    const incident = await h.incident('AgentDown', 'a1');
    const r = await h.heal(incident);
    assert.deepEqual([r.kind, r.kind === 'done' && r.outcome], ['done', 'shadow'], 'shadow, though the policy says auto even for restart');
    assert.equal(h.agents.get('a1')!.state.restarts, 0);
    const [a] = await attemptsOf(h.store, incident.id);
    assert.deepEqual({ ...(a!.details.modeOverride as object), at: undefined }, { mode: 'shadow', by: 'sre@example', at: undefined, note: 'rollout of new rules' });

    await h.store.setModeOverride({ tier: 'default', mode: 'approve', by: 'sre@example', at: Date.now(), note: null });
    assert.equal((await h.heal(await h.incident('AgentDown', 'a1'))).kind, 'defer');
    assert.equal((await h.store.listApprovals('pending')).length, 1, 'approve: an approval requested');

    assert.ok(await h.store.clearModeOverride('default'));
    assert.equal((await h.heal(await h.incident('AgentDown', 'a1'))).kind, 'done');
    assert.equal(h.agents.get('a1')!.state.restarts, 1, 'back to the policy: auto acts');
  });
});

describe('deploy-aware selection', () => {
  it('errors soon after a deploy of a version not known good are rolled back first, not restarted', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }] });
    const a1 = h.agents.get('a1')!;
    a1.state.history = [...a1.state.history, { version: '1.5.0-rc1', deployed_at: new Date(Date.now() - 60_000).toISOString(), known_good: false }];
    a1.state.version = '1.5.0-rc1';
    a1.injectFault({ kind: 'bad-version', fixedBy: ['rollback'], unhealthy: true });
    const incident = await h.incident('AgentHighErrorRate', 'a1', { annotations: { error_rate: '0.3' } });
    await h.healUntilDone(incident);
    const attempts = await attemptsOf(h.store, incident.id);
    assert.deepEqual(attempts.map((a) => `${a.strategy} ${a.outcome}`), ['rollback succeeded']);
    assert.match(String(attempts[0]!.details.rule), /^trouble-after-deploy \(alertname is AgentHighErrorRate, version 1\.5\.0-rc1 \(not known good\) was deployed 6\ds before the incident\)$/);
    assert.equal(a1.state.restarts, 0);
  });

  it('the same errors on a version long in service take the ordinary ladder', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }] });
    const incident = await h.incident('AgentHighErrorRate', 'a1', { annotations: { error_rate: '0.3' } });
    await h.heal(incident);
    const attempts = await attemptsOf(h.store, incident.id);
    assert.equal(attempts[0]!.strategy, 'restart');
    assert.match(String(attempts[0]!.details.rule), /^error-rate /);
  });
});

describe('escalation paths', () => {
  it('an agent that is not in the inventory', async () => {
    h = await startHarness({ agents: [] });
    await h.heal(await h.incident('AgentDown', 'ghost-1'));
    assert.equal(h.escalations[0]!.reason, 'no_target');
    assert.match(h.escalations[0]!.message, /no inventory entry for agent "ghost-1"/);
  });

  it('a ladder whose every rung is inapplicable', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], rulesYaml: 'rules:\n  - name: only-rollback\n    ladder: [rollback, reroute]\n' });
    h.agents.get('a1')!.state.history = [{ version: '1.4.2', deployed_at: 'x', known_good: true }];
    h.agents.get('a1')!.state.replicas = 1;
    await h.heal(await h.incident('AgentDown', 'a1'));
    assert.equal(h.escalations[0]!.reason, 'ladder_exhausted');
    assert.match(h.escalations[0]!.message, /rollback: no known-good version other than the running 1\.4\.2; reroute: no backup instance/);
  });

  it('a failed verification climbs to the next rung, and the last failure escalates', async () => {
    h = await startHarness({
      agents: [{ id: 'a1', type: 'generic' }],
      policiesYaml: policiesWith({ tiers: { default: { verify_timeout: '300ms' } } }),
      rulesYaml: 'rules:\n  - name: r\n    ladder: [restart, rollback]\n',
    });
    // Only a rollback fixes this agent: the restart "works" but the agent stays unhealthy.
    h.agents.get('a1')!.injectFault({ kind: 'bad-version', fixedBy: ['rollback'], unhealthy: true });
    const incident = await h.incident('AgentDown', 'a1');
    const results = await h.healUntilDone(incident);
    assert.equal(results.at(-1)!.kind, 'done');
    const attempts = await attemptsOf(h.store, incident.id);
    assert.deepEqual(attempts.map((a) => `${a.strategy} ${a.outcome}`), ['restart verify_failed', 'rollback succeeded']);
    assert.equal(h.agents.get('a1')!.state.version, '1.4.1');
  });

  it('a driver error fails the rung and climbs; a spent ladder escalates', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], rulesYaml: 'rules:\n  - name: r\n    ladder: [scale]\n' });
    const agent = h.agents.get('a1')!;
    agent.state.summary.cpu_utilisation = 0.99;
    await agent.stop(); // the admin API is gone: every call fails
    const incident = await h.incident('AgentHighLatency', 'a1');
    const results = await h.healUntilDone(incident);
    assert.equal(results.at(-1)!.kind, 'done');
    assert.equal(h.escalations[0]!.reason, 'ladder_exhausted');
  });
});

describe('tier policy fields over several incidents', () => {
  it('restart_cooldown: no second restart inside it; allowed after', async () => {
    const clock = movableClock();
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], clock });
    await h.heal(await h.incident('AgentDown', 'a1'));
    await h.heal(await h.incident('AgentDown', 'a1'));
    assert.equal(h.agents.get('a1')!.state.restarts, 1);
    assert.match(h.escalations[0]!.message, /restart: cooling down: last restart 0s ago, cooldown 300s/);
    clock.advance(301_000);
    await h.heal(await h.incident('AgentDown', 'a1'));
    assert.equal(h.agents.get('a1')!.state.restarts, 2);
  });

  it('restart_cooldown differs by tier (critical agents: 180 s)', async () => {
    const clock = movableClock();
    h = await startHarness({ agents: [{ id: 'c1', type: 'crewai' }], clock });
    await h.heal(await h.incident('AgentDown', 'c1'));
    clock.advance(181_000);
    await h.heal(await h.incident('AgentDown', 'c1'));
    assert.equal(h.agents.get('c1')!.state.restarts, 2);
  });

  it('max_restart_attempts within attempt_window: the next restart is refused; older ones stop counting', async () => {
    const clock = movableClock();
    h = await startHarness({
      agents: [{ id: 's1', type: 'semgrep' }],
      clock,
      policiesYaml: policiesWith({ tiers: { lightweight_agents: { restart_cooldown: '1s', attempt_window: '10m' } } }),
    });
    for (let i = 0; i < 3; i++) {
      await h.heal(await h.incident('AgentDown', 's1'));
      clock.advance(2000);
    }
    assert.equal(h.agents.get('s1')!.state.restarts, 2, 'lightweight agents: max_restart_attempts 2');
    assert.match(h.escalations[0]!.message, /2 restarts within 600s reach max_restart_attempts 2/);
    clock.advance(11 * 60_000);
    await h.heal(await h.incident('AgentDown', 's1'));
    assert.equal(h.agents.get('s1')!.state.restarts, 3);
  });

  it('strategy_cooldown holds other strategies on a target', async () => {
    const clock = movableClock();
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], clock, rulesYaml: 'rules:\n  - name: r\n    ladder: [scale]\n' });
    h.agents.get('a1')!.state.summary.cpu_utilisation = 0.99;
    await h.heal(await h.incident('AgentHighLatency', 'a1'));
    await h.heal(await h.incident('AgentHighLatency', 'a1'));
    assert.match(h.escalations[0]!.message, /scale: cooling down: last scale 0s ago, cooldown 120s/);
  });

  it('aggressive_recycling: lightweight agents are restarted before their config is tuned', async () => {
    h = await startHarness({
      agents: [{ id: 's1', type: 'semgrep' }, { id: 'g1', type: 'generic' }],
      // Two agents: the default 10% fleet blast radius would hold the second one back.
      policiesYaml: policiesWith({ guards: { blast_radius: { fleet_percent: 100 } } }),
    });
    for (const id of ['s1', 'g1']) h.agents.get(id)!.state.summary.memory_bytes = 500 * MIB;
    await h.heal(await h.incident('AgentMemoryHigh', 's1'));
    await h.heal(await h.incident('AgentMemoryHigh', 'g1'));
    assert.equal(h.agents.get('s1')!.state.restarts, 1);
    assert.equal(h.agents.get('s1')!.state.config.memory_limit_mib, 512);
    assert.equal(h.agents.get('g1')!.state.restarts, 0);
    assert.equal(h.agents.get('g1')!.state.config.memory_limit_mib, 768);
  });

  it('change_expiry sets when a patch expires', async () => {
    const clock = movableClock(1_000_000);
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], clock, policiesYaml: policiesWith({ tiers: { default: { change_expiry: '15m' } } }) });
    h.agents.get('a1')!.state.summary.memory_bytes = 500 * MIB;
    await h.heal(await h.incident('AgentMemoryHigh', 'a1'));
    const [change] = await h.store.listChanges('active');
    assert.equal(change!.expiresAt - change!.appliedAt, 15 * 60_000);
  });

  it('verify_timeout bounds how long a remediation is verified', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { verify_timeout: '200ms' } } }) });
    h.agents.get('a1')!.injectFault({ kind: 'stuck', fixedBy: [], unhealthy: true });
    const incident = await h.incident('AgentDown', 'a1');
    const started = Date.now();
    await h.heal(incident);
    assert.ok(Date.now() - started < 1500);
    const [a] = await attemptsOf(h.store, incident.id);
    assert.equal(a!.outcome, 'verify_failed');
    assert.match(a!.reason, /not verified within 200 ms/);
  });
});

describe('the ineffective chain', () => {
  it('an agent that OOMs again after each memory raise is escalated after the configured tries, not raised for ever', async () => {
    const clock = movableClock();
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], clock, policiesYaml: policiesWith({ guards: { ineffective: { after: 3, window: '1h' } } }) });
    const agent = h.agents.get('a1')!;
    const limits: number[] = [];
    for (let oom = 0; oom < 6; oom++) {
      // The leak fills whatever limit it is given.
      agent.state.summary.memory_limit_bytes = Number(agent.state.config.memory_limit_mib) * MIB;
      agent.state.summary.memory_bytes = agent.state.summary.memory_limit_bytes * 0.97;
      await h.heal(await h.incident('AgentOOMKilled', 'a1'));
      limits.push(Number(agent.state.config.memory_limit_mib));
      clock.advance(3 * 60_000); // past strategy_cooldown
    }
    assert.deepEqual(limits, [768, 1152, 1728, 1728, 1728, 1728]);
    assert.equal(h.escalations.length, 3);
    assert.ok(h.escalations.every((e) => e.reason === 'ineffective_chain'));
    assert.match(h.escalations[0]!.message, /AgentOOMKilled came back after 3 successful remediations \(repair\)/);
  });
});

describe('blast radius', () => {
  it('30 agents of one type failing at once: no more than the limit act; the rest wait, then escalate', async () => {
    const clock = movableClock();
    const agents = Array.from({ length: 30 }, (_, i) => ({ id: `crewai-${i}`, type: 'crewai' }));
    h = await startHarness({
      agents, clock, restartMs: 100,
      // The whole type failing is also a storm: that guard is opened here to see the blast radius alone.
      policiesYaml: policiesWith({ guards: { blast_radius: { per_type_percent: 20, fleet_percent: 100, window: '10m', max_wait: '5m' }, storm: { min_agents: 1000 }, max_concurrent: 30, budget: { capacity: 100, refill_per_minute: 10 } } }),
    });
    const incidents = await Promise.all(agents.map((a) => h!.incident('AgentDown', a.id)));
    let acting = 0;
    let peak = 0;
    const results = await Promise.all(incidents.map(async (incident, i) => {
      const agent = h!.agents.get(agents[i]!.id)!;
      const before = agent.state.restarts;
      const r = await h!.heal(incident);
      if (agent.state.restarts > before) {
        acting++;
        peak = Math.max(peak, acting);
      }
      return r;
    }));
    const restarted = [...h.agents.values()].filter((a) => a.state.restarts > 0).length;
    assert.equal(restarted, 6, '20% of 30');
    assert.equal(results.filter((r) => r.kind === 'defer').length, 24, 'the rest wait');
    const held = () => h!.events.filter((e) => e === 'blocked blast_radius_type').length;
    assert.equal(held(), 24, 'each held incident counted once');
    assert.equal((await h.heal(incidents[27]!)).kind, 'done', 'a finished remediation gives its room back (a disruption budget, not a rate limit)');

    // Six long remediations of the type under way (verifying): the room stays full. A held incident
    // keeps waiting, is counted once, and past max_wait goes to a human.
    for (let i = 0; i < 6; i++) {
      await h.store.recordAttempt({
        incidentId: incidents[i]!.id, workItemId: null, target: `crewai-${i}`, strategy: 'restart', driver: 'http', mode: 'auto', outcome: 'in_progress',
        reason: 'restart (verifying)', startedAt: clock.now(), finishedAt: null, details: {}, agentType: 'crewai', alertname: 'AgentDown',
      });
    }
    assert.equal((await h.heal(incidents[28]!)).kind, 'defer');
    assert.equal(held(), 24, 'a recheck of a held incident is not counted again');
    clock.advance(6 * 60_000);
    const late = await h.heal(incidents[29]!);
    assert.equal(late.kind, 'done');
    assert.equal(h.escalations.at(-1)!.reason, 'guard_wait_exceeded');
    assert.ok(h.events.includes('waited blast_radius_type'), 'how long it was held is observed');
    assert.ok(peak <= 6);
  });
});

// Hardening issue, acceptance 1: an alert storm of half a 60-agent fleet is held to the configured rate
// and escalated once as a storm, not once per agent, however long it lasts.
describe('alert storm', () => {
  it('half of a 60-agent fleet failing at once: acted on at storm.rate_per_minute, escalated once', async () => {
    const clock = movableClock();
    const agents = Array.from({ length: 60 }, (_, i) => ({ id: `agent-${i}`, type: `type${i % 6}` }));
    h = await startHarness({
      agents, clock, restartMs: 50,
      // Only the storm guard is in the way: the blast radius and budget are opened wide.
      policiesYaml: policiesWith({ guards: {
        blast_radius: { per_type_percent: 100, fleet_percent: 100, max_wait: '5m' }, storm: { fleet_percent: 30, min_agents: 6, window: '5m', rate_per_minute: 2 },
        max_concurrent: 60, budget: { capacity: 1000, refill_per_minute: 1000 },
      } }),
    });
    const failing = agents.slice(0, 30);
    const incidents: Awaited<ReturnType<Harness["incident"]>>[] = [];
    for (const a of failing) incidents.push(await h.incident('AgentDown', a.id));
    const restarted = () => [...h!.agents.values()].filter((a) => a.state.restarts > 0).length;
    const round = async () => {
      const results = [];
      for (const incident of incidents) {
        const agent = h!.agents.get(incident.target)!;
        if (agent.state.restarts > 0) continue;
        results.push(await h!.heal(incident));
      }
      return results;
    };

    const first = await round();
    assert.equal(restarted(), 2, 'two actions at the start of the storm (its rate per minute)');
    assert.equal(first.filter((r) => r.kind === 'defer').length, 28, 'the rest wait their turn');
    assert.deepEqual(h.escalations.map((e) => e.reason), ['storm'], 'escalated once, as a storm');
    assert.match(h.escalations[0]!.message, /alert storm: 30 agents failing within 5 min \(the threshold is 18\): AgentDown on 30; a common cause is likely/);

    for (let minute = 1; minute <= 7; minute++) {
      clock.advance(60_000);
      await round();
      assert.ok(restarted() <= 2 + 2 * minute, `minute ${minute}: ${restarted()} restarted, at most ${2 + 2 * minute}`);
    }
    assert.equal(restarted(), 16, 'two a minute for seven minutes after the first two');
    assert.deepEqual(h.escalations.map((e) => e.reason), ['storm'], 'past max_wait, no agent of the storm is escalated on its own');
    assert.ok(h.events.includes('blocked storm'), 'held incidents are counted under the storm guard');
  });

  // The faults of the hardening issue's probe: one agent down (a crash), three serving badly. The three
  // fit the blast radius's floor (min_agents 3) and the one down takes no capacity away: all four at once.
  it('four independent faults on a 12-agent fleet are no storm and act at once, the one down outside the budget', async () => {
    const agents = Array.from({ length: 12 }, (_, i) => ({ id: `s-${i}`, type: `type${i % 4}` }));
    h = await startHarness({ agents, restartMs: 50 });
    h.agents.get('s-0')!.injectFault({ kind: 'crash', fixedBy: ['restart'], unhealthy: true });
    const incidents: Awaited<ReturnType<Harness['incident']>>[] = [];
    for (const a of agents.slice(0, 4)) incidents.push(await h.incident('AgentDown', a.id));
    const results = await Promise.all(incidents.map((i) => h!.heal(i)));
    assert.deepEqual(results.map((r) => r.kind), ['done', 'done', 'done', 'done'], JSON.stringify(results));
    assert.equal([...h.agents.values()].filter((a) => a.state.restarts > 0).length, 4);
    assert.deepEqual(h.escalations, []);
    const down = (await attemptsOf(h.store, incidents[0]!.id)).find((a) => a.strategy === 'restart')!;
    assert.equal(down.details.takesCapacity, false);
    assert.equal(down.details.guardNote, 's-0 is already down: restoring it takes no capacity away');
  });
});

describe('an action interrupted by a crash of Medic', () => {
  it('is resumed with its recorded plan and request id, not repeated, then verified', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }] });
    const agent = h.agents.get('a1')!;
    const incident = await h.incident('AgentDown', 'a1');
    // What a process that died mid-restart leaves: the attempt recorded before acting, and the
    // restart request already sent to the agent.
    const attempt = await h.store.recordAttempt({
      incidentId: incident.id, workItemId: null, target: 'a1', strategy: 'restart', driver: 'http', mode: 'auto', outcome: 'in_progress',
      reason: 'restart a1', startedAt: Date.now(), finishedAt: null, agentType: 'generic', alertname: 'AgentDown',
      details: { rule: 'otherwise', params: {}, plan: { summary: 'restart a1', steps: [], data: { gracefulTimeoutS: 1, bootIdBefore: agent.state.bootId } } },
    });
    await fetch(`${agent.adminUrl}/restart`, {
      method: 'POST', headers: { authorization: 'Bearer agent-token', 'content-type': 'application/json' },
      body: JSON.stringify({ request_id: `medic-${attempt.id}`, graceful_timeout_s: 1 }),
    });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(agent.state.restarts, 1);

    const r = await h.heal(incident);

    assert.equal(r.kind === 'done' && r.outcome, 'succeeded');
    assert.equal(agent.state.restarts, 1, 'the restart was not repeated');
    const attempts = await attemptsOf(h.store, incident.id);
    assert.deepEqual(attempts.map((a) => `${a.strategy} ${a.outcome}`), ['restart succeeded'], 'the same attempt record, completed');
  });
});

describe('a driver that hangs', () => {
  it('is cut off at its timeout, recorded as failed, and the ladder moves on', async () => {
    const { createServer } = await import('node:http');
    const sockets = new Set<import('node:net').Socket>();
    const hanging = createServer(() => undefined); // accepts, never answers
    hanging.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hanging.address() as { port: number }).port}/admin`;
    try {
      h = await startHarness({
        agents: [],
        extraInventory: [{ id: 'hung-1', type: 'generic', tier: '', driver: 'http', target: { kind: 'http', base_url: url, token: 't' } }],
        rulesYaml: 'rules:\n  - name: r\n    ladder: [restart]\n',
        httpTimeoutMs: 200,
      });
      const incident = await h.incident('AgentDown', 'hung-1');
      const started = Date.now();
      const results = await h.healUntilDone(incident);
      assert.ok(Date.now() - started < 5000, 'bounded by the driver timeout, not hung');
      assert.equal(results.at(-1)!.kind, 'done');
      const attempts = await attemptsOf(h.store, incident.id);
      assert.equal(attempts[0]!.outcome, 'failed');
      assert.match(attempts[0]!.reason, /restart failed: POST \/restart: timed out after 200 ms/);
      assert.equal(h.escalations[0]!.reason, 'ladder_exhausted');
    } finally {
      for (const s of sockets) s.destroy();
      hanging.close();
    }
  });
});

describe('verification with PromQL', () => {
  const rules = 'rules:\n  - name: r\n    ladder: [restart]\n    verify: { promql: \'up{agent="{{agent}}"} == 1\' }\n';

  it('waits until Prometheus confirms, with the inventory id in the query', async () => {
    const asked: string[] = [];
    let calls = 0;
    h = await startHarness({
      agents: [{ id: 'a1', type: 'generic' }], rulesYaml: rules,
      prometheus: { query: async (q) => (asked.push(q), ++calls >= 3 ? [1] : []) },
    });
    const incident = await h.incident('AgentDown', 'a1');
    assert.equal((await h.heal(incident)).kind, 'done');
    assert.deepEqual([...new Set(asked)], ['up{agent="a1"} == 1']);
    assert.match((await attemptsOf(h.store, incident.id))[0]!.reason, /Prometheus confirms up\{agent="a1"\} == 1/);
  });

  it('fails verification when Prometheus never confirms', async () => {
    h = await startHarness({
      agents: [{ id: 'a1', type: 'generic' }], rulesYaml: rules,
      policiesYaml: policiesWith({ tiers: { default: { verify_timeout: '200ms' } } }),
      prometheus: { query: async () => [] },
    });
    const incident = await h.incident('AgentDown', 'a1');
    await h.healUntilDone(incident);
    const [a] = await attemptsOf(h.store, incident.id);
    assert.equal(a!.outcome, 'verify_failed');
    assert.match(a!.reason, /up\{agent="a1"\} == 1 selects nothing yet/);
  });
});

describe('an alert that resolves while a breaker is open', () => {
  it('does not leave the breaker open: the remediation is carried to its end', async () => {
    h = await startHarness({
      agents: [{ id: 'a1', type: 'generic' }],
      policiesYaml: policiesWith({ tiers: { default: { circuit_break_duration: '50ms' } } }),
      rulesYaml: 'rules:\n  - name: errors\n    ladder: [circuit_break]\n    params: { circuit_break: { canary_window_s: 0.05 } }\n',
    });
    const agent = h.agents.get('a1')!;
    agent.state.summary.error_rate = 0.7;
    const incident = await h.incident('AgentHighErrorRate', 'a1');
    assert.equal((await h.heal(incident)).kind, 'defer');
    assert.equal(agent.state.circuit.state, 'open');
    agent.state.summary.error_rate = 0.01;
    const resolved = { ...incident, status: 'resolved' as const };
    const results = await h.healUntilDone(resolved);
    assert.equal(results.at(-1)!.kind, 'done');
    assert.equal(agent.state.circuit.state, 'closed');
  });

  it('a resolved alert with nothing under way is skipped', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }] });
    const incident = await h.incident('AgentDown', 'a1');
    const r = await h.heal({ ...incident, status: 'resolved' });
    assert.equal(r.kind === 'done' && r.outcome, 'skipped');
    assert.equal(h.agents.get('a1')!.state.restarts, 0);
  });
});

describe('a remedy that does not address the cause', () => {
  it('fails verification soon after the action, not at the timeout, when the same failure persists', async () => {
    h = await startHarness({
      agents: [{ id: 'a1', type: 'generic' }],
      policiesYaml: policiesWith({ tiers: { default: { verify_timeout: '20s' } } }),
      rulesYaml: 'rules:\n  - name: r\n    ladder: [restart, rollback]\n',
    });
    h.agents.get('a1')!.injectFault({ kind: 'bad-version', fixedBy: ['rollback'], unhealthy: true });
    const incident = await h.incident('AgentHighErrorRate', 'a1');
    const started = Date.now();
    await h.healUntilDone(incident);
    assert.ok(Date.now() - started < 6000, `took ${Date.now() - started} ms`);
    const attempts = await attemptsOf(h.store, incident.id);
    assert.deepEqual(attempts.map((a) => `${a.strategy} ${a.outcome}`), ['restart verify_failed', 'rollback succeeded']);
    assert.match(attempts[0]!.reason, /acted, but the target still fails as before \(bad-version\)/);
  });
});
