// kill -9 in the middle of 1,000 deliveries: every delivery answered 200 is in the store (recorded as an
// incident, or committed as received and recorded after the restart), and the work pending at the kill
// runs after it, once per incident.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { firingDelivery } from '../helpers/fixtures.ts';
import { startMedicProcess } from '../../sim/stack/medic-process.ts';
import { getJson, metricValue, tempDir } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const ALERTS = 1000;
const IN_FLIGHT = 25;
const KILL_AFTER = 400;

describe('crash recovery', () => {
  it('loses no accepted alert and resumes pending work after kill -9', { timeout: 120_000 }, async (t) => {
    const dataDir = tempDir('medic-crash-');
    const config = join(dataDir, 'medic.yaml');
    // Slow, few workers: a backlog is guaranteed to be pending when the kill lands.
    writeFileSync(config, 'workers:\n  handler: dry-run\n  concurrency: 2\n  dry_run_delay: 20ms\n');
    const env = { MEDIC_DATA_DIR: dataDir, MEDIC_CONFIG: config, MEDIC_LOG_LEVEL: 'info' };
    const first = await startMedicProcess({ env });

    const accepted = new Set<string>();
    let answered = 0;
    let failed = 0;
    let next = 0;
    let killed = false;
    const sender = async () => {
      while (next < ALERTS) {
        const fp = `crash${String(next++).padStart(11, '0')}`;
        try {
          const res = await fetch(`${first.url}/webhook/alertmanager`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(firingDelivery(fp, `agent-${fp}`)),
          });
          await res.arrayBuffer();
          if (res.status === 200) accepted.add(fp);
        } catch {
          failed++;
        }
        if (++answered >= KILL_AFTER && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
    await first.exited;
    assert.ok(killed);
    assert.ok(accepted.size >= KILL_AFTER - IN_FLIGHT, `accepted ${accepted.size}`);
    assert.ok(failed > 0, 'some deliveries were cut off by the kill (otherwise the kill came too late to test anything)');

    // What the dead process left on disk, read as a second process would.
    const db = new Database(join(dataDir, 'medic.db'), { readonly: true });
    const stored = new Set((db.prepare('SELECT fingerprint FROM incidents').all() as { fingerprint: string }[]).map((r) => r.fingerprint));
    // Answered, and not yet recorded at the kill: the restart records these.
    const waiting = (db.prepare('SELECT received_alerts FROM notifications WHERE received_alerts IS NOT NULL').all() as { received_alerts: string }[])
      .flatMap((r) => (JSON.parse(r.received_alerts) as { fingerprint: string }[]).map((a) => a.fingerprint));
    for (const fp of waiting) stored.add(fp);
    const unfinished = (db.prepare("SELECT COUNT(*) AS n FROM work_items WHERE state IN ('pending', 'running')").get() as { n: number }).n;
    db.close();
    t.diagnostic(`killed after ${answered} answers: ${accepted.size} accepted, ${failed} cut off, ${stored.size} alerts stored (${waiting.length} received, not yet recorded), ${unfinished} work items unfinished`);
    const lost = [...accepted].filter((fp) => !stored.has(fp));
    assert.deepEqual(lost, [], 'every delivery answered 200 is in the store');
    assert.ok(unfinished > 0, 'work was pending at the kill');

    writeFileSync(join(dataDir, 'fast.yaml'), 'workers:\n  handler: dry-run\n  concurrency: 4\n');
    const second = await startMedicProcess({ env: { ...env, MEDIC_CONFIG: join(dataDir, 'fast.yaml') } });
    try {
      await waitFor(
        'the queue to drain after the restart',
        async () => {
          const text = await (await fetch(`${second.url}/metrics`)).text();
          return metricValue(text, 'medic_alerts_waiting') === 0 && metricValue(text, 'medic_queue_depth') === 0 && metricValue(text, 'medic_workers{state="busy"}') === 0;
        },
        60_000,
        200,
      );
      const incidents = await listAll(`${second.url}/api/incidents`);
      const attempts = await listAll(`${second.url}/api/remediations`);
      assert.equal(incidents.length, stored.size);
      const perIncident = new Map<number, number>();
      for (const a of attempts) perIncident.set(a.incidentId, (perIncident.get(a.incidentId) ?? 0) + 1);
      const notOnce = incidents.filter((i) => perIncident.get(i.id) !== 1).map((i) => i.id);
      assert.deepEqual(notOnce, [], 'each incident was handled exactly once across the crash');
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});

async function listAll(url: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: number | null = null;
  do {
    const page = await getJson(`${url}?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    items.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor !== null);
  return items;
}
