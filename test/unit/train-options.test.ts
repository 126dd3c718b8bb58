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
