// A transient failure retries the same rung with backoff; a terminal one, or one past its tries, climbs.
// The driver here answers restart with what a test sets: an HTTP-like status per call.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { DriverDefinition } from '../../remediations/drivers/driver-definition.ts';
import { DriverError, type Driver } from '../../remediations/types.ts';
import { attemptsOf, startHarness, type Harness } from '../helpers/engine-harness.ts';

/** Status answered to each restart call in turn (then 200), and what the driver saw. */
let script: number[] = [];
let restarts: string[] = [];
let boot = 1;

const scripted: DriverDefinition<undefined> = {
  name: 'scripted',
  target: () => ({ kind: 'scripted' }),
  create: (): Driver => ({
    name: 'scripted',
    supports: new Set(['restart']),
    health: async () => ({ healthy: boot > 1, bootId: `boot-${boot}`, reason: boot > 1 ? undefined : 'down' }),
    async perform(_agent, request) {
      if (request.action !== 'restart') return { data: {} };
      restarts.push(request.requestId);
      const status = script.shift() ?? 200;
      // As the http driver classifies answers: 5xx retryable, 4xx terminal.
      if (status >= 400) throw new DriverError(`POST /restart answered ${status}`, status >= 500);
      boot++;
      return { data: { status: 'restarting' } };
    },
  }),
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
  script = [];
  restarts = [];
  boot = 1;
});

async function heal(statuses: number[]) {
  script = statuses;
  h = await startHarness({
    agents: [], drivers: [scripted], extraInventory: [{ id: 'x1', type: 'generic', tier: '', driver: 'scripted', target: { kind: 'scripted' } }],
    rulesYaml: 'rules:\n  - name: down\n    ladder: [restart, scale]\n',
  });
  const incident = await h.incident('AgentDown', 'x1');
  const results = await h.healUntilDone(incident);
  return { results, attempts: await attemptsOf(h.store, incident.id) };
}

describe('retry of a failed action', () => {
  it('one 503 retries the same rung (same request id) after a backoff, and it succeeds', async () => {
    const { results, attempts } = await heal([503]);
    assert.deepEqual(results.map((r) => r.kind), ['defer', 'done']);
    assert.equal(results[0]!.kind === 'defer' && results[0]!.afterMs, 20, 'the first backoff');
    const last = results.at(-1)!;
    assert.equal(last.kind === 'done' && last.outcome, 'succeeded');
    assert.equal(restarts.length, 2);
    assert.equal(restarts[0], restarts[1], 'one attempt, one request id: the agent sees one restart');
    assert.deepEqual(attempts.map((a) => [a.strategy, a.outcome]), [['restart', 'succeeded']]);
  });

  // Finding 5 of the hardening issue: request ids were medic-<attempt id>, so a new or restored database
  // sent medic-1 again, and an agent that remembers ids took a real new restart for a repeat.
  it('a new database never sends the request id an earlier one sent', async () => {
    await heal([]);
    const first = restarts[0];
    await h!.dispose();
    h = undefined;
    restarts = [];
    boot = 1;
    await heal([]);
    assert.ok(first && restarts[0], 'both databases restarted');
    assert.notEqual(restarts[0], first);
    assert.match(restarts[0]!, /^medic-[0-9a-f-]{36}$/);
  });

  it('a 503 on every try spends the rung after action tries (3), with growing backoff, then climbs', async () => {
    const { results, attempts } = await heal([503, 503, 503, 503]);
    assert.deepEqual(results.slice(0, 3).map((r) => (r.kind === 'defer' ? r.afterMs : r.kind)), [20, 40, 0]);
    assert.equal(restarts.length, 3);
    assert.equal(attempts[0]!.strategy, 'restart');
    assert.equal(attempts[0]!.outcome, 'failed');
    assert.equal(attempts[0]!.details.tries, 3);
    // The next rung (scale) is the scripted driver's to refuse: what matters is that restart was left.
    assert.ok(attempts.slice(1).every((a) => a.strategy !== 'restart'), JSON.stringify(attempts.map((a) => a.strategy)));
  });

  it('a 400 is terminal: no retry, the ladder climbs at once', async () => {
    const { results, attempts } = await heal([400]);
    assert.equal(results[0]!.kind === 'defer' && results[0]!.afterMs, 0);
    assert.equal(restarts.length, 1);
    assert.equal(attempts[0]!.outcome, 'failed');
    assert.equal(attempts[0]!.details.tries, 1);
  });
});
