// The layout's rules, checked: arrows point down only (ARCHITECTURE.md). Each folder may import what
// its row allows, so a shortcut through the layers fails here rather than in a review.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** folder → the folders its source may import (besides itself). Longest prefix wins. */
const ALLOWED: [string, string[]][] = [
  ['lib/', []],
  ['models/', ['lib/']],
  ['sim/stack/', ['sim/', 'lib/']],
  ['sim/', ['lib/']],
  ['training/', ['models/', 'lib/']],
  ['remediations/', ['lib/', 'models/', 'server/store/store.ts']],
  ['server/observability/', ['lib/', 'server/store/store.ts']],
  ['server/store/', ['lib/', 'remediations/records.ts', 'remediations/guard-state.ts', 'remediations/decide/circuit-breaker.ts', 'server/ingest/inbox.ts', 'server/ingest/alertmanager-payload.ts']],
  ['server/ingest/', ['lib/', 'server/store/store.ts', 'server/observability/']],
  ['server/scoring/', ['lib/', 'models/', 'server/observability/', 'remediations/engine-ports.ts', 'remediations/engine.ts', 'remediations/records.ts', 'remediations/act/verification.ts', 'remediations/types.ts']],
  ['server/queue/', ['lib/', 'server/store/store.ts', 'server/observability/', 'remediations/']],
  ['server/', ['lib/', 'models/', 'remediations/', 'server/']],
  ['cli/', ['lib/', 'models/', 'training/', 'remediations/', 'server/', 'sim/']],
];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'registry') return [];
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => relative(ROOT, resolve(dirname(join(ROOT, file)), m[1]!)));
}

describe('layout', () => {
  const folders = ['lib', 'models', 'sim', 'training', 'remediations', 'server', 'cli'];
  for (const top of folders) {
    it(`${top}/ imports only what its layer allows`, () => {
      const wrong: string[] = [];
      for (const file of sources(top)) {
        const rule = ALLOWED.filter(([prefix]) => file.startsWith(prefix)).sort((a, b) => b[0].length - a[0].length)[0];
        assert.ok(rule, `no rule for ${file}`);
        const own = rule[0];
        for (const target of importsOf(file)) {
          if (target.startsWith(own) || rule[1].some((p) => target.startsWith(p))) continue;
          wrong.push(`${file} → ${target}`);
        }
      }
      assert.deepEqual(wrong, []);
    });
  }

  it('no source file is over 300 lines', () => {
    const long = folders.flatMap(sources).map((f) => [f, readFileSync(join(ROOT, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 301);
    assert.deepEqual(long, []);
  });
});
