// The nightly schedule: never two runs at once, a failed run does not stop the schedule, SIGTERM stops
// cleanly; and `medic train nightly` as an operator runs it.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { listVersions, promotedVersion } from '../../models/registry.ts';
import { NightlyRunner, type NightlyLog } from '../../training/nightly.ts';
import { runTrainingChild, TRAINING_NICE } from '../../training/training-child.ts';
import { getPriority } from 'node:os';
import { runMedic, startMedicProcess } from '../../sim/stack/medic-process.ts';
import { waitFor } from '../helpers/wait.ts';

function recorder(): NightlyLog & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (fields: object, message: string) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
  return { lines, info: put('info'), warn: put('warn'), error: put('error') };
}

/** A run that finishes when the test says so (or fails, or notices it was asked to stop). */
function controllable() {
  let finish!: (err?: Error) => void;
  let started = 0;
  const job = (signal: AbortSignal) => {
    started++;
    return new Promise<void>((resolve, reject) => {
      finish = (err) => (err ? reject(err) : resolve());
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  };
  return { job, finish: (err?: Error) => finish(err), started: () => started };
}

describe('nightly runner', () => {
  it('skips a trigger while the previous run is still going, and says so', async () => {
    const log = recorder();
    const c = controllable();
    const runner = new NightlyRunner(c.job, log);
    const first = runner.trigger('schedule');
    assert.equal(await runner.trigger('schedule'), 'skipped');
    assert.equal(c.started(), 1);
    c.finish();
    assert.equal(await first, 'succeeded');
    assert.ok(log.lines.some((l) => l.startsWith('warn training run skipped: the previous run is still going')));
    const second = runner.trigger('schedule');
    assert.equal(c.started(), 2, 'the next trigger after the run ends runs');
    c.finish();
    await second;
  });

  it('logs a failed run and keeps the schedule going', async () => {
    const log = recorder();
    const c = controllable();
    const runner = new NightlyRunner(c.job, log);
    const failed = runner.trigger('schedule');
    c.finish(new Error('Prometheus at http://prom:9090 did not answer'));
    assert.equal(await failed, 'failed');
    assert.ok(log.lines.some((l) => l.startsWith('error training run failed; the schedule goes on') && l.includes('did not answer')), log.lines.join('\n'));
    const next = runner.trigger('schedule');
    c.finish();
    assert.equal(await next, 'succeeded');
  });

  it('stops: the run in progress is aborted and awaited, and no run starts afterwards', async () => {
    const log = recorder();
    const c = controllable();
    const runner = new NightlyRunner(c.job, log);
    const running = runner.trigger('schedule');
    await runner.stop();
    assert.equal(await running, 'stopped');
    assert.equal(runner.busy, false);
    assert.equal(await runner.trigger('schedule'), 'stopped');
    assert.equal(c.started(), 1);
  });
});

describe('a training child process', () => {
  it('runs medic at a lower priority, and rejects with its exit code and last error line', async () => {
    let pid = 0;
    await assert.rejects(runTrainingChild(['train', 'failure'], { onSpawn: (p) => { pid = p; assert.equal(getPriority(p), TRAINING_NICE); } }), /medic train failure exited with 2: .*give one of --sim/);
    assert.ok(pid > 0);
  });

  it('is stopped by an abort, well before it would have finished', { timeout: 30_000 }, async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = runTrainingChild(['train', 'failure', '--sim', '--hours', '200'], { signal: controller.signal, onSpawn: () => setTimeout(() => controller.abort(new Error('stop')), 1_000) });
    await assert.rejects(run, /stop/);
    assert.ok(Date.now() - started < 15_000);
  });
});

describe('medic train nightly', () => {
  it('trains on schedule until SIGTERM, then exits 0', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medic-nightly-'));
    const random = seededRandom(1);
    const lines = ['timestamp,agent_type,cpu,queue_depth', ...Array.from({ length: 300 }, (_, t) => `${1_735_689_600 + 15 * t},crewai,${(0.3 + 0.05 * random()).toFixed(3)},${(5 + 3 * random()).toFixed(1)}`)];
    writeFileSync(join(dir, 'fleet.csv'), lines.join('\n'));
    const registry = join(dir, 'registry');
    const medic = await startMedicProcess({
      command: [process.execPath, 'bin/medic.js', 'train', 'nightly', '--schedule', '*/2 * * * * *', '--csv', join(dir, 'fleet.csv'), '--registry', registry, '--promote', '--min-rows', '100'],
      readyMessage: 'nightly training scheduled',
    });
    try {
      await waitFor('two runs to publish', () => medic.logs.filter((l) => l.msg === 'anomaly models trained').length >= 2, 40_000, 200);
      // Each run trains in a child process whose output is the run's log.
      assert.ok(medic.logs.some((l) => l.kind === 'anomaly' && /crewai: published v0001/.test(String(l.msg))), JSON.stringify(medic.logs.slice(0, 12)));
      assert.ok(listVersions(registry, 'crewai').length >= 2);
      medic.child.kill('SIGTERM');
      const { code } = await medic.exited;
      assert.equal(code, 0);
      assert.ok(medic.logs.some((l) => l.msg === 'stopped'), JSON.stringify(medic.logs.slice(-3)));
      assert.match(promotedVersion(registry, 'crewai') ?? '', /^v000\d$/);
    } finally {
      medic.child.kill('SIGKILL');
    }
  });

  it('refuses a schedule that is not a cron expression, naming the field', async () => {
    const r = await runMedic(['train', 'nightly', '--schedule', '0 25 * * *', '--csv', 'x.csv']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--schedule "0 25 \* \* \*" is not a cron expression: hour/);
  });
});
