// The SQLite connection: opening (WAL, pragmas, migrations), the prepared statements of the store's
// parts, turning "cannot write now" errors into StoreUnavailableError, and reopening a connection that
// a moved or damaged file has left unusable.
import Database from 'better-sqlite3';
import { closeSync, fsync, fsyncSync, mkdirSync, openSync, statfsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { StoreUnavailableError, type Store } from '../store.ts';
import { migrate } from './migrations.ts';
import { startCheckpointer, type Checkpointer } from './checkpointer.ts';

export interface SqliteStoreOptions {
  path: string;
  synchronous: 'full' | 'normal';
  busyTimeoutMs: number;
  /** Below this much free space on the database's file system the store says it is not ready (0: never). */
  minFreeBytes?: number;
  /** What the store works around on its own but an operator should hear of (the checkpoint thread failing). */
  onWarning?: (message: string) => void;
}

// SQLite's own automatic checkpoint, in pages: what the event loop's connection falls back to.
const SQLITE_AUTOCHECKPOINT = 1000;
// With the checkpoint thread running: only a safety net (64 MiB of WAL) should it fall behind.
const SAFETY_NET_AUTOCHECKPOINT = 16_384;
const CHECKPOINT_INTERVAL_MS = 200;

// About a delivery of a few alerts with their labels and annotations, as the inbox stores it.
const HEARTBEAT_BYTES = 16 * 1024;

// Errors that mean "the database cannot take writes now", not "this request is wrong".
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|READONLY|IOERR|FULL|CANTOPEN|PROTOCOL|NOTADB|CORRUPT|PERM|AUTH)/;
// After these the connection itself may be unusable (file replaced or moved): reopen it on the next ping.
const REOPEN_CODES = /^SQLITE_(READONLY_DBMOVED|IOERR|CANTOPEN|NOTADB|CORRUPT)/;

/**
 * A Store method as the SQLite parts implement it: synchronous, since better-sqlite3 is. The assembly
 * (sqlite-store.ts) runs it through the connection and returns the promise the port promises.
 */
export type SyncStore<M extends keyof Store> = (...args: Parameters<Store[M]>) => Awaited<ReturnType<Store[M]>>;

/**
 * One database handle and the parts prepared on it (`prepare` runs again after a reopen, since
 * statements belong to their handle). Every use goes through `run`, which refuses once closed.
 */
export class SqliteConnection<Parts> {
  private db!: Database.Database;
  private prepared!: Parts;
  private closed = false;
  private broken = false;
  private walFd?: number;
  private checkpointer?: Checkpointer;
  private syncing?: Promise<void>;
  private nextSync?: Promise<void>;

  /** Opens (creating if needed) and migrates the database. Throws StoreUnavailableError with the path. */
  constructor(
    private readonly options: SqliteStoreOptions,
    private readonly prepare: (db: Database.Database) => Parts,
  ) {
    this.connect();
  }

  private connect(): void {
    const { path } = this.options;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      try {
        db.pragma('journal_mode = WAL');
        // NORMAL in SQLite's own terms always: with store.sqlite.synchronous full, the commits that must
        // survive a power loss are made durable by an fsync of the WAL on libuv's thread pool (durable()),
        // so the event loop parses the next deliveries while the disk works, and one fsync serves every
        // commit made before it. SQLite's FULL would fsync inside each commit, blocking the process.
        db.pragma('synchronous = NORMAL');
        db.pragma(`busy_timeout = ${Math.max(0, Math.round(this.options.busyTimeoutMs))}`);
        db.pragma('foreign_keys = ON');
        // Savepoint and statement journals in memory, not in temporary files: on a file, every page a
        // savepoint touched was written out once more (a third of a delivery's commit, measured).
        db.pragma('temp_store = MEMORY');
        migrate(db, path);
        this.prepared = this.prepare(db);
      } catch (err) {
        db.close();
        throw err;
      }
      this.db = db;
      this.broken = false;
      this.closeWal();
      this.startCheckpointer();
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`cannot open the SQLite database ${path}: ${describe(err)}`, { cause: err });
    }
  }

  // Checkpoints off the event loop (checkpointer.ts); a connection reopened after its file moved gets a
  // new thread on the new file.
  private startCheckpointer(): void {
    void this.checkpointer?.stop();
    this.checkpointer = undefined;
    const { path, busyTimeoutMs } = this.options;
    if (path === ':memory:') return;
    const db = this.db;
    try {
      this.checkpointer = startCheckpointer({
        path, busyTimeoutMs, intervalMs: CHECKPOINT_INTERVAL_MS,
        onFailure: (reason) => {
          if (this.db !== db || this.closed) return;
          db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT}`);
          this.options.onWarning?.(`${reason}; SQLite checkpoints inside commits instead, on the event loop (slower under load)`);
        },
      });
      db.pragma(`wal_autocheckpoint = ${SAFETY_NET_AUTOCHECKPOINT}`);
    } catch (err) {
      // No thread: SQLite's own checkpoints, as before.
      db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT}`);
      this.options.onWarning?.(`the checkpoint thread could not start (${describe(err)}); SQLite checkpoints inside commits instead, on the event loop (slower under load)`);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs a database operation, turning "cannot write now" errors into StoreUnavailableError. */
  run<T>(fn: (parts: Parts, db: Database.Database) => T): T {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    try {
      return fn(this.prepared, this.db);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && REOPEN_CODES.test(code)) this.broken = true;
      throw mapError(err);
    }
  }

  /**
   * Queue bookkeeping (claims, completions, releases) and the engine's records commit without an fsync
   * of their own. In WAL mode they are still atomic and survive a crash of the process; only a power loss
   * can undo them, and then the item runs again (it is re-evaluated, never lost). The next durable()
   * fsyncs the WAL, and with it every commit before it.
   */
  runQueueWrite<T>(fn: (parts: Parts) => T): T {
    return this.run(fn);
  }

  /**
   * Resolves once every commit made so far is on disk (store.sqlite.synchronous full; with normal at
   * once). Commits that arrive while an fsync runs wait for the next one, which starts when it ends.
   */
  durable(): Promise<void> {
    if (this.options.synchronous !== 'full' || this.options.path === ':memory:') return Promise.resolve();
    if (!this.syncing) {
      this.syncing = this.fsyncWal().finally(() => (this.syncing = undefined));
      return this.syncing;
    }
    this.nextSync ??= this.syncing.catch(() => undefined).then(() => {
      this.nextSync = undefined;
      return this.durable();
    });
    return this.nextSync;
  }

  private fsyncWal(): Promise<void> {
    return new Promise((resolve, reject) => {
      let fd: number;
      try {
        fd = this.walFd ??= this.openWal();
      } catch (err) {
        reject(new StoreUnavailableError(`cannot open ${this.options.path}-wal to make commits durable: ${describe(err)}`, { cause: err }));
        return;
      }
      fsync(fd, (err) => {
        if (!err) return resolve();
        // The commit may not be on disk: the caller answers 503 and the delivery comes again.
        this.broken = true;
        reject(new StoreUnavailableError(`cannot make commits durable (fsync of ${this.options.path}-wal failed: ${err.code ?? err.message})`, { cause: err }));
      });
    });
  }

  // The WAL exists once the database has been written to (the migrations did). Its directory entry is
  // made durable once, as SQLite would for a journal it creates.
  private openWal(): number {
    const fd = openSync(`${this.options.path}-wal`, 'r');
    const dir = openSync(dirname(this.options.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return fd;
  }

  private closeWal(): void {
    if (this.walFd === undefined) return;
    try {
      closeSync(this.walFd);
    } catch {
      // Already gone with its file: a new one is opened on the next durable().
    }
    this.walFd = undefined;
  }

  /** Resolves when a write could commit now, reopening first a connection that an error left unusable. */
  ping(): void {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    if (this.broken) {
      try {
        this.db.close();
      } catch {
        // The old handle is being replaced; its close errors say nothing new.
      }
      this.connect();
    }
    // Committing a write the size of a delivery, not just taking the lock, is what "can commit" means:
    // WAL readers succeed while another process holds the lock, and the lock is taken on a full disk
    // (deliveries answered 503 while this said ready). Random bytes, so no page is reused unchanged.
    this.run((_, db) => {
      db.prepare('INSERT OR REPLACE INTO store_heartbeat (id, at, payload) VALUES (1, ?, ?)').run(Date.now(), randomBytes(HEARTBEAT_BYTES));
    });
    // A small write can still commit into WAL space a failed larger one left behind, while deliveries
    // fail: free space on the volume is the other half of the answer.
    const { path, minFreeBytes = 0 } = this.options;
    if (path === ':memory:' || minFreeBytes <= 0) return;
    const fs = statfsSync(dirname(path));
    const free = fs.bavail * fs.bsize;
    if (free < minFreeBytes) {
      throw new StoreUnavailableError(
        `only ${formatBytes(free)} free on the volume of ${path}, below store.sqlite.min_free_space (${formatBytes(minFreeBytes)}): free space or grow the volume`,
      );
    }
  }

  /** Stops the checkpoint thread first, so that closing the last connection checkpoints the WAL whole. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.checkpointer?.stop();
    this.db.close();
    this.closeWal();
  }
}

/** The error a caller sees: StoreUnavailableError for "cannot commit now", anything else unchanged. */
export function mapError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    return new StoreUnavailableError(`SQLite cannot commit now (${code}): ${describe(err)}`, { cause: err });
  }
  return err;
}

const formatBytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`);

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
