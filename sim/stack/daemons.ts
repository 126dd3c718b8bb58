// The stack's daemons: Debian's prometheus and prometheus-alertmanager (and Medic, see medic-daemon.ts),
// each started on a free loopback port with its own temporary configuration and data, ready when it
// answers, and stopped for good afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { REPO } from './medic-process.ts';
import { freePort } from './ports.ts';
import { timingSettings, type TimingSettings } from './stack-timing.ts';

export interface Daemon {
  url: string;
  child: ChildProcess;
  /** What it printed (the most recent megabyte), for failure messages. */
  log: () => string;
  /** SIGTERM, then SIGKILL if it has not exited within its grace period. */
  stop(): Promise<void>;
}

export interface DaemonOptions {
  /** Answers 2xx once the daemon is ready (default /-/ready, as Prometheus and Alertmanager have). */
  readyPath?: string;
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How long a SIGTERM may take before SIGKILL (default 10 s). */
  stopGraceMs?: number;
}

const KEPT_LOG = 1_000_000;

/** Starts `cmd` and resolves once `url` + readyPath answers; rejects with its output if it exits or is not ready in 30 s. */
export async function startDaemon(cmd: string, args: string[], url: string, what: string, o: DaemonOptions = {}): Promise<Daemon> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: o.env ?? process.env, cwd: o.cwd });
  let log = '';
  const keep = (d: Buffer) => {
    log += d;
    if (log.length > 2 * KEPT_LOG) log = log.slice(-KEPT_LOG);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = once(child, 'exit');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited with ${child.exitCode ?? child.signalCode}:\n${log.slice(-2000)}`);
    try {
      if ((await fetch(`${url}${o.readyPath ?? '/-/ready'}`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${what} was not ready within 30 s:\n${log.slice(-2000)}`);
    }
    await sleep(100);
  }
  return {
    url,
    child,
    log: () => log.slice(-KEPT_LOG),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(o.stopGraceMs ?? 10_000, false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/**
 * The repository's rules with time compressed for a test: `for` and range windows shortened so that a
 * fault is detected in seconds (scrape and evaluation every second). The expressions stay the same.
 */
export function compressRules(text: string): string {
  const FOR: Record<string, string> = { '30s': '3s', '1m': '4s', '2m': '6s', '5m': '10s' };
  // Range windows shrink by the factor `for: 1m` does (15x): a 10 s window over a 4 s `for` made
  // detection wait for the window to fill, not for the pipeline.
  const RANGE: Record<string, string> = { '1m': '4s', '5m': '20s', '10m': '40s' };
  return text
    .replace(/^(\s*for: )(\S+)$/gm, (_, p: string, d: string) => `${p}${FOR[d] ?? d}`)
    .replace(/\[(\d+m)\]/g, (m, d: string) => `[${RANGE[d] ?? d}]`);
}

/** A rules file without the named alerts (recording rules and every other alert kept). */
export function withoutAlerts(text: string, names: readonly string[]): string {
  const doc = parse(text) as { groups: { rules: { alert?: string }[] }[] };
  for (const g of doc.groups) g.rules = g.rules.filter((r) => !r.alert || !names.includes(r.alert));
  return stringify(doc);
}

export async function startAlertmanager(dir: string, medic: { url: string; token: string }, listenPort?: number, timing: TimingSettings = timingSettings()): Promise<Daemon> {
  const port = listenPort ?? (await freePort());
  mkdirSync(join(dir, 'am-data'), { recursive: true });
  const shipped = parse(readFileSync(join(REPO, 'deploy/alertmanager/alertmanager.yml'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'medic-token'), medic.token);
  // The shipped inhibitions and grouping; the intervals as the timing says and Medic's real address.
  const config = {
    route: {
      receiver: 'medic', group_by: ['alertname', 'agent'], group_wait: timing.groupWait, group_interval: timing.groupInterval, repeat_interval: '1h',
      routes: [{ matchers: ['alertname=~"Medic.*"'], receiver: 'void' }],
    },
    receivers: [
      {
        name: 'medic',
        webhook_configs: [{
          url: `${medic.url}/webhook/alertmanager`, send_resolved: true,
          http_config: { authorization: { type: 'Bearer', credentials_file: join(dir, 'medic-token') } },
        }],
      },
      { name: 'void' },
    ],
    inhibit_rules: shipped.inhibit_rules,
  };
  writeFileSync(join(dir, 'alertmanager.yml'), stringify(config));
  return startDaemon('prometheus-alertmanager', [
    `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am-data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
  ], `http://127.0.0.1:${port}`, 'alertmanager');
}

export async function startPrometheus(dir: string, o: { targetsFile: string; medicTarget: string; alertmanager: string; port?: number; dropAlerts?: readonly string[]; timing?: TimingSettings }): Promise<Daemon> {
  const timing = o.timing ?? timingSettings();
  const port = o.port ?? (await freePort());
  mkdirSync(join(dir, 'prom-data'), { recursive: true });
  const rules: string[] = [];
  for (const f of readdirSync(join(REPO, 'rules')).filter((n) => n.endsWith('.rules.yml'))) {
    const text = readFileSync(join(REPO, 'rules', f), 'utf8');
    const compressed = timing.compress ? compressRules(text) : text;
    writeFileSync(join(dir, f), o.dropAlerts?.length ? withoutAlerts(compressed, o.dropAlerts) : compressed);
    rules.push(join(dir, f));
  }
  writeFileSync(join(dir, 'prometheus.yml'), stringify({
    global: { scrape_interval: timing.scrapeInterval, scrape_timeout: timing.scrapeTimeout, evaluation_interval: timing.evaluationInterval },
    rule_files: rules,
    alerting: { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager.replace(/^http:\/\//, '')] }] }] },
    scrape_configs: [
      { job_name: 'agents', file_sd_configs: [{ files: [o.targetsFile], refresh_interval: '5s' }] },
      { job_name: 'medic', static_configs: [{ targets: [o.medicTarget] }] },
    ],
  }));
  return startDaemon('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'prom-data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h',
  ], `http://127.0.0.1:${port}`, 'prometheus');
}

/** An instant query's samples: labels and value. */
export async function promQuery(prometheus: string, expr: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const res = await fetch(`${prometheus}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}
