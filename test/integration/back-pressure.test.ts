// Finding 7 of the hardening issue: nothing was shed. 50 connections of large deliveries were all
// accepted (a queue 183,632 deep, the database growing 43 MB/s), and 19,990 idle sockets from one client
// took every file descriptor before authentication. Now the backlog is bounded (503, which Alertmanager
// retries) and connections are capped per client and in total, before a request is read.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { once } from 'node:events';
import { metricValue, postJson, startTestService, tempDir, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';
import type { WorkHandler } from '../../server/queue/worker-pool.ts';

let medic: TestService | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await medic?.dispose();
  medic = undefined;
});

async function start(yaml: string, handler?: WorkHandler) {
  const dir = tempDir('medic-bp-');
  writeFileSync(join(dir, 'medic.yaml'), yaml);
  medic = await startTestService({ flags: { config: join(dir, 'medic.yaml') }, handler });
  return medic;
}

const firing = (fp: string, status = 'firing') => ({
  version: '4', receiver: 'medic', status, groupKey: 'g',
  alerts: [{ status, labels: { alertname: 'AgentDown', agent: `a-${fp}` }, startsAt: '2026-11-28T22:36:22Z', fingerprint: fp }],
});

/** Opens a socket from `localAddress` and resolves once it is connected; it is closed by the server or afterEach. */
async function openIdle(port: number, localAddress: string): Promise<{ socket: Socket; closed: boolean }> {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  sockets.push(socket);
  socket.on('error', () => undefined);
  const o = { socket, closed: false };
  socket.once('close', () => (o.closed = true));
  await once(socket, 'connect');
  return o;
}

function healthFrom(port: number, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', localAddress, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('back-pressure', () => {
  it('answers 503 with Retry-After past server.max_backlog, still takes resolves, and takes firing alerts again once the queue drains', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await start('server:\n  max_backlog: 20\n', async () => {
      await gate;
      return {};
    });
    const hook = `${medic!.url}/webhook/alertmanager`;
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await postJson(hook, firing(`bp${i}`)));
    const accepted = answers.filter((a) => a.status === 200).length;
    assert.equal(accepted, 20, answers.map((a) => a.status).join(' '));
    const refused = answers.find((a) => a.status === 503)!;
    assert.match(refused.body.error, /the work backlog is full \(20 items queued; server\.max_backlog is 20\): retry later/);
    const raw = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(firing('bp-x')) });
    assert.equal(raw.headers.get('retry-after'), '30');
    // A resolve only shrinks the backlog: it is never refused for it.
    assert.equal((await postJson(hook, firing('bp3', 'resolved'))).status, 200);
    const metrics = await (await fetch(`${medic!.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'medic_notifications_received_total{result="backlog_full"}'), 11);

    release();
    await waitFor('the queue to drain and deliveries to be taken again', async () => (await postJson(hook, firing('bp-after'))).status === 200);
  });

  it('closes connections past server.max_connections_per_client before any request, and serves other clients', async () => {
    await start('server:\n  max_connections_per_client: 10\n');
    const port = medic!.port;
    const opened: Awaited<ReturnType<typeof openIdle>>[] = [];
    for (let i = 0; i < 15; i++) opened.push(await openIdle(port, '127.0.0.2'));
    // The five past the limit are closed by Medic; the ten within stay open.
    await waitFor('five connections closed', async () => opened.filter((o) => o.closed).length === 5);
    assert.equal(await healthFrom(port, '127.0.0.3'), 200, 'another client is served');
    const metrics = await (await fetch(`${medic!.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'medic_connections_refused_total{reason="per_client"}'), 5);
    const logged = medic!.logs.filter((l) => String(l.msg).startsWith('connection refused'));
    assert.equal(logged.length, 1, 'logged once per interval, not once per connection');
    assert.match(String(logged[0]!.msg), /127\.0\.0\.2 already holds 10 connections \(server\.max_connections_per_client\)/);
  });

  it('closes connections past server.max_connections in total', async () => {
    await start('server:\n  max_connections: 12\n  max_connections_per_client: 100\n');
    const port = medic!.port;
    const opened: Awaited<ReturnType<typeof openIdle>>[] = [];
    for (let i = 0; i < 16; i++) opened.push(await openIdle(port, `127.0.1.${i + 1}`));
    await waitFor('four connections closed', async () => opened.filter((o) => o.closed).length === 4);
    // Medic itself is full now: room is made before asking for its metrics.
    for (const o of opened) o.socket.destroy();
    await waitFor('the connections to go', async () => (await fetch(`${medic!.url}/healthz`).then((r) => r.status).catch(() => 0)) === 200);
    const metrics = await (await fetch(`${medic!.url}/metrics`)).text();
    assert.ok((metricValue(metrics, 'medic_connections_refused_total{reason="total"}') ?? 0) >= 4);
  });
});
