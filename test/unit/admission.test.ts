// The admission rules (remediations/decide/admission.ts), pure: the guards' shared state in, the verdict
// and the writes out. Here the writes are applied to an in-memory state, as the store applies them in
// its transaction; test/integration/store-contract.test.ts checks both stores do the same.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAdmission, refill, type AdmissionRequest } from '../../remediations/decide/admission.ts';
import { defaultPolicies, type Guards } from '../../remediations/decide/policies.ts';
import type { GuardState } from '../../server/store/guards-store.ts';

const base = defaultPolicies().guards;

/** A shared state and an admit() that applies each decision's writes to it, as a store would. */
function fleet(guards: Guards, size = 100) {
  const state: GuardState = { reservations: [], buckets: new Map(), failing: [], disrupting: [] };
  const admit = (target: string, now: number, over: Partial<AdmissionRequest> = {}) => {
    const holder = `work:${target}`;
    const { writes, result } = decideAdmission({
      holder, workItemId: null, target, agentType: 't', targetDown: false, typeSize: size, fleetSize: size,
      known: () => true, ignoredAlertnames: ['AgentFailurePredicted'], now, guards, ...over,
    }, { ...state, reservations: state.reservations.filter((r) => r.holder !== holder) });
    if (writes.reserve) state.reservations.push(writes.reserve);
    for (const b of writes.put) state.buckets.set(b.name, b);
    for (const n of writes.drop) state.buckets.delete(n);
    return result;
  };
  const release = (target: string) => void (state.reservations = state.reservations.filter((r) => r.target !== target));
  return { state, admit, release };
}

const open = { ...base, blast_radius: { ...base.blast_radius, per_type_percent: 100, fleet_percent: 100 } };

describe('admission', () => {
  it('a token bucket starts full and refills at its rate, never past its capacity', () => {
    const b = refill(undefined, 'budget', 2, 6, 1000);
    assert.deepEqual(b, { name: 'budget', tokens: 2, at: 1000, since: 1000 });
    assert.equal(refill({ ...b, tokens: 0 }, 'budget', 2, 6, 11_000).tokens, 1, '6 per minute: one token per 10 s');
    assert.equal(refill({ ...b, tokens: 0 }, 'budget', 2, 6, 600_000).tokens, 2);
  });

  it('the healing budget is spent by admitted actions and refills with time', () => {
    const f = fleet({ ...open, budget: { capacity: 2, refill_per_minute: 6 } });
    assert.equal(f.admit('a', 0).verdict.ok, true);
    assert.equal(f.admit('b', 0).verdict.ok, true);
    const c = f.admit('c', 0).verdict;
    assert.equal(!c.ok && c.guard, 'budget');
    assert.equal(f.admit('c', 10_000).verdict.ok, true, 'a token 10 s later');
    assert.equal(f.state.reservations.length, 3);
  });

  it('max_concurrent counts every reservation; a release frees a slot; a holder does not count against itself', () => {
    const f = fleet({ ...open, max_concurrent: 2 });
    assert.ok(f.admit('a', 0).verdict.ok && f.admit('b', 0).verdict.ok);
    const c = f.admit('c', 0).verdict;
    assert.deepEqual(c, { ok: false, guard: 'concurrency', reason: '2 remediations already acting; max_concurrent is 2' });
    assert.equal(f.admit('b', 0).verdict.ok, true, "b's own reservation (a claim taken over) is replaced, not counted");
    f.release('a');
    assert.equal(f.admit('c', 0).verdict.ok, true);
  });

  it('the blast radius counts reservations that take capacity and actions in progress, not those whose target was down', () => {
    const f = fleet({ ...base, blast_radius: { ...base.blast_radius, fleet_percent: 10, per_type_percent: 100, min_agents: 1 } }, 20);
    assert.equal(f.admit('down', 0, { targetDown: true }).verdict.ok, true);
    assert.equal(f.admit('a', 0).verdict.ok, true, 'the down one takes no capacity: 1 of 2 allowed');
    f.state.disrupting.push({ target: 'recorded', agentType: 't' });
    const r = f.admit('b', 0).verdict;
    assert.equal(!r.ok && r.guard, 'blast_radius_fleet');
  });

  it('tokens are spent only when every guard admits', () => {
    const f = fleet({ ...open, max_concurrent: 1, budget: { capacity: 5, refill_per_minute: 0.001 } });
    assert.equal(f.admit('a', 0).verdict.ok, true);
    for (let i = 0; i < 10; i++) assert.equal(f.admit(`x${i}`, 0).verdict.ok, false);
    assert.equal(Math.floor(f.state.buckets.get('budget')!.tokens), 4, 'ten refusals by concurrency spent nothing');
  });

  it('a storm starts once (one escalation, whoever admits first), holds actions to its rate, and ends with its alerts', () => {
    const g = { ...open, storm: { ...base.storm, min_agents: 6, fleet_percent: 30, rate_per_minute: 2 } };
    const f = fleet(g, 20);
    f.state.failing = Array.from({ length: 6 }, (_, i) => ({ target: `a${i}`, alertname: 'AgentDown' }));
    const first = f.admit('a0', 0);
    assert.equal(first.verdict.ok, true);
    assert.equal(first.stormStarted?.failing, 6);
    const second = f.admit('a1', 1000);
    assert.equal(second.stormStarted, undefined, 'escalated once');
    assert.equal(second.verdict.ok, true, 'two per minute');
    const third = f.admit('a2', 2000).verdict;
    assert.equal(!third.ok && third.guard, 'storm');
    assert.equal(f.admit('a2', 32_000).verdict.ok, true, 'one more token after 30 s');
    assert.equal(f.state.buckets.get('storm')!.since, 0, 'the storm keeps its start');
    f.state.failing = [];
    const over = f.admit('a3', 40_000);
    assert.deepEqual(over.stormEnded, { failing: 0, threshold: 6, since: 0 });
    assert.equal(f.state.buckets.has('storm'), false);
  });

  it('predicted failures and agents outside the inventory make no storm', () => {
    const f = fleet(open, 20);
    f.state.failing = Array.from({ length: 10 }, (_, i) => ({ target: `a${i}`, alertname: i < 5 ? 'AgentFailurePredicted' : 'AgentDown' }));
    assert.equal(f.admit('x', 0, { known: (t) => t !== 'a9' }).stormStarted, undefined, '4 known failing, under min_agents 6');
  });
});
