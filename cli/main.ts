// The `medic` command table and its dispatch. Each command lives in its own file; the ones that load
// heavy modules (training with axios and node-cron, the model registry, the simulator) are stubs here, loaded
// on demand, so serving never pays for them. Exit codes: 0 done, 1 failed while running, 2 the command
// line or the configuration needs fixing (see args.ts).
import { VERSION } from '../server/app/service.ts';
import { defineCommand, EXIT, helpText, runCommand, type CommandSpec } from './args.ts';
import { configCommand } from './config-command.ts';
import { serveCommand } from './serve-command.ts';

/**
 * A command loaded on demand, as the listings show it: `subcommands` maps 'name ARGS...' to a summary.
 * The loaded spec must agree with it (test/integration/cli.test.ts compares them).
 */
function onDemand(name: string, summary: string, subcommands: Record<string, string>, load: () => Promise<CommandSpec>, runsItself = false): CommandSpec {
  return {
    name, summary, load, ...(runsItself ? { args: [] } : {}),
    ...(Object.keys(subcommands).length === 0 ? {} : {
      subcommands: Object.entries(subcommands).map(([words, sub]) => {
        const [subName, ...args] = words.split(' ');
        return { name: subName!, summary: sub, ...(args.length ? { args } : {}) };
      }),
    }),
  };
}

const simStub = onDemand('sim', 'Run a simulated agent fleet, inject faults into it', {
  fault: 'Inject a fault into the running fleet',
  clear: "Clear an agent's fault",
  status: 'List the agents and their faults',
}, async () => (await import('./sim-command.ts')).simCommand, true);

const anomalyStub = onDemand('anomaly', 'Evaluate and backtest the anomaly detector', {
  evaluate: 'Evaluate the anomaly model on the labelled ASD (and NAB) data, beside baselines',
  score: 'Score a CSV export (backtesting): anomaly_score and is_anomaly per row',
}, async () => (await import('./anomaly-evaluate-command.ts')).anomalyGroupCommand);

const failureStub = onDemand('failure', 'Backtest and evaluate the failure prediction model', {
  evaluate: 'Evaluate failure prediction on ASD: event F1 and lead time beside baselines',
  score: 'Backtest a CSV or matrix: failure_probability and is_alarm per row, from the rows up to it',
}, async () => (await import('./failure-command.ts')).failureCommand);

const trainStub = onDemand('train', 'Train anomaly and failure models, once or on a schedule', {
  anomaly: 'Train anomaly models per agent type from Prometheus or CSV, publish them to the registry',
  failure: 'Train the failure prediction model (LSTM) from simulated fleets or a labelled CSV, publish it',
  nightly: 'Keep running and train on a cron schedule',
}, async () => (await import('./train-command.ts')).trainCommand);

const modelsStub = onDemand('models', 'Inspect the model registry and promote versions by hand', {
  list: 'Models in the registry, the promoted version of each agent type (*), their cards',
  'show TYPE [VERSION]': "Print a version's model card (default: the promoted one)",
  'promote TYPE VERSION': 'Put a published model version in service',
  'rollback TYPE': 'Put back the version promoted before the one in service',
}, async () => (await import('./models-command.ts')).modelsCommand);

const replayStub = onDemand('replay', 'What-if: replay recorded alerts through candidate policies and rules, without acting', {},
  async () => (await import('./replay-command.ts')).replayCommand, true);

const versionCommand = defineCommand({
  name: 'version',
  summary: 'Print the version',
  usage: 'Usage: medic version   (or medic --version, medic -v)\n\nPrints the version of Medic.',
  run: () => {
    console.log(VERSION);
    return EXIT.ok;
  },
});

const helpCommand = defineCommand({
  name: 'help',
  summary: "Show a command's help: 'medic help models show' is 'medic models show --help'",
  usage: 'Usage: medic help [COMMAND...]\n\nShows the help of a command, or of medic.',
  args: ['[COMMAND...]'],
  run: ({ positionals }) => runCommand(medicCommand, [...positionals, '--help']),
});

export const medicCommand: CommandSpec = defineCommand({
  name: 'medic',
  summary: 'self-healing for fleets of AI-agent services',
  usage: `medic ${VERSION}: self-healing for fleets of AI-agent services

Usage: medic <command> [options]
       medic --version`,
  options: { version: { type: 'boolean', short: 'v' } },
  subcommands: [serveCommand, configCommand, simStub, anomalyStub, failureStub, trainStub, modelsStub, replayStub, versionCommand, helpCommand],
  run: ({ values }) => {
    console.log(values.version ? VERSION : helpText(medicCommand, ['medic']));
    return EXIT.ok;
  },
});

export function main(argv: string[]): Promise<number> {
  return runCommand(medicCommand, argv);
}
