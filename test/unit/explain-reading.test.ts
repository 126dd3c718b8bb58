// How an incident's model reading reads in the API: an anomaly score with deviations in σ, or a
// predicted failure's probability with the factors that drive it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainAnomaly } from '../../server/api/read-api.ts';

const at = Date.UTC(2026, 11, 1, 7, 5, 8);

describe('explaining a model reading', () => {
  it('reads an anomaly score as deviations from the healthy state', () => {
    const text = explainAnomaly({ score: 0.82, isAnomaly: true, threshold: 0.6, type: 'error_burst', contributions: [{ feature: 'error_rate:value', deviation: 184.5 }], model: 'crewai@v0002', sampleAt: at });
    assert.equal(text, '2026-12-01T07:05:08.000Z anomaly model crewai@v0002 scored 0.820: anomalous (error_burst). Largest deviations: error_rate:value (184.5σ).');
  });

  it('reads a predicted failure as a probability and its contributing factors', () => {
    const text = explainAnomaly({ score: 0.916, isAnomaly: true, threshold: 0.883, type: 'resource_exhaustion', contributions: [{ feature: 'memory_utilisation', deviation: 0.9 }, { feature: 'cpu', deviation: 0.01 }], model: 'failure default@v0001', sampleAt: at });
    assert.equal(text, '2026-12-01T07:05:08.000Z failure model default@v0001 gave a failure probability of 0.916 (alarm at 0.883), driven by resource_exhaustion. Contributing factors: memory_utilisation (+0.90), cpu (+0.01).');
  });
});
