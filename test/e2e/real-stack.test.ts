// The whole loop, for real: a simulated fleet scraped by Debian's Prometheus, rules firing into Debian's
// Alertmanager, Alertmanager delivering to Medic, Medic healing the agent, Prometheus seeing it recover.
// Every fault kind is injected into its own agent at once; the other agents must never be touched.
// Time is compressed (scrape and evaluation every second, `for` and windows shortened); the rules'
// expressions are the repository's own.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { DEFAULT_RULES_YAML } from '../../remediations/selection.ts';
import { startFleet, type Fleet, type FaultKind } from '../../sim/fleet.ts';
import { writeFleetFiles } from '../../sim/sim-command.ts';
import { policiesWith } from '../helpers/engine-harness.ts';
import { freePort } from '../helpers/sim-target.ts';
import { getJson, startTestService, tempDir, type TestService } from '../helpers/service.ts';
import { promQuery, startAlertmanager, startPrometheus, type Daemon } from '../helpers/stack.ts';

const AGENTS = 22;
const TOKEN = 'e2e-webhook-token';

interface Case {
  kind: FaultKind;
  agent: string;
  rate?: number;
  forMs?: number;
  /** The strategy the design prescribes, that must have healed it. */
  strategy: string;
}

// One fault per agent; lightweight agents are avoided for resource faults, where their tier recycles
// (restarts) before it repairs.
const CASES: Case[] = [
  { kind: 'crash', agent: 'autogpt-1', strategy: 'restart' },
  { kind: 'hang', agent: 'crewai-1', strategy: 'restart' },
  { kind: 'latency', agent: 'bigagi-1', strategy: 'scale' },
  { kind: 'errors', agent: 'langchain-1', rate: 0.7, strategy: 'circuit_break' },
  { kind: 'errors', agent: 'semgrep-1', rate: 0.3, strategy: 'restart' },
  { kind: 'queue', agent: 'babyagi-1', strategy: 'scale' },
  { kind: 'memory-leak', agent: 'metagpt-1', strategy: 'repair' },
  { kind: 'cpu', agent: 'opendevin-1', strategy: 'repair' },
  { kind: 'dependency', agent: 'aider-1', forMs: 15_000, strategy: 'circuit_break' },
  { kind: 'bad-config', agent: 'autogpt-2', strategy: 'repair' },
  { kind: 'bad-version', agent: 'crewai-2', strategy: 'rollback' },
];

interface Timeline {
  injected: number;
  firing?: number;
  received?: number;
  acted?: number;
  verified?: number;
  recovered?: number;
}

async function freeBlock(size: number): Promise<number> {
  // A run of free ports: try random bases until every port of the block binds.
  for (let tries = 0; tries < 20; tries++) {
    const base = 30_000 + Math.floor(Math.random() * 20_000);
    const ok = await Promise.all(Array.from({ length: size }, (_, i) => portFree(base + i)));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no block of free ports found');
}

async function portFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('the real stack', { timeout: 480_000 }, () => {
  const dir = tempDir('medic-e2e-');
  let fleet: Fleet;
  let medic: TestService;
  let alertmanager: Daemon;
  let prometheus: Daemon;

  before(async () => {
    fleet = await startFleet({ agents: AGENTS, basePort: await freeBlock(AGENTS + 1), token: 'agent-token-e2e', seed: 7 });
    writeFleetFiles(dir, fleet.controlUrl, fleet.agents(), 'agent-token-e2e', '127.0.0.1');

    const rules = parse(DEFAULT_RULES_YAML) as { rules: { name: string; params?: Record<string, unknown> }[] };
    for (const r of rules.rules) if (r.name === 'severe-error-rate' || r.name === 'dependency-down') r.params = { circuit_break: { canary_window_s: 2, max_reopens: 5 } };
    writeFileSync(join(dir, 'rules.yaml'), stringify(rules));
    writeFileSync(join(dir, 'policies.yaml'), policiesWith({
      tiers: { default: { verify_timeout: '8s', circuit_break_duration: '4s' } },
      guards: { max_concurrent: 20, blast_radius: { per_type_percent: 100, fleet_percent: 100 } },
    }));
    const amPort = await freePort();
    writeFileSync(join(dir, 'medic.yaml'), stringify({
      remediation: { inventory: 'inventory.yaml', policies: 'policies.yaml', rules: 'rules.yaml', recheck_interval: '1s', verify_interval: '250ms' },
      workers: { concurrency: 12, poll_interval: '500ms' },
      alertmanager: { url: `http://127.0.0.1:${amPort}` },
    }));
    medic = await startTestService({ flags: { config: join(dir, 'medic.yaml') }, env: { MEDIC_WEBHOOK_TOKEN: TOKEN, MEDIC_LOG_LEVEL: 'info' } });
    // Alertmanager listens where Medic was told it is (for escalations and silences).
    alertmanager = await startAlertmanager(dir, { url: medic.url, token: TOKEN }, amPort);
    prometheus = await startPrometheus(dir, { targetsFile: join(dir, 'targets.json'), medicTarget: medic.url.replace('http://', ''), alertmanager: alertmanager.url });
  });

  after(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await medic?.dispose();
    await fleet?.stop();
    for (const d of [prometheus, alertmanager]) {
      if (d) assert.ok(d.child.exitCode !== null || d.child.signalCode !== null, 'no daemon left running');
    }
  });

  it('heals every fault kind with the prescribed strategy, and never touches a healthy agent', async (t) => {
    // Every agent scraped and healthy before any fault.
    const started = Date.now();
    for (;;) {
      const up = await promQuery(prometheus.url, 'sum(up{job="agents"})');
      const firing = await promQuery(prometheus.url, 'ALERTS{alertstate="firing"}');
      if (up[0]?.value === AGENTS && Date.now() - started > 12_000) {
        assert.deepEqual(firing.map((a) => `${a.metric.alertname} ${a.metric.agent}`), [], 'nothing fires on a healthy fleet');
        break;
      }
      if (Date.now() - started > 60_000) assert.fail(`the fleet never came up in Prometheus: ${JSON.stringify(up)}`);
      await sleep(500);
    }

    const timelines = new Map<string, Timeline>();
    for (const c of CASES) {
      fleet.inject({ agent: c.agent, kind: c.kind, rate: c.rate, forMs: c.forMs });
      timelines.set(c.agent, { injected: Date.now() });
    }

    const faulted = new Set(CASES.map((c) => c.agent));
    const deadline = Date.now() + 180_000;
    let done: Case[] = [];
    while (done.length < CASES.length) {
      const now = Date.now();
      const firing = await promQuery(prometheus.url, 'ALERTS{alertstate="firing"}');
      const firingAgents = new Set(firing.map((a) => a.metric.agent));
      const up = new Map((await promQuery(prometheus.url, 'up{job="agents"}')).map((s) => [s.metric.agent!, s.value]));
      const attempts = (await getJson(`${medic.url}/api/remediations?limit=500`, { authorization: `Bearer ${TOKEN}` })).body.items as {
        target: string; strategy: string; outcome: string; mode: string; startedAt: string; finishedAt: string | null; incidentId: number;
      }[];
      for (const c of CASES) {
        const tl = timelines.get(c.agent)!;
        if (tl.firing === undefined && firingAgents.has(c.agent)) tl.firing = now;
        const mine = attempts.filter((a) => a.target === c.agent);
        if (tl.received === undefined && mine.length) {
          const incident = (await getJson(`${medic.url}/api/incidents/${mine.at(-1)!.incidentId}`, { authorization: `Bearer ${TOKEN}` })).body;
          tl.received = Date.parse(incident.firstSeenAt);
        }
        const healed = mine.find((a) => a.strategy === c.strategy && a.outcome === 'succeeded');
        if (healed && tl.acted === undefined) {
          tl.acted = Date.parse(healed.startedAt);
          tl.verified = Date.parse(healed.finishedAt!);
        }
        if (healed && tl.recovered === undefined && !firingAgents.has(c.agent) && up.get(c.agent) === 1) tl.recovered = now;
      }
      done = CASES.filter((c) => timelines.get(c.agent)!.recovered !== undefined);
      if (Date.now() > deadline) {
        const summary = CASES.map((c) => `${c.kind}@${c.agent}: ${JSON.stringify(timelines.get(c.agent))} ${JSON.stringify(attempts.filter((a) => a.target === c.agent).map((a) => `${a.strategy}:${a.outcome}`))}`);
        assert.fail(`not every fault healed within 3 minutes:\n${summary.join('\n')}\nfiring: ${JSON.stringify([...firingAgents])}`);
      }
      await sleep(500);
    }

    // False remediations: nothing acted on an agent without a fault.
    const all = (await getJson(`${medic.url}/api/remediations?limit=500`, { authorization: `Bearer ${TOKEN}` })).body.items as { target: string; strategy: string; outcome: string; mode: string }[];
    const acted = all.filter((a) => a.mode === 'auto' && ['in_progress', 'succeeded', 'failed', 'verify_failed'].includes(a.outcome));
    assert.deepEqual(acted.filter((a) => !faulted.has(a.target)).map((a) => `${a.strategy} on ${a.target}`), [], 'false remediations');
    // Each fault was healed by the strategy the design prescribes (a bad version first gets the
    // restart its error rate asks for, which cannot hold; the ladder then rolls it back).
    for (const c of CASES) {
      const mine = acted.filter((a) => a.target === c.agent && a.outcome === 'succeeded').map((a) => a.strategy);
      assert.ok(mine.includes(c.strategy), `${c.kind} on ${c.agent}: healed by ${mine.join(', ') || 'nothing'}, expected ${c.strategy}`);
    }

    const s = (ms: number | undefined, from: number | undefined) => (ms === undefined || from === undefined ? '   -' : ((ms - from) / 1000).toFixed(1).padStart(5));
    t.diagnostic('MTTR (s from injection): firing  received  acted  verified  recovered  | fault');
    for (const c of CASES) {
      const tl = timelines.get(c.agent)!;
      t.diagnostic(`  ${s(tl.firing, tl.injected)}  ${s(tl.received, tl.injected)}  ${s(tl.acted, tl.injected)}  ${s(tl.verified, tl.injected)}  ${s(tl.recovered, tl.injected)}  | ${c.kind}${c.rate ? ` ${c.rate}` : ''} on ${c.agent} by ${c.strategy}`);
    }
  });
});
