// Reproduces the shipped models (models/registry): runs a healthy simulated fleet (`medic sim`) scraped
// every second by a real Prometheus (Debian's `prometheus` on loopback), records its history for a
// while, then trains on it through the ordinary command line, `medic train anomaly --prometheus ...
// --promote`, and tears everything down. Run from the repository root:
//
//   node --import tsx training/record-sim-history.ts [--agents 60] [--minutes 40] [--registry DIR]
//        [--step 5s] [--rate-window 30s] [--work DIR] [-- more flags for medic train anomaly]
//
// Forty minutes are four periods of the simulator's load cycle (10 minutes), so the held-out last 20%
// falls on a phase the training part has seen, and each type's six agents show enough of their range
// (with 20 minutes, five types' last minutes drifted past what the first sixteen showed and failed the
// gate). The data is healthy by construction: no fault is injected.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseDurationMs } from '../lib/units.ts';
import { SHIPPED_REGISTRY } from './registry-location.ts';

const MEDIC = fileURLToPath(new URL('../bin/medic.js', import.meta.url));

async function main(): Promise<number> {
  const dashdash = process.argv.indexOf('--');
  const own = dashdash >= 0 ? process.argv.slice(2, dashdash) : process.argv.slice(2);
  const extra = dashdash >= 0 ? process.argv.slice(dashdash + 1) : [];
  const { values } = parseArgs({
    args: own,
    options: {
      agents: { type: 'string', default: '60' }, minutes: { type: 'string', default: '40' }, registry: { type: 'string', default: SHIPPED_REGISTRY },
      step: { type: 'string', default: '5s' }, 'rate-window': { type: 'string', default: '30s' }, work: { type: 'string' }, seed: { type: 'string', default: '42' },
    },
  });
  const agents = Number(values.agents);
  const minutes = Number(values.minutes);
  if (!(Number.isInteger(agents) && agents >= 1) || !(minutes > 0)) {
    console.error(`--agents must be a positive integer and --minutes positive, but were ${values.agents} and ${values.minutes}`);
    return 2;
  }
  const work = values.work ? resolve(values.work) : mkdtempSync(join(tmpdir(), 'medic-record-'));
  mkdirSync(work, { recursive: true });
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const basePort = await freeBlock(agents + 1);
    const fleetDir = join(work, 'fleet');
    log(`starting ${agents} simulated agents on ports ${basePort}..${basePort + agents} (work dir ${work})`);
    children.push(spawnLogged(process.execPath, [MEDIC, 'sim', '--agents', String(agents), '--base-port', String(basePort), '--out', fleetDir, '--seed', values.seed!], join(work, 'sim.log')));
    await waitUntil('the fleet writes its targets', () => existsSync(join(fleetDir, 'fleet.json')), 30_000);

    const promPort = await freePort();
    const prometheus = `http://127.0.0.1:${promPort}`;
    writeFileSync(join(work, 'prometheus.yml'), stringify({
      global: { scrape_interval: '1s', scrape_timeout: '800ms', evaluation_interval: '1s' },
      scrape_configs: [{ job_name: 'agents', file_sd_configs: [{ files: [join(fleetDir, 'targets.json')], refresh_interval: '5s' }] }],
    }));
    children.push(spawnLogged('prometheus', [
      `--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'prom-data')}`, `--web.listen-address=127.0.0.1:${promPort}`,
    ], join(work, 'prometheus.log')));
    await waitUntil('Prometheus is ready', async () => (await fetch(`${prometheus}/-/ready`).catch(() => undefined))?.ok === true, 30_000);
    await waitUntil(`Prometheus scrapes all ${agents} agents`, async () => (await instant(prometheus, 'count(up{job="agents"} == 1)')) === agents, 60_000);
    // The first rate() windows are incomplete: start recording once one rate window of data exists.
    await sleep(parseDurationMs(values['rate-window']!) ?? 30_000);
    const from = new Date();
    log(`recording from ${from.toISOString()} for ${minutes} min (Prometheus ${prometheus}, scrape every 1 s)`);
    const until = from.getTime() + minutes * 60_000;
    while (Date.now() < until) {
      await sleep(Math.min(60_000, until - Date.now()));
      log(`recorded ${((Date.now() - from.getTime()) / 60_000).toFixed(1)} of ${minutes} min`);
    }
    const to = new Date();
    const train = [
      MEDIC, 'train', 'anomaly', '--prometheus', prometheus, '--from', from.toISOString(), '--to', to.toISOString(),
      '--step', values.step!, '--rate-window', values['rate-window']!, '--selector', '{job="agents"}', '--registry', resolve(values.registry!), '--promote', ...extra,
    ];
    log(`node ${train.map((a) => (/[\s{}"*]/.test(a) ? `'${a}'` : a)).join(' ')}`);
    const child = spawn(process.execPath, train, { stdio: 'inherit' });
    const [code] = (await once(child, 'exit')) as [number | null];
    return code ?? 1;
  } finally {
    await stopAll();
    if (!values.work) rmSync(work, { recursive: true, force: true });
  }
}

function spawnLogged(cmd: string, args: string[], file: string): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const keep = (d: Buffer) => {
    text += d;
    writeFileSync(file, text.slice(-200_000));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

async function instant(prometheus: string, expr: string): Promise<number | undefined> {
  const res = await fetch(`${prometheus}/api/v1/query?${new URLSearchParams({ query: expr })}`).catch(() => undefined);
  const body = (await res?.json().catch(() => undefined)) as { data?: { result?: { value: [number, string] }[] } } | undefined;
  const v = body?.data?.result?.[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting until ${what} (${timeoutMs / 1000} s)`);
    await sleep(250);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}

async function freeBlock(size: number): Promise<number> {
  const free = (port: number) => new Promise<boolean>((ok) => {
    const s = createServer();
    s.once('error', () => ok(false));
    s.listen(port, '127.0.0.1', () => s.close(() => ok(true)));
  });
  for (let tries = 0; tries < 20; tries++) {
    const base = 30_000 + Math.floor(Math.random() * 20_000);
    if ((await Promise.all(Array.from({ length: size }, (_, i) => free(base + i)))).every(Boolean)) return base;
  }
  throw new Error(`no block of ${size} free loopback ports found`);
}

function log(line: string): void {
  console.error(`[record-sim-history] ${line}`);
}

process.exitCode = await main();
