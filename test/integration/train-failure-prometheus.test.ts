// Training the failure model from a real Prometheus and a running Medic's remediations, as
// `medic train nightly --kinds failure` does each night: a simulated fleet scraped every second while
// error bursts hit its agents, and Medic's read API (the real router over a SQLite store) holding one
// remediation that acted and one shadow decision. The failures are the SLO breaches plus the acted
// remediation (a failure Medic prevented), never the shadow one; the model is published with the
// sampling it was trained on, so serving queries the same way.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { listVersions, readCard } from '../../models/registry.ts';
import { readApiRouter } from '../../server/api/read-api.ts';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.ts';
import type { Notification } from '../../server/store/store.ts';
import { runMedic, type RunResult } from '../../sim/stack/medic-process.ts';
import { startScrapedFleet, type ScrapedFleet } from '../../sim/stack/scraped-fleet.ts';

describe('medic train failure from Prometheus and Medic\'s remediations', { timeout: 120_000 }, () => {
  let stack: ScrapedFleet;
  let store: SqliteStore;
  let api: ReturnType<express.Express['listen']>;
  let run: RunResult;
  let registry: string;

  before(async () => {
    stack = await startScrapedFleet({ agents: 4, periodMs: 86_400_000 });
    registry = join(stack.dir, 'registry');
    store = SqliteStore.open({ path: join(stack.dir, 'medic.db'), synchronous: 'normal', busyTimeoutMs: 1000 });
    const app = express().use(readApiRouter(store));
    api = app.listen(0, '127.0.0.1');
    await new Promise((r) => api.once('listening', r));
    await sleep(5_000); // one rate window
    const from = Date.now();
    const agents = stack.fleet.agents();
    // Error bursts of 6 s on three agents, the last inside the held-out fifth of the range.
    for (const [at, agent] of [[8, 0], [22, 2], [50, 3]] as const) {
      await sleep(from + at * 1000 - Date.now());
      stack.fleet.inject({ agent: agents[agent]!.id, kind: 'errors', rate: 0.6, forMs: 6_000 });
    }
    // Medic acted on agent 1 at +30 s (a failure it prevented), and only recorded a shadow decision on 0.
    const { created } = await store.recordNotification(notification(from, [agents[1]!.id, agents[0]!.id]));
    for (const [i, mode, outcome] of [[0, 'auto', 'succeeded'], [1, 'shadow', 'shadow']] as const) {
      await store.recordAttempt({ incidentId: created[i]!.id, workItemId: null, target: created[i]!.target, strategy: 'restart', driver: 'http', mode, outcome, reason: 'test', startedAt: from + 30_000, finishedAt: from + 31_000, details: {} });
    }
    await sleep(from + 62_000 - Date.now());
    const to = Date.now();
    run = await runMedic([
      'train', 'failure', '--prometheus', stack.prometheus.url, '--from', new Date(from).toISOString(), '--to', new Date(to).toISOString(),
      '--step', '1s', '--rate-window', '5s', '--selector', '{job="agents"}', '--medic', `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
      '--steps', '5', '--horizon', '5', '--units', '8', '--dense', '4', '--epochs', '2', '--max-windows', '150', '--registry', registry,
    ]);
  });
  after(async () => {
    api?.close();
    await store?.close();
    await stack?.stop();
  });

  it('labels the SLO breaches and the acted remediation as failures, not the shadow decision', () => {
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /: 1 remediations that acted, on 1 agents, count as failures/);
    const failures = Number(/4 histories, (\d+) failures/.exec(run.stderr)?.[1]);
    // Three bursts (each one failure, or two when its error rate dips across the SLO) and one remediation.
    assert.ok(failures >= 4 && failures <= 8, run.stderr);
  });

  it('thins the healthy training windows to --max-windows and publishes the model with its sampling', () => {
    assert.match(run.stderr, /training windows: \d+ labelled, thinned to \d+ \(every failure kept, --max-windows 150\)/);
    const kept = Number(/thinned to (\d+)/.exec(run.stderr)![1]);
    assert.ok(kept <= 180, run.stderr);
    assert.deepEqual(listVersions(registry, 'default', 'failure'), ['v0001']);
    const card = readCard(join(registry, 'failure', 'default', 'v0001'))!;
    assert.match(card.source, new RegExp(`^prometheus ${stack.prometheus.url} .*step 1s, remediations from http://127\\.0\\.0\\.1:\\d+$`));
    assert.match(run.stdout, /registry .*: failure\/default\/v0001/);
    assert.match(run.stdout, /gate: /);
  });
});

function notification(at: number, agents: string[]): Notification {
  return {
    receivedAt: at + 29_000, receiver: 'medic', status: 'firing', groupKey: '{}', externalURL: '', truncatedAlerts: 0, requestId: null,
    alerts: agents.map((agent, i) => ({
      startsAt: new Date(at + 29_000).toISOString(), status: 'firing', endsAt: null, labels: { alertname: 'AgentHighErrorRate', agent, severity: 'critical' },
      annotations: {}, generatorURL: '', alertname: 'AgentHighErrorRate', agent, target: agent, severity: 'critical', priority: 0, fingerprint: `fp${i}`,
    })),
  };
}
