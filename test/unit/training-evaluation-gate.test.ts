// The evaluation gate that decides automatic promotion: enough held-out data, healthy flags not clearly
// above the alarm budget, and (with labels) no worse than the promoted version.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alarmBudget } from '../../models/alarm-budget.ts';
import { binomialTail, evaluationGate, type GateInput } from '../../training/evaluation-gate.ts';

const healthy = (rows: number, flagged: number) => ({ validation_rows: rows, validation_healthy_rows: rows, validation_flag_rate: flagged / rows });

describe('evaluation gate', () => {
  const budget = alarmBudget(1, 5);
  const cases: [string, GateInput, boolean, RegExp?][] = [
    ['passes a model within its budget (one flag in two days of 5 s readings)', { budget, candidate: healthy(34_560, 1) }, true],
    ['passes two flags in 8 agent-hours (chance: 0.33 expected)', { budget, candidate: healthy(5760, 2) }, true],
    ['fails a contamination-style threshold (a fifth of healthy readings flagged)', { budget, candidate: healthy(576, 116) }, false, /alarm budget: flagged 116 of 576 healthy held-out readings \(20%, at most 3\.5e\+3 alerts per agent per day\); budget 1\/day at one reading every 5 s = 0\.0058% of readings/],
    ['fails four times the budget over three agent-days', { budget, candidate: healthy(51_840, 12) }, false, /P\(at least that many \| budget\) = 0\.0000\d+, the gate needs >= 0\.01/],
    ['fails with too little held-out data to judge', { budget, candidate: healthy(6, 0) }, false, /enough held-out data: 6 healthy held-out rows \(at least 10 needed\)/],
    ['passes when the promoted version cannot score these columns', {
      budget, candidate: { ...healthy(100, 0), auc: 0.8, best_f1: 0.5 }, incumbent: { version: 'v0003', problem: 'it reads columns cpu' },
    }, true],
    ['passes labelled data that scores as well as the promoted version', {
      budget, candidate: { ...healthy(100, 0), auc: 0.895, best_f1: 0.49 }, incumbent: { version: 'v0003', metrics: { auc: 0.9, best_f1: 0.5 } },
    }, true],
    ['fails labelled data whose AUC is worse than the promoted version on the same rows', {
      budget, candidate: { ...healthy(100, 0), auc: 0.85, best_f1: 0.5 }, incumbent: { version: 'v0003', metrics: { auc: 0.9, best_f1: 0.5 } },
    }, false, /AUC 0\.8500 vs v0003 0\.9000/],
    ['fails labelled data whose best F1 is worse than the promoted version', {
      budget, candidate: { ...healthy(100, 0), auc: 0.9, best_f1: 0.4 }, incumbent: { version: 'v0003', metrics: { auc: 0.9, best_f1: 0.5 } },
    }, false, /best F1 0\.4000 vs 0\.5000/],
    ['does not compare without labels', { budget, candidate: healthy(100, 0), incumbent: { version: 'v0003', metrics: healthy(100, 0) } }, true],
  ];
  for (const [name, input, passed, failure] of cases) {
    it(name, () => {
      const r = evaluationGate(input);
      assert.equal(r.passed, passed, JSON.stringify(r.checks));
      if (failure) assert.match(r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`).join('\n'), failure);
    });
  }

  it('computes the binomial tail exactly, also for large n', () => {
    assert.ok(Math.abs(binomialTail(1, 2, 0.5) - 0.75) < 1e-12);
    assert.ok(Math.abs(binomialTail(3, 3, 0.5) - 0.125) < 1e-12);
    assert.equal(binomialTail(0, 10, 0.1), 1);
    assert.equal(binomialTail(11, 10, 0.1), 0);
    // n = 200,000 at p = 0.1: the mean is 20,000, the standard deviation about 134.
    assert.ok(Math.abs(binomialTail(20_000, 200_000, 0.1) - 0.5) < 0.01);
    assert.ok(binomialTail(20_700, 200_000, 0.1) < 1e-6);
  });
});
