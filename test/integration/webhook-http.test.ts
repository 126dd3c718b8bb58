// The webhook and read API over real HTTP, with the recorded Alertmanager 0.25 deliveries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkHandler } from '../../server/queue/worker-pool.ts';
import { firingDelivery, loadDelivery, replayHeaders } from '../helpers/fixtures.ts';
import { deliver, getJson, metricValue, startTestService, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 's3cret-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('POST /webhook/alertmanager', () => {
  let medic: TestService;
  let hook: string;
  before(async () => {
    medic = await startTestService({ env: { MEDIC_WEBHOOK_TOKEN: TOKEN } });
    hook = `${medic.url}/webhook/alertmanager`;
  });
  after(() => medic.dispose());

  it('accepts a recorded delivery with its own headers, and the incident appears in the API', async () => {
    const d = loadDelivery('firing-agent-down');
    const r = await deliver(hook, d.body, replayHeaders(d));
    assert.equal(r.status, 200);
    assert.equal(r.recorded.created.length, 1);
    const list = await getJson(`${medic.url}/api/incidents?agent=crewai-7`, AUTH);
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.items[0].fingerprint, 'c6cd2679d1bf3925');
    assert.equal(list.body.items[0].status, 'firing');
  });

  it('creates one incident from ten deliveries of the same alert, and shows the duplicates in /metrics', async () => {
    const body = firingDelivery('dup0000000000001', 'autogpt-1');
    const before = metricValue(await (await fetch(`${medic.url}/metrics`)).text(), 'medic_alert_duplicates_total') ?? 0;
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await deliver(hook, body, AUTH));
    assert.ok(answers.every((a) => a.status === 200));
    const list = await getJson(`${medic.url}/api/incidents?agent=autogpt-1`, AUTH);
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.items[0].deliveries, 10);
    const metrics = await (await fetch(`${medic.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'medic_alert_duplicates_total'), before + 9);
  });

  it('counts the alerts it received by status', async () => {
    const count = async (status: string) =>
      metricValue(await (await fetch(`${medic.url}/metrics`)).text(), `medic_alerts_received_total{status="${status}"}`) ?? 0;
    const [firingBefore, resolvedBefore] = [await count('firing'), await count('resolved')];
    const body: { alerts: Record<string, unknown>[] } = firingDelivery('cnt0000000000001', 'counted-1');
    const alert = body.alerts[0]!;
    body.alerts = [
      alert,
      { ...alert, fingerprint: 'cnt0000000000002' },
      { ...alert, fingerprint: 'cnt0000000000003', status: 'resolved', endsAt: '2026-11-28T22:40:00Z' },
    ];
    assert.equal((await deliver(hook, body, AUTH)).status, 200);
    assert.equal(await count('firing'), firingBefore + 2);
    assert.equal(await count('resolved'), resolvedBefore + 1);
  });

  it('closes the incident on the recorded resolve and records when', async () => {
    const firing = loadDelivery('firing-agent-down');
    await deliver(hook, firing.body, replayHeaders(firing));
    const resolved = loadDelivery('resolved-agent-down');
    const r = await deliver(hook, resolved.body, replayHeaders(resolved));
    assert.equal(r.status, 200);
    assert.equal(r.recorded.resolved.length, 1);
    const detail = await getJson(`${medic.url}/api/incidents/${r.recorded.resolved[0]}`, AUTH);
    assert.equal(detail.body.status, 'resolved');
    assert.equal(detail.body.endsAt, '2026-11-28T22:36:27Z');
    assert.ok(Date.parse(detail.body.resolvedAt) > 0);
    assert.deepEqual(detail.body.alerts.map((a: { status: string }) => a.status), ['firing', 'resolved']);
  });

  it('opens one incident per alert of a grouped delivery', async () => {
    const d = loadDelivery('firing-two-alerts-one-group');
    const r = await deliver(hook, d.body, replayHeaders(d));
    assert.equal(r.recorded.created.length, 2);
  });

  it('runs queued work after answering, and escalates an agent that is not in the inventory', async () => {
    const r = await deliver(hook, firingDelivery('work000000000001', 'bigagi-3'), AUTH);
    const id = r.recorded.created[0];
    const detail = await waitFor('work done', async () => {
      const d = await getJson(`${medic.url}/api/incidents/${id}`, AUTH);
      return d.body.work[0]?.state === 'done' ? d.body : undefined;
    });
    assert.equal(detail.attempts[0].outcome, 'escalated');
    assert.match(detail.attempts[0].reason, /no inventory entry for agent "bigagi-3"/);
    assert.match(detail.explanation[0], /escalated: no inventory entry/);
    const remediations = await getJson(`${medic.url}/api/remediations?agent=bigagi-3`, AUTH);
    assert.equal(remediations.body.items.length, 1);
    assert.equal(remediations.body.items[0].incidentId, id);
  });

  describe('refuses bad input with the right status and a message naming the problem', () => {
    const good = () => loadDelivery('firing-agent-down').body;
    const cases: { what: string; send: () => Promise<Response>; status: number; message: RegExp }[] = [
      {
        what: 'no credentials',
        send: () => fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good()) }),
        status: 401,
        message: /missing Authorization header/,
      },
      {
        what: 'a wrong token',
        send: () => fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: JSON.stringify(good()) }),
        status: 401,
        message: /bearer token does not match/,
      },
      {
        what: 'a non-JSON content type',
        send: () => fetch(hook, { method: 'POST', headers: { 'content-type': 'text/plain', ...AUTH }, body: 'hello' }),
        status: 415,
        message: /Content-Type must be application\/json, but was text\/plain/,
      },
      {
        what: 'a body that is not JSON',
        send: () => fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: '{"alerts": [' }),
        status: 415,
        message: /not valid JSON/,
      },
      {
        what: 'a body over the limit',
        send: () => fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) }),
        status: 413,
        message: /larger than the limit of 1048576 bytes/,
      },
      {
        what: 'a payload violating the schema',
        send: () => fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify({ ...good(), version: '3', alerts: [{}] }) }),
        status: 400,
        message: /Alertmanager webhook payload/,
      },
    ];
    for (const c of cases) {
      it(`${c.status} for ${c.what}`, async () => {
        const before = (await getJson(`${medic.url}/api/incidents?limit=500`, AUTH)).body.items.length;
        const res = await c.send();
        assert.equal(res.status, c.status);
        const body = (await res.json()) as { error: string };
        assert.match(body.error, c.message);
        const afterCount = (await getJson(`${medic.url}/api/incidents?limit=500`, AUTH)).body.items.length;
        assert.equal(afterCount, before, 'a refused delivery leaves no rows');
      });
    }

    it('names every offending field path in a 400', async () => {
      const body = good() as any;
      body.alerts[0].startsAt = 'soon';
      delete body.alerts[0].fingerprint;
      const r = await deliver(hook, body, AUTH);
      assert.equal(r.status, 400);
      assert.deepEqual(r.body.problems.map((p: { path: string }) => p.path).sort(), ['alerts[0].fingerprint', 'alerts[0].startsAt']);
    });

    // A wrong credential is a misconfiguration an operator must see: logged, once per interval, with what
    // to check, and never with the credential itself.
    it('logs a refused credential once per interval, with what to check, and not the credential', async () => {
      const logged = () => medic.logs.filter((l) => String(l.msg).startsWith('webhook delivery refused (401)'));
      const before = logged().length;
      for (let i = 0; i < 5; i++) {
        await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer Wrong-Secret-42' }, body: JSON.stringify(good()) });
      }
      const lines = logged();
      assert.ok(lines.length - before <= 1, `${lines.length - before} lines for 5 refusals`);
      assert.ok(lines.length >= 1, 'a refusal is logged');
      assert.match(String(lines.at(-1)!.msg), /check that Alertmanager's webhook http_config .* sends what Medic expects/);
      assert.ok(!medic.logs.some((l) => JSON.stringify(l).includes('Wrong-Secret-42')), 'the presented credential is never logged');
    });

    it('never writes the configured token to any log line of the run so far', () => {
      assert.ok(medic.logs.length > 10);
      assert.deepEqual(medic.logs.filter((l) => JSON.stringify(l).includes(TOKEN)), []);
    });

    it('counts each refusal in /metrics by result', async () => {
      const metrics = await (await fetch(`${medic.url}/metrics`)).text();
      for (const result of ['unauthorized', 'unsupported_media_type', 'too_large', 'invalid']) {
        assert.ok((metricValue(metrics, `medic_notifications_received_total{result="${result}"}`) ?? 0) >= 1, result);
      }
    });
  });

  describe('the read API', () => {
    it('requires the credentials too', async () => {
      assert.equal((await fetch(`${medic.url}/api/incidents`)).status, 401);
    });

    it('explains bad query parameters and unknown incidents', async () => {
      const bad = await getJson(`${medic.url}/api/incidents?limit=0&status=open&colour=red`, AUTH);
      assert.equal(bad.status, 400);
      const paths = bad.body.problems.map((p: { path: string }) => p.path).sort();
      assert.deepEqual(paths, ['colour', 'limit', 'status']);
      assert.equal((await getJson(`${medic.url}/api/incidents/99999`, AUTH)).status, 404);
      assert.equal((await getJson(`${medic.url}/api/incidents/abc`, AUTH)).status, 400);
    });

    it('pages with next_cursor until the end', async () => {
      const all = (await getJson(`${medic.url}/api/incidents?limit=500`, AUTH)).body.items.length;
      let seen = 0;
      let url = `${medic.url}/api/incidents?limit=2`;
      for (;;) {
        const page = await getJson(url, AUTH);
        seen += page.body.items.length;
        if (page.body.next_cursor === null) break;
        url = `${medic.url}/api/incidents?limit=2&cursor=${page.body.next_cursor}`;
      }
      assert.equal(seen, all);
    });

    it('filters by time range', async () => {
      const future = await getJson(`${medic.url}/api/incidents?since=${encodeURIComponent('2999-01-01T00:00:00Z')}`, AUTH);
      assert.equal(future.body.items.length, 0);
      const sinceEpoch = await getJson(`${medic.url}/api/incidents?since=0`, AUTH);
      assert.ok(sinceEpoch.body.items.length > 0);
    });
  });

  describe('operations endpoints', () => {
    it('answers /healthz and /readyz', async () => {
      assert.equal((await fetch(`${medic.url}/healthz`)).status, 200);
      const ready = await getJson(`${medic.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body.checks, { store: 'ok', workers: 'running' });
    });

    it('exports the medic_* metrics with process metrics', async () => {
      const text = await (await fetch(`${medic.url}/metrics`)).text();
      for (const name of [
        'medic_notifications_received_total', 'medic_alerts_received_total', 'medic_alert_duplicates_total',
        'medic_webhook_request_duration_seconds_bucket', 'medic_queue_depth', 'medic_incidents_open', 'medic_workers',
        'process_cpu_seconds_total',
      ]) {
        assert.match(text, new RegExp(`^${name}`, 'm'), name);
      }
      assert.ok(metricValue(text, 'medic_incidents_open')! >= 1);
      assert.equal(metricValue(text, 'medic_workers{state="busy"}')! + metricValue(text, 'medic_workers{state="idle"}')!, 4);
    });

    it('tags every answer with a request id, keeping a safe one the caller sent', async () => {
      const res = await fetch(`${medic.url}/healthz`, { headers: { 'x-request-id': 'am-42' } });
      assert.equal(res.headers.get('x-request-id'), 'am-42');
      const generated = await fetch(`${medic.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces and /slashes' } });
      assert.match(generated.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    });
  });
});

describe('queued work and resolves', () => {
  it('cancels work that has not started when its alert resolves', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handler: WorkHandler = async () => {
      await gate;
      return {};
    };
    const medic = await startTestService({ handler });
    try {
      const hook = `${medic.url}/webhook/alertmanager`;
      // Two incidents on one target: the second waits while the first runs.
      const first = await deliver(hook, firingDelivery('aaaaaaaaaaaaaaa1', 'shellgpt-1'));
      const second = await deliver(hook, firingDelivery('aaaaaaaaaaaaaaa2', 'shellgpt-1'));
      await waitFor('first running', async () => (await getJson(`${medic.url}/api/incidents/${first.recorded.created[0]}`)).body.work[0].state === 'running');
      const resolved = firingDelivery('aaaaaaaaaaaaaaa2', 'shellgpt-1') as any;
      resolved.status = 'resolved';
      resolved.alerts[0].status = 'resolved';
      resolved.alerts[0].endsAt = '2026-11-28T22:40:00Z';
      assert.equal((await deliver(hook, resolved)).status, 200);
      const detail = await getJson(`${medic.url}/api/incidents/${second.recorded.created[0]}`);
      assert.equal(detail.body.work[0].state, 'cancelled');
      release();
      await waitFor('first done', async () => (await getJson(`${medic.url}/api/incidents/${first.recorded.created[0]}`)).body.work[0].state === 'done');
      await sleep(50);
      assert.equal((await getJson(`${medic.url}/api/incidents/${second.recorded.created[0]}`)).body.work[0].state, 'cancelled');
    } finally {
      release();
      await medic.dispose();
    }
  });
});
