// The engine inside the running service: an Alertmanager delivery in, a real agent healed, the
// incident's API record explaining each decision in order, approvals through the API, metrics, and
// escalations and silences sent to Alertmanager's v2 API (a recording server here).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startAgentServer, type AgentServer } from '../../sim/agent-server.ts';
import { firingDelivery } from '../helpers/fixtures.ts';
import { deliver, getJson, metricValue, postJson, startTestService, tempDir, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'agent-token';

interface AmRequest {
  method: string;
  path: string;
  body: any;
}

async function recordingAlertmanager(): Promise<{ url: string; requests: AmRequest[]; server: Server }> {
  const requests: AmRequest[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      requests.push({ method: req.method!, path: req.url!, body: text ? JSON.parse(text) : undefined });
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/api/v2/silences' ? JSON.stringify({ silenceID: `s-${requests.length}` }) : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests, server };
}

function alertWith(fingerprint: string, agent: string, alertname: string, annotations: Record<string, string> = {}) {
  const d = firingDelivery(fingerprint, agent) as any;
  d.alerts[0].labels.alertname = alertname;
  d.alerts[0].annotations = annotations;
  return d;
}

describe('the engine in the service', () => {
  let agents: AgentServer[];
  let medic: TestService;
  let am: Awaited<ReturnType<typeof recordingAlertmanager>>;

  before(async () => {
    agents = await Promise.all(['autogpt-1', 'semgrep-1'].map((id) => startAgentServer({ id, token: TOKEN, restartMs: 20 })));
    am = await recordingAlertmanager();
    const dir = tempDir('medic-engine-svc-');
    writeFileSync(join(dir, 'agent-token'), `${TOKEN}\n`);
    writeFileSync(join(dir, 'inventory.yaml'), stringify({
      agents: [
        { id: 'autogpt-1', type: 'autogpt', driver: 'http', http: { base_url: agents[0]!.adminUrl, token_file: 'agent-token' } },
        { id: 'semgrep-1', type: 'semgrep', driver: 'http', http: { base_url: agents[1]!.adminUrl, token_file: 'agent-token' } },
      ],
    }));
    writeFileSync(join(dir, 'policies.yaml'), stringify({
      tiers: {
        default: { verify_timeout: '5s' },
        critical_agents: { agent_types: ['autogpt'] },
        lightweight_agents: { agent_types: ['semgrep'], strategy_modes: { rollback: 'approve' } },
      },
      guards: { blast_radius: { fleet_percent: 100 } },
    }));
    writeFileSync(join(dir, 'medic.yaml'), stringify({
      remediation: { inventory: 'inventory.yaml', policies: 'policies.yaml', recheck_interval: '100ms', verify_interval: '20ms' },
      alertmanager: { url: am.url },
      workers: { poll_interval: '100ms' },
    }));
    medic = await startTestService({ flags: { config: join(dir, 'medic.yaml') } });
  });

  after(async () => {
    await medic.dispose();
    await Promise.all(agents.map((a) => a.stop()));
    await new Promise((resolve) => am.server.close(resolve));
  });

  it('heals a real agent from a delivery and explains every decision in order', async () => {
    const agent = agents[0]!;
    agent.state.summary.error_rate = 0.3;
    agent.injectFault({ kind: 'errors', fixedBy: ['restart'], unhealthy: true });
    const bootBefore = agent.state.bootId;
    const r = await deliver(`${medic.url}/webhook/alertmanager`, alertWith('eng0000000000001', 'autogpt-1', 'AgentHighErrorRate', { error_rate: '0.3' }));
    const id = r.recorded.created[0];
    const detail = await waitFor('the remediation to finish', async () => {
      const d = (await getJson(`${medic.url}/api/incidents/${id}`)).body;
      return d.work[0].state === 'done' ? d : undefined;
    });
    assert.notEqual(agent.state.bootId, bootBefore);
    assert.equal(detail.attempts.length, 1);
    assert.equal(detail.attempts[0].outcome, 'succeeded');
    assert.match(detail.explanation[0], /restart via http \(auto\): succeeded: restart requested \(state saved\); verified: healthy, restarted \(new boot id\)\. Chosen by rule error-rate \(alertname is AgentHighErrorRate\)\.$/);

    const metrics = await (await fetch(`${medic.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'medic_remediations_total{strategy="restart",result="succeeded"}'), 1);
    // Time to recovery counts from the alert's start (startsAt, before Medic saw it), by strategy, tier and
    // fault, and its phases add up to it.
    const ttr = metricValue(metrics, 'medic_time_to_recovery_seconds_sum{strategy="restart",tier="critical_agents",fault="error-rate"}');
    assert.ok(ttr !== undefined && ttr > 0, `time to recovery ${ttr}: ${metrics.split("\n").filter((l) => l.startsWith("medic_time_to_recovery_seconds_sum")).join("; ")}`);
    const phases = ['routing', 'queueing', 'action', 'verification'].map((phase) => metricValue(metrics, `medic_recovery_phase_seconds_sum{phase="${phase}"}`) ?? NaN);
    assert.ok(Math.abs(phases.reduce((a, b) => a + b, 0) - ttr) < 1e-6, `phases ${phases.join(' + ')} = ${ttr}`);

    const silence = am.requests.find((q) => q.path === '/api/v2/silences');
    assert.ok(silence, 'the alert was silenced while the restart was verified');
    assert.deepEqual(silence.body.matchers.map((m: { name: string }) => m.name).sort(), ['agent', 'alertname', 'instance', 'job']);
    assert.match(silence.body.comment, new RegExp(`remediation \\d+ on incident ${id}`));
    // Verified healed: the silence is expired at once, so it no longer holds back the alert's resolve.
    const silenceId = `s-${am.requests.indexOf(silence) + 1}`;
    assert.ok(am.requests.some((q) => q.method === 'DELETE' && q.path === `/api/v2/silence/${silenceId}`), 'the silence was expired after the verification passed');
  });

  it('a second failure inside the cooldown climbs the ladder, and the record says why', async () => {
    const agent = agents[0]!;
    agent.injectFault({ kind: 'bad-version', fixedBy: ['rollback'], unhealthy: true });
    const r = await deliver(`${medic.url}/webhook/alertmanager`, alertWith('eng0000000000002', 'autogpt-1', 'AgentHighErrorRate', { error_rate: '0.3' }));
    const id = r.recorded.created[0];
    const detail = await waitFor('the rollback', async () => {
      const d = (await getJson(`${medic.url}/api/incidents/${id}`)).body;
      return d.work[0].state === 'done' ? d : undefined;
    });
    assert.equal(detail.attempts[0].strategy, 'rollback');
    // This policies file names critical_agents without restart_cooldown: it inherits default's 300 s
    // (a policies file replaces the shipped tiers; it does not patch them).
    assert.match(detail.explanation[0], /Passed over: restart: cooling down: last restart \d+s ago, cooldown 300s\./);
    assert.equal(agent.state.version, '1.4.1');
  });

  it('an approval-mode strategy waits for POST /api/approvals/:id/approve, then acts', async () => {
    const agent = agents[1]!;
    agent.injectFault({ kind: 'bad-version', fixedBy: ['rollback'], unhealthy: true });
    const r = await deliver(`${medic.url}/webhook/alertmanager`, alertWith('eng0000000000003', 'semgrep-1', 'AgentBadVersion'));
    const id = r.recorded.created[0];
    const approval = await waitFor('an approval request', async () => (await getJson(`${medic.url}/api/approvals?state=pending`)).body.items[0]);
    assert.equal(approval.incidentId, id);
    assert.match(approval.plan.summary, /roll semgrep-1 back from 1\.4\.2 to the last known-good 1\.4\.1/);
    assert.equal(agent.state.version, '1.4.2', 'nothing happens before the approval');

    const bad = await postJson(`${medic.url}/api/approvals/${approval.id}/approve`, {});
    assert.equal(bad.status, 400);
    const ok = await postJson(`${medic.url}/api/approvals/${approval.id}/approve`, { by: 'sre@example', note: 'go ahead' });
    assert.equal(ok.status, 200);
    assert.equal((await postJson(`${medic.url}/api/approvals/${approval.id}/approve`, { by: 'sre@example' })).status, 409);

    const detail = await waitFor('the approved rollback', async () => {
      const d = (await getJson(`${medic.url}/api/incidents/${id}`)).body;
      return d.work[0].state === 'done' ? d : undefined;
    });
    assert.equal(agent.state.version, '1.4.1');
    assert.deepEqual(detail.attempts.map((a: { outcome: string }) => a.outcome), ['awaiting_approval', 'succeeded']);
    assert.match(detail.explanation[0], /awaiting approval: approval \d+ requested: roll semgrep-1 back/);
  });

  it('escalates an unknown agent to Alertmanager as a MedicEscalation alert', async () => {
    const r = await deliver(`${medic.url}/webhook/alertmanager`, alertWith('eng0000000000004', 'stranger-9', 'AgentDown'));
    const id = r.recorded.created[0];
    const posted = await waitFor('the escalation alert', () => am.requests.find((q) => q.path === '/api/v2/alerts'));
    const alert = posted.body[0];
    assert.equal(alert.labels.alertname, 'MedicEscalation');
    assert.equal(alert.labels.reason, 'no_target');
    assert.equal(alert.labels.agent, 'stranger-9');
    assert.match(alert.annotations.description, /no inventory entry for agent "stranger-9"/);
    assert.equal(alert.annotations.incident_url.endsWith(`/api/incidents/${id}`), true);
    const metrics = await (await fetch(`${medic.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'medic_escalations_total{reason="no_target"}'), 1);
  });

  // Finding 8 of the hardening issue: a 100 KB label was copied three times into an escalation.
  it('escalates an agent with a 100 KB name with that name clipped, in the alert and the audit', async () => {
    const huge = `x${'y'.repeat(100_000)}`;
    const before = am.requests.length;
    const r = await deliver(`${medic.url}/webhook/alertmanager`, alertWith('eng0000000000005', huge, 'AgentDown'));
    const id = r.recorded.created[0];
    const posted = await waitFor('the escalation alert', () => am.requests.slice(before).find((q) => q.path === '/api/v2/alerts'));
    assert.ok(JSON.stringify(posted.body).length < 8_000, `escalation of ${JSON.stringify(posted.body).length} characters`);
    assert.match(posted.body[0].labels.agent, /^xy+… \(99745 more characters\)$/);
    const detail = (await getJson(`${medic.url}/api/incidents/${id}`)).body;
    assert.ok(detail.attempts[0].reason.length < 1_000, `audit reason of ${detail.attempts[0].reason.length} characters`);
  });

  it('GET /api/fleet: each inventory agent with its newest remediation, and agents alerts name that the inventory lacks', async () => {
    const fleet = (await getJson(`${medic.url}/api/fleet`)).body;
    const byAgent = new Map(fleet.items.map((i: { agent: string }) => [i.agent, i]));
    const autogpt = byAgent.get('autogpt-1') as any;
    const semgrep = byAgent.get('semgrep-1') as any;
    const stranger = byAgent.get('stranger-9') as any;
    assert.deepEqual([autogpt.type, autogpt.driver, autogpt.inInventory, autogpt.lastRemediation.outcome], ['autogpt', 'http', true, 'succeeded']);
    assert.match(autogpt.lastRemediation.strategy, /^(restart|rollback)$/);
    assert.ok(Date.parse(autogpt.lastRemediation.finishedAt) >= Date.parse(autogpt.lastRemediation.startedAt));
    assert.equal(semgrep.inInventory, true);
    assert.deepEqual([stranger.inInventory, stranger.type, stranger.lastRemediation], [false, null, null], 'named by an alert, not in the inventory');
    assert.equal(fleet.summary.agents, 2);
    assert.ok(fleet.summary.notInInventory >= 1);
    assert.deepEqual(fleet.items.map((i: { agent: string }) => i.agent), [...fleet.items.map((i: { agent: string }) => i.agent)].sort((a, b) => a.localeCompare(b)), 'sorted by agent');
  });
});
