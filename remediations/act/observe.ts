// Before deciding: the target's live state, through whatever reads its driver supports. A read that
// fails is left out (the strategies that need it then skip, saying why); only health is required.
import type { EngineStore } from '../engine-ports.ts';
import type { Observation, VersionEntry } from '../strategies/strategy.ts';
import type { ActionRequest, Agent, Driver } from '../types.ts';

/** Reads what the driver supports; a read that fails is left out and said in the health reason. */
export async function observe(driver: Driver, agent: Agent, breakers: Pick<EngineStore, 'getBreaker'>, signal: AbortSignal): Promise<Observation> {
  const health = await driver.health(agent, signal);
  const read = async (request: ActionRequest) =>
    driver.supports.has(request.action) ? driver.perform(agent, request, signal).then((r) => r.data, () => undefined) : undefined;
  const [summary, config, version, replicas, traffic, breaker] = await Promise.all([
    read({ action: 'summary' }), read({ action: 'get_config' }), read({ action: 'get_version' }), read({ action: 'get_replicas' }),
    read({ action: 'get_traffic' }), breakers.getBreaker(agent.id),
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

/** The driver's history, keeping only well-formed entries: it is the agent's answer, not Medic's. */
function versionHistory(raw: unknown): VersionEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((h: Record<string, unknown>) => h && typeof h === 'object' && typeof h.version === 'string'
    ? [{ version: h.version, known_good: h.known_good === true, ...(typeof h.deployed_at === 'string' ? { deployed_at: h.deployed_at } : {}) }]
    : []);
}

function num(v: unknown): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

/** The observation in a few fields, recorded with each decision. */
export function summarise(o: Observation): Record<string, unknown> {
  return {
    healthy: o.health.healthy, healthReason: o.health.reason, bootId: o.health.bootId, version: o.version?.version,
    replicas: o.replicas?.replicas, errorRate: o.summary?.errorRate, cpu: o.summary?.cpuUtilisation,
    memory: o.summary && o.summary.memoryLimitBytes ? +(o.summary.memoryBytes / o.summary.memoryLimitBytes).toFixed(3) : undefined,
    breaker: o.breaker?.state,
  };
}
