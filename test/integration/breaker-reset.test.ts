// An operator resets a circuit breaker on a real simulated agent: between its phases (the remediation
// under way ends, recorded as theirs) and stuck open past its re-openings; the breaker closes on the
// agent, its traffic comes back, and the engine does not open it again at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPolicies } from '../../remediations/decide/policies.ts';
import { resetBreaker } from '../../remediations/act/breaker-reset.ts';
import { buildInventory } from '../../remediations/inventory.ts';
import { attemptsOf, policiesWith, startHarness, type Harness } from '../helpers/engine-harness.ts';
import { simTarget, type SimTarget } from '../helpers/sim-target.ts';


const RULES = 'rules:\n  - name: errors\n    match: { alertname: [AgentHighErrorRate] }\n    ladder: [circuit_break, restart]\n    params: { circuit_break: { canary_window_s: 0.03, max_reopens: 1 } }\n';

/** One simulated agent behind the engine, for the length of `test`. */
async function withAgent(breakDuration: string, test: (c: { t: SimTarget; h: Harness; reset: (by: string, note?: string | null) => ReturnType<typeof resetBreaker> }) => Promise<void>) {
  const t = await simTarget('http', 'agent-b', 'generic');
  const h = await startHarness({ agents: [], extraInventory: [t.entry], policiesYaml: policiesWith({ tiers: { default: { circuit_break_duration: breakDuration } } }), rulesYaml: RULES });
  const reset = (by: string, note: string | null = null) => resetBreaker({
    store: h.store, inventory: buildInventory(h.inventory), drivers: h.drivers, policies: defaultPolicies(), clock: { now: () => Date.now() }, timeoutMs: 2000,
  }, 'agent-b', by, note);
  try {
    await test({ t, h, reset });
  } finally {
    await t.stop();
    await h.dispose();
  }
}

describe('breaker reset', () => {
  it('closes a breaker between its phases, gives the traffic back, ends the remediation as the operator\'s', () => withAgent('10m', async ({ t, h, reset }) => {
    assert.deepEqual(await reset('alice'), { ok: false, status: 404, error: 'no circuit breaker for agent-b' });
    await t.patchSummary({ error_rate: 0.7 });
    const incident = await h.incident('AgentHighErrorRate', 'agent-b', { annotations: { error_rate: '0.7' } });
    assert.equal((await h.heal(incident)).kind, 'defer', 'open, waiting out ten minutes');
    assert.deepEqual([(await t.state()).circuit.state, (await t.state()).traffic.weight], ['open', 0]);

    const r = await reset('alice', 'the upstream is fixed');
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual({ from: r.from, state: r.state, trafficRestored: r.trafficRestored }, { from: 'open', state: 'closed', trafficRestored: true });
    const s = await t.state();
    assert.deepEqual([s.circuit.state, s.traffic.weight], ['closed', 1], 'closed on the agent, its traffic back');
    assert.equal((await h.store.getBreaker('agent-b'))!.state, 'closed');
    const [attempt] = (await attemptsOf(h.store, incident.id)).filter((a) => a.strategy === 'circuit_break');
    assert.equal(attempt!.outcome, 'succeeded');
    assert.equal(attempt!.reason, 'breaker closed by alice (operator reset), traffic restored: the upstream is fixed');
    assert.equal((attempt!.details.reset as { by: string }).by, 'alice');
    assert.deepEqual(await reset('bob'), { ok: false, status: 409, error: 'the circuit breaker of agent-b is closed already' });

    // The alert still fires: the engine goes on with the ladder, and the breaker's cooldown keeps it closed.
    await t.patchSummary({ error_rate: 0.01 });
    const next = await h.heal(incident);
    assert.equal((await t.state()).circuit.state, 'closed', `not opened again at once: ${JSON.stringify(next)}`);
  }));

  it('closes a breaker stuck open past its re-openings', () => withAgent('30ms', async ({ t, h, reset }) => {
    await t.patchSummary({ error_rate: 0.3 });
    const results = await h.healUntilDone(await h.incident('AgentHighErrorRate', 'agent-b'));
    assert.equal(results.at(-1)!.kind, 'done');
    assert.equal(h.escalations[0]!.reason, 'breaker_stuck');
    assert.equal((await t.state()).circuit.state, 'open');
    const r = await reset('alice');
    assert.ok(r.ok && r.attempt === null && r.from === 'open', JSON.stringify(r));
    assert.equal((await t.state()).circuit.state, 'closed');
    assert.equal((await h.store.getBreaker('agent-b'))!.state, 'closed');
  }));
});
