// A simulated fleet scraped every second by a real Prometheus (Debian's), for tests that need recorded
// agent history (training). No Medic and no Alertmanager: nothing but the metric contract over time.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFleet, type Fleet } from '../fleet.ts';
import { writeFleetFiles } from '../fleet-files.ts';
import { promQuery, startPrometheus, type Daemon } from './daemons.ts';
import { freeBlock, freePort } from './ports.ts';
import { tempDir } from './temp-dir.ts';

export interface ScrapedFleet {
  dir: string;
  fleet: Fleet;
  prometheus: Daemon;
  stop(): Promise<void>;
}

/**
 * Starts `agents` simulated agents and a Prometheus scraping them (job "agents"), and resolves once every
 * agent has been scraped. `periodMs` is the simulated load cycle: long makes the load stationary.
 */
export async function startScrapedFleet(o: { agents: number; seed?: number; periodMs?: number }): Promise<ScrapedFleet> {
  const dir = tempDir('medic-scraped-');
  const fleet = await startFleet({ agents: o.agents, basePort: await freeBlock(o.agents + 1), token: 'scraped-fleet-token', seed: o.seed ?? 7, ...(o.periodMs ? { periodMs: o.periodMs } : {}) });
  let prometheus: Daemon | undefined;
  try {
    writeFleetFiles(dir, fleet.controlUrl, fleet.agents(), 'scraped-fleet-token', '127.0.0.1');
    // startPrometheus also wires Medic and Alertmanager: point both at a closed port (they stay down).
    const nobody = `127.0.0.1:${await freePort()}`;
    prometheus = await startPrometheus(dir, { targetsFile: join(dir, 'targets.json'), medicTarget: nobody, alertmanager: `http://${nobody}` });
    const deadline = Date.now() + 30_000;
    while ((await promQuery(prometheus.url, 'count(up{job="agents"} == 1)'))[0]?.value !== o.agents) {
      if (Date.now() > deadline) throw new Error(`Prometheus did not scrape all ${o.agents} agents within 30 s`);
      await sleep(250);
    }
  } catch (err) {
    await prometheus?.stop();
    await fleet.stop();
    throw err;
  }
  const daemon = prometheus;
  return {
    dir, fleet, prometheus: daemon,
    async stop() {
      await daemon.stop();
      await fleet.stop();
    },
  };
}
