// npm run bench:webhook: Medic's webhook (durable commits) against a bare Express endpoint that only
// parses JSON, side by side in one run on this machine. Prints deliveries/s, p50/p99 and the ratios.
// Each delivery averages about 10 alerts: Medic validates them and commits the delivery (fsynced) before
// each answer, then records about ten incident rows (and work items) per delivery after the answers,
// while the baseline only parses. At the end it says how much Medic recorded and how much still waits.
// With --postgres URL, the same Medic on PostgreSQL (store.driver postgres, a fresh schema dropped at the
// end) is measured as a third target beside SQLite and the baseline, in the same rounds. With
// --replicas N as well, N Medics share one further schema behind bench/round-robin-proxy.ts, measured as
// a further target; so is the proxy in front of the single PostgreSQL Medic, which shows the proxy's own
// cost. Everything (targets, proxy, load generator, PostgreSQL) shares this machine's cores.
// A measurement, not a test: nothing here passes or fails.
import autocannon from 'autocannon';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deliveries } from './bench-deliveries.ts';
import { cpuOf, startServer, stopAll, type Server } from './bench-processes.ts';
import { fileURLToPath } from 'node:url';

const HELP = `Usage: npm run bench:webhook -- [--seconds N] [--rounds N] [--connections N] [--rate N] [--synchronous full|normal] [--max-backlog N] [--postgres URL [--replicas N]] [--profile DIR]

  --seconds N       length of each measurement (default 8)
  --rounds N        throughput rounds per target, alternating (default 2; 0: the fixed rate only)
  --connections N   concurrent connections (default 10)
  --rate N          fixed-rate phase, deliveries/s (default 1000)
  --synchronous X   Medic's store.sqlite.synchronous (default full: fsync per commit)
  --max-backlog N   Medic's server.max_backlog (default 100000000: lifted, to measure the durable path;
                    the shipped 10000 shows a sustained flood: recording catches up, then 503s)
  --postgres URL    also measure Medic on this PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/test),
                    in a schema of its own, dropped at the end
  --replicas N      with --postgres, N >= 2: also N Medics on one further schema (each its own data
                    directory and port; the schema dropped at the end) behind a round-robin HTTP
                    proxy (bench/round-robin-proxy.ts, a process of its own), measured as the target
                    "medic-pg ×N (round-robin)"; and the same proxy in front of the single PostgreSQL
                    Medic, as "medic-pg via proxy", to show the proxy's own cost. Server CPU is the
                    replicas' together; the proxy's is reported apart (default 1: no proxy, no replicas)
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
    replicas: { type: 'string', default: '1' },
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
const REPLICAS = Number(values.replicas);
if (!Number.isInteger(REPLICAS) || REPLICAS < 1) {
  console.error(`bench:webhook: --replicas must be an integer >= 1, but was ${values.replicas}`);
  process.exit(2);
}
if (REPLICAS > 1 && values.postgres === undefined) {
  console.error(`bench:webhook: --replicas ${REPLICAS} needs --postgres URL: the replicas share one PostgreSQL schema (a SQLite store is one process's)`);
  process.exit(2);
}

const repo = fileURLToPath(new URL('../', import.meta.url));
/** What one measurement loads: `url` answers; `servers` do the work (their CPU is the target's). */
interface Target {
  name: string;
  url: string;
  servers: Server[];
  /** The proxy in front, if any: its CPU is reported apart from the servers'. */
  proxy?: Server;
}

// Every Medic but those measured is paused (SIGSTOP): its engine would otherwise go on draining the
// backlog the previous round queued, taking a core from the target measured and flattering its figure.
// The replicas of one target share one schema and are paused and resumed together; the single PostgreSQL
// Medic has a schema of its own, so pausing one never leaves the other waiting on a lock it holds.
let medics: Server[] = [];
let paused: Server[] = [];
function resumeAll() {
  for (const s of paused) s.child.kill('SIGCONT');
  paused = [];
}

async function load(target: Target, bodies: string[], overallRate?: number) {
  resumeAll();
  paused = medics.filter((m) => !target.servers.includes(m));
  for (const s of paused) s.child.kill('SIGSTOP');
  let i = 0;
  const cpuBefore = cpuOf(target.servers);
  const proxyBefore = target.proxy && cpuOf([target.proxy]);
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
  const cpuAfter = cpuOf(target.servers);
  const proxyAfter = target.proxy && cpuOf([target.proxy]);
  const non2xx = result.non2xx + result.errors + result.timeouts;
  // CPU per delivery answered 200, in microseconds: the servers' (all replicas together), the proxy's apart.
  const perDelivery = (before: number | undefined, after: number | undefined) =>
    before !== undefined && after !== undefined && result['2xx'] > 0 ? ((after - before) * 1000) / result['2xx'] : undefined;
  // Deliveries answered 200 per second: a 503 (backlog full) is not a delivery taken.
  const ok = result.requests.total > 0 ? result['2xx'] / result.requests.total : 0;
  return {
    rps: result.requests.average * ok, p50: result.latency.p50, p99: result.latency.p99, sent: result.requests.total, non2xx,
    cpuUs: perDelivery(cpuBefore, cpuAfter), proxyCpuUs: perDelivery(proxyBefore, proxyAfter),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'medic-bench-'));
const schema = `bench_${process.pid}_${Date.now() % 100_000}`;
const replicaSchema = `${schema}_x${REPLICAS}`;
const schemas: string[] = [];

let cleaned: Promise<void> | undefined;
/** Stops everything started (resumed first: a stopped process does not act on SIGTERM), drops the schemas. */
function cleanUp(): Promise<void> {
  cleaned ??= (async () => {
    await stopAll();
    if (values.postgres && schemas.length > 0) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: values.postgres });
      try {
        await client.connect();
        for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      } catch (err) {
        console.error(`bench:webhook: could not drop schema(s) ${schemas.join(', ')}: ${(err as Error).message}; drop them by hand`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  })();
  return cleaned;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

try {
  // Medic as shipped (default workers, info logs to a file), with a token as in production. The backlog
  // bound is lifted: the flood queues work far faster than it drains, and this measures the durable
  // path, not the shedding (test/integration/back-pressure.test.ts).
  writeFileSync(join(dir, 'medic.yaml'), `store:\n  sqlite:\n    synchronous: ${values.synchronous}\nserver:\n  max_backlog: ${Number(values['max-backlog'])}\n`);
  const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [];
  const env = (config: string) => ({ MEDIC_WEBHOOK_TOKEN: 's3cret-token', MEDIC_CONFIG: join(dir, config) });
  const startMedic = (name: string, config: string) =>
    startServer(name, [...profile, join(repo, 'bin/medic.js'), 'serve', '--port', '0', '--data-dir', join(dir, `data-${name}`)], env(config), join(dir, `${name}.log`));
  const pgConfig = (file: string, schemaName: string) => {
    schemas.push(schemaName);
    writeFileSync(join(dir, file), `store:\n  postgres:\n    url: ${JSON.stringify(values.postgres)}\n    schema: ${schemaName}\nserver:\n  max_backlog: ${Number(values['max-backlog'])}\n`);
    return file;
  };
  const startProxy = (name: string, upstreams: Server[]) =>
    startServer(name, ['--import', 'tsx', join(repo, 'bench/round-robin-proxy.ts'), ...upstreams.flatMap((u) => ['--upstream', u.url])], {}, join(dir, `${name}.log`));

  const medic = await startMedic('medic', 'medic.yaml');
  const medicPg = values.postgres === undefined ? undefined : await startMedic('medic-pg', pgConfig('medic-pg.yaml', schema));
  // The replicas: the same configuration (one store.postgres.url and schema), each its own data
  // directory and port, started together as a rollout would (the first migrates, the others wait).
  const replicas = REPLICAS > 1 ? await (async () => {
    const config = pgConfig('medic-pg-replicas.yaml', replicaSchema);
    return Promise.all(Array.from({ length: REPLICAS }, (_, k) => startMedic(`medic-pg-${k + 1}`, config)));
  })() : [];
  const bare = await startServer('bare', ['--import', 'tsx', join(repo, 'bench/bare-endpoint.ts')], {}, join(dir, 'bare.log'));
  const bareHttp = await startServer('bare node:http', ['--import', 'tsx', join(repo, 'bench/bare-endpoint.ts'), '--http'], {}, join(dir, 'bare-http.log'));
  medics = [medic, ...(medicPg ? [medicPg] : []), ...replicas];

  const single = (s: Server): Target => ({ name: s.name, url: s.url, servers: [s] });
  const targets: Target[] = [single(bare), single(medic), single(bareHttp), ...(medicPg ? [single(medicPg)] : [])];
  const VIA_PROXY = 'medic-pg via proxy';
  const SCALED = `medic-pg ×${REPLICAS} (round-robin)`;
  if (medicPg && replicas.length > 0) {
    const proxyOne = await startProxy('proxy-1', [medicPg]);
    const proxyN = await startProxy(`proxy-${REPLICAS}`, replicas);
    targets.push({ name: VIA_PROXY, url: proxyOne.url, servers: [medicPg], proxy: proxyOne });
    targets.push({ name: SCALED, url: proxyN.url, servers: replicas, proxy: proxyN });
  }
  const width = Math.max(...targets.map((t) => t.name.length));

  console.log(`bench:webhook: store.sqlite.synchronous ${values.synchronous}${medicPg ? `, and PostgreSQL (schema ${schema})` : ''}${replicas.length > 0 ? `, and ${REPLICAS} replicas on schema ${replicaSchema} behind a round-robin proxy` : ''}, ${CONNECTIONS} connections, ${SECONDS}s per measurement, ${ROUNDS} alternating rounds; deliveries of 1-20 alerts, 20% repeats`);
  const cpuText = (r: { cpuUs?: number; proxyCpuUs?: number }) =>
    (r.cpuUs === undefined ? '' : `  server CPU ${r.cpuUs.toFixed(0)} us/delivery`) + (r.proxyCpuUs === undefined ? '' : ` + proxy ${r.proxyCpuUs.toFixed(0)} us`);
  // Medic's own figures, from its /metrics.
  async function medicSample(prefix: string, target: Server = medic): Promise<number> {
    const exposition = await (await fetch(`${target.url}/metrics`)).text();
    return exposition.split('\n').filter((l) => l.startsWith(prefix)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  // The fixed rate first, on a fresh Medic: its steady state, where recording the alerts as incidents and
  // work keeps up between deliveries (so its CPU figure is a delivery's whole cost); then the saturated
  // rounds, a burst that Medic answers first and records after.
  console.log(`fixed rate: ${RATE} deliveries/s for ${SECONDS}s each`);
  const fixed: Record<string, Awaited<ReturnType<typeof load>>> = {};
  // Each target its own alerts (the salt names it by its place: names hold spaces), so none is a repeat
  // of another target's, even where two targets share a store (medic-pg direct and via the proxy).
  for (const target of targets) {
    fixed[target.name] = await load(target, deliveries(20_000, `f${targets.indexOf(target)}`), RATE);
    const r = fixed[target.name]!;
    console.log(`  ${target.name.padEnd(width)} ${r.rps.toFixed(0).padStart(6)} deliveries/s  p50 ${r.p50} ms  p99 ${r.p99} ms  (non-2xx/errors ${r.non2xx})${cpuText(r)}`);
  }
  resumeAll();
  const waitingAfterFixed = await medicSample('medic_alerts_waiting');
  console.log(`  alerts answered but not yet recorded when the fixed rate ended: ${waitingAfterFixed}`);

  const rounds: Record<string, number>[] = [];
  const cpuPerDelivery: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  const proxyCpuPerDelivery: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  const cpuRatios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rps: Record<string, number> = {};
    for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
      const r = await load(target, deliveries(20_000, `r${round}t${targets.indexOf(target)}`));
      rps[target.name] = r.rps;
      if (r.cpuUs !== undefined) cpuPerDelivery[target.name]!.push(r.cpuUs);
      if (r.proxyCpuUs !== undefined) proxyCpuPerDelivery[target.name]!.push(r.proxyCpuUs);
      console.log(`  round ${round + 1} ${target.name.padEnd(width)} ${r.rps.toFixed(0).padStart(6)} deliveries/s  p50 ${r.p50} ms  p99 ${r.p99} ms  (non-2xx/errors ${r.non2xx})${cpuText(r)}`);
    }
    rounds.push(rps);
    const [m, b] = [cpuPerDelivery.medic!.at(-1), cpuPerDelivery.bare!.at(-1)];
    if (cpuPerDelivery.medic!.length === round + 1 && cpuPerDelivery.bare!.length === round + 1) cpuRatios.push(m! / b!);
  }
  cpuRatios.sort((a, b) => a - b);

  console.log('\nsummary');
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const medianOf = (xs: number[]) => (xs.length % 2 ? xs[Math.floor(xs.length / 2)]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2);
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  /** a / b per round (measured side by side), and their median; undefined without rounds or targets. */
  const perRound = (a: string, b: string) => {
    const xs = rounds.filter((r) => r[a] !== undefined && r[b] !== undefined).map((r) => r[a]! / r[b]!);
    return xs.length === 0 ? undefined : { text: sorted(xs).map(pct).join(', '), median: medianOf(sorted(xs)) };
  };
  const ratioLine = (label: string, a: string, b: string, note = '') => {
    const r = perRound(a, b);
    if (r) console.log(`  saturated throughput, ${label}, per round: ${r.text}; median ${pct(r.median)}${note}`);
  };
  ratioLine('medic / bare', 'medic', 'bare', ' (target >= 80%)');
  ratioLine('medic / bare node:http (no framework at all)', 'medic', 'bare node:http');
  ratioLine('medic on PostgreSQL / medic on SQLite', 'medic-pg', 'medic');
  if (replicas.length > 0) {
    ratioLine(`medic on PostgreSQL via the proxy / direct (the proxy's own cost)`, VIA_PROXY, 'medic-pg');
    ratioLine(`${REPLICAS} replicas via the proxy / one replica via the proxy (the scaling, proxy on both sides)`, SCALED, VIA_PROXY);
    ratioLine(`${REPLICAS} replicas via the proxy / medic on PostgreSQL direct`, SCALED, 'medic-pg');
    ratioLine(`${REPLICAS} replicas via the proxy / medic on SQLite`, SCALED, 'medic');
  }
  const medianUs = (xs: number[] | undefined) => (xs && xs.length > 0 ? medianOf(sorted(xs)).toFixed(0) : '?');
  if (cpuRatios.length > 0) {
    const us = (name: string) => medianUs(cpuPerDelivery[name]);
    console.log(`  server CPU per delivery answered (all threads, during the rounds): medic ${us('medic')} us, bare ${us('bare')} us; medic / bare per round ${cpuRatios.map((x) => x.toFixed(2)).join(', ')}, median ${medianOf(cpuRatios).toFixed(2)}x`);
    if (medicPg) console.log(`  medic on PostgreSQL ${us('medic-pg')} us${replicas.length > 0 ? `; ${REPLICAS} replicas together ${us(SCALED)} us; the proxy ${medianUs(proxyCpuPerDelivery[VIA_PROXY])} us in front of one, ${medianUs(proxyCpuPerDelivery[SCALED])} us in front of ${REPLICAS} (PostgreSQL's own CPU in none)` : ' (PostgreSQL\'s own CPU not included)'}`);
    console.log(`  (recording the alerts as incidents and work is deferred past the rounds, so it is not in medic's figure)`);
  }
  console.log(`  at ${RATE}/s offered: medic served ${fixed.medic!.rps.toFixed(0)}/s = ${pct(fixed.medic!.rps / fixed.bare!.rps)} of bare's ${fixed.bare!.rps.toFixed(0)}/s`);
  console.log(`  at ${RATE}/s: medic p50 ${fixed.medic!.p50} ms, p99 ${fixed.medic!.p99} ms (target p99 < 20 ms); bare p99 ${fixed.bare!.p99} ms`);
  for (const name of ['medic-pg', VIA_PROXY, SCALED]) {
    const f = fixed[name];
    if (f) console.log(`  at ${RATE}/s: ${name === 'medic-pg' ? 'medic on PostgreSQL' : name} served ${f.rps.toFixed(0)}/s, p50 ${f.p50} ms, p99 ${f.p99} ms`);
  }
  if (fixed.medic!.cpuUs !== undefined && fixed.bare!.cpuUs !== undefined) {
    console.log(`  at ${RATE}/s: server CPU per delivery medic ${fixed.medic!.cpuUs.toFixed(0)} us (recording included: ${waitingAfterFixed} alerts left waiting), bare ${fixed.bare!.cpuUs.toFixed(0)} us`);
  }

  resumeAll();
  // What the engine got through meanwhile: it shares the process (and the store) with the webhook.
  console.log(`  meanwhile Medic recorded ${await medicSample('medic_incidents_created_total')} incidents; ${await medicSample('medic_alerts_waiting')} alerts answered were still waiting to be recorded`);
  console.log(`  and the engine finished ${await medicSample('medic_work_processed_total')} work items (no inventory: each incident escalated)`);

  if (medicPg) console.log(`  medic on PostgreSQL recorded ${await medicSample('medic_incidents_created_total', medicPg)} incidents; ${await medicSample('medic_alerts_waiting', medicPg)} alerts still waiting`);
  if (replicas.length > 0) {
    // The counter is each process's (summed); the waiting alerts are read from the shared store (any one says).
    const created = (await Promise.all(replicas.map((r) => medicSample('medic_incidents_created_total', r)))).reduce((a, b) => a + b, 0);
    console.log(`  the ${REPLICAS} replicas recorded ${created} incidents together; ${await medicSample('medic_alerts_waiting', replicas[0]!)} alerts still waiting in their schema`);
  }
} finally {
  resumeAll();
  await cleanUp();
}
