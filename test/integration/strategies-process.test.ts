// The process driver with real child processes: a restart is a new pid, the working state crosses it
// through the state file, and the agent's admin API still serves the other strategies.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { Agent } from '../../remediations/types.ts';
import { attemptsOf, startHarness, TOKEN, type Harness } from '../helpers/engine-harness.ts';
import { REPO } from '../helpers/medic-process.ts';
import { tempDir } from '../helpers/service.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function processAgent(id: string, type: string): Promise<Agent> {
  const port = await freePort();
  return {
    id, type, tier: '', driver: 'process',
    target: {
      kind: 'process', command: [process.execPath, '--import', 'tsx', join(REPO, 'sim/agent-process.ts'), '--id', id, '--port', String(port)],
      cwd: REPO, base_url: `http://127.0.0.1:${port}/admin`, token: TOKEN, state_file: join(tempDir('medic-state-'), `${id}.json`), env: {},
    },
  };
}

async function admin(agent: Agent, method: string, path: string, body?: unknown): Promise<any> {
  const t = agent.target as { base_url: string };
  const res = await fetch(`${t.base_url}${path}`, {
    method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

describe('strategies over the process driver', { timeout: 60_000 }, () => {
  it('restart: stops the process, starts a new one (new pid) and hands the working state over', async () => {
    const agent = await processAgent('semgrep-p1', 'semgrep');
    h = await startHarness({ agents: [], extraInventory: [agent] });
    const pidBefore = await h.drivers.process.ensureStarted(agent);
    await admin(agent, 'POST', '/state/restore', { state: { scans_in_flight: 4, cache: 'warm' } });
    const bootBefore = (await admin(agent, 'GET', '/health')).boot_id;

    const incident = await h.incident('AgentDown', 'semgrep-p1');
    const result = await h.heal(incident);

    assert.equal(result.kind, 'done', JSON.stringify(result));
    const health = await admin(agent, 'GET', '/health');
    assert.notEqual(health.pid, pidBefore, 'a new process');
    assert.notEqual(health.boot_id, bootBefore);
    assert.throws(() => process.kill(pidBefore, 0), 'the old process is gone');
    assert.deepEqual((await admin(agent, 'POST', '/state/save')).state, { scans_in_flight: 4, cache: 'warm' });
    const [attempt] = await attemptsOf(h.store, incident.id);
    assert.equal(attempt!.outcome, 'succeeded');
    assert.equal(attempt!.driver, 'process');
  });

  it('restart: starts an agent whose process died, from its last state file', async () => {
    const agent = await processAgent('shellgpt-p1', 'shellgpt');
    h = await startHarness({ agents: [], extraInventory: [agent] });
    const pid = await h.drivers.process.ensureStarted(agent);
    await admin(agent, 'POST', '/state/restore', { state: { sessions: 2 } });
    process.kill(pid, 'SIGTERM'); // the agent writes its state file on the way down
    await new Promise((r) => setTimeout(r, 300));
    const result = await h.heal(await h.incident('AgentDown', 'shellgpt-p1'));
    assert.equal(result.kind, 'done', JSON.stringify(result));
    const health = await admin(agent, 'GET', '/health');
    assert.notEqual(health.pid, pid);
    assert.deepEqual((await admin(agent, 'POST', '/state/save')).state, { sessions: 2 });
  });

  it('rollback: the running process takes the rollback through its admin API, keeping its pid', async () => {
    const agent = await processAgent('crewai-p1', 'crewai');
    h = await startHarness({ agents: [], extraInventory: [agent] });
    const pid = await h.drivers.process.ensureStarted(agent);
    const result = await h.heal(await h.incident('AgentBadVersion', 'crewai-p1'));
    assert.equal(result.kind, 'done', JSON.stringify(result));
    const health = await admin(agent, 'GET', '/health');
    assert.equal(health.version, '1.4.1');
    assert.equal(health.pid, pid);
  });
});
