// Dry run never leaks into a real action: an agent whose tier (or whose inventory driver) is dry-run is
// planned for and recorded, but nothing it "changed" is recorded as a change, and nothing is ever
// reverted on it for real, not even a change recorded before its tier went dry-run.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../lib/logger.ts';
import { revertDueChanges } from '../../remediations/act/change-reverter.ts';
import { parsePoliciesYaml } from '../../remediations/decide/policies.ts';
import { buildInventory } from '../../remediations/inventory.ts';
import { attemptsOf, policiesWith, startHarness, type Harness } from '../helpers/engine-harness.ts';

const MIB = 1024 * 1024;
const DRY_TIER = policiesWith({ tiers: { default: { dry_run: true, change_expiry: '1s' } } });

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

const writes = (h: Harness, id: string) => h.agents.get(id)!.calls.filter((c) => !c.startsWith('GET') && c !== 'POST /admin/state/save');

describe('dry run', () => {
  it('a dry-run tier records the decision but no reversible change', async () => {
    h = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], policiesYaml: DRY_TIER });
    h.agents.get('a1')!.state.summary.memory_bytes = 500 * MIB; // 98% of 512 MiB: repair would raise it
    const incident = await h.incident('AgentMemoryHigh', 'a1');
    const r = await h.heal(incident);
    assert.equal(r.kind === 'done' && r.outcome, 'dry_run');
    const [a] = await attemptsOf(h.store, incident.id);
    assert.equal(a!.strategy, 'repair');
    assert.deepEqual(await h.store.listChanges('active'), [], 'nothing changed, so nothing may be reverted later');
    assert.deepEqual(writes(h, 'a1'), []);
  });

  /** A real repair (memory limit 512 → 768 MiB) whose change is due 50 ms later; the agent's calls cleared. */
  async function realChangeDue(): Promise<Harness> {
    const harness = await startHarness({ agents: [{ id: 'a1', type: 'generic' }], policiesYaml: policiesWith({ tiers: { default: { change_expiry: '50ms' } } }) });
    harness.agents.get('a1')!.state.summary.memory_bytes = 500 * MIB;
    assert.equal((await harness.heal(await harness.incident('AgentMemoryHigh', 'a1'))).kind, 'done');
    assert.equal((await harness.store.listChanges('active')).length, 1);
    harness.agents.get('a1')!.calls.length = 0;
    await sleep(60);
    return harness;
  }

  const revert = (harness: Harness, policiesYaml: string) => revertDueChanges({
    store: harness.store, inventory: buildInventory(harness.inventory), drivers: harness.drivers, policies: parsePoliciesYaml(policiesYaml, 'test policies'),
    clock: { now: () => Date.now() }, log: createLogger('silent'), timeoutMs: 2000,
  });

  it('the change reverter acts on a dry-run tier through the dry-run driver: no real PATCH or PUT', async () => {
    // A change made for real while the tier acted, due now; the tier has been switched to dry-run since.
    h = await realChangeDue();
    assert.equal(await revert(h, DRY_TIER), 1);
    assert.deepEqual(writes(h, 'a1'), [], 'a dry-run agent gets no real write');
    assert.equal(h.agents.get('a1')!.state.config.memory_limit_mib, 768);
    const [settled] = await h.store.listChanges('reverted');
    assert.match(String(settled!.note), /^dry-run: would have restored/);
  });

  it('the same change on a tier that acts is reverted for real', async () => {
    h = await realChangeDue();
    assert.equal(await revert(h, policiesWith({})), 1);
    assert.deepEqual(writes(h, 'a1'), ['PATCH /admin/config']);
    assert.equal(h.agents.get('a1')!.state.config.memory_limit_mib, 512);
  });
});
