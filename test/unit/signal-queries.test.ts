// The agent metric contract as PromQL, and the one way range answers become per-agent rows for the model.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_SIGNALS } from '../../models/features.ts';
import { assembleAgentSeries, contractProblem, CONTRACT_COLUMNS, latestWindow, signalQueries, warmupRows, type MatrixSeries } from '../../models/signal-queries.ts';

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

  it('accepts a model on any subset of the contract, in any order, and names each column outside it with the contract', () => {
    assert.deepEqual(CONTRACT_COLUMNS, signalQueries().map((q) => q.column), 'every contract column has a query');
    assert.equal(contractProblem(CONTRACT_COLUMNS), undefined);
    assert.equal(contractProblem(['dependency_up', 'latency_p99_s']), undefined);
    assert.equal(contractProblem(['latency_p99_s', 'gpu_temp']), 'column gpu_temp is not in the agent metric contract (latency_p99_s, error_rate, request_rate, queue_depth, memory_utilisation, cpu, dependency_up; models/features.ts AGENT_SIGNALS): the server reads each model column from Prometheus with that contract\'s query, and there is none for it');
    assert.match(contractProblem(['gpu_temp', 'cpu', 'value'])!, /^columns gpu_temp, value are not in the agent metric contract .* there is none for them$/);
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

  it('takes the newest window ending at the last row with data, once the agent has lived a window plus the rate warm-up', () => {
    const rows = [[Number.NaN], [Number.NaN], [1], [2], [Number.NaN], [3], [Number.NaN]];
    const series = { agent: 'a', agentType: 't', tier: '', timestamps: rows.map((_, i) => 1000 + i), rows };
    const w = latestWindow(series, { window: 3, warmupRows: 1 });
    assert.ok('rows' in w, JSON.stringify(w));
    // The missed sample is carried forward, as training fills it; the step after the newest sample is not there yet.
    assert.deepEqual(w.rows, [[2], [2], [3]]);
    assert.equal(w.sampleAt, 1005_000);
    // A short gap inside the agent's life counts as history; the rows before its first sample do not.
    const young = latestWindow(series, { window: 3, warmupRows: 2 });
    assert.ok('missing' in young);
    assert.match(young.missing, /4 rows of history, fewer than the 5 the model needs \(a window of 3 after 2 of rate warm-up\)/);
    assert.deepEqual(latestWindow({ ...series, rows: rows.map(() => [Number.NaN]) }, { window: 1, warmupRows: 0 }), { missing: 'no samples' });
  });

  it('drops the rows an agent was down for, as training does, so the window spans the outage', () => {
    const N = Number.NaN;
    const rows = [[1, 5], [2, 6], [3, N], [N, N], [N, N], [N, N], [4, N], [5, 7]];
    const series = { agent: 'a', agentType: 't', tier: '', timestamps: rows.map((_, i) => 1000 + i), rows };
    const w = latestWindow(series, { window: 4, warmupRows: 0, fillLimit: 1 });
    assert.ok('rows' in w, JSON.stringify(w));
    // Row 2's second column carries row 1's (one sample); row 3 carries the first column only: the second
    // has been missing for longer than the limit and reads 0, as in row 6; rows 4 and 5 hold nothing and go.
    assert.deepEqual(w.rows, [[3, 6], [3, 0], [4, 0], [5, 7]]);
    assert.equal(w.sampleAt, 1007_000);
  });

  it('counts the rate window in rows of the step, rounding up', () => {
    assert.equal(warmupRows({ stepSeconds: 5, rateWindow: '30s' }), 6);
    assert.equal(warmupRows({ stepSeconds: 15, rateWindow: '1m' }), 4);
    assert.equal(warmupRows({ stepSeconds: 20, rateWindow: '30s' }), 2);
    assert.throws(() => warmupRows({ stepSeconds: 5, rateWindow: 'soon' }), /rate window "soon" is not a duration/);
  });
});
