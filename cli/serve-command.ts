// `medic serve`: runs Medic until SIGTERM or SIGINT, then stops gracefully.
import { DatabaseLockedError } from '../server/app/database-lock.ts';
import { createLogger } from '../lib/logger.ts';
import { startService } from '../server/app/service.ts';
import { StoreUnavailableError } from '../server/store/store.ts';
import { defineCommand, EXIT } from './args.ts';
import { asUsageError, CONFIG_OPTIONS, CONFIG_OPTIONS_HELP, loadConfigFromFlags } from './config-flags.ts';

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'Run the service: Alertmanager webhook, durable inbox, workers, read API',
  usage: `Usage: medic serve [options]

Runs Medic until SIGTERM or SIGINT, then stops gracefully: no new requests, in-flight work finished or
returned to the queue within server.shutdown_timeout, exit 0.

Options:
${CONFIG_OPTIONS_HELP}

Webhook credentials: MEDIC_WEBHOOK_TOKEN or MEDIC_WEBHOOK_TOKEN_FILE (a bearer token), or
webhook.bearer_token_file / webhook.basic_auth in medic.yaml. Without credentials Medic listens only on
loopback addresses unless --insecure is given.
Precedence: flags > environment > medic.yaml > defaults. See README.md for every setting.`,
  options: CONFIG_OPTIONS,
  run: async ({ values }) => {
    const loaded = loadConfigFromFlags(values);
    const log = createLogger(loaded.config.log.level);
    log.info({ config: loaded.file ?? 'defaults' }, 'configuration loaded');
    process.on('uncaughtException', (err) => {
      log.fatal({ err }, 'uncaught exception: exiting');
      process.exit(EXIT.failed);
    });
    process.on('unhandledRejection', (err) => {
      log.fatal({ err }, 'unhandled rejection: exiting');
      process.exit(EXIT.failed);
    });

    let service;
    try {
      service = await startService({ loaded, log });
    } catch (err) {
      if (err instanceof DatabaseLockedError || err instanceof StoreUnavailableError) throw new Error(`cannot start: ${err.message}`);
      throw asUsageError(err);
    }
    await stopSignal(log);
    await service.stop();
    return EXIT.ok;
  },
});

/** Resolves on the first SIGTERM or SIGINT; a second one during shutdown exits at once. */
function stopSignal(log: ReturnType<typeof createLogger>): Promise<void> {
  return new Promise<void>((resolve) => {
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
      process.exit(EXIT.failed);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
