// Configuration tests' helpers: a medic.yaml in a fresh directory, and the problems a rejected
// configuration reports.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../server/app/config.ts';
import { tempDir } from './service.ts';

export function withFile(yaml: string, prefix = 'medic-config-'): { dir: string; file: string } {
  const dir = tempDir(prefix);
  const file = join(dir, 'medic.yaml');
  writeFileSync(file, yaml);
  return { dir, file };
}

/** The problems of the ConfigError `fn` throws; fails the test if it throws nothing or something else. */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the configuration to be rejected');
}
