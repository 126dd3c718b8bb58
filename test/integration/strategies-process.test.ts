// What only the process driver does: manage the agent's process itself. (Every strategy also runs
// against it in strategies.test.ts.)
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness, type Harness } from '../helpers/engine-harness.ts';
import { isAlive } from '../../sim/stack/medic-process.ts';
import { simTarget } from '../helpers/sim-target.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});


describe('the process driver', { timeout: 60_000 }, () => {
  it('restart ends the old process for good', async () => {
    const t = await simTarget('process', 'semgrep-p1', 'semgrep');
    h = await startHarness({ agents: [], extraInventory: [t.entry] });
    const pid = await h.process.ensureStarted(t.entry);
    assert.equal((await h.heal(await h.incident('AgentDown', 'semgrep-p1'))).kind, 'done');
    assert.equal(isAlive(pid), false);
    assert.notEqual((await t.state()).pid, pid);
  });

  it('starts an agent whose process died, from the state file it wrote on the way down', async () => {
    const t = await simTarget('process', 'shellgpt-p1', 'shellgpt');
    h = await startHarness({ agents: [], extraInventory: [t.entry] });
    const pid = await h.process.ensureStarted(t.entry);
    const base = (t.entry.target as unknown as { base_url: string }).base_url.replace(/\/admin$/, '');
    await fetch(`${base}/sim/working`, { method: 'PUT', headers: { authorization: 'Bearer agent-token', 'content-type': 'application/json' }, body: JSON.stringify({ sessions: 2 }) });
    process.kill(pid, 'SIGTERM');
    await sleep(300);
    const result = await h.heal(await h.incident('AgentDown', 'shellgpt-p1'));
    assert.equal(result.kind, 'done', JSON.stringify(result));
    const s = await t.state();
    assert.notEqual(s.pid, pid);
    assert.deepEqual(s.working, { sessions: 2 });
  });
});
