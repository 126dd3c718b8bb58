// One score from two views of a reading, calibrated so its threshold is a false-alarm rate:
// - the Isolation Forest's score: joint, multi-metric oddness (the design's model);
// - the distance to the nearest healthy training state (nearest-reference.ts): what the forest dilutes,
//   one metric far outside its range.
// Each is turned into its tail probability on healthy calibration readings (tail-calibration.ts) and the
// two are combined as Fisher's statistic T = −ln p_forest − ln p_nearest, averaged over the last
// SMOOTHING readings, whose own tail probability on the same calibration readings is the score's.
//
// Calibration readings are training rows scored as if they came later: the nearest-state distance
// leaves out reference rows within `window` of the row (its own window), or every training row would
// be at distance 0 from itself. Measured on ASD (README.md, Anomaly detection): best point-wise F1 0.53
// and point-adjusted 0.92 against 0.36 for the forest alone; averaging 2 readings was worth +0.02 F1
// there and costs one step of delay.
import { alarmBudget, type AlarmBudget } from './alarm-budget.ts';
import { chooseReference, NearestReference, referenceProblems, type SerializedReference } from './nearest-reference.ts';
import { fitTail, MIN_TAIL_VALUES, scoreOfProbability, tailProbability, tailProblems, thresholdForRate, type Tail } from './tail-calibration.ts';

/** Readings averaged into one score. */
export const SMOOTHING = 2;
/** Default size of the reference set (rows): on ASD the nearest-state distance alone scored F1 0.44 at 2,048 rows, 0.45 at 4,320 (before constant features got their own scale). */
export const DEFAULT_REFERENCE_ROWS = 2048;
/** Training rows (after each series' warm-up) a model needs: enough readings to calibrate on. */
export const MIN_CALIBRATION_ROWS = MIN_TAIL_VALUES * SMOOTHING;
/** At most this many calibration readings (each SMOOTHING rows): enough for a 95% quantile and its tail. */
const CALIBRATION_READINGS = 2048;

export interface ForestScores {
  scoreAll(rows: readonly ArrayLike<number>[]): Float64Array;
}

export interface SerializedScorer {
  version: 1;
  reference: SerializedReference;
  forestTail: Tail;
  nearestTail: Tail;
  combinedTail: Tail;
  smoothing: number;
  budget: AlarmBudget;
}

export interface Evidence {
  /** Fisher's statistic of this one reading. */
  statistic: number;
  /** Index of the nearest reference row. */
  nearest: number;
}

export class CalibratedScorer {
  private readonly reference: NearestReference;

  private constructor(private readonly s: SerializedScorer) {
    this.reference = new NearestReference(s.reference);
  }

  /**
   * Fits on the scaled training feature rows (in time order per series) and the forest fitted on them.
   * `window`: the feature window, the neighbourhood a calibration row leaves out of the reference.
   */
  static fit(scaled: readonly Float64Array[], forest: ForestScores, o: { window: number; referenceRows: number; alertsPerDay: number; stepSeconds: number }): CalibratedScorer {
    const budget = alarmBudget(o.alertsPerDay, o.stepSeconds);
    const chosen = chooseReference(scaled, o.referenceRows);
    const reference = new NearestReference(chosen);
    // Calibration readings end at evenly spread rows; each needs SMOOTHING rows.
    const ends: number[] = [];
    const stride = Math.max(1, Math.floor((scaled.length - SMOOTHING + 1) / CALIBRATION_READINGS));
    for (let j = SMOOTHING - 1; j < scaled.length; j += stride) ends.push(j);
    const rows = ends.flatMap((j) => Array.from({ length: SMOOTHING }, (_, k) => j - SMOOTHING + 1 + k));
    if (ends.length < MIN_TAIL_VALUES) throw new Error(`need at least ${MIN_CALIBRATION_ROWS} training rows to calibrate the score, got ${scaled.length}`);
    const forestRaw = forest.scoreAll(rows.map((i) => scaled[i]!));
    const nearestRaw = Float64Array.from(rows, (i) => reference.nearest(scaled[i]!, { position: i, radius: o.window }).distance);
    const forestTail = fitTail(forestRaw);
    const nearestTail = fitTail(nearestRaw);
    const statistic = (k: number) => fisher(tailProbability(forestTail, forestRaw[k]!), tailProbability(nearestTail, nearestRaw[k]!));
    const smoothed = ends.map((_, e) => {
      let sum = 0;
      for (let k = 0; k < SMOOTHING; k++) sum += statistic(e * SMOOTHING + k);
      return sum / SMOOTHING;
    });
    return new CalibratedScorer({ version: 1, reference: reference.toJSON(), forestTail, nearestTail, combinedTail: fitTail(smoothed), smoothing: SMOOTHING, budget });
  }

  static fromJSON(s: SerializedScorer): CalibratedScorer {
    // The rate is derived again from what it is derived from: a hand-edited rate cannot move the threshold alone.
    return new CalibratedScorer({ ...s, budget: alarmBudget(s.budget.alertsPerDay, s.budget.stepSeconds) });
  }

  toJSON(): SerializedScorer {
    return this.s;
  }

  get budget(): AlarmBudget {
    return this.s.budget;
  }

  get smoothing(): number {
    return this.s.smoothing;
  }

  /** The score at the budget's false-alarm rate. */
  get threshold(): number {
    return thresholdForRate(this.s.budget.readingRate);
  }

  /** One reading's evidence, from its scaled features and the forest's raw score of them. */
  evidence(scaled: ArrayLike<number>, forestScore: number): Evidence {
    const { index, distance } = this.reference.nearest(scaled);
    return { statistic: fisher(tailProbability(this.s.forestTail, forestScore), tailProbability(this.s.nearestTail, distance)), nearest: index };
  }

  /** The calibrated score of the newest reading given the statistics of the last readings (oldest first). */
  score(statistics: readonly number[]): number {
    const last = statistics.slice(-this.s.smoothing);
    const mean = last.reduce((a, b) => a + b, 0) / last.length;
    return scoreOfProbability(tailProbability(this.s.combinedTail, mean));
  }

  /** How far (σ) each feature of a reading is from its nearest healthy state. */
  gaps(scaled: ArrayLike<number>, nearest: number): Float64Array {
    return this.reference.gaps(scaled, nearest);
  }
}

// Fisher's method: −ln p1 − ln p2 (large when either view, or both mildly, find the reading rare).
function fisher(p1: number, p2: number): number {
  return -Math.log(Math.max(p1, 1e-300)) - Math.log(Math.max(p2, 1e-300));
}

export function scorerProblems(s: unknown, width: number): string[] {
  const x = s as Partial<SerializedScorer> | undefined;
  if (!x || x.version !== 1) return ['scorer is missing: the artifact predates calibrated scores; retrain it with this version (medic train anomaly)'];
  const problems = [
    ...referenceProblems(x.reference, width),
    ...tailProblems(x.forestTail, 'forestTail'), ...tailProblems(x.nearestTail, 'nearestTail'), ...tailProblems(x.combinedTail, 'combinedTail'),
  ];
  if (!(Number.isInteger(x.smoothing) && x.smoothing! >= 1)) problems.push(`smoothing must be an integer >= 1, but was ${String(x.smoothing)}`);
  try {
    alarmBudget(x.budget?.alertsPerDay ?? Number.NaN, x.budget?.stepSeconds ?? Number.NaN);
  } catch (err) {
    problems.push(`budget: ${(err as Error).message}`);
  }
  return problems;
}
