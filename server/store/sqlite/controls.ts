// Operators' controls over the engine as a whole: the kill switch (automatic actions paused). Method
// contracts are the Store port's.
import type Database from 'better-sqlite3';
import type { SyncStore } from './connection.ts';
import type { Row } from './rows.ts';

export interface SqliteControls {
  actionsPaused: SyncStore<'actionsPaused'>;
  setActionsPaused: SyncStore<'setActionsPaused'>;
}

export function prepareControls(db: Database.Database): SqliteControls {
  const st = {
    get: db.prepare('SELECT paused_by, paused_at, note FROM actions_paused WHERE id = 1'),
    // The first pause stands: pausing again does not rewrite who paused or when.
    pause: db.prepare('INSERT INTO actions_paused (id, paused_by, paused_at, note) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    resume: db.prepare('DELETE FROM actions_paused WHERE id = 1'),
  };
  return {
    actionsPaused: () => {
      const r = st.get.get() as Row | undefined;
      return r ? { by: String(r.paused_by), at: Number(r.paused_at), note: r.note === null ? null : String(r.note) } : undefined;
    },
    setActionsPaused: (pause) => (pause ? st.pause.run(pause.by, pause.at, pause.note) : st.resume.run()).changes > 0,
  };
}
