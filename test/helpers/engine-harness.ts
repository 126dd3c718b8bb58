// A remediation engine over a real SQLite store and real simulated agents on loopback, for tests.
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Clock } from '../../lib/clock.ts';
import { BUILTIN_DRIVERS, createDriverRegistry, type AnyDriverDefinition, type DriverRegistry } from '../../remediations/drivers/index.ts';
import type { StrategyRegistry } from '../../remediations/strategies/index.ts';
import type { ProcessDriver } from '../../remediations/drivers/process-driver.ts';
import { engineRetryRule } from '../../server/queue/retry.ts';
import { RemediationEngine, type EngineObserver, type EngineResult, type Escalation, type Silencer } from '../../remediations/engine.ts';
import { buildInventory } from '../../remediations/inventory.ts';
import { defaultPolicies, DEFAULT_POLICIES_YAML, parsePoliciesYaml } from '../../remediations/decide/policies.ts';
import { defaultRules, parseRulesYaml } from '../../remediations/decide/selection.ts';
import type { Agent } from '../../remediations/types.ts';
import type { PromQuery } from '../../remediations/act/verification.ts';
import { createLogger } from '../../lib/logger.ts';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.ts';
import type { Incident, Store } from '../../server/store/store.ts';
import { startAgentServer, type AgentServer } from '../../sim/agent-server.ts';
import { tempDir } from './service.ts';

export const TOKEN = 'agent-token';

export interface HarnessAgent {
  id: string;
  type: string;
  tier?: string;
  /** A simulated agent over HTTP (default), or an inventory entry with no server behind it. */
  driver?: 'http' | 'dry-run';
}

export interface Harness {
  store: Store;
  engine: RemediationEngine;
  drivers: DriverRegistry;
  /** The registry's process driver, for tests that start agents' processes. */
  process: ProcessDriver;
  agents: Map<string, AgentServer>;
  inventory: Agent[];
  escalations: Escalation[];
  events: string[];
  silences: string[];
  /** Opens an incident for an alert on an agent, as the webhook would. */
  incident(alertname: string, agent: string, o?: { annotations?: Record<string, string>; severity?: string; fingerprint?: string }): Promise<Incident>;
  heal(incident: Incident): Promise<EngineResult>;
  /** Heals until the engine stops deferring (a breaker's phases, a failed rung climbed), at most n runs. */
  healUntilDone(incident: Incident, n?: number): Promise<EngineResult[]>;
  dispose(): Promise<void>;
}

/** The shipped policies with overrides merged in (tiers by name, guards by key), as YAML text. */
export function policiesWith(over: { tiers?: Record<string, Record<string, unknown>>; guards?: Record<string, unknown> }): string {
  const base = parseYaml(DEFAULT_POLICIES_YAML) as { tiers: Record<string, Record<string, unknown>>; guards: Record<string, unknown> };
  for (const [name, fields] of Object.entries(over.tiers ?? {})) base.tiers[name] = { ...base.tiers[name], ...fields };
  base.guards = { ...base.guards, ...over.guards };
  return stringifyYaml(base);
}

let fingerprints = 0;

export async function startHarness(o: {
  agents: HarnessAgent[];
  policiesYaml?: string;
  rulesYaml?: string;
  dryRun?: boolean;
  clock?: Clock;
  silencer?: Silencer;
  restartMs?: number;
  /** More inventory entries (process agents, say), acted on through the same driver registry. */
  extraInventory?: Agent[];
  httpTimeoutMs?: number;
  prometheus?: PromQuery;
  /** Another strategy registry (rules and policies are checked against it). */
  strategies?: StrategyRegistry;
  /** More drivers, registered after the built-in ones. */
  drivers?: AnyDriverDefinition[];
}): Promise<Harness> {
  const drivers = createDriverRegistry({
    httpTimeoutMs: o.httpTimeoutMs ?? 2000, processStartTimeoutMs: 15_000, dryRun: o.dryRun ?? false, definitions: [...BUILTIN_DRIVERS, ...(o.drivers ?? [])],
  });
  const store = SqliteStore.open({ path: join(tempDir('medic-engine-'), 'medic.db'), synchronous: 'normal', busyTimeoutMs: 50 });
  const agents = new Map<string, AgentServer>();
  const inventory: Agent[] = [];
  for (const a of o.agents) {
    if (a.driver === 'dry-run') {
      inventory.push({ id: a.id, type: a.type, tier: a.tier ?? '', driver: 'dry-run', target: { kind: 'dry-run' } });
      continue;
    }
    const server = await startAgentServer({ id: a.id, token: TOKEN, restartMs: o.restartMs ?? 20, replicaReadyMs: 20 });
    agents.set(a.id, server);
    inventory.push({ id: a.id, type: a.type, tier: a.tier ?? '', driver: 'http', target: { kind: 'http', base_url: server.adminUrl, token: TOKEN } });
  }
  inventory.push(...(o.extraInventory ?? []));
  const escalations: Escalation[] = [];
  const events: string[] = [];
  const silences: string[] = [];
  const observer: EngineObserver = {
    remediation: (s, r) => events.push(`remediation ${s} ${r}`),
    acting: (r) => events.push(`acting ${r.strategy} ${r.fault}`),
    recovered: () => events.push('recovered'),
    escalated: (r) => events.push(`escalated ${r}`),
    guardBlocked: (g) => events.push(`blocked ${g}`),
    guardWaited: (g) => events.push(`waited ${g}`),
    breaker: (t, s) => events.push(`breaker ${t} ${s}`),
  };
  const engine = new RemediationEngine({
    store,
    inventory: buildInventory(inventory),
    policies: o.policiesYaml ? parsePoliciesYaml(o.policiesYaml, 'test policies', o.strategies?.names) : defaultPolicies(),
    rules: o.rulesYaml ? parseRulesYaml(o.rulesYaml, 'test rules', o.strategies?.names) : defaultRules(),
    strategies: o.strategies,
    drivers,
    escalator: { escalate: async (e) => void escalations.push(e) },
    silencer: o.silencer,
    observer,
    clock: o.clock ?? { now: () => Date.now() },
    // Tries and backoff as the service's defaults, in milliseconds instead of seconds.
    retry: engineRetryRule({ maxAttempts: 3, backoffMs: 20, backoffMaxMs: 100 }),
    prometheus: o.prometheus,
    recheckMs: 50,
    verifyIntervalMs: 20,
  });
  const log = createLogger('silent');
  const h: Harness = {
    store, engine, drivers, process: drivers.get('process') as ProcessDriver, agents, inventory, escalations, events, silences,
    async incident(alertname, agent, io = {}) {
      const fingerprint = io.fingerprint ?? `fp${String(++fingerprints).padStart(12, '0')}`;
      const severity = io.severity ?? 'critical';
      const r = await store.recordNotification({
        receivedAt: (o.clock ?? { now: () => Date.now() }).now(), receiver: 'medic', status: 'firing', groupKey: '{}', externalURL: '', truncatedAlerts: 0, requestId: null,
        alerts: [{
          fingerprint, startsAt: new Date().toISOString(), status: 'firing', endsAt: null, labels: { alertname, agent, severity },
          annotations: io.annotations ?? {}, generatorURL: '', alertname, agent, target: agent, severity, priority: 0,
        }],
      });
      return r.created[0]!;
    },
    heal: (incident) => engine.heal(incident, null, new AbortController().signal, log),
    async healUntilDone(incident, n = 20) {
      const results: EngineResult[] = [];
      for (let i = 0; i < n; i++) {
        const r = await h.heal(incident);
        results.push(r);
        if (r.kind === 'done') break;
        if (r.afterMs > 0) await new Promise((res) => setTimeout(res, Math.min(r.afterMs, 2000)));
      }
      return results;
    },
    async dispose() {
      await Promise.all([...agents.values()].map((a) => a.stop()));
      await drivers.stopAll();
      await store.close();
    },
  };
  return h;
}

export async function attemptsOf(store: Store, incidentId: number) {
  return (await store.getIncident(incidentId))!.attempts;
}
