// `approve` mode: the first run asks an operator (an approval record the API settles), later runs
// wait for the answer; a rejection ends Medic's part and hands the incident to a person (an escalation:
// the agent is still failing, and nothing else will act on it), no answer in time escalates, an approval is
// spent on exactly one action: the one the fleet guards then admit (an approved incident a guard holds
// keeps its approval, and is not put to the operator again).
import type { EngineResult, EngineStore } from '../engine-ports.ts';
import type { Plan } from '../strategies/strategy.ts';
import type { StrategyName } from '../types.ts';

export interface ApprovalGateInput {
  store: Pick<EngineStore, 'latestApproval' | 'createApproval' | 'settleApproval'>;
  incidentId: number;
  strategy: StrategyName;
  plan: Plan;
  decision: Record<string, unknown>;
  now: number;
  approvalTimeoutMs: number;
  recheckMs: number;
  record(a: { strategy: string; outcome: string; reason: string; mode?: string; details?: Record<string, unknown> }): Promise<unknown>;
  escalate(reason: 'approval_timeout' | 'rejected', message: string): Promise<EngineResult>;
  blocked(): void;
  /** An approved incident acts after waiting this long for its approval. */
  waited?(seconds: number): void;
}

/** Approved: `spend` it when the action is admitted. Otherwise what this run ends with. */
export async function approvalGate(g: ApprovalGateInput): Promise<EngineResult | { spend: () => Promise<void>; approved: { approval: number; by: string | null; note: string | null } }> {
  const approval = await g.store.latestApproval(g.incidentId, g.strategy);
  if (!approval || approval.state === 'used' || approval.state === 'expired') {
    const created = await g.store.createApproval({
      incidentId: g.incidentId, strategy: g.strategy, plan: { summary: g.plan.summary, steps: g.plan.steps, data: g.plan.data },
      requestedAt: g.now, expiresAt: g.now + g.approvalTimeoutMs,
    });
    await g.record({
      strategy: g.strategy, outcome: 'awaiting_approval', mode: 'approve', reason: `approval ${created.id} requested: ${g.plan.summary}`,
      details: { ...g.decision, approval: created.id },
    });
    g.blocked();
    return { kind: 'defer', afterMs: g.recheckMs, note: `awaiting approval ${created.id}` };
  }
  if (approval.state === 'pending') {
    if (approval.expiresAt <= g.now) {
      await g.store.settleApproval(approval.id, 'pending', 'expired', null, g.now, 'no decision before the approval timeout');
      return g.escalate('approval_timeout', `approval ${approval.id} for ${g.strategy} was not decided within ${g.approvalTimeoutMs / 1000}s`);
    }
    return { kind: 'defer', afterMs: g.recheckMs, note: `awaiting approval ${approval.id}` };
  }
  if (approval.state === 'rejected') {
    await g.record({
      strategy: g.strategy, outcome: 'rejected', mode: 'approve',
      reason: `${approval.decidedBy ?? 'an operator'} rejected ${g.plan.summary}${approval.note ? `: ${approval.note}` : ''}`,
    });
    return g.escalate('rejected', `${approval.decidedBy ?? 'an operator'} rejected ${g.plan.summary}${approval.note ? ` (${approval.note})` : ''}; Medic will not act on this incident: it needs a person`);
  }
  return {
    // Recorded with the action: who let it run.
    approved: { approval: approval.id, by: approval.decidedBy, note: approval.note },
    spend: async () => {
      await g.store.settleApproval(approval.id, 'approved', 'used', approval.decidedBy, g.now, approval.note);
      g.waited?.((g.now - approval.requestedAt) / 1000);
    },
  };
}
