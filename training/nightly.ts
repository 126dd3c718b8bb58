// `medic train nightly`: a long-running process that trains on a cron schedule (node-cron), each model
// kind in a child process at a lower CPU priority (training/training-child.ts). A run never overlaps
// the previous one (a trigger while one is going is skipped and logged); a failed run is logged and the
// schedule goes on; SIGTERM or SIGINT stops the schedule, stops the training process in progress (a
// version already published stays whole: publishing writes a fresh folder) and exits 0.
import { schedule } from 'node-cron';
import { createLogger } from '../lib/logger.ts';
import type { SourceSpec } from './load-source.ts';
import type { TrainAnomalyOptions } from './train-anomaly.ts';
import { DEFAULT_CPU_POLICY, runTrainingChild } from './training-child.ts';

/** What a nightly run needs, as the command line validated it (cli/train-options.ts ParsedTrain). */
export interface NightlySettings {
  source: SourceSpec;
  train: Omit<TrainAnomalyOptions, 'log' | 'signal' | 'progress'>;
  nightly?: {
    schedule: string; timezone?: string; runNow: boolean;
    /** Niceness of the training processes. */
    nice: number;
    /** One `medic` command line per model kind, run in turn on each trigger. */
    children: { kind: string; args: string[] }[];
  };
}

export interface NightlyLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export type RunResult = 'succeeded' | 'failed' | 'skipped' | 'stopped';

/** Runs a job at most once at a time; the one place that decides whether a trigger runs. */
export class NightlyRunner {
  private current: Promise<RunResult> | undefined;
  private controller: AbortController | undefined;
  private stopped = false;
  private runs = 0;

  constructor(private readonly job: (signal: AbortSignal, run: number) => Promise<void>, private readonly log: NightlyLog) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Starts a run unless one is going or the runner is stopped; resolves when it ends and never rejects. */
  trigger(reason: string): Promise<RunResult> {
    if (this.stopped) return Promise.resolve('stopped');
    if (this.current) {
      this.log.warn({ reason }, 'training run skipped: the previous run is still going');
      return Promise.resolve('skipped');
    }
    const run = ++this.runs;
    const controller = new AbortController();
    this.controller = controller;
    const started = Date.now();
    this.log.info({ run, reason }, 'training run started');
    this.current = this.job(controller.signal, run).then(
      (): RunResult => {
        this.log.info({ run, durationMs: Date.now() - started }, 'training run finished');
        return 'succeeded';
      },
      (err: unknown): RunResult => {
        if (controller.signal.aborted) {
          this.log.warn({ run, durationMs: Date.now() - started }, 'training run stopped before it finished');
          return 'stopped';
        }
        this.log.error({ run, durationMs: Date.now() - started, err: (err as Error).message }, 'training run failed; the schedule goes on');
        return 'failed';
      },
    ).finally(() => {
      this.current = undefined;
      this.controller = undefined;
    });
    return this.current;
  }

  /** No further runs; the one in progress is asked to stop, and waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort(new Error('medic train nightly is stopping'));
    await this.current;
  }
}

export async function runNightly(parsed: NightlySettings): Promise<number> {
  const { schedule: expression, timezone, runNow } = parsed.nightly!;
  const log = createLogger('info').child({ component: 'medic-train-nightly' });
  const { children, nice } = parsed.nightly!;
  // Each kind in its own process, one after the other: a fit never blocks this process (or a service on
  // the same machine) and two never compete for the CPU. One kind failing does not stop the others.
  const runner = new NightlyRunner(async (signal, run) => {
    const failed: string[] = [];
    for (const { kind, args } of children) {
      const started = Date.now();
      log.info({ run, kind, command: `medic ${args.join(' ')}`, nice, cpu: DEFAULT_CPU_POLICY }, `training ${kind} models`);
      try {
        await runTrainingChild(args, { signal, nice, line: (line, stream) => (stream === 'stdout' ? log.info : log.warn).call(log, { run, kind }, line) });
        log.info({ run, kind, durationMs: Date.now() - started }, `${kind} models trained`);
      } catch (err) {
        if (signal.aborted) throw err;
        log.error({ run, kind, durationMs: Date.now() - started, err: (err as Error).message }, `${kind} training failed`);
        failed.push(kind);
      }
    }
    if (failed.length) throw new Error(`training failed for ${failed.join(', ')}`);
  }, log);
  const task = schedule(expression, () => void runner.trigger('schedule'), {
    name: 'medic-train-nightly',
    ...(timezone ? { timezone } : {}),
    // A long fit blocks the event loop; the next run is what matters, not a catch-up warning.
    suppressMissedWarning: true,
    logger: {
      info: (m) => log.info({ source: 'node-cron' }, m),
      warn: (m) => log.warn({ source: 'node-cron' }, m),
      error: (m, e) => log.error({ source: 'node-cron', err: e?.message }, String(m)),
      debug: () => undefined,
    },
  });
  log.info({ kinds: children.map((c) => c.kind), schedule: expression, timezone: timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone, nextRun: task.getNextRun()?.toISOString(), registry: parsed.train.registry, promote: parsed.train.promote }, 'nightly training scheduled');
  if (runNow) void runner.trigger('--run-now');
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal, running: runner.busy }, 'stopping');
  await task.stop();
  await task.destroy();
  await runner.stop();
  log.info({}, 'stopped');
  return 0;
}
