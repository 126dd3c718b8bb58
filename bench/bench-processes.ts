// The processes bench:webhook starts (Medics, the bare endpoint, the round-robin proxy): started from the
// repository, ready once they log the port they serve on, and measured by the CPU time /proc says they used.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../', import.meta.url));

/** A process the bench started and that answers HTTP: a Medic, the baseline or a proxy. */
export interface Server {
  name: string;
  url: string;
  child: ChildProcess;
}

// Everything started, so that an early failure (a replica refused, a bad URL) still stops the rest
// and drops the schemas.
export const children: ChildProcess[] = [];

export function startServer(name: string, args: string[], env: Record<string, string>, logFile: string): Promise<Server> {
  const child = spawn(process.execPath, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const log = openSync(logFile, 'a');
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (d: Buffer) => {
      buffered += d;
      const m = /"port":(\d+)/.exec(buffered);
      if (m && /medic is serving|bare endpoint listening|round-robin proxy listening/.test(buffered)) {
        child.stdout!.off('data', onData);
        // Keep draining the target's logs to a file, as a real deployment would.
        child.stdout!.on('data', (chunk: Buffer) => writeSync(log, chunk));
        resolve({ name, url: `http://127.0.0.1:${m[1]}`, child });
      }
    };
    child.stdout!.on('data', onData);
    // Before it serves, its last words are the reason (Medic logs a refusal on stdout).
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before serving${buffered ? `:\n${buffered.trim().split('\n').slice(-3).join('\n')}` : ''}`)));
  });
}

// CPU time a target used (all its threads: the event loop, the fsyncs on libuv's pool, SQLite's
// checkpoint thread), in ms, from /proc; undefined where there is no /proc. Throughput on this shared
// 2-core machine depends on what else runs; CPU per delivery says what a delivery costs the server.
const TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
function cpuMs(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}
/** The CPU of several processes together (the replicas of one target), or undefined if any is unknown. */
export function cpuOf(servers: Server[]): number | undefined {
  let sum = 0;
  for (const s of servers) {
    const ms = cpuMs(s.child.pid);
    if (ms === undefined) return undefined;
    sum += ms;
  }
  return sum;
}


/** Stops every process started, resumed first (a stopped process does not act on SIGTERM). */
export async function stopAll(): Promise<void> {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running) {
    c.kill('SIGCONT');
    c.kill('SIGTERM');
  }
  // Medic finishes in-flight work within its server.shutdown_timeout (10 s); past that, it is killed.
  const killer = setTimeout(() => running.forEach((c) => c.kill('SIGKILL')), 20_000);
  await Promise.all(running.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  clearTimeout(killer);
}
