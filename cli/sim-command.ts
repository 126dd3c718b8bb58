// `medic sim …`: run the simulated fleet, inject faults into it, show its status. Argument checks and
// printing only; the fleet is sim/serve-fleet.ts, its remote control sim/control-client.ts.
import { join, resolve } from 'node:path';
import { parseDurationMs } from '../lib/units.ts';
import { ConfigError } from '../lib/yaml-config.ts';
import { fleetControl, type FleetControl } from '../sim/control-client.ts';
import { FAULT_KINDS, RAMPING_KINDS, type FaultKind, type ScenarioStep } from '../sim/fault-kinds.ts';
import { FLEET_FILE } from '../sim/fleet-files.ts';
import { loadScenario } from '../sim/scenario.ts';
import { serveFleet } from '../sim/serve-fleet.ts';
import { defineCommand, EXIT, UsageError } from './args.ts';

const OUT_OPTION = { out: { type: 'string' } } as const;
const OUT_HELP = '  --out DIR   where `medic sim` wrote fleet.json (required)\n  -h, --help  show this help';

const simFault = defineCommand({
  name: 'fault',
  summary: 'Inject a fault into the running fleet',
  usage: `Usage: medic sim fault --out DIR --agent ID --kind KIND [--for DURATION] [--rate R]

Injects a fault into the running fleet. Kinds: ${FAULT_KINDS.join(', ')}.
  --rate R         share of failing requests for errors (default 0.7; above 0.5 a circuit breaker heals
                   it, below a restart)
  --for DURATION   the fault clears by itself after this (a dependency: 30s by default; other kinds last
                   until the right remediation heals them)
  --ramp DURATION  a degrading fault (${RAMPING_KINDS.join(', ')}): it builds up over this long
                   (a memory leak climbs to the limit, then the agent is OOM-killed); without it, sudden
${OUT_HELP}`,
  options: { ...OUT_OPTION, agent: { type: 'string' }, kind: { type: 'string' }, for: { type: 'string' }, rate: { type: 'string' }, ramp: { type: 'string' } },
  run: async ({ values }) => {
    const control = controlFor(values.out);
    if (!values.agent) throw new UsageError('--agent ID is required');
    if (!values.kind || !FAULT_KINDS.includes(values.kind as FaultKind)) throw new UsageError(`--kind must be one of ${FAULT_KINDS.join(', ')}`);
    const forMs = values.for === undefined ? undefined : parseDurationMs(values.for);
    if (values.for !== undefined && forMs === undefined) throw new UsageError(`--for must be a duration such as 30s, but was ${values.for}`);
    const rate = values.rate === undefined ? undefined : Number(values.rate);
    if (rate !== undefined && !(rate > 0 && rate <= 1)) throw new UsageError(`--rate must be a number in (0, 1], but was ${values.rate}`);
    const rampMs = values.ramp === undefined ? undefined : parseDurationMs(values.ramp);
    if (values.ramp !== undefined && !(rampMs && rampMs > 0)) throw new UsageError(`--ramp must be a positive duration such as 10m, but was ${values.ramp}`);
    if (rampMs && !RAMPING_KINDS.includes(values.kind as FaultKind)) throw new UsageError(`--ramp applies to ${RAMPING_KINDS.join(', ')}, not ${values.kind}`);
    const reply = await reach(control, () => control.inject({ agent: values.agent!, kind: values.kind as FaultKind, forMs, rate, ...(rampMs ? { rampMs } : {}) }));
    console.log(reply.text);
    return reply.ok ? EXIT.ok : EXIT.failed;
  },
});

const simClear = defineCommand({
  name: 'clear',
  summary: "Clear an agent's fault",
  usage: `Usage: medic sim clear --out DIR --agent ID\n\nClears an agent's fault, as if it had been healed.\n${OUT_HELP}`,
  options: { ...OUT_OPTION, agent: { type: 'string' } },
  run: async ({ values }) => {
    const control = controlFor(values.out);
    if (!values.agent) throw new UsageError('--agent ID is required');
    const reply = await reach(control, () => control.clear(values.agent!));
    console.log(reply.text);
    return reply.ok ? EXIT.ok : EXIT.failed;
  },
});

const simStatus = defineCommand({
  name: 'status',
  summary: 'List the agents and their faults',
  usage: `Usage: medic sim status --out DIR\n\nOne line per agent: tier, port, mode, fault, replicas, version, breaker, restarts.\n${OUT_HELP}`,
  options: OUT_OPTION,
  run: async ({ values }) => {
    const control = controlFor(values.out);
    const agents = await reach(control, () => control.status());
    // One write, not one per agent: a reader that closes the pipe early (`| head`) sees whole lines.
    process.stdout.write(agents.map((a) =>
      `${a.id.padEnd(16)} ${a.tier.padEnd(19)} port ${a.port}  ${a.mode.padEnd(7)} fault ${a.fault ?? '-'}  replicas ${a.replicas}  v${a.version}  breaker ${a.circuit}  restarts ${a.restarts}\n`,
    ).join(''));
    return EXIT.ok;
  },
});

export const simCommand = defineCommand({
  name: 'sim',
  summary: 'Run a simulated agent fleet, inject faults into it',
  usage: `Usage: medic sim --out DIR [--agents N] [--base-port P] [--seed S] [--host HOST] [--scenario FILE]

Runs N simulated agents (default 131) until stopped. Agent i serves /metrics on port P+i (default
19100+i); the supervisor (admin API for every agent, fault API) listens on P+N. Writes into DIR:
  targets.json    Prometheus file_sd targets, labelled agent, agent_type, tier
  inventory.yaml  the Medic inventory for these agents (http driver, through the supervisor)
  agent-token     the agents' admin token;  fleet.json  the supervisor's address
A scenario file (YAML) plays faults at offsets from the start:
  faults:
    - { at: 30s, agent: crewai-1, kind: crash }
    - { at: 1m, agent: aider-1, kind: dependency, for: 20s }
    - { at: 90s, agent: langchain-1, kind: errors, rate: 0.7 }
  -h, --help   show this help`,
  options: {
    agents: { type: 'string', default: '131' }, 'base-port': { type: 'string', default: '19100' }, out: { type: 'string' },
    seed: { type: 'string', default: '42' }, host: { type: 'string', default: '127.0.0.1' }, scenario: { type: 'string' },
  },
  subcommands: [simFault, simClear, simStatus],
  run: async ({ values }) => {
    const agents = Number(values.agents);
    const basePort = Number(values['base-port']);
    const seed = Number(values.seed);
    if (!values.out) throw new UsageError('--out DIR is required: the fleet writes its targets and inventory there');
    if (!Number.isInteger(agents) || agents < 1 || agents > 2000) throw new UsageError(`--agents must be 1..2000, but was ${values.agents}`);
    if (!Number.isInteger(basePort) || basePort < 1024 || basePort + agents > 65535) throw new UsageError(`--base-port must leave room for ${agents + 1} ports below 65536, but was ${values['base-port']}`);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, but was ${values.seed}`);
    const scenario = values.scenario === undefined ? [] : scenarioFrom(values.scenario);
    const out = resolve(values.out);
    const served = await serveFleet({
      agents, basePort, host: values.host!, seed, out, scenario,
      onStepError: (err) => console.error(JSON.stringify({ msg: 'scenario step failed', error: err.message })),
    });
    console.log(JSON.stringify({ msg: 'fleet running', agents, control: served.fleet.controlUrl, out, scenario: scenario.length }));
    await new Promise<void>((done) => {
      process.once('SIGTERM', () => done());
      process.once('SIGINT', () => done());
    });
    await served.stop();
    return EXIT.ok;
  },
});

function scenarioFrom(file: string): ScenarioStep[] {
  try {
    return loadScenario(file);
  } catch (err) {
    // A scenario is part of the command line: its problems are the user's to fix (exit 2).
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

function controlFor(out: string | undefined): FleetControl {
  if (!out) throw new UsageError('--out DIR is required (where `medic sim` wrote fleet.json)');
  const control = fleetControl(resolve(out));
  if (!control) throw new UsageError(`no running fleet found: ${join(out, FLEET_FILE)} is missing; start one with medic sim --out ${out}`);
  return control;
}

/** Runs a call to the fleet; a fleet that does not answer is a failure (exit 1) naming its address. */
async function reach<T>(control: FleetControl, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new Error(`cannot reach the fleet at ${control.url}: ${(err as Error).message}`);
  }
}
