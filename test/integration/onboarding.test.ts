// Onboarding as the README tells a new user: the shipped deploy/prometheus/prometheus.yml and
// deploy/alertmanager/alertmanager.yml, changed only on the lines marked CHANGE (addresses and the
// targets file), run by Debian's Prometheus and Alertmanager at their real (uncompressed) timings in
// front of `medic serve` with the inventory of a simulated fleet. An agent that crashes is found down,
// alerted, delivered and restarted, with nothing else configured.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serveFleet, type ServedFleet } from '../../sim/serve-fleet.ts';
import { promQuery, startDaemon, type Daemon } from '../../sim/stack/daemons.ts';
import { freeBlock, freePort } from '../../sim/stack/ports.ts';
import { REPO } from '../../deploy/generate.ts';
import { startTestService, tempDir, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

/** Replaces `from` on the one line holding it, which must be a line the file marks `# CHANGE`. */
function change(text: string, from: string, to: string): string {
  const lines = text.split('\n');
  // Comments may name the defaults too: only settings count.
  const at = lines.flatMap((l, i) => (!l.trimStart().startsWith('#') && l.includes(from) ? [i] : []));
  assert.equal(at.length, 1, `exactly one setting holds ${from}`);
  assert.match(lines[at[0]!]!, /# CHANGE/, `the line with ${from} is one the file says to change`);
  lines[at[0]!] = lines[at[0]!]!.replace(from, to);
  return lines.join('\n');
}

describe('onboarding an existing Prometheus and Alertmanager with the shipped example files', { timeout: 300_000 }, () => {
  const dir = tempDir('medic-onboard-');
  let fleet: ServedFleet;
  let medic: TestService;
  const daemons: Daemon[] = [];

  before(async () => {
    fleet = await serveFleet({ agents: 3, basePort: await freeBlock(4), host: '127.0.0.1', seed: 5, out: join(dir, 'fleet'), scenario: [], onStepError: (err) => { throw err; } });
    const [amPort, promPort] = [await freePort(), await freePort()];
    medic = await startTestService({
      flags: { inventory: join(dir, 'fleet', 'inventory.yaml'), prometheusUrl: `http://127.0.0.1:${promPort}`, alertmanagerUrl: `http://127.0.0.1:${amPort}` },
      env: { MEDIC_LOG_LEVEL: 'info' },
    });
    const medicAddress = medic.url.replace('http://', '');
    // The layout of the repository, so that the rule_files' relative paths hold as shipped.
    mkdirSync(join(dir, 'deploy', 'prometheus'), { recursive: true });
    mkdirSync(join(dir, 'deploy', 'alertmanager'), { recursive: true });
    symlinkSync(join(REPO, 'rules'), join(dir, 'rules'));
    let prom = readFileSync(join(REPO, 'deploy/prometheus/prometheus.yml'), 'utf8');
    prom = change(prom, '127.0.0.1:9093', `127.0.0.1:${amPort}`);
    prom = change(prom, "'agents.targets.json'", `'${join(dir, 'fleet', 'targets.json')}'`);
    prom = change(prom, '127.0.0.1:9095', medicAddress);
    writeFileSync(join(dir, 'deploy/prometheus/prometheus.yml'), prom);
    const am = change(readFileSync(join(REPO, 'deploy/alertmanager/alertmanager.yml'), 'utf8'), 'http://127.0.0.1:9095/', `${medic.url}/`);
    writeFileSync(join(dir, 'deploy/alertmanager/alertmanager.yml'), am);
    daemons.push(await startDaemon('prometheus-alertmanager', [
      `--config.file=${join(dir, 'deploy/alertmanager/alertmanager.yml')}`, `--storage.path=${join(dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=',
    ], `http://127.0.0.1:${amPort}`, 'alertmanager'));
    daemons.push(await startDaemon('prometheus', [
      `--config.file=${join(dir, 'deploy/prometheus/prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--storage.tsdb.retention.time=1h',
    ], `http://127.0.0.1:${promPort}`, 'prometheus'));
  });

  after(async () => {
    for (const d of daemons.reverse()) await d.stop().catch(() => undefined);
    await medic?.dispose();
    await fleet?.stop();
  });

  it('scrapes the agents and Medic, and a crashed agent is alerted, delivered to Medic and restarted', async () => {
    const prometheus = daemons[1]!.url;
    await waitFor('the agents and Medic scraped up', async () => (await promQuery(prometheus, 'sum(up)'))[0]?.value === 4, 60_000, 500);
    const [victim] = fleet.fleet.agents();
    fleet.fleet.inject({ agent: victim!.id, kind: 'crash' });
    const incident = await waitFor('AgentDown delivered to Medic', async () => {
      const page = await medic.store.listIncidents({ agent: victim!.id, alertname: 'AgentDown' }, { limit: 5 });
      return page.items[0];
    }, 150_000, 250);
    assert.equal(incident.labels.agent_type, victim!.type, 'the target labels of the file_sd file reach the incident');
    const restart = await waitFor('the restart verified', async () => {
      const detail = await medic.store.getIncident(incident.id);
      return detail?.attempts.find((a) => a.strategy === 'restart' && a.outcome === 'succeeded');
    }, 120_000, 250);
    assert.equal(restart.target, victim!.id);
  });
});
