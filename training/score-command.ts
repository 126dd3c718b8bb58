// `medic anomaly score`: backtests any metrics export. Input: a CSV with a header (an optional
// `timestamp` column and numeric columns, e.g. NAB's timestamp,value) or a headerless numeric matrix
// (--no-header, the ASD layout). Output: the same rows with timestamp (when given), anomaly_score and
// is_anomaly. The model learns from --train FILE, or a --model artifact, or else the first
// --train-fraction of the rows; --online keeps learning from past rows only. No row is ever scored with
// knowledge of a later one.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AnomalyModel, type AnomalyArtifact } from '../models/anomaly-model.ts';

export const SCORE_HELP = `Usage: medic anomaly score --input FILE --output FILE [options]
  --no-header            the input is a headerless numeric matrix (ASD layout)
  --train FILE           learn from this file (same layout) instead of the input's first rows
  --model DIR            use a trained artifact (DIR/model.json)
  --train-fraction F     without --train/--model: learn from the first F of the rows (default 0.15)
  --online               refit every --refit-every rows on all rows seen so far (past only)
  --refit-every N        default 500
  --window N             feature window in samples (default 12)
  --contamination C      share of training rows taken as anomalous for the threshold (default 0.1)
  --seed S               default 1`;

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
  window: number;
  contamination: number;
  seed: number;
  trainFraction: number;
  online: boolean;
  refitEvery: number;
}

/** Scores every row, learning only from rows before it (or from a separate training set). */
export function scoreRows(table: Table, o: ScoreOptions, train?: number[][], artifact?: AnomalyArtifact): { score: number; isAnomaly: boolean }[] {
  if (artifact || train) {
    const model = artifact ? AnomalyModel.fromArtifact(artifact) : AnomalyModel.train(train!, table.columns, { window: o.window, contamination: o.contamination, seed: o.seed });
    return model.scoreSeries(table.rows);
  }
  const warm = Math.max(o.window + 1, Math.floor(table.rows.length * o.trainFraction));
  const out: { score: number; isAnomaly: boolean }[] = [];
  let model = AnomalyModel.train(table.rows.slice(0, warm), table.columns, { window: o.window, contamination: o.contamination, seed: o.seed });
  let fittedAt = warm;
  for (let t = 0; t < table.rows.length; t++) {
    if (o.online && t >= fittedAt + o.refitEvery) {
      model = AnomalyModel.train(table.rows.slice(0, t), table.columns, { window: o.window, contamination: o.contamination, seed: o.seed });
      fittedAt = t;
    }
    out.push(model.scoreLatest(table.rows.slice(Math.max(0, t - o.window), t + 1)));
  }
  return out;
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
  const o: ScoreOptions = {
    window: Number(values.window), contamination: Number(values.contamination), seed: Number(values.seed),
    trainFraction: Number(values['train-fraction']), online: Boolean(values.online), refitEvery: Number(values['refit-every']),
  };
  const problems = [
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
