// The `medic` command: subcommands, flags and help. Exit codes: 0 done, 1 failed while running,
// 2 the command line or the configuration needs fixing.
import { parseArgs } from 'node:util';
import { loadInventory } from '../remediations/inventory.ts';
import { DEFAULT_POLICIES_YAML, loadPolicies } from '../remediations/decide/policies.ts';
import { DEFAULT_RULES_YAML, loadRules } from '../remediations/decide/selection.ts';
import { ConfigError, loadConfig, redactedConfig, type ConfigFlags } from '../server/app/config.ts';
import { DataDirLockedError } from '../server/app/data-dir-lock.ts';
import { createLogger } from '../lib/logger.ts';
import { startService, VERSION } from '../server/app/service.ts';
import { StoreUnavailableError } from '../server/store/store.ts';

const MAIN_HELP = `medic ${VERSION}: self-healing for fleets of AI-agent services

Usage: medic <command> [options]

Commands:
  serve          Run the service: Alertmanager webhook, durable inbox, workers, read API
  config check   Validate the configuration (and its inventory, policies, rules) and print it
  config defaults [policies|rules]
                 Print the shipped tier policies and selection rules, to copy and edit
  sim            Run a simulated agent fleet, inject faults into it ('medic sim --help')
  anomaly evaluate  Evaluate the anomaly model on the labelled ASD data, beside baselines
  anomaly score  Score a CSV export (backtesting): anomaly_score and is_anomaly per row
  train anomaly  Train anomaly models per agent type from Prometheus or CSV, publish to the registry
  train nightly  Keep running and train on a cron schedule ('medic train --help')
  models list    Models in the registry, promoted versions, their cards ('medic models --help')
  models promote TYPE VERSION
                 Put a published model version in service
  version        Print the version
  help [command] Show help for a command

Run 'medic <command> --help' for a command's options.`;

const CONFIG_OPTIONS_HELP = `  --config FILE      medic.yaml to read              env MEDIC_CONFIG      default ./medic.yaml if present
  --host HOST        address to listen on            env MEDIC_HOST        default 127.0.0.1
  --port PORT        port to listen on (0 = any)     env MEDIC_PORT        default 9095
  --data-dir DIR     where the SQLite store lives    env MEDIC_DATA_DIR    default ./data
  --log-level LEVEL  trace|debug|info|warn|error     env MEDIC_LOG_LEVEL   default info
  --insecure         allow listening beyond loopback without webhook credentials
  --inventory FILE   what Medic may act on           env MEDIC_INVENTORY   default none: escalate everything
  --prometheus-url URL                               env MEDIC_PROMETHEUS_URL
  --alertmanager-url URL  for escalations/silences   env MEDIC_ALERTMANAGER_URL`;

const SERVE_HELP = `Usage: medic serve [options]

Runs Medic until SIGTERM or SIGINT, then stops gracefully: no new requests, in-flight work finished or
returned to the queue within server.shutdown_timeout, exit 0.

Options:
${CONFIG_OPTIONS_HELP}
  -h, --help         show this help

Webhook credentials: MEDIC_WEBHOOK_TOKEN or MEDIC_WEBHOOK_TOKEN_FILE (a bearer token), or
webhook.bearer_token_file / webhook.basic_auth in medic.yaml. Without credentials Medic listens only on
loopback addresses unless --insecure is given.
Precedence: flags > environment > medic.yaml > defaults. See README.md for every setting.`;

const CONFIG_CHECK_HELP = `Usage: medic config check [options]

Loads the configuration exactly as 'medic serve' would, reports every problem, and prints the effective
settings with secrets redacted. Exit code 0 when valid, 2 otherwise.

Options:
${CONFIG_OPTIONS_HELP}
  -h, --help         show this help`;

const CONFIG_FLAGS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  insecure: { type: 'boolean' },
  inventory: { type: 'string' },
  'prometheus-url': { type: 'string' },
  'alertmanager-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      // Commands with help of their own print it: `medic help train` is `medic train --help`.
      if (command !== 'help' || !['sim', 'train', 'models'].includes(rest[0] ?? '')) return help(rest[0]);
      return main([rest[0]!, '--help']);
    case 'version':
    case '--version':
    case '-v':
      console.log(VERSION);
      return 0;
    case 'serve':
      return serve(rest);
    case 'anomaly': {
      const { anomalyCommand } = await import('./anomaly-evaluate-command.ts');
      return anomalyCommand(rest);
    }
    case 'train': {
      // Loaded on demand: serving never loads danfojs, TensorFlow.js or node-cron.
      const { trainCommand } = await import('./train-command.ts');
      return trainCommand(rest);
    }
    case 'models': {
      const { modelsCommand } = await import('./models-command.ts');
      return modelsCommand(rest);
    }
    case 'sim': {
      // Loaded on demand: serving never pays for the simulator.
      const { simCommand } = await import('./sim-command.ts');
      return simCommand(rest);
    }
    case 'config':
      if (rest[0] === 'check') return configCheck(rest.slice(1));
      if (rest[0] === 'defaults') return configDefaults(rest[1]);
      return usageError(`unknown 'config' subcommand ${JSON.stringify(rest[0] ?? '')}; did you mean 'medic config check'?`);
    default:
      return usageError(`unknown command ${JSON.stringify(command)}`);
  }
}

function help(topic: string | undefined): number {
  if (topic === 'serve') console.log(SERVE_HELP);
  else if (topic === 'config') console.log(CONFIG_CHECK_HELP);
  else console.log(MAIN_HELP);
  return 0;
}

function usageError(message: string): number {
  console.error(`medic: ${message}\nRun 'medic --help' for usage.`);
  return 2;
}

function parseConfigFlags(args: string[]): { flags: ConfigFlags; help: boolean } | { error: string } {
  try {
    const { values } = parseArgs({ args, options: CONFIG_FLAGS, allowPositionals: false, strict: true });
    return {
      help: values.help ?? false,
      flags: {
        config: values.config,
        host: values.host,
        port: values.port,
        dataDir: values['data-dir'],
        logLevel: values['log-level'],
        insecure: values.insecure,
        inventory: values.inventory,
        prometheusUrl: values['prometheus-url'],
        alertmanagerUrl: values['alertmanager-url'],
      },
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function configCheck(args: string[]): number {
  const parsed = parseConfigFlags(args);
  if ('error' in parsed) return usageError(parsed.error);
  if (parsed.help) return help('config');
  try {
    const loaded = loadConfig(parsed.flags, process.env, process.cwd());
    // The remediation files are part of the configuration: check them as serve would.
    const agents = loaded.files.inventory ? loadInventory(loaded.files.inventory).all().length : 0;
    if (loaded.files.policies) loadPolicies(loaded.files.policies);
    if (loaded.files.rules) loadRules(loaded.files.rules);
    console.log(`configuration is valid (${loaded.file ?? 'no file: defaults and environment'}; ${agents} agents in the inventory)`);
    console.log(JSON.stringify(redactedConfig(loaded.config), null, 2));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) return configFailure(err);
    throw err;
  }
}

function configDefaults(which: string | undefined): number {
  if (which !== undefined && which !== 'policies' && which !== 'rules') return usageError(`'config defaults' takes policies or rules, not ${JSON.stringify(which)}`);
  if (which !== 'rules') console.log(`# policies.yaml\n${DEFAULT_POLICIES_YAML}`);
  if (which !== 'policies') console.log(`# rules.yaml\n${DEFAULT_RULES_YAML}`);
  return 0;
}

function configFailure(err: ConfigError): number {
  console.error(`medic: the configuration needs fixing:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
  return 2;
}

async function serve(args: string[]): Promise<number> {
  const parsed = parseConfigFlags(args);
  if ('error' in parsed) return usageError(parsed.error);
  if (parsed.help) return help('serve');

  let loaded;
  try {
    loaded = loadConfig(parsed.flags, process.env, process.cwd());
  } catch (err) {
    if (err instanceof ConfigError) return configFailure(err);
    throw err;
  }
  const log = createLogger(loaded.config.log.level);
  log.info({ config: loaded.file ?? 'defaults' }, 'configuration loaded');
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception: exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection: exiting');
    process.exit(1);
  });

  let service;
  try {
    service = await startService({ loaded, log });
  } catch (err) {
    if (err instanceof ConfigError) return configFailure(err);
    if (err instanceof DataDirLockedError || err instanceof StoreUnavailableError) {
      console.error(`medic: cannot start: ${err.message}`);
      return 1;
    }
    throw err;
  }

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'signal received');
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
      process.once('SIGTERM', () => forceExit(signal));
      process.once('SIGINT', () => forceExit(signal));
      resolve();
    };
    const forceExit = (first: string) => {
      log.warn({ first }, 'second signal during shutdown: exiting now; interrupted work resumes at the next start');
      process.exit(1);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await service.stop();
  return 0;
}
