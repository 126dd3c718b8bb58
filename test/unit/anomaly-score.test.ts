import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { anomalyCommand } from '../../cli/anomaly-evaluate-command.ts';
import { parseHoldOff } from '../../cli/anomaly-score-command.ts';
import { defaultDetector, scoreRows, timestampHours, type ScoreOptions } from '../../training/evaluation/score-rows.ts';
import { parseTable } from '../../training/parse-table.ts';
import { tempDir } from '../helpers/service.ts';

const O: ScoreOptions = { window: 6, contamination: 0.1, seed: 1, trainFraction: 0.2, online: false, refitEvery: 50 };
const FOREST: ScoreOptions = { ...O, detector: 'forest' };

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

  for (const detector of ['streaming', 'forest'] as const) {
    it(`flags a spike (${detector})`, () => {
      const scores = scoreRows(parseTable(csv(300, 200), true), { ...O, detector });
      assert.equal(scores[200]!.isAnomaly, true);
      assert.ok(scores[200]!.score > Math.max(...scores.slice(100, 190).map((s) => s.score)));
    });
  }

  for (const [name, o] of [['streaming', O], ['forest', FOREST], ['forest, online', { ...FOREST, online: true }], ['streaming, with hold-off', { ...O, holdOff: { samples: 20 } }]] as const) {
    it(`never uses a row after the one it scores (${name})`, () => {
      const a = scoreRows(parseTable(csv(300, 200), true), o);
      const b = scoreRows(parseTable(csv(300, 200, 1000), true), o);
      // The two inputs differ only after row 205: every score up to it must be identical.
      assert.deepEqual(a.slice(0, 206), b.slice(0, 206));
      assert.notDeepEqual(a.slice(206), b.slice(206));
    });
  }

  it('handles gaps as training and serving do: a short gap is the last value, not a drop to 0', () => {
    const table = (text: string) => parseTable(text, true);
    const full = csv(300, 200);
    // Two missed samples at rows 150-151 (the CSV's lines 151-152): within the fill limit of 3.
    const lines = full.split('\n');
    const gappy = lines.map((l, i) => (i === 151 || i === 152 ? `${l.split(',')[0]},` : l)).join('\n');
    const filled = lines.map((l, i) => (i === 151 || i === 152 ? `${l.split(',')[0]},${lines[150]!.split(',')[1]}` : l)).join('\n');
    assert.deepEqual(scoreRows(table(gappy), FOREST), scoreRows(table(filled), FOREST));
  });

  it("scores the forest's training rows 0: scoring them with it would read later rows", () => {
    const scores = scoreRows(parseTable(csv(300, 200), true), FOREST);
    assert.ok(scores.slice(0, 60).every((s) => s.score === 0 && !s.isAnomaly));
    assert.ok(scores.slice(60).some((s) => s.score > 0));
  });

  it('alerts once per hold-off, and a held-off alert scores 0', () => {
    // A spike at row 200, then the level five times higher from row 206: without a hold-off the
    // streaming detector alerts on row 200 and on rows 208 to 211 (the new level first equals the
    // spike's value, which the series has now held once, so it becomes rare two rows later).
    const table = parseTable(csv(300, 200, 5), true);
    const free = scoreRows(table, O);
    const held = scoreRows(table, { ...O, holdOff: { samples: 2 } });
    const alertRows = (xs: { isAnomaly: boolean }[]) => xs.flatMap((s, i) => (s.isAnomaly ? [i] : []));
    assert.ok(alertRows(free).length >= 5, JSON.stringify(alertRows(free)));
    const kept = alertRows(held);
    assert.equal(kept[0], 200);
    assert.deepEqual(kept, [200, 208, 211]);
    held.forEach((s, i) => assert.ok(s.score === free[i]!.score || (s.score === 0 && free[i]!.isAnomaly && !kept.includes(i))));
  });

  it('reads --hold-off as a duration or a number of rows, and timestamps as ISO 8601 or Unix seconds', () => {
    assert.deepEqual(parseHoldOff('12h'), { hours: 12 });
    assert.deepEqual(parseHoldOff('90m'), { hours: 1.5 });
    assert.deepEqual(parseHoldOff('144'), { samples: 144 });
    assert.equal(parseHoldOff('0'), undefined);
    assert.equal(parseHoldOff('soon'), 'invalid');
    const t = (timestamps: string[]) => timestampHours({ timestamps, columns: ['v'], rows: timestamps.map(() => [0]) });
    assert.deepEqual(t(['2014-04-01 00:00:00', '2014-04-01T01:30:00Z', '1396317600']), [387864, 387865.5, 387866]);
    assert.throws(() => t(['2014-04-01', 'yesterday']), /row 3, timestamp: "yesterday" is neither ISO 8601 nor Unix seconds/);
    assert.throws(() => timestampHours({ timestamps: null, columns: ['v'], rows: [[0]] }), /needs a timestamp column/);
  });

  it('refuses --train/--model with the streaming detector', () => {
    assert.throws(() => scoreRows(parseTable(csv(50, 10), true), { ...O, detector: 'streaming' }, [[1], [2]]), /add --detector forest/);
  });

  it('picks the detector that measured best for the data: streaming for one series, the forest for several or with training rows', () => {
    const one = parseTable('1\n2\n', false);
    const two = parseTable('1,2\n3,4\n', false);
    assert.equal(defaultDetector(one), 'streaming');
    assert.equal(defaultDetector(one, [[1]]), 'forest');
    assert.equal(defaultDetector(two), 'forest');
  });
});

describe('medic anomaly score, as a user runs it', () => {
  const dir = tempDir('medic-score-');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'input.csv');
  writeFileSync(input, csv(300, 200, 5));
  const run = async (...extra: string[]) => {
    const output = join(dir, `out-${extra.join('_') || 'default'}.csv`);
    const code = await anomalyCommand(['score', '--input', input, '--output', output, ...extra]);
    assert.equal(code, 0);
    const [head, ...lines] = readFileSync(output, 'utf8').trim().split('\n');
    assert.deepEqual(head!.split(','), ['timestamp', 'anomaly_score', 'is_anomaly']);
    return lines.map((l) => ({ score: Number(l.split(',')[1]), isAnomaly: l.split(',')[2] === '1' }));
  };
  const alertRows = (xs: { isAnomaly: boolean }[]) => xs.flatMap((s, i) => (s.isAnomaly ? [i] : []));

  it('writes raw scores by default: the rows right after an alert keep their scores', async () => {
    const rows = await run();
    // The spike at 200 and the level change from 206 (rare from 208, see above): every alerting row keeps its alert and its score.
    assert.deepEqual(alertRows(rows).filter((i) => i >= 200 && i < 212), [200, 208, 209, 210, 211]);
    assert.ok(rows.slice(201, 212).every((r) => r.score > 0), 'no score after an alert is zeroed');
  });

  it('holds alerts off only when asked (--hold-off), scoring the held-off rows 0', async () => {
    const rows = await run('--hold-off', '2');
    assert.deepEqual(alertRows(rows).filter((i) => i >= 200 && i < 212), [200, 208, 211]);
    for (const i of [209, 210]) assert.equal(rows[i]!.score, 0, `row ${i}`);
  });
});
