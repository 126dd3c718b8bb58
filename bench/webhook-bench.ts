// npm run bench:webhook: Medic's webhook (durable commits) against a bare Express endpoint that only
// parses JSON, side by side in one run on this machine. Prints deliveries/s, p50/p99 and the ratios.
// Each delivery averages about 10 alerts: Medic validates them and commits the delivery (fsynced) before
// each answer, then records about ten incident rows (and work items) per delivery after the answers,
// while the baseline only parses. At the end it says how much Medic recorded and how much still waits.
// With --postgres URL, the same Medic on PostgreSQL (store.driver postgres, a fresh schema dropped at the
// end) is measured as a third target beside SQLite and the baseline, in the same rounds.
// A measurement, not a test: nothing here passes or fails.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const HELP = `Usage: npm run bench:webhook -- [--seconds N] [--rounds N] [--connections N] [--rate N] [--synchronous full|normal] [--max-backlog N] [--postgres URL] [--profile DIR]

  --seconds N       length of each measurement (default 8)
  --rounds N        throughput rounds per target, alternating (default 2; 0: the fixed rate only)
  --connections N   concurrent connections (default 10)
  --rate N          fixed-rate phase, deliveries/s (default 1000)
  --synchronous X   Medic's store.sqlite.synchronous (default full: fsync per commit)
  --max-backlog N   Medic's server.max_backlog (default 100000000: lifted, to measure the durable path;
                    the shipped 10000 shows a sustained flood: recording catches up, then 503s)
  --postgres URL    also measure Medic on this PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/test),
                    in a schema of its own, dropped at the end
  --profile DIR     run Medic with node --cpu-prof, writing its CPU profile into DIR at the end`;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    synchronous: { type: 'string', default: 'full' },
    'max-backlog': { type: 'string', default: '100000000' },
    profile: { type: 'string' },
    postgres: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const RATE = Number(values.rate);

const repo = fileURLToPath(new URL('../', import.meta.url));
const fixture = (await import(join(repo, 'test/fixtures/alertmanager-0.25/firing-agent-down.json'), { with: { type: 'json' } })).default as {
  body: { alerts: Record<string, unknown>[] } & Record<string, unknown>;
};

/** Deliveries of 1 to 20 alerts, a fifth of them repeats of an earlier one (as repeat_interval sends). */
function deliveries(count: number, salt: string): string[] {
  const out: string[] = [];
  let seq = 0;
  for (let i = 0; i < count; i++) {
    if (i > 10 && i % 5 === 0) {
      out.push(out[(i * 7919) % out.length]!);
      continue;
    }
    const n = 1 + ((i * 37) % 20);
    const agent = `bench-${salt}-${i % 131}`;
    const alerts = Array.from({ length: n }, () => {
      const fp = `${salt}${(seq++).toString(16).padStart(12, '0')}`;
      const base = fixture.body.alerts[0]!;
      return { ...base, fingerprint: fp, labels: { ...(base.labels as object), agent, alertname: `Bench${seq % 7}` } };
    });
    out.push(JSON.stringify({ ...fixture.body, alerts, groupKey: `{}:{agent="${agent}"}` }));
  }
  return out;
}

interface Target {
  name: string;
  url: string;
  child: ChildProcess;
}

function startTarget(name: string, args: string[], env: Record<string, string>, logFile: string): Promise<Target> {
  const child = spawn(process.execPath, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const log = openSync(logFile, 'a');
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (d: Buffer) => {
      buffered += d;
      const m = /"port":(\d+)/.exec(buffered);
      if (m && /medic is serving|bare endpoint listening/.test(buffered)) {
        child.stdout!.off('data', onData);
        // Keep draining the target's logs to a file, as a real deployment would.
        child.stdout!.on('data', (chunk: Buffer) => writeSync(log, chunk));
        resolve({ name, url: `http://127.0.0.1:${m[1]}`, child });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

// CPU time a target used (all its threads: the event loop, the fsyncs on libuv's pool, SQLite's
// checkpoint thread), in ms, from /proc; undefined where there is no /proc. Throughput on this shared
// 2-core machine depends on what else runs; CPU per delivery says what a delivery costs the server.
const TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
function cpuMs(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

// Every Medic but the one measured is paused (SIGSTOP): its engine would otherwise go on draining the
// backlog the previous round queued, taking a core from the target measured and flattering its figure.
let paused: Target[] = [];

async function load(target: Target, bodies: string[], overallRate?: number) {
  for (const t of paused) t.child.kill('SIGCONT');
  paused = medics.filter((m) => m !== target);
  for (const t of paused) t.child.kill('SIGSTOP');
  let i = 0;
  const cpuBefore = cpuMs(target.child.pid);
  const result = await autocannon({
    url: `${target.url}/webhook/alertmanager`,
    connections: CONNECTIONS,
    duration: SECONDS,
    overallRate,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret-token' },
        setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }),
      },
    ],
  });
  const cpuAfter = cpuMs(target.child.pid);
  const non2xx = result.non2xx + result.errors + result.timeouts;
  // Server CPU per delivery answered 200, in microseconds.
  const cpuUs = cpuBefore !== undefined && cpuAfter !== undefined && result['2xx'] > 0 ? ((cpuAfter - cpuBefore) * 1000) / result['2xx'] : undefined;
  // Deliveries answered 200 per second: a 503 (backlog full) is not a delivery taken.
  const ok = result.requests.total > 0 ? result['2xx'] / result.requests.total : 0;
  return { rps: result.requests.average * ok, p50: result.latency.p50, p99: result.latency.p99, sent: result.requests.total, non2xx, cpuUs };
}

const dir = mkdtempSync(join(tmpdir(), 'medic-bench-'));
// Medic as shipped (default workers, info logs to a file), with a token as in production. The backlog
// bound is lifted: the flood queues work far faster than it drains, and this measures the durable
// path, not the shedding (test/integration/back-pressure.test.ts).
writeFileSync(join(dir, 'medic.yaml'), `store:\n  sqlite:\n    synchronous: ${values.synchronous}\nserver:\n  max_backlog: ${Number(values['max-backlog'])}\n`);
const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [];
const medic = await startTarget('medic', [...profile, join(repo, 'bin/medic.js'), 'serve', '--port', '0', '--data-dir', join(dir, 'data')], {
  MEDIC_WEBHOOK_TOKEN: 's3cret-token',
  MEDIC_CONFIG: join(dir, 'medic.yaml'),
}, join(dir, 'medic.log'));
const schema = `bench_${process.pid}_${Date.now() % 100_000}`;
const medicPg = values.postgres === undefined ? undefined : await (async () => {
  writeFileSync(join(dir, 'medic-pg.yaml'), `store:\n  postgres:\n    url: ${JSON.stringify(values.postgres)}\n    schema: ${schema}\nserver:\n  max_backlog: ${Number(values['max-backlog'])}\n`);
  return startTarget('medic-pg', [...profile, join(repo, 'bin/medic.js'), 'serve', '--port', '0', '--data-dir', join(dir, 'data-pg')], {
    MEDIC_WEBHOOK_TOKEN: 's3cret-token',
    MEDIC_CONFIG: join(dir, 'medic-pg.yaml'),
  }, join(dir, 'medic-pg.log'));
})();
const medics = medicPg ? [medic, medicPg] : [medic];
const bare = await startTarget('bare', ['--import', 'tsx', join(repo, 'bench/bare-endpoint.ts')], {}, join(dir, 'bare.log'));
const targets = [bare, ...medics];

console.log(`bench:webhook: store.sqlite.synchronous ${values.synchronous}${medicPg ? `, and PostgreSQL (schema ${schema})` : ''}, ${CONNECTIONS} connections, ${SECONDS}s per measurement, ${ROUNDS} alternating rounds; deliveries of 1-20 alerts, 20% repeats`);
const cpuText = (us: number | undefined) => (us === undefined ? '' : `  server CPU ${us.toFixed(0)} us/delivery`);
// Medic's own figures, from its /metrics.
async function medicSample(prefix: string, target = medic): Promise<number> {
  const exposition = await (await fetch(`${target.url}/metrics`)).text();
  return exposition.split('\n').filter((l) => l.startsWith(prefix)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

// The fixed rate first, on a fresh Medic: its steady state, where recording the alerts as incidents and
// work keeps up between deliveries (so its CPU figure is a delivery's whole cost); then the saturated
// rounds, a burst that Medic answers first and records after.
console.log(`fixed rate: ${RATE} deliveries/s for ${SECONDS}s each`);
const fixed: Record<string, Awaited<ReturnType<typeof load>>> = {};
for (const target of targets) {
  fixed[target.name] = await load(target, deliveries(20_000, `f${target.name}`), RATE);
  const r = fixed[target.name]!;
  console.log(`  ${target.name.padEnd(5)} ${r.rps.toFixed(0).padStart(6)} deliveries/s  p50 ${r.p50} ms  p99 ${r.p99} ms  (non-2xx/errors ${r.non2xx})${cpuText(r.cpuUs)}`);
}
for (const t of paused) t.child.kill('SIGCONT');
paused = [];
const waitingAfterFixed = await medicSample('medic_alerts_waiting');
console.log(`  alerts answered but not yet recorded when the fixed rate ended: ${waitingAfterFixed}`);

const ratios: number[] = [];
const pgRatios: number[] = [];
const cpuRatios: number[] = [];
const cpuPerDelivery: Record<string, number[]> = { medic: [], bare: [], 'medic-pg': [] };
for (let round = 0; round < ROUNDS; round++) {
  const rps: Record<string, number> = {};
  for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
    const r = await load(target, deliveries(20_000, `r${round}${target.name}`));
    rps[target.name] = r.rps;
    if (r.cpuUs !== undefined) cpuPerDelivery[target.name]!.push(r.cpuUs);
    console.log(`  round ${round + 1} ${target.name.padEnd(5)} ${r.rps.toFixed(0).padStart(6)} deliveries/s  p50 ${r.p50} ms  p99 ${r.p99} ms  (non-2xx/errors ${r.non2xx})${cpuText(r.cpuUs)}`);
  }
  ratios.push(rps.medic! / rps.bare!);
  if (medicPg) pgRatios.push(rps['medic-pg']! / rps.medic!);
  const [m, b] = [cpuPerDelivery.medic!.at(-1), cpuPerDelivery.bare!.at(-1)];
  if (cpuPerDelivery.medic!.length === round + 1 && cpuPerDelivery.bare!.length === round + 1) cpuRatios.push(m! / b!);
}
ratios.sort((a, b) => a - b);
pgRatios.sort((a, b) => a - b);
cpuRatios.sort((a, b) => a - b);

console.log('\nsummary');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const medianOf = (xs: number[]) => (xs.length % 2 ? xs[Math.floor(xs.length / 2)]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2);
const median = medianOf(ratios);
if (ratios.length > 0) console.log(`  saturated throughput, medic / bare, per round: ${ratios.map(pct).join(', ')}; median ${pct(median)} (target >= 80%)`);
if (pgRatios.length > 0) console.log(`  saturated throughput, medic on PostgreSQL / medic on SQLite, per round: ${pgRatios.map(pct).join(', ')}; median ${pct(medianOf(pgRatios))}`);
if (cpuRatios.length > 0) {
  const us = (name: string) => medianOf([...cpuPerDelivery[name]!].sort((a, b) => a - b)).toFixed(0);
  console.log(`  server CPU per delivery answered (all threads, during the rounds): medic ${us('medic')} us, bare ${us('bare')} us; medic / bare per round ${cpuRatios.map((x) => x.toFixed(2)).join(', ')}, median ${medianOf(cpuRatios).toFixed(2)}x`);
  console.log(`  (recording the alerts as incidents and work is deferred past the rounds, so it is not in medic's figure)`);
}
console.log(`  at ${RATE}/s offered: medic served ${fixed.medic!.rps.toFixed(0)}/s = ${pct(fixed.medic!.rps / fixed.bare!.rps)} of bare's ${fixed.bare!.rps.toFixed(0)}/s`);
console.log(`  at ${RATE}/s: medic p50 ${fixed.medic!.p50} ms, p99 ${fixed.medic!.p99} ms (target p99 < 20 ms); bare p99 ${fixed.bare!.p99} ms`);
if (fixed['medic-pg']) console.log(`  at ${RATE}/s: medic on PostgreSQL served ${fixed['medic-pg'].rps.toFixed(0)}/s, p50 ${fixed['medic-pg'].p50} ms, p99 ${fixed['medic-pg'].p99} ms`);
if (fixed.medic!.cpuUs !== undefined && fixed.bare!.cpuUs !== undefined) {
  console.log(`  at ${RATE}/s: server CPU per delivery medic ${fixed.medic!.cpuUs.toFixed(0)} us (recording included: ${waitingAfterFixed} alerts left waiting), bare ${fixed.bare!.cpuUs.toFixed(0)} us`);
}

for (const t of paused) t.child.kill('SIGCONT');
paused = [];
// What the engine got through meanwhile: it shares the process (and the store) with the webhook.
console.log(`  meanwhile Medic recorded ${await medicSample('medic_incidents_created_total')} incidents; ${await medicSample('medic_alerts_waiting')} alerts answered were still waiting to be recorded`);
console.log(`  and the engine finished ${await medicSample('medic_work_processed_total')} work items (no inventory: each incident escalated)`);

if (medicPg) console.log(`  medic on PostgreSQL recorded ${await medicSample('medic_incidents_created_total', medicPg)} incidents; ${await medicSample('medic_alerts_waiting', medicPg)} alerts still waiting`);

for (const t of targets) t.child.kill('SIGTERM');
await Promise.all(targets.map((t) => new Promise((r) => t.child.once('exit', r))));
if (values.postgres) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: values.postgres });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}
rmSync(dir, { recursive: true, force: true });
