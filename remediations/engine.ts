// The remediation engine: one incident in, one decision out, every step recorded and explained.
//   resolve the target → observe it (and score it) → decide (resume, or climb a rule's ladder past what
//   is spent, cooling down or inapplicable; decision mode; fleet guards) → act → verify → record.
// It is level-triggered: each run re-reads the history and the target's live state, so running the
// same incident twice never repeats a completed action. It names no strategy: each declares its own
// cooldown, resumption and failure handling (strategies/strategy.ts).
import { randomUUID } from 'node:crypto';
import { clipText } from '../lib/clip-text.ts';
import { assessAnomaly, round } from './act/assess-anomaly.ts';
import { performAction } from './act/perform-action.ts';
import { observe, summarise } from './act/observe.ts';
import { incidentRecorder, type IncidentRecorder } from './act/record.ts';
import { approvalGate } from './decide/approval-gate.ts';
import { decideAdmission, failingSince, type AdmissionVerdict } from './decide/admission.ts';
import type { GuardName, StormVerdict } from './decide/guards.ts';
import { ineffectiveRemedies, recycleFirst, unavailable } from './decide/ladder.ts';
import { modeFor, PREEMPTIVE_ALERTNAME, tierFor, type TierPolicy } from './decide/policies.ts';
import { recentDeploy } from './decide/recent-deploy.ts';
import { resumeAttempt, type Chosen, type Params } from './decide/resume.ts';
import { errorRateFromAnnotations, select, type IncidentFacts } from './decide/selection.ts';
import type { EngineIncident, EngineLog, EngineOptions, EngineResult } from './engine-ports.ts';
import type { Attempt } from './records.ts';
import { STRATEGIES, type StrategyRegistry } from './strategies/index.ts';
import { isSkip, type HealingContext } from './strategies/strategy.ts';
import type { Agent } from './types.ts';

export type * from './engine-ports.ts';


type Admission = (AdmissionVerdict & { ok: false }) | (AdmissionVerdict & { ok: true; holder: string });

export class RemediationEngine {
  private readonly strategies: StrategyRegistry;
  private readonly recheckMs: number;

  constructor(private readonly o: EngineOptions) {
    this.strategies = o.strategies ?? STRATEGIES;
    // Rules and policies were checked against a registry when they loaded; this is the one the engine
    // acts through, so a mismatch stops the start, not an incident at 3 a.m.
    const named = [...o.rules.flatMap((r) => r.ladder), ...[...o.policies.tiers.values()].flatMap((t) => Object.keys(t.strategy_modes))];
    const unknown = [...new Set(named.filter((n) => !this.strategies.has(n)))];
    if (unknown.length > 0) throw new Error(`rules or policies name strategies the engine has no registration for: ${unknown.join(', ')}`);
    this.recheckMs = o.recheckMs ?? 5000;
  }

  /**
   * The queue gave up on this incident's work (its tries spent by crashes or errors, or a terminal
   * error): whatever it left in progress is closed as failed, so no attempt says "under way" for ever,
   * and a human is told once.
   */
  async abandon(incident: EngineIncident, workItemId: number | null, error: string, log: EngineLog): Promise<void> {
    const agent = this.o.inventory.resolve(incident.labels);
    const open = (await this.o.store.history(agent?.id ?? incident.target, 0)).filter((a) => a.incidentId === incident.id && a.outcome === 'in_progress');
    for (const a of open) {
      await this.o.store.updateAttempt(a.id, { outcome: 'failed', reason: `abandoned: ${error}`, finishedAt: this.o.clock.now(), details: { ...a.details, abandoned: error } });
    }
    log.warn({ abandoned: open.map((a) => a.id) }, 'work given up: escalating');
    await incidentRecorder(this.o, incident, workItemId, () => ({ agent })).escalate(
      'work_failed', `Medic gave up on this incident (${error}); ${open.length ? `${open.map((a) => a.strategy).join(', ')} was under way and is recorded as failed; ` : ''}check ${agent?.id ?? incident.target} by hand`,
    );
  }

  async heal(incident: EngineIncident, workItemId: number | null, signal: AbortSignal, log: EngineLog): Promise<EngineResult> {
    const now = this.o.clock.now();
    const agent = this.o.inventory.resolve(incident.labels);
    const rec = incidentRecorder(this.o, incident, workItemId, () => ({ agent }));
    const resolvedEarly = async () => {
      await rec.record({ strategy: 'none', outcome: 'skipped', reason: 'the alert resolved before Medic acted' });
      return { kind: 'done', outcome: 'skipped', reason: 'resolved' } as const;
    };
    if (!agent && incident.status === 'resolved') return resolvedEarly();
    if (!agent) {
      return rec.escalate('no_target', incident.labels.agent
        ? `no inventory entry for agent ${clipText(JSON.stringify(incident.labels.agent), 200)}: nothing Medic may act on`
        : 'the alert has no agent label: nothing Medic may act on');
    }
    const tier = tierFor(this.o.policies, agent.type, agent.tier);
    const { driver, dryRun } = this.o.drivers.acting(agent, tier.dry_run);
    if (!driver) return rec.escalate('no_driver', `driver ${agent.driver} is not available`);

    const cooldowns = [...this.strategies.names].map((n) => this.strategies.get(n).cooldown(tier));
    const lookback = Math.max(tier.attempt_window, this.o.policies.guards.ineffective.window, ...cooldowns.map((c) => Math.max(c.ms, c.limit?.windowMs ?? 0)));
    const history = await this.o.store.history(agent.id, now - lookback);
    const mine = history.filter((a) => a.incidentId === incident.id);
    const resumed = [...mine].reverse().find((a) => a.outcome === 'in_progress');
    // A resolved alert needs nothing new, but a remediation under way (a breaker between its phases, a
    // retry) is carried to its end: an open breaker must not be left open because the alert cleared.
    if (incident.status === 'resolved' && !resumed) return resolvedEarly();

    // Scored once per incident, beside the look at the target (both are reads): a resumed remediation
    // keeps the reading it was chosen on.
    const [anomaly, observed] = await Promise.all([
      incident.anomaly ?? (resumed ? undefined : assessAnomaly(this.o, incident, agent, signal, log)),
      observe(driver, agent, this.o.store, signal),
    ]);
    const facts: IncidentFacts = {
      alertname: incident.alertname, severity: incident.severity, labels: incident.labels, annotations: incident.annotations,
      errorRate: errorRateFromAnnotations(incident.annotations) ?? observed.summary?.errorRate,
      errorSignature: incident.annotations.error_signature || undefined,
      // The alert's own annotation (AgentAnomalous carries one) wins over Medic's reading of the window.
      anomalyType: incident.annotations.anomaly_type || (anomaly?.isAnomaly ? anomaly.type : undefined),
      recentDeploy: recentDeploy(observed.version, incident.firstSeenAt),
    };
    const context = (params: Params): HealingContext => ({ incident: { ...facts, id: incident.id, target: incident.target }, agent, tier, params, observed, now });

    const chosen = resumed ? await resumeAttempt(this.strategies, this.o.store, resumed, context, now, log) : await this.climb(incident, facts, tier, history, mine, context, now, rec);
    if ('kind' in chosen) return chosen;
    const { strategy, plan, params, rule, climbed, verifyPromql } = chosen;
    const name = strategy.name;
    const decision: Record<string, unknown> & { params: Params; rule: string } = {
      rule, ladderClimbed: climbed, plan: { summary: plan.summary, steps: plan.steps, data: plan.data }, params, tier: tier.name,
      ...(incident.alertname === PREEMPTIVE_ALERTNAME ? { preemptive: true } : {}),
      observed: summarise(observed), ...(verifyPromql ? { verifyPromql } : {}),
      ...(anomaly ? { anomaly: { score: round(anomaly.score), isAnomaly: anomaly.isAnomaly, type: anomaly.type, model: anomaly.model } } : {}),
    };

    // A resumed attempt was admitted when it began: its mode and the fleet guards are not asked again.
    // An operator's mode for the whole tier (PUT /api/controls/tiers/:tier/mode) replaces the policy's.
    const override = resumed ? undefined : (await this.o.store.modeOverrides()).find((o) => o.tier === tier.name);
    if (override) decision.modeOverride = { mode: override.mode, by: override.by, at: new Date(override.at).toISOString(), note: override.note };
    const mode = resumed ? 'auto' : override?.mode ?? modeFor(tier, name, incident.alertname === PREEMPTIVE_ALERTNAME);
    if (mode === 'shadow') {
      await rec.record({ strategy: name, outcome: 'shadow', mode, reason: `shadow mode: would ${plan.summary}`, details: decision });
      this.o.observer.remediation(name, 'shadow', 0);
      log.info({ strategy: name }, `shadow: would ${plan.summary}`);
      return { kind: 'done', outcome: 'shadow', reason: plan.summary };
    }
    if (mode === 'notify') {
      await rec.record({ strategy: name, outcome: 'notified', mode, reason: `notify mode: proposed ${plan.summary}`, details: decision });
      await this.o.escalator.escalate({ incident, agent, reason: 'notify', message: `Medic proposes: ${plan.summary}` });
      this.o.observer.escalated('notify');
      return { kind: 'done', outcome: 'notified', reason: plan.summary };
    }
    // The kill switch: while an operator has paused automatic actions, no new one starts, and none is put
    // to an approver either; a remediation already under way (resumed) is carried to its end, since an
    // open breaker must still close. Held like a guard below: recorded once, escalated past max_wait.
    const pause = resumed ? undefined : await this.o.store.actionsPaused();
    let spendApproval: (() => Promise<void>) | undefined;
    if (mode === 'approve' && !pause) {
      const gate = await approvalGate({
        store: this.o.store, incidentId: incident.id, strategy: name, plan, decision, now, approvalTimeoutMs: this.o.policies.guards.approval_timeout,
        recheckMs: this.recheckMs, record: rec.record, escalate: (reason, message) => rec.escalate(reason, message, undefined),
        blocked: () => this.o.observer.guardBlocked('mode'),
        waited: (seconds) => this.o.observer.guardWaited('mode', seconds),
      });
      if ('kind' in gate) return gate;
      spendApproval = gate.spend;
      decision.approved = gate.approved;
    }

    let holder: string | undefined;
    if (!resumed) {
      const admitted: Admission = pause
        ? { ok: false, guard: 'paused', reason: `automatic actions are paused (by ${clipText(pause.by, 200)} at ${new Date(pause.at).toISOString()}${pause.note ? `: ${clipText(pause.note, 200)}` : ''})` }
        : await this.admit(agent, observed.health.healthy === false, incident, workItemId, now, log);
      // One held incident counts once per guard, however often it is checked again while it waits.
      const held = mine[mine.length - 1]?.outcome === 'blocked' ? mine[mine.length - 1] : undefined;
      if (!admitted.ok) {
        const waited = now - incident.firstSeenAt;
        // A storm is escalated once as a storm; its agents wait their turn at its rate, not each to a human.
        if (admitted.guard !== 'storm' && waited > this.o.policies.guards.blast_radius.max_wait) {
          if (held) this.o.observer.guardWaited(admitted.guard, (now - held.startedAt) / 1000);
          return rec.escalate('guard_wait_exceeded', `waited ${Math.round(waited / 1000)}s for ${admitted.guard}: ${admitted.reason}`);
        }
        if (held?.details.guard !== admitted.guard) {
          this.o.observer.guardBlocked(admitted.guard);
          await rec.record({ strategy: name, outcome: 'blocked', reason: `waiting: ${admitted.reason}`, details: { ...decision, guard: admitted.guard } });
        }
        log.info({ guard: admitted.guard }, `guard ${admitted.guard} holds ${name}: ${admitted.reason}`);
        return { kind: 'defer', afterMs: this.recheckMs, note: `${admitted.guard}: ${admitted.reason}` };
      }
      holder = admitted.holder;
      if (held) this.o.observer.guardWaited(held.details.guard as GuardName, (now - held.startedAt) / 1000);
      if (!admitted.takesCapacity) {
        decision.takesCapacity = false;
        decision.guardNote = admitted.note;
      }
    }
    try {
      // Admitted: the approval is spent on this action (held by a guard, it was kept for the next run).
      await spendApproval?.();
      return await performAction(this.o, { incident, workItemId, agent, tier, driver, dryRun, strategy, plan, decision, resumed, signal, log });
    } finally {
      // Not released (the store unavailable), the reservation still ends with this work's claim.
      if (holder) await this.o.store.releaseReservation(holder).catch((err: unknown) => log.warn({ err }, 'cannot release the guard reservation; it ends with this claim'));
    }
  }

  /** The first rule that matches, and the first rung of its ladder that may act now. */
  private async climb(
    incident: EngineIncident, facts: IncidentFacts, tier: TierPolicy, history: Attempt[], mine: Attempt[],
    context: (p: Params) => HealingContext, now: number, rec: IncidentRecorder,
  ): Promise<Chosen | EngineResult> {
    const selection = select(this.o.rules, facts);
    if (!selection) return rec.escalate('ladder_exhausted', 'no selection rule matches this incident');
    const ladder = tier.aggressive_recycling ? recycleFirst(selection.ladder, this.strategies) : selection.ladder;
    const { after, window } = this.o.policies.guards.ineffective;
    const ineffective = ineffectiveRemedies(history, incident.alertname, incident.id, now - window);
    if (ineffective.length >= after) {
      const what = [...new Set(ineffective.map((a) => a.strategy))].join(', ');
      return rec.escalate('ineffective_chain',
        `${incident.alertname} came back after ${ineffective.length} successful remediations (${what}) within ${window / 1000}s: the remedy does not hold; a human must look`);
    }
    const climbed: string[] = [];
    for (const name of ladder) {
      const strategy = this.strategies.get(name);
      const why = unavailable(strategy, tier, history, mine, now);
      if (why) {
        climbed.push(`${name}: ${why.reason}`);
        // Counted when the incident first meets it, not on every recheck while a fleet guard holds it.
        if (why.guard && mine[mine.length - 1]?.outcome !== 'blocked') this.o.observer.guardBlocked(why.guard);
        continue;
      }
      const params = (selection.params[name] ?? {}) as Params;
      const plan = strategy.plan(context(params));
      if (isSkip(plan)) {
        climbed.push(`${name}: ${plan.skip}`);
        continue;
      }
      // The agent id comes from the inventory (a validated name), never from the alert's labels.
      const verifyPromql = selection.verifyPromql?.replaceAll('{{agent}}', context(params).agent.id);
      return { strategy, plan, params, rule: `${selection.rule} (${selection.because})`, climbed, verifyPromql };
    }
    return rec.escalate('ladder_exhausted', `every rung of rule ${selection.rule}'s ladder [${ladder.join(', ')}] is spent: ${climbed.join('; ')}`);
  }

  /**
   * The fleet guards, decided in the store so that every replica counts the same actions and spends the
   * same budget (decide/admission.ts has the rules). Entering a storm escalates it once, with what it holds.
   */
  private async admit(agent: Agent, targetDown: boolean, incident: EngineIncident, workItemId: number | null, now: number, log: EngineLog): Promise<Admission> {
    const g = this.o.policies.guards;
    const fleet = this.o.inventory.all();
    const known = new Set(fleet.map((a) => a.id));
    // One reservation per work item: a claim taken over from a dead replica replaces the dead one's.
    const holder = workItemId === null ? `incident:${incident.id}:${randomUUID()}` : `work:${workItemId}`;
    const admission = await this.o.store.admitAction({ now, holder, failingSince: failingSince(g, now), disruptingSince: now - g.blast_radius.window }, (state) =>
      decideAdmission({
        holder, workItemId, target: agent.id, agentType: agent.type, targetDown, typeSize: this.o.inventory.countOfType(agent.type), fleetSize: fleet.length,
        known: (t) => known.has(t), ignoredAlertnames: [PREEMPTIVE_ALERTNAME], now, guards: g,
      }, state));
    if (admission.stormStarted) await this.escalateStorm(admission.stormStarted, incident, agent, log);
    if (admission.stormEnded) {
      const e = admission.stormEnded;
      log.info({ failing: e.failing, threshold: e.threshold, lastedS: Math.round((now - e.since) / 1000) }, 'alert storm over');
    }
    return admission.verdict.ok ? { ...admission.verdict, holder } : admission.verdict;
  }

  private async escalateStorm(storm: StormVerdict, incident: EngineIncident, agent: Agent, log: EngineLog): Promise<void> {
    const g = this.o.policies.guards.storm;
    const causes = storm.alertnames.slice(0, 3).map((a) => `${a.alertname} on ${a.agents}`).join(', ');
    const message = `alert storm: ${storm.failing} agents failing within ${Math.round(g.window / 60_000)} min (the threshold is ${storm.threshold}): ${causes}; a common cause is likely. Medic acts on at most ${g.rate_per_minute} per minute until it ends`;
    log.warn({ failing: storm.failing, threshold: storm.threshold, alertnames: storm.alertnames.slice(0, 5) }, message);
    await this.o.escalator.escalate({ incident, agent, reason: 'storm', message });
    this.o.observer.escalated('storm');
  }
}
