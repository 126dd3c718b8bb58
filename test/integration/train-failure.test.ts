// medic train failure's library half (training/train-failure.ts): a small simulated fleet trains, the
// version is published under failure/ with its card and report, the gate decides promotion, and a
// retrained model is compared with the promoted one on the same held-out hours.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPromoted, loadVersion, promotedVersion } from '../../models/registry.ts';
import { FLEET_HISTORY_COLUMNS, FLEET_HISTORY_DEFAULTS, simulateFleetHistory } from '../../sim/fleet-history.ts';
import { BACKTEST_DEFAULTS } from '../../training/evaluation/failure-backtest.ts';
import { trainFailure } from '../../training/train-failure.ts';
import { tempDir } from '../helpers/service.ts';

describe('train failure', () => {
  it('publishes a gated version with card and report, promotes it, and compares the next with it', async () => {
    const registry = tempDir('medic-train-failure-');
    const histories = simulateFleetHistory({ ...FLEET_HISTORY_DEFAULTS, agents: 4, hours: 24, seed: 3 });
    const o = {
      ...BACKTEST_DEFAULTS, horizon: 20, epochs: 4, architecture: { units: [16], dense: 8, dropout: 0 }, learningRate: 5e-3, targetPrecision: 0.8, minRecall: 0.3,
      registry, agentType: 'default', source: 'test fleet', stepSeconds: 30, rateWindow: '60s', promote: true, backend: 'wasm' as const,
    };
    const first = await trainFailure(histories, [...FLEET_HISTORY_COLUMNS], o);
    assert.equal(first.version, 'v0001');
    assert.ok(first.metrics.events >= 3, `${first.metrics.events} held-out failures`);
    assert.ok(first.gate.passed, first.gate.reasons.join('; '));
    assert.ok(first.metrics.precision >= 0.8 && first.metrics.recall >= 0.3, JSON.stringify(first.metrics));
    assert.equal(first.promoted, true);
    assert.equal(promotedVersion(registry, 'default', 'failure'), 'v0001');
    assert.equal(existsSync(join(registry, 'anomaly')), false, 'failure models go to their own folder');
    const card = JSON.parse(readFileSync(join(first.dir, 'card.json'), 'utf8'));
    assert.equal(card.metrics.event_precision, first.metrics.precision);
    assert.match(readFileSync(join(first.dir, 'MODEL_CARD.md'), 'utf8'), /^# Failure model default v0001/);
    const report = readFileSync(join(first.dir, 'report.html'), 'utf8');
    for (const part of ['loss per epoch', 'precision (y) against recall (x)', 'lead time of foreseen failures', '<polyline']) assert.ok(report.includes(part), part);
    const { models, errors } = loadPromoted(registry, 'failure');
    assert.deepEqual(errors, []);
    assert.equal(models.get('default')!.model.kind, 'failure');
    assert.equal(loadPromoted(registry).models.size, 0, 'the anomaly family sees none of them');
    mkdirSync(join(registry, 'anomaly', 'default', 'v0001'), { recursive: true });
    copyFileSync(join(first.dir, 'model.json'), join(registry, 'anomaly', 'default', 'v0001', 'model.json'));
    assert.throws(() => loadVersion(registry, 'default', 'v0001'), /a failure model in the anomaly folder \(it holds forest models\)/);

    // A worse model (one epoch, a tiny network) on the same hours is published but not promoted.
    const second = await trainFailure(histories, [...FLEET_HISTORY_COLUMNS], { ...o, epochs: 1, architecture: { units: [2], dense: 2, dropout: 0 }, learningRate: 1e-4 });
    assert.equal(second.version, 'v0002');
    assert.equal(second.inService?.version, 'v0001');
    assert.ok(!second.gate.passed && !second.promoted, second.gate.reasons.join('; '));
    assert.equal(promotedVersion(registry, 'default', 'failure'), 'v0001');
  });
});
