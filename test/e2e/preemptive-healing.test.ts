// Healing before the failure, for real: a failure model trained for the stack's compressed time (test/
// helpers/compressed-failure-model.ts, the same pipeline as `medic train failure`) serves from Medic's
// registry; Medic's prediction loop exports medic_failure_probability, Debian's Prometheus evaluates the
// shipped AgentFailurePredicted rule on it, Alertmanager delivers the alert, and Medic repairs the
// agent's memory before the leak kills it. Healthy agents get no prediction alert and no action.
//
// The reactive memory alerts (AgentMemoryHigh, AgentMemoryLeak, AgentMemoryExhaustionPredicted) and
// AgentAnomalous are left out of this stack's rules: they would catch a leak this fast first (their
// `for` is compressed 15x, the model's horizon is not), and this test must see that the prediction alone
// heals it. test/e2e/real-stack.test.ts heals a leak with every rule in place.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promQuery } from '../../sim/stack/daemons.ts';
import { waitForHealthyFleet } from '../../sim/stack/follow-faults.ts';
import { AUTH, startRealStack, type RealStack } from '../../sim/stack/real-stack.ts';
import { tempDir } from '../../sim/stack/temp-dir.ts';
import { checkDashboardsLive } from '../helpers/dashboard-live.ts';
import { getJson } from '../helpers/service.ts';
import { trainCompressedFailureModel } from '../helpers/compressed-failure-model.ts';

const AGENTS = 8;
const LEAKING = 'metagpt-1'; // a standard-tier agent: its memory is repaired, not recycled
const RAMP_MS = 150_000; // memory climbs to the limit over 2.5 min, then the kernel kills the agent
const DROPPED = ['AgentMemoryHigh', 'AgentMemoryLeak', 'AgentMemoryExhaustionPredicted', 'AgentAnomalous'];
const ACTED = ['in_progress', 'succeeded', 'failed', 'verify_failed'];

interface Attempt { target: string; strategy: string; outcome: string; mode: string; startedAt: string; incidentId: number; details: Record<string, unknown> }

describe('preemptive healing on the real stack', { timeout: 720_000 }, () => {
  let stack: RealStack;

  before(async () => {
    // The shipped anomaly models beside the new failure model, as a registry in service would hold them.
    const registry = tempDir('medic-preemptive-registry-');
    cpSync(fileURLToPath(new URL('../../models/registry', import.meta.url)), registry, { recursive: true });
    const trained = await trainCompressedFailureModel(registry);
    assert.ok(trained.promoted, `the compressed-time failure model passed its gate: ${trained.gate.reasons.join('; ')}`);
    stack = await startRealStack({ agents: AGENTS, registry, dropAlerts: DROPPED });
  });

  after(async () => {
    await stack?.stop();
  });

  it('predicts a memory leak, alerts through Alertmanager and repairs it before the agent fails; healthy agents are left alone', async (t) => {
    assert.ok(stack.fleet.agents().some((a) => a.id === LEAKING));
    assert.deepEqual(await waitForHealthyFleet(stack, AGENTS), [], 'nothing fires on a healthy fleet');
    // Every agent predicted (its window of 20 rows of 2 s filled), and none alarmed while healthy.
    for (let tries = 0; ; tries++) {
      const predicted = await promQuery(stack.prometheus.url, 'count(medic_failure_probability)');
      if (predicted[0]?.value === AGENTS) break;
      assert.ok(tries < 120, `failure probabilities exported for ${predicted[0]?.value ?? 0} of ${AGENTS} agents after a minute`);
      await sleep(500);
    }
    await sleep(10_000);

    const injected = Date.now();
    stack.fleet.inject({ agent: LEAKING, kind: 'memory-leak', rampMs: RAMP_MS });
    let healed: Attempt | undefined;
    while (!healed && Date.now() - injected < RAMP_MS + 20_000) {
      await sleep(1_000);
      const { body } = await getJson(`${stack.medic.url}/api/remediations?agent=${LEAKING}`, AUTH);
      healed = (body.items as Attempt[]).find((a) => a.outcome === 'succeeded');
    }
    const status = stack.fleet.status().find((s) => s.id === LEAKING)!;
    const peak = await promQuery(stack.prometheus.url, `max_over_time(agent:agent_memory:utilisation{agent="${LEAKING}"}[5m])`);
    assert.ok(healed, `no remediation of ${LEAKING} succeeded within the leak's ramp; the agent is ${status.mode}, restarts ${status.restarts}`);
    const actedAfterS = (Date.parse(healed.startedAt) - injected) / 1000;
    t.diagnostic(`${healed.strategy} on ${LEAKING} ${actedAfterS.toFixed(1)} s after the leak began (the limit at ${RAMP_MS / 1000} s); memory peaked at ${(100 * (peak[0]?.value ?? NaN)).toFixed(0)}% of the limit`);

    const incident = (await getJson(`${stack.medic.url}/api/incidents/${healed.incidentId}`, AUTH)).body;
    assert.equal(incident.alertname, 'AgentFailurePredicted', 'the prediction raised the incident that healed it');
    assert.equal(healed.strategy, 'repair');
    assert.equal(healed.mode, 'auto');
    assert.ok(JSON.stringify(healed.details).includes('"preemptive":true'), JSON.stringify(healed.details));
    // The reading behind the decision is the prediction's, driven by memory.
    t.diagnostic(`explanation: ${incident.explanation?.[0]}`);
    assert.match(incident.explanation[0], /failure model default@v0001 gave a failure probability of 0\.\d{3} .*driven by resource_exhaustion\. Contributing factors: memory_utilisation/);

    // Before the failure: the agent never went down and was never restarted, and the leak is gone.
    await sleep(Math.max(0, injected + RAMP_MS + 5_000 - Date.now()));
    const after = stack.fleet.status().find((s) => s.id === LEAKING)!;
    assert.equal(after.restarts, 0, 'never restarted');
    assert.equal(after.mode, 'up');
    assert.equal(after.fault, null, 'the repair fixed the leak');
    const down = await promQuery(stack.prometheus.url, `min_over_time(up{job="agents",agent="${LEAKING}"}[${Math.ceil((Date.now() - injected) / 1000)}s])`);
    assert.equal(down[0]?.value, 1, 'Prometheus never saw it down');

    // Healthy agents: no prediction alert ever fired for them, and Medic never acted on them.
    const alarms = await promQuery(stack.prometheus.url, `max_over_time(ALERTS{alertname="AgentFailurePredicted",alertstate="firing",agent!="${LEAKING}"}[10m])`);
    assert.deepEqual(alarms.map((a) => a.metric.agent), [], 'no predicted failure on a healthy agent');
    const { body } = await getJson(`${stack.medic.url}/api/remediations?limit=500`, AUTH);
    const others = (body.items as Attempt[]).filter((a) => a.target !== LEAKING && a.mode === 'auto' && ACTED.includes(a.outcome));
    assert.deepEqual(others.map((a) => `${a.strategy} on ${a.target}`), [], 'no action on a healthy agent');

    // The dashboards' failure-model panels, empty in the reactive stack, show this model's readings.
    const agent = stack.fleet.agents().find((a) => a.id === LEAKING)!;
    const check = await checkDashboardsLive({
      prometheusUrl: stack.prometheus.url,
      expositions: [`${stack.medic.url}/metrics`, `http://127.0.0.1:${agent.port}/metrics`, `${stack.prometheus.url}/metrics`],
      values: { datasource: 'medic-prometheus', agent_type: agent.type, tier: agent.tier, agent: agent.id, medic_url: stack.medic.url, __rate_interval: '30s', __interval: '5s', __range: '10m' },
      start: injected - 60_000, end: Date.now(),
      only: (q) => /medic_failure_|medic_model_(info|evaluation)/.test(q.expr),
    });
    assert.ok(check.queries >= 4, `${check.queries} failure-model queries`);
    assert.deepEqual(check.empty, [], 'failure-model dashboard queries with no data');
    assert.deepEqual([...check.unknownMetrics, ...check.unknownLabels, ...check.noSeries], [], 'names and labels nothing exports');
    const info = await promQuery(stack.prometheus.url, 'medic_model_info{family="failure"}');
    assert.deepEqual(info.map((i) => i.metric.version), ['v0001'], 'the failure model in service is on the Models dashboard');
  });
});
