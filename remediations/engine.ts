// The remediation engine: one incident in, one decision out, every step recorded and explained.
// resolve the target → observe it → select a ladder → climb past what is cooling down, spent or
// inapplicable → apply the decision mode and the fleet guards → record → act → verify → record.
// It is level-triggered: each run re-reads the history and the target's live state, so running the same
// incident twice never repeats a completed action.
import type { Clock } from '../lib/clock.ts';
import { transition, type BreakerState } from './decide/circuit-breaker.ts';
import { blastRadius, FleetGuards, type GuardName, type GuardVerdict } from './decide/guards.ts';
import type { Inventory } from './inventory.ts';
import type { AnomalyAssessment, Approval, ApprovalState, Attempt, AttemptUpdate, BreakerRecord, ChangeRecord, NewAttempt } from './records.ts';
import { modeFor, tierFor, type DecisionMode, type Policies, type TierPolicy } from './decide/policies.ts';
import { errorRateFromAnnotations, select, type IncidentFacts, type SelectionRule } from './decide/selection.ts';
import { STRATEGIES } from './strategies/index.ts';
import { isSkip, type ChangeSpec, type HealingContext, type Observation, type Plan, type PlanResult, type VersionEntry } from './strategies/strategy.ts';
import { DriverError, type ActionRequest, type Agent, type Driver, type StrategyName } from './types.ts';
import { verify, type PromQuery } from './act/verification.ts';

/** The incident as the engine needs it (the server's Incident has more). */
export interface EngineIncident {
  id: number;
  alertname: string;
  severity: string;
  status: 'firing' | 'resolved';
  target: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  firstSeenAt: number;
  /** The anomaly model's reading of the agent, once scored (null or absent: not scored yet). */
  anomaly?: AnomalyAssessment | null;
}

/** Scores an incident's agent (server: Prometheus window → features → model). May throw; the engine then decides without it. */
export interface IncidentScorer {
  score(incident: EngineIncident, agent: Agent, signal: AbortSignal): Promise<AnomalyAssessment | undefined>;
}

/** The part of the server's store the engine uses. */
export interface EngineStore {
  history(target: string, since: number): Promise<Attempt[]>;
  recordAttempt(a: NewAttempt): Promise<Attempt>;
  updateAttempt(id: number, u: AttemptUpdate): Promise<Attempt>;
  actedTargetsSince(since: number): Promise<{ target: string; agentType: string | null }[]>;
  getBreaker(target: string): Promise<BreakerRecord | undefined>;
  saveBreaker(b: BreakerRecord): Promise<void>;
  recordChange(c: Omit<ChangeRecord, 'id' | 'state' | 'settledAt' | 'note'>): Promise<ChangeRecord>;
  createApproval(a: Omit<Approval, 'id' | 'state' | 'decidedBy' | 'decidedAt' | 'note'>): Promise<Approval>;
  latestApproval(incidentId: number, strategy: string): Promise<Approval | undefined>;
  settleApproval(id: number, from: ApprovalState, to: ApprovalState, by: string | null, now: number, note: string | null): Promise<boolean>;
  saveAnomaly(incidentId: number, a: AnomalyAssessment): Promise<void>;
}

export type { AnomalyAssessment } from './records.ts';

export type EscalationReason =
  | 'no_target' | 'no_driver' | 'ladder_exhausted' | 'ineffective_chain' | 'guard_wait_exceeded' | 'approval_timeout' | 'notify' | 'breaker_stuck';

export interface Escalation {
  incident: EngineIncident;
  agent?: Agent;
  reason: EscalationReason;
  message: string;
}

/** Tells humans: posts a MedicEscalation alert, pages, or just logs. Must not throw. */
export interface Escalator {
  escalate(e: Escalation): Promise<void>;
}

/** Silences an incident's alert while its remediation is verified, so nobody is paged for what is being fixed. */
export interface Silencer {
  /** Returns the silence id, or undefined when none could be made. Must not throw. */
  silence(incident: EngineIncident, attemptId: number, durationMs: number): Promise<string | undefined>;
  expire(silenceId: string): Promise<void>;
}

/** Where the engine's events become metrics (the server owns the metric definitions). */
export interface EngineObserver {
  remediation(strategy: StrategyName, result: 'succeeded' | 'failed' | 'verify_failed' | 'shadow' | 'dry_run', durationS: number): void;
  recovered(seconds: number): void;
  escalated(reason: EscalationReason): void;
  guardBlocked(guard: GuardName | 'cooldown' | 'attempt_limit' | 'mode'): void;
  breaker(agentType: string, state: BreakerState): void;
}

export interface EngineLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EngineOptions {
  store: EngineStore;
  inventory: Inventory;
  policies: Policies;
  rules: SelectionRule[];
  drivers: { get(name: string): Driver | undefined; dryRun(of: Driver | undefined): Driver };
  escalator: Escalator;
  silencer?: Silencer;
  observer: EngineObserver;
  clock: Clock;
  /** Every target acts through the dry-run driver. */
  dryRun: boolean;
  /** For rules that verify with PromQL. */
  prometheus?: PromQuery;
  /** The anomaly model; without it, selection uses the alert's own anomaly_type annotation only. */
  scorer?: IncidentScorer;
  /** How long guards and approvals wait between looks. */
  recheckMs?: number;
  verifyIntervalMs?: number;
  actionTimeoutMs?: number;
}

export type EngineResult =
  | { kind: 'done'; outcome: string; reason: string }
  | { kind: 'defer'; afterMs: number; note: string };

const ACTED = new Set(['in_progress', 'succeeded', 'failed', 'verify_failed']);
const FAILED = new Set(['failed', 'verify_failed']);

export class RemediationEngine {
  private readonly guards: FleetGuards;
  private readonly recheckMs: number;

  constructor(private readonly o: EngineOptions) {
    this.guards = new FleetGuards(o.policies.guards, o.clock);
    this.recheckMs = o.recheckMs ?? 5000;
  }

  async heal(incident: EngineIncident, workItemId: number | null, signal: AbortSignal, log: EngineLog): Promise<EngineResult> {
    const now = this.o.clock.now();
    const record = (a: Partial<NewAttempt> & Pick<NewAttempt, 'strategy' | 'outcome' | 'reason'>) =>
      this.o.store.recordAttempt({
        incidentId: incident.id, workItemId, target: incident.target, driver: agent?.driver ?? 'none', mode: 'auto',
        startedAt: now, finishedAt: now, details: {}, agentType: agent?.type ?? null, alertname: incident.alertname, ...a,
      });

    const agent = this.o.inventory.resolve(incident.labels);
    if (!agent && incident.status === 'resolved') {
      await record({ strategy: 'none', outcome: 'skipped', reason: 'the alert resolved before Medic acted' });
      return { kind: 'done', outcome: 'skipped', reason: 'resolved' };
    }
    if (!agent) {
      const reason = incident.labels.agent
        ? `no inventory entry for agent ${JSON.stringify(incident.labels.agent)}: nothing Medic may act on`
        : 'the alert has no agent label: nothing Medic may act on';
      return this.escalate(incident, undefined, 'no_target', reason, record);
    }
    const tier = tierFor(this.o.policies, agent.type, agent.tier);
    const real = this.o.drivers.get(agent.driver);
    const dryRun = this.o.dryRun || tier.dry_run || agent.driver === 'dry-run';
    const driver = dryRun ? this.o.drivers.dryRun(real) : real;
    if (!driver) return this.escalate(incident, agent, 'no_driver', `driver ${agent.driver} is not available`, record);

    const history = await this.o.store.history(agent.id, now - Math.max(tier.attempt_window, tier.restart_cooldown, tier.strategy_cooldown, this.o.policies.guards.ineffective.window));
    const mine = history.filter((a) => a.incidentId === incident.id);
    // A resolved alert needs nothing new, but a remediation already under way (a breaker between its
    // phases) is carried to its end: an open breaker must not be left open because the alert cleared.
    if (incident.status === 'resolved' && !mine.some((a) => a.outcome === 'in_progress')) {
      await record({ strategy: 'none', outcome: 'skipped', reason: 'the alert resolved before Medic acted' });
      return { kind: 'done', outcome: 'skipped', reason: 'resolved' };
    }

    const inProgress = [...mine].reverse().find((a) => a.outcome === 'in_progress');
    // Scored once per incident, beside the look at the target (both are reads): a resumed remediation
    // keeps the reading it was chosen on.
    const [anomaly, observed] = await Promise.all([
      incident.anomaly ?? (inProgress ? undefined : this.assess(incident, agent, signal, log)),
      this.observe(driver, agent, signal),
    ]);
    const facts: IncidentFacts = {
      alertname: incident.alertname, severity: incident.severity, labels: incident.labels, annotations: incident.annotations,
      errorRate: errorRateFromAnnotations(incident.annotations) ?? observed.summary?.errorRate,
      errorSignature: incident.annotations.error_signature || undefined,
      // The alert's own annotation (AgentAnomalous carries one) wins over Medic's reading of the window.
      anomalyType: incident.annotations.anomaly_type || (anomaly?.isAnomaly ? anomaly.type : undefined),
      recentDeploy: recentDeploy(observed.version, incident.firstSeenAt),
    };

    // A strategy in progress for this incident is resumed, not re-selected: a breaker between its
    // phases, or an action the previous process was performing when it died. The recorded plan and
    // the attempt's request id make the resumed action idempotent (an agent answers a repeated
    // restart request id with the first call's result), and verification then tells what happened.

    let chosen: { strategy: StrategyName; plan: Plan; params: Record<string, number | string | boolean>; rule: string; climbed: string[]; verifyPromql?: string } | undefined;
    if (inProgress) {
      const strategy = inProgress.strategy as StrategyName;
      const params = (inProgress.details.params as Record<string, number | string | boolean> | undefined) ?? {};
      const recorded = inProgress.details.plan as Omit<Plan, 'strategy'> | undefined;
      const plan: PlanResult = strategy === 'circuit_break' || !recorded
        ? STRATEGIES[strategy].plan(this.context(incident, facts, agent, tier, params, observed, now))
        : { strategy, ...recorded };
      if (isSkip(plan)) {
        await this.o.store.updateAttempt(inProgress.id, { outcome: 'failed', reason: plan.skip, finishedAt: now, details: inProgress.details });
        return { kind: 'defer', afterMs: 0, note: `${strategy} cannot continue: ${plan.skip}` };
      }
      if (strategy !== 'circuit_break') log.warn({ strategy, attempt: inProgress.id }, 'resuming an action interrupted by a restart of Medic');
      const verifyPromql = typeof inProgress.details.verifyPromql === 'string' ? inProgress.details.verifyPromql : undefined;
      chosen = { strategy, plan, params, rule: String(inProgress.details.rule ?? ''), climbed: [], verifyPromql };
    } else {
      const selection = select(this.o.rules, facts);
      if (!selection) return this.escalate(incident, agent, 'ladder_exhausted', 'no selection rule matches this incident', record);
      const ladder = tier.aggressive_recycling ? recycleFirst(selection.ladder) : selection.ladder;

      const ineffective = history.filter(
        (a) => a.alertname === incident.alertname && a.outcome === 'succeeded' && a.startedAt >= now - this.o.policies.guards.ineffective.window && a.incidentId !== incident.id,
      );
      if (ineffective.length >= this.o.policies.guards.ineffective.after) {
        const what = [...new Set(ineffective.map((a) => a.strategy))].join(', ');
        return this.escalate(incident, agent, 'ineffective_chain',
          `${incident.alertname} came back after ${ineffective.length} successful remediations (${what}) within ${this.o.policies.guards.ineffective.window / 1000}s: the remedy does not hold; a human must look`, record);
      }

      const climbed: string[] = [];
      for (const name of ladder) {
        const why = this.unavailable(name, tier, history, mine, now);
        if (why) {
          climbed.push(`${name}: ${why.reason}`);
          if (why.guard) this.o.observer.guardBlocked(why.guard);
          continue;
        }
        const params = (selection.params[name] ?? {}) as Record<string, number | string | boolean>;
        const plan = STRATEGIES[name].plan(this.context(incident, facts, agent, tier, params, observed, now));
        if (isSkip(plan)) {
          climbed.push(`${name}: ${plan.skip}`);
          continue;
        }
        // The agent id comes from the inventory (a validated name), never from the alert's labels.
        const verifyPromql = selection.verifyPromql?.replaceAll('{{agent}}', agent.id);
        chosen = { strategy: name, plan, params, rule: `${selection.rule} (${selection.because})`, climbed, verifyPromql };
        break;
      }
      if (!chosen) {
        return this.escalate(incident, agent, 'ladder_exhausted', `every rung of rule ${selection.rule}'s ladder [${ladder.join(', ')}] is spent: ${climbed.join('; ')}`, record);
      }
    }

    const { strategy, plan, params, rule, climbed, verifyPromql } = chosen;
    const decision = {
      rule, ladderClimbed: climbed, plan: { summary: plan.summary, steps: plan.steps, data: plan.data }, params, tier: tier.name,
      observed: summarise(observed), ...(verifyPromql ? { verifyPromql } : {}),
      ...(anomaly ? { anomaly: { score: round(anomaly.score), isAnomaly: anomaly.isAnomaly, type: anomaly.type, model: anomaly.model } } : {}),
    };
    const mode: DecisionMode = inProgress ? 'auto' : modeFor(tier, strategy);

    if (mode === 'shadow') {
      await record({ strategy, outcome: 'shadow', mode, reason: `shadow mode: would ${plan.summary}`, details: decision });
      this.o.observer.remediation(strategy, 'shadow', 0);
      log.info({ strategy }, `shadow: would ${plan.summary}`);
      return { kind: 'done', outcome: 'shadow', reason: plan.summary };
    }
    if (mode === 'notify') {
      await record({ strategy, outcome: 'notified', mode, reason: `notify mode: proposed ${plan.summary}`, details: decision });
      await this.o.escalator.escalate({ incident, agent, reason: 'notify', message: `Medic proposes: ${plan.summary}` });
      this.o.observer.escalated('notify');
      return { kind: 'done', outcome: 'notified', reason: plan.summary };
    }
    if (mode === 'approve') {
      const gate = await this.approvalGate(incident, strategy, plan, decision, record, now);
      if (gate) return gate;
    }

    // Fleet guards: only for a fresh action; a breaker's later phases are the same remediation.
    let release = (): void => undefined;
    if (!inProgress) {
      const admitted = await this.fleetGuards(agent, now);
      if (!admitted.ok) {
        this.o.observer.guardBlocked(admitted.guard);
        const waited = now - incident.firstSeenAt;
        if (waited > this.o.policies.guards.blast_radius.max_wait) {
          return this.escalate(incident, agent, 'guard_wait_exceeded', `waited ${Math.round(waited / 1000)}s for ${admitted.guard}: ${admitted.reason}`, record);
        }
        const last = mine[mine.length - 1];
        if (!(last?.outcome === 'blocked' && last.details.guard === admitted.guard)) {
          await record({ strategy, outcome: 'blocked', reason: `waiting: ${admitted.reason}`, details: { ...decision, guard: admitted.guard } });
        }
        log.info({ guard: admitted.guard }, `guard ${admitted.guard} holds ${strategy}: ${admitted.reason}`);
        return { kind: 'defer', afterMs: this.recheckMs, note: `${admitted.guard}: ${admitted.reason}` };
      }
      release = admitted.release;
    }

    try {
      return await this.act(incident, workItemId, agent, tier, driver, dryRun, strategy, plan, params, rule, decision, inProgress, signal, log);
    } finally {
      release();
    }
  }

  private async fleetGuards(agent: Agent, now: number): Promise<GuardVerdict> {
    const g = this.o.policies.guards;
    const recent = [...(await this.o.store.actedTargetsSince(now - g.blast_radius.window)), ...this.guards.actingNow()];
    const radius = blastRadius(g.blast_radius, {
      target: agent.id, agentType: agent.type, typeSize: this.o.inventory.countOfType(agent.type), fleetSize: this.o.inventory.all().length, recent,
    });
    return radius.ok ? this.guards.admit(agent.id, agent.type) : radius;
  }

  private async act(
    incident: EngineIncident, workItemId: number | null, agent: Agent, tier: TierPolicy, driver: Driver, dryRun: boolean,
    strategy: StrategyName, plan: Plan, params: Record<string, number | string | boolean>, rule: string, decision: Record<string, unknown>,
    inProgress: Attempt | undefined, signal: AbortSignal, log: EngineLog,
  ): Promise<EngineResult> {
    const startedAt = this.o.clock.now();
    // Recorded before acting: a crash from here on leaves an attempt that says what was under way.
    const attempt = inProgress ?? (await this.o.store.recordAttempt({
      incidentId: incident.id, workItemId, target: agent.id, strategy, driver: driver.name, mode: dryRun ? 'dry-run' : 'auto',
      outcome: 'in_progress', reason: plan.summary, startedAt, finishedAt: null, details: { ...decision, params, rule },
      agentType: agent.type, alertname: incident.alertname,
    }));
    const phases = (attempt.details.phases as unknown[] | undefined) ?? [];
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(this.o.actionTimeoutMs ?? tier.verify_timeout)]);
    const finish = async (outcome: string, reason: string, extra: Record<string, unknown>) =>
      this.o.store.updateAttempt(attempt.id, {
        outcome, reason, finishedAt: outcome === 'in_progress' ? null : this.o.clock.now(),
        details: { ...attempt.details, ...extra, phases: [...phases, { at: new Date(this.o.clock.now()).toISOString(), summary: plan.summary, ...extra }] },
      });

    let outcome;
    try {
      outcome = await STRATEGIES[strategy].execute(plan, {
        agent, tier, signal: timeout, now: () => this.o.clock.now(), requestId: `medic-${attempt.id}`,
        perform: (request: ActionRequest) => driver.perform(agent, request, timeout),
        moveBreaker: async (to, nextCheckAt) => {
          const current = await this.o.store.getBreaker(agent.id);
          const from = current?.state ?? 'closed';
          const t = transition(from, to, this.o.clock.now());
          await this.o.store.saveBreaker({ target: agent.id, agentType: agent.type, state: to, changedAt: t.at, nextCheckAt, opens: (current?.opens ?? 0) + (to === 'open' ? 1 : 0) });
          this.o.observer.breaker(agent.type, to);
          log.info({ from: t.from, to: t.to, event: t.event }, 'circuit breaker moved');
        },
      });
    } catch (err) {
      const retryable = err instanceof DriverError ? err.retryable : true;
      const reason = `${strategy} failed: ${(err as Error).message}${timeout.aborted && !signal.aborted ? ' (cut off at its time limit)' : ''}`;
      await finish('failed', reason, { error: (err as Error).message, retryable });
      this.o.observer.remediation(strategy, 'failed', (this.o.clock.now() - startedAt) / 1000);
      log.warn({ strategy, err: (err as Error).message }, reason);
      // The failed rung is now in the history: the next run climbs past it.
      return { kind: 'defer', afterMs: 0, note: reason };
    }

    if (outcome.status === 'wait') {
      await finish('in_progress', outcome.summary, { ...outcome.details, params, rule });
      return { kind: 'defer', afterMs: Math.max(0, outcome.afterMs), note: outcome.summary };
    }
    if (outcome.status === 'failed') {
      await finish('failed', outcome.summary, outcome.details);
      this.o.observer.remediation(strategy, 'failed', (this.o.clock.now() - startedAt) / 1000);
      if (strategy === 'circuit_break') {
        return this.escalate(incident, agent, 'breaker_stuck', outcome.summary, (a) => this.o.store.recordAttempt({
          incidentId: incident.id, workItemId, target: agent.id, driver: driver.name, mode: 'auto', startedAt: this.o.clock.now(),
          finishedAt: this.o.clock.now(), details: {}, agentType: agent.type, alertname: incident.alertname, ...a,
        }));
      }
      return { kind: 'defer', afterMs: 0, note: outcome.summary };
    }

    for (const c of outcome.changes ?? []) await this.recordChange(incident, attempt.id, agent, tier, c);
    const observedBefore = decision.observed as { healthy?: boolean; healthReason?: string } | undefined;
    const failingBefore = observedBefore && observedBefore.healthy === false ? observedBefore.healthReason : undefined;
    const silence = dryRun ? undefined : await this.o.silencer?.silence(incident, attempt.id, tier.verify_timeout + 60_000);
    const verification = dryRun
      ? { ok: true, reason: 'dry-run: nothing was changed, nothing to verify', checks: 0, durationMs: 0 }
      : await verify(driver, agent, {
        ...outcome.expect,
        ...(typeof decision.verifyPromql === 'string' ? { promql: decision.verifyPromql } : {}),
        ...(typeof failingBefore === 'string' && failingBefore ? { failingBefore } : {}),
      }, {
        timeoutMs: tier.verify_timeout, intervalMs: this.o.verifyIntervalMs ?? 500, signal, prometheus: this.o.prometheus,
      });
    const durationS = (this.o.clock.now() - startedAt) / 1000;
    if (!verification.ok) {
      // The alert must page again now that this remedy did not hold.
      if (silence) await this.o.silencer?.expire(silence);
      await finish('verify_failed', `${outcome.summary}; ${verification.reason}`, { ...outcome.details, verification, silence });
      this.o.observer.remediation(strategy, 'verify_failed', durationS);
      log.warn({ strategy, checks: verification.checks }, verification.reason);
      return { kind: 'defer', afterMs: 0, note: verification.reason };
    }
    const result = dryRun ? 'dry_run' : 'succeeded';
    await finish(result, `${outcome.summary}; ${verification.reason}`, { ...outcome.details, verification, silence });
    this.o.observer.remediation(strategy, result, durationS);
    if (!dryRun) this.o.observer.recovered((this.o.clock.now() - incident.firstSeenAt) / 1000);
    log.info({ strategy, driver: driver.name, durationMs: Math.round(durationS * 1000) }, `remediation ${result}: ${outcome.summary}`);
    return { kind: 'done', outcome: result, reason: outcome.summary };
  }

  private async recordChange(incident: EngineIncident, attemptId: number, agent: Agent, tier: TierPolicy, c: ChangeSpec): Promise<void> {
    const now = this.o.clock.now();
    await this.o.store.recordChange({
      incidentId: incident.id, attemptId, target: agent.id, kind: c.kind, before: c.before, after: c.after, appliedAt: now, expiresAt: now + tier.change_expiry,
    });
  }

  private async approvalGate(
    incident: EngineIncident, strategy: StrategyName, plan: Plan, decision: Record<string, unknown>,
    record: (a: Partial<NewAttempt> & Pick<NewAttempt, 'strategy' | 'outcome' | 'reason'>) => Promise<unknown>, now: number,
  ): Promise<EngineResult | undefined> {
    const approval = await this.o.store.latestApproval(incident.id, strategy);
    if (!approval || approval.state === 'used' || approval.state === 'expired') {
      if (approval?.state === 'expired') return undefined; // unreachable: expiry escalates below
      const created = await this.o.store.createApproval({
        incidentId: incident.id, strategy, plan: { summary: plan.summary, steps: plan.steps, data: plan.data }, requestedAt: now,
        expiresAt: now + this.o.policies.guards.approval_timeout,
      });
      await record({ strategy, outcome: 'awaiting_approval', mode: 'approve', reason: `approval ${created.id} requested: ${plan.summary}`, details: { ...decision, approval: created.id } });
      this.o.observer.guardBlocked('mode');
      return { kind: 'defer', afterMs: this.recheckMs, note: `awaiting approval ${created.id}` };
    }
    if (approval.state === 'pending') {
      if (approval.expiresAt <= now) {
        await this.o.store.settleApproval(approval.id, 'pending', 'expired', null, now, 'no decision before the approval timeout');
        return this.escalate(incident, undefined, 'approval_timeout', `approval ${approval.id} for ${strategy} was not decided within ${this.o.policies.guards.approval_timeout / 1000}s`, record);
      }
      return { kind: 'defer', afterMs: this.recheckMs, note: `awaiting approval ${approval.id}` };
    }
    if (approval.state === 'rejected') {
      await record({ strategy, outcome: 'rejected', mode: 'approve', reason: `${approval.decidedBy ?? 'an operator'} rejected ${plan.summary}${approval.note ? `: ${approval.note}` : ''}` });
      return { kind: 'done', outcome: 'rejected', reason: 'rejected by an operator' };
    }
    // Approved: spend the approval on this one action.
    await this.o.store.settleApproval(approval.id, 'approved', 'used', approval.decidedBy, now, approval.note);
    return undefined;
  }

  private unavailable(
    name: StrategyName, tier: TierPolicy, history: Attempt[], mine: Attempt[], now: number,
  ): { reason: string; guard?: 'cooldown' | 'attempt_limit' } | undefined {
    if (mine.some((a) => a.strategy === name && FAILED.has(a.outcome))) return { reason: 'already failed for this incident' };
    if (mine.some((a) => a.strategy === name && (a.outcome === 'succeeded' || a.outcome === 'dry_run'))) {
      return { reason: 'already applied for this incident' };
    }
    const acted = history.filter((a) => a.strategy === name && ACTED.has(a.outcome) && a.mode !== 'dry-run');
    const cooldown = name === 'restart' ? tier.restart_cooldown : tier.strategy_cooldown;
    const last = acted[acted.length - 1];
    if (last && last.startedAt > now - cooldown) {
      return { reason: `cooling down: last ${name} ${Math.round((now - last.startedAt) / 1000)}s ago, cooldown ${cooldown / 1000}s`, guard: 'cooldown' };
    }
    if (name === 'restart') {
      const recent = acted.filter((a) => a.startedAt > now - tier.attempt_window).length;
      if (recent >= tier.max_restart_attempts) {
        return { reason: `${recent} restarts within ${tier.attempt_window / 1000}s reach max_restart_attempts ${tier.max_restart_attempts}`, guard: 'attempt_limit' };
      }
    }
    return undefined;
  }

  private async escalate(
    incident: EngineIncident, agent: Agent | undefined, reason: EscalationReason, message: string,
    record: (a: Partial<NewAttempt> & Pick<NewAttempt, 'strategy' | 'outcome' | 'reason'>) => Promise<unknown>,
  ): Promise<EngineResult> {
    await record({ strategy: 'none', outcome: 'escalated', reason: message, details: { escalation: reason } });
    await this.o.escalator.escalate({ incident, agent, reason, message });
    this.o.observer.escalated(reason);
    return { kind: 'done', outcome: 'escalated', reason: message };
  }

  private context(
    incident: EngineIncident, facts: IncidentFacts, agent: Agent, tier: TierPolicy, params: Record<string, number | string | boolean>, observed: Observation, now: number,
  ): HealingContext {
    return { incident: { ...facts, id: incident.id, target: incident.target }, agent, tier, params, observed, now };
  }

  /** The anomaly model's reading, stored with the incident; a scorer that fails only costs the hint. */
  private async assess(incident: EngineIncident, agent: Agent, signal: AbortSignal, log: EngineLog): Promise<AnomalyAssessment | undefined> {
    if (!this.o.scorer || incident.status !== 'firing') return undefined;
    try {
      const a = await this.o.scorer.score(incident, agent, signal);
      if (!a) return undefined;
      await this.o.store.saveAnomaly(incident.id, a);
      log.info({ anomalyScore: round(a.score), anomalyType: a.type, isAnomaly: a.isAnomaly, model: a.model, top: a.contributions[0]?.feature }, 'anomaly model scored the agent');
      return a;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'anomaly scoring failed: deciding on the alert alone');
      return undefined;
    }
  }

  /** Reads what the driver supports; a read that fails is left out and said in the health reason. */
  private async observe(driver: Driver, agent: Agent, signal: AbortSignal): Promise<Observation> {
    const health = await driver.health(agent, signal);
    const read = async (request: ActionRequest) =>
      driver.supports.has(request.action) ? driver.perform(agent, request, signal).then((r) => r.data, () => undefined) : undefined;
    const [summary, config, version, replicas, traffic, breaker] = await Promise.all([
      read({ action: 'summary' }), read({ action: 'get_config' }), read({ action: 'get_version' }), read({ action: 'get_replicas' }),
      read({ action: 'get_traffic' }), this.o.store.getBreaker(agent.id),
    ]);
    return {
      health,
      summary: summary && {
        requestsPerS: num(summary.requests_per_s), errorRate: num(summary.error_rate), latencyP99S: num(summary.latency_p99_s),
        queueDepth: num(summary.queue_depth), memoryBytes: num(summary.memory_bytes), memoryLimitBytes: num(summary.memory_limit_bytes),
        cpuUtilisation: num(summary.cpu_utilisation), replicas: num(summary.replicas), readyReplicas: num(summary.ready_replicas),
        connections: num(summary.connections), diskUsedRatio: num(summary.disk_used_ratio),
      },
      config: config && { config: (config.config as Record<string, unknown>) ?? {}, revision: num(config.revision) },
      version: version && { version: String(version.version), history: versionHistory(version.history) },
      replicas: replicas && { replicas: num(replicas.replicas), readyReplicas: num(replicas.ready_replicas) },
      traffic: traffic && { weight: num(traffic.weight) },
      breaker: breaker && { state: breaker.state, changedAt: breaker.changedAt, nextCheckAt: breaker.nextCheckAt, opens: breaker.opens },
    };
  }
}

/** The driver's history, keeping only well-formed entries: it is the agent's answer, not Medic's. */
function versionHistory(raw: unknown): VersionEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((h: Record<string, unknown>) => h && typeof h === 'object' && typeof h.version === 'string'
    ? [{ version: h.version, known_good: h.known_good === true, ...(typeof h.deployed_at === 'string' ? { deployed_at: h.deployed_at } : {}) }]
    : []);
}

/**
 * The running version, when it was deployed before the incident began, is not marked known good, and a
 * known-good version to return to exists: what a rule's `deployed_within` looks at.
 */
export function recentDeploy(v: Observation['version'], incidentAt: number): IncidentFacts['recentDeploy'] {
  if (!v) return undefined;
  const current = [...v.history].reverse().find((h) => h.version === v.version);
  if (!current || current.known_good || current.deployed_at === undefined) return undefined;
  if (!v.history.some((h) => h.known_good && h.version !== v.version)) return undefined;
  const at = Date.parse(current.deployed_at);
  if (!Number.isFinite(at) || at > incidentAt) return undefined;
  return { version: v.version, beforeIncidentS: (incidentAt - at) / 1000 };
}

/** aggressive_recycling: restart goes ahead of the tuning strategies. */
export function recycleFirst(ladder: StrategyName[]): StrategyName[] {
  if (!ladder.includes('restart')) return ladder;
  const tuning = ladder.findIndex((s) => s === 'repair' || s === 'runtime_patch');
  if (tuning < 0 || tuning > ladder.indexOf('restart')) return ladder;
  return ['restart', ...ladder.filter((s) => s !== 'restart')];
}

function num(v: unknown): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

function summarise(o: Observation): Record<string, unknown> {
  return {
    healthy: o.health.healthy, healthReason: o.health.reason, bootId: o.health.bootId, version: o.version?.version,
    replicas: o.replicas?.replicas, errorRate: o.summary?.errorRate, cpu: o.summary?.cpuUtilisation,
    memory: o.summary && o.summary.memoryLimitBytes ? +(o.summary.memoryBytes / o.summary.memoryLimitBytes).toFixed(3) : undefined,
    breaker: o.breaker?.state,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
