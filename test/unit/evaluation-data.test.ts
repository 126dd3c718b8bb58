import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findEvaluationData } from '../../training/evaluation/evaluation-data.ts';
import { tempDir } from '../helpers/service.ts';

/** An ASD-shaped folder with servers `n`, leaving out the files named in `skip` (e.g. 'test_label/omi-2.txt'). */
function asd(servers: number[], skip: string[] = []): string {
  const dir = tempDir('medic-eval-data-');
  for (const part of ['train', 'test', 'test_label']) {
    mkdirSync(join(dir, 'asd', part), { recursive: true });
    for (const n of servers) if (!skip.includes(`${part}/omi-${n}.txt`)) writeFileSync(join(dir, 'asd', part, `omi-${n}.txt`), part === 'test_label' ? '0\n1\n' : '0.1,0.2\n0.3,0.4\n');
  }
  return dir;
}

describe('evaluation data', () => {
  it('finds asd/, and nab-dev/ only when it is there', () => {
    const dir = asd([1, 2]);
    assert.deepEqual(findEvaluationData(dir), { asdDir: join(dir, 'asd') });
    mkdirSync(join(dir, 'nab-dev', 'data', 'realTweets'), { recursive: true });
    writeFileSync(join(dir, 'nab-dev', 'labels.json'), '{}');
    assert.deepEqual(findEvaluationData(dir), { asdDir: join(dir, 'asd'), nabDir: join(dir, 'nab-dev') });
  });

  it('names the folder looked in, the layout and the source when there is no ASD data', () => {
    const dir = tempDir('medic-eval-data-');
    for (const setUp of [() => {}, () => mkdirSync(join(dir, 'asd', 'train'), { recursive: true })]) {
      setUp();
      const r = findEvaluationData(dir);
      assert.ok('problem' in r);
      assert.equal(r.problem, `no ASD data at ${join(dir, 'asd')} (expected asd/train/omi-N.txt, asd/test/omi-N.txt, asd/test_label/omi-N.txt for each server N): get the Application Server Dataset from InterFusion (KDD 2021), https://github.com/zhhlee/InterFusion, MIT licence, and pass --data DIR`);
    }
  });

  it('names the files missing from an incomplete ASD folder before anything is trained', () => {
    const r = findEvaluationData(asd([1, 2], ['test/omi-2.txt', 'test_label/omi-2.txt']));
    assert.ok('problem' in r);
    assert.match(r.problem, /the ASD data at \S+asd is incomplete, test\/omi-2\.txt, test_label\/omi-2\.txt missing \(expected asd\/train\/omi-N\.txt/);
  });

  it('refuses a half-copied nab-dev/, saying what is missing and that removing it evaluates ASD alone', () => {
    const dir = asd([1]);
    mkdirSync(join(dir, 'nab-dev', 'data'), { recursive: true });
    const r = findEvaluationData(dir);
    assert.ok('problem' in r);
    assert.match(r.problem, /the NAB data at \S+nab-dev is incomplete, labels\.json missing \(expected nab-dev\/data\/<category>\/<file>\.csv and nab-dev\/labels\.json\): get Numenta's Anomaly Benchmark, https:\/\/github\.com\/numenta\/NAB, .*remove nab-dev\/ to evaluate on ASD alone/);
  });
});
