// Held-out metrics: the held-out rows scored as serving scores them, healthy flag rate, and with labels
// precision, recall, F1 and AUC.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { AnomalyModel } from '../../models/anomaly-model.ts';
import { validationMetrics } from '../../training/validation-metrics.ts';

const random = seededRandom(4);
const rows = Array.from({ length: 400 }, (_, t) => [0.3 + 0.02 * random() + (t >= 350 && t < 360 ? 3 : 0), 20 + 5 * Math.sin(t / 20) + random()]);
const labels = rows.map((_, t) => (t >= 350 && t < 360 ? 1 : 0));
const model = AnomalyModel.train(rows.slice(0, 300), ['latency_p99_s', 'request_rate'], { window: 8, contamination: 0.05, seed: 1, trees: 40 });

describe('held-out metrics', () => {
  it('scores the held-out rows exactly as scoring the whole series would (warm-up from the rows before)', () => {
    const whole = model.scoreSeries(rows).slice(300);
    const m = validationMetrics(model, [{ rows, from: 300, labels: null }]);
    assert.equal(m.validation_rows, 100);
    assert.equal(m.validation_flag_rate, whole.filter((s) => s.isAnomaly).length / 100);
    assert.equal(m.score_max, Math.max(...whole.map((s) => s.score)));
    assert.equal(m.threshold, model.toArtifact().threshold);
  });

  it('counts only healthy rows in the flag rate (not the window after an anomaly), and reports precision, recall, F1 and AUC with labels', () => {
    const whole = model.scoreSeries(rows).slice(300);
    const m = validationMetrics(model, [{ rows, from: 300, labels }]);
    // Rows 360..368 are labelled 0 but their window (8 rows and the reading averaged before) still holds the anomaly.
    const healthy = (i: number) => labels[300 + i] === 0 && !(300 + i >= 360 && 300 + i < 360 + model.window);
    assert.equal(model.window, 9);
    const healthyFlags = whole.filter((s, i) => s.isAnomaly && healthy(i)).length;
    assert.ok(whole.slice(60, 69).some((s) => s.isAnomaly), 'the aftermath is flagged (and left out of the flag rate)');
    assert.equal(m.validation_healthy_rows, 81);
    assert.equal(m.validation_anomalous_rows, 10);
    assert.equal(m.validation_flag_rate, healthyFlags / 81);
    const tp = whole.filter((s, i) => s.isAnomaly && labels[300 + i] === 1).length;
    assert.equal(m.recall, tp / 10);
    assert.equal(m.precision, tp / (tp + healthyFlags));
    assert.ok(m.auc! > 0.75, `a latency jump of 150 standard deviations ranks well above chance: AUC ${m.auc}`);
  });
});
