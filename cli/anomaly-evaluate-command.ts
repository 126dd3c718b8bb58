// `medic anomaly evaluate` (and the `medic anomaly` group): argv → options → training/evaluation
// (evaluate-nab.ts when nab-dev/ is there, then evaluate-asd.ts), and the result tables on stdout.
import { resolve } from 'node:path';
import { evaluateAsd } from '../training/evaluation/evaluate-asd.ts';
import { evaluateNab, NAB_HOLD_OFF } from '../training/evaluation/evaluate-nab.ts';
import { DATA_HELP, DEFAULT_DATA_DIR, findEvaluationData } from '../training/evaluation/evaluation-data.ts';
import { defineCommand, EXIT, runCommand, UsageError } from './args.ts';
import { scoreCommand } from './anomaly-score-command.ts';

const HELP = `Usage: medic anomaly evaluate [--data DIR] [--window N] [--seed S]

Trains Medic's anomaly model on each ASD server's training split and scores its test split, beside
baselines run in the same command: an Isolation Forest on the raw metrics (the sklearn-like reference),
a rolling z-score and random scores. Prints, per detector, the mean over servers of the best-threshold
point-wise F1, the point-adjusted F1 (inflated by design: never read it alone), segment recall and AUC.
First, when DIR holds nab-dev/, Medic's streaming detector on the NAB dev split beside NAB's baselines.
  --data DIR    the folder holding asd/ and, optionally, nab-dev/ (see Data below). Default:
                ${DEFAULT_DATA_DIR}, relative to the current directory, where this repository's maintainers
                keep it; everyone else passes --data
  --window N    rolling window of the features, in samples (default 12: one hour of 5-minute samples)
  --seed S      seed of the forests (default 1)

${DATA_HELP}`;

export const evaluateCommand = defineCommand({
  name: 'evaluate',
  summary: 'Evaluate the anomaly model on the labelled ASD (and NAB) data, beside baselines',
  usage: HELP,
  options: { data: { type: 'string' }, window: { type: 'string', default: '12' }, seed: { type: 'string', default: '1' } },
  run({ values }) {
    const window = Number(values.window);
    const seed = Number(values.seed);
    if (!(Number.isInteger(window) && window >= 2)) throw new UsageError(`--window must be an integer >= 2, but was ${values.window}`);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, but was ${values.seed}`);
    // No parseArgs default: the message can then say that the default was used, and which it is.
    const data = findEvaluationData(resolve(values.data ?? DEFAULT_DATA_DIR));
    if ('problem' in data) throw new UsageError(values.data === undefined ? `${data.problem} (no --data given: looked in the default, ${DEFAULT_DATA_DIR})` : data.problem);
    const { asdDir, nabDir } = data;
    if (nabDir) printNab(nabDir, window, seed);
    const results = evaluateAsd(asdDir, window, seed, (name) => process.stderr.write(`${name} `));
    process.stderr.write('\n');
    console.log(`ASD, ${results.servers} servers (mean over servers; best threshold per server and detector)`);
    console.log('detector             F1 point-wise   F1 point-adjusted   segment recall    AUC');
    for (const [name, r] of Object.entries(results.detectors)) {
      console.log(`${name.padEnd(20)} ${r.f1.toFixed(3).padStart(14)} ${r.f1PointAdjusted.toFixed(3).padStart(19)} ${r.segmentRecall.toFixed(3).padStart(16)} ${r.auc.toFixed(3).padStart(6)}`);
    }
    return EXIT.ok;
  },
});

function printNab(nabDir: string, window: number, seed: number): void {
  const started = Date.now();
  const { detectors, medic, crossValidation: cv, candidates } = evaluateNab(nabDir, window, seed);
  const categories = Object.keys(medic.categories);
  const fixed = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
  console.log(`NAB dev split, NAB scorer (standard profile; probation 15% capped at 750 rows; best threshold over the corpus`);
  console.log(`for each detector). It reproduces the published references on this split: rolling z-score 38.3, windowed`);
  console.log(`Gaussian 51.5 (random 18.8 there; ours draws other numbers). "+ hold-off": after an alert, no alert for`);
  console.log(`${NAB_HOLD_OFF.hours} h; Medic alerts at 0.5, each baseline at the alert threshold that suits it best on this split.`);
  console.log(`detector                        score  ${categories.map((c) => c.padStart(22)).join('')}   threshold`);
  for (const [name, r] of Object.entries(detectors)) {
    console.log(`${name.padEnd(30)} ${r.score.toFixed(1).padStart(6)}  ${categories.map((c) => fixed(r.categories[c]!).padStart(22)).join('')}   ${r.threshold.toPrecision(4)}`);
  }
  console.log(`\nMedic (with the hold-off), one threshold for the corpus (${medic.threshold.toFixed(3)}) against each category's own best:`);
  console.log(`a category that gains much from its own threshold is one where the score does not mean the same.`);
  console.log(`category                   at ${medic.threshold.toFixed(3)}   own best   at threshold    gain   false positives`);
  for (const c of categories) {
    const f = medic.categories[c]!;
    console.log(`${c.padEnd(24)} ${fixed(f.atCorpus).padStart(9)} ${fixed(f.ownBest).padStart(10)} ${f.ownThreshold.toFixed(3).padStart(14)} ${fixed(f.gain).padStart(7)} ${String(f.falsePositives).padStart(17)}`);
  }
  console.log(`largest gain: ${medic.worstGain.toFixed(1)} (categories without windows have no score of their own: their false positives count in the corpus)`);
  const label = (i: number) => (i === 0 ? 'defaults' : JSON.stringify(candidates[i]).replace(/[{}"]/g, ''));
  console.log(`\nLeave one category out, over ${candidates.length} constant sets (the defaults, and each constant one step either way):`);
  console.log(`each held-out category is scored with what was chosen on the other ones. "threshold only": the defaults,`);
  console.log(`their threshold chosen without the category; "nested": constants and threshold chosen without it.`);
  const mine = cv.perCandidate[0]!;
  console.log(`held out                  threshold only (at)   nested (constants at threshold)`);
  cv.categories.forEach((c, k) => {
    const own = mine.folds[k]!;
    const nested = cv.nested.folds[k]!;
    const score = (x: number, fp: number) => (Number.isFinite(x) ? x.toFixed(1) : `${fp} FP`);
    console.log(`${c.padEnd(24)} ${score(own.heldOutScore, own.heldOutFalsePositives).padStart(9)} (${own.threshold.toFixed(3)})   ${score(nested.heldOutScore, nested.heldOutFalsePositives).padStart(6)} (${label(nested.candidate)} at ${nested.threshold.toFixed(3)})`);
  });
  console.log(`held-out corpus           ${mine.corpus.toFixed(1).padStart(9)}           ${cv.nested.corpus.toFixed(1).padStart(6)}`);
  console.log(`cross-validation picks: ${label(cv.chosen)} (held-out corpus ${cv.perCandidate[cv.chosen]!.corpus.toFixed(1)})${cv.chosen === 0 ? '' : ': the defaults are no longer its choice'}`);
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

export const anomalyGroupCommand = defineCommand({
  name: 'anomaly',
  summary: 'Evaluate and backtest the anomaly detector',
  subcommands: [evaluateCommand, scoreCommand],
});

/** `medic anomaly <evaluate|score> ...` for a dispatcher that hands over raw arguments. */
export function anomalyCommand(args: string[]): Promise<number> {
  return runCommand(anomalyGroupCommand, args, ['medic']);
}
