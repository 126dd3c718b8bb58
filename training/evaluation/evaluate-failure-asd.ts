// The failure model on ASD, beside baselines scored in the same run: per server, train on its training
// month (synthetic failures written in: it has no labels), score its test half row by row, and count
// events as training/evaluation/event-prediction.ts defines them. Baselines: an Isolation Forest on the
// raw metrics, the rolling max-|z|, a predict_linear-style trend and random scores. Also the top-3 hit
// rate of the model's contributing factors against ASD's interpretation labels (the metrics operators
// named as the cause of each anomaly).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAsd } from './asd.ts';
import { randomScores, rawForestScores, rollingZScores } from './baselines.ts';
import { bestEventF1 } from './event-prediction.ts';
import { scoreFollowing, trainFromHistory, type FailureBacktestOptions } from './failure-backtest.ts';
import { trendScores } from './trend-baseline.ts';

export const FAILURE_DETECTORS = ['medic lstm', 'isolation forest', 'max-|z|', 'trend', 'random'] as const;

export interface ServerResult {
  server: string;
  perDetector: Record<string, { f1: number; precision: number; recall: number; medianLead: number | null; episodes: number }>;
  /** Events whose window's top-3 factors include a metric the operators named / events with a label. */
  interpretation: { hits: number; labelled: number; chance: number };
  trainSeconds: number;
}

export async function evaluateFailureAsd(asdDir: string, o: FailureBacktestOptions & { servers?: number }, progress?: (line: string) => void): Promise<ServerResult[]> {
  const servers = loadAsd(asdDir).slice(0, o.servers ?? Infinity);
  const results: ServerResult[] = [];
  for (const s of servers) {
    const started = performance.now();
    const columns = s.train[0]!.map((_, i) => `column_${i + 1}`);
    const trained = await trainFromHistory(s.train, columns, undefined, o);
    const trainSeconds = (performance.now() - started) / 1000;
    const scores: Record<string, ArrayLike<number>> = {
      'medic lstm': scoreFollowing(trained.model, s.test, s.train),
      'isolation forest': rawForestScores(s.train, s.test, o.seed),
      'max-|z|': rollingZScores([...s.train, ...s.test]).slice(s.train.length),
      trend: trendScores(s.train, s.test, { window: 12, horizon: o.horizon }),
      random: randomScores(s.test.length, o.seed),
    };
    const perDetector: ServerResult['perDetector'] = {};
    for (const name of FAILURE_DETECTORS) {
      const b = bestEventF1(s.labels, scores[name]!, o.horizon);
      perDetector[name] = { f1: b.f1, precision: b.precision, recall: b.recall, medianLead: b.medianLead, episodes: b.episodes };
    }
    const interpretation = interpretationHits(asdDir, s.name, s.train, s.test, trained.model);
    results.push({ server: s.name, perDetector, interpretation, trainSeconds });
    progress?.(`${s.name}: lstm F1 ${perDetector['medic lstm']!.f1.toFixed(3)} (trained ${trainSeconds.toFixed(0)} s, ${trained.report.epochs.length} epochs, ${trained.failures} synthetic failures)`);
  }
  return results;
}

/** `start-end:m,m,...` lines (test rows, 1-based metrics) → segments. */
export function parseInterpretation(text: string): { start: number; end: number; metrics: number[] }[] {
  return text.split('\n').filter((l) => l.trim()).map((line, i) => {
    const m = /^(\d+)-(\d+):([\d,]+)$/.exec(line.trim());
    if (!m) throw new Error(`interpretation label line ${i + 1}: ${JSON.stringify(line)} is not start-end:metric,metric,...`);
    return { start: Number(m[1]), end: Number(m[2]), metrics: m[3]!.split(',').map(Number) };
  });
}

// For each labelled segment: explain the window ending at its first row (what the model saw as it
// started); a hit when one of the three columns that drive the probability most is a named metric.
function interpretationHits(asdDir: string, server: string, train: number[][], test: number[][], model: Awaited<ReturnType<typeof trainFromHistory>>['model']): { hits: number; labelled: number; chance: number } {
  const file = join(asdDir, 'interpretation_label', `${server}.txt`);
  if (!existsSync(file)) return { hits: 0, labelled: 0, chance: 0 };
  const history = [...train.slice(-model.window), ...test];
  const offset = Math.min(train.length, model.window);
  let hits = 0;
  let labelled = 0;
  // What three metrics picked at random would hit: 1 − C(width − named, 3) / C(width, 3), summed.
  let chance = 0;
  const width = test[0]?.length ?? 0;
  const choose3 = (n: number) => (n < 3 ? 0 : (n * (n - 1) * (n - 2)) / 6);
  for (const seg of parseInterpretation(readFileSync(file, 'utf8'))) {
    const end = offset + seg.start;
    if (end >= history.length || end + 1 < model.window) continue;
    labelled++;
    chance += 1 - choose3(width - seg.metrics.length) / choose3(width);
    const top = model.explain(history.slice(end + 1 - model.window, end + 1)).reading.contributions.map((c) => Number(c.feature.replace('column_', '')));
    if (top.some((metric) => seg.metrics.includes(metric))) hits++;
  }
  return { hits, labelled, chance };
}
