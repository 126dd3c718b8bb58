// The model registry: a folder per published version, an atomic pointer to the promoted one, and loads
// that report a damaged artifact instead of taking the server down.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { seededRandom } from '../../lib/random.ts';
import { AnomalyModel, type AnomalyArtifact } from '../../models/anomaly-model.ts';
import { listTypes, listVersions, loadPromoted, loadVersion, promote, promotedVersion, publishModel, readCard, rollback } from '../../models/registry.ts';

const COLUMNS = ['latency_p99_s', 'error_rate'];

function artifact(seed = 1): AnomalyArtifact {
  const random = seededRandom(seed);
  const rows = Array.from({ length: 60 }, () => [0.3 + 0.02 * random(), 0.01 * random()]);
  return AnomalyModel.train(rows, COLUMNS, { window: 4, trees: 5, seed, sampling: { stepSeconds: 5, rateWindow: '30s' } }).toArtifact();
}

const card = (agentType: string) => ({
  agentType, createdAt: '2025-01-01T00:00:00.000Z', source: 'test', dataRange: { from: '2025-01-01T00:00:00.000Z', to: '2025-01-02T00:00:00.000Z' },
  rows: { train: 48, validation: 12 }, columns: COLUMNS, metrics: { validation_flag_rate: 0.05 }, parameters: { window: 4 },
});

const registry = () => mkdtempSync(join(tmpdir(), 'medic-registry-'));

/** A model on a CSV's gpu_temp, which no agent exports: what an older Medic published from such a CSV. */
function gpuArtifact(): AnomalyArtifact {
  const random = seededRandom(7);
  const rows = Array.from({ length: 60 }, () => [0.3 + 0.02 * random(), 60 + random()]);
  return AnomalyModel.train(rows, ['latency_p99_s', 'gpu_temp'], { window: 4, trees: 5, seed: 1 }).toArtifact();
}

/** Writes an artifact as a version folder by hand, past publishModel's checks (an older Medic, or a copy). */
function writeVersion(root: string, agentType: string, version: string, a: object): string {
  const dir = join(root, 'anomaly', agentType, version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify(a));
  return dir;
}

const CONTRACT = /not in the agent metric contract \(latency_p99_s, error_rate, request_rate, queue_depth, memory_utilisation, cpu, dependency_up; models\/features\.ts AGENT_SIGNALS\)/;

describe('model registry', () => {
  it('publishes v0001, then v0002, each with the artifact, the card and a readable card', () => {
    const root = registry();
    const first = publishModel(root, artifact(1), card('crewai'));
    const second = publishModel(root, artifact(2), card('crewai'));
    assert.deepEqual([first.version, second.version], ['v0001', 'v0002']);
    assert.deepEqual(listVersions(root, 'crewai'), ['v0001', 'v0002']);
    assert.deepEqual(listTypes(root), ['crewai']);
    for (const f of ['model.json', 'card.json', 'MODEL_CARD.md']) assert.ok(existsSync(join(second.dir, f)), f);
    assert.equal(readCard(second.dir)!.version, 'v0002');
    assert.match(readFileSync(join(second.dir, 'MODEL_CARD.md'), 'utf8'), /data: 2025-01-01T00:00:00.000Z → 2025-01-02/);
    assert.equal(promotedVersion(root, 'crewai'), undefined, 'publishing alone puts nothing in service');
  });

  it('refuses to publish an artifact that does not load', () => {
    const root = registry();
    assert.throws(() => publishModel(root, { ...artifact(), featureSchemaVersion: 999 }, card('crewai')), /feature schema/);
    assert.deepEqual(listVersions(root, 'crewai'), []);
  });

  it('refuses agent types that could escape the registry folder', () => {
    assert.throws(() => publishModel(registry(), artifact(), card('../etc')), /cannot name a model folder/);
  });

  it('promotes a version, and refuses a missing or broken one without touching the pointer', () => {
    const root = registry();
    publishModel(root, artifact(1), card('crewai'));
    const broken = publishModel(root, artifact(2), card('crewai'));
    promote(root, 'crewai', 'v0001');
    assert.equal(promotedVersion(root, 'crewai'), 'v0001');
    assert.throws(() => promote(root, 'crewai', 'v0009'), /no version v0009 .* published: v0001, v0002/);
    writeFileSync(join(broken.dir, 'model.json'), readFileSync(join(broken.dir, 'model.json'), 'utf8').slice(0, 500));
    assert.throws(() => promote(root, 'crewai', 'v0002'), /v0002.model\.json/);
    assert.throws(() => promote(root, 'crewai', 'latest'), /not a registry version/);
    assert.equal(promotedVersion(root, 'crewai'), 'v0001');
    assert.deepEqual(readdirSync(join(root, 'anomaly', 'crewai')).filter((n) => n.includes('tmp')), [], 'no temporary file left behind');
  });

  it('rolls back to the version promoted before, passing over one that no longer loads', () => {
    const root = registry();
    for (const seed of [1, 2, 3]) publishModel(root, artifact(seed), card('crewai'));
    assert.throws(() => rollback(root, 'crewai'), /crewai has no promoted anomaly version to roll back/);
    promote(root, 'crewai', 'v0001');
    assert.throws(() => rollback(root, 'crewai'), /no earlier promoted anomaly version to roll back to \(promotion history: v0001\)/);
    promote(root, 'crewai', 'v0002');
    promote(root, 'crewai', 'v0003');
    assert.deepEqual(rollback(root, 'crewai'), { from: 'v0003', to: 'v0002' });
    assert.equal(promotedVersion(root, 'crewai'), 'v0002');
    // v0001 is damaged now: rolling back from v0002 passes over it, and there is nothing earlier.
    writeFileSync(join(root, 'anomaly', 'crewai', 'v0001', 'model.json'), '{');
    assert.throws(() => rollback(root, 'crewai'), /no earlier promoted anomaly version/);
    assert.equal(promotedVersion(root, 'crewai'), 'v0002', 'PROMOTED unchanged');
  });

  it('switches the pointer atomically: a reader never sees it empty or half-written', async () => {
    const root = registry();
    publishModel(root, artifact(1), card('crewai'));
    publishModel(root, artifact(2), card('crewai'));
    promote(root, 'crewai', 'v0001');
    const pointer = join(root, 'anomaly', 'crewai', 'PROMOTED');
    // A reader on another thread reads the pointer as fast as it can while this thread flips it.
    const reader = new Worker(`
      const { readFileSync } = require('node:fs');
      const { parentPort, workerData } = require('node:worker_threads');
      const seen = {};
      let stop = false;
      parentPort.on('message', () => { stop = true; });
      parentPort.postMessage('reading');
      (function loop() {
        for (let i = 0; i < 200; i++) { const v = readFileSync(workerData, 'utf8'); seen[v] = (seen[v] || 0) + 1; }
        if (stop) parentPort.postMessage(seen); else setImmediate(loop);
      })();`, { eval: true, workerData: pointer });
    await new Promise((resolve) => reader.once('message', resolve));
    const seen = new Promise<Record<string, number>>((resolve) => reader.once('message', resolve));
    for (let i = 0; i < 400; i++) promote(root, 'crewai', i % 2 ? 'v0001' : 'v0002');
    reader.postMessage('stop');
    const counts = await seen;
    await reader.terminate();
    assert.deepEqual(Object.keys(counts).sort(), ['v0001\n', 'v0002\n'].filter((k) => counts[k]), `reads: ${JSON.stringify(counts)}`);
    assert.ok(Object.values(counts).reduce((a, b) => a + b, 0) > 0);
  });

  it('loads every promoted model, and reports a damaged one without throwing', () => {
    const root = registry();
    publishModel(root, artifact(1), card('crewai'));
    const aider = publishModel(root, artifact(2), card('aider'));
    publishModel(root, artifact(3), card('default'));
    publishModel(root, artifact(4), card('bigagi')); // published, never promoted
    for (const t of ['crewai', 'aider', 'default']) promote(root, t, 'v0001');
    // Damaged after promotion (a bad copy, a disk problem): a tree's arrays no longer match.
    const damaged = JSON.parse(readFileSync(join(aider.dir, 'model.json'), 'utf8')) as AnomalyArtifact;
    damaged.forest.trees[0]!.left.pop();
    writeFileSync(join(aider.dir, 'model.json'), JSON.stringify(damaged));

    const { models, errors } = loadPromoted(root);
    assert.deepEqual([...models.keys()].sort(), ['crewai', 'default']);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /agent type aider, promoted v0001: .*aider.v0001.model\.json: the artifact is damaged: a tree of the forest is malformed/);
    const model = models.get('crewai')!;
    assert.equal(model.version, 'v0001');
    assert.equal(model.model.kind, 'forest');
    assert.deepEqual(model.model.sampling, { stepSeconds: 5, rateWindow: '30s' });
    assert.ok(Number.isFinite(model.model.score([[0.3, 0.01], [0.31, 0.0], [5, 0.9]]).score));
    assert.throws(() => loadVersion(root, 'aider', 'v0001'), /damaged/);
  });

  it('refuses to publish a model reading a column outside the agent metric contract, naming it and the contract', () => {
    const root = registry();
    assert.throws(() => publishModel(root, gpuArtifact(), card('crewai')), (err: Error) => /^the model for agent type crewai is not published: column gpu_temp is not/.test(err.message) && CONTRACT.test(err.message));
    assert.deepEqual(listVersions(root, 'crewai'), []);
  });

  it('refuses to promote a hand-written artifact reading gpu_temp, and leaves PROMOTED as it was', () => {
    const root = registry();
    publishModel(root, artifact(1), card('crewai'));
    promote(root, 'crewai', 'v0001');
    writeVersion(root, 'crewai', 'v0002', gpuArtifact());
    const pointer = join(root, 'anomaly', 'crewai', 'PROMOTED');
    const before = readFileSync(pointer, 'utf8');
    assert.throws(() => promote(root, 'crewai', 'v0002'), (err: Error) => {
      assert.match(err.message, /^crewai v0002 is not promoted \(PROMOTED still names v0001\): \S+crewai.v0002.model\.json: column gpu_temp is not in the agent metric contract/);
      assert.match(err.message, CONTRACT);
      return true;
    });
    assert.equal(readFileSync(pointer, 'utf8'), before);
    assert.deepEqual(readdirSync(join(root, 'anomaly', 'crewai')).filter((n) => n.includes('tmp')), [], 'no temporary file left behind');
    // Nothing promoted yet: the same refusal, and still no pointer.
    writeVersion(root, 'aider', 'v0001', gpuArtifact());
    assert.throws(() => promote(root, 'aider', 'v0001'), /aider v0001 is not promoted \(no version is promoted\): .*column gpu_temp/);
    assert.equal(promotedVersion(root, 'aider'), undefined);
  });

  it('does not load a promoted artifact reading gpu_temp (promoted by an older Medic), and reports why', () => {
    const root = registry();
    publishModel(root, artifact(1), card('default'));
    promote(root, 'default', 'v0001');
    writeVersion(root, 'crewai', 'v0001', gpuArtifact());
    writeFileSync(join(root, 'anomaly', 'crewai', 'PROMOTED'), 'v0001\n');
    const { models, errors } = loadPromoted(root);
    assert.deepEqual([...models.keys()], ['default'], 'crewai agents fall back to the default model');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^agent type crewai, promoted v0001: \S+crewai.v0001.model\.json: column gpu_temp is not/);
    assert.match(errors[0]!, CONTRACT);
    assert.throws(() => loadVersion(root, 'crewai', 'v0001'), /gpu_temp/);
  });

  it('serves any subset of the contract, in any order', () => {
    const root = registry();
    const random = seededRandom(3);
    const rows = Array.from({ length: 60 }, () => [random(), random()]);
    publishModel(root, AnomalyModel.train(rows, ['dependency_up', 'cpu'], { window: 4, trees: 5 }).toArtifact(), card('crewai'));
    promote(root, 'crewai', 'v0001');
    assert.deepEqual(loadVersion(root, 'crewai', 'v0001').model.columns, ['dependency_up', 'cpu']);
  });
});
