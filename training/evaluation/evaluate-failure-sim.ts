// The failure model on simulated fleet histories (sim/fleet-history.ts), held out by seed: train on one
// fleet's day, choose the alarm threshold on its latest hours for the target event precision, then
// score another fleet's day the model never saw. Events are counted as event-prediction.ts defines
// them (an alarm episode starting in the horizon before a failure, or at it), per agent, and added up.
import { FailureModel, type LabelledSeries } from '../../models/failure/failure-model.ts';
import { initBackend } from '../../models/failure/tf-backend.ts';
import { windowLabels } from '../failure-labels.ts';
import { eventPrediction, eventThreshold } from './event-prediction.ts';
import type { FailureBacktestOptions } from './failure-backtest.ts';

/** One agent's history, as the simulator writes it (sim/fleet-history.ts), with the kind of each failure. */
export interface SimulatedHistory {
  agent: string;
  rows: number[][];
  failing: ArrayLike<number>;
  /** Per injected fault: its kind, whether it was sudden, the row it was injected at. */
  faults: { kind: string; sudden: boolean; injectedRow: number }[];
}

export interface SimEvaluation {
  threshold: number;
  agents: number;
  simulatedDays: number;
  events: { all: number; degrading: number; sudden: number };
  predicted: { all: number; degrading: number; sudden: number };
  episodes: number;
  trueEpisodes: number;
  precision: number;
  recall: { all: number; degrading: number };
  /** Median lead over predicted events, in simulated minutes. */
  medianLeadMinutes: number | null;
  falseAlarmsPerAgentDay: number;
  brier: number;
  trainSeconds: number;
  epochs: number;
}

export async function evaluateFailureSim(train: SimulatedHistory[], heldOut: SimulatedHistory[], columns: string[], stepSeconds: number, o: FailureBacktestOptions): Promise<SimEvaluation> {
  await initBackend(o.backend);
  const split = (h: SimulatedHistory) => Math.round(h.rows.length * (1 - o.validationFraction));
  const labelled = (h: SimulatedHistory, from: number, to: number): LabelledSeries => {
    const labels = windowLabels(h.failing, o.horizon);
    return { rows: h.rows.slice(from, to), labels: Array.from(labels.slice(from, to)) };
  };
  const started = performance.now();
  const { model, report } = await FailureModel.train(train.map((h) => labelled(h, 0, split(h))), train.map((h) => labelled(h, split(h), h.rows.length)), {
    columns, architecture: o.architecture, steps: o.steps, horizon: o.horizon, epochs: o.epochs, batchSize: o.batchSize, patience: o.patience,
    learningRate: o.learningRate, seed: o.seed, targetPrecision: o.targetPrecision, sampling: { stepSeconds, rateWindow: `${stepSeconds * 2}s` }, ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
  });
  const trainSeconds = (performance.now() - started) / 1000;
  // The operating point: the lowest threshold whose episodes on the validation hours reach the target
  // precision (what an SRE is paged by), not the per-window precision training reports.
  const validation = train.map((h) => ({ h, p: model.scoreSeries(h.rows).slice(split(h)), failing: Array.from(h.failing).slice(split(h)) }));
  const threshold = eventThreshold(validation.map((v) => ({ p: v.p, failing: v.failing })), o.horizon, o.targetPrecision);
  const tuned = model.withThreshold(threshold);
  const totals = { events: { all: 0, degrading: 0, sudden: 0 }, predicted: { all: 0, degrading: 0, sudden: 0 }, episodes: 0, trueEpisodes: 0, leads: [] as number[], brier: 0, windows: 0 };
  for (const h of heldOut) {
    const p = tuned.scoreSeries(h.rows);
    const r = eventPrediction(Array.from(h.failing), p, threshold, o.horizon);
    totals.episodes += r.episodes;
    totals.trueEpisodes += r.trueEpisodes;
    totals.leads.push(...r.leadTimes.map((rows) => (rows * stepSeconds) / 60));
    // Which events were sudden: the fault injected last before each failure started.
    const starts = [...Array(h.failing.length).keys()].filter((t) => h.failing[t]! > 0 && (t === 0 || !(h.failing[t - 1]! > 0)));
    const caught = new Set(predictedStarts(p, threshold, starts, o.horizon, h.failing));
    for (const s of starts) {
      const fault = [...h.faults].reverse().find((f) => f.injectedRow <= s);
      const kind = fault?.sudden ? 'sudden' : 'degrading';
      totals.events.all++; totals.events[kind]++;
      if (caught.has(s)) { totals.predicted.all++; totals.predicted[kind]++; }
    }
    const labels = windowLabels(h.failing, o.horizon);
    for (let t = o.steps - 1; t < p.length; t++) if (labels[t]! >= 0) { totals.brier += (p[t]! - labels[t]!) ** 2; totals.windows++; }
  }
  const days = heldOut.reduce((s, h) => s + (h.rows.length * stepSeconds) / 86_400, 0);
  const leads = [...totals.leads].sort((a, b) => a - b);
  return {
    threshold, agents: heldOut.length, simulatedDays: days / Math.max(1, heldOut.length), events: totals.events, predicted: totals.predicted,
    episodes: totals.episodes, trueEpisodes: totals.trueEpisodes, precision: totals.episodes ? totals.trueEpisodes / totals.episodes : 0,
    recall: { all: totals.events.all ? totals.predicted.all / totals.events.all : 0, degrading: totals.events.degrading ? totals.predicted.degrading / totals.events.degrading : 0 },
    medianLeadMinutes: leads.length ? leads[leads.length >> 1]! : null, falseAlarmsPerAgentDay: days ? (totals.episodes - totals.trueEpisodes) / days : 0,
    brier: totals.windows ? totals.brier / totals.windows : 0, trainSeconds, epochs: report.epochs.length,
  };
}

// Event starts predicted by an alarm episode starting within [s − H, s] (event-prediction.ts's rule).
function predictedStarts(p: ArrayLike<number>, threshold: number, starts: number[], horizon: number, failing: ArrayLike<number>): number[] {
  const episodeStarts: number[] = [];
  let inEpisode = false;
  for (let t = 0; t < p.length; t++) {
    const alarm = p[t]! >= threshold && !(failing[t]! > 0 && t > 0 && failing[t - 1]! > 0);
    if (alarm && !inEpisode) episodeStarts.push(t);
    inEpisode = alarm;
  }
  return starts.filter((s) => episodeStarts.some((e) => e >= s - horizon && e <= s));
}
