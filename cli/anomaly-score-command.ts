// `medic anomaly score`: backtests any metrics export. Input: a CSV with a header (an optional
// `timestamp` column and numeric columns, e.g. NAB's timestamp,value) or a headerless numeric matrix
// (--no-header, the ASD layout). Output: the same rows with timestamp (when given), anomaly_score and
// is_anomaly. The default detector is Medic's streaming one (models/univariate-detector.ts: every column
// scored against its own long past, the most anomalous column counting); --detector forest is the
// Isolation Forest on features, which learns from --train FILE, or a --model artifact, or else the first
// --train-fraction of the rows (those rows score 0: they are its training set) and with --online keeps
// learning from past rows only. Alerts then pass the hold-off (models/alert-hold-off.ts). No row is ever
// scored with knowledge of a later one.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../lib/units.ts';
import { holdOff, type HoldOffSpan } from '../training/evaluation/alert-hold-off.ts';
import { AnomalyModel, FOREST_IMPLEMENTATIONS, type AnomalyArtifact, type ForestImplementation } from '../models/anomaly-model.ts';
import { UnivariateDetector } from '../training/evaluation/univariate-detector.ts';

export const SCORE_HELP = `Usage: medic anomaly score --input FILE --output FILE [options]
  --no-header            the input is a headerless numeric matrix (ASD layout)
  --detector D           streaming (default): each column against its own long past (level z-score and
                         novelty), scored row by row; alerts at anomaly_score >= 0.5.
                         forest: the Isolation Forest on features (the options below)
  --hold-off SPAN        after an alert, do not alert again for SPAN: a duration on the timestamp column
                         (12h, 30m) or a number of rows (144); 0 turns it off. Default 12h, or 144 rows
                         when the input has no timestamp column. A held-off alert scores 0
  --train FILE           forest: learn from this file (same layout) instead of the input's first rows
  --model DIR            forest: use a trained artifact (DIR/model.json)
  --train-fraction F     forest without --train/--model: learn from the first F of the rows, which
                         score 0 (default 0.15)
  --online               forest: refit every --refit-every rows on all rows seen so far (past only)
  --refit-every N        default 500
  --window N             forest: feature window in samples (default 12)
  --contamination C      forest: share of training rows taken as anomalous for the threshold (default 0.1)
  --seed S               forest: default 1
  --forest-implementation I  forest: medic (default) or ml-isolation-forest (a cross-check: slower,
                         unseeded, trains each tree on all rows)
  --train or --model without --detector selects the forest.`;

export const DETECTORS = ['streaming', 'forest'] as const;
export type Detector = (typeof DETECTORS)[number];

export interface Table {
  timestamps: string[] | null;
  columns: string[];
  rows: number[][];
}

export function parseTable(text: string, header: boolean): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('the input has no rows');
  let names: string[];
  let body = lines;
  if (header) {
    names = lines[0]!.split(',').map((s) => s.trim());
    body = lines.slice(1);
  } else {
    names = lines[0]!.split(',').map((_, i) => `column_${i + 1}`);
  }
  const tsIndex = names.indexOf('timestamp');
  const columns = names.filter((_, i) => i !== tsIndex);
  const timestamps: string[] | null = tsIndex >= 0 ? [] : null;
  const rows = body.map((line, n) => {
    const cells = line.split(',');
    if (cells.length !== names.length) throw new Error(`row ${n + (header ? 2 : 1)} has ${cells.length} cells, the header ${names.length}`);
    if (timestamps) timestamps.push(cells[tsIndex]!.trim());
    return cells.filter((_, i) => i !== tsIndex).map((c, i) => {
      const v = Number(c);
      if (c.trim() !== '' && !Number.isFinite(v)) throw new Error(`row ${n + (header ? 2 : 1)}, column ${columns[i]}: ${JSON.stringify(c)} is not a number`);
      return c.trim() === '' ? Number.NaN : v;
    });
  });
  return { timestamps, columns, rows };
}

export interface ScoreOptions {
  /** Default 'streaming'. The options below it, down to refitEvery, are the forest's. */
  detector?: Detector;
  /** Alerts inside this span after an alert are dropped (and score 0); no hold-off when omitted. */
  holdOff?: HoldOffSpan;
  window: number;
  contamination: number;
  seed: number;
  trainFraction: number;
  online: boolean;
  refitEvery: number;
  /** forest: Medic's own (default) or ml-isolation-forest (a cross-check; slower, unseeded). */
  implementation?: ForestImplementation;
}

/** Scores every row, learning only from rows before it (or from a separate training set or artifact). */
export function scoreRows(table: Table, o: ScoreOptions, train?: number[][], artifact?: AnomalyArtifact): { score: number; isAnomaly: boolean }[] {
  const detector = o.detector ?? 'streaming';
  if (detector === 'streaming' && (train || artifact)) throw new Error('--train and --model are the forest\'s: add --detector forest');
  const scored = detector === 'streaming' ? streamingScores(table) : forestScores(table, o, train, artifact);
  if (!o.holdOff) return scored;
  const hoursAt = 'hours' in o.holdOff ? timestampHours(table) : undefined;
  const kept = holdOff(scored.map((s) => s.isAnomaly), o.holdOff, hoursAt);
  return scored.map((s, t) => (s.isAnomaly && !kept[t] ? { score: 0, isAnomaly: false } : s));
}

// Each column has its own detector (its own past); a row is as anomalous as its most anomalous column.
function streamingScores(table: Table): { score: number; isAnomaly: boolean }[] {
  const detectors = table.columns.map(() => new UnivariateDetector());
  return table.rows.map((row) => {
    const score = detectors.reduce((worst, d, c) => Math.max(worst, d.update(row[c]!)), 0);
    return { score, isAnomaly: score >= 0.5 };
  });
}

function forestScores(table: Table, o: ScoreOptions, train?: number[][], artifact?: AnomalyArtifact): { score: number; isAnomaly: boolean }[] {
  if (artifact || train) {
    const model = artifact ? AnomalyModel.fromArtifact(artifact) : AnomalyModel.train(train!, table.columns, { window: o.window, contamination: o.contamination, seed: o.seed, implementation: o.implementation });
    return model.scoreSeries(table.rows).map(({ score, isAnomaly }) => ({ score, isAnomaly }));
  }
  const warm = Math.max(o.window + 1, Math.floor(table.rows.length * o.trainFraction));
  // The first `warm` rows are the model's training set: scoring them with it would read later rows.
  const out: { score: number; isAnomaly: boolean }[] = Array.from({ length: Math.min(warm, table.rows.length) }, () => ({ score: 0, isAnomaly: false }));
  let model = AnomalyModel.train(table.rows.slice(0, warm), table.columns, { window: o.window, contamination: o.contamination, seed: o.seed, implementation: o.implementation });
  let fittedAt = warm;
  for (let t = warm; t < table.rows.length; t++) {
    if (o.online && t >= fittedAt + o.refitEvery) {
      model = AnomalyModel.train(table.rows.slice(0, t), table.columns, { window: o.window, contamination: o.contamination, seed: o.seed, implementation: o.implementation });
      fittedAt = t;
    }
    const { score, isAnomaly } = model.scoreLatest(table.rows.slice(Math.max(0, t - o.window), t + 1));
    out.push({ score, isAnomaly });
  }
  return out;
}

/** Each row's timestamp in hours: ISO 8601 (a missing zone reads as UTC) or Unix seconds. */
export function timestampHours(table: Table): number[] {
  if (!table.timestamps) throw new Error('a hold-off in hours needs a timestamp column: give --hold-off as a number of rows');
  return table.timestamps.map((text, i) => {
    const t = text.trim();
    const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t) ? `${t.replace(' ', 'T')}Z` : t;
    const ms = /^\d+(\.\d+)?$/.test(t) ? Number(t) * 1000 : Date.parse(iso);
    if (!Number.isFinite(ms)) throw new Error(`row ${i + 2}, timestamp: ${JSON.stringify(text)} is neither ISO 8601 nor Unix seconds; give --hold-off as a number of rows`);
    return ms / 3_600_000;
  });
}

/** `--hold-off`: a duration ("12h") or a number of rows ("144"); 0 is none. */
export function parseHoldOff(text: string): HoldOffSpan | undefined | 'invalid' {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) === 0 ? undefined : { samples: Number(t) };
  const ms = parseDurationMs(t);
  return ms === undefined ? 'invalid' : { hours: ms / 3_600_000 };
}

export function scoreCommand(args: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        input: { type: 'string' }, output: { type: 'string' }, 'no-header': { type: 'boolean' }, train: { type: 'string' }, model: { type: 'string' },
        'train-fraction': { type: 'string', default: '0.15' }, online: { type: 'boolean' }, 'refit-every': { type: 'string', default: '500' },
        window: { type: 'string', default: '12' }, contamination: { type: 'string', default: '0.1' }, seed: { type: 'string', default: '1' },
        detector: { type: 'string' }, 'hold-off': { type: 'string' }, 'forest-implementation': { type: 'string', default: 'medic' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`medic anomaly score: ${(err as Error).message}\n\n${SCORE_HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(SCORE_HELP);
    return 0;
  }
  if (!values.input || !values.output) {
    console.error(`medic anomaly score: --input and --output are required\n\n${SCORE_HELP}`);
    return 2;
  }
  const holdOffSpan = values['hold-off'] === undefined ? undefined : parseHoldOff(values['hold-off']);
  const o: ScoreOptions = {
    detector: (values.detector ?? (values.train || values.model ? 'forest' : 'streaming')) as Detector,
    implementation: values['forest-implementation'] as ForestImplementation, ...(holdOffSpan && holdOffSpan !== 'invalid' ? { holdOff: holdOffSpan } : {}),
    window: Number(values.window), contamination: Number(values.contamination), seed: Number(values.seed),
    trainFraction: Number(values['train-fraction']), online: Boolean(values.online), refitEvery: Number(values['refit-every']),
  };
  const problems = [
    !(DETECTORS as readonly string[]).includes(o.detector!) && `--detector must be one of ${DETECTORS.join(', ')}, but was ${values.detector}`,
    !(FOREST_IMPLEMENTATIONS as readonly string[]).includes(o.implementation!) && `--forest-implementation must be one of ${FOREST_IMPLEMENTATIONS.join(', ')}, but was ${values['forest-implementation']}`,
    holdOffSpan === 'invalid' && `--hold-off must be a duration (12h, 30m) or a number of rows, but was ${values['hold-off']}`,
    o.detector === 'streaming' && (values.train || values.model) && '--train and --model are the forest\'s: add --detector forest',
    !(Number.isInteger(o.window) && o.window >= 2) && `--window must be an integer >= 2, but was ${values.window}`,
    !(o.contamination > 0 && o.contamination < 0.5) && `--contamination must be in (0, 0.5), but was ${values.contamination}`,
    !(o.trainFraction > 0 && o.trainFraction < 1) && `--train-fraction must be in (0, 1), but was ${values['train-fraction']}`,
    !(Number.isInteger(o.refitEvery) && o.refitEvery >= 1) && `--refit-every must be a positive integer, but was ${values['refit-every']}`,
  ].filter(Boolean);
  if (problems.length) {
    console.error(`medic anomaly score: ${problems.join('; ')}`);
    return 2;
  }
  try {
    const header = !values['no-header'];
    const table = parseTable(readFileSync(values.input, 'utf8'), header);
    // One alert per incident by default: 12 hours on the timestamps, or 144 rows (12 hours of 5-minute samples).
    if (values['hold-off'] === undefined) o.holdOff = table.timestamps ? { hours: 12 } : { samples: 144 };
    const train = values.train ? parseTable(readFileSync(values.train, 'utf8'), header).rows : undefined;
    const artifact = values.model ? (JSON.parse(readFileSync(join(values.model, 'model.json'), 'utf8')) as AnomalyArtifact) : undefined;
    const scored = scoreRows(table, o, train, artifact);
    const lines = [[...(table.timestamps ? ['timestamp'] : []), 'anomaly_score', 'is_anomaly'].join(',')];
    scored.forEach((s, i) => lines.push([...(table.timestamps ? [table.timestamps[i]!] : []), s.score.toFixed(6), s.isAnomaly ? 1 : 0].join(',')));
    writeFileSync(values.output, `${lines.join('\n')}\n`);
    console.error(`scored ${scored.length} rows, ${scored.filter((s) => s.isAnomaly).length} flagged → ${values.output}`);
    return 0;
  } catch (err) {
    console.error(`medic anomaly score: ${(err as Error).message}`);
    return 1;
  }
}
