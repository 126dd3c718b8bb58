// `medic sim …`: run the simulated fleet, inject faults into it, show its status.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseDurationMs } from '../lib/units.ts';
import { z } from 'zod';
import { Duration, loadYamlConfig } from '../lib/yaml-config.ts';
import { FAULT_KINDS, newToken, startFleet, type FaultKind, type FaultRequest } from '../sim/fleet.ts';

const HELP = `Usage:
  medic sim --agents N --base-port P --out DIR [--seed S] [--scenario FILE]
      Runs N simulated agents until stopped. Agent i serves /metrics on port P+i; the supervisor (admin
      API for every agent, fault API) listens on P+N. Writes into DIR:
        targets.json    Prometheus file_sd targets, labelled agent, agent_type, tier
        inventory.yaml  the Medic inventory for these agents (http driver, through the supervisor)
        agent-token     the agents' admin token;  fleet.json  the supervisor's address
      A scenario file (YAML) plays faults at offsets from the start:
        faults:
          - { at: 30s, agent: crewai-1, kind: crash }
          - { at: 1m, agent: aider-1, kind: dependency, for: 20s }
          - { at: 90s, agent: langchain-1, kind: errors, rate: 0.7 }
  medic sim fault --out DIR --agent ID --kind KIND [--for DURATION] [--rate R]
      Injects a fault into the running fleet. Kinds: ${FAULT_KINDS.join(', ')}.
      --rate: share of failing requests for errors (default 0.7; above 0.5 a circuit breaker heals it,
      below a restart). --for: the fault clears by itself after this (a dependency: 30s by default;
      other kinds last until the right remediation heals them).
  medic sim clear --out DIR --agent ID      Clears an agent's fault.
  medic sim status --out DIR                Lists the agents and their faults.`;

export async function simCommand(args: string[]): Promise<number> {
  const [sub] = args;
  if (sub === 'fault' || sub === 'status' || sub === 'clear') return control(sub, args.slice(1));
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        agents: { type: 'string', default: '131' }, 'base-port': { type: 'string', default: '19100' }, out: { type: 'string' },
        seed: { type: 'string', default: '42' }, host: { type: 'string', default: '127.0.0.1' }, scenario: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`medic sim: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const agents = Number(values.agents);
  const basePort = Number(values['base-port']);
  if (!values.out) return usage('--out DIR is required: the fleet writes its targets and inventory there');
  if (!Number.isInteger(agents) || agents < 1 || agents > 2000) return usage(`--agents must be 1..2000, but was ${values.agents}`);
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort + agents > 65535) return usage(`--base-port must leave room for ${agents + 1} ports below 65536`);
  const out = resolve(values.out);
  let steps: (FaultRequest & { atMs: number })[] = [];
  if (values.scenario) {
    try {
      steps = loadScenario(values.scenario);
    } catch (err) {
      return usage((err as Error).message);
    }
  }
  mkdirSync(out, { recursive: true });
  const token = newToken();
  const fleet = await startFleet({ agents, basePort, host: values.host, token, seed: Number(values.seed) });
  writeFleetFiles(out, fleet.controlUrl, fleet.agents(), token, values.host!);
  console.log(JSON.stringify({ msg: 'fleet running', agents, control: fleet.controlUrl, out, scenario: steps.length }));
  const cancel = fleet.play(steps, (err) => console.error(JSON.stringify({ msg: 'scenario step failed', error: err.message })));
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  cancel();
  await fleet.stop();
  return 0;
}

const ScenarioSchema = z.strictObject({
  faults: z.array(z.strictObject({
    at: Duration,
    agent: z.string().min(1),
    kind: z.enum(FAULT_KINDS),
    for: Duration.optional(),
    rate: z.number().gt(0).lte(1).optional(),
  })).min(1),
});

/** Reads a scenario file; every problem is named with its path and value. */
export function loadScenario(file: string): (FaultRequest & { atMs: number })[] {
  return loadYamlConfig(file, ScenarioSchema, 'scenario').faults.map((f) => ({ atMs: f.at, agent: f.agent, kind: f.kind, forMs: f.for, rate: f.rate }));
}

export function writeFleetFiles(out: string, controlUrl: string, agents: { id: string; type: string; tier: string; port: number }[], token: string, host: string): void {
  writeFileSync(join(out, 'agent-token'), `${token}\n`, { mode: 0o600 });
  writeFileSync(join(out, 'targets.json'), JSON.stringify(agents.map((a) => ({
    targets: [`${host}:${a.port}`], labels: { agent: a.id, agent_type: a.type, tier: a.tier },
  })), null, 1));
  writeFileSync(join(out, 'inventory.yaml'), stringify({
    agents: agents.map((a) => ({ id: a.id, type: a.type, driver: 'http', http: { base_url: `${controlUrl}/agents/${a.id}/admin`, token_file: 'agent-token' } })),
  }));
  writeFileSync(join(out, 'fleet.json'), JSON.stringify({ control_url: controlUrl, pid: process.pid, agents: agents.length }, null, 1));
}

async function control(sub: 'fault' | 'status' | 'clear', args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { out: { type: 'string' }, agent: { type: 'string' }, kind: { type: 'string' }, for: { type: 'string' }, rate: { type: 'string' } } }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (!values.out) return usage('--out DIR is required (where `medic sim` wrote fleet.json)');
  let fleet: { control_url: string };
  try {
    fleet = JSON.parse(readFileSync(join(resolve(values.out), 'fleet.json'), 'utf8')) as { control_url: string };
  } catch {
    return usage(`no running fleet found: ${join(values.out, 'fleet.json')} is missing; start one with medic sim --out ${values.out}`);
  }
  try {
    if (sub === 'status') {
      const body = (await (await fetch(`${fleet.control_url}/fleet/status`)).json()) as { agents: Record<string, unknown>[] };
      for (const a of body.agents) console.log(`${String(a.id).padEnd(16)} ${String(a.tier).padEnd(19)} port ${a.port}  ${String(a.mode).padEnd(7)} fault ${a.fault ?? '-'}  replicas ${a.replicas}  v${a.version}  breaker ${a.circuit}  restarts ${a.restarts}`);
      return 0;
    }
    if (!values.agent) return usage('--agent ID is required');
    if (sub === 'clear') {
      const res = await fetch(`${fleet.control_url}/fleet/faults/${encodeURIComponent(values.agent)}`, { method: 'DELETE' });
      console.log(await res.text());
      return res.ok ? 0 : 1;
    }
    if (!values.kind || !FAULT_KINDS.includes(values.kind as FaultKind)) return usage(`--kind must be one of ${FAULT_KINDS.join(', ')}`);
    const forMs = values.for ? parseDurationMs(values.for) : undefined;
    if (values.for && forMs === undefined) return usage(`--for must be a duration such as 30s, but was ${values.for}`);
    const res = await fetch(`${fleet.control_url}/fleet/faults`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agent: values.agent, kind: values.kind, for_ms: forMs, rate: values.rate ? Number(values.rate) : undefined }),
    });
    console.log(await res.text());
    return res.ok ? 0 : 1;
  } catch (err) {
    console.error(`medic sim ${sub}: cannot reach the fleet at ${fleet.control_url}: ${(err as Error).message}`);
    return 1;
  }
}

function usage(message: string): number {
  console.error(`medic sim: ${message}\nRun 'medic sim --help' for usage.`);
  return 2;
}
