import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new empty directory under the system's temporary directory; the caller removes it. */
export function tempDir(prefix = 'medic-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
