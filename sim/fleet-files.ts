// The files a running fleet leaves for the rest of the stack: Prometheus's file_sd targets, Medic's
// inventory and the agents' token, and fleet.json, where `medic sim fault|clear|status` find the
// supervisor. One module writes and reads them, so their shapes live in one place.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FleetAgentInfo } from './fleet.ts';

export const FLEET_FILE = 'fleet.json';

export function writeFleetFiles(out: string, controlUrl: string, agents: FleetAgentInfo[], token: string, host: string): void {
  writeFileSync(join(out, 'agent-token'), `${token}\n`, { mode: 0o600 });
  writeFileSync(join(out, 'targets.json'), JSON.stringify(agents.map((a) => ({
    targets: [`${host}:${a.port}`], labels: { agent: a.id, agent_type: a.type, tier: a.tier },
  })), null, 1));
  writeFileSync(join(out, 'inventory.yaml'), stringify({
    agents: agents.map((a) => ({ id: a.id, type: a.type, driver: 'http', http: { base_url: `${controlUrl}/agents/${a.id}/admin`, token_file: 'agent-token' } })),
  }));
  writeFileSync(join(out, FLEET_FILE), JSON.stringify({ control_url: controlUrl, pid: process.pid, agents: agents.length }, null, 1));
}

/** The supervisor's URL of the fleet that wrote into `out`, or undefined when no fleet did. */
export function readControlUrl(out: string): string | undefined {
  try {
    const fleet = JSON.parse(readFileSync(join(out, FLEET_FILE), 'utf8')) as { control_url?: unknown };
    return typeof fleet.control_url === 'string' ? fleet.control_url : undefined;
  } catch {
    return undefined;
  }
}
