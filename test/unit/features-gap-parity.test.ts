// Training and serving must read the same raw samples the same way: one agent's Prometheus history with
// gaps (a short gap in one column, a long one in another, the agent down for a while, the newest scrape
// only partly evaluated) goes through the training path (assembled as training/prometheus-source does,
// then training/prepare) and through the serving path (the incident scorer's fetch and window), and the
// newest sample must get the same feature vector and the same score from both.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../lib/logger.ts';
import { AnomalyModel } from '../../models/anomaly-model.ts';
import { AGENT_SIGNALS, extractFeatures, extractLatest } from '../../models/features.ts';
import { FALLBACK_TYPE, promote, publishModel } from '../../models/registry.ts';
import { assembleAgentSeries, latestWindow, signalQueries, type MatrixSeries } from '../../models/signal-queries.ts';
import { createIncidentScorer, fetchAgentSeries, historyNeed } from '../../server/scoring/anomaly-scorer.ts';
import { ModelService } from '../../server/scoring/model-service.ts';
import type { PrometheusClient } from '../../server/scoring/prometheus-client.ts';
import { prepareData } from '../../training/prepare.ts';
import type { EngineIncident } from '../../remediations/engine.ts';
import type { Agent } from '../../remediations/types.ts';
import { tempDir } from '../helpers/service.ts';

const COLUMNS = AGENT_SIGNALS.map((s) => s.column);
const SAMPLING = { stepSeconds: 5, rateWindow: '10s' };
const WINDOW = 4;
const T0 = 1_000_000;
const ROWS = 60;
const at = (i: number) => T0 + i * SAMPLING.stepSeconds;

// Raw samples as Prometheus holds them (NaN: no sample at that step).
function rawHistory(): number[][] {
  return Array.from({ length: ROWS }, (_, i) => {
    if (i < 10) return COLUMNS.map(() => Number.NaN); // not scraped yet
    if (i >= 52 && i <= 56) return COLUMNS.map(() => Number.NaN); // down for five steps
    const row = COLUMNS.map((_, c) => 1 + c + 0.3 * Math.sin(i / (2 + c)) + 0.05 * ((i * (c + 3)) % 7));
    if (i === 50 || i === 51) row[5] = Number.NaN; // cpu: two missing samples, carried forward
    if (i >= 45 && i <= 49) row[3] = Number.NaN; // queue_depth: five missing, longer than the fill limit
    if (i === ROWS - 1) row[0] = Number.NaN; // the newest latency quantile is not evaluated yet
    return row;
  });
}

const raw = rawHistory();
const answerFor = (c: number): MatrixSeries[] => [{
  metric: { agent: 'a-1', agent_type: 'crewai', tier: 'standard' },
  values: raw.flatMap((r, i): [number, string][] => (Number.isFinite(r[c]!) ? [[at(i), String(r[c])]] : [])),
}];

// Answers every column's query from `raw`, within the asked range, as Prometheus would.
const prometheus: PrometheusClient = {
  query: async () => [],
  async queryRange(expr, start, end) {
    const c = [...signalQueries(SAMPLING.rateWindow, 'agent="a-1"'), ...signalQueries(SAMPLING.rateWindow)].findIndex((q) => q.promql === expr) % COLUMNS.length;
    assert.ok(c >= 0, `unexpected query ${expr}`);
    return answerFor(c).map((s) => ({ ...s, values: s.values.filter(([t]) => t >= start && t <= end) }));
  },
};

describe('training and serving read gaps alike', () => {
  const root = tempDir('medic-parity-');
  after(() => rmSync(root, { recursive: true, force: true }));

  it('gives the newest sample the same features and score through the training path and the serving path', async () => {
    // Training path: the fleet's history assembled per agent, then prepared (resample, fill, drop).
    const history = assembleAgentSeries(COLUMNS, new Map(COLUMNS.map((c, i) => [c, answerFor(i)])), at(0), at(ROWS - 1), SAMPLING.stepSeconds).get('a-1')!;
    const { data } = await prepareData({ columns: COLUMNS, source: 'test', sampling: SAMPLING, series: [{ agent: 'a-1', agentType: 'crewai', timestamps: history.timestamps, rows: history.rows, labels: null }] }, { stepSeconds: SAMPLING.stepSeconds });
    const prepared = data.series[0]!;
    assert.equal(prepared.timestamps!.at(-1), at(ROWS - 1));
    const trainingVector = extractFeatures(prepared.rows, { window: WINDOW }).at(-1)!;
    const model = AnomalyModel.trainSeries([prepared.rows], COLUMNS, { window: WINDOW, sampling: SAMPLING, trees: 20, seed: 3 });
    publishModel(root, model.toArtifact(), { agentType: FALLBACK_TYPE, createdAt: '2026-11-29T00:00:00Z', source: 'test', rows: { train: prepared.rows.length, validation: 0 }, columns: COLUMNS, metrics: {}, parameters: {} });
    promote(root, FALLBACK_TYPE, 'v0001');
    const models = new ModelService(root, createLogger('silent'));
    assert.deepEqual(models.reload(), []);
    const served = models.modelFor('crewai')!;

    // Serving path: the window rule alone, on the whole history, then what the incident scorer fetches.
    const whole = latestWindow(history, historyNeed(served));
    assert.ok('rows' in whole, JSON.stringify(whole));
    assert.deepEqual(Array.from(extractLatest(whole.rows, { window: WINDOW })), Array.from(trainingVector));
    const nowMs = at(ROWS - 1) * 1000 + 500;
    const need = historyNeed(served);
    const fetched = await fetchAgentSeries(prometheus, COLUMNS, SAMPLING, need.fetchRows, 'agent="a-1"', nowMs, AbortSignal.timeout(1000));
    const window = latestWindow(fetched.get('a-1')!, need);
    assert.ok('rows' in window, JSON.stringify(window));
    assert.equal(window.sampleAt, at(ROWS - 1) * 1000);
    assert.deepEqual(Array.from(extractLatest(window.rows, { window: WINDOW })), Array.from(trainingVector));

    const scorer = createIncidentScorer({ models, prometheus, clock: { now: () => nowMs } as never });
    const agent: Agent = { id: 'a-1', type: 'crewai', tier: 'standard', driver: 'http', target: {} as Agent['target'] };
    const reading = await scorer.score({} as EngineIncident, agent, AbortSignal.timeout(1000));
    assert.equal(reading?.score, model.scoreSeries(prepared.rows).at(-1)!.score);
  });
});
