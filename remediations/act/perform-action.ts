// Acting on a chosen rung: record the attempt before acting, run the strategy bounded in time through
// the acting driver, then verify and record the outcome. A retryable failure keeps the attempt in
// progress and comes back after a backoff to the same rung (same request id, so the agent sees one
// action); a terminal one, or one past its tries, fails the rung so the next run climbs.
import { randomUUID } from 'node:crypto';
import { transition } from '../decide/circuit-breaker.ts';
import type { TierPolicy } from '../decide/policies.ts';
import type { EngineIncident, EngineLog, EngineOptions, EngineResult, Recovery } from '../engine-ports.ts';
import type { Attempt } from '../records.ts';
import type { Plan, Strategy } from '../strategies/strategy.ts';
import type { ActionRequest, Agent, Driver } from '../types.ts';
import { incidentRecorder } from './record.ts';
import { verify } from './verification.ts';
import { deadlineSignal } from '../../lib/deadline-signal.ts';

export interface ActionInput {
  incident: EngineIncident;
  workItemId: number | null;
  agent: Agent;
  tier: TierPolicy;
  driver: Driver;
  dryRun: boolean;
  strategy: Strategy;
  plan: Plan;
  /** What was decided and why, recorded with the attempt. */
  decision: Record<string, unknown> & { params: Record<string, unknown>; rule: string; verifyPromql?: string; observed?: Record<string, unknown> };
  /** The attempt being resumed (a breaker's next phase, a retry, an action a crash interrupted). */
  resumed: Attempt | undefined;
  signal: AbortSignal;
  log: EngineLog;
}

export async function performAction(o: EngineOptions, a: ActionInput): Promise<EngineResult> {
  const { incident, agent, tier, driver, dryRun, strategy, plan, decision, signal, log } = a;
  const name = strategy.name;
  const now = () => o.clock.now();
  const startedAt = now();
  // Recorded before acting: a crash from here on leaves an attempt that says what was under way.
  // Its idempotency key is random and recorded with it, so a retry or a resume sends the same key, and no
  // other database (a new one, or one restored from a backup) ever sends it: an attempt id alone repeats.
  const attempt = a.resumed ?? (await o.store.recordAttempt({
    incidentId: incident.id, workItemId: a.workItemId, target: agent.id, strategy: name, driver: driver.name, mode: dryRun ? 'dry-run' : decision.approved ? 'approve' : 'auto',
    outcome: 'in_progress', reason: plan.summary, startedAt, finishedAt: null, details: { ...decision, requestId: `medic-${randomUUID()}` },
    agentType: agent.type, alertname: incident.alertname,
  }));
  // Attempts recorded before the key was (older databases) keep the id they were sent with.
  const requestId = typeof attempt.details.requestId === 'string' ? attempt.details.requestId : `medic-${attempt.id}`;
  const phases = (attempt.details.phases as unknown[] | undefined) ?? [];
  const timeout = deadlineSignal(o.actionTimeoutMs ?? tier.verify_timeout, signal);
  const finish = async (outcome: string, reason: string, extra: Record<string, unknown>) =>
    o.store.updateAttempt(attempt.id, {
      outcome, reason, finishedAt: outcome === 'in_progress' ? null : now(),
      details: { ...attempt.details, ...extra, phases: [...phases, { at: new Date(now()).toISOString(), summary: plan.summary, ...extra }] },
    });
  const elapsedS = () => (now() - startedAt) / 1000;
  if (!dryRun) o.observer.acting({ strategy: name, tier: tier.name, fault: faultLabel(decision.rule) });

  let outcome;
  try {
    outcome = await strategy.execute(plan, {
      agent, tier, signal: timeout, now, requestId,
      perform: (request: ActionRequest) => driver.perform(agent, request, timeout),
      moveBreaker: async (to, nextCheckAt) => {
        const current = await o.store.getBreaker(agent.id);
        const t = transition(current?.state ?? 'closed', to, now());
        await o.store.saveBreaker({ target: agent.id, agentType: agent.type, state: to, changedAt: t.at, nextCheckAt, opens: (current?.opens ?? 0) + (to === 'open' ? 1 : 0) });
        o.observer.breaker(agent.type, to);
        log.info({ from: t.from, to: t.to, event: t.event }, 'circuit breaker moved');
      },
    });
  } catch (err) {
    const message = (err as Error).message;
    const reason = `${name} failed: ${message}${timeout.aborted && !signal.aborted ? ' (cut off at its time limit)' : ''}`;
    const tries = Number(attempt.details.tries ?? 0) + 1;
    const again = o.retry(err, tries);
    if (again) {
      // The same rung again, not the next one: one 503 must not spend a remedy for the whole incident.
      await finish('in_progress', `${reason}; retrying in ${again.afterMs} ms (try ${tries + 1})`, { error: message, retryable: true, tries });
      log.warn({ strategy: name, err: message, tries, retryInMs: again.afterMs }, `${reason}; will retry the same strategy`);
      return { kind: 'defer', afterMs: again.afterMs, note: reason };
    }
    await finish('failed', reason, { error: message, tries });
    o.observer.remediation(name, 'failed', elapsedS());
    log.warn({ strategy: name, err: message, tries }, reason);
    // The failed rung is now in the history: the next run climbs past it.
    return { kind: 'defer', afterMs: 0, note: reason };
  }

  if (outcome.status === 'wait') {
    await finish('in_progress', outcome.summary, { ...outcome.details, params: decision.params, rule: decision.rule });
    return { kind: 'defer', afterMs: Math.max(0, outcome.afterMs), note: outcome.summary };
  }
  if (outcome.status === 'failed') {
    await finish('failed', outcome.summary, outcome.details);
    o.observer.remediation(name, 'failed', elapsedS());
    if (strategy.onFailed !== 'climb') {
      // The target is left mid-way (a breaker that cannot be moved on): a human must finish it.
      return incidentRecorder(o, incident, a.workItemId, () => ({ agent, driver: driver.name })).escalate(strategy.onFailed.escalate, outcome.summary);
    }
    return { kind: 'defer', afterMs: 0, note: outcome.summary };
  }

  // A dry run changed nothing: no change to revert later, nothing to silence or verify.
  if (!dryRun) {
    for (const c of outcome.changes ?? []) {
      await o.store.recordChange({
        incidentId: incident.id, attemptId: attempt.id, target: agent.id, kind: c.kind, before: c.before, after: c.after, appliedAt: now(), expiresAt: now() + tier.change_expiry,
      });
    }
  }
  const actedAt = now();
  const failingBefore = decision.observed?.healthy === false ? decision.observed.healthReason : undefined;
  const silence = dryRun ? undefined : await o.silencer?.silence(incident, attempt.id, tier.verify_timeout + 60_000);
  const verification = dryRun
    ? { ok: true, reason: 'dry-run: nothing was changed, nothing to verify', checks: 0, durationMs: 0 }
    : await verify(driver, agent, {
      ...outcome.expect,
      ...(decision.verifyPromql ? { promql: decision.verifyPromql } : {}),
      ...(typeof failingBefore === 'string' && failingBefore ? { failingBefore } : {}),
    }, { timeoutMs: tier.verify_timeout, intervalMs: o.verifyIntervalMs ?? 500, signal, prometheus: o.prometheus });
  if (!verification.ok) {
    // The alert must page again now that this remedy did not hold.
    if (silence) await o.silencer?.expire(silence);
    await finish('verify_failed', `${outcome.summary}; ${verification.reason}`, { ...outcome.details, verification, silence });
    o.observer.remediation(name, 'verify_failed', elapsedS());
    log.warn({ strategy: name, checks: verification.checks }, verification.reason);
    return { kind: 'defer', afterMs: 0, note: verification.reason };
  }
  // Healed: the silence has done its job, and holding it would hold back Alertmanager's resolve too.
  if (silence) await o.silencer?.expire(silence);
  const result = dryRun ? 'dry_run' : 'succeeded';
  await finish(result, `${outcome.summary}; ${verification.reason}`, { ...outcome.details, verification, silence });
  o.observer.remediation(name, result, elapsedS());
  if (!dryRun) o.observer.recovered(recovery(incident, { strategy: name, tier: tier.name, fault: decision.rule, actionStart: attempt.startedAt, actedAt, verifiedAt: now() }));
  log.info({ strategy: name, driver: driver.name, durationMs: Math.round(elapsedS() * 1000) }, `remediation ${result}: ${outcome.summary}`);
  return { kind: 'done', outcome: result, reason: outcome.summary };
}

/** The decision records the rule as 'name (why)': the name alone is the label, a closed set from the policy. */
export const faultLabel = (rule: string): string => rule.split(' (')[0] || 'unknown';

/**
 * Time to recovery from the alert's start (its startsAt; Medic's first sight of it when that is missing
 * or later), split into phases that add up to it. A resumed attempt's action started when it first did.
 */
export function recovery(
  incident: Pick<EngineIncident, 'startsAt' | 'firstSeenAt'>,
  r: { strategy: Recovery['strategy']; tier: string; fault: string; actionStart: number; actedAt: number; verifiedAt: number },
): Recovery {
  const alerted = Date.parse(incident.startsAt ?? '');
  const start = Number.isFinite(alerted) && alerted > 0 ? Math.min(alerted, incident.firstSeenAt) : incident.firstSeenAt;
  const received = Math.max(start, incident.firstSeenAt);
  const actionStart = Math.max(received, Math.min(r.actionStart, r.actedAt));
  const s = (a: number, b: number) => Math.max(0, b - a) / 1000;
  return {
    strategy: r.strategy, tier: r.tier, fault: faultLabel(r.fault),
    seconds: s(start, r.verifiedAt),
    phases: { routing: s(start, received), queueing: s(received, actionStart), action: s(actionStart, r.actedAt), verification: s(r.actedAt, r.verifiedAt) },
  };
}
