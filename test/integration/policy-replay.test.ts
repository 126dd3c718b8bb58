// Policy replay (what-if): a generated history (the real engine and store in compressed time), replayed
// through the policies it was made with (no difference: the replay is faithful), then through a changed
// policy whose effect is known (every incident of one tier, and only those, differs); from the library
// and from `medic replay`. The recorded store is left as it was.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { generateHistory } from '../../bench/synthetic-history.ts';
import { DEFAULT_POLICIES_YAML, defaultPolicies, loadPolicies } from '../../remediations/decide/policies.ts';
import { defaultRules } from '../../remediations/decide/selection.ts';
import type { Agent } from '../../remediations/types.ts';
import { replayPolicies } from '../../server/replay/policy-replay.ts';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.ts';
import { tempDir } from '../helpers/service.ts';

const run = promisify(execFile);
const END = Date.parse('2026-12-01T00:00:00Z');
const DAYS = 10;
const FROM = END - DAYS * 86_400_000;
const LIGHTWEIGHT = new Set(['semgrep', 'shellgpt']);

describe('policy replay', () => {
  let dir: string;
  let store: SqliteStore;
  let agents: Agent[];
  let candidatePath: string;
  let lightweightIncidents: number[];

  before(async () => {
    dir = tempDir('medic-replay-');
    store = SqliteStore.open({ path: join(dir, 'medic.db'), synchronous: 'normal', busyTimeoutMs: 1000 });
    const g = await generateHistory(store, { agents: 40, days: DAYS, perAgentPerDay: 3, seed: 11, endAt: END }, { policies: defaultPolicies(), rules: defaultRules() });
    agents = g.agents;
    writeFileSync(join(dir, 'inventory.yaml'), stringify({ agents: agents.map((a) => ({ id: a.id, type: a.type, driver: 'http', http: { base_url: a.target.base_url, token: 'synthetic-agent-token' } })) }));
    // The known difference: the lightweight tier in shadow mode decides and does not act.
    candidatePath = join(dir, 'candidate-policies.yaml');
    writeFileSync(candidatePath, DEFAULT_POLICIES_YAML.replace('    memory_limit_buffer: 0.2\n', '    memory_limit_buffer: 0.2\n    mode: shadow\n'));
    const all = await store.listIncidents({}, { limit: 500 });
    const ids: { id: number; agent: string | null }[] = [...all.items];
    for (let cursor = all.nextCursor; cursor !== null;) {
      const page = await store.listIncidents({}, { limit: 500, cursor });
      ids.push(...page.items);
      cursor = page.nextCursor;
    }
    lightweightIncidents = ids.filter((i) => LIGHTWEIGHT.has(agents.find((a) => a.id === i.agent)!.type)).map((i) => i.id).sort((a, b) => a - b);
    assert.ok(ids.length > 800, `a history of ${ids.length} incidents`);
    assert.ok(lightweightIncidents.length > 100);
  });
  after(async () => {
    await store.close();
  });

  it('through the policies the history was made with, every incident comes out as recorded', async () => {
    const before = await store.listAttempts({}, { limit: 1 });
    const r = await replayPolicies({ source: store, from: FROM, to: END, agents, policies: defaultPolicies(), rules: defaultRules() });
    assert.ok(r.incidents > 800);
    assert.deepEqual(r.differences, []);
    assert.ok(r.actions.length >= 6, 'actions by several tiers and strategies');
    for (const a of r.actions) assert.equal(a.candidate, a.recorded, `${a.tier} ${a.strategy}`);
    assert.ok(r.actions.some((a) => a.strategy === 'rollback' && a.recorded > 0), 'ladders climbed where remedies did not hold');
    assert.deepEqual(await store.listAttempts({}, { limit: 1 }), before, 'the recorded store is only read');
  });

  it('through a changed policy, names exactly the incidents whose outcome would differ', async () => {
    const r = await replayPolicies({ source: store, from: FROM, to: END, agents, policies: loadPolicies(candidatePath), rules: defaultRules() });
    assert.deepEqual(r.differences.map((d) => d.incidentId), lightweightIncidents, 'every lightweight incident, and no other');
    for (const d of r.differences) {
      assert.equal(d.tier, 'lightweight_agents');
      assert.match(d.candidate, /^decided without acting: \w+ \(shadow\)$/);
      assert.match(d.recorded, /acted: |escalated: /);
    }
    const lightweight = r.actions.filter((a) => a.tier === 'lightweight_agents');
    assert.ok(lightweight.length > 0 && lightweight.every((a) => a.candidate === 0 && a.recorded > 0));
    assert.ok(r.actions.filter((a) => a.tier !== 'lightweight_agents').every((a) => a.candidate === a.recorded), 'the other tiers act as recorded');
  });

  it('medic replay reports the same, as text and as JSON', async () => {
    const args = ['bin/medic.js', 'replay', '--data-dir', dir, '--inventory', join(dir, 'inventory.yaml'), '--from', new Date(FROM).toISOString(), '--to', new Date(END).toISOString(), '--policies', candidatePath];
    const json = await run(process.execPath, [...args, '--json'], { maxBuffer: 64 * 1024 * 1024 });
    const report = JSON.parse(json.stdout) as { differences: { incidentId: number }[] };
    assert.deepEqual(report.differences.map((d) => d.incidentId), lightweightIncidents);
    const text = await run(process.execPath, [...args, '--max-differences', '2']);
    assert.match(text.stdout, new RegExp(`${lightweightIncidents.length} incidents would have a different outcome \\(the first 2; --json lists all\\)`));
    assert.match(text.stdout, /lightweight_agents\s+restart\s+\d+\s+0\n/);
    assert.match(text.stdout, /candidate: decided without acting: \w+ \(shadow\)/);

    const refused = await run(process.execPath, ['bin/medic.js', 'replay', '--data-dir', dir, '--from', 'yesterday']).then(
      () => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--from: "yesterday" is not a time/);
  });
});
