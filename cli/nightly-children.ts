// What `medic train nightly` runs on each trigger: one `medic train <kind>` child per model kind, with
// the nightly's own validated flags passed on and the lookback turned into --from now-D, so each run
// reads the latest history. Built from the flags, not re-derived, so a child sees what the user typed.
import type { OptionValues } from './args.ts';
import type { TRAIN_OPTIONS } from './train-options.ts';

export const MODEL_KINDS = ['anomaly', 'failure'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** Flags of `medic train nightly` that the schedule itself uses, never a child. */
export const NIGHTLY_ONLY = ['lookback', 'schedule', 'timezone', 'run-now', 'kinds', 'medic', 'nice'] as const;

/** Flags `medic train failure --prometheus` shares with the nightly. */
const FAILURE_FLAGS = ['prometheus', 'step', 'rate-window', 'selector', 'timeout', 'registry', 'promote', 'seed'] as const;

export function nightlyChildren(v: OptionValues<typeof TRAIN_OPTIONS>, kinds: readonly ModelKind[], lookback: string): { kind: ModelKind; args: string[] }[] {
  const flags = (names: readonly string[]) =>
    names.flatMap((name) => {
      const value = (v as Record<string, string | boolean | undefined>)[name];
      if (value === undefined || value === false) return [];
      return value === true ? [`--${name}`] : [`--${name}`, value];
    });
  const window = v.prometheus !== undefined ? ['--from', `now-${lookback}`, '--to', 'now'] : [];
  return kinds.map((kind) => {
    if (kind === 'anomaly') {
      const names = Object.keys(v).filter((k) => !(NIGHTLY_ONLY as readonly string[]).includes(k));
      return { kind, args: ['train', 'anomaly', ...flags(names), ...window] };
    }
    return { kind, args: ['train', 'failure', ...flags([...FAILURE_FLAGS, 'medic']), ...window] };
  });
}
