// The agent metric contract at the command line: what goes into the registry the server serves from must
// read only contract columns (models/signal-queries.ts), so `medic train anomaly` and `medic models
// promote` refuse a gpu_temp column, while a backtest (`medic anomaly score --train`) still scores any
// columns. Before the refusal, such a model was trained, promoted and loaded, and the server's fleet
// prediction loop then failed every round.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { AnomalyModel } from '../../models/anomaly-model.ts';
import { promote, publishModel } from '../../models/registry.ts';
import { runMedic } from '../../sim/stack/medic-process.ts';
import { tempDir as newTempDir } from '../helpers/service.ts';

const CONTRACT = 'not in the agent metric contract (latency_p99_s, error_rate, request_rate, queue_depth, memory_utilisation, cpu, dependency_up; models/features.ts AGENT_SIGNALS)';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  dirs.push(newTempDir(prefix));
  return dirs.at(-1)!;
};

/** A CSV export with a GPU temperature next to two contract columns, 15 s apart. */
function gpuCsv(file: string, rows: number, seed: number): string {
  const random = seededRandom(seed);
  const lines = ['timestamp,latency_p99_s,error_rate,gpu_temp'];
  for (let i = 0; i < rows; i++) lines.push(`${1_735_689_600 + 15 * i},${(0.3 + 0.03 * random()).toFixed(4)},${(0.01 * random()).toFixed(4)},${(60 + random()).toFixed(3)}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('the agent metric contract at the command line', { concurrency: 3 }, () => {
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('medic train anomaly refuses a CSV with gpu_temp, naming it and the contract, and publishes nothing', async () => {
    const dir = tempDir('medic-contract-');
    const registry = join(dir, 'registry');
    const r = await runMedic(['train', 'anomaly', '--csv', gpuCsv(join(dir, 'fleet.csv'), 400, 1), '--registry', registry, '--promote']);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`medic train anomaly: csv fleet.csv: column gpu_temp is ${CONTRACT}`), r.stderr);
    assert.match(r.stderr, /leave such columns out of the data to train for the registry, or backtest them with medic anomaly score --train/);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(registry), false, 'no registry written');
  });

  it('medic anomaly score --train still backtests any columns (no registry involved)', async () => {
    const dir = tempDir('medic-contract-');
    const output = join(dir, 'scores.csv');
    const r = await runMedic(['anomaly', 'score', '--train', gpuCsv(join(dir, 'train.csv'), 300, 2), '--input', gpuCsv(join(dir, 'input.csv'), 50, 3), '--output', output]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(output, 'utf8').trim().split('\n').length, 51);
  });

  it('medic models promote refuses a version reading gpu_temp, naming it and the contract; PROMOTED stays', async () => {
    const registry = tempDir('medic-contract-');
    const random = seededRandom(4);
    const rows = Array.from({ length: 100 }, () => [0.3 + 0.02 * random(), 60 + random()]);
    publishModel(registry, AnomalyModel.train(rows, ['latency_p99_s', 'error_rate'], { window: 3, trees: 5 }).toArtifact(), {
      agentType: 'crewai', createdAt: '2026-11-30T00:00:00Z', source: 'test', rows: { train: 100, validation: 0 }, columns: ['latency_p99_s', 'error_rate'], metrics: {}, parameters: {},
    });
    promote(registry, 'crewai', 'v0001');
    // v0002 as an older Medic published it from such a CSV (publishModel refuses it now).
    const v2 = join(registry, 'anomaly', 'crewai', 'v0002');
    mkdirSync(v2);
    writeFileSync(join(v2, 'model.json'), JSON.stringify(AnomalyModel.train(rows, ['latency_p99_s', 'gpu_temp'], { window: 3, trees: 5 }).toArtifact()));
    const r = await runMedic(['models', 'promote', 'crewai', 'v0002', '--registry', registry]);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`medic models promote: crewai v0002 is not promoted (PROMOTED still names v0001): ${join(v2, 'model.json')}: column gpu_temp is ${CONTRACT}`), r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(readFileSync(join(registry, 'anomaly', 'crewai', 'PROMOTED'), 'utf8'), 'v0001\n');
  });
});
