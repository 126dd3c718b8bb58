// WAL checkpoints on a thread of their own. SQLite checkpoints inside the commit that crosses
// wal_autocheckpoint: it copies the WAL's pages into the database file and fsyncs both, and with
// better-sqlite3 that runs on the event loop. Measured on the inbox alone (deliveries of ~10 alerts),
// those checkpoints were 150 of 343 µs per delivery. Here a second connection, in a worker thread,
// checkpoints in PASSIVE mode (never waiting for the writer, never blocking it) a few times a second,
// and the event loop's connection keeps a far larger automatic checkpoint only as a safety net: if this
// thread cannot start or dies, the caller puts SQLite's own default back.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointerOptions {
  path: string;
  busyTimeoutMs: number;
  /** Time between checkpoints. */
  intervalMs: number;
  /** Called once if the thread fails or exits on its own; the caller falls back to SQLite's own checkpoints. */
  onFailure: (reason: string) => void;
}

export interface Checkpointer {
  /** Closes the thread's connection and ends it; resolves when it has (or after a bound, terminated). */
  stop(): Promise<void>;
}

// Plain CommonJS run with eval: the thread needs only better-sqlite3, and no TypeScript loader (the
// process may have registered tsx programmatically, which a worker does not inherit).
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
} catch (err) {
  // A plain Error crosses to the parent with its message; a SqliteError would not.
  throw new Error(String((err && err.message) || err));
}
let timer;
const tick = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // A full disk or a held lock: the next round tries again, and the event loop's safety net holds
    // meanwhile. Deliveries fail and say so on their own if the disk stays full.
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
tick();
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

export function startCheckpointer(o: CheckpointerOptions): Checkpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { module, path: o.path, busyTimeoutMs: o.busyTimeoutMs, intervalMs: o.intervalMs },
    // Small: it holds one connection and runs one pragma.
    resourceLimits: { maxOldGenerationSizeMb: 32 },
  });
  // The thread must not keep a finished process alive.
  worker.unref();
  let stopping = false;
  let failed = false;
  const fail = (reason: string) => {
    if (stopping || failed) return;
    failed = true;
    o.onFailure(reason);
  };
  worker.on('error', (err: unknown) => fail(`the checkpoint thread failed: ${describe(err)}`));
  worker.on('exit', (code) => fail(`the checkpoint thread exited (code ${code})`));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      worker.postMessage('stop');
      const bound = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(bound);
    },
  };
}

// An error thrown in the thread arrives cloned: a SqliteError comes as a plain object with its message.
function describe(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
