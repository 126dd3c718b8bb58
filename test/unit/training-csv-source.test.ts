// Training data from CSV: one series per agent (or type), labels kept apart from the model's columns,
// and every problem named with its row and column.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCsvSource } from '../../training/csv-source.ts';

const read = (text: string, header = true) => readCsvSource(text, { header, name: 'export.csv' });

describe('CSV training source', () => {
  it('groups rows per agent and type, in time order, with the label column kept for evaluation only', () => {
    const data = read([
      'timestamp,agent_type,agent,cpu,queue_depth,label',
      '2025-01-01T00:00:10Z,crewai,crewai-1,0.3,4,0',
      '2025-01-01T00:00:00Z,crewai,crewai-1,0.2,3,0',
      '2025-01-01T00:00:00Z,aider,aider-1,0.5,1,1',
      '2025-01-01 00:00:05,crewai,crewai-2,0.4,2,0',
    ].join('\n'));
    assert.deepEqual(data.columns, ['cpu', 'queue_depth']);
    assert.equal(data.source, 'csv export.csv');
    const crewai1 = data.series.find((s) => s.agent === 'crewai-1')!;
    assert.equal(crewai1.agentType, 'crewai');
    assert.deepEqual(crewai1.timestamps, [1735689600, 1735689610], 'sorted by time');
    assert.deepEqual(crewai1.rows, [[0.2, 3], [0.3, 4]]);
    assert.deepEqual(crewai1.labels, [0, 0]);
    assert.deepEqual(data.series.find((s) => s.agent === 'crewai-2')!.timestamps, [1735689605], 'a time without a zone reads as UTC');
    assert.deepEqual(data.series.find((s) => s.agent === 'aider-1')!.labels, [1]);
  });

  it('without agent_type, everything trains the default model; Unix seconds and milliseconds both read as seconds', () => {
    const data = read('timestamp,latency_p99_s\n1735689600,0.1\n1735689605000,0.2\n');
    assert.equal(data.series.length, 1);
    assert.equal(data.series[0]!.agentType, 'default');
    assert.deepEqual(data.series[0]!.timestamps, [1735689600, 1735689605]);
    assert.equal(data.series[0]!.labels, null);
  });

  it('reads a headerless numeric matrix as one series without time', () => {
    const data = read('1,2,3\n4,,6\n', false);
    assert.deepEqual(data.columns, ['column_1', 'column_2', 'column_3']);
    assert.equal(data.series[0]!.timestamps, null);
    assert.ok(Number.isNaN(data.series[0]!.rows[1]![1]!), 'an empty cell is a missing value');
  });

  const bad: [string, string, RegExp][] = [
    ['a label other than 0/1', 'cpu,label\n0.1,0\n0.2,2\n', /row 3, column label: must be 0 or 1, but was 2/],
    ['a non-numeric cell', 'cpu,queue_depth\n0.1,x\n', /row 2, column queue_depth: "x" is not a number/],
    ['an unreadable time', 'timestamp,cpu\nyesterday,0.1\n', /row 2, column timestamp: "yesterday" is neither/],
    ['an agent type that cannot name a folder', 'agent_type,cpu\n../x,0.1\n', /row 2, column agent_type: agent type "..\/x" cannot name a model folder/],
    ['a short row', 'agent_type,cpu\ncrewai\n', /row 2 has 1 cells, the header 2/],
    ['no numeric column', 'timestamp,agent_type,label\n1,crewai,0\n', /no numeric column to train on/],
    ['a repeated column', 'cpu,cpu\n1,2\n', /names column "cpu" twice/],
  ];
  for (const [what, text, message] of bad) {
    it(`names the row and column of ${what}`, () => {
      assert.throws(() => read(text), (err: Error) => err.message.startsWith('export.csv: ') && message.test(err.message));
    });
  }
});
