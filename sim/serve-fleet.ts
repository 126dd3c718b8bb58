// `medic sim` as a library call: a fleet for an operator's stack, with its files written where
// Prometheus and Medic will read them and its scenario playing.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { ScenarioStep } from './fault-kinds.ts';
import { startFleet, type Fleet } from './fleet.ts';
import { writeFleetFiles } from './fleet-files.ts';

export interface ServeFleetOptions {
  agents: number;
  basePort: number;
  host: string;
  seed: number;
  /** Where the fleet writes targets.json, inventory.yaml, agent-token and fleet.json (created if missing). */
  out: string;
  scenario: ScenarioStep[];
  /** A scenario step that cannot be applied (an agent this fleet does not have) is reported, not fatal. */
  onStepError: (err: Error) => void;
}

export interface ServedFleet {
  fleet: Fleet;
  /** Cancels the rest of the scenario and stops the fleet. */
  stop(): Promise<void>;
}

export async function serveFleet(o: ServeFleetOptions): Promise<ServedFleet> {
  mkdirSync(o.out, { recursive: true });
  // A fresh token per run: an operator's fleet should not answer a token from someone's old inventory.
  const token = randomBytes(18).toString('base64url');
  const fleet = await startFleet({ agents: o.agents, basePort: o.basePort, host: o.host, token, seed: o.seed });
  writeFleetFiles(o.out, fleet.controlUrl, fleet.agents(), token, o.host);
  const cancel = fleet.play(o.scenario, o.onStepError);
  return {
    fleet,
    async stop() {
      cancel();
      await fleet.stop();
    },
  };
}
