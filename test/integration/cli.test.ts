// The `medic` command as an operator meets it: npm start on defaults, help, config errors, refusals.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { firingDelivery, loadDelivery, replayHeaders } from '../helpers/fixtures.ts';
import { isAlive, runMedic, startMedicProcess } from '../../sim/stack/medic-process.ts';
import { getJson, postJson, tempDir } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';


describe('medic command', () => {
  it('npm start serves on defaults with no config file; a recorded delivery lands in the API; SIGTERM stops it gracefully', async () => {
    const dataDir = tempDir('medic-npm-start-');
    const medic = await startMedicProcess({ command: ['npm', 'start', '--silent'], env: { MEDIC_DATA_DIR: dataDir }, group: true });
    const medicPid = Number(medic.logs.find((l) => l.msg === 'medic is serving')?.pid);
    try {
      assert.equal(medic.logs.find((l) => l.msg === 'configuration loaded')?.config, 'defaults');
      const d = loadDelivery('firing-agent-down');
      const r = await postJson(`${medic.url}/webhook/alertmanager`, d.body, replayHeaders(d));
      assert.equal(r.status, 200);
      const list = await getJson(`${medic.url}/api/incidents`);
      assert.equal(list.body.items[0].fingerprint, 'c6cd2679d1bf3925');
    } finally {
      // As a terminal or a container runtime does: the whole process group (npm, sh, node).
      process.kill(-medic.child.pid!, 'SIGTERM');
    }
    await medic.exited;
    await waitFor('medic to exit', () => !isAlive(medicPid));
    assert.ok(medic.logs.some((l) => l.msg === 'stopped'), 'logs that it stopped gracefully');
  });

  it('on SIGINT returns work still running at shutdown_timeout to the queue and exits 0; the next start runs it', { timeout: 60_000 }, async () => {
    const dataDir = tempDir('medic-cli-');
    const slow = join(dataDir, 'slow.yaml');
    writeFileSync(slow, 'server:\n  shutdown_timeout: 200ms\nworkers:\n  handler: dry-run\n  dry_run_delay: 30s\n');
    const first = await startMedicProcess({ env: { MEDIC_DATA_DIR: dataDir, MEDIC_CONFIG: slow } });
    const r = await postJson(`${first.url}/webhook/alertmanager`, firingDelivery('shutdown00000001', 'crewai-9'));
    const id = r.body.created[0];
    await waitFor('the work to run', async () => (await getJson(`${first.url}/api/incidents/${id}`)).body.work[0].state === 'running');
    const signalled = Date.now();
    first.child.kill('SIGINT');
    assert.deepEqual(await first.exited, { code: 0, signal: null });
    assert.ok(Date.now() - signalled < 5000, 'the shutdown timeout bounds the wait');
    assert.ok(first.logs.some((l) => l.msg === 'work interrupted by shutdown; returned to the queue'));

    const fast = join(dataDir, 'fast.yaml');
    writeFileSync(fast, 'workers:\n  handler: dry-run\n');
    const second = await startMedicProcess({ env: { MEDIC_DATA_DIR: dataDir, MEDIC_CONFIG: fast } });
    try {
      const work = await waitFor('the work to finish after the restart', async () => {
        const w = (await getJson(`${second.url}/api/incidents/${id}`)).body.work[0];
        return w.state === 'done' ? w : undefined;
      });
      assert.equal(work.attempts, 1, 'the interrupted run did not count as an attempt');
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('prints help for the command and for serve', async () => {
    const main = await runMedic(['--help']);
    assert.equal(main.code, 0);
    assert.match(main.stdout, /serve .*Run the service/);
    assert.match(main.stdout, /config check/);
    const serve = await runMedic(['serve', '--help']);
    assert.equal(serve.code, 0);
    for (const flag of ['--host', '--port', '--data-dir', '--config', '--insecure', 'MEDIC_WEBHOOK_TOKEN_FILE']) assert.ok(serve.stdout.includes(flag), flag);
  });

  it('exits 2 with a pointer to --help on an unknown command or flag', async () => {
    const unknown = await runMedic(['heal-everything']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "heal-everything"\nRun 'medic --help'/);
    const flag = await runMedic(['serve', '--prot', '1']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--prot/);
  });

  it('refuses an invalid configuration naming the file, field, rule and value', async () => {
    const dir = tempDir('medic-cli-');
    const file = join(dir, 'medic.yaml');
    writeFileSync(file, 'server:\n  port: 70000\nworkers:\n  concurency: 2\n');
    for (const command of [['serve', '--config', file], ['config', 'check', '--config', file]]) {
      const r = await runMedic(command);
      assert.equal(r.code, 2, command.join(' '));
      assert.ok(r.stderr.includes(`${file}: server.port must be <= 65535, but was 70000`), r.stderr);
      assert.ok(r.stderr.includes('workers.concurency is not a known setting'), r.stderr);
    }
  });

  it('refuses an invalid inventory at boot, naming the file, field and value', async () => {
    const dir = tempDir('medic-cli-');
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(inventory, 'agents:\n  - { id: crewai-7, type: crewai, driver: ssh }\n');
    for (const command of [['serve', '--inventory', inventory, '--data-dir', dir], ['config', 'check', '--inventory', inventory]]) {
      const r = await runMedic(command, { cwd: dir });
      assert.equal(r.code, 2, `${command.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${inventory}: agents\\[0\\]\\.driver must be one of "http", "process", "kubernetes", "dry-run", but was "ssh"`));
    }
  });

  it('refuses PromQL verification without a Prometheus to ask', async () => {
    const dir = tempDir('medic-cli-');
    writeFileSync(join(dir, 'rules.yaml'), 'rules:\n  - name: r\n    ladder: [restart]\n    verify: { promql: "up == 1" }\n');
    writeFileSync(join(dir, 'medic.yaml'), 'remediation:\n  rules: rules.yaml\n');
    const r = await runMedic(['serve', '--port', '0'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /rules r verify with PromQL: set --prometheus-url/);
  });

  it('prints the shipped policies and rules', async () => {
    const r = await runMedic(['config', 'defaults']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /critical_agents:\n    agent_types: \[autogpt, crewai, bigagi\]/);
    assert.match(r.stdout, /- name: severe-error-rate/);
  });

  it('prints the effective configuration with the token redacted', async () => {
    const r = await runMedic(['config', 'check'], { env: { MEDIC_WEBHOOK_TOKEN: 'hunter2' }, cwd: tempDir('medic-cli-') });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /configuration is valid/);
    assert.doesNotMatch(r.stdout, /hunter2/);
  });

  it('refuses to listen beyond loopback without credentials, saying how to set them', async () => {
    const r = await runMedic(['serve', '--host', '0.0.0.0', '--data-dir', tempDir('medic-cli-')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without webhook credentials/);
    assert.match(r.stderr, /MEDIC_WEBHOOK_TOKEN/);
    assert.match(r.stderr, /--insecure/);
  });

  it('refuses a second medic on a data directory in use', async () => {
    const dataDir = tempDir('medic-cli-');
    const first = await startMedicProcess({ env: { MEDIC_DATA_DIR: dataDir } });
    try {
      const second = await runMedic(['serve', '--port', '0', '--data-dir', dataDir]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`another Medic \\(pid ${first.child.pid}\\) is using the data directory`));
    } finally {
      first.child.kill('SIGTERM');
    }
    assert.deepEqual(await first.exited, { code: 0, signal: null }, 'SIGTERM ends medic serve with exit code 0');
  });
});
