// The Store port's part for operators' controls over the engine as a whole (server/api/controls-api.ts).
import type { ActionsPause, ModeOverride } from '../../remediations/records.ts';

export interface ControlsStore {
  /** The kill switch: the pause in force, if any. */
  actionsPaused(): Promise<ActionsPause | undefined>;
  /** Pauses automatic actions (a pause), or resumes them (null); false when that was already the state. Durable. */
  setActionsPaused(pause: ActionsPause | null): Promise<boolean>;
  /** Operators' decision modes per tier, in force until cleared. Durable. */
  modeOverrides(): Promise<ModeOverride[]>;
  setModeOverride(o: ModeOverride): Promise<void>;
  /** False when the tier had no override. */
  clearModeOverride(tier: string): Promise<boolean>;
}
