// The flags `medic serve` and `medic config check` share: both load the configuration the same way, so
// `config check` proves what `serve` would run with.
import { ConfigError, loadConfig, type ConfigFlags, type LoadedConfig } from '../server/app/config.ts';
import { UsageError, type OptionValues } from './args.ts';

export const CONFIG_OPTIONS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  insecure: { type: 'boolean' },
  inventory: { type: 'string' },
  'prometheus-url': { type: 'string' },
  'alertmanager-url': { type: 'string' },
} as const;

export const CONFIG_OPTIONS_HELP = `  --config FILE      medic.yaml to read              env MEDIC_CONFIG      default ./medic.yaml if present
  --host HOST        address to listen on            env MEDIC_HOST        default 127.0.0.1
  --port PORT        port to listen on (0 = any)     env MEDIC_PORT        default 9095
  --data-dir DIR     where the SQLite store lives    env MEDIC_DATA_DIR    default ./data
  --log-level LEVEL  trace|debug|info|warn|error     env MEDIC_LOG_LEVEL   default info
  --insecure         allow listening beyond loopback without webhook credentials
  --inventory FILE   what Medic may act on           env MEDIC_INVENTORY   default none: escalate everything
  --prometheus-url URL                               env MEDIC_PROMETHEUS_URL
  --alertmanager-url URL  for escalations/silences   env MEDIC_ALERTMANAGER_URL
  -h, --help         show this help`;

/** Loads the configuration from these flags, the environment and medic.yaml; problems become a UsageError. */
export function loadConfigFromFlags(values: OptionValues<typeof CONFIG_OPTIONS>): LoadedConfig {
  const flags: ConfigFlags = {
    config: values.config,
    host: values.host,
    port: values.port,
    dataDir: values['data-dir'],
    logLevel: values['log-level'],
    insecure: values.insecure,
    inventory: values.inventory,
    prometheusUrl: values['prometheus-url'],
    alertmanagerUrl: values['alertmanager-url'],
  };
  try {
    return loadConfig(flags, process.env, process.cwd());
  } catch (err) {
    throw asUsageError(err);
  }
}

/**
 * A ConfigError lists every problem of the configuration, which is the user's to fix: exit 2 like any
 * usage error. Anything else passes through unchanged. Use as `catch (err) { throw asUsageError(err); }`.
 */
export function asUsageError(err: unknown): unknown {
  return err instanceof ConfigError ? new UsageError(`the configuration needs fixing:\n${err.problems.map((p) => `- ${p}`).join('\n')}`) : err;
}
