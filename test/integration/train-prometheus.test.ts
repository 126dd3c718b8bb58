// Training from a real Prometheus: a small simulated fleet scraped every second for about 45 s, then
// `medic train anomaly --prometheus ... --promote` as an operator runs it. A model per agent
// type and the default are published, each promoted exactly when its card says it passed the evaluation
// gate (with some thirty rows per type a drifting simulated memory can fail one: that is the gate working),
// their cards name the data range, and the artifacts load and score live windows sampled the way they
// were trained.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { listTypes, loadPromoted, promotedVersion, readCard } from '../../models/registry.ts';
import { fetchPrometheusHistory } from '../../training/prometheus-source.ts';
import { runMedic, type RunResult } from '../../sim/stack/medic-process.ts';
import { startScrapedFleet, type ScrapedFleet } from '../../sim/stack/scraped-fleet.ts';

const AGENTS = 4; // four agent types (the simulator cycles through its types)
const RATE_WINDOW = '5s';

describe('medic train anomaly from Prometheus', { timeout: 90_000 }, () => {
  let stack: ScrapedFleet;
  let registry: string;
  let from: Date;
  let to: Date;
  let run: RunResult;

  before(async () => {
    // A load cycle of a day: over half a minute the load is stationary, as a healthy night is.
    stack = await startScrapedFleet({ agents: AGENTS, periodMs: 86_400_000 });
    registry = join(stack.dir, 'registry');
    await sleep(5_000); // one rate window, so the first rows are complete
    from = new Date();
    await sleep(45_000);
    to = new Date();
    // About 31 training rows per type (23 after each agent's window and rate warm-up), the least a score
    // is calibrated on (models/calibrated-scorer.ts MIN_CALIBRATION_ROWS is 20).
    run = await runMedic([
      'train', 'anomaly', '--prometheus', stack.prometheus.url, '--from', from.toISOString(), '--to', to.toISOString(),
      '--step', '1s', '--rate-window', RATE_WINDOW, '--selector', '{job="agents"}', '--points-per-query', '8',
      '--window', '4', '--min-rows', '10', '--validation-fraction', '0.3', '--trees', '50',
      '--registry', registry, '--promote',
    ]);
  });
  after(() => stack?.stop());

  const gatePassed = (t: string) => readCard(join(registry, 'anomaly', t, 'v0001'))!.notes!.includes('evaluation gate: passed');

  it('publishes a model per agent type and the default, and promotes those that pass the gate', () => {
    assert.equal(run.code, 0, run.stderr);
    const types = stack.fleet.agents().map((a) => a.type).sort();
    assert.equal(new Set(types).size, AGENTS);
    assert.deepEqual(listTypes(registry), [...types, 'default'].sort());
    for (const t of [...types, 'default']) {
      assert.equal(promotedVersion(registry, t), gatePassed(t) ? 'v0001' : undefined, `${t}\n${run.stderr}`);
      assert.match(run.stderr, new RegExp(`${t}: published v0001 .*gate ${gatePassed(t) ? 'passed; promoted' : 'failed; not promoted'}`));
    }
    assert.ok([...types, 'default'].some(gatePassed), `no model passed the gate:\n${run.stderr}`);
    // 45 steps of 1 s, paged by 8 points: 6 pages for each of the 7 columns.
    assert.match(run.stderr, /prometheus: 42\/42 done/);
  });

  it('writes a card naming the data range, the sampling and the held-out evaluation', () => {
    const card = readCard(join(registry, 'anomaly', 'default', 'v0001'))!;
    const range = { from: Date.parse(card.dataRange!.from), to: Date.parse(card.dataRange!.to) };
    assert.ok(range.from >= from.getTime() - 1000 && range.from <= from.getTime() + 1000, `${card.dataRange!.from} vs --from ${from.toISOString()}`);
    assert.ok(range.to <= to.getTime() && range.to >= to.getTime() - 2000, `${card.dataRange!.to} vs --to ${to.toISOString()}`);
    assert.match(card.source, new RegExp(`prometheus ${stack.prometheus.url} query_range step 1s, rate window ${RATE_WINDOW}, selector \\{job="agents"\\}`));
    assert.equal(card.parameters.stepSeconds, 1);
    assert.ok(card.rows.train >= 4 * 25 && card.rows.validation >= 4 * 10, JSON.stringify(card.rows));
    assert.ok(card.describe!.request_rate!.mean! > 5, 'the agents served traffic');
    assert.equal(card.describe!.dependency_up!.min, 1);
    assert.ok(Number.isFinite(card.metrics.validation_flag_rate));
  });

  it('lists the models with the promoted versions marked', async () => {
    const list = await runMedic(['models', 'list', '--registry', registry]);
    assert.equal(list.code, 0, list.stderr);
    for (const t of listTypes(registry)) {
      assert.match(list.stdout, gatePassed(t) ? new RegExp(`^${t}\\n {2}\\* v0001 `, 'm') : new RegExp(`^${t} {2}\\(none promoted: served by the default model\\)\\n {4}v0001 `, 'm'));
    }
  });

  it('loads the promoted artifacts, which score a live window queried the way they were trained', async () => {
    const { models, errors } = loadPromoted(registry);
    assert.deepEqual(errors, []);
    const promoted = [...models.values()].find((m) => m.agentType !== 'default') ?? models.get('default')!;
    const model = promoted.model;
    const sampling = model.sampling!;
    assert.deepEqual(sampling, { stepSeconds: 1, rateWindow: RATE_WINDOW });
    const now = Date.now() / 1000;
    const live = await fetchPrometheusHistory({ url: stack.prometheus.url, start: now - model.window * sampling.stepSeconds, end: now, ...sampling, selector: 'job="agents"' });
    const agent = live.series.find((s) => promoted.agentType === 'default' || s.agentType === promoted.agentType)!;
    const score = model.score(agent.rows.slice(-model.window));
    assert.ok(score.score >= 0 && score.score < 1, JSON.stringify(score));
    assert.equal(score.contributions.length, 3);
  });
});
