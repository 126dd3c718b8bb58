// Runs a timeline of alerts through the real remediation engine in compressed time: each alert is
// recorded by the store's inbox rules at its own time, its work is claimed from the store's queue and
// healed by the engine with the clock set to that time, and work the engine defers (a guard full, a
// breaker between phases, an approval) comes back when it is due. The agents are a ReplayDriver: nothing
// is acted on. Policy replay uses it against a scratch store; the benchmarks use it to generate history.
import type { Escalation, EngineObserver } from '../../remediations/engine-ports.ts';
import { RemediationEngine } from '../../remediations/engine.ts';
import type { Policies } from '../../remediations/decide/policies.ts';
import type { SelectionRule } from '../../remediations/decide/selection.ts';
import { buildInventory, type Inventory } from '../../remediations/inventory.ts';
import type { Agent } from '../../remediations/types.ts';
import type { AnomalyAssessment, ReceivedAlert, Store } from '../store/store.ts';
import type { RecordedObservation, ReplayDriver } from './replay-driver.ts';

export interface TimelineEvent {
  at: number;
  kind: 'fire' | 'resolve';
  alert: ReceivedAlert;
  /** fire: the agent as the alert found it, and the strategies that do not heal it. */
  observed?: RecordedObservation;
  failing?: ReadonlySet<string>;
  /** fire: the anomaly model's reading recorded with the incident (it steers selection). */
  anomaly?: AnomalyAssessment;
  /** fire: what an operator answered an approval for this incident, if the record has it. */
  approval?: { state: 'approved' | 'rejected'; by: string | null; note: string | null };
}

export interface TimelineOptions {
  store: Store;
  agents: readonly Agent[];
  policies: Policies;
  rules: SelectionRule[];
  driver: ReplayDriver;
  events: readonly TimelineEvent[];
  /** How long after the last event deferred work is still followed (default one hour). */
  horizonMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface TimelineResult {
  escalations: Escalation[];
  heals: number;
  /** Incident (in `store`) → the fingerprint and startsAt of its alert. */
  incidents: Map<number, string>;
  /** Incidents left waiting for an operator the record has no answer from. */
  awaitingOperator: Set<number>;
}

const NO_OBSERVER: EngineObserver = {
  remediation: () => undefined, acting: () => undefined, recovered: () => undefined, escalated: () => undefined,
  guardBlocked: () => undefined, guardWaited: () => undefined, breaker: () => undefined,
};

export const alertKey = (a: Pick<ReceivedAlert, 'fingerprint' | 'startsAt'>): string => `${a.fingerprint}@${a.startsAt}`;

export async function runTimeline(o: TimelineOptions): Promise<TimelineResult> {
  let now = 0;
  const clock = { now: () => now };
  const escalations: Escalation[] = [];
  // Every agent acted on through the replay driver, whatever its inventory entry names.
  const inventory: Inventory = buildInventory(o.agents.map((a) => ({ ...a, driver: 'replay', target: { kind: 'replay' } })));
  const engine = new RemediationEngine({
    store: o.store, inventory, policies: o.policies, rules: o.rules, clock,
    drivers: { acting: () => ({ driver: o.driver, dryRun: false }) },
    escalator: { escalate: async (e) => void escalations.push(e) },
    observer: NO_OBSERVER,
    retry: () => undefined,
    // A rule's PromQL verification holds: the replay judges decisions, and the record has no Prometheus.
    prometheus: { query: async () => [1] },
    recheckMs: 30_000, verifyIntervalMs: 1, actionTimeoutMs: 5_000,
  });
  const events = [...o.events].sort((a, b) => a.at - b.at);
  const horizon = (events[events.length - 1]?.at ?? 0) + (o.horizonMs ?? 3_600_000);
  const answers = new Map<number, NonNullable<TimelineEvent['approval']>>();
  const incidents = new Map<number, string>();
  const awaitingOperator = new Set<number>();
  const rechecks: number[] = []; // sorted ascending; small (one per deferred incident)
  const signal = new AbortController().signal;
  const log = { info: () => undefined, warn: () => undefined };
  let heals = 0;
  let i = 0;

  const apply = async (e: TimelineEvent) => {
    const agent = e.alert.agent;
    if (e.kind === 'fire' && agent) o.driver.fault(agent, e.observed ?? {}, e.failing ?? new Set());
    if (e.kind === 'resolve' && agent) o.driver.recover(agent);
    const r = await o.store.recordNotification({
      receivedAt: e.at, receiver: 'replay', status: e.kind === 'fire' ? 'firing' : 'resolved', groupKey: `replay:${e.alert.target}`,
      externalURL: '', truncatedAlerts: 0, requestId: null,
      alerts: [{ ...e.alert, status: e.kind === 'fire' ? 'firing' : 'resolved', endsAt: e.kind === 'fire' ? null : new Date(e.at).toISOString() }],
    });
    for (const c of r.created) {
      incidents.set(c.id, alertKey(e.alert));
      if (e.anomaly) await o.store.saveAnomaly(c.id, e.anomaly);
      if (e.approval) answers.set(c.id, e.approval);
    }
  };

  while (i < events.length || rechecks.length > 0) {
    now = Math.min(events[i]?.at ?? Infinity, rechecks[0] ?? Infinity);
    if (now > horizon) break;
    while (rechecks.length > 0 && rechecks[0]! <= now) rechecks.shift();
    for (; i < events.length && events[i]!.at <= now; i++) await apply(events[i]!);
    for (let work = await o.store.claimNext('replay', now); work; work = await o.store.claimNext('replay', now)) {
      // The store answers synchronously under its promises: without a real yield now and then, a replay
      // inside the serving process would hold every request (a webhook delivery included) until it ends.
      if (++heals % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
      const result = await engine.heal(work.incident, work.item.id, signal, log);
      if (result.kind === 'done') {
        await o.store.finishWork(work.item.id, { state: 'done' }, now);
        continue;
      }
      const id = work.incident.id;
      if (result.note.startsWith('awaiting approval')) {
        const answer = answers.get(id);
        const pending = (await o.store.listApprovals('pending')).find((a) => a.incidentId === id);
        if (!answer || !pending) {
          // Nobody in the record answered this: the replay cannot guess what a person would have said.
          awaitingOperator.add(id);
          await o.store.finishWork(work.item.id, { state: 'done' }, now);
          continue;
        }
        await o.store.settleApproval(pending.id, 'pending', answer.state, answer.by, now, answer.note);
        answers.delete(id);
      }
      const at = now + Math.max(result.afterMs, 1_000);
      await o.store.finishWork(work.item.id, { state: 'defer', notBefore: at, note: result.note }, now);
      const k = rechecks.findIndex((t) => t > at);
      if (!rechecks.includes(at)) rechecks.splice(k < 0 ? rechecks.length : k, 0, at);
    }
    o.onProgress?.(i, events.length);
  }
  return { escalations, heals, incidents, awaitingOperator };
}
