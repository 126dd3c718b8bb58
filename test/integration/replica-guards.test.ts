// The fleet guards hold across replicas (issue 14, acceptance 4): three Medic processes on one
// PostgreSQL schema, 60 agents failing at once, every alert delivered to every replica in shuffled order.
// Kept per process, each replica would spend its own healing budget, count only its own actions for the
// blast radius and escalate the storm once of its own: three times what the policy allows. Decided in
// the store, the three together act as one Medic: the budget bounds the actions of all three, no more
// agents are disrupted at once than the blast radius allows, and the storm is escalated once.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { stringify } from 'yaml';
import { startFleet } from '../../sim/fleet.ts';
import { writeFleetFiles } from '../../sim/fleet-files.ts';
import { freeBlock } from '../../sim/stack/ports.ts';
import { firingDelivery } from '../helpers/fixtures.ts';
import { freshSchema, TEST_DATABASE_URL } from '../helpers/postgres.ts';
import { deliverEach, metricsOf, shuffled, startReplicas, stopReplica, sumSamples } from '../helpers/replicas.ts';
import { tempDir } from '../helpers/service.ts';

const AGENTS = 60;
const REPLICAS = 3;
const TOKEN = 'guards-agent-token';
const WEBHOOK_TOKEN = 'guards-webhook-token';
// The budget binds: 8 actions at once, then one every 10 s. Three per-process budgets would allow 24.
const BUDGET = { capacity: 8, refill_per_minute: 6 };
// The blast radius: 5% of 60 agents, at least 3, may be disrupted at once.
const RADIUS_LIMIT = 3;
const OBSERVE_MS = 30_000;

interface Row { target: string; outcome: string; started_at: string; finished_at: string | null; strategy: string }

describe('fleet guards across replicas', () => {
  it(`${AGENTS} agents failing at once on ${REPLICAS} replicas: one budget, one blast radius, one storm escalation`, { timeout: 180_000 }, async (t) => {
    const dir = tempDir('medic-replica-guards-');
    const schema = freshSchema();
    const fleet = await startFleet({ agents: AGENTS, basePort: await freeBlock(AGENTS + 1), token: TOKEN, seed: 14 });
    t.after(() => fleet.stop());
    writeFleetFiles(dir, fleet.controlUrl, fleet.agents(), TOKEN, '127.0.0.1');
    writeFileSync(join(dir, 'policies.yaml'), stringify({
      tiers: { default: { restart_cooldown: '0s', strategy_cooldown: '0s', max_restart_attempts: 100 } },
      guards: {
        max_concurrent: 20, budget: BUDGET,
        blast_radius: { per_type_percent: 100, fleet_percent: 5, min_agents: RADIUS_LIMIT, max_wait: '10m' },
        // A storm (30% of the fleet, at least 6): escalated once; its rate is set above the budget's here.
        storm: { fleet_percent: 30, min_agents: 6, window: '5m', rate_per_minute: 60 },
        ineffective: { after: 100 },
      },
    }));
    writeFileSync(join(dir, 'medic.yaml'), stringify({
      store: { driver: 'postgres', postgres: { url: TEST_DATABASE_URL, schema, pool_size: 4 } },
      remediation: { inventory: 'inventory.yaml', policies: 'policies.yaml', verify_interval: '100ms', recheck_interval: '300ms', http_timeout: '2s' },
      workers: { concurrency: 4, poll_interval: '100ms', retry_backoff: '100ms', retry_backoff_max: '1s' },
      models: { prediction_interval: '0s', score_incidents: false },
      webhook: { bearer_token: WEBHOOK_TOKEN },
    }));
    const replicas = await startReplicas(REPLICAS, dir, join(dir, 'medic.yaml'));
    t.after(() => Promise.all(replicas.map(stopReplica)));

    const startsAt = new Date(Date.now() - 1000).toISOString();
    const bodies = fleet.agents().map((a, i) => JSON.stringify(firingDelivery(`storm${String(i).padStart(12, '0')}`, a.id, 'critical', startsAt)));
    const t0 = Date.now();
    await deliverEach(shuffled(replicas.flatMap((r) => bodies.map((body) => ({ url: `${r.url}/webhook/alertmanager`, body }))), 14), WEBHOOK_TOKEN, 12, 60_000);
    await sleep(Math.max(0, t0 + OBSERVE_MS - Date.now()));
    const metrics = await Promise.all(replicas.map((r) => metricsOf(r.url)));
    await Promise.all(replicas.map(stopReplica));
    // Until the last replica stopped: an action admitted while they stop counts against the budget too.
    const observedMs = Date.now() - t0;

    const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    let rows: Row[];
    try {
      rows = (await db.query(`SELECT target, outcome, started_at, finished_at, strategy FROM ${schema}.attempts WHERE mode = 'auto' ORDER BY started_at`)).rows as Row[];
    } finally {
      await db.end();
    }
    // Acted: what reached an agent (blocked, escalated and skipped records did not).
    const acted = rows.filter((r) => ['succeeded', 'failed', 'verify_failed', 'in_progress'].includes(r.outcome));
    const blocked = rows.filter((r) => r.outcome === 'blocked');
    // The most agents disrupted at once: each action from its start to its end (or the end of the run).
    const end = t0 + observedMs;
    const edges = acted.flatMap((r) => [[Number(r.started_at), 1], [r.finished_at === null ? end : Number(r.finished_at), -1]] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let atOnce = 0;
    let mostAtOnce = 0;
    for (const [, d] of edges) mostAtOnce = Math.max(mostAtOnce, (atOnce += d));
    const storms = metrics.map((m) => sumSamples(m, 'medic_escalations_total', 'reason="storm"'));
    const byGuard = new Map<string, number>();
    for (const m of metrics) for (const g of ['budget', 'blast_radius_fleet', 'storm', 'concurrency']) byGuard.set(g, (byGuard.get(g) ?? 0) + sumSamples(m, 'medic_guard_blocks_total', `guard="${g}"`));
    const budgetBound = BUDGET.capacity + Math.floor((observedMs / 60_000) * BUDGET.refill_per_minute);
    t.diagnostic(`${acted.length} actions in ${observedMs} ms (the budget allows ${budgetBound}); at most ${mostAtOnce} at once (limit ${RADIUS_LIMIT}); ` +
      `${blocked.length} held; held by guard ${JSON.stringify(Object.fromEntries(byGuard))}; storm escalations by replica ${storms.join(', ')}; ` +
      `applied restarts ${fleet.status().reduce((n, a) => n + a.restarts, 0)}`);

    assert.ok(acted.length <= budgetBound, `the three replicas spent one budget: ${acted.length} actions, at most ${budgetBound} allowed`);
    assert.ok(acted.length >= BUDGET.capacity, `the budget was used, not held back: ${acted.length} actions`);
    assert.ok(mostAtOnce <= RADIUS_LIMIT, `at most ${RADIUS_LIMIT} agents disrupted at once across the replicas, saw ${mostAtOnce}`);
    assert.equal(storms.reduce((a, b) => a + b, 0), 1, `the storm escalated once for the fleet, not once per replica: ${storms.join(', ')}`);
    assert.ok((byGuard.get('budget') ?? 0) > 0 && (byGuard.get('blast_radius_fleet') ?? 0) > 0, 'both guards held incidents');
    assert.equal(new Set(acted.map((r) => r.target)).size, acted.length, 'no agent acted on twice');
  });
});
