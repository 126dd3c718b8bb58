// Online scoring against a real Prometheus scraping a simulated fleet: each incident is scored from its
// agent's window and the reading is stored and explained; the fleet loop makes one range query per
// model column for the whole fleet and exports medic_anomaly_score; a newly promoted model is taken into
// service without a restart, and a damaged one is refused while the previous version keeps serving; with
// Prometheus down, incidents are decided on their alerts alone and scoring resumes when it is back.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { systemClock } from '../../lib/clock.ts';
import { AnomalyModel } from '../../models/anomaly-model.ts';
import { AGENT_SIGNALS } from '../../models/features.ts';
import { FALLBACK_TYPE, promote, publishModel } from '../../models/registry.ts';
import { fetchAgentSeries } from '../../server/scoring/anomaly-scorer.ts';
import { createLogger } from '../../lib/logger.ts';
import { createMetrics } from '../../server/observability/metrics.ts';
import { ModelService } from '../../server/scoring/model-service.ts';
import { PredictionLoop } from '../../server/scoring/prediction-loop.ts';
import { createPrometheusClient, type PrometheusClient } from '../../server/scoring/prometheus-client.ts';
import { startFleet, type Fleet } from '../../sim/fleet.ts';
import { writeFleetFiles } from '../../sim/fleet-files.ts';
import { firingDelivery } from '../helpers/fixtures.ts';
import { freeBlock } from '../../sim/stack/ports.ts';
import { getJson, metricValue, postJson, startTestService, tempDir, type TestService } from '../helpers/service.ts';
import { freePort } from '../helpers/sim-target.ts';
import { startPrometheus, type Daemon } from '../../sim/stack/daemons.ts';
import { waitFor } from '../helpers/wait.ts';

const AGENTS = 4;
const SAMPLING = { stepSeconds: 1, rateWindow: '5s' };
const COLUMNS = AGENT_SIGNALS.map((s) => s.column);

describe('online anomaly scoring on a real Prometheus', { timeout: 180_000 }, () => {
  let dir: string;
  let registry: string;
  let fleet: Fleet;
  let prometheus: Daemon;
  let prom: PrometheusClient;
  let medic: TestService;
  let history: number[][] = [];

  const train = (seed: number) => AnomalyModel.train(history, COLUMNS, { window: 4, seed, trees: 50, sampling: SAMPLING }).toArtifact();
  const card = (seed: number) => ({ agentType: FALLBACK_TYPE, createdAt: new Date().toISOString(), source: 'test: the fleet as Prometheus saw it', rows: { train: history.length, validation: 0 }, columns: COLUMNS, metrics: {}, parameters: { seed } });
  const metrics = async () => (await fetch(`${medic.url}/metrics`)).text();
  let youngestFirstRow = 0;

  before(async () => {
    dir = tempDir('medic-scoring-');
    registry = join(dir, 'registry');
    fleet = await startFleet({ agents: AGENTS, basePort: await freeBlock(AGENTS + 1), token: 'scoring-token', seed: 3 });
    writeFleetFiles(dir, fleet.controlUrl, fleet.agents(), 'scoring-token', '127.0.0.1');
    const medicPort = await freePort();
    prometheus = await startPrometheus(dir, { targetsFile: join(dir, 'targets.json'), medicTarget: `127.0.0.1:${medicPort}`, alertmanager: 'http://127.0.0.1:9' });
    prom = createPrometheusClient(prometheus.url, 5000);
    // Train on what Prometheus saw of the healthy fleet, fetched the way serving fetches it.
    // 24 rows an agent: with 12, a loaded machine's later readings could fall beyond every training row.
    await waitFor('24 s of fleet history in Prometheus', async () => {
      const series = await fetchAgentSeries(prom, COLUMNS, SAMPLING, 30, '', Date.now(), AbortSignal.timeout(5000));
      const rows = [...series.values()].flatMap((s) => s.rows.filter((r) => r.every((v) => Number.isFinite(v))));
      history = rows;
      // When the youngest agent's first row is: a clock set just after it sees a young fleet.
      youngestFirstRow = Math.max(...[...series.values()].map((x) => 1000 * x.timestamps[x.rows.findIndex((r) => r.some((v) => !Number.isNaN(v)))]!));
      return series.size === AGENTS && rows.length >= AGENTS * 24;
    }, 90_000, 1000);
    publishModel(registry, train(1), card(1));
    promote(registry, FALLBACK_TYPE, 'v0001');
    writeFileSync(join(dir, 'medic.yaml'), stringify({
      remediation: { inventory: 'inventory.yaml' },
      prometheus: { url: prometheus.url },
      models: { registry: 'registry', reload_interval: '200ms', prediction_interval: '1s' },
    }));
    medic = await startTestService({ flags: { config: join(dir, 'medic.yaml'), port: String(medicPort) }, env: { MEDIC_LOG_LEVEL: 'info' } });
  });

  after(async () => {
    await medic?.dispose();
    await prometheus?.stop();
    await fleet?.stop();
  });

  it('serves the promoted model and exports it', async () => {
    const models = await getJson(`${medic.url}/api/models`);
    assert.deepEqual(models.body.items.map((m: { agentType: string; version: string }) => `${m.agentType}@${m.version}`), ['default@v0001']);
    assert.equal(metricValue(await metrics(), 'medic_model_info{family="anomaly",agent_type="default",version="v0001"}'), 1);
    assert.equal(models.body.items[0].family, 'anomaly');
    // No failure model in this registry: TensorFlow.js is not started, and there are no predictions.
    assert.deepEqual((await getJson(`${medic.url}/api/predictions`)).body, { items: [] });
    assert.doesNotMatch(await metrics(), /^medic_failure_probability\{/m);
  });

  it('scores every agent of the fleet in the prediction loop and exports medic_anomaly_score', async () => {
    const exposition = await waitFor('a score for every agent', async () => {
      const text = await metrics();
      return fleet.agents().every((a) => text.includes(`medic_anomaly_score{agent="${a.id}"`)) && text;
    }, 20_000, 250);
    for (const a of fleet.agents()) {
      const line = exposition.split('\n').find((l) => l.startsWith(`medic_anomaly_score{agent="${a.id}"`))!;
      assert.match(line, new RegExp(`agent_type="${a.type}",tier="${a.tier}",anomaly_type="\\w+"`));
      const value = Number(line.split(' ').at(-1));
      // 0 is possible: a reading at least as usual as the most usual healthy one has probability 1.
      assert.ok(value >= 0 && value < 1, `score of ${a.id} is ${value}`);
    }
  });

  it('makes one range query per model column for the whole fleet, not one per agent', async () => {
    let queries = 0;
    const counting: PrometheusClient = { ...prom, queryRange: (...args) => (queries++, prom.queryRange(...args)) };
    const models = new ModelService(registry, createLogger('silent'));
    models.reload();
    const loop = new PredictionLoop({ models, prometheus: counting, metrics: createMetrics({ storeStats: async () => ({}) as never, workerStates: () => ({ busy: 0, idle: 0 }) }, 'test'), log: createLogger('silent'), clock: systemClock, timeoutMs: 5000 });
    const round = await loop.runOnce();
    assert.equal(queries, COLUMNS.length);
    assert.equal(round.queries, COLUMNS.length);
    assert.equal(round.agents, AGENTS);
  });

  it('leaves an agent unscored until it has lived the model window plus the rate warm-up', async () => {
    const models = new ModelService(registry, createLogger('silent'));
    models.reload();
    const loopAt = (ms: number) => new PredictionLoop({ models, prometheus: prom, metrics: createMetrics({ storeStats: async () => ({}) as never, workerStates: () => ({ busy: 0, idle: 0 }) }, 'test'), log: createLogger('silent'), clock: { now: () => ms }, timeoutMs: 5000 });
    // 3 s after its youngest agent's first row, that agent has 4 one-second rows; window 4 + warm-up 5 (a 5s rate window) need 9.
    const young = await loopAt(youngestFirstRow + 3000).runOnce();
    assert.equal(young.agents, 0);
    assert.equal(young.unscored, AGENTS);
    const grown = await loopAt(Date.now()).runOnce();
    assert.equal(grown.agents, AGENTS);
    assert.equal(grown.unscored, 0);
  });

  it('scores an incident\'s agent, stores the reading and explains it', async () => {
    const agent = fleet.agents()[0]!;
    const delivery = firingDelivery('5c0e1a1a00000001', agent.id, 'warning', new Date().toISOString());
    delivery.alerts[0]!.labels = { ...delivery.alerts[0]!.labels, alertname: 'AgentHighLatency', agent_type: agent.type, tier: agent.tier };
    assert.equal((await postJson(`${medic.url}/webhook/alertmanager`, delivery)).status, 200);
    const incident = await waitFor('the incident scored', async () => {
      const list = await getJson(`${medic.url}/api/incidents?agent=${agent.id}`);
      const id = list.body.items[0]?.id;
      const detail = id && (await getJson(`${medic.url}/api/incidents/${id}`)).body;
      return detail?.anomaly ? detail : undefined;
    }, 20_000, 200);
    assert.equal(incident.anomaly.model, 'default@v0001');
    // A reading, not a verdict: a calibrated score in [0, 1] (1 when beyond every training row).
    assert.ok(incident.anomaly.score >= 0 && incident.anomaly.score <= 1, String(incident.anomaly.score));
    assert.equal(incident.anomaly.contributions.length, 3);
    assert.match(incident.explanation[0], /anomaly model default@v0001 scored [01]\.\d{3}/);
    assert.ok(metricValue(await metrics(), 'medic_incident_scoring_duration_seconds_count{phase="query"}')! >= 1);
  });

  it('takes a newly promoted version into service without a restart', async () => {
    publishModel(registry, train(2), card(2));
    promote(registry, FALLBACK_TYPE, 'v0002');
    await waitFor('v0002 in service', async () => (await getJson(`${medic.url}/api/models`)).body.items[0]?.version === 'v0002', 10_000, 100);
    const text = await metrics();
    assert.equal(metricValue(text, 'medic_model_info{family="anomaly",agent_type="default",version="v0002"}'), 1);
    assert.equal(metricValue(text, 'medic_model_info{family="anomaly",agent_type="default",version="v0001"}'), undefined);
  });

  it('refuses a damaged promoted version and keeps the previous one in service', async () => {
    const { dir: v3 } = publishModel(registry, train(3), card(3));
    const refusedBefore = metricValue(await metrics(), 'medic_model_reloads_total{result="refused"}') ?? 0;
    // Damaged after publishing (a half-copied file): promote() would refuse it, so the pointer is moved by hand.
    writeFileSync(join(v3, 'model.json'), '{"kind":"medic-anomaly-model","featureSchemaVersion":1,"columns":["latency_p99_s"]');
    writeFileSync(join(registry, 'anomaly', FALLBACK_TYPE, 'PROMOTED'), 'v0003\n');
    await waitFor('the damaged version refused', async () => (metricValue(await metrics(), 'medic_model_reloads_total{result="refused"}') ?? 0) > refusedBefore, 10_000, 100);
    assert.equal((await getJson(`${medic.url}/api/models`)).body.items[0]?.version, 'v0002');
    assert.ok(medic.logs.some((l) => l.msg === 'promoted model refused: it does not load; the previous version stays in service' && String(l.err).includes('v0003')));
  });

  // Last: it stops Prometheus, then starts it again on the same port and data.
  it('Prometheus down: incidents are decided on the alert alone, rounds fail and go on; back up, scoring resumes', async () => {
    const port = new URL(prometheus.url).port;
    await prometheus.stop();
    const failedBefore = metricValue(await metrics(), 'medic_prediction_loops_total{result="failed"}') ?? 0;
    const agent = fleet.agents()[1]!;
    const delivery = firingDelivery('5c0e1a1a00000002', agent.id, 'warning', new Date().toISOString());
    delivery.alerts[0]!.labels = { ...delivery.alerts[0]!.labels, alertname: 'AgentHighLatency', agent_type: agent.type, tier: agent.tier };
    assert.equal((await postJson(`${medic.url}/webhook/alertmanager`, delivery)).status, 200);
    const incident = await waitFor('the incident decided without Prometheus', async () => {
      const id = (await getJson(`${medic.url}/api/incidents?agent=${agent.id}`)).body.items[0]?.id;
      const detail = id && (await getJson(`${medic.url}/api/incidents/${id}`)).body;
      return detail?.attempts?.length > 0 ? detail : undefined;
    }, 30_000, 200);
    assert.equal(incident.anomaly ?? null, null, 'no reading without Prometheus');
    assert.ok(medic.logs.some((l) => l.msg === 'anomaly scoring failed: deciding on the alert alone'));
    await waitFor('prediction rounds failing, not stopped', async () => (metricValue(await metrics(), 'medic_prediction_loops_total{result="failed"}') ?? 0) >= failedBefore + 2, 20_000, 200);

    prometheus = await startPrometheus(dir, { targetsFile: join(dir, 'targets.json'), medicTarget: new URL(medic.url).host, alertmanager: 'http://127.0.0.1:9', port: Number(port) });
    const okBefore = metricValue(await metrics(), 'medic_prediction_loops_total{result="ok"}') ?? 0;
    await waitFor('prediction rounds succeeding again', async () => (metricValue(await metrics(), 'medic_prediction_loops_total{result="ok"}') ?? 0) > okBefore, 30_000, 200);
  });
});
