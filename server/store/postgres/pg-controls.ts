// Operators' controls over the engine as a whole in PostgreSQL: the kill switch and the decision mode per
// tier, as server/store/sqlite/controls.ts keeps them. Every replica reads the same rows.
import type { ActionsPause, ModeOverride } from '../store.ts';
import type { PgConnection } from './pg-connection.ts';

export class PgControls {
  constructor(private readonly conn: PgConnection) {}

  async actionsPaused(): Promise<ActionsPause | undefined> {
    const r = (await this.conn.query('SELECT paused_by, paused_at, note FROM actions_paused WHERE id = 1'))[0];
    return r ? { by: String(r.paused_by), at: Number(r.paused_at), note: r.note === null ? null : String(r.note) } : undefined;
  }
  /** The first pause stands: pausing again does not rewrite who paused or when. */
  async setActionsPaused(pause: ActionsPause | null): Promise<boolean> {
    const rows = pause
      ? await this.conn.query('INSERT INTO actions_paused (id, paused_by, paused_at, note) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id', [pause.by, pause.at, pause.note])
      : await this.conn.query('DELETE FROM actions_paused WHERE id = 1 RETURNING id');
    return rows.length > 0;
  }
  async modeOverrides(): Promise<ModeOverride[]> {
    return (await this.conn.query('SELECT tier, mode, set_by, set_at, note FROM tier_modes ORDER BY tier')).map((r) => ({
      tier: String(r.tier), mode: String(r.mode) as ModeOverride['mode'], by: String(r.set_by), at: Number(r.set_at), note: r.note === null ? null : String(r.note),
    }));
  }
  async setModeOverride(o: ModeOverride): Promise<void> {
    await this.conn.query(
      `INSERT INTO tier_modes (tier, mode, set_by, set_at, note) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tier) DO UPDATE SET mode = excluded.mode, set_by = excluded.set_by, set_at = excluded.set_at, note = excluded.note`,
      [o.tier, o.mode, o.by, o.at, o.note],
    );
  }
  async clearModeOverride(tier: string): Promise<boolean> {
    return (await this.conn.query('DELETE FROM tier_modes WHERE tier = $1 RETURNING tier', [tier])).length > 0;
  }
}
