// npm run bench:scoring: what online scoring adds beyond the Prometheus query, measured through the
// server's own code: the incident scorer (parse the range answers, align them, features of the newest
// sample, the forest) plus storing the reading in SQLite; and the fleet prediction loop (the same, for
// every agent, and the medic_anomaly_score export) for 131 and 10,000 agents. Prometheus is replaced by
// canned answers in its JSON wire format, parsed on every call, so the network and Prometheus's own
// work are what is left out. A measurement, not a test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../lib/clock.ts';
import { seededRandom } from '../lib/random.ts';
import { AnomalyModel } from '../models/anomaly-model.ts';
import { AGENT_SIGNALS } from '../models/features.ts';
import { FALLBACK_TYPE, promote, publishModel } from '../models/registry.ts';
import type { MatrixSeries } from '../models/signal-queries.ts';
import { createIncidentScorer, historyNeed } from '../server/scoring/anomaly-scorer.ts';
import { createLogger } from '../lib/logger.ts';
import { createMetrics } from '../server/observability/metrics.ts';
import { ModelService } from '../server/scoring/model-service.ts';
import { PredictionLoop } from '../server/scoring/prediction-loop.ts';
import type { PrometheusClient } from '../server/scoring/prometheus-client.ts';
import { SqliteStore } from '../server/store/sqlite/sqlite-store.ts';

const { values } = parseArgs({ options: { window: { type: 'string', default: '12' }, incidents: { type: 'string', default: '2000' } } });
const WINDOW = Number(values.window);
const STEP = 15;
const columns = AGENT_SIGNALS.map((s) => s.column);
const random = seededRandom(7);
const sample = (t: number) => [0.3 + 0.05 * Math.sin(t / 30) + 0.02 * random(), 0.01 * random(), 20 + 5 * random(), 5 * random(), 0.5 + 0.05 * random(), 0.3 + 0.1 * random(), 1];

const dir = mkdtempSync(join(tmpdir(), 'medic-bench-scoring-'));
const registry = join(dir, 'registry');
const history = Array.from({ length: 5000 }, (_, t) => sample(t));
publishModel(registry, AnomalyModel.train(history, columns, { window: WINDOW, seed: 1, sampling: { stepSeconds: STEP, rateWindow: '1m' } }).toArtifact(), {
  agentType: FALLBACK_TYPE, createdAt: new Date().toISOString(), source: 'bench', rows: { train: history.length, validation: 0 }, columns, metrics: {}, parameters: {},
});
promote(registry, FALLBACK_TYPE, 'v0001');
const log = createLogger('silent');
const models = new ModelService(registry, log);
models.reload();

/** Range answers for `agents` agents in Prometheus's JSON, one string per column, parsed at every call. */
function cannedPrometheus(agents: number): PrometheusClient {
  const nowS = Math.floor(Date.now() / 1000);
  // As many rows as the server asks for: the window, the rate warm-up before it, and slack.
  const rows = historyNeed(models.modelFor('autogpt')!).fetchRows;
  const perAgent = Array.from({ length: agents }, () => Array.from({ length: rows }, (_, t) => sample(t)));
  const bodies = columns.map((_, c) => JSON.stringify(perAgent.map((series, a): MatrixSeries => ({
    metric: { agent: `agent-${a}`, agent_type: 'autogpt', tier: 'critical_agents' },
    values: series.map((row, t) => [nowS - (rows - 1 - t) * STEP, String(row[c])]),
  }))));
  let call = 0;
  return {
    query: async () => [],
    queryRange: async () => JSON.parse(bodies[call++ % columns.length]!) as MatrixSeries[],
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

const store = SqliteStore.open({ path: join(dir, 'medic.db'), synchronous: 'normal', busyTimeoutMs: 1000 });
const metrics = createMetrics({ storeStats: () => store.stats(), workerStates: () => ({ busy: 0, idle: 0 }) }, 'bench');
const incident = (await store.recordNotification({
  receivedAt: Date.now(), receiver: 'medic', status: 'firing', groupKey: 'bench', externalURL: '', truncatedAlerts: 0, requestId: null,
  alerts: [{ fingerprint: 'bench', startsAt: new Date().toISOString(), status: 'firing', endsAt: null, labels: { alertname: 'AgentHighLatency', agent: 'agent-0' }, annotations: {}, generatorURL: '', alertname: 'AgentHighLatency', agent: 'agent-0', target: 'agent-0', severity: 'warning', priority: 1 }],
})).created[0]!;

const scorer = createIncidentScorer({ models, prometheus: cannedPrometheus(1), clock: systemClock, metrics });
const agent = { id: 'agent-0', type: 'autogpt', tier: 'critical_agents', driver: 'http', target: {} } as never;
const perIncident: number[] = [];
for (let i = 0; i < Number(values.incidents); i++) {
  const t = process.hrtime.bigint();
  const a = await scorer.score(incident as never, agent, AbortSignal.timeout(5000));
  await store.saveAnomaly(incident.id, a!);
  perIncident.push(Number(process.hrtime.bigint() - t) / 1e6);
}
console.log(`bench:scoring: window ${WINDOW} samples × ${columns.length} signals, ${columns.length * 6} features, 100 trees; Prometheus answers canned (JSON parsed per call)`);
console.log(`per incident (parse + align + features + forest + store the reading): p50 ${quantile(perIncident, 0.5).toFixed(3)} ms, p99 ${quantile(perIncident, 0.99).toFixed(3)} ms (target p99 < 10 ms)`);

for (const agents of [131, 10_000]) {
  const loop = new PredictionLoop({ models, prometheus: cannedPrometheus(agents), metrics, log, clock: systemClock, timeoutMs: 60_000 });
  const runs: { total: number; parse: number; score: number }[] = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    const round = await loop.runOnce();
    if (round.agents !== agents) throw new Error(`scored ${round.agents} agents, expected ${agents}`);
    runs.push({ total: Number(process.hrtime.bigint() - t) / 1e6, parse: round.queryMs, score: round.scoreMs });
  }
  const median = (k: 'total' | 'parse' | 'score') => quantile(runs.map((x) => x[k]), 0.5);
  console.log(`fleet loop, ${agents} agents, ${columns.length} range answers: median ${median('total').toFixed(1)} ms over 5 runs (parse ${median('parse').toFixed(1)} ms, align + score + export ${median('score').toFixed(1)} ms; target ${agents === 131 ? '< 100 ms' : '< 2 s'})`);
}
await store.close();
rmSync(dir, { recursive: true, force: true });
