// Data preparation: resampling to a fixed step, bounded gap filling, dropping what cannot be filled,
// and the describe() statistics of the model card (danfojs-node).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardFill } from '../../models/preprocessing.ts';
import { describeColumns, medianStep, prepareData, resample } from '../../training/prepare.ts';
import type { TrainingSeries } from '../../training/training-data.ts';

const N = Number.NaN;
const series = (timestamps: number[] | null, rows: number[][], labels: number[] | null = null): TrainingSeries => ({ agent: 'a-1', agentType: 'a', timestamps, rows, labels });

describe('resampling', () => {
  it('averages the finite samples of each step, leaves empty steps missing, and labels a step anomalous if any sample was', () => {
    const s = resample(series([100, 101, 103, 104, 112], [[1, 10], [3, N], [5, 20], [N, N], [7, 30]], [0, 1, 0, 0, 0]), 5);
    assert.deepEqual(s.timestamps, [100, 105, 110]);
    assert.deepEqual(s.rows[0], [3, 15], 'mean of 1, 3, 5 and of 10, 20: a missing sample does not blank the step');
    assert.ok(s.rows[1]!.every(Number.isNaN), 'nothing arrived between 105 and 110');
    assert.deepEqual(s.rows[2], [7, 30]);
    assert.deepEqual(s.labels, [1, 0, 0]);
  });

  it('leaves rows already on the grid as they are, and aligns the grid to multiples of the step', () => {
    const s = resample(series([17, 22, 27], [[1], [2], [3]]), 5);
    assert.deepEqual(s.timestamps, [15, 20, 25]);
    assert.deepEqual(s.rows, [[1], [2], [3]]);
    assert.equal(medianStep([0, 15, 30, 31, 46]), 15);
  });
});

describe('gap filling', () => {
  it('forward-fills at most the limit of consecutive missing samples per column', () => {
    const r = forwardFill([[1, N], [N, 2], [N, N], [N, N], [5, N]], 2);
    assert.deepEqual(r.rows.map((row) => row.map((v) => (Number.isNaN(v) ? null : v))), [[1, null], [1, 2], [1, 2], [null, 2], [5, null]]);
    assert.equal(r.missing, 7);
    assert.equal(r.filled, 4);
  });

  it('drops rows the agent was absent for, fills what remains with 0 (as serving reads a gap), and reports it', async () => {
    const data = {
      columns: ['cpu', 'queue_depth'], source: 'test',
      series: [series([0, 5, 10, 15, 20, 25, 30, 35], [[N, N], [0.5, N], [N, N], [N, N], [N, N], [N, N], [0.7, 3], [N, 4]], [0, 0, 0, 0, 0, 0, 1, 0])],
    };
    const { data: out, report } = await prepareData(data, { stepSeconds: 5, fillLimit: 1 });
    const s = out.series[0]!;
    // 0: nothing yet (dropped); 5: cpu, queue never seen (0); 10: cpu carried once; 15-25: absent (dropped).
    assert.deepEqual(s.timestamps, [5, 10, 30, 35]);
    assert.deepEqual(s.rows, [[0.5, 0], [0.5, 0], [0.7, 3], [0.7, 4]]);
    assert.deepEqual(s.labels, [0, 0, 1, 0]);
    assert.deepEqual(report, { inputRows: 8, rows: 4, missingCells: 12, forwardFilled: 2, zeroFilled: 2, droppedRows: 4 });
  });

  it('drops a series with no sample at all', async () => {
    const { data } = await prepareData({ columns: ['cpu'], source: 'test', series: [series([0, 5], [[N], [N]])] }, { stepSeconds: 5 });
    assert.equal(data.series.length, 0);
  });
});

describe('describe for the model card', () => {
  it('gives count, mean, std, min, median and max per column', async () => {
    const { stats: d } = await describeColumns([[1, 10], [2, 10], [3, 10], [4, 10]], ['cpu', 'dependency_up']);
    assert.equal(d.cpu!.count, 4);
    assert.equal(d.cpu!.mean, 2.5);
    assert.equal(d.cpu!.min, 1);
    assert.equal(d.cpu!.max, 4);
    assert.equal(d.cpu!.median, 2.5);
    assert.ok(Math.abs(d.cpu!.std! - Math.sqrt(5 / 3)) < 1e-9, `sample std ${d.cpu!.std}`);
    assert.equal(d.dependency_up!.std, 0);
  });

  it('describes an evenly spaced sample of a large table, and says so', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => [i, 1]);
    const r = await describeColumns(rows, ['cpu', 'dependency_up'], 10);
    assert.equal(r.stride, 3);
    assert.equal(r.described, 9);
    assert.equal(r.stats.cpu!.count, 9);
    assert.equal(r.stats.cpu!.max, 24);
  });
});
