// The simulated fleet: the metric contract on each agent's port, the admin API behind the supervisor,
// and each fault kind healed by its prescribed remediation and by nothing else.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { ConfigError } from '../../lib/yaml-config.ts';
import { startAgentServer } from '../../sim/agent-server.ts';
import { FAULT_KINDS, type FaultKind } from '../../sim/fault-kinds.ts';
import { startFleet, type Fleet } from '../../sim/fleet.ts';
import { MAX_CALLS } from '../../sim/sim-agent.ts';
import { loadScenario } from '../../sim/scenario.ts';
import { runMedic, startMedicProcess } from '../../sim/stack/medic-process.ts';
import { freeBlock } from '../../sim/stack/ports.ts';
import { tempDir } from '../../sim/stack/temp-dir.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'fleet-test-token';
const CONTRACT = ['up', 'agent_ready', 'agent_request_duration_seconds', 'agent_requests_total', 'agent_queue_depth', 'agent_memory_bytes', 'agent_memory_limit_bytes', 'process_cpu_seconds_total', 'agent_dependency_up'];

const basePort = (n: number) => freeBlock(n);

describe('simulated fleet', () => {
  let fleet: Fleet;
  const admin = async (agent: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${fleet.controlUrl}/agents/${agent}/admin${path}`, {
      method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const healthy = async (agent: string) => (await admin(agent, 'GET', '/health')).status === 200 && (await admin(agent, 'GET', '/health')).body.status === 'ok';

  before(async () => {
    fleet = await startFleet({ agents: 20, basePort: await basePort(21), token: TOKEN, seed: 1, tickMs: 100 });
  });
  after(() => fleet.stop());

  it('serves the agent metric contract on each agent port', async () => {
    const a = fleet.agents()[0]!;
    const text = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
    for (const name of CONTRACT.filter((n) => n !== 'up')) assert.match(text, new RegExp(`^${name}(_bucket|_count|_sum)?[{ ]`, 'm'), name);
    assert.match(text, /agent_requests_total\{status="500"\}/);
    assert.match(text, /agent_dependency_up\{dependency="llm-api"\} 1/);
  });

  it('names agents by type with the design tiers, and answers the admin API only with the token', async () => {
    const types = new Map(fleet.agents().map((a) => [a.type, a.tier]));
    assert.equal(types.get('crewai'), 'critical_agents');
    assert.equal(types.get('shellgpt'), 'lightweight_agents');
    assert.equal(types.get('aider'), 'default');
    const res = await fetch(`${fleet.controlUrl}/agents/crewai-1/admin/health`);
    assert.equal(res.status, 401);
  });

  // How to apply each remediation through the admin API, as Medic's strategies do.
  const REMEDIES: Record<string, (agent: string) => Promise<unknown>> = {
    restart: async (agent) => {
      await admin(agent, 'POST', '/restart', { request_id: `r-${Math.random()}`, graceful_timeout_s: 1 });
      await sleep(700);
    },
    scale: (agent) => admin(agent, 'PUT', '/replicas', { replicas: 4 }),
    circuit_break: (agent) => admin(agent, 'PUT', '/circuit', { state: 'open' }),
    rollback: (agent) => admin(agent, 'POST', '/rollback', { to_version: '1.4.2' }),
    repair: (agent) => admin(agent, 'PATCH', '/config', { patch: { memory_limit_mib: 768, cpu_limit_millicores: 1500, request_timeout_ms: 2000 } }),
  };
  const PRESCRIBED: Record<FaultKind, string | null> = {
    crash: 'restart', hang: 'restart', latency: 'scale', errors: 'circuit_break', queue: 'scale', 'memory-leak': 'repair', cpu: 'repair',
    dependency: null, 'bad-config': 'repair', 'bad-version': 'rollback',
  };

  let n = 0;
  for (const kind of FAULT_KINDS) {
    it(`${kind}: ${PRESCRIBED[kind] ? `healed by ${PRESCRIBED[kind]}, not by the others` : 'heals by itself after --for'}`, async () => {
      const agent = fleet.agents()[n++]!.id;
      fleet.inject({ agent, kind, forMs: kind === 'dependency' ? 400 : undefined });
      await sleep(150);
      const fault = () => fleet.status().find((s) => s.id === agent)!.fault;
      assert.equal(fault(), kind);
      if (!PRESCRIBED[kind]) {
        await sleep(500);
        assert.equal(fault(), null);
        return;
      }
      for (const [name, apply] of Object.entries(REMEDIES)) {
        if (name === PRESCRIBED[kind]) continue;
        await apply(agent);
        await sleep(150);
        assert.equal(fault(), kind, `${name} must not heal ${kind}`);
      }
      await REMEDIES[PRESCRIBED[kind]!]!(agent);
      await sleep(300);
      assert.equal(fault(), null, `${PRESCRIBED[kind]} heals ${kind}`);
      assert.ok(await healthy(agent), 'and the agent reports healthy');
      const port = fleet.agents().find((a) => a.id === agent)!.port;
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1000) })).status, 200, 'and serves metrics again');
    });
  }

  it('an error rate below 0.5 is healed by a restart instead of a breaker', async () => {
    const agent = 'aider-2';
    fleet.inject({ agent, kind: 'errors', rate: 0.3 });
    await REMEDIES.circuit_break!(agent);
    await sleep(150);
    assert.equal(fleet.status().find((s) => s.id === agent)!.fault, 'errors');
    await REMEDIES.restart!(agent);
    await sleep(200);
    assert.equal(fleet.status().find((s) => s.id === agent)!.fault, null);
  });

  it('refuses an unknown agent or fault kind', () => {
    assert.throws(() => fleet.inject({ agent: 'nobody-1', kind: 'crash' }), /no agent nobody-1/);
    assert.throws(() => fleet.inject({ agent: 'crewai-1', kind: 'gremlins' as FaultKind }), /unknown fault kind gremlins/);
  });
});

describe('medic sim (the command)', () => {
  it('writes targets, inventory and token; takes faults and shows status through its API', { timeout: 60_000 }, async () => {
    const out = tempDir('medic-sim-');
    const base = await basePort(6);
    const sim = await startMedicProcess({ command: [process.execPath, new URL('../../bin/medic.js', import.meta.url).pathname, 'sim', '--agents', '5', '--base-port', String(base), '--out', out], readyMessage: 'fleet running' });
    try {
      const targets = JSON.parse(readFileSync(join(out, 'targets.json'), 'utf8')) as { targets: string[]; labels: Record<string, string> }[];
      assert.equal(targets.length, 5);
      assert.deepEqual(targets[0], { targets: [`127.0.0.1:${base}`], labels: { agent: 'autogpt-1', agent_type: 'autogpt', tier: 'critical_agents' } });
      const inventory = parse(readFileSync(join(out, 'inventory.yaml'), 'utf8')) as { agents: { id: string; driver: string; http: { base_url: string; token_file: string } }[] };
      assert.equal(inventory.agents[1]!.http.base_url, `http://127.0.0.1:${base + 5}/agents/crewai-1/admin`);
      const fault = await runMedic(['sim', 'fault', '--out', out, '--agent', 'crewai-1', '--kind', 'crash']);
      assert.equal(fault.code, 0, fault.stderr);
      const status = await runMedic(['sim', 'status', '--out', out]);
      assert.match(status.stdout, /crewai-1 .* crashed fault crash/);
      const bad = await runMedic(['sim', 'fault', '--out', out, '--agent', 'crewai-1', '--kind', 'meteor']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--kind must be one of crash, hang/);
      // A degrading memory leak: the agent is up while memory climbs, then OOM-killed at the limit.
      const leak = await runMedic(['sim', 'fault', '--out', out, '--agent', 'bigagi-1', '--kind', 'memory-leak', '--ramp', '3s']);
      assert.equal(leak.code, 0, leak.stderr);
      assert.match((await runMedic(['sim', 'status', '--out', out])).stdout, /bigagi-1 .* up\s+fault memory-leak/);
      await waitFor('bigagi-1 OOM-killed at the end of its ramp', async () => /bigagi-1 .* crashed\s+fault memory-leak/.test((await runMedic(['sim', 'status', '--out', out])).stdout), 15_000, 250);
      const sudden = await runMedic(['sim', 'fault', '--out', out, '--agent', 'bigagi-1', '--kind', 'hang', '--ramp', '1m']);
      assert.equal(sudden.code, 2);
      assert.match(sudden.stderr, /--ramp applies to memory-leak, latency, errors, queue, not hang/);
    } finally {
      sim.child.kill('SIGTERM');
      await sim.exited;
    }
  });

  it('validates a scenario file, naming the field and the value', () => {
    const dir = tempDir('medic-scenario-');
    writeFileSync(join(dir, 'ok.yaml'), 'faults:\n  - { at: 30s, agent: crewai-1, kind: crash }\n  - { at: 1m, agent: aider-1, kind: dependency, for: 20s }\n');
    assert.deepEqual(loadScenario(join(dir, 'ok.yaml')), [
      { atMs: 30_000, agent: 'crewai-1', kind: 'crash', forMs: undefined, rate: undefined },
      { atMs: 60_000, agent: 'aider-1', kind: 'dependency', forMs: 20_000, rate: undefined },
    ]);
    writeFileSync(join(dir, 'bad.yaml'), 'faults:\n  - { at: soon, agent: crewai-1, kind: meteor }\n');
    assert.throws(() => loadScenario(join(dir, 'bad.yaml')), (err: ConfigError) => {
      assert.ok(err.problems.some((p) => /faults\[0\]\.at must be a duration/.test(p)), err.message);
      assert.ok(err.problems.some((p) => /faults\[0\]\.kind must be one of "crash"/.test(p)), err.message);
      return true;
    });
  });
});

describe('a simulated agent under long polling', () => {
  it('remembers only its most recent admin calls', async () => {
    const agent = await startAgentServer({ id: 'poll-1', token: TOKEN });
    try {
      for (let i = 0; i < MAX_CALLS + 50; i++) await fetch(`${agent.adminUrl}/health`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(agent.calls.length, MAX_CALLS);
    } finally {
      await agent.stop();
    }
  });
});
