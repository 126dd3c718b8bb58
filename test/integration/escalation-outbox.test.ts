// Alertmanager down: an escalation is kept, retried, survives a restart of Medic, and reaches the real
// Alertmanager once it is up, exactly once in the outbox.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startAlertmanager } from '../../sim/stack/daemons.ts';
import { freePort } from '../../sim/stack/ports.ts';
import { firingDelivery } from '../helpers/fixtures.ts';
import { metricValue, postJson, startTestService, tempDir } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

describe('escalation outbox', () => {
  it('keeps an escalation while Alertmanager is down, across a restart, and delivers it once it is up', { timeout: 90_000 }, async (t) => {
    const dir = tempDir('medic-outbox-');
    const amPort = await freePort();
    writeFileSync(join(dir, 'medic.yaml'), 'alertmanager:\n  timeout: 1s\n  resend_interval: 200ms\n');
    const flags = { config: join(dir, 'medic.yaml'), alertmanagerUrl: `http://127.0.0.1:${amPort}` };

    // No inventory: the incident has no target and is escalated at once, to an Alertmanager that is not there.
    const first = await startTestService({ dataDir: dir, flags, keepDataDir: true });
    const delivered = await postJson(`${first.url}/webhook/alertmanager`, firingDelivery('outbox0000000001', 'agent-outbox-1'));
    assert.equal(delivered.status, 200);
    await waitFor('the escalation kept and failing', async () => (await first.store.unsentEscalations()) === 1 &&
      first.logs.some((l) => String(l.msg).startsWith('cannot deliver an escalation to Alertmanager')));
    const exposition = await (await fetch(`${first.url}/metrics`)).text();
    assert.equal(metricValue(exposition, 'medic_escalations_unsent'), 1);
    await first.stop();

    const second = await startTestService({ dataDir: dir, flags });
    t.after(() => second.dispose());
    assert.equal(await second.store.unsentEscalations(), 1, 'the escalation survived the restart');
    const am = await startAlertmanager(join(dir, 'am'), { url: second.url, token: 'unused-token' }, amPort);
    t.after(() => am.stop());

    const alerts = await waitFor('the escalation in Alertmanager', async () => {
      const res = await fetch(`${am.url}/api/v2/alerts?filter=${encodeURIComponent('alertname="MedicEscalation"')}`);
      const list = (await res.json()) as { labels: Record<string, string> }[];
      return list.length > 0 ? list : undefined;
    }, 30_000, 200);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.labels.agent, 'agent-outbox-1');
    assert.equal(alerts[0]!.labels.reason, 'no_target');
    await waitFor('the outbox empty', async () => (await second.store.unsentEscalations()) === 0);
    assert.ok(second.logs.some((l) => l.msg === 'escalation delivered to Alertmanager after retrying'));

    const db = new Database(second.sqlitePath, { readonly: true });
    try {
      const rows = db.prepare('SELECT state, tries FROM escalation_outbox').all() as { state: string; tries: number }[];
      assert.equal(rows.length, 1, 'one escalation, not one per try or per process');
      assert.equal(rows[0]!.state, 'sent');
      assert.ok(rows[0]!.tries >= 2);
    } finally {
      db.close();
    }
  });

  it('an Alertmanager that accepts and never answers holds no worker: every escalation is kept at once', { timeout: 60_000 }, async (t) => {
    // The stand-in takes connections and says nothing, as a hung process or a black-holing proxy does.
    const sockets: Socket[] = [];
    const hung = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    t.after(() => { for (const s of sockets) s.destroy(); hung.close(); });
    const amPort = (hung.address() as { port: number }).port;
    const dir = tempDir('medic-outbox-hung-');
    // The timeout is long and the workers few: an escalation that waited for its send would hold a
    // worker for the whole timeout, and twice as many incidents as workers would wait behind them.
    writeFileSync(join(dir, 'medic.yaml'), 'alertmanager:\n  timeout: 30s\n  resend_interval: 1s\nworkers:\n  concurrency: 2\n');
    const service = await startTestService({ dataDir: dir, flags: { config: join(dir, 'medic.yaml'), alertmanagerUrl: `http://127.0.0.1:${amPort}` } });
    t.after(() => service.dispose());

    const started = Date.now();
    for (let i = 0; i < 6; i++) {
      const res = await postJson(`${service.url}/webhook/alertmanager`, firingDelivery(`hungam00000000${i}0`, `agent-hung-${i}`));
      assert.equal(res.status, 200);
    }
    await waitFor('every incident escalated and its work done', async () => {
      const stats = await service.store.stats();
      return stats.pendingWork === 0 && stats.runningWork === 0 && (await service.store.unsentEscalations()) === 6;
    }, 10_000, 50);
    assert.ok(Date.now() - started < 15_000, 'well inside one Alertmanager timeout');
    assert.ok(sockets.length >= 1, 'a send was attempted and is hanging');
  });
});
