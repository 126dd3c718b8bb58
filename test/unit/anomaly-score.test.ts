import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTable, scoreRows } from '../../training/score-command.ts';

const O = { window: 6, contamination: 0.1, seed: 1, trainFraction: 0.2, online: false, refitEvery: 50 };

function csv(n: number, spikeAt: number, later = 1): string {
  const lines = ['timestamp,value'];
  for (let t = 0; t < n; t++) lines.push(`2026-11-29 00:${String(t % 60).padStart(2, '0')}:00,${(t > spikeAt + 5 ? later : 1) * (t === spikeAt ? 50 : 10 + Math.sin(t / 5))}`);
  return lines.join('\n');
}

describe('medic anomaly score', () => {
  it('reads NAB-style CSV (timestamp column) and headerless matrices', () => {
    const t = parseTable('timestamp,value\n2026-01-01,1\n2026-01-02,2\n', true);
    assert.deepEqual(t, { timestamps: ['2026-01-01', '2026-01-02'], columns: ['value'], rows: [[1], [2]] });
    const m = parseTable('0.1,0.2\n0.3,0.4\n', false);
    assert.deepEqual(m, { timestamps: null, columns: ['column_1', 'column_2'], rows: [[0.1, 0.2], [0.3, 0.4]] });
  });

  it('says which row and column is wrong', () => {
    assert.throws(() => parseTable('a,b\n1,2\n3\n', true), /row 3 has 1 cells, the header 2/);
    assert.throws(() => parseTable('a,b\n1,x\n', true), /row 2, column b: "x" is not a number/);
  });

  it('flags a spike', () => {
    const scores = scoreRows(parseTable(csv(300, 200), true), O);
    assert.equal(scores[200]!.isAnomaly, true);
    assert.ok(scores[200]!.score > Math.max(...scores.slice(100, 190).map((s) => s.score)));
  });

  for (const online of [false, true]) {
    it(`never uses a row after the one it scores${online ? ' (online)' : ''}`, () => {
      const a = scoreRows(parseTable(csv(300, 200), true), { ...O, online });
      const b = scoreRows(parseTable(csv(300, 200, 1000), true), { ...O, online });
      // The two inputs differ only after row 205: every score up to it must be identical.
      assert.deepEqual(a.slice(0, 206), b.slice(0, 206));
      assert.notDeepEqual(a.slice(206), b.slice(206));
    });
  }
});
