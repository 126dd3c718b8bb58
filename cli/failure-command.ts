// `medic failure score` and `medic failure evaluate`: argv → options → training/evaluation
// (failure-backtest.ts, evaluate-failure-asd.ts), results as CSV or tables.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DESIGN_ARCHITECTURE, type Architecture } from '../models/failure/lstm-network.ts';
import { FailureModel } from '../models/failure/failure-model.ts';
import type { FailureArtifact } from '../models/failure/failure-artifact.ts';
import { BACKEND_PREFERENCE, initBackend, type BackendName } from '../models/failure/tf-backend.ts';
import { BACKTEST_DEFAULTS, scoreFollowing, trainFromHistory, type FailureBacktestOptions } from '../training/evaluation/failure-backtest.ts';
import { evaluateFailureAsd, FAILURE_DETECTORS } from '../training/evaluation/evaluate-failure-asd.ts';
import { DATA_HELP, DEFAULT_DATA_DIR, findEvaluationData } from '../training/evaluation/evaluation-data.ts';
import { evaluateFailureSim, type SimulatedHistory } from '../training/evaluation/evaluate-failure-sim.ts';
import { parseTable } from '../training/parse-table.ts';
import { FLEET_HISTORY_COLUMNS, FLEET_HISTORY_DEFAULTS, simulateFleetHistory, SUDDEN } from '../sim/fleet-history.ts';
import { defineCommand, EXIT, UsageError } from './args.ts';

const d = BACKTEST_DEFAULTS;
/** Simulated histories: 20 rows of 30 s, so a failure is foreseen up to 10 minutes ahead. */
const SIM_HORIZON = 20;
const SIM_STEP_SECONDS = FLEET_HISTORY_DEFAULTS.stepSeconds;
/** Alarm episodes that must be true: what the issue asks of simulated fleets (>= 0.85), with a margin. */
const SIM_TARGET_PRECISION = 0.9;
export const MODEL_OPTIONS_HELP = `  --horizon N            a window is positive when a failure starts within N rows after it (default ${d.horizon};
                         ${SIM_HORIZON} with --sim)
  --steps N              rows the LSTM reads (default ${d.steps})
  --units L              LSTM sizes, comma-separated (default ${d.architecture.units.join(',')}; the design's is
                         ${DESIGN_ARCHITECTURE.units.join(',')}: npm run bench:lstm compares their cost)
  --dense N              the relu layer before the output (default ${d.architecture.dense})
  --epochs N             at most N epochs, stopping after ${d.patience} without a better validation loss (default ${d.epochs})
  --target-precision P   validation precision the alarm threshold is chosen for (default ${d.targetPrecision};
                         ${SIM_TARGET_PRECISION} of alarm episodes with --sim)
  --seed S               weights, shuffling and synthetic failures (default ${d.seed})
  --backend B            ${BACKEND_PREFERENCE.join(', ')} (default: the first that starts, in that order)`;

const SCORE_HELP = `Usage: medic failure score --input FILE --output FILE (--train FILE | --model DIR) [options]

Backtests the failure model: writes failure_probability (calibrated, in [0, 1]) and is_alarm for every
input row, each from the rows up to it (never a later one). The first rows' windows reach back into
--train (the history just before the input); without it they score 0.
  --input FILE           rows to score: a CSV with a header (optional timestamp column) or, with
                         --no-header, a numeric matrix (ASD layout)
  --output FILE          the scores, one line per input row
  --no-header            both files are headerless numeric matrices
  --train FILE           learn from this earlier history (same columns). A 0/1 column named failing
                         labels it (down, not ready, SLO breach or remediated); without one, synthetic
                         failures are written in, most degrading before they fail (README, Failure prediction)
  --save DIR             with --train: also write the trained model to DIR/model.json
  --model DIR            score with a saved model (DIR/model.json) instead of training
${MODEL_OPTIONS_HELP}`;

const EVALUATE_HELP = `Usage: medic failure evaluate [--data DIR] [--servers N] [options]
       medic failure evaluate --sim [--agents N] [--hours H] [options]

With --sim: simulates two fleets with degrading faults (memory leaks ending in an OOM kill, latency and
error creep, queue build-ups) and sudden ones (crash, hang), faster than real time: trains on the first
fleet's history, chooses the alarm threshold on its latest hours for --target-precision of alarm
episodes, and scores the second, held-out fleet. Prints event precision, recall (all failures, and the
degrading ones a model can foresee), median lead time in simulated minutes and false alarms per agent
per simulated day. Without --sim: ASD, as follows.

For each ASD server: trains the failure model on its training month (synthetic failures written in, as
ASD's training split has no labels), scores its test half row by row, and counts events: a labelled
segment's start, predicted by an alarm episode that starts in the H rows before it (or at it). Prints per
detector the best event F1 over thresholds, precision, recall and median lead time, averaged over the
servers, beside baselines scored in the same run (${FAILURE_DETECTORS.slice(1).join(', ')}), and the
top-3 hit rate of the model's contributing factors against ASD's interpretation labels. About a minute
per server on 2 cores.
  --data DIR             the folder holding asd/ (default ${DEFAULT_DATA_DIR})
  --servers N            only the first N servers (default all 12)
  --sim                  simulated fleets instead of ASD (horizon default ${SIM_HORIZON} rows of ${SIM_STEP_SECONDS} s)
  --agents N             --sim: agents per fleet (default ${FLEET_HISTORY_DEFAULTS.agents})
  --hours H              --sim: simulated hours of each fleet (default ${FLEET_HISTORY_DEFAULTS.hours})
${MODEL_OPTIONS_HELP}

${DATA_HELP}`;

export const MODEL_OPTIONS = {
  horizon: { type: 'string' }, steps: { type: 'string', default: String(d.steps) },
  units: { type: 'string', default: d.architecture.units.join(',') }, dense: { type: 'string', default: String(d.architecture.dense) },
  epochs: { type: 'string', default: String(d.epochs) }, 'target-precision': { type: 'string' },
  seed: { type: 'string', default: String(d.seed) }, backend: { type: 'string' },
} as const;

type ModelValues = { [K in keyof typeof MODEL_OPTIONS]?: string | undefined };

/** Options shared by both commands, checked; every problem named with its flag and value. */
export function backtestOptions(v: ModelValues): FailureBacktestOptions {
  const int = (name: keyof ModelValues, min: number) => {
    const n = Number(v[name]);
    return Number.isInteger(n) && n >= min ? n : `--${name} must be an integer >= ${min}, but was ${v[name]}`;
  };
  const horizon = v.horizon === undefined ? d.horizon : int('horizon', 1), steps = int('steps', 2), dense = int('dense', 1), epochs = int('epochs', 1), seed = int('seed', 0);
  const units = (v.units ?? '').split(',').map((u) => Number(u.trim()));
  const targetPrecision = v['target-precision'] === undefined ? d.targetPrecision : Number(v['target-precision']);
  const problems = [horizon, steps, dense, epochs, seed].filter((x): x is string => typeof x === 'string');
  if (!units.length || !units.every((u) => Number.isInteger(u) && u >= 1 && u <= 1024)) problems.push(`--units must be comma-separated integers in [1, 1024], but was ${v.units}`);
  if (!(targetPrecision > 0 && targetPrecision <= 1)) problems.push(`--target-precision must be in (0, 1], but was ${v['target-precision']}`);
  if (v.backend !== undefined && !(BACKEND_PREFERENCE as readonly string[]).includes(v.backend)) problems.push(`--backend must be one of ${BACKEND_PREFERENCE.join(', ')}, but was ${v.backend}`);
  if (problems.length) throw new UsageError(problems.join('\n'));
  const architecture: Architecture = { ...d.architecture, units, dense: dense as number };
  return {
    ...d, horizon: horizon as number, steps: steps as number, architecture, epochs: epochs as number, seed: seed as number, targetPrecision,
    ...(v.backend ? { backend: v.backend as BackendName } : {}),
    onEpoch: (e) => process.stderr.write(`  epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, validation ${e.validationLoss.toFixed(4)}${e.best ? ' (best)' : ''}, ${e.seconds.toFixed(1)} s\n`),
  };
}

export const failureScoreCommand = defineCommand({
  name: 'score',
  summary: 'Backtest a CSV or matrix: failure_probability and is_alarm per row, from the rows up to it',
  usage: SCORE_HELP,
  options: { input: { type: 'string' }, output: { type: 'string' }, 'no-header': { type: 'boolean' }, train: { type: 'string' }, model: { type: 'string' }, save: { type: 'string' }, ...MODEL_OPTIONS },
  async run({ values }) {
    if (!values.input || !values.output) throw new UsageError('--input and --output are required');
    if (!values.train === !values.model) throw new UsageError('give one of --train FILE (learn from it) and --model DIR (a saved model)');
    if (values.save && !values.train) throw new UsageError('--save writes a model trained with --train: add --train FILE');
    const o = backtestOptions(values);
    const header = !values['no-header'];
    const input = parseTable(readFileSync(values.input, 'utf8'), header);
    let model: FailureModel;
    let history: number[][] = [];
    if (values.train) {
      const table = parseTable(readFileSync(values.train, 'utf8'), header);
      const f = table.columns.indexOf('failing');
      const columns = table.columns.filter((_, i) => i !== f);
      if (columns.join(',') !== input.columns.filter((c) => c !== 'failing').join(',')) throw new UsageError(`--train has columns ${columns.join(',')}, --input ${input.columns.join(',')}: they must match`);
      const rows = table.rows.map((r) => r.filter((_, i) => i !== f));
      const failing = f >= 0 ? table.rows.map((r, i) => {
        if (r[f] !== 0 && r[f] !== 1) throw new UsageError(`--train row ${i + (header ? 2 : 1)}, column failing: must be 0 or 1, but was ${r[f]}`);
        return r[f]!;
      }) : undefined;
      process.stderr.write(`training on ${rows.length} rows of ${values.train} (${failing ? 'labelled by its failing column' : 'no labels: synthetic failures written in'})\n`);
      const trained = await trainFromHistory(rows, columns, failing, o);
      model = trained.model;
      history = rows;
      const v = trained.report.validation;
      process.stderr.write(`trained: ${trained.failures} failures, best epoch ${trained.report.bestEpoch}; validation: ${v.windows} windows, Brier ${v.brier.toFixed(4)}, alarm at p >= ${v.threshold.toFixed(3)} (precision ${v.precision.toFixed(2)}, recall ${v.recall.toFixed(2)})\n`);
      if (values.save) {
        mkdirSync(values.save, { recursive: true });
        writeFileSync(join(values.save, 'model.json'), JSON.stringify(model.toArtifact()));
        process.stderr.write(`model written to ${join(values.save, 'model.json')}\n`);
      }
    } else {
      await initBackend(o.backend);
      model = FailureModel.fromArtifact(JSON.parse(readFileSync(join(values.model!, 'model.json'), 'utf8')) as FailureArtifact);
    }
    const inputColumns = input.columns.filter((c) => c !== 'failing');
    if (inputColumns.join(',') !== model.columns.join(',')) throw new UsageError(`the model reads ${model.columns.join(',')}, --input has ${inputColumns.join(',')}`);
    const f = input.columns.indexOf('failing');
    const p = scoreFollowing(model, input.rows.map((r) => r.filter((_, i) => i !== f)), history);
    const lines = [[...(input.timestamps ? ['timestamp'] : []), 'failure_probability', 'is_alarm'].join(',')];
    p.forEach((x, i) => lines.push([...(input.timestamps ? [input.timestamps[i]!] : []), x.toFixed(6), x >= model.threshold ? 1 : 0].join(',')));
    writeFileSync(values.output, `${lines.join('\n')}\n`);
    process.stderr.write(`scored ${p.length} rows, ${p.filter((x) => x >= model.threshold).length} at or above the alarm threshold ${model.threshold.toFixed(3)} → ${values.output}\n`);
    return EXIT.ok;
  },
});

export const failureEvaluateCommand = defineCommand({
  name: 'evaluate',
  summary: 'Evaluate failure prediction on ASD: event F1 and lead time beside baselines',
  usage: EVALUATE_HELP,
  options: { data: { type: 'string' }, servers: { type: 'string' }, sim: { type: 'boolean' }, agents: { type: 'string' }, hours: { type: 'string' }, ...MODEL_OPTIONS },
  async run({ values }) {
    if (values.sim) return evaluateSim(values);
    if (values.agents !== undefined || values.hours !== undefined) throw new UsageError('--agents and --hours are for --sim');
    const o = backtestOptions(values);
    const servers = values.servers === undefined ? undefined : Number(values.servers);
    if (servers !== undefined && !(Number.isInteger(servers) && servers >= 1)) throw new UsageError(`--servers must be a positive integer, but was ${values.servers}`);
    const data = findEvaluationData(resolve(values.data ?? DEFAULT_DATA_DIR));
    if ('problem' in data) throw new UsageError(values.data === undefined ? `${data.problem} (no --data given: looked in the default, ${DEFAULT_DATA_DIR})` : data.problem);
    const info = await initBackend(o.backend);
    process.stderr.write(`TensorFlow.js backend: ${info.name}${info.matmulPatch ? ` (matmul patch ${info.matmulPatch})` : ''}\n`);
    const results = await evaluateFailureAsd(data.asdDir, { ...o, ...(servers ? { servers } : {}) }, (line) => process.stderr.write(`${line}\n`));
    console.log(`ASD failure prediction, H = ${o.horizon} rows (${o.horizon * 5} minutes), ${results.length} servers: mean over servers of the best event F1`);
    console.log(`${'detector'.padEnd(18)} ${'F1'.padStart(6)} ${'prec'.padStart(6)} ${'recall'.padStart(6)} ${'lead'.padStart(6)}`);
    for (const name of FAILURE_DETECTORS) {
      const rs = results.map((r) => r.perDetector[name]!);
      const mean = (f: (x: (typeof rs)[number]) => number) => rs.reduce((s, x) => s + f(x), 0) / rs.length;
      const leads = rs.map((x) => x.medianLead).filter((x): x is number => x !== null).sort((a, b) => a - b);
      const lead = leads.length ? leads[leads.length >> 1]! : NaN;
      console.log(`${name.padEnd(18)} ${mean((x) => x.f1).toFixed(3).padStart(6)} ${mean((x) => x.precision).toFixed(3).padStart(6)} ${mean((x) => x.recall).toFixed(3).padStart(6)} ${lead.toFixed(1).padStart(6)}`);
    }
    const hits = results.reduce((s, r) => s + r.interpretation.hits, 0);
    const labelled = results.reduce((s, r) => s + r.interpretation.labelled, 0);
    console.log(`lead: median over servers of each server's median lead time, in rows (5 minutes each)`);
    const chance = results.reduce((s, r) => s + r.interpretation.chance, 0);
    console.log(`contributing factors: top-3 hit rate against interpretation labels ${labelled ? (hits / labelled).toFixed(3) : 'n/a'} (${hits}/${labelled} segments; three metrics picked at random: ${labelled ? (chance / labelled).toFixed(3) : 'n/a'})`);
    return EXIT.ok;
  },
});

async function evaluateSim(values: ModelValues & { agents?: string | undefined; hours?: string | undefined; data?: string | undefined; servers?: string | undefined }): Promise<number> {
  if (values.data !== undefined || values.servers !== undefined) throw new UsageError('--data and --servers are for ASD: drop them with --sim');
  const o = backtestOptions({ ...values, horizon: values.horizon ?? String(SIM_HORIZON), 'target-precision': values['target-precision'] ?? String(SIM_TARGET_PRECISION) });
  const agents = Number(values.agents ?? FLEET_HISTORY_DEFAULTS.agents);
  const hours = Number(values.hours ?? FLEET_HISTORY_DEFAULTS.hours);
  if (!(Number.isInteger(agents) && agents >= 1 && agents <= 1000)) throw new UsageError(`--agents must be an integer in [1, 1000], but was ${values.agents}`);
  if (!(hours > 0 && hours <= 24 * 30)) throw new UsageError(`--hours must be in (0, 720], but was ${values.hours}`);
  const info = await initBackend(o.backend);
  process.stderr.write(`TensorFlow.js backend: ${info.name}${info.matmulPatch ? ` (matmul patch ${info.matmulPatch})` : ''}\n`);
  const fleet = (seed: number): SimulatedHistory[] => simulateFleetHistory({ ...FLEET_HISTORY_DEFAULTS, agents, hours, seed }).map((h) => ({
    agent: h.agent, rows: h.rows, failing: h.failing, faults: h.faults.map((f) => ({ kind: f.kind, sudden: SUDDEN.includes(f.kind), injectedRow: f.injectedRow })),
  }));
  const started = performance.now();
  const train = fleet(o.seed);
  const heldOut = fleet(o.seed + 1_000);
  process.stderr.write(`simulated 2 fleets of ${agents} agents x ${hours} h (${SIM_STEP_SECONDS} s steps) in ${((performance.now() - started) / 1000).toFixed(1)} s; training\n`);
  const r = await evaluateFailureSim(train, heldOut, [...FLEET_HISTORY_COLUMNS], SIM_STEP_SECONDS, o);
  const f = (x: number) => x.toFixed(3);
  console.log(`Simulated fleets, horizon ${o.horizon} rows (${(o.horizon * SIM_STEP_SECONDS) / 60} min), LSTM ${o.architecture.units.join('-')}: trained in ${r.trainSeconds.toFixed(0)} s (${r.epochs} epochs), alarm at p >= ${f(r.threshold)}`);
  console.log(`held-out fleet: ${r.agents} agents x ${(r.simulatedDays * 24).toFixed(0)} h, ${r.events.all} failures (${r.events.degrading} degrading, ${r.events.sudden} sudden)`);
  console.log(`event precision   ${f(r.precision)}  (${r.trueEpisodes} of ${r.episodes} alarm episodes)`);
  console.log(`event recall      ${f(r.recall.all)}  (${r.predicted.all} of ${r.events.all}); degrading ${f(r.recall.degrading)} (${r.predicted.degrading} of ${r.events.degrading}); sudden ${r.predicted.sudden} of ${r.events.sudden}`);
  console.log(`median lead time  ${r.medianLeadMinutes === null ? 'n/a' : `${r.medianLeadMinutes.toFixed(1)} min`} of simulated time`);
  console.log(`false alarms      ${r.falseAlarmsPerAgentDay.toFixed(2)} per agent per simulated day`);
  console.log(`Brier score       ${r.brier.toFixed(4)} (windows outside failures)`);
  return EXIT.ok;
}

export const failureCommand = defineCommand({
  name: 'failure',
  summary: 'Backtest and evaluate the failure prediction model',
  subcommands: [failureEvaluateCommand, failureScoreCommand],
});
