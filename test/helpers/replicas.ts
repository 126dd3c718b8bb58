// Several Medic replicas on one PostgreSQL schema, as a Kubernetes Deployment runs them, fed by an HA
// Alertmanager cluster (Debian's prometheus-alertmanager, two peers gossiping on loopback) whose one
// receiver sends every notification to every replica. Also: a proxy that holds an agent's health
// checks failing after its restart, so that a remediation can be caught between acting and verifying.
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { startDaemon, type Daemon } from '../../sim/stack/daemons.ts';
import { startMedicProcess, type MedicProcess } from '../../sim/stack/medic-process.ts';
import { freePort } from '../../sim/stack/ports.ts';
import { waitFor } from './wait.ts';

export interface Replica {
  name: string;
  medic: MedicProcess;
  url: string;
  pid: number;
}

/** Starts `n` replicas of `serve` on one configuration (and so one schema), each with its own port and data dir, all at once as a Deployment does. */
export async function startReplicas(n: number, dir: string, config: string): Promise<Replica[]> {
  const started = await Promise.allSettled(Array.from({ length: n }, async (_, i) => {
    const data = join(dir, `replica-${i}`);
    mkdirSync(data, { recursive: true });
    const port = await freePort();
    const medic = await startMedicProcess({ env: { MEDIC_CONFIG: config, MEDIC_DATA_DIR: data, MEDIC_PORT: String(port), MEDIC_LOG_LEVEL: 'info' }, timeoutMs: 90_000 });
    return { name: `replica-${i}`, medic, url: medic.url, pid: medic.child.pid! };
  }));
  const replicas = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    // One that did not start must not leave the others running.
    await Promise.all(replicas.map(stopReplica));
    throw failed.reason;
  }
  return replicas;
}

/** SIGTERM, then SIGKILL if it has not stopped within its shutdown timeout and a margin. */
export async function stopReplica(r: Replica): Promise<void> {
  if (r.medic.child.exitCode !== null || r.medic.child.signalCode !== null) return;
  r.medic.child.kill('SIGTERM');
  if (!(await Promise.race([r.medic.exited.then(() => true), sleep(15_000, false)]))) {
    r.medic.child.kill('SIGKILL');
    await r.medic.exited;
  }
}

/** The pid in a work item's claimed_by, `<host>:<pid>:<random>/<worker>` (server/app/service.ts's instance id). */
export function claimantPid(claimedBy: string | null): number | undefined {
  const m = claimedBy ? /:(\d+):[0-9a-f]+\/\d+$/.exec(claimedBy) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Two Alertmanager peers in one cluster on loopback, each with its own storage and web port, one
 * receiver with a webhook per replica. Resolves once both see each other and have settled.
 */
export async function startAlertmanagerCluster(dir: string, replicaUrls: string[], token: string): Promise<Daemon[]> {
  writeFileSync(join(dir, 'webhook-token'), token);
  writeFileSync(join(dir, 'alertmanager.yml'), stringify({
    route: { receiver: 'medic', group_by: ['alertname', 'agent'], group_wait: '1s', group_interval: '2s', repeat_interval: '1h' },
    receivers: [{
      name: 'medic',
      webhook_configs: replicaUrls.map((u) => ({
        url: `${u}/webhook/alertmanager`, send_resolved: false,
        http_config: { authorization: { type: 'Bearer', credentials_file: join(dir, 'webhook-token') } },
      })),
    }],
  }));
  const web = [await freePort(), await freePort()];
  const cluster = [await freePort(), await freePort()];
  const peers: Daemon[] = [];
  try {
    for (const i of [0, 1]) {
      const storage = join(dir, `am-${i}`);
      mkdirSync(storage, { recursive: true });
      peers.push(await startDaemon('prometheus-alertmanager', [
        `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${storage}`, `--web.listen-address=127.0.0.1:${web[i]}`,
        `--cluster.listen-address=127.0.0.1:${cluster[i]}`, `--cluster.peer=127.0.0.1:${cluster[1 - i]}`,
        // Short intervals so the peers find each other and share their notification log in a test's time;
        // a short peer timeout makes the second peer send what it has not seen the first one send.
        '--cluster.peer-timeout=1s', '--cluster.gossip-interval=100ms', '--cluster.pushpull-interval=1s',
        '--cluster.settle-timeout=5s', '--cluster.reconnect-interval=1s',
      ], `http://127.0.0.1:${web[i]}`, `alertmanager peer ${i}`));
    }
    await waitFor('both Alertmanager peers in one settled cluster', async () => {
      const states = await Promise.all(peers.map(async (p) => (await (await fetch(`${p.url}/api/v2/status`)).json()) as { cluster: { status: string; peers?: unknown[] } }));
      return states.every((s) => s.cluster.status === 'ready' && s.cluster.peers?.length === 2);
    }, 30_000, 200);
    return peers;
  } catch (err) {
    await Promise.all(peers.map((p) => p.stop()));
    throw err;
  }
}

/** Sums the samples of a counter in a Prometheus exposition whose labels contain `match` (every sample when ''). */
export function sumSamples(exposition: string, name: string, match = ''): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = line.slice(name.length, line.lastIndexOf(' '));
    if (labels.includes(match)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function metricsOf(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Deliveries not answered 200 (each sent again), counted by status and the start of the answer. */
export interface Refusals {
  count: number;
  byAnswer: Record<string, number>;
}

/**
 * POSTs each body to its URL until it is answered 200, `concurrency` at a time, as Alertmanager retries
 * a delivery that failed. Returns what was refused (and sent again); throws past the deadline.
 */
export async function deliverEach(jobs: { url: string; body: string }[], token: string, concurrency: number, deadlineMs: number): Promise<Refusals> {
  const deadline = Date.now() + deadlineMs;
  let next = 0;
  const refused: Refusals = { count: 0, byAnswer: {} };
  const sender = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      for (;;) {
        let failure = '';
        const res = await fetch(job.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: job.body })
          .catch((err: Error & { cause?: { code?: string; message?: string } }) => void (failure = `no answer: ${err.cause?.code ?? err.cause?.message ?? err.message}`));
        const text = await res?.text();
        if (res?.status === 200) break;
        refused.count++;
        const answer = res ? `${res.status} ${text?.slice(0, 160) ?? ''}` : failure;
        refused.byAnswer[answer] = (refused.byAnswer[answer] ?? 0) + 1;
        if (Date.now() > deadline) throw new Error(`a delivery to ${job.url} was not accepted within ${deadlineMs} ms (last: ${res?.status ?? 'no answer'})`);
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return refused;
}

/** Fisher-Yates with a seeded generator, so that a failing order can be run again. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface HealthHold {
  /** The agent's admin API through the hold: what the inventory points at. */
  url: string;
  /** Health checks answered "failing" so far. */
  held(): number;
  /** Restart requests the agent accepted through the hold (a resumed one sends its request id again). */
  restarts(): number;
  /** From now on health passes through. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A pass-through to one agent's admin API (`upstream`, ending in /admin) that, once a restart has
 * been accepted, answers every health check 503 "failing" (with the agent's real boot id) until
 * released: the restart is applied, its verification cannot finish, and the remediation is mid-way
 * for as long as the test needs.
 */
export async function startHealthHold(upstream: string): Promise<HealthHold> {
  let restarts = 0;
  let held = 0;
  let released = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void (async () => {
      try {
        const body = Buffer.concat(chunks);
        const headers: Record<string, string> = {};
        for (const h of ['authorization', 'content-type']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
        const up = await fetch(`${upstream}${req.url}`, { method: req.method, headers, body: body.length ? body : undefined });
        let text = await up.text();
        let status = up.status;
        if (req.method === 'POST' && req.url === '/restart' && status === 202) restarts++;
        if (req.method === 'GET' && req.url === '/health' && restarts > 0 && !released) {
          held++;
          status = 503;
          text = JSON.stringify({ ...(JSON.parse(text) as object), status: 'failing', reason: 'held failing by the test' });
        }
        res.writeHead(status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      } catch (err) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(err) }));
      }
    })());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    held: () => held,
    restarts: () => restarts,
    release: () => void (released = true),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
