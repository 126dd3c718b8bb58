// The training pipeline after the source: prepare → split in time → fit per agent type (and the
// fallback type on every row) → evaluate on the held-out part → gate → publish → promote. Used by
// `medic train anomaly` and by each nightly run.
import { AnomalyModel, trainingSkip } from '../models/anomaly-model.ts';
import { FALLBACK_TYPE, loadVersion, promote, promotedVersion, publishModel, type ModelCard } from '../models/registry.ts';
import { evaluationGate, GATE_DEFAULTS, type GateOptions, type GateResult } from './evaluation-gate.ts';
import { describeColumns, prepareData, type PreparationReport } from './prepare.ts';
import { startProgress, type ProgressOptions } from '../lib/progress.ts';
import type { TrainingData, TrainingSeries } from './training-data.ts';
import { validationMetrics, type HeldOutPart } from './validation-metrics.ts';
import { formatInstant } from '../lib/format-instant.ts';
import { contractProblem } from '../models/signal-queries.ts';
import { describeBudget } from '../models/alarm-budget.ts';
import { MIN_CALIBRATION_ROWS } from '../models/calibrated-scorer.ts';

export interface TrainAnomalyOptions {
  registry: string;
  window: number;
  contamination: number;
  /** Alerts per healthy agent per day the thresholds allow (models/alarm-budget.ts). */
  alarmBudget: number;
  seed: number;
  trees: number;
  sampleSize: number;
  /** The last part in time of each agent's series held out for evaluation. */
  validationFraction: number;
  /** Training rows an agent type needs for a model of its own. */
  minRows: number;
  /** Above this, each series keeps only its most recent training rows (memory stays bounded). */
  maxTrainRows: number;
  /** Consecutive missing samples forward-filled per column. */
  fillLimit: number;
  /** Resample timestamped CSV rows to this step (Prometheus data comes at its query step). */
  stepSeconds?: number;
  promote: boolean;
  gate?: GateOptions;
  signal?: AbortSignal;
  /** Human-readable progress and results, one line each. */
  log: (line: string) => void;
  /** The terminal for a progress bar (default: stderr when it is one); without one, progress is logged. */
  progress?: Pick<ProgressOptions, 'tty'>;
}

export interface TypeOutcome {
  agentType: string;
  trainRows: number;
  validationRows: number;
  /** Absent when the type was skipped (see `skipped`). */
  version?: string;
  dir?: string;
  promoted: boolean;
  gate?: GateResult;
  metrics?: Record<string, number>;
  skipped?: string;
}

export interface TrainAnomalyResult {
  outcomes: TypeOutcome[];
  preparation: PreparationReport;
}

interface Split {
  series: TrainingSeries;
  train: number[][];
  heldOut: HeldOutPart;
}

export async function trainAnomaly(data: TrainingData, o: TrainAnomalyOptions): Promise<TrainAnomalyResult> {
  // Everything trained here goes to the registry the server serves from, which takes only contract
  // columns (models/registry.ts would refuse to publish after the fit); backtests on any columns are
  // `medic anomaly score --train`, which does not come through here. Checked before any preparation.
  const problem = contractProblem(data.columns);
  if (problem) throw new Error(`${data.source}: ${problem}. Nothing was trained: leave such columns out of the data to train for the registry, or backtest them with medic anomaly score --train`);
  const { data: prepared, report } = await prepareData(data, { stepSeconds: data.sampling?.stepSeconds ?? o.stepSeconds, fillLimit: o.fillLimit });
  o.log(`prepared ${report.rows} rows from ${report.inputRows} (${prepared.series.length} series): ${report.missingCells} cells missing, ${report.forwardFilled} forward-filled, ${report.zeroFilled} set to 0, ${report.droppedRows} rows dropped with every column missing`);
  const splits = prepared.series.map((s) => split(s, o.validationFraction));
  const types = [...new Set(splits.map((s) => s.series.agentType))].filter((t) => t !== FALLBACK_TYPE).sort();
  const groups: [string, Split[]][] = [...types.map((t): [string, Split[]] => [t, splits.filter((s) => s.series.agentType === t)]), [FALLBACK_TYPE, splits]];
  const progress = startProgress('training', groups.length, { ...o.progress, log: o.log });
  const outcomes: TypeOutcome[] = [];
  for (const [k, [agentType, group]] of groups.entries()) {
    o.signal?.throwIfAborted();
    progress.update(k, agentType);
    outcomes.push(await trainType(agentType, group, prepared, report, { ...o, log: progress.log }));
  }
  progress.finish();
  if (!outcomes.some((x) => x.version)) {
    throw new Error(`no model trained: every agent type has fewer than --min-rows ${o.minRows} training rows (${outcomes.map((x) => `${x.agentType} ${x.trainRows}`).join(', ')})`);
  }
  return { outcomes, preparation: report };
}

async function trainType(agentType: string, group: Split[], data: TrainingData, report: PreparationReport, o: TrainAnomalyOptions): Promise<TypeOutcome> {
  const parts = capRows(group.map((g) => g.train), o.maxTrainRows);
  const train = parts.flat();
  const heldOut = group.map((g) => g.heldOut);
  const validationRows = heldOut.reduce((n, h) => n + h.rows.length - h.from, 0);
  const skip = trainingSkip({ window: o.window, sampling: data.sampling });
  const fitted = parts.reduce((n, p) => n + Math.max(0, p.length - skip), 0);
  if (train.length < o.minRows || fitted < MIN_CALIBRATION_ROWS) {
    const skipped = train.length < o.minRows
      ? `${train.length} training rows, fewer than --min-rows ${o.minRows}`
      : `${fitted} training rows after each agent's first ${skip} (its window and rate warm-up), fewer than the ${MIN_CALIBRATION_ROWS} the score is calibrated on`;
    o.log(`${agentType}: skipped: ${skipped}${agentType === FALLBACK_TYPE ? '' : ` (its agents are served by the ${FALLBACK_TYPE} model)`}`);
    return { agentType, trainRows: train.length, validationRows, promoted: false, skipped };
  }
  const started = Date.now();
  const model = AnomalyModel.trainSeries(parts, data.columns, {
    window: o.window, contamination: o.contamination, seed: o.seed, trees: o.trees, sampleSize: o.sampleSize, fillLimit: o.fillLimit,
    alertsPerDay: o.alarmBudget, ...(o.stepSeconds ? { readingSeconds: o.stepSeconds } : {}),
    ...(data.sampling ? { sampling: data.sampling } : {}),
  });
  const trainingSeconds = (Date.now() - started) / 1000;
  const metrics: Record<string, number> = { ...validationMetrics(model, heldOut), training_seconds: trainingSeconds };
  const incumbent = incumbentOn(o.registry, agentType, data.columns, heldOut);
  const gate = evaluationGate({ budget: model.budget, candidate: metrics, incumbent }, o.gate ?? GATE_DEFAULTS);

  const timestamps = group.flatMap((g) => (g.series.timestamps ? [g.series.timestamps[0]!, g.series.timestamps.at(-1)!] : []));
  const heldOutFrom = group.flatMap((g) => (g.series.timestamps && g.heldOut.from < g.series.timestamps.length ? [g.series.timestamps[g.heldOut.from]!] : []));
  const agentTypes = [...new Set(group.map((g) => g.series.agentType))].sort();
  const notes = [
    `alarm budget: ${describeBudget(model.budget)}; threshold ${model.threshold.toFixed(3)} on the calibrated score (−log10 of the healthy tail probability / 10)`,
    `contamination ${o.contamination}: the forest's training parameter (its own cut, not the alarm rate)`,
    `evaluation gate: ${gate.passed ? 'passed' : 'FAILED'}`,
    ...gate.checks.map((c) => `${c.passed ? 'pass' : 'FAIL'}: ${c.name}: ${c.detail}`),
    `held out: the last ${Math.round(o.validationFraction * 100)}% in time of each agent's rows${heldOutFrom.length ? `, from ${formatInstant(Math.min(...heldOutFrom))}` : ''}`,
    `agents: ${group.length}${agentType === FALLBACK_TYPE ? `, of types ${agentTypes.join(', ')}` : ''}`,
    `fitted on ${model.trainingRows} feature rows: each agent's features from its own rows, its first ${trainingSkip({ window: o.window, sampling: data.sampling })} rows (a partial window${data.sampling ? ' and the rate warm-up' : ''}) left out, as serving leaves out agents that young`,
    `preparation (whole input): ${report.missingCells} missing cells, ${report.forwardFilled} forward-filled (at most ${o.fillLimit} in a row), ${report.zeroFilled} set to 0, ${report.droppedRows} rows with every column missing dropped`,
  ];
  const described = await describeColumns(train, data.columns);
  if (described.stride > 1) notes.push(`training data statistics over ${described.described} of ${train.length} training rows (every ${described.stride}th)`);
  const card: Omit<ModelCard, 'version'> = {
    agentType,
    createdAt: new Date().toISOString(),
    source: data.source,
    ...(timestamps.length ? { dataRange: { from: formatInstant(Math.min(...timestamps)), to: formatInstant(Math.max(...timestamps)) } } : {}),
    rows: { train: train.length, validation: validationRows },
    columns: data.columns,
    describe: described.stats,
    metrics,
    parameters: {
      window: o.window, contamination: o.contamination, alarmBudgetPerDay: o.alarmBudget, seed: o.seed, trees: o.trees, sampleSize: o.sampleSize,
      validationFraction: o.validationFraction, fillLimit: o.fillLimit,
      ...(data.sampling ? { stepSeconds: data.sampling.stepSeconds, rateWindow: data.sampling.rateWindow } : o.stepSeconds ? { stepSeconds: o.stepSeconds } : {}),
    },
    notes,
  };
  const { version, dir } = publishModel(o.registry, model.toArtifact(), card);
  let promoted = false;
  if (o.promote && gate.passed) {
    promote(o.registry, agentType, version);
    promoted = true;
  }
  const flagRate = metrics.validation_flag_rate ?? Number.NaN;
  o.log(`${agentType}: published ${version} (${train.length} training rows, ${validationRows} held out, fit ${trainingSeconds.toFixed(1)} s; held-out healthy flag rate ${Number.isFinite(flagRate) ? `${(flagRate * 100).toPrecision(2)}% against a budget of ${(model.budget.readingRate * 100).toPrecision(2)}%` : 'n/a'}${metrics.auc !== undefined ? `, AUC ${metrics.auc.toFixed(3)}, F1 ${metrics.f1!.toFixed(3)}` : ''}); gate ${gate.passed ? 'passed' : 'failed'}${o.promote ? (promoted ? '; promoted' : '; not promoted') : ''}`);
  if (!gate.passed) for (const c of gate.checks.filter((x) => !x.passed)) o.log(`${agentType}:   ${c.name}: ${c.detail}`);
  return { agentType, trainRows: train.length, validationRows, version, dir, promoted, gate, metrics };
}

// The promoted version scored on the same held-out rows, for the gate's comparison.
function incumbentOn(root: string, agentType: string, columns: string[], heldOut: HeldOutPart[]): { version: string; metrics?: Record<string, number>; problem?: string } | undefined {
  const version = promotedVersion(root, agentType);
  if (!version) return undefined;
  try {
    const { model } = loadVersion(root, agentType, version);
    // The gate compares anomaly models on the same rows; another kind has other metrics.
    if (!(model instanceof AnomalyModel)) return { version, problem: `it is a ${model.kind} model, not an anomaly forest` };
    const theirs = model.columns;
    if (theirs.join('\u0000') !== columns.join('\u0000')) return { version, problem: `it reads columns ${theirs.join(', ')}` };
    return { version, metrics: validationMetrics(model, heldOut) };
  } catch (err) {
    return { version, problem: (err as Error).message };
  }
}

/** The last `fraction` of a series (in time) is held out; at least one row stays for training. */
function split(series: TrainingSeries, fraction: number): Split {
  const n = series.rows.length;
  const from = n - Math.min(n - 1, Math.round(n * fraction));
  return { series, train: series.rows.slice(0, from), heldOut: { rows: series.rows, from, labels: series.labels } };
}

// The training rows of each series. Each keeps its most recent rows when the total is above `max`, so
// every agent stays represented and each part stays contiguous in time.
function capRows(parts: number[][][], max: number): number[][][] {
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (total <= max) return parts;
  return parts.map((p) => p.slice(p.length - Math.floor((p.length * max) / total)));
}
