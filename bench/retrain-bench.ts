// npm run bench:retrain: does a retraining run slow the webhook down? Medic's webhook under a fixed
// rate of deliveries, measured alternately with nothing else running and while a failure model trains
// in a child process exactly as `medic train nightly` starts it (training/training-child.ts: the idle
// scheduling class where chrt exists, and nice 10), and once more each with a niceness alone and with
// the training at the service's own priority (nice 0), to show what each buys.
// Prints p50/p99 per phase and the ratio of the medians of p99 (goal: retraining raises p99 by at most
// 20%). A measurement, not a test: nothing here passes or fails.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CPU_POLICY, runTrainingChild, TRAINING_NICE, type CpuPolicy } from '../training/training-child.ts';

const HELP = `Usage: npm run bench:retrain -- [--seconds N] [--rounds N] [--rate N] [--connections N]

  --seconds N       length of each measurement (default 15)
  --rounds N        idle / retraining pairs, alternating (default 3)
  --rate N          deliveries/s offered, fixed rate (default 200)
  --connections N   concurrent connections (default 10)`;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' }, rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '200' }, connections: { type: 'string', default: '10' }, help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const SECONDS = Number(values.seconds), ROUNDS = Number(values.rounds), RATE = Number(values.rate), CONNECTIONS = Number(values.connections);
const repo = fileURLToPath(new URL('../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'medic-bench-retrain-'));
const fixture = (await import(join(repo, 'test/fixtures/alertmanager-0.25/firing-agent-down.json'), { with: { type: 'json' } })).default as {
  body: { alerts: Record<string, unknown>[] } & Record<string, unknown>;
};

/** Deliveries of 1 to 10 alerts for 131 agents, new fingerprints each (every one is committed). */
function deliveries(count: number, salt: string): string[] {
  let seq = 0;
  return Array.from({ length: count }, (_, i) => {
    const agent = `bench-${i % 131}`;
    const alerts = Array.from({ length: 1 + ((i * 37) % 10) }, () => {
      const base = fixture.body.alerts[0]!;
      return { ...base, fingerprint: `${salt}${(seq++).toString(16).padStart(12, '0')}`, labels: { ...(base.labels as object), agent, alertname: `Bench${seq % 7}` } };
    });
    return JSON.stringify({ ...fixture.body, alerts, groupKey: `{}:{agent="${agent}"}` });
  });
}

function startMedic(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(repo, 'bin/medic.js'), 'serve', '--port', '0', '--data-dir', join(dir, 'data'), '--log-level', 'info'], {
    cwd: repo, env: { ...process.env, MEDIC_WEBHOOK_TOKEN: 's3cret-token' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (d: Buffer) => {
      buffered += d;
      const m = /"port":(\d+)/.exec(buffered);
      if (m && /medic is serving/.test(buffered)) {
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining its logs
        resolve({ url: `http://127.0.0.1:${m[1]}`, child });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`medic exited with ${code}`)));
  });
}

async function load(url: string, salt: string) {
  const bodies = deliveries(Math.ceil(RATE * SECONDS * 1.2), salt);
  let i = 0;
  const r = await autocannon({
    url: `${url}/webhook/alertmanager`, connections: CONNECTIONS, duration: SECONDS, overallRate: RATE,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret-token' }, setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts };
}

/** A training run as the nightly starts it, measured once it is fitting (after simulating its data). */
async function whileTraining<T>(nice: number, cpu: CpuPolicy, measure: () => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let fitting!: () => void;
  const started = new Promise<void>((r) => (fitting = r));
  const run = runTrainingChild(['train', 'failure', '--sim', '--agents', '8', '--hours', '24', '--epochs', '1000', '--registry', join(dir, 'registry')], {
    nice, cpu, signal: controller.signal, line: (l) => { if (/epoch \d+:/.test(l)) fitting(); },
  }).catch((err: Error) => { if (!controller.signal.aborted) throw err; });
  await Promise.race([started, run]);
  try {
    return await measure();
  } finally {
    controller.abort(new Error('measured'));
    await run;
  }
}

const AS_SHIPPED = DEFAULT_CPU_POLICY === 'idle' ? `SCHED_IDLE, nice ${TRAINING_NICE}` : `nice ${TRAINING_NICE}`;
const medic = await startMedic();
console.log(`bench:retrain: ${RATE} deliveries/s offered over ${CONNECTIONS} connections, ${SECONDS}s per measurement, ${ROUNDS} rounds; training: medic train failure --sim (8 agents x 24 h) in a child process`);
const p99 = { idle: [] as number[], retraining: [] as number[] };
const row = (name: string, r: Awaited<ReturnType<typeof load>>) =>
  console.log(`  ${name.padEnd(42)} ${r.rps.toFixed(0).padStart(5)} deliveries/s  p50 ${String(r.p50).padStart(3)} ms  p99 ${String(r.p99).padStart(3)} ms  (non-2xx/errors ${r.bad})`);
await load(medic.url, 'warm'); // JIT and SQLite caches
for (let round = 0; round < ROUNDS; round++) {
  const idle = await load(medic.url, `i${round}`);
  row(`round ${round + 1} idle`, idle);
  const busy = await whileTraining(TRAINING_NICE, DEFAULT_CPU_POLICY, () => load(medic.url, `t${round}`));
  row(`round ${round + 1} retraining (${AS_SHIPPED})`, busy);
  p99.idle.push(idle.p99);
  p99.retraining.push(busy.p99);
}
const niced = DEFAULT_CPU_POLICY === 'idle' ? await whileTraining(TRAINING_NICE, 'nice', () => load(medic.url, 'n')) : undefined;
if (niced) row(`retraining, nice ${TRAINING_NICE} alone`, niced);
const unniced = await whileTraining(0, 'nice', () => load(medic.url, 'z'));
row('retraining at nice 0', unniced);

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const ratio = median(p99.retraining) / median(p99.idle);
console.log('\nsummary');
console.log(`  webhook p99, median of ${ROUNDS}: idle ${median(p99.idle)} ms, retraining as shipped (${AS_SHIPPED}) ${median(p99.retraining)} ms: x${ratio.toFixed(2)} (goal <= x1.20)`);
if (niced) console.log(`  retraining at nice ${TRAINING_NICE} alone: p99 ${niced.p99} ms, x${(niced.p99 / median(p99.idle)).toFixed(2)}`);
console.log(`  retraining at the service's own priority (nice 0): p99 ${unniced.p99} ms, x${(unniced.p99 / median(p99.idle)).toFixed(2)}`);

medic.child.kill('SIGTERM');
await new Promise((r) => medic.child.once('exit', r));
rmSync(dir, { recursive: true, force: true });
