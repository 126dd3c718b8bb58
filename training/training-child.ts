// One training run in a child process: `medic train <kind> ...` at a lower CPU priority, so that a fit
// that keeps a core busy for minutes never shares an event loop with the webhook or the scoring loop,
// and the scheduler gives the service the CPU first when both want it. On Linux the child runs in the
// SCHED_IDLE class (through util-linux's chrt), so it gets a core only when nothing else wants it: a
// niceness alone still took a share when the webhook needed both cores (npm run bench:retrain). Its
// output becomes log lines; an abort stops it (SIGTERM, then SIGKILL after a grace period).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MEDIC = fileURLToPath(new URL('../bin/medic.js', import.meta.url));

/** Niceness of training children by default: below the service (0), above batch jobs at 19. */
export const TRAINING_NICE = 10;

/** util-linux's chrt, where it is (Debian, most Linux distributions); elsewhere only the niceness applies. */
const CHRT = ['/usr/bin/chrt', '/bin/chrt'].find((p) => existsSync(p));

/** How the child yields the CPU: the idle scheduling class where chrt exists, else a niceness. */
export type CpuPolicy = 'idle' | 'nice';
export const DEFAULT_CPU_POLICY: CpuPolicy = CHRT ? 'idle' : 'nice';

export interface TrainingChildOptions {
  signal?: AbortSignal;
  /** Default DEFAULT_CPU_POLICY; 'idle' falls back to the niceness where chrt is missing. */
  cpu?: CpuPolicy;
  /** Niceness in [0, 19] (default TRAINING_NICE). */
  nice?: number;
  /** Each line the child writes, with the stream it came from. */
  line?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** After SIGTERM on abort, SIGKILL when the child has not exited (default 10 s). */
  killAfterMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Called once the child runs, with its pid (a benchmark watches it; a test checks its priority). */
  onSpawn?: (pid: number) => void;
}

/** Runs `medic <args>`; resolves when it exits 0, rejects with its exit code and last error lines otherwise. */
export function runTrainingChild(args: readonly string[], o: TrainingChildOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(o.signal.reason);
    const idle = (o.cpu ?? DEFAULT_CPU_POLICY) === 'idle' && CHRT !== undefined;
    // chrt execs node in place: the pid, signals and exit status are node's own.
    const [command, argv] = idle ? [CHRT!, ['--idle', '0', process.execPath, MEDIC, ...args]] : [process.execPath, [MEDIC, ...args]];
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: o.env ?? process.env });
    const nice = o.nice ?? TRAINING_NICE;
    try {
      if (child.pid !== undefined) setPriority(child.pid, nice);
    } catch (err) {
      o.line?.(`could not lower the training process's priority to nice ${nice}: ${(err as Error).message}`, 'stderr');
    }
    if (child.pid !== undefined) o.onSpawn?.(child.pid);
    // The tail of its errors, for the rejection: the reason is often followed by a usage hint.
    const errors: string[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: child[stream] }).on('line', (l) => {
        if (stream === 'stderr' && l.trim()) errors.splice(0, Math.max(0, errors.push(l.trim()) - 3));
        o.line?.(l, stream);
      });
    }
    let killer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs ?? 10_000);
      killer.unref();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      o.signal?.removeEventListener('abort', onAbort);
      if (o.signal?.aborted) return reject(o.signal.reason);
      if (code === 0) return resolve();
      reject(new Error(`medic ${args.slice(0, 2).join(' ')} ${signal ? `was killed by ${signal}` : `exited with ${code}`}${errors.length ? `: ${errors.join(' / ')}` : ''}`));
    });
  });
}
