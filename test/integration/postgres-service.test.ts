// Medic on PostgreSQL (store.driver: postgres), as an operator runs it: a real delivery is recorded and
// handled through the real server, readiness proves a commit, a second Medic on the same schema starts
// beside it and sees the same incidents (the same delivery sent to both opens nothing new), and everything
// is there again after both restart.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadDelivery } from '../helpers/fixtures.ts';
import { freshSchema, TEST_DATABASE_URL } from '../helpers/postgres.ts';
import { deliver, getJson, startTestService, tempDir } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

describe('Medic on PostgreSQL', () => {
  it('records and handles a real delivery, shares the schema with a second Medic, and keeps everything across a restart', async () => {
    const dir = tempDir('medic-pg-');
    const schema = freshSchema();
    const config = join(dir, 'medic.yaml');
    writeFileSync(config, `store:\n  postgres:\n    url: ${TEST_DATABASE_URL}\n    schema: ${schema}\nworkers:\n  handler: dry-run\n`);
    let medic = await startTestService({ flags: { config } });
    let created: number[] = [];
    try {
      const ready = await getJson(`${medic.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(ready.body.checks.store, 'ok');
      const r = await deliver(`${medic.url}/webhook/alertmanager`, loadDelivery('firing-two-alerts-one-group').body);
      assert.equal(r.status, 200);
      assert.equal(r.recorded.created.length, 2);
      created = r.recorded.created;
      await waitFor('both incidents handled', async () => (await medic.store.stats()).pendingWork + (await medic.store.stats()).runningWork === 0);
      const attempts = (await medic.store.listAttempts({}, { limit: 10 })).items;
      assert.deepEqual(attempts.map((a) => a.outcome).sort(), ['would_heal', 'would_heal']);
      assert.ok(medic.logs.some((l) => l.msg === 'medic is serving' && String(l.store).includes(`(schema ${schema})`)), 'the start-up log names the store');

      const second = await startTestService({ flags: { config } });
      try {
        const again = await deliver(`${second.url}/webhook/alertmanager`, loadDelivery('firing-two-alerts-one-group').body);
        assert.equal(again.status, 200);
        assert.equal(again.recorded.created.length, 0, 'the same alerts through the other replica open nothing new');
        const seen = (await getJson(`${second.url}/api/incidents?limit=10`)).body.items as { id: number }[];
        assert.deepEqual(seen.map((i) => i.id).sort(), [...created].sort());
        assert.equal((await second.store.listAttempts({}, { limit: 10 })).items.length, 2, 'handled once, not once per replica');
      } finally {
        await second.dispose();
      }
    } finally {
      await medic.dispose();
    }
    medic = await startTestService({ flags: { config } });
    try {
      const incidents = (await getJson(`${medic.url}/api/incidents?limit=10`)).body.items as { id: number }[];
      assert.deepEqual(incidents.map((i) => i.id).sort(), [...created].sort());
    } finally {
      await medic.dispose();
    }
  });
});
