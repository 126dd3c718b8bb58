// The command line of `medic train anomaly`: a headerless CSV cannot train a model for the registry,
// whose models read only agent metric contract columns, so it is refused as a command-line problem.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { UsageError } from '../../cli/args.ts';
import { validateTrainArgs } from '../../cli/train-options.ts';

const EXISTING = fileURLToPath(import.meta.url);

describe('medic train anomaly options', () => {
  it('refuses --no-header, naming the contract and the backtest that takes a headerless matrix', () => {
    assert.throws(() => validateTrainArgs('anomaly', { csv: EXISTING, 'no-header': true }, {}, 0), (err: Error) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, `--no-header cannot train a model for the registry: a headerless CSV's columns are column_1, column_2, ..., and the registry takes only agent metric contract columns (latency_p99_s, error_rate, request_rate, queue_depth, memory_utilisation, cpu, dependency_up); give ${EXISTING} a header naming them, or backtest the matrix with medic anomaly score --no-header`);
      return true;
    });
  });

  it('takes a CSV with a header', () => {
    assert.deepEqual(validateTrainArgs('anomaly', { csv: EXISTING }, {}, 0).source, { kind: 'csv', file: EXISTING, header: true });
  });
});

describe('medic train nightly options', () => {
  const base = { schedule: '0 3 * * *', prometheus: 'http://prom:9090', registry: '/tmp/reg' };

  it('retrains both kinds from Prometheus by default, each as a child command line over the last lookback', () => {
    const n = validateTrainArgs('nightly', { ...base, lookback: '3d', step: '30s', promote: true, medic: 'http://medic:8080', nice: '15' }, {}, 0).nightly!;
    assert.equal(n.nice, 15);
    assert.deepEqual(n.children, [
      { kind: 'anomaly', args: ['train', 'anomaly', '--prometheus', 'http://prom:9090', '--registry', '/tmp/reg', '--step', '30s', '--promote', '--from', 'now-3d', '--to', 'now'] },
      { kind: 'failure', args: ['train', 'failure', '--prometheus', 'http://prom:9090', '--step', '30s', '--registry', '/tmp/reg', '--promote', '--medic', 'http://medic:8080', '--from', 'now-3d', '--to', 'now'] },
    ]);
  });

  it('retrains only anomaly models from a CSV, and refuses the failure kind there, naming why', () => {
    const n = validateTrainArgs('nightly', { schedule: '0 3 * * *', csv: EXISTING }, {}, 0).nightly!;
    assert.deepEqual(n.children.map((c) => c.kind), ['anomaly']);
    assert.deepEqual(n.children[0]!.args, ['train', 'anomaly', '--csv', EXISTING]);
    assert.throws(() => validateTrainArgs('nightly', { schedule: '0 3 * * *', csv: EXISTING, kinds: 'failure' }, {}, 0), /--kinds failure needs --prometheus/);
  });

  it('reports every problem with kinds, medic and nice at once', () => {
    assert.throws(() => validateTrainArgs('nightly', { ...base, kinds: 'anomaly,lstm', medic: 'medic:8080', nice: '20' }, {}, 0), (err: Error) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /--kinds must be a comma-separated list of anomaly, failure, but was anomaly,lstm/);
      assert.match(err.message, /--medic must be an http\(s\) URL such as http:\/\/medic:8080, but was medic:8080/);
      assert.match(err.message, /--medic labels the failure model's training: add failure to --kinds/);
      assert.match(err.message, /--nice must be an integer in \[0, 19\], but was 20/);
      return true;
    });
  });
});
