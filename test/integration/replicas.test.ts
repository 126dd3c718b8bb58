// Three Medic replicas on one PostgreSQL schema (issue 14, acceptance 2 and 3), fed the way a
// production pair of Alertmanagers feeds them: a real two-peer cluster whose receiver sends every
// notification to every replica, duplicates by design. On top, the test sends every alert to every
// replica itself, in shuffled order, so that the same incident arrives at all three at once.
// (2) 1,000 firing alerts: one incident each, one completed restart each, and the agents applied
//     exactly as many restarts as there were remediations: none was run twice, by one replica or two.
// (3) kill -9 of the replica holding an incident after its restart was applied and before it was
//     verified: another replica takes the work over once the lease (workers.lease, default 10 s)
//     expires, finishes it within 15 s of the kill, and the audit shows one completed action.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { stringify } from 'yaml';
import { startFleet, type Fleet, type FleetAgentInfo } from '../../sim/fleet.ts';
import type { Daemon } from '../../sim/stack/daemons.ts';
import { openPolicies } from '../../sim/stack/open-policies.ts';
import { freeBlock } from '../../sim/stack/ports.ts';
import { freshSchema, TEST_DATABASE_URL } from '../helpers/postgres.ts';
import {
  claimantPid, deliverEach, metricsOf, shuffled, startAlertmanagerCluster, startHealthHold, startReplicas, stopReplica, sumSamples,
  type HealthHold, type Replica,
} from '../helpers/replicas.ts';
import { tempDir } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const REPLICAS = 3;
const ALERTS = 1000;
const PER_AGENT = 5;
// Agent 0 is kept for the kill: its admin API is reached through a hold that can stall verification.
const AGENTS = ALERTS / PER_AGENT + 1;
const TOKEN = 'replicas-webhook-token';
const AGENT_TOKEN = 'replicas-agent-token';
const SEED = 14;

describe('three Medic replicas on one PostgreSQL schema', () => {
  const dir = tempDir('medic-replicas-');
  const schema = freshSchema('medic_replicas');
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  let fleet: Fleet;
  let hold: HealthHold;
  let replicas: Replica[] = [];
  let peers: Daemon[] = [];
  let agents: FleetAgentInfo[];

  before(async () => {
    await db.connect();
    fleet = await startFleet({ agents: AGENTS, basePort: await freeBlock(AGENTS + 1), token: AGENT_TOKEN, seed: SEED });
    agents = fleet.agents();
    hold = await startHealthHold(`${fleet.controlUrl}/agents/${agents[0]!.id}/admin`);
    writeFileSync(join(dir, 'agent-token'), AGENT_TOKEN);
    writeFileSync(join(dir, 'inventory.yaml'), stringify({
      agents: agents.map((a, i) => ({ id: a.id, type: a.type, driver: 'http', http: { base_url: i === 0 ? hold.url : `${fleet.controlUrl}/agents/${a.id}/admin`, token_file: join(dir, 'agent-token') } })),
    }));
    // Every guard opened: what is counted is what the replicas do, not what a guard holds back.
    writeFileSync(join(dir, 'policies.yaml'), openPolicies());
    writeFileSync(join(dir, 'medic.yaml'), stringify({
      store: { driver: 'postgres', postgres: { url: TEST_DATABASE_URL, schema, pool_size: 8 } },
      // Both Alertmanager peers and the test's own senders reach the replicas from 127.0.0.1, which the
      // per-client cap (256) counts as one client: they would be held off and the test would time the
      // retries instead of the replicas.
      server: { max_connections: 2048, max_connections_per_client: 2048 },
      webhook: { bearer_token: TOKEN },
      remediation: { inventory: join(dir, 'inventory.yaml'), policies: join(dir, 'policies.yaml'), verify_interval: '50ms', recheck_interval: '200ms', http_timeout: '2s' },
      // workers.lease stays at its default (10 s): acceptance 3 is about the default.
      workers: { concurrency: 12, poll_interval: '250ms', retry_backoff: '100ms', retry_backoff_max: '1s' },
      models: { prediction_interval: '0s', score_incidents: false },
    }));
    replicas = await startReplicas(REPLICAS, dir, join(dir, 'medic.yaml'));
    peers = await startAlertmanagerCluster(dir, replicas.map((r) => r.url), TOKEN);
  }, { timeout: 180_000 });

  after(async () => {
    await Promise.all(replicas.map(stopReplica));
    await Promise.all(peers.map((p) => p.stop()));
    await hold?.close();
    await fleet?.stop();
    await db.end();
    rmSync(dir, { recursive: true, force: true });
  });

  const restartsOf = (ids: Set<string>) => fleet.status().filter((a) => ids.has(a.id)).reduce((n, a) => n + a.restarts, 0);

  it(`${ALERTS} firing alerts from an Alertmanager cluster and from the test to every replica: one remediation per incident`, { timeout: 240_000 }, async (t) => {
    const work = agents.slice(1);
    const workIds = new Set(work.map((a) => a.id));
    const restartsBefore = restartsOf(workIds);
    // Whole seconds: Alertmanager's webhook writes startsAt as Go's RFC 3339 (no ".000"), and the
    // incident key is fingerprint + startsAt as sent, so the test's deliveries must write it the same.
    const startsAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString().replace('.000Z', 'Z');
    const alerts = Array.from({ length: ALERTS }, (_, i) => {
      const a = work[i % work.length]!;
      return {
        labels: { alertname: 'AgentDown', agent: a.id, agent_type: a.type, tier: a.tier, severity: 'critical', job: 'agents', instance: `127.0.0.1:${a.port}`, probe: String(i) },
        annotations: { summary: `Agent ${a.id} is down` },
        startsAt,
      };
    });
    // As Prometheus does: every alert to every peer.
    for (const p of peers) {
      for (let i = 0; i < ALERTS; i += 250) {
        const res = await fetch(`${p.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts.slice(i, i + 250)) });
        assert.equal(res.status, 200, `alertmanager took the alerts: ${await res.text()}`);
      }
    }
    // The fingerprints Alertmanager gave the alerts: the test's own deliveries must name the same incidents.
    const fingerprints = await waitFor('Alertmanager lists every alert', async () => {
      const listed = (await (await fetch(`${peers[0]!.url}/api/v2/alerts`)).json()) as { fingerprint: string; labels: Record<string, string> }[];
      return listed.length === ALERTS && new Map(listed.map((a) => [a.labels.probe!, a.fingerprint]));
    }, 30_000, 200);
    const delivery = (i: number) => {
      const a = alerts[i]!;
      const group = { agent: a.labels.agent, alertname: a.labels.alertname };
      return JSON.stringify({
        receiver: 'direct', status: 'firing', version: '4', truncatedAlerts: 0, externalURL: peers[0]!.url,
        groupKey: `{}:{agent="${group.agent}", alertname="${group.alertname}"}`, groupLabels: group, commonLabels: a.labels, commonAnnotations: a.annotations,
        alerts: [{ status: 'firing', labels: a.labels, annotations: a.annotations, startsAt, endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: fingerprints.get(String(i)) }],
      });
    };
    const jobs = shuffled(replicas.flatMap((r) => alerts.map((_, i) => ({ url: `${r.url}/webhook/alertmanager`, body: delivery(i) }))), SEED);
    const started = Date.now();
    const refused = await deliverEach(jobs, TOKEN, 12, 120_000);
    const sentMs = Date.now() - started;

    const q = async <T>(sql: string) => (await db.query(sql.replaceAll('{s}', schema))).rows as T[];
    // Each replica's accepted deliveries beyond the test's own came from the Alertmanager cluster.
    const fromCluster = async () => Promise.all(replicas.map(async (r) => sumSamples(await metricsOf(r.url), 'medic_notifications_received_total', 'result="accepted"') - ALERTS));
    const groups = work.length;
    await waitFor('every incident handled, and every group delivered to every replica by the cluster', async () => {
      const [c] = await q<{ incidents: number; open: number }>(`SELECT (SELECT count(*) FROM {s}.incidents)::int AS incidents,
        (SELECT count(*) FROM {s}.work_items WHERE state IN ('pending', 'running'))::int AS open`);
      return c!.incidents === ALERTS && c!.open === 0 && (await fromCluster()).every((n) => n >= groups);
    }, 150_000, 500);
    const drainedMs = Date.now() - started;

    const incidents = await q<{ id: string; fingerprint: string; agent: string }>('SELECT id, fingerprint, agent FROM {s}.incidents');
    const items = await q<{ incident_id: string; state: string }>('SELECT incident_id, state FROM {s}.work_items');
    const attempts = await q<{ incident_id: string; strategy: string; mode: string; outcome: string; details: string }>('SELECT incident_id, strategy, mode, outcome, details FROM {s}.attempts ORDER BY id');
    const byIncident = new Map<string, typeof attempts>();
    for (const a of attempts) byIncident.set(a.incident_id, [...(byIncident.get(a.incident_id) ?? []), a]);
    const notOnce = incidents.flatMap((i) => {
      const list = byIncident.get(i.id) ?? [];
      const ids = new Set(list.map((a) => (JSON.parse(a.details) as { requestId?: string }).requestId));
      const ok = list.length === 1 && list[0]!.strategy === 'restart' && list[0]!.mode === 'auto' && list[0]!.outcome === 'succeeded' && ids.size === 1;
      return ok ? [] : [`incident ${i.id} (${i.agent}): ${list.map((a) => `${a.strategy}/${a.mode} ${a.outcome}`).join(', ') || 'no attempt'}`];
    });
    const metrics = await Promise.all(replicas.map((r) => metricsOf(r.url)));
    const perReplica = metrics.map((m) => sumSamples(m, 'medic_remediations_total', 'result="succeeded"'));
    const duplicates = metrics.map((m) => sumSamples(m, 'medic_alert_duplicates_total'));
    const answers = metrics.map((m) => m.split('\n').filter((l) => (l.startsWith('medic_notifications_received_total{') || l.startsWith('medic_connections_refused_total{')) && !l.endsWith(' 0')).join(' '));
    const problems = replicas.map((r) => r.medic.logs.filter((l) => Number(l.level) >= 40).slice(0, 3).map((l) => `${String(l.msg)} ${String(l.err ?? l.error ?? '')}`.slice(0, 200)));
    const cluster = await fromCluster();
    const amSent = (await Promise.all(peers.map((p) => metricsOf(p.url)))).map((m) => sumSamples(m, 'alertmanager_notifications_total', 'integration="webhook"'));
    const applied = restartsOf(workIds) - restartsBefore;
    const perAgent = work.map((a) => fleet.status().find((s) => s.id === a.id)!.restarts).filter((n) => n !== PER_AGENT);
    t.diagnostic(`direct deliveries: ${jobs.length} sent in ${sentMs} ms (${refused.count} refused and sent again: ${JSON.stringify(refused.byAnswer)}); drained after ${drainedMs} ms; ` +
      `Alertmanager peers sent ${amSent.join(' + ')} webhook notifications, replicas accepted ${cluster.join(', ')} from the cluster; ` +
      `remediations by replica ${perReplica.join(', ')}; duplicate alerts seen by replica ${duplicates.join(', ')}; ${applied} restarts applied; answers by replica: ${answers.join(' | ')}; warnings: ${JSON.stringify(problems)}`);

    assert.equal(incidents.length, ALERTS, 'one incident per alert, however many replicas and peers delivered it');
    assert.deepEqual(new Set(incidents.map((i) => i.fingerprint)), new Set(fingerprints.values()), "the incidents are Alertmanager's alerts");
    assert.deepEqual(items.filter((w) => w.state !== 'done').map((w) => `${w.incident_id}: ${w.state}`), [], 'every work item done');
    assert.equal(items.length, ALERTS, 'one work item per incident');
    assert.deepEqual(notOnce.slice(0, 10), [], `each incident has exactly one attempt, a succeeded restart (${notOnce.length} do not)`);
    assert.equal(applied, ALERTS, 'the agents applied exactly one restart per remediation: none twice');
    assert.deepEqual(perAgent, [], `each agent restarted once per incident it had (${PER_AGENT})`);
    assert.equal(perReplica.reduce((a, b) => a + b, 0), ALERTS, 'the replicas together ran one remediation per incident');
    assert.ok(perReplica.every((n) => n > 0), `all three replicas took work from the shared queue: ${perReplica.join(', ')}`);
    assert.ok(cluster.every((n) => n >= groups), `the cluster delivered every group to every replica: ${cluster.join(', ')}`);
  });

  it('kill -9 of the replica holding an incident mid-remediation: another completes it after the lease, once', { timeout: 90_000 }, async (t) => {
    const agent = agents[0]!;
    const one = new Set([agent.id]);
    const restartsAtStart = restartsOf(one);
    const fingerprint = 'a1b2c3d4e5f60714';
    const at = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const labels = { alertname: 'AgentDown', agent: agent.id, agent_type: agent.type, tier: agent.tier, severity: 'critical', job: 'agents', instance: `127.0.0.1:${agent.port}` };
    const body = JSON.stringify({
      receiver: 'direct', status: 'firing', version: '4', truncatedAlerts: 0, externalURL: '', groupKey: `{}:{agent="${agent.id}", alertname="AgentDown"}`,
      groupLabels: { agent: agent.id, alertname: 'AgentDown' }, commonLabels: labels, commonAnnotations: {},
      alerts: [{ status: 'firing', labels, annotations: {}, startsAt: at, endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint }],
    });
    await deliverEach(replicas.map((r) => ({ url: `${r.url}/webhook/alertmanager`, body })), TOKEN, REPLICAS, 30_000);
    const item = async () => (await db.query(
      `SELECT w.id, w.incident_id, w.state, w.claimed_by, w.claimed_at, w.lease_until, w.fence FROM ${schema}.work_items w JOIN ${schema}.incidents i ON i.id = w.incident_id WHERE i.fingerprint = $1`,
      [fingerprint],
    )).rows[0] as { id: string; incident_id: string; state: string; claimed_by: string | null; claimed_at: string; lease_until: string | null; fence: string } | undefined;

    // Mid-remediation: the agent has applied the restart, and its verification is held failing.
    await waitFor('the restart applied and its verification under way', () => hold.held() > 0 && restartsOf(one) === restartsAtStart + 1, 30_000, 50);
    const held = (await item())!;
    assert.equal(held.state, 'running');
    const victim = replicas.find((r) => r.pid === claimantPid(held.claimed_by));
    assert.ok(victim, `the work is held by one of the replicas: ${held.claimed_by}`);
    victim.medic.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.medic.exited;
    // Read after the kill: no renewal can move it any more.
    const leaseUntil = Number((await item())!.lease_until);
    hold.release();

    const done = await waitFor('another replica completed the work', async () => ((await item())?.state === 'done' ? Date.now() : undefined), 30_000, 50);
    const takeoverMs = done - killedAt;
    // A second restart, had one been sent under a new request id, would land the agent's restart time (500 ms) later.
    await sleep(1500);
    const final = (await item())!;
    const attempts = (await db.query(`SELECT strategy, outcome, details FROM ${schema}.attempts WHERE incident_id = $1 ORDER BY id`, [final.incident_id])).rows as { strategy: string; outcome: string; details: string }[];
    const resumedBy = replicas.filter((r) => r !== victim && r.medic.logs.some((l) => l.msg === 'resuming an action interrupted by a restart of Medic')).map((r) => r.name);
    t.diagnostic(`${victim.name} (pid ${victim.pid}) killed holding the work (fence ${held.fence}, lease until kill + ${leaseUntil - killedAt} ms); ` +
      `taken over with fence ${final.fence} at kill + ${Number(final.claimed_at) - killedAt} ms, done at kill + ${takeoverMs} ms, resumed by ${resumedBy.join(', ') || 'no replica logging it'}; ` +
      `${hold.restarts()} restart requests accepted by the agent; attempts: ${attempts.map((a) => `${a.strategy} ${a.outcome}`).join(', ')}`);

    assert.ok(takeoverMs < 15_000, `completed within 15 s of the kill (took ${takeoverMs} ms)`);
    assert.ok(Number(final.fence) > Number(held.fence), 'the work was claimed again after the kill (the fence moved on)');
    assert.ok(Number(final.claimed_at) >= leaseUntil, `not taken over before the victim's lease expired (claimed at ${final.claimed_at}, lease until ${leaseUntil})`);
    assert.equal(attempts.filter((a) => a.outcome === 'succeeded').length, 1, 'one completed action in the audit');
    assert.deepEqual(attempts.filter((a) => a.outcome === 'in_progress'), [], 'no attempt left in progress');
    assert.equal(new Set(attempts.filter((a) => a.strategy === 'restart').map((a) => (JSON.parse(a.details) as { requestId?: string }).requestId)).size, 1, 'one restart request id, resumed or not');
    assert.equal(restartsOf(one) - restartsAtStart, 1, 'the agent applied one restart, not two');
  });
});
