// `medic train failure`: fit the failure model on labelled histories (simulated fleets, or a CSV with a
// failing column), choose its alarm threshold on the latest part of every history for a target
// precision of alarm episodes, gate it, and publish it to the registry's failure folder with its model
// card and an HTML training report (report.html). The gate compares it with the promoted model on the
// same held-out hours, so a retrained model never replaces a better one.
import { FailureModel, type LabelledSeries } from '../models/failure/failure-model.ts';
import { initBackend } from '../models/failure/tf-backend.ts';
import { loadVersion, promote, promotedVersion, publishModel } from '../models/registry.ts';
import type { FailureBacktestOptions } from './evaluation/failure-backtest.ts';
import { eventPrediction, eventThreshold } from './evaluation/event-prediction.ts';
import { windowLabels } from './failure-labels.ts';
import { thinNegatives } from './history-failures.ts';
import { seededRandom } from '../lib/random.ts';
import { renderReport } from './failure-report.ts';

export interface FailureHistory { agent: string; rows: number[][]; failing: ArrayLike<number> }

export interface TrainFailureOptions extends FailureBacktestOptions {
  registry: string;
  agentType: string;
  source: string;
  stepSeconds: number;
  rateWindow: string;
  promote: boolean;
  /** Training windows at most: every positive kept, negatives thinned at random with the seed. */
  maxWindows?: number;
  /** The gate: the least recall of failures on the held-out hours (default 0.5). */
  minRecall?: number;
  log?: (line: string) => void;
}

export interface HoldOutMetrics { threshold: number; events: number; predicted: number; episodes: number; trueEpisodes: number; precision: number; recall: number; f1: number; medianLeadMinutes: number | null; falseAlarmsPerAgentDay: number }

export interface TrainFailureOutcome {
  version: string;
  dir: string;
  metrics: HoldOutMetrics;
  /** The promoted model's figures on the same hold-out, when one was in service. */
  inService?: { version: string; metrics: HoldOutMetrics };
  gate: { passed: boolean; reasons: string[] };
  promoted: boolean;
}

/** Event metrics of a model's probabilities over held-out parts of several histories, at `threshold`. */
export function holdOutMetrics(parts: { p: ArrayLike<number>; failing: ArrayLike<number> }[], threshold: number, horizon: number, stepSeconds: number): HoldOutMetrics {
  let events = 0, predicted = 0, episodes = 0, trueEpisodes = 0, rows = 0;
  const leads: number[] = [];
  for (const part of parts) {
    const r = eventPrediction(Array.from(part.failing, (f) => (f > 0 ? 1 : 0)), part.p, threshold, horizon);
    events += r.events; predicted += r.predicted; episodes += r.episodes; trueEpisodes += r.trueEpisodes; rows += part.p.length;
    leads.push(...r.leadTimes.map((l) => (l * stepSeconds) / 60));
  }
  leads.sort((a, b) => a - b);
  const precision = episodes ? trueEpisodes / episodes : 0;
  const recall = events ? predicted / events : 0;
  const days = (rows * stepSeconds) / 86_400;
  return {
    threshold, events, predicted, episodes, trueEpisodes, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    medianLeadMinutes: leads.length ? leads[leads.length >> 1]! : null, falseAlarmsPerAgentDay: days ? (episodes - trueEpisodes) / days : 0,
  };
}

export async function trainFailure(histories: FailureHistory[], columns: string[], o: TrainFailureOptions): Promise<TrainFailureOutcome> {
  const log = o.log ?? (() => undefined);
  const info = await initBackend(o.backend);
  log(`TensorFlow.js backend: ${info.name}${info.matmulPatch ? ` (matmul patch ${info.matmulPatch})` : ''}${info.skipped.length ? `; passed over: ${info.skipped.join('; ')}` : ''}`);
  const cut = (h: FailureHistory) => Math.round(h.rows.length * (1 - o.validationFraction));
  const part = (h: FailureHistory, from: number, to: number): LabelledSeries => ({ rows: h.rows.slice(from, to), labels: Array.from(windowLabels(h.failing, o.horizon).slice(from, to)) });
  const training = thinTraining(histories.map((h) => part(h, 0, cut(h))), o.maxWindows, o.seed, log);
  const { model, report } = await FailureModel.train(training, histories.map((h) => part(h, cut(h), h.rows.length)), {
    columns, architecture: o.architecture, steps: o.steps, horizon: o.horizon, epochs: o.epochs, batchSize: o.batchSize, patience: o.patience,
    learningRate: o.learningRate, seed: o.seed, targetPrecision: o.targetPrecision, sampling: { stepSeconds: o.stepSeconds, rateWindow: o.rateWindow },
    onEpoch: (e) => log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, held-out ${e.validationLoss.toFixed(4)}${e.best ? ' (best)' : ''}, ${e.seconds.toFixed(1)} s`),
  });
  // The held-out hours, scored with the rows before them as the window's past.
  const heldOut = (m: FailureModel) => histories.map((h) => ({ p: m.scoreSeries(h.rows).slice(cut(h)), failing: Array.from(h.failing).slice(cut(h)) }));
  const scored = heldOut(model);
  const threshold = eventThreshold(scored, o.horizon, o.targetPrecision);
  const tuned = model.withThreshold(threshold);
  const metrics = holdOutMetrics(scored, threshold, o.horizon, o.stepSeconds);
  const reasons: string[] = [];
  if (threshold >= 1) reasons.push(`no threshold reaches precision ${o.targetPrecision} of alarm episodes on the held-out hours`);
  if (metrics.events < 3) reasons.push(`only ${metrics.events} failures in the held-out hours: too few to judge (need 3)`);
  if (metrics.recall < (o.minRecall ?? 0.5)) reasons.push(`recall ${metrics.recall.toFixed(3)} of held-out failures is under ${o.minRecall ?? 0.5}`);
  let inService: TrainFailureOutcome['inService'];
  const current = promotedVersion(o.registry, o.agentType, 'failure');
  if (current) {
    try {
      const old = loadVersion(o.registry, o.agentType, current, 'failure').model as FailureModel;
      inService = { version: current, metrics: holdOutMetrics(heldOut(old), old.threshold, o.horizon, o.stepSeconds) };
      if (metrics.f1 < inService.metrics.f1 - 0.02) reasons.push(`event F1 ${metrics.f1.toFixed(3)} is below the promoted ${current}'s ${inService.metrics.f1.toFixed(3)} on the same held-out hours`);
    } catch (err) {
      log(`the promoted ${current} cannot be compared: ${(err as Error).message}`);
    }
  }
  const gate = { passed: reasons.length === 0, reasons };
  const leadMinutes = histories.flatMap((h, i) => eventPrediction(Array.from(h.failing).slice(cut(h)).map((f) => (f > 0 ? 1 : 0)), scored[i]!.p, threshold, o.horizon).leadTimes.map((l) => (l * o.stepSeconds) / 60));
  const summary = {
    source: o.source, backend: info.name, architecture: `LSTM ${o.architecture.units.join('-')}, dense ${o.architecture.dense}`, steps: o.steps,
    horizon: `${o.horizon} rows (${((o.horizon * o.stepSeconds) / 60).toFixed(1)} min)`, 'held-out windows': report.validation.windows, 'best epoch': report.bestEpoch,
    'alarm threshold': threshold.toFixed(3), 'held-out event precision': metrics.precision.toFixed(3), 'held-out event recall': metrics.recall.toFixed(3),
    'median lead (min)': metrics.medianLeadMinutes?.toFixed(1) ?? 'n/a', 'false alarms per agent-day': metrics.falseAlarmsPerAgentDay.toFixed(2), 'Brier (windows)': report.validation.brier.toFixed(4),
    gate: gate.passed ? 'passed' : `FAILED: ${reasons.join('; ')}`,
  };
  const html = renderReport({ title: `Failure model ${o.agentType}`, summary, epochs: report.epochs, bestEpoch: report.bestEpoch, validation: report.validationScores, threshold, leadMinutes });
  const rowsTrain = histories.reduce((s, h) => s + cut(h), 0);
  const rowsValidation = histories.reduce((s, h) => s + h.rows.length - cut(h), 0);
  const published = publishModel(o.registry, tuned.toArtifact(), {
    agentType: o.agentType, createdAt: new Date().toISOString(), source: o.source, rows: { train: rowsTrain, validation: rowsValidation }, columns,
    metrics: {
      event_precision: metrics.precision, event_recall: metrics.recall, event_f1: metrics.f1, failures: metrics.events, alarm_episodes: metrics.episodes,
      median_lead_minutes: metrics.medianLeadMinutes ?? Number.NaN, false_alarms_per_agent_day: metrics.falseAlarmsPerAgentDay, brier: report.validation.brier, threshold,
    },
    parameters: { kind: 'failure', units: o.architecture.units.join('-'), dense: o.architecture.dense, steps: o.steps, horizon: o.horizon, epochs: report.epochs.length, seed: o.seed, target_precision: o.targetPrecision, step_seconds: o.stepSeconds, backend: info.name },
    notes: [gate.passed ? 'gate passed' : `gate failed: ${reasons.join('; ')}`, ...(inService ? [`in service before: ${inService.version}, event F1 ${inService.metrics.f1.toFixed(3)} on the same held-out hours`] : [])],
  }, { 'report.html': html });
  let promoted = false;
  if (o.promote && gate.passed) {
    promote(o.registry, o.agentType, published.version, 'failure');
    promoted = true;
  }
  return { version: published.version, dir: published.dir, metrics, ...(inService ? { inService } : {}), gate, promoted };
}

/** A fleet's long history holds far more healthy windows than a CPU can fit nightly: thin them, seeded. */
function thinTraining(parts: LabelledSeries[], maxWindows: number | undefined, seed: number, log: (line: string) => void): LabelledSeries[] {
  const count = (ps: LabelledSeries[]) => ps.reduce((n, p) => n + Array.from(p.labels).filter((l) => l >= 0).length, 0);
  const before = count(parts);
  if (maxWindows === undefined || before <= maxWindows) return parts;
  // One shared label vector, so the cap holds for the fleet and not per agent.
  const all = Int8Array.from(parts.flatMap((p) => Array.from(p.labels)));
  const thinned = thinNegatives(all, maxWindows, seededRandom(seed + 29));
  let at = 0;
  const out = parts.map((p) => ({ rows: p.rows, labels: Array.from(thinned.subarray(at, (at += p.labels.length))) }));
  log(`training windows: ${before} labelled, thinned to ${count(out)} (every failure kept, --max-windows ${maxWindows})`);
  return out;
}
