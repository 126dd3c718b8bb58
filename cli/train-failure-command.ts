// `medic train failure`: argv → labelled histories (simulated fleets or a CSV with a failing column) →
// training/train-failure.ts → a published (and, with --promote and a passed gate, promoted) version.
import { readFileSync } from 'node:fs';
import { FLEET_HISTORY_COLUMNS, FLEET_HISTORY_DEFAULTS, simulateFleetHistory } from '../sim/fleet-history.ts';
import { CONTRACT_COLUMNS } from '../models/signal-queries.ts';
import { checkTypeName, FALLBACK_TYPE } from '../models/registry.ts';
import { parseTable } from '../training/parse-table.ts';
import { registryDir } from '../training/registry-location.ts';
import { trainFailure, type FailureHistory } from '../training/train-failure.ts';
import { failureStarts } from '../training/failure-labels.ts';
import { defineCommand, EXIT, UsageError } from './args.ts';
import { backtestOptions, MODEL_OPTIONS, MODEL_OPTIONS_HELP } from './failure-command.ts';
import { loadPrometheusHistories, PROMETHEUS_HISTORY_HELP, PROMETHEUS_HISTORY_OPTIONS, prometheusHistoryPlan } from './failure-history-source.ts';

const SIM_HORIZON = 20;
const SIM_TARGET_PRECISION = 0.9;

/** Labelled windows the LSTM trains on at most (every failure kept; negatives thinned at random). */
const MAX_WINDOWS = 100_000;

const HELP = `Usage: medic train failure (--sim | --csv FILE | --prometheus URL --from T) [options]

Trains the failure model (an LSTM: README.md, Failure prediction) on labelled histories, chooses its
alarm threshold on the latest 20% of every history for --target-precision of alarm episodes, gates it
(held-out recall, and no worse than the promoted model on the same hours), and publishes it to the
registry's failure folder with a model card and report.html (loss curves, precision-recall curve,
lead-time histogram). With --promote a version that passes the gate goes into service.
  --sim                  simulated fleets with degrading and sudden faults, generated faster than real time
  --agents N             --sim: agents (default ${FLEET_HISTORY_DEFAULTS.agents})
  --hours H              --sim: simulated hours (default ${FLEET_HISTORY_DEFAULTS.hours})
  --csv FILE             one agent's history: a header naming the agent metric contract columns in
                         order (${CONTRACT_COLUMNS.slice(0, 3).join(', ')},
                         ${CONTRACT_COLUMNS.slice(3).join(', ')}), a 0/1 failing column
                         (down, not ready, SLO breach or remediated by Medic: a prevented failure is
                         still one), an optional timestamp column
  --step SECONDS         seconds between rows of --csv (default ${FLEET_HISTORY_DEFAULTS.stepSeconds}; --sim: ${FLEET_HISTORY_DEFAULTS.stepSeconds})
${PROMETHEUS_HISTORY_HELP}
  --max-windows N        train on at most N windows: every failure, negatives thinned at random
                         (default ${MAX_WINDOWS}; the held-out hours are never thinned)
  --type T               the agent type the model serves (default: ${FALLBACK_TYPE}, every agent)
  --registry DIR         default: $MEDIC_MODEL_REGISTRY, else the shipped models/registry
  --promote              put the new version in service when it passes the gate
${MODEL_OPTIONS_HELP.replace(`(default 10;\n                         20 with --sim)`, `(default ${SIM_HORIZON})`).replace(`(default 0.5;\n                         0.9 of alarm episodes with --sim)`, `(default ${SIM_TARGET_PRECISION} of alarm episodes)`)}

Exit codes: 0 done (a version that fails the gate is still published, just not promoted), 1 failed,
2 the command line needs fixing.`;

export const trainFailureCommand = defineCommand({
  name: 'failure',
  summary: 'Train the failure prediction model (LSTM) from simulated fleets or a labelled CSV, publish it',
  usage: HELP,
  options: {
    sim: { type: 'boolean' }, agents: { type: 'string' }, hours: { type: 'string' }, csv: { type: 'string' }, step: { type: 'string' },
    type: { type: 'string', default: FALLBACK_TYPE }, registry: { type: 'string' }, promote: { type: 'boolean' }, 'max-windows': { type: 'string' },
    ...PROMETHEUS_HISTORY_OPTIONS, ...MODEL_OPTIONS,
  },
  async run({ values }) {
    if ([values.sim, values.csv, values.prometheus].filter((x) => x !== undefined).length !== 1) {
      throw new UsageError('give one of --sim (simulated fleets), --csv FILE (a labelled history) and --prometheus URL (the fleet\'s history)');
    }
    if (!values.sim && (values.agents !== undefined || values.hours !== undefined)) throw new UsageError('--agents and --hours are for --sim');
    const historyOnly = (['from', 'to', 'rate-window', 'selector', 'timeout', 'medic'] as const).filter((f) => values[f] !== undefined);
    if (!values.prometheus && historyOnly.length) throw new UsageError(`${historyOnly.map((f) => `--${f}`).join(', ')} ${historyOnly.length > 1 ? 'are' : 'is'} for --prometheus`);
    const maxWindows = Number(values['max-windows'] ?? MAX_WINDOWS);
    if (!(Number.isInteger(maxWindows) && maxWindows >= 100)) throw new UsageError(`--max-windows must be an integer >= 100, but was ${values['max-windows']}`);
    const o = backtestOptions({ ...values, horizon: values.horizon ?? String(SIM_HORIZON), 'target-precision': values['target-precision'] ?? String(SIM_TARGET_PRECISION) });
    let agentType: string;
    try { agentType = checkTypeName(values.type!); } catch (err) { throw new UsageError(`--type: ${(err as Error).message}`); }
    if (values.sim && values.step !== undefined) throw new UsageError('--step is for --csv (simulated fleets are sampled every 30 s)');
    const plan = values.prometheus ? prometheusHistoryPlan(values, Date.now()) : undefined;
    const step = plan ? plan.source.stepSeconds : values.step === undefined ? FLEET_HISTORY_DEFAULTS.stepSeconds : Number(values.step);
    if (!(step > 0 && step <= 3600)) throw new UsageError(`--step must be seconds in (0, 3600], but was ${values.step}`);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    let histories: FailureHistory[];
    let source: string;
    if (plan) {
      histories = await loadPrometheusHistories(plan, agentType, log);
      source = `prometheus ${plan.source.url} ${new Date((plan.source.range as { from: number }).from * 1000).toISOString()} to ${new Date((plan.source.range as { to: number }).to * 1000).toISOString()}, step ${step}s${plan.medic ? `, remediations from ${plan.medic}` : ''}`;
    } else if (values.sim) {
      const agents = Number(values.agents ?? FLEET_HISTORY_DEFAULTS.agents);
      const hours = Number(values.hours ?? FLEET_HISTORY_DEFAULTS.hours);
      if (!(Number.isInteger(agents) && agents >= 1 && agents <= 1000)) throw new UsageError(`--agents must be an integer in [1, 1000], but was ${values.agents}`);
      if (!(hours > 0 && hours <= 720)) throw new UsageError(`--hours must be in (0, 720], but was ${values.hours}`);
      histories = simulateFleetHistory({ ...FLEET_HISTORY_DEFAULTS, agents, hours, seed: o.seed });
      source = `simulated fleet: ${agents} agents x ${hours} h, seed ${o.seed}`;
    } else {
      const table = parseTable(readFileSync(values.csv!, 'utf8'), true);
      const f = table.columns.indexOf('failing');
      if (f < 0) throw new UsageError(`${values.csv} has no failing column: the failure model learns from when the agent failed`);
      const columns = table.columns.filter((c) => c !== 'failing');
      if (columns.join(',') !== CONTRACT_COLUMNS.join(',')) throw new UsageError(`${values.csv} has columns ${columns.join(', ')}; the registry takes the agent metric contract, in order: ${CONTRACT_COLUMNS.join(', ')}`);
      const failing = table.rows.map((r, i) => {
        if (r[f] !== 0 && r[f] !== 1) throw new UsageError(`${values.csv} row ${i + 2}, column failing: must be 0 or 1, but was ${r[f]}`);
        return r[f]!;
      });
      histories = [{ agent: 'csv', rows: table.rows.map((r) => r.filter((_, i) => i !== f)), failing }];
      source = `csv ${values.csv}`;
    }
    const stepSeconds = values.sim ? FLEET_HISTORY_DEFAULTS.stepSeconds : step;
    const failures = histories.reduce((n, h) => n + failureStarts(h.failing).length, 0);
    log(`${histories.length} histories, ${failures} failures`);
    const registry = registryDir(values.registry);
    log(`training the failure model for ${agentType} on ${source} (${histories.reduce((s, h) => s + h.rows.length, 0)} rows)`);
    const r = await trainFailure(histories, [...FLEET_HISTORY_COLUMNS], {
      ...o, registry, agentType, source, stepSeconds, maxWindows, promote: values.promote ?? false, log,
      // The simulated rows average counters over rateRows steps (sim/fleet-history.ts): serving must too.
      rateWindow: plan ? plan.source.rateWindow : `${stepSeconds * FLEET_HISTORY_DEFAULTS.rateRows}s`,
    });
    const m = r.metrics;
    console.log(`registry ${registry}: failure/${agentType}/${r.version} (${r.dir})`);
    console.log(`held out: ${m.events} failures, event precision ${m.precision.toFixed(3)}, recall ${m.recall.toFixed(3)}, median lead ${m.medianLeadMinutes === null ? 'n/a' : `${m.medianLeadMinutes.toFixed(1)} min`}, ${m.falseAlarmsPerAgentDay.toFixed(2)} false alarms per agent-day, alarm at p >= ${m.threshold.toFixed(3)}`);
    if (r.inService) console.log(`in service before: ${r.inService.version}, event F1 ${r.inService.metrics.f1.toFixed(3)} against ${m.f1.toFixed(3)} on the same hours`);
    console.log(`gate: ${r.gate.passed ? 'passed' : `FAILED (${r.gate.reasons.join('; ')})`}${values.promote ? `; promoted: ${r.promoted ? 'yes' : 'no'}` : ''}`);
    console.log(`report: ${r.dir}/report.html`);
    return EXIT.ok;
  },
});
