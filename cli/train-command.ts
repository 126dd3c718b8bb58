// `medic train anomaly` (one run) and `medic train nightly` (on a schedule). Progress and log lines go
// to stderr; the summary of what was published and promoted goes to stdout.
import { loadSource } from '../training/load-source.ts';
import { runNightly } from '../training/nightly.ts';
import { trainAnomaly, type TypeOutcome } from '../training/train-anomaly.ts';
import { defineCommand, EXIT } from './args.ts';
import { trainFailureCommand } from './train-failure-command.ts';
import { TRAIN_HELP, TRAIN_OPTIONS, validateTrainArgs } from './train-options.ts';
import { withPrometheusSettings } from './prometheus-settings.ts';

export const trainAnomalyCommand = defineCommand({
  name: 'anomaly',
  summary: 'Train anomaly models per agent type from Prometheus or CSV, publish them to the registry',
  usage: TRAIN_HELP,
  options: TRAIN_OPTIONS,
  run: async ({ values }) => {
    const parsed = validateTrainArgs('anomaly', values, process.env, Date.now());
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const data = await loadSource(withPrometheusSettings(parsed.source, log), { nowMs: Date.now(), log });
    const { outcomes } = await trainAnomaly(data, { ...parsed.train, log });
    printSummary(outcomes, parsed.train.registry, parsed.train.promote);
    return EXIT.ok;
  },
});

export const trainNightlyCommand = defineCommand({
  name: 'nightly',
  summary: 'Keep running and train on a cron schedule',
  usage: TRAIN_HELP,
  options: TRAIN_OPTIONS,
  run: ({ values }) => runNightly(validateTrainArgs('nightly', values, process.env, Date.now())),
});

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'Train anomaly and failure models, once or on a schedule',
  subcommands: [trainAnomalyCommand, trainFailureCommand, trainNightlyCommand],
});

function printSummary(outcomes: TypeOutcome[], registry: string, promoting: boolean): void {
  console.log(`registry ${registry}`);
  console.log(`${'type'.padEnd(16)} ${'version'.padEnd(8)} ${'train'.padStart(7)} ${'held out'.padStart(8)} ${'flag rate'.padStart(9)} ${'AUC'.padStart(6)}  gate    ${promoting ? 'promoted' : ''}`);
  for (const o of outcomes) {
    if (!o.version) {
      console.log(`${o.agentType.padEnd(16)} ${'-'.padEnd(8)} ${String(o.trainRows).padStart(7)} ${String(o.validationRows).padStart(8)}  skipped: ${o.skipped}`);
      continue;
    }
    const rate = o.metrics?.validation_flag_rate ?? Number.NaN;
    const auc = o.metrics?.auc;
    console.log(`${o.agentType.padEnd(16)} ${o.version.padEnd(8)} ${String(o.trainRows).padStart(7)} ${String(o.validationRows).padStart(8)} ${(Number.isFinite(rate) ? `${(rate * 100).toFixed(1)}%` : 'n/a').padStart(9)} ${(auc === undefined ? '-' : auc.toFixed(3)).padStart(6)}  ${(o.gate?.passed ? 'passed' : 'FAILED').padEnd(7)} ${promoting ? (o.promoted ? 'yes' : 'no') : ''}`);
  }
}
