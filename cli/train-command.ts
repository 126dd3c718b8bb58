// `medic train anomaly` (one run) and `medic train nightly` (on a schedule). Progress and log lines go
// to stderr; the summary of what was published and promoted goes to stdout.
import { existsSync } from 'node:fs';
import { loadSource } from '../training/load-source.ts';
import { runNightly } from '../training/nightly.ts';
import { trainAnomaly, type TypeOutcome } from '../training/train-anomaly.ts';
import { parseTrainArgs, TRAIN_HELP, type ParsedTrain } from './train-options.ts';

export async function trainCommand(args: string[]): Promise<number> {
  const [mode, ...rest] = args;
  if (mode === undefined || mode === '--help' || mode === '-h' || mode === 'help') {
    console.log(TRAIN_HELP);
    return mode === undefined ? 2 : 0;
  }
  if (mode !== 'anomaly' && mode !== 'nightly') return usage(`unknown subcommand ${JSON.stringify(mode)}: use 'medic train anomaly' or 'medic train nightly'`);
  let parsed: ParsedTrain;
  try {
    parsed = parseTrainArgs(mode, rest, process.env, Date.now());
  } catch (err) {
    return usage((err as Error).message, mode);
  }
  if (parsed.help) {
    console.log(TRAIN_HELP);
    return 0;
  }
  if (parsed.source.kind === 'csv' && !existsSync(parsed.source.file)) return usage(`--csv ${parsed.source.file}: no such file`, mode);
  if (mode === 'nightly') return runNightly(parsed);

  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const data = await loadSource(parsed.source, { nowMs: Date.now(), log });
    const { outcomes } = await trainAnomaly(data, { ...parsed.train, log });
    printSummary(outcomes, parsed.train.registry, parsed.train.promote);
    return 0;
  } catch (err) {
    console.error(`medic train anomaly: ${(err as Error).message}`);
    return 1;
  }
}

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

function usage(message: string, mode?: string): number {
  console.error(`medic train${mode ? ` ${mode}` : ''}: ${message.split('\n').join(`\nmedic train${mode ? ` ${mode}` : ''}: `)}\nRun 'medic train --help' for usage.`);
  return 2;
}
