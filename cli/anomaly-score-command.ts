// `medic anomaly score`: argv → ScoreOptions → training/evaluation/score-rows.ts, and the output CSV.
// Input: a CSV with a header (an optional `timestamp` column and numeric columns, e.g. NAB's
// timestamp,value) or a headerless numeric matrix (--no-header, the ASD layout). Output: the same rows
// with timestamp (when given), anomaly_score and is_anomaly. Scores are raw unless --hold-off is given.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDurationMs } from '../lib/units.ts';
import { FOREST_IMPLEMENTATIONS, type AnomalyArtifact, type ForestImplementation } from '../models/anomaly-model.ts';
import type { HoldOffSpan } from '../training/evaluation/alert-hold-off.ts';
import { BACKTEST_DETECTORS, SCORE_DEFAULTS, scoreRows, type BacktestDetector, type RowScore, type ScoreOptions } from '../training/evaluation/score-rows.ts';
import { parseTable, type Table } from '../training/parse-table.ts';
import { defineCommand, EXIT, UsageError } from './args.ts';

export const SCORE_HELP = `Usage: medic anomaly score --input FILE --output FILE [options]

Scores every row from the rows before it (never a later one): anomaly_score in [0, 1] and is_anomaly.
The detector that measured best is chosen for the data: the forest on features for several columns or
with --train/--model, the streaming detector for a single series (README.md, Anomaly detection). For a
multivariate matrix, --train with the metrics' earlier history scores best.
  --no-header            the input is a headerless numeric matrix (ASD layout)
  --train FILE           forest: learn from this file (same layout, the rows before the input in time)
  --model DIR            forest: use a trained artifact (DIR/model.json)
  --detector D           forest (default for several columns or with --train/--model): the calibrated
                         model on features (the Isolation Forest with the distance to the nearest
                         training state, options below); alerts above its alarm budget's threshold.
                         streaming (default for one column): each column against its own long past
                         (level z-score and novelty), row by row; alerts at anomaly_score >= 0.5
  --hold-off SPAN        after an alert, do not alert again for SPAN, and score the rows held off 0 (a
                         paging policy, like Alertmanager's repeat interval): a duration on the timestamp
                         column (12h, 30m) or a number of rows (144). Default: none, scores are raw
  --train-fraction F     forest without --train/--model: learn from the first F of the rows, which
                         score 0: they are its training set (default 0.15)
  --online               forest: refit every --refit-every rows on all rows seen so far (past only)
  --refit-every N        default 500
  --window N             forest: feature window in samples (default 12)
  --contamination C      forest: the Isolation Forest's training parameter (default 0.1); not the alarm rate
  --alarm-budget N       forest: alerts per healthy series per day the threshold allows (default 1),
                         every row above it counted as one
  --reading-seconds S    forest: seconds between rows, for the budget's per-row rate (default 15)
  --seed S               forest: default 1
  --forest-implementation I  forest: medic (default) or ml-isolation-forest (a cross-check: slower,
                         unseeded, trains each tree on all rows)`;

const OPTIONS = {
  input: { type: 'string' }, output: { type: 'string' }, 'no-header': { type: 'boolean' }, train: { type: 'string' }, model: { type: 'string' },
  'train-fraction': { type: 'string', default: String(SCORE_DEFAULTS.trainFraction) }, online: { type: 'boolean' }, 'refit-every': { type: 'string', default: String(SCORE_DEFAULTS.refitEvery) },
  window: { type: 'string', default: String(SCORE_DEFAULTS.window) }, contamination: { type: 'string', default: String(SCORE_DEFAULTS.contamination) }, seed: { type: 'string', default: String(SCORE_DEFAULTS.seed) },
  detector: { type: 'string' }, 'hold-off': { type: 'string' }, 'alarm-budget': { type: 'string', default: '1' }, 'reading-seconds': { type: 'string', default: '15' }, 'forest-implementation': { type: 'string', default: 'medic' },
} as const;

/** `--hold-off`: a duration ("12h") or a number of rows ("144"); 0 is none. */
export function parseHoldOff(text: string): HoldOffSpan | undefined | 'invalid' {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) === 0 ? undefined : { samples: Number(t) };
  const ms = parseDurationMs(t);
  return ms === undefined ? 'invalid' : { hours: ms / 3_600_000 };
}

export const scoreCommand = defineCommand({
  name: 'score',
  summary: 'Score a CSV export (backtesting): anomaly_score and is_anomaly per row',
  usage: SCORE_HELP,
  options: OPTIONS,
  run({ values }) {
    if (!values.input || !values.output) throw new UsageError('--input and --output are required');
    const holdOffSpan = values['hold-off'] === undefined ? undefined : parseHoldOff(values['hold-off']);
    const o: ScoreOptions = {
      ...(values.detector !== undefined ? { detector: values.detector as BacktestDetector } : {}),
      implementation: values['forest-implementation'] as ForestImplementation, ...(holdOffSpan && holdOffSpan !== 'invalid' ? { holdOff: holdOffSpan } : {}),
      window: Number(values.window), contamination: Number(values.contamination), seed: Number(values.seed),
      trainFraction: Number(values['train-fraction']), online: Boolean(values.online), refitEvery: Number(values['refit-every']),
      alertsPerDay: Number(values['alarm-budget']), readingSeconds: Number(values['reading-seconds']),
    };
    const problems = [
      o.detector !== undefined && !(BACKTEST_DETECTORS as readonly string[]).includes(o.detector) && `--detector must be one of ${BACKTEST_DETECTORS.join(', ')}, but was ${values.detector}`,
      !(FOREST_IMPLEMENTATIONS as readonly string[]).includes(o.implementation!) && `--forest-implementation must be one of ${FOREST_IMPLEMENTATIONS.join(', ')}, but was ${values['forest-implementation']}`,
      holdOffSpan === 'invalid' && `--hold-off must be a duration (12h, 30m) or a number of rows, but was ${values['hold-off']}`,
      o.detector === 'streaming' && (values.train || values.model) && '--train and --model are the forest\'s: drop --detector streaming',
      !(Number.isInteger(o.window) && o.window >= 2) && `--window must be an integer >= 2, but was ${values.window}`,
      !(o.contamination > 0 && o.contamination < 0.5) && `--contamination must be in (0, 0.5), but was ${values.contamination}`,
      !(o.alertsPerDay! > 0 && o.alertsPerDay! <= 1000) && `--alarm-budget must be a number of alerts per day in (0, 1000], but was ${values['alarm-budget']}`,
      !(o.readingSeconds! > 0 && o.readingSeconds! <= 86_400) && `--reading-seconds must be a number of seconds in (0, 86400], but was ${values['reading-seconds']}`,
      !(o.trainFraction > 0 && o.trainFraction < 1) && `--train-fraction must be in (0, 1), but was ${values['train-fraction']}`,
      !(Number.isInteger(o.refitEvery) && o.refitEvery >= 1) && `--refit-every must be a positive integer, but was ${values['refit-every']}`,
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length) throw new UsageError(problems.join('\n'));
    const header = !values['no-header'];
    const table = parseTable(readFileSync(values.input, 'utf8'), header);
    const train = values.train ? parseTable(readFileSync(values.train, 'utf8'), header).rows : undefined;
    const artifact = values.model ? (JSON.parse(readFileSync(join(values.model, 'model.json'), 'utf8')) as AnomalyArtifact) : undefined;
    const scored = scoreRows(table, o, train, artifact);
    writeFileSync(values.output, scoresCsv(table, scored));
    console.error(`scored ${scored.length} rows, ${scored.filter((s) => s.isAnomaly).length} flagged → ${values.output}`);
    return EXIT.ok;
  },
});

function scoresCsv(table: Table, scored: RowScore[]): string {
  const lines = [[...(table.timestamps ? ['timestamp'] : []), 'anomaly_score', 'is_anomaly'].join(',')];
  scored.forEach((s, i) => lines.push([...(table.timestamps ? [table.timestamps[i]!] : []), s.score.toFixed(6), s.isAnomaly ? 1 : 0].join(',')));
  return `${lines.join('\n')}\n`;
}
