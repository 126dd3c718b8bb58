// The model kinds serving can load (models/detectors/index.ts): an explicit list, checked when it loads,
// through which the artifact registry loads every model.json.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { AnomalyModel } from '../../models/anomaly-model.ts';
import type { DetectorKind } from '../../models/detector.ts';
import { BUILTIN_DETECTOR_KINDS, createDetectorRegistry, DETECTORS } from '../../models/detectors/index.ts';
import { forestKind } from '../../models/detectors/forest.ts';
import { loadVersion } from '../../models/registry.ts';
import { tempDir } from '../helpers/service.ts';

const random = seededRandom(2);
const rows = Array.from({ length: 200 }, () => [random(), random()]);
const forest = () => AnomalyModel.train(rows, ['latency_p99_s', 'error_rate'], { window: 3, trees: 10 });

describe('detector kind registry', () => {
  it('lists the anomaly forest and the failure predictor', () => {
    assert.deepEqual(DETECTORS.kinds, ['forest', 'failure']);
    assert.deepEqual(BUILTIN_DETECTOR_KINDS.map((k) => k.kind), ['forest', 'failure']);
  });

  it('refuses a list with a malformed or repeated kind, or two kinds claiming one artifact kind', () => {
    const other: DetectorKind = { kind: 'other', artifactKind: 'medic-other-model', load: () => { throw new Error('not here'); } };
    assert.throws(() => createDetectorRegistry([]), /no kinds/);
    assert.throws(() => createDetectorRegistry([{ ...other, kind: 'Failure LSTM' }]), /kind "Failure LSTM" must match/);
    assert.throws(() => createDetectorRegistry([forestKind, { ...forestKind, artifactKind: 'x' }]), /kind forest is registered twice/);
    assert.throws(() => createDetectorRegistry([forestKind, { ...other, artifactKind: forestKind.artifactKind }]), /artifact kind medic-anomaly-model is claimed by forest and other/);
    assert.deepEqual(createDetectorRegistry([forestKind, other]).kinds, ['forest', 'other']);
  });

  it('loads an artifact by its kind field, and names the known kinds when it cannot', () => {
    assert.throws(() => DETECTORS.load({ kind: 'medic-lstm' }), /artifact kind "medic-lstm" \(known: medic-anomaly-model \(forest\), medic-failure-model \(failure\)\)/);
    assert.throws(() => DETECTORS.load('nonsense'), /artifact kind null/);
  });

  it('loads models from the artifact registry through the kinds, naming the file it refuses', () => {
    const root = tempDir('medic-kinds-');
    const dir = join(root, 'anomaly', 'crewai', 'v0001');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ kind: 'medic-lstm' }));
    assert.throws(() => loadVersion(root, 'crewai', 'v0001'), /crewai.v0001.model\.json: not a model this Medic can load: artifact kind "medic-lstm"/);
  });
});

describe('forest kind', () => {
  it('loads an anomaly model artifact as a Detector that scores like the model', () => {
    const model = forest();
    const d = forestKind.load(JSON.parse(JSON.stringify(model.toArtifact())));
    assert.equal(d.kind, 'forest');
    assert.deepEqual([d.columns, d.window, d.threshold, d.fillLimit, d.sampling], [['latency_p99_s', 'error_rate'], 4, model.threshold, 3, undefined]);
    // It reads 4 rows: the feature window of 3, and the row before it for the reading its score averages.
    const window = rows.slice(-4);
    assert.deepEqual(d.score(window), model.scoreLatest(window));
  });

  it('refuses a damaged artifact with the model’s own message', () => {
    assert.throws(() => forestKind.load({ ...forest().toArtifact(), threshold: 2 }), /damaged: threshold must be in \[0, 1\]/);
  });
});
