// The registries are open: this file defines a new strategy and a new driver entirely inside itself,
// registers them, and runs an incident end to end through the engine with them. No other file names
// either of them.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { z } from 'zod';
import { BUILTIN_DRIVERS, createDriverRegistry } from '../../remediations/drivers/index.ts';
import type { DriverDefinition } from '../../remediations/drivers/driver-definition.ts';
import { loadInventory } from '../../remediations/inventory.ts';
import { BUILTIN_STRATEGIES, createStrategyRegistry } from '../../remediations/strategies/index.ts';
import { strategyCooldown, type Strategy } from '../../remediations/strategies/strategy.ts';
import type { ActionRequest, Agent, Driver } from '../../remediations/types.ts';
import { attemptsOf, startHarness, type Harness } from '../helpers/engine-harness.ts';
import { tempDir } from '../helpers/service.ts';

/** A driver for agents that live in this process: a map of queues. */
const queues = new Map<string, { depth: number; boots: number; performed: string[] }>();

const inMemoryDriver: DriverDefinition<{ queue: string }> = {
  name: 'in-memory',
  targetSchema: z.strictObject({ queue: z.string().min(1) }),
  target: (block) => ({ kind: 'in-memory', queue: block.queue }),
  create: (): Driver => {
    const q = (agent: Agent) => queues.get(String(agent.target.queue))!;
    return {
      name: 'in-memory',
      supports: new Set(['gc']),
      async health(agent) {
        const s = q(agent);
        return { healthy: s.depth < 100, bootId: `boot-${s.boots}`, reason: s.depth < 100 ? undefined : `queue depth ${s.depth}` };
      },
      async perform(agent, request: ActionRequest) {
        const s = q(agent);
        s.performed.push(request.action);
        if (request.action === 'gc') s.depth = 0;
        return { data: { depth: s.depth } };
      },
    };
  },
};

/** A strategy that empties a backlog through whatever driver supports `gc`. */
const drainQueue: Strategy = {
  name: 'drain_queue',
  description: 'empty the agent queue',
  cooldown: strategyCooldown,
  resume: 'recorded',
  onFailed: 'climb',
  plan: (ctx) => (ctx.observed.health.healthy
    ? { skip: 'the queue is not backed up' }
    : { strategy: 'drain_queue', summary: `drain ${ctx.agent.id}'s queue (${ctx.observed.health.reason})`, steps: ['drain', 'verify'], data: {} }),
  async execute(_plan, ctx) {
    const r = await ctx.perform({ action: 'gc' });
    return { status: 'acted', summary: `queue drained to ${String(r.data.depth)}`, details: r.data, expect: {} };
  },
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
  queues.clear();
});

describe('open registries', () => {
  it('a strategy and a driver defined in one file heal an incident end to end through the engine', async () => {
    const strategies = createStrategyRegistry([...BUILTIN_STRATEGIES, drainQueue]);
    // The inventory's schema comes from the driver registry: an entry may name the new driver and its block.
    const dir = tempDir('medic-open-');
    const file = join(dir, 'inventory.yaml');
    writeFileSync(file, 'agents:\n  - { id: worker-1, type: worker, driver: in-memory, in-memory: { queue: q1 } }\n');
    const inventory = loadInventory(file, [...BUILTIN_DRIVERS, inMemoryDriver]);
    assert.deepEqual(inventory.resolve({ agent: 'worker-1' })?.target, { kind: 'in-memory', queue: 'q1' });
    queues.set('q1', { depth: 5000, boots: 1, performed: [] });

    h = await startHarness({
      agents: [], extraInventory: inventory.all(), strategies, drivers: [inMemoryDriver],
      rulesYaml: 'rules:\n  - name: backlog\n    match: { alertname: [AgentQueueBacklog] }\n    ladder: [drain_queue, restart]\n',
    });
    const incident = await h.incident('AgentQueueBacklog', 'worker-1');
    const result = await h.heal(incident);

    assert.deepEqual(result, { kind: 'done', outcome: 'succeeded', reason: 'queue drained to 0' });
    assert.deepEqual(queues.get('q1')!.performed, ['gc']);
    const [attempt] = await attemptsOf(h.store, incident.id);
    assert.equal(attempt!.strategy, 'drain_queue');
    assert.equal(attempt!.driver, 'in-memory');
    assert.match(String(attempt!.reason), /queue drained to 0; /);
  });

  it('a rule naming a strategy no registry holds stops the start, naming it', async () => {
    await assert.rejects(
      startHarness({ agents: [], rulesYaml: 'rules:\n  - name: backlog\n    ladder: [drain_queue]\n' }),
      /test rules: rules\[0\]\.ladder\[0\] must be one of "restart", .*, but was "drain_queue"/,
    );
  });

  it('a driver registered twice stops the start', () => {
    assert.throws(() => createDriverRegistry({ httpTimeoutMs: 1, processStartTimeoutMs: 1, definitions: [...BUILTIN_DRIVERS, BUILTIN_DRIVERS[0]!] }), /http is registered twice/);
    assert.throws(() => createStrategyRegistry([...BUILTIN_STRATEGIES, drainQueue, drainQueue]), /drain_queue is registered twice/);
  });
});
