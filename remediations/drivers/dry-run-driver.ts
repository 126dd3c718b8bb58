// The `dry-run` driver: records what would be done and changes nothing. A deployment switches to it
// globally or per tier. Reads still go to the agent's real driver when there is one, so a dry-run plan
// is the plan Medic would really make; an agent whose inventory driver is `dry-run` reads as a
// healthy single replica.
import type { ActionName, ActionRequest, Agent, Driver } from '../types.ts';
import type { DriverDefinition } from './driver-definition.ts';
import { HTTP_ACTIONS } from './http-driver.ts';

export interface DryRunRecord {
  agent: string;
  request: ActionRequest;
}

const READS: ReadonlySet<ActionName> = new Set<ActionName>(['summary', 'save_state', 'get_replicas', 'get_circuit', 'get_config', 'get_version', 'get_traffic']);

const SYNTHETIC: Partial<Record<ActionName, Record<string, unknown>>> = {
  summary: { requests_per_s: 0, error_rate: 0, latency_p99_s: 0, queue_depth: 0, memory_bytes: 0, memory_limit_bytes: 0, cpu_utilisation: 0, replicas: 1, ready_replicas: 1 },
  save_state: { state: {} },
  get_replicas: { replicas: 1, ready_replicas: 1 },
  get_circuit: { state: 'closed', canary_weight: 0 },
  get_config: { config: {}, revision: 0 },
  get_version: { version: 'unknown', history: [] },
  get_traffic: { weight: 1, backup_weight: 0 },
};

export function createDryRunDriver(readsFrom?: Driver, record: (r: DryRunRecord) => void = () => undefined): Driver {
  return {
    name: 'dry-run',
    supports: readsFrom ? readsFrom.supports : HTTP_ACTIONS,
    async health(agent, signal) {
      return readsFrom ? readsFrom.health(agent, signal) : { healthy: true, reason: 'dry-run: not checked' };
    },
    async perform(agent: Agent, request, signal) {
      if (READS.has(request.action)) return readsFrom ? readsFrom.perform(agent, request, signal) : { data: { ...SYNTHETIC[request.action] } };
      record({ agent: agent.id, request });
      return { data: { dry_run: true, would: request.action } };
    },
  };
}

/** As an inventory driver: an agent Medic plans for but never touches. */
export const dryRunDriver: DriverDefinition<undefined> = {
  name: 'dry-run',
  target: () => ({ kind: 'dry-run' }),
  create: () => createDryRunDriver(),
};
