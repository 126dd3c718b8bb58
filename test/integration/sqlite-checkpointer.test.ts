// WAL checkpoints run on their own thread (server/store/sqlite/checkpointer.ts): the database file takes
// the committed pages while the event loop's connection never checkpoints; closing stops the thread
// first, so the last connection folds the WAL in whole; a thread that cannot start says so.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startCheckpointer } from '../../server/store/sqlite/checkpointer.ts';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.ts';
import type { Notification } from '../../server/store/store.ts';
import { tempDir } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

function delivery(i: number): Notification {
  const alerts = Array.from({ length: 5 }, (_, k) => ({
    fingerprint: `ckpt${i}-${k}`, startsAt: '2026-12-02T10:00:00Z', status: 'firing' as const, endsAt: null,
    labels: { alertname: 'AgentDown', agent: `a${i}` }, annotations: { summary: 'down '.repeat(40) }, generatorURL: '',
    alertname: 'AgentDown', agent: `a${i}`, target: `a${i}`, severity: 'critical', priority: 0,
  }));
  return { receivedAt: 1000 + i, receiver: 'medic', status: 'firing', groupKey: '{}', externalURL: '', truncatedAlerts: 0, requestId: null, alerts };
}

describe('SQLite checkpoints on their own thread', () => {
  it('moves committed pages into the database file without the writer checkpointing, and closes with no WAL left', { timeout: 30_000 }, async () => {
    const path = join(tempDir('medic-ckpt-'), 'medic.db');
    const store = SqliteStore.open({ path, synchronous: 'normal', busyTimeoutMs: 1000 });
    const before = statSync(path).size;
    // A few hundred WAL pages: fewer than SQLite's own automatic checkpoint (1,000), so the writer alone
    // would leave them all in the WAL.
    for (let i = 0; i < 40; i++) await store.recordNotification(delivery(i));
    await waitFor('the database file grown by a checkpoint', () => statSync(path).size > before + 64 * 1024, 5000, 50);
    await store.close();
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close checkpointed and removed the WAL');
    const reader = new Database(path, { readonly: true });
    try {
      assert.equal((reader.prepare('SELECT COUNT(*) AS n FROM incidents').get() as { n: number }).n, 200);
    } finally {
      reader.close();
    }
  });

  it('reports a thread that cannot start, so the connection falls back to SQLite\'s own checkpoints', { timeout: 10_000 }, async () => {
    const reasons: string[] = [];
    const missing = join(tempDir('medic-ckpt-'), 'absent.db');
    const checkpointer = startCheckpointer({ path: missing, busyTimeoutMs: 10, intervalMs: 50, onFailure: (r) => reasons.push(r) });
    await waitFor('the failure reported', () => reasons.length > 0, 5000);
    await checkpointer.stop();
    assert.equal(reasons.length, 1, 'once');
    assert.match(reasons[0]!, /checkpoint thread failed: .*(unable to open|does not exist)/i);
  });
});
