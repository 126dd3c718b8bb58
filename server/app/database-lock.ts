// One Medic per database. Two processes draining one SQLite queue would each heal the same incident.
// The lock is an exclusive SQLite transaction held open on a file beside the database: the operating
// system drops it when the process dies (kill -9 included), so nothing stale ever blocks a start, and it
// guards the database wherever it is, not the data directory (two data directories could name one
// database through store.sqlite.path). A pid file beside it only says who holds it.
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError } from '../store/store.ts';

export class DatabaseLockedError extends Error {
  constructor(readonly database: string, readonly pid: number | undefined) {
    super(`another Medic${pid ? ` (pid ${pid})` : ''} is using the database ${database}: stop it first, or give this one another --data-dir or store.sqlite.path`);
    this.name = 'DatabaseLockedError';
  }
}

export interface DatabaseLock {
  release(): void;
}

export function lockDatabase(database: string): DatabaseLock {
  if (database === ':memory:') return { release: () => {} };
  const lockFile = `${database}.lock`;
  const pidFile = `${database}.pid`;
  let db: Database.Database;
  try {
    mkdirSync(dirname(database), { recursive: true });
    db = new Database(lockFile);
  } catch (err) {
    // A read-only or missing volume: say which file and what to check, not a bare "unable to open".
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new StoreUnavailableError(`cannot create the lock ${lockFile} beside the database (${reason}): is ${dirname(database)} on a writable volume?`, { cause: err });
  }
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new DatabaseLockedError(database, readPid(pidFile));
    throw err;
  }
  try {
    writeFileSync(pidFile, `${process.pid}\n`);
  } catch (err) {
    db.close();
    throw new StoreUnavailableError(`cannot write ${pidFile} (${(err as NodeJS.ErrnoException).code ?? String(err)}): is ${dirname(database)} writable?`, { cause: err });
  }
  return {
    release() {
      if (!db.open) return;
      if (readPid(pidFile) === process.pid) rmSync(pidFile, { force: true });
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
