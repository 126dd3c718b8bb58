// The client side of the fleet's supervisor API, for `medic sim fault|clear|status`: finds the fleet
// through the fleet.json it wrote, and answers with what the supervisor said.
import type { FaultRequest } from './fault-kinds.ts';
import { readControlUrl } from './fleet-files.ts';
import type { FleetStatus } from './fleet-model.ts';

/** The supervisor's answer: whether it took the request, and its body as sent (JSON text). */
export interface ControlReply {
  ok: boolean;
  text: string;
}

export interface FleetControl {
  url: string;
  status(): Promise<FleetStatus[]>;
  inject(f: FaultRequest): Promise<ControlReply>;
  clear(agent: string): Promise<ControlReply>;
}

/** The control of the fleet that wrote into `out`, or undefined when none did. Calls reject when it is unreachable. */
export function fleetControl(out: string): FleetControl | undefined {
  const url = readControlUrl(out);
  if (url === undefined) return undefined;
  const reply = async (res: Response): Promise<ControlReply> => ({ ok: res.ok, text: await res.text() });
  return {
    url,
    async status() {
      return ((await (await fetch(`${url}/fleet/status`)).json()) as { agents: FleetStatus[] }).agents;
    },
    async inject(f) {
      return reply(await fetch(`${url}/fleet/faults`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agent: f.agent, kind: f.kind, for_ms: f.forMs, rate: f.rate, ramp_ms: f.rampMs }),
      }));
    },
    async clear(agent) {
      return reply(await fetch(`${url}/fleet/faults/${encodeURIComponent(agent)}`, { method: 'DELETE' }));
    },
  };
}
