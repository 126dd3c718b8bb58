// What an incident's attempts say was done, as the policy replay compares two runs by.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeOutcome, outcomeOf } from '../../server/replay/replay-outcome.ts';
import type { Attempt } from '../../server/store/store.ts';

let id = 0;
const attempt = (strategy: string, outcome: string, details: Record<string, unknown> = {}, mode = 'auto'): Attempt => ({
  id: ++id, incidentId: 1, workItemId: 1, target: 'a1', strategy, driver: 'http', mode, outcome, reason: '', startedAt: id, finishedAt: id, details, agentType: 'crewai', alertname: 'AgentDown',
});

describe('replay outcome', () => {
  it('keeps the strategies that acted in order, once per run of phases, and what held or escalated', () => {
    const o = outcomeOf([
      attempt('restart', 'blocked', { tier: 'critical_agents', guard: 'budget' }),
      attempt('restart', 'failed', { tier: 'critical_agents' }),
      attempt('circuit_break', 'in_progress', { ladderClimbed: ['restart: cooling down: last restart 3s ago, cooldown 180s'] }),
      attempt('circuit_break', 'succeeded'),
      attempt('none', 'escalated', { escalation: 'ineffective_chain' }),
    ]);
    assert.deepEqual(o, { tier: 'critical_agents', acted: ['restart', 'circuit_break'], proposed: [], escalations: ['ineffective_chain'], guards: ['budget'], cooldowns: 1, rejected: false });
    assert.equal(describeOutcome(o), 'acted: restart → circuit_break; escalated: ineffective_chain');
  });

  it('tells a dry run, shadow, notify, a rejection and waiting apart from acting', () => {
    assert.equal(describeOutcome(outcomeOf([attempt('restart', 'succeeded', {}, 'dry-run')])), 'nothing done', 'a dry run changed nothing');
    assert.equal(describeOutcome(outcomeOf([attempt('restart', 'shadow')])), 'decided without acting: restart (shadow)');
    assert.equal(describeOutcome(outcomeOf([attempt('rollback', 'notified')])), 'decided without acting: rollback (notified)');
    assert.equal(describeOutcome(outcomeOf([attempt('restart', 'awaiting_approval'), attempt('restart', 'rejected'), attempt('none', 'escalated', { escalation: 'rejected' })])),
      'an operator rejected it; escalated: rejected');
    assert.equal(describeOutcome(outcomeOf([attempt('restart', 'awaiting_approval')]), true), 'waits for an operator (approve mode; the record has no answer)');
  });
});
