// The whole stack on one machine: a simulated fleet, Medic, Debian's Alertmanager and Prometheus, wired
// together with compressed time (scrape and evaluation every second, rules' `for` and windows and
// Medic's verification and breaker timings shortened). Used by the end-to-end suite, `npm run bench:mttr`
// and `npm run demo`; follow-faults.ts drives faults through it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startFleet, type Fleet } from '../fleet.ts';
import { writeFleetFiles } from '../fleet-files.ts';
import { startAlertmanager, startPrometheus, type Daemon } from './daemons.ts';
import { writeMedicConfig } from './medic-config.ts';
import { startMedicDaemon } from './medic-daemon.ts';
import { timingSettings, type StackTiming } from './stack-timing.ts';
import { freeBlock, freePort } from './ports.ts';
import { tempDir } from './temp-dir.ts';

// Kept for importers that have not moved to ports.ts yet.

export const WEBHOOK_TOKEN = 'stack-webhook-token';
/** The header Medic's read API and webhook want from the stack. */
export const AUTH = { authorization: `Bearer ${WEBHOOK_TOKEN}` };
const AGENT_TOKEN = 'agent-token-stack';

export interface RealStack {
  /** Every daemon's configuration and data; removed by stop(). */
  dir: string;
  fleet: Fleet;
  medic: Daemon;
  alertmanager: Daemon;
  prometheus: Daemon;
  /** Stops everything, newest first, and removes `dir`. */
  stop(): Promise<void>;
}

export interface RealStackOptions {
  agents: number;
  logLevel?: string;
  seed?: number;
  /** Medic's model registry (models.registry); unset: the models shipped with Medic. */
  registry?: string;
  /** Alerts left out of Prometheus's rules, by name: a test that must see which rule caught a fault. */
  dropAlerts?: readonly string[];
  /** How fast the stack's clock runs (sim/stack/stack-timing.ts); default compressed. */
  timing?: StackTiming;
  /** The fleet guards: opened wide (default) so that many simultaneous faults heal at once, or as shipped. */
  guards?: 'open' | 'shipped';
}

export async function startRealStack(o: RealStackOptions): Promise<RealStack> {
  const dir = tempDir('medic-stack-');
  const timing = timingSettings(o.timing);
  const fleet = await startFleet({ agents: o.agents, basePort: await freeBlock(o.agents + 1), token: AGENT_TOKEN, seed: o.seed ?? 7 });
  const stopped: (() => Promise<unknown>)[] = [() => fleet.stop()];
  // Every part is stopped even when one fails to; the first failure is reported.
  const stopAll = async () => {
    const failures: unknown[] = [];
    for (const s of stopped) await s().catch((err: unknown) => failures.push(err));
    rmSync(dir, { recursive: true, force: true });
    if (failures.length) throw failures[0];
  };
  try {
    writeFleetFiles(dir, fleet.controlUrl, fleet.agents(), AGENT_TOKEN, '127.0.0.1');
    // Medic is told where Alertmanager and Prometheus will listen (for escalations, silences and its
    // queries) before they start: Alertmanager needs Medic's address first.
    const amPort = await freePort();
    const promPort = await freePort();
    const configFile = await writeMedicConfig(dir, { alertmanagerUrl: `http://127.0.0.1:${amPort}`, prometheusUrl: `http://127.0.0.1:${promPort}`, compress: timing.compress, guards: o.guards, ...(o.registry ? { registry: o.registry } : {}) });
    const medic = await startMedicDaemon({ configFile, dataDir: join(dir, 'medic-data'), webhookToken: WEBHOOK_TOKEN, logLevel: o.logLevel ?? 'info' });
    stopped.unshift(() => medic.stop());
    const alertmanager = await startAlertmanager(dir, { url: medic.url, token: WEBHOOK_TOKEN }, amPort, timing);
    stopped.unshift(() => alertmanager.stop());
    const prometheus = await startPrometheus(dir, { targetsFile: join(dir, 'targets.json'), medicTarget: medic.url.replace('http://', ''), alertmanager: alertmanager.url, port: promPort, timing, ...(o.dropAlerts ? { dropAlerts: o.dropAlerts } : {}) });
    stopped.unshift(() => prometheus.stop());
    return { dir, fleet, medic, alertmanager, prometheus, stop: stopAll };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}
