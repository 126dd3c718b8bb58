// The agent metric contract as PromQL, and the one way range answers become per-agent rows for the model.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_SIGNALS } from '../../models/features.ts';
import { assembleAgentSeries, latestWindow, signalQueries, type MatrixSeries } from '../../models/signal-queries.ts';

describe('signal queries', () => {
  it('gives one fleet-wide expression per model column, grouped by the agent labels', () => {
    const queries = signalQueries('30s', 'job="agents"');
    assert.deepEqual(queries.map((q) => q.column), AGENT_SIGNALS.map((s) => s.column));
    for (const q of queries) {
      assert.match(q.promql, /by \(agent, agent_type, tier/, q.column);
      assert.doesNotMatch(q.promql, /agent="/, `${q.column} must not select one agent`);
    }
    assert.match(queries.find((q) => q.column === 'request_rate')!.promql, /rate\(agent_requests_total\{job="agents"\}\[30s\]\)/);
  });

  it('refuses a rate window that is not a Prometheus duration', () => {
    assert.throws(() => signalQueries('1 minute'), /rate window must be a Prometheus duration/);
  });

  it('aligns answers on the step grid, per agent, leaving gaps as NaN', () => {
    const answers = new Map<string, MatrixSeries[]>([
      ['a', [{ metric: { agent: 'x-1', agent_type: 'x', tier: 't' }, values: [[100, '1'], [110, '3']] }]],
      ['b', [{ metric: { agent: 'x-1', agent_type: 'x', tier: 't' }, values: [[105, '2']] }, { metric: { agent: 'y-1', agent_type: 'y', tier: 't' }, values: [[110, 'NaN']] }]],
    ]);
    const series = assembleAgentSeries(['a', 'b'], answers, 100, 110, 5);
    assert.deepEqual(series.get('x-1')!.timestamps, [100, 105, 110]);
    assert.deepEqual(series.get('x-1')!.rows, [[1, Number.NaN], [Number.NaN, 2], [3, Number.NaN]]);
    assert.equal(series.get('y-1')!.agentType, 'y');
  });

  it('takes the newest window ending at the last row with data, without the empty rows before an agent existed', () => {
    const rows = [[Number.NaN], [Number.NaN], [1], [2], [Number.NaN], [3], [Number.NaN]];
    const series = { agent: 'a', agentType: 't', tier: '', timestamps: rows.map((_, i) => 1000 + i), rows };
    const w = latestWindow(series, 5)!;
    assert.deepEqual(w.rows, [[1], [2], [Number.NaN], [3]]);
    assert.equal(w.sampleAt, 1005_000);
    assert.deepEqual(latestWindow(series, 2)!.rows, [[Number.NaN], [3]]);
    assert.equal(latestWindow({ ...series, rows: [[Number.NaN], [4], [Number.NaN]] }, 5), undefined, 'one sample is not enough');
  });
});
