// Secrets kept in files (a webhook token, an agent's admin token): read once at start-up, trimmed, and
// reported by the setting that named them, never by their content. Relative paths are relative to the
// file that named them (medic.yaml, the inventory), so a deployment can move as a whole.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/**
 * Reads the secret in `path`; on failure adds a problem naming `setting` and the file (not the secret)
 * to `problems` and returns undefined, so that every problem of a configuration is reported at once.
 */
export function readSecretFile(setting: string, path: string, baseDir: string, problems: string[]): string | undefined {
  const full = isAbsolute(path) ? path : resolve(baseDir, path);
  try {
    const text = readFileSync(full, 'utf8').trim();
    if (text === '') problems.push(`${setting}: ${full} is empty`);
    return text;
  } catch (err) {
    problems.push(`${setting}: cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return undefined;
  }
}
