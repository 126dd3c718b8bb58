// Runs the real `medic` command as a child process, the way an operator (or npm start) does.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const MEDIC_BIN = fileURLToPath(new URL('../../bin/medic.js', import.meta.url));

export interface MedicProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `medic ARGS` to completion (for commands that exit by themselves). */
export function runMedic(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MEDIC_BIN, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Starts a long-running medic (default `node bin/medic.js serve`) and resolves once it logs that it
 * serves, with the port it bound.
 */
export function startMedicProcess(options: {
  command?: string[];
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Own process group, so a test can signal it whole as a terminal or container runtime does. */
  group?: boolean;
  /** The log message that means "ready" (default: medic is serving). */
  readyMessage?: string;
}): Promise<MedicProcess> {
  const [cmd, ...args] = options.command ?? [process.execPath, MEDIC_BIN, 'serve'];
  const child = spawn(cmd!, args, {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, MEDIC_PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group ?? false,
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`medic did not start within ${options.timeoutMs ?? 20_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stdout!.on('data', (d) => {
      buffered += d;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === (options.readyMessage ?? 'medic is serving')) {
          clearTimeout(timer);
          const port = Number(entry.port ?? 0);
          resolve({ child, url: `http://127.0.0.1:${port}`, port, logs, stderr: () => stderr, exited });
        }
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`medic exited with ${code} before serving; stderr: ${stderr}`));
    });
  });
}

/** Whether a process with this pid still exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
