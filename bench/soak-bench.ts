// npm run bench:soak: Medic as deployed (`medic serve`, the engine, a simulated fleet over HTTP) under a
// steady alert rate for a long time, with faults injected: agents crash, hang, slow down and fail
// requests (each with its alert), and another process holds the database's write lock now and then
// (deliveries answered 503 are sent again, as Alertmanager does). Samples Medic's memory, event-loop lag
// and queue, and the webhook's answer times, and reports whether they stay flat: the first fifth of the
// run against the last, and the heap's trend. A measurement, not a test: nothing here passes or fails.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { startFleet } from '../sim/fleet.ts';
import { writeFleetFiles } from '../sim/fleet-files.ts';
import type { FaultKind } from '../sim/fault-kinds.ts';
import { startMedicProcess } from '../sim/stack/medic-process.ts';
import { openPolicies } from '../sim/stack/open-policies.ts';
import { freeBlock } from '../sim/stack/ports.ts';
import { tempDir } from '../sim/stack/temp-dir.ts';
import { soakReport, type SoakSample } from './soak-report.ts';

const HELP = `Usage: npm run bench:soak -- [--minutes N] [--rate N] [--agents N] [--fault-every S] [--lock-every S] [--sample S] [--out FILE]

  --minutes N      length of the run (default 30)
  --rate N         alerts per second offered, in deliveries of 1-5 (default 4: what 4 workers heal as it comes, so the queue stays level)
  --agents N       simulated agents Medic heals over HTTP (default 30)
  --fault-every S  inject a fault (crash, hang, latency, errors) into a random agent, with its alert, every S seconds (default 15)
  --lock-every S   another process holds the database's write lock for 2 s every S seconds (default 300; 0: never)
  --sample S       sample Medic's /metrics and the answer times every S seconds (default 10)
  --out FILE       also write every sample and the summary as JSON`;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' }, rate: { type: 'string', default: '4' }, agents: { type: 'string', default: '30' },
    'fault-every': { type: 'string', default: '15' }, 'lock-every': { type: 'string', default: '300' }, sample: { type: 'string', default: '10' },
    out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const num = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name}: must be a number >= 0, but was ${String(values[name])}`);
    process.exit(2);
  }
  return n;
};
const MINUTES = num('minutes');
const RATE = num('rate');
const AGENTS = Math.max(4, Math.round(num('agents')));
const FAULT_EVERY = num('fault-every') * 1000;
const LOCK_EVERY = num('lock-every') * 1000;
const SAMPLE = Math.max(1, num('sample')) * 1000;
const TOKEN = 'soak-agent-token';
const FAULTS: { kind: FaultKind; alertname: string }[] = [
  { kind: 'crash', alertname: 'AgentDown' }, { kind: 'hang', alertname: 'AgentDown' },
  { kind: 'latency', alertname: 'AgentHighLatency' }, { kind: 'errors', alertname: 'AgentHighErrorRate' },
];

const dir = tempDir('medic-soak-');
const fleet = await startFleet({ agents: AGENTS, basePort: await freeBlock(AGENTS + 1), token: TOKEN, seed: 5 });
writeFleetFiles(dir, fleet.controlUrl, fleet.agents(), TOKEN, '127.0.0.1');
writeFileSync(join(dir, 'policies.yaml'), openPolicies());
writeFileSync(join(dir, 'medic.yaml'), stringify({
  remediation: { inventory: 'inventory.yaml', policies: 'policies.yaml', verify_interval: '200ms', recheck_interval: '1s' },
  workers: { retry_backoff: '200ms', retry_backoff_max: '5s' },
  models: { prediction_interval: '0s', score_incidents: false },
}));
// At info, as an operator runs it: logging every incident is part of the load.
const medic = await startMedicProcess({ env: { MEDIC_DATA_DIR: dir, MEDIC_CONFIG: join(dir, 'medic.yaml'), MEDIC_LOG_LEVEL: 'info' } });
const agents = fleet.agents();
const started = Date.now();
const endsAt = started + MINUTES * 60_000;
let seq = 0;
let answers: number[] = [];
let sent = 0;
let retried = 0;
const firing: { fp: string; agent: string; alertname: string; startsAt: string }[] = [];

const alert = (a: { fp: string; agent: string; alertname: string; startsAt: string }, status: 'firing' | 'resolved') => ({
  status, labels: { alertname: a.alertname, agent: a.agent, severity: 'critical' }, annotations: { summary: `${a.alertname} on ${a.agent}` },
  startsAt: a.startsAt, endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: a.fp,
});

async function deliver(alerts: unknown[]): Promise<void> {
  const body = JSON.stringify({ version: '4', receiver: 'medic', status: 'firing', groupKey: `{}:soak${seq}`, alerts, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am' });
  for (let tries = 0; tries < 20 && Date.now() < endsAt + 60_000; tries++) {
    const t0 = performance.now();
    const res = await fetch(`${medic.url}/webhook/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).catch(() => undefined);
    await res?.arrayBuffer();
    if (res?.status === 200) {
      answers.push(performance.now() - t0);
      sent++;
      return;
    }
    retried++;
    await sleep(500 * (tries + 1));
  }
}

function nextAlerts(): unknown[] {
  const n = 1 + (seq % 5);
  return Array.from({ length: n }, () => {
    seq++;
    // A fifth resolves an alert that fired earlier; the rest are new alerts on a random agent.
    if (seq % 5 === 0 && firing.length > 0) return alert(firing.splice(Math.floor(Math.random() * firing.length), 1)[0]!, 'resolved');
    const a = { fp: `soak${seq.toString(16).padStart(12, '0')}`, agent: agents[Math.floor(Math.random() * agents.length)]!.id, alertname: 'AgentDown', startsAt: new Date().toISOString() };
    firing.push(a);
    if (firing.length > 5000) firing.shift();
    return alert(a, 'firing');
  });
}

async function offer(): Promise<void> {
  // Deliveries average 3 alerts: a steady RATE alerts/s, each delivery in flight on its own.
  const interval = 3000 / Math.max(RATE, 0.01);
  const inFlight = new Set<Promise<void>>();
  for (let next = Date.now(); Date.now() < endsAt; next += interval) {
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    const p = deliver(nextAlerts()).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size > 200) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

async function injectFaults(): Promise<void> {
  for (let i = 0; FAULT_EVERY > 0 && Date.now() + FAULT_EVERY < endsAt; i++) {
    await sleep(FAULT_EVERY);
    const agent = agents[Math.floor(Math.random() * agents.length)]!;
    const f = FAULTS[i % FAULTS.length]!;
    fleet.inject({ agent: agent.id, kind: f.kind });
    await deliver([alert({ fp: `fault${i.toString(16).padStart(11, '0')}`, agent: agent.id, alertname: f.alertname, startsAt: new Date().toISOString() }, 'firing')]);
  }
}

async function holdLocks(): Promise<void> {
  while (LOCK_EVERY > 0 && Date.now() + LOCK_EVERY < endsAt) {
    await sleep(LOCK_EVERY);
    const db = new Database(join(dir, 'medic.db'));
    db.exec('BEGIN IMMEDIATE');
    await sleep(2000);
    db.exec('ROLLBACK');
    db.close();
  }
}

const metric = (text: string, name: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
};
const samples: SoakSample[] = [];
async function sample(): Promise<void> {
  while (Date.now() < endsAt) {
    await sleep(SAMPLE);
    const text = await fetch(`${medic.url}/metrics`).then((r) => r.text()).catch(() => '');
    // The log lines were read (Medic's stdout drained, as a collector would); this process keeps none.
    medic.logs.length = 0;
    const window = answers.sort((a, b) => a - b);
    answers = [];
    const s: SoakSample = {
      minute: (Date.now() - started) / 60_000,
      rssMiB: metric(text, 'process_resident_memory_bytes') / 2 ** 20,
      heapMiB: metric(text, 'nodejs_heap_size_used_bytes') / 2 ** 20,
      lagP99Ms: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      queue: metric(text, 'medic_queue_depth'),
      answerP99Ms: window.length ? window[Math.min(window.length - 1, Math.floor(window.length * 0.99))]! : NaN,
      delivered: sent,
    };
    samples.push(s);
    if (samples.length % Math.max(1, Math.round(60_000 / SAMPLE)) === 0) {
      console.log(`${s.minute.toFixed(1)} min: rss ${s.rssMiB.toFixed(0)} MiB, heap ${s.heapMiB.toFixed(0)} MiB, loop lag p99 ${s.lagP99Ms.toFixed(1)} ms, queue ${s.queue}, answer p99 ${s.answerP99Ms.toFixed(1)} ms, ${sent} deliveries, ${retried} sent again`);
    }
  }
}

console.log(`soak: ${MINUTES} min, ${RATE} alerts/s, ${AGENTS} agents, a fault every ${FAULT_EVERY / 1000} s, the write lock held 2 s every ${LOCK_EVERY / 1000} s; Medic at ${medic.url}, data in ${dir}`);
try {
  await Promise.all([offer(), injectFaults(), holdLocks(), sample()]);
} finally {
  medic.child.kill('SIGTERM');
  await medic.exited;
  await fleet.stop();
}
const report = soakReport(samples);
console.log(report.text);
if (values.out) writeFileSync(values.out, JSON.stringify({ settings: { MINUTES, RATE, AGENTS, FAULT_EVERY, LOCK_EVERY, SAMPLE }, deliveries: sent, sentAgain: retried, samples, summary: report.summary }, null, 2));
