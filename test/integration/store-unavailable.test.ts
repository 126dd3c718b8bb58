// The store becomes unavailable (another process holds SQLite's write lock): the webhook answers 503 so
// Alertmanager retries, /readyz fails, and both recover by themselves once the lock is gone.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { firingDelivery } from '../helpers/fixtures.ts';
import { REPO, startMedicProcess } from '../../sim/stack/medic-process.ts';
import { deliver, getJson, metricValue, postJson, tempDir } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const LOCKER = `
  const Database = require('better-sqlite3');
  const db = new Database(process.argv[1]);
  db.pragma('busy_timeout = 5000');
  db.exec('BEGIN IMMEDIATE');
  process.stdout.write('locked\\n');
  process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
  process.stdin.resume();
`;

async function lockDatabase(path: string) {
  const child = spawn(process.execPath, ['-e', LOCKER, path], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(String(chunk).trim(), 'locked');
  return {
    async release() {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

describe('store unavailable', () => {
  it('answers 503 and fails /readyz while the database is locked, and recovers without a restart', { timeout: 60_000 }, async () => {
    const dataDir = tempDir('medic-locked-');
    const medic = await startMedicProcess({ env: { MEDIC_DATA_DIR: dataDir } });
    const hook = `${medic.url}/webhook/alertmanager`;
    try {
      assert.equal((await deliver(hook, firingDelivery('before0000000001', 'crewai-1'))).status, 200);

      const lock = await lockDatabase(join(dataDir, 'medic.db'));
      const delivery = firingDelivery('during0000000001', 'crewai-2');
      const refused = await deliver(hook, delivery);
      assert.equal(refused.status, 503);
      assert.match(refused.body.error, /could not be stored; retry later/);
      const notReady = await getJson(`${medic.url}/readyz`);
      assert.equal(notReady.status, 503);
      assert.match(notReady.body.checks.store, /SQLITE_BUSY/);
      assert.equal((await fetch(`${medic.url}/healthz`)).status, 200, 'the process itself stays alive');
      const metrics = await (await fetch(`${medic.url}/metrics`)).text();
      assert.equal(metricValue(metrics, 'medic_notifications_received_total{result="store_unavailable"}'), 1);

      await lock.release();
      // Alertmanager's retry of the refused delivery now lands, exactly once.
      const retried = await deliver(hook, delivery);
      assert.equal(retried.status, 200);
      assert.equal(retried.recorded.created.length, 1);
      assert.equal((await getJson(`${medic.url}/readyz`)).status, 200);
      const id = retried.recorded.created[0];
      await waitFor('its work to run', async () => (await getJson(`${medic.url}/api/incidents/${id}`)).body.work[0].state === 'done');
      assert.equal((await getJson(`${medic.url}/api/incidents?agent=crewai-2`)).body.items.length, 1);
    } finally {
      medic.child.kill('SIGTERM');
      await medic.exited;
    }
  });

  // Finding 3 of the hardening issue: on a full disk every delivery got 503 while /readyz said 200, as
  // its check took the write lock and wrote nothing. A 4 MiB tmpfs (mounting needs root, as CI runs).
  it('fails /readyz while the disk is full, and recovers when space comes back', { timeout: 60_000 }, async () => {
    assert.equal(process.getuid?.(), 0, 'this test mounts a small tmpfs to fill, which needs root (CI runs as root)');
    const mount = tempDir('medic-full-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
    const config = join(tempDir('medic-full-config-'), 'medic.yaml');
    writeFileSync(config, 'store:\n  sqlite:\n    min_free_space: 1MiB\n');
    const medic = await startMedicProcess({ env: { MEDIC_DATA_DIR: join(mount, 'data'), MEDIC_CONFIG: config } });
    const hook = `${medic.url}/webhook/alertmanager`;
    try {
      assert.equal((await getJson(`${medic.url}/readyz`)).status, 200);
      const avail = Number(execFileSync('df', ['--output=avail', '-k', mount], { encoding: 'utf8' }).split('\n')[1]);
      execFileSync('fallocate', ['-l', `${avail - 32}k`, join(mount, 'ballast')]);
      let refused;
      for (let i = 0; i < 200 && !refused; i++) {
        // Answered deliveries may not be recorded while the disk is full: only the answers count here.
        const r = await postJson(hook, firingDelivery(`full${String(i).padStart(12, '0')}`, `crewai-${i}`));
        if (r.status !== 200) refused = r;
      }
      assert.equal(refused?.status, 503, 'deliveries are refused once the disk is full');
      const notReady = await getJson(`${medic.url}/readyz`);
      assert.equal(notReady.status, 503, JSON.stringify(notReady.body));
      // Either the heartbeat's write fails on the full disk, or it still fits in WAL space a failed larger
      // write left behind and the free-space check says so; which one depends on where the last
      // checkpoint left the files. Both name the disk.
      assert.match(notReady.body.checks.store, /KiB free on the volume of .*medic\.db, below store\.sqlite\.min_free_space \(1\.0 MiB\)|\(SQLITE_FULL\): database or disk is full/);

      rmSync(join(mount, 'ballast'));
      await waitFor('ready again', async () => (await getJson(`${medic.url}/readyz`)).status === 200);
      assert.equal((await deliver(hook, firingDelivery('afterfull0000001', 'crewai-x'))).status, 200);
      // Whatever was answered 200 while the disk filled and could not be recorded then is recorded now.
      await waitFor('nothing left waiting', async () => metricValue(await (await fetch(`${medic.url}/metrics`)).text(), 'medic_alerts_waiting') === 0);
    } finally {
      medic.child.kill('SIGTERM');
      await medic.exited;
      execFileSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
    }
  });
});
