// Operators' controls over the engine as a whole: the kill switch (automatic actions paused) and the
// decision mode per tier. Method contracts are the Store port's.
import type Database from 'better-sqlite3';
import type { ModeOverride } from '../store.ts';
import type { SyncStore } from './connection.ts';
import type { Row } from '../rows.ts';

export interface SqliteControls {
  actionsPaused: SyncStore<'actionsPaused'>;
  setActionsPaused: SyncStore<'setActionsPaused'>;
  modeOverrides: SyncStore<'modeOverrides'>;
  setModeOverride: SyncStore<'setModeOverride'>;
  clearModeOverride: SyncStore<'clearModeOverride'>;
}

export function prepareControls(db: Database.Database): SqliteControls {
  const st = {
    get: db.prepare('SELECT paused_by, paused_at, note FROM actions_paused WHERE id = 1'),
    // The first pause stands: pausing again does not rewrite who paused or when.
    pause: db.prepare('INSERT INTO actions_paused (id, paused_by, paused_at, note) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    resume: db.prepare('DELETE FROM actions_paused WHERE id = 1'),
    modes: db.prepare('SELECT tier, mode, set_by, set_at, note FROM tier_modes ORDER BY tier'),
    setMode: db.prepare(
      `INSERT INTO tier_modes (tier, mode, set_by, set_at, note) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tier) DO UPDATE SET mode = excluded.mode, set_by = excluded.set_by, set_at = excluded.set_at, note = excluded.note`,
    ),
    clearMode: db.prepare('DELETE FROM tier_modes WHERE tier = ?'),
  };
  return {
    actionsPaused: () => {
      const r = st.get.get() as Row | undefined;
      return r ? { by: String(r.paused_by), at: Number(r.paused_at), note: r.note === null ? null : String(r.note) } : undefined;
    },
    setActionsPaused: (pause) => (pause ? st.pause.run(pause.by, pause.at, pause.note) : st.resume.run()).changes > 0,
    modeOverrides: () => (st.modes.all() as Row[]).map((r) => ({
      tier: String(r.tier), mode: String(r.mode) as ModeOverride['mode'], by: String(r.set_by), at: Number(r.set_at), note: r.note === null ? null : String(r.note),
    })),
    setModeOverride: (o) => void st.setMode.run(o.tier, o.mode, o.by, o.at, o.note),
    clearModeOverride: (tier) => st.clearMode.run(tier).changes > 0,
  };
}
