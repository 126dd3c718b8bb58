// The `medic` command as an operator meets it: npm start on defaults, help, config errors, refusals.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commandPaths, type CommandSpec } from '../../cli/args.ts';
import { medicCommand } from '../../cli/main.ts';
import { firingDelivery, loadDelivery, replayHeaders } from '../helpers/fixtures.ts';
import { isAlive, MEDIC_BIN, REPO, runMedic, startMedicProcess } from '../../sim/stack/medic-process.ts';
import { deliver, getJson, tempDir } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

/** Every command and subcommand an operator can type; the first test keeps it equal to the command table. */
const EVERY_COMMAND = [
  [], ['serve'], ['config'], ['config', 'check'], ['config', 'defaults'],
  ['sim'], ['sim', 'fault'], ['sim', 'clear'], ['sim', 'status'],
  ['anomaly'], ['anomaly', 'evaluate'], ['anomaly', 'score'],
  ['failure'], ['failure', 'evaluate'], ['failure', 'score'],
  ['train'], ['train', 'anomaly'], ['train', 'failure'], ['train', 'nightly'],
  ['models'], ['models', 'list'], ['models', 'show'], ['models', 'promote'], ['models', 'rollback'],
  ['replay'], ['version'], ['help'],
];

/** Runs `medic ARGS`, closes its stdout after the first chunk as `| head -1` does, and waits for the exit. */
function runMedicIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MEDIC_BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('every medic command and subcommand', { concurrency: 3 }, () => {
  it('the table below lists exactly the commands of the command table', () => {
    assert.deepEqual(EVERY_COMMAND.slice(1).map((p) => p.join(' ')), commandPaths(medicCommand).map((p) => p.join(' ')));
  });

  for (const path of EVERY_COMMAND) {
    it(`medic ${[...path, '--help'].join(' ')} prints its usage on stdout and exits 0`, async () => {
      const r = await runMedic([...path, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage:/m);
      assert.equal(r.stderr, '');
    });
  }

  it('each command loaded on demand agrees with the stub that lists it in the top-level help', async () => {
    const stubs = (spec: CommandSpec): CommandSpec[] => (spec.subcommands ?? []).flatMap((s) => [...(s.load ? [s] : []), ...stubs(s)]);
    const shape = (spec: CommandSpec) => ({ name: spec.name, summary: spec.summary, subcommands: spec.subcommands?.map((s) => ({ name: s.name, summary: s.summary, args: s.args })) });
    const loadable = stubs(medicCommand);
    assert.deepEqual(loadable.map((s) => s.name), ['sim', 'anomaly', 'failure', 'train', 'models', 'replay']);
    for (const stub of loadable) assert.deepEqual(shape(stub), shape(await stub.load!()), stub.name);
  });
});


describe('medic command', () => {
  it('npm start serves on defaults with no config file; a recorded delivery lands in the API; SIGTERM stops it gracefully', async () => {
    const dataDir = tempDir('medic-npm-start-');
    const medic = await startMedicProcess({ command: ['npm', 'start', '--silent'], env: { MEDIC_DATA_DIR: dataDir }, group: true });
    const medicPid = Number(medic.logs.find((l) => l.msg === 'medic is serving')?.pid);
    try {
      assert.equal(medic.logs.find((l) => l.msg === 'configuration loaded')?.config, 'defaults');
      const d = loadDelivery('firing-agent-down');
      const r = await deliver(`${medic.url}/webhook/alertmanager`, d.body, replayHeaders(d));
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
    const r = await deliver(`${first.url}/webhook/alertmanager`, firingDelivery('shutdown00000001', 'crewai-9'));
    const id = r.recorded.created[0];
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

  it('medic help COMMAND prints what COMMAND --help prints; version --help is help, not the version', async () => {
    const viaHelp = await runMedic(['help', 'models', 'show']);
    const viaFlag = await runMedic(['models', 'show', '--help']);
    assert.equal(viaHelp.code, 0);
    assert.equal(viaHelp.stdout, viaFlag.stdout);
    assert.match((await runMedic(['--help'])).stdout, /^  models show TYPE \[VERSION\]\s+\S/m, 'the top-level help lists models show');
    assert.doesNotMatch((await runMedic(['version', '--help'])).stdout, /^\d+\.\d+\.\d+$/m);
  });

  it('suggests the nearest known option or subcommand, with exit 2', async () => {
    const flag = await runMedic(['serve', '--prometheus-ulr', 'http://prometheus:9090']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option --prometheus-ulr: did you mean --prometheus-url\?/);
    const sub = await runMedic(['config', 'chek']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /unknown subcommand "chek": did you mean check\?/);
  });

  it('ends quietly with exit 0 when the reader closes the pipe (medic models list | head -1)', async () => {
    // Enough output to overflow the pipe buffer, so that writes go on after the reader has gone.
    const registry = tempDir('medic-cli-registry-');
    for (let i = 1; i <= 4000; i++) mkdirSync(join(registry, 'anomaly', 'crewai', `v${String(i).padStart(4, '0')}`), { recursive: true });
    const r = await runMedicIntoClosedPipe(['models', 'list', '--registry', registry]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /);
  });

  it('exits 2 with a pointer to --help on an unknown command or flag', async () => {
    const unknown = await runMedic(['heal-everything']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "heal-everything"\nRun 'medic --help'/);
    const flag = await runMedic(['serve', '--prot', '1']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--prot/);
  });

  it('medic anomaly evaluate --data on a folder without the data exits 2, naming the path and where the data comes from', async () => {
    const dir = tempDir('medic-cli-no-data-');
    const r = await runMedic(['anomaly', 'evaluate', '--data', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`no ASD data at ${join(dir, 'asd')} (expected asd/train/omi-N.txt, asd/test/omi-N.txt, asd/test_label/omi-N.txt`), r.stderr);
    assert.match(r.stderr, /https:\/\/github\.com\/zhhlee\/InterFusion, MIT licence, and pass --data DIR/);
    assert.equal(r.stdout, '', 'nothing was evaluated');
  });

  it('medic anomaly evaluate without --data says it looked in the stated default', async () => {
    const cwd = tempDir('medic-cli-no-data-');
    const r = await runMedic(['anomaly', 'evaluate'], { cwd });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`no ASD data at ${join(cwd, '..', 'shared', 'data', 'asd')} (`), r.stderr);
    assert.match(r.stderr, /no --data given: looked in the default, \.\.\/shared\/data/);
  });

  it('medic anomaly evaluate --help states the default, the sources with their licences, and the layout under DIR', async () => {
    const r = await runMedic(['anomaly', 'evaluate', '--help']);
    assert.equal(r.code, 0);
    for (const text of [
      'Default:\n                ../shared/data, relative to the current directory',
      'https://github.com/zhhlee/InterFusion, MIT licence', 'https://github.com/numenta/NAB, MIT licence (older releases: AGPL-3.0)',
      'train/omi-N.txt', 'test/omi-N.txt', 'test_label/omi-N.txt', 'data/processed/omi-N_train.pkl',
      'data/<category>/<file>.csv', 'labels.json                  NAB\'s labels/combined_windows.json',
    ]) assert.ok(r.stdout.includes(text), text);
  });

  it('medic anomaly score and train anomaly --help do not point at a ../shared folder users do not have', async () => {
    for (const command of [['anomaly', 'score'], ['train', 'anomaly']]) {
      const r = await runMedic([...command, '--help']);
      assert.equal(r.code, 0);
      assert.doesNotMatch(r.stdout, /shared/, command.join(' '));
    }
  });

  it('medic failure score trains on a labelled CSV, scores every input row from the past, and reloads what it saved', async () => {
    const dir = tempDir('medic-cli-failure-');
    // memory ramps for 6 rows, then the agent fails for 3 (failing = 1), every 30 rows.
    const row = (t: number) => {
      const phase = t % 30;
      const memory = phase >= 20 && phase < 26 ? 0.4 + (phase - 19) * 0.08 : phase >= 26 && phase < 29 ? 0.97 : 0.4 + 0.01 * (t % 3);
      return `${new Date(Date.UTC(2026, 0, 1) + t * 15_000).toISOString()},${memory.toFixed(3)},${(0.3 + 0.01 * (t % 5)).toFixed(3)}`;
    };
    const header = 'timestamp,memory_utilisation,cpu';
    writeFileSync(join(dir, 'train.csv'), [`${header},failing`, ...Array.from({ length: 600 }, (_, t) => `${row(t)},${t % 30 >= 26 && t % 30 < 29 ? 1 : 0}`)].join('\n'));
    writeFileSync(join(dir, 'input.csv'), [header, ...Array.from({ length: 90 }, (_, t) => row(600 + t))].join('\n'));
    const small = ['--steps', '5', '--horizon', '3', '--units', '4', '--dense', '4', '--epochs', '3', '--backend', 'wasm'];
    const trained = await runMedic(['failure', 'score', '--train', join(dir, 'train.csv'), '--input', join(dir, 'input.csv'), '--output', join(dir, 'out.csv'), '--save', join(dir, 'model'), ...small]);
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stderr, /labelled by its failing column/);
    assert.match(trained.stderr, /epoch 1: loss/);
    const out = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    assert.equal(out[0], 'timestamp,failure_probability,is_alarm');
    assert.equal(out.length, 91);
    for (const line of out.slice(1)) {
      const p = Number(line.split(',')[1]);
      assert.ok(p >= 0 && p <= 1, line);
    }
    const again = await runMedic(['failure', 'score', '--model', join(dir, 'model'), '--input', join(dir, 'input.csv'), '--output', join(dir, 'again.csv'), '--backend', 'wasm']);
    assert.equal(again.code, 0, again.stderr);
    const first = readFileSync(join(dir, 'again.csv'), 'utf8').trim().split('\n');
    // Without --train the first rows have no history before them: they score 0; the rest agree.
    assert.deepEqual(first.slice(6).map((l) => Number(l.split(',')[1]).toFixed(4)), out.slice(6).map((l) => Number(l.split(',')[1]).toFixed(4)));
    const both = await runMedic(['failure', 'score', '--model', 'x', '--train', 'y', '--input', 'z', '--output', 'w']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give one of --train FILE \(learn from it\) and --model DIR/);
    const bad = await runMedic(['failure', 'evaluate', '--data', dir, '--units', '8,x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--units must be comma-separated integers in \[1, 1024\], but was 8,x/);
    const help = await runMedic(['failure', 'score', '--help']);
    assert.doesNotMatch(help.stdout, /shared/);
  });

  it('medic train failure names what its command line lacks or what a CSV gets wrong', async () => {
    const neither = await runMedic(['train', 'failure']);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /give one of --sim \(simulated fleets\), --csv FILE \(a labelled history\) and --prometheus URL \(the fleet's history\)/);
    const stray = await runMedic(['train', 'failure', '--sim', '--medic', 'http://127.0.0.1:1', '--from', 'now-1d']);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /--from, --medic are for --prometheus/);
    const bad = await runMedic(['train', 'failure', '--prometheus', 'prom:9090', '--from', 'yesterday', '--medic', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--prometheus must be an http\(s\) URL such as http:\/\/prometheus:9090, but was prom:9090\n {2}--medic must be an http\(s\) URL such as http:\/\/medic:8080, but was x\n {2}--from must be ISO 8601, Unix seconds, now or now-DURATION, but was yesterday/);
    const dir = tempDir('medic-cli-train-failure-');
    writeFileSync(join(dir, 'h.csv'), 'latency_p99_s,error_rate\n0.1,0\n');
    const unlabelled = await runMedic(['train', 'failure', '--csv', join(dir, 'h.csv'), '--registry', dir]);
    assert.equal(unlabelled.code, 2);
    assert.match(unlabelled.stderr, /has no failing column/);
    writeFileSync(join(dir, 'h.csv'), 'latency_p99_s,error_rate,failing\n0.1,0,0\n');
    const columns = await runMedic(['train', 'failure', '--csv', join(dir, 'h.csv'), '--registry', dir]);
    assert.equal(columns.code, 2);
    assert.match(columns.stderr, /has columns latency_p99_s, error_rate; the registry takes the agent metric contract, in order: latency_p99_s, error_rate, request_rate/);
    const families = await runMedic(['models', 'list', '--family', 'nope', '--registry', dir]);
    assert.equal(families.code, 2);
    assert.match(families.stderr, /--family must be one of anomaly, failure, but was nope/);
    const none = await runMedic(['models', 'list', '--family', 'failure', '--registry', dir]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /no models in/);
    const type = await runMedic(['train', 'failure', '--sim', '--type', 'Bad Type']);
    assert.equal(type.code, 2);
    assert.match(type.stderr, /--type: agent type "Bad Type" cannot name a model folder/);
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
      assert.match(second.stderr, new RegExp(`cannot start: another Medic \\(pid ${first.child.pid}\\) is using the database ${join(dataDir, 'medic.db')}`));
    } finally {
      first.child.kill('SIGTERM');
    }
    assert.deepEqual(await first.exited, { code: 0, signal: null }, 'SIGTERM ends medic serve with exit code 0');
  });

  // Finding 4 of the hardening issue: the lock guarded the data directory, so a second Medic with its own
  // --data-dir and store.sqlite.path naming the first one's database started and sent the same restart again.
  it('refuses a second medic on the same database through another data directory', async () => {
    const dataDir = tempDir('medic-cli-');
    const first = await startMedicProcess({ env: { MEDIC_DATA_DIR: dataDir } });
    try {
      const other = tempDir('medic-cli-');
      writeFileSync(join(other, 'medic.yaml'), `store:\n  sqlite:\n    path: ${join(dataDir, 'medic.db')}\n`);
      const second = await runMedic(['serve', '--port', '0', '--data-dir', join(other, 'data')], { cwd: other });
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, /cannot start: another Medic \(pid \d+\) is using the database/);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });

  // Finding 8: a read-only data directory ended start-up with a raw stack trace. A read-only tmpfs (root).
  it('says it cannot start on a read-only data directory, naming the file and what to check', async () => {
    assert.equal(process.getuid?.(), 0, 'this test mounts a read-only tmpfs, which needs root (CI runs as root)');
    const mount = tempDir('medic-ro-');
    mkdirSync(join(mount, 'data'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', join(mount, 'data')]);
    try {
      const r = await runMedic(['serve', '--port', '0', '--data-dir', join(mount, 'data')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot start: cannot create the lock .*medic\.db\.lock beside the database \(\w+\): is .* on a writable volume\?/);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    } finally {
      execFileSync('umount', [join(mount, 'data')]);
    }
  });

  // Finding 8: a pid file left by a killed Medic, naming a pid now reused by another live program, blocked
  // start-up. The lock is now the operating system's, dropped with the process.
  it('starts over a pid file naming a live process of another program, and after a kill -9', async () => {
    const dataDir = tempDir('medic-cli-');
    const first = await startMedicProcess({ env: { MEDIC_DATA_DIR: dataDir } });
    first.child.kill('SIGKILL');
    await first.exited;
    writeFileSync(join(dataDir, 'medic.db.pid'), `${process.pid}\n`);
    writeFileSync(join(dataDir, 'medic.pid'), `${process.pid}\n`);
    const second = await startMedicProcess({ env: { MEDIC_DATA_DIR: dataDir } });
    try {
      assert.equal((await fetch(`${second.url}/readyz`)).status, 200);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
