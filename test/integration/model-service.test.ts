// The models in service: each agent type gets its own promoted model or the default one; a withdrawn
// pointer stops serving that type; an unchanged registry is not read again.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { AnomalyModel } from '../../models/anomaly-model.ts';
import { FALLBACK_TYPE, promote, publishModel } from '../../models/registry.ts';
import { createLogger } from '../../lib/logger.ts';
import { ModelService } from '../../server/scoring/model-service.ts';
import { tempDir } from '../helpers/service.ts';

const random = seededRandom(4);
const rows = Array.from({ length: 300 }, () => [random(), random()]);
const artifact = () => AnomalyModel.train(rows, ['latency_p99_s', 'error_rate'], { window: 3, trees: 10 }).toArtifact();
const card = (agentType: string) => ({ agentType, createdAt: '2026-11-29T00:00:00Z', source: 'test', rows: { train: rows.length, validation: 0 }, columns: ['latency_p99_s', 'error_rate'], metrics: {}, parameters: {} });

describe('model service', () => {
  const root = tempDir('medic-models-');
  after(() => rmSync(root, { recursive: true, force: true }));

  it('serves a type its own model, and every other type the default one', () => {
    publishModel(root, artifact(), card(FALLBACK_TYPE));
    promote(root, FALLBACK_TYPE, 'v0001');
    publishModel(root, artifact(), card('crewai'));
    promote(root, 'crewai', 'v0001');
    const models = new ModelService(root, createLogger('silent'));
    assert.deepEqual(models.reload(), []);
    assert.equal(models.modelFor('crewai')?.agentType, 'crewai');
    assert.equal(models.modelFor('semgrep')?.agentType, FALLBACK_TYPE);
    assert.deepEqual(models.inService().map((m) => `${m.agentType}@${m.version}`).sort(), ['crewai@v0001', 'default@v0001']);
  });

  it('stops serving a type whose promoted pointer is withdrawn, falling back to default', () => {
    const models = new ModelService(root, createLogger('silent'));
    models.reload();
    rmSync(join(root, 'anomaly', 'crewai', 'PROMOTED'));
    models.reload();
    assert.equal(models.modelFor('crewai')?.agentType, FALLBACK_TYPE);
  });

  it('keeps the version in service when its replacement is damaged, and reports it once', () => {
    const models = new ModelService(root, createLogger('silent'));
    models.reload();
    const { dir } = publishModel(root, artifact(), card(FALLBACK_TYPE));
    writeFileSync(join(dir, 'model.json'), '{"kind":"medic-anomaly-model"');
    writeFileSync(join(root, 'anomaly', FALLBACK_TYPE, 'PROMOTED'), 'v0002\n');
    const errors = models.reload();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /agent type default, promoted v0002: .*model\.json/);
    assert.equal(models.modelFor('anything')?.version, 'v0001');
    assert.deepEqual(models.reload(), [], 'an unchanged registry is not read again');
  });

  it('refuses a promoted model reading a column outside the agent metric contract, once, and keeps the version in service', () => {
    const gpuRoot = tempDir('medic-models-');
    publishModel(gpuRoot, artifact(), card('crewai'));
    promote(gpuRoot, 'crewai', 'v0001');
    const models = new ModelService(gpuRoot, createLogger('silent'));
    assert.deepEqual(models.reload(), []);
    // What an older Medic published and promoted from a CSV with gpu_temp, which no agent exports: served,
    // it failed the fleet prediction loop every round on a column Prometheus has no query for.
    const gpu = AnomalyModel.train(rows.map(([a, b]) => [a!, 60 + b!]), ['latency_p99_s', 'gpu_temp'], { window: 3, trees: 10 }).toArtifact();
    mkdirSync(join(gpuRoot, 'anomaly', 'crewai', 'v0002'));
    writeFileSync(join(gpuRoot, 'anomaly', 'crewai', 'v0002', 'model.json'), JSON.stringify(gpu));
    writeFileSync(join(gpuRoot, 'anomaly', 'crewai', 'PROMOTED'), 'v0002\n');
    const errors = models.reload();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^agent type crewai, promoted v0002: \S+model\.json: column gpu_temp is not in the agent metric contract \(latency_p99_s, error_rate, request_rate, queue_depth, memory_utilisation, cpu, dependency_up; /);
    assert.equal(models.modelFor('crewai')?.version, 'v0001');
    assert.deepEqual(models.reload(), [], 'reported once: an unchanged registry is not read again');
    // A fresh start (a restart) serves nothing for that type rather than a model every round would fail on.
    const restarted = new ModelService(gpuRoot, createLogger('silent'));
    assert.equal(restarted.reload().length, 1);
    assert.equal(restarted.modelFor('crewai'), undefined);
    rmSync(gpuRoot, { recursive: true, force: true });
  });

  it('serves nothing, without failing, from a registry that does not exist', () => {
    const models = new ModelService(join(root, 'missing'), createLogger('silent'));
    assert.deepEqual(models.reload(), []);
    assert.equal(models.modelFor('crewai'), undefined);
  });
});
