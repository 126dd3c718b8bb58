// Medic for the stack: the real `medic serve` as a child process, started and stopped like the other
// daemons. A child rather than in-process so the stack depends on nothing but Medic's command line and
// configuration files, as an operator's does.
import { startDaemon, type Daemon } from './daemons.ts';
import { MEDIC_BIN, REPO } from './medic-process.ts';
import { freePort } from './ports.ts';

export interface MedicDaemonOptions {
  /** medic.yaml (writeMedicConfig). */
  configFile: string;
  /** The SQLite store goes here. */
  dataDir: string;
  webhookToken: string;
  logLevel?: string;
  port?: number;
}

export async function startMedicDaemon(o: MedicDaemonOptions): Promise<Daemon> {
  const port = o.port ?? (await freePort());
  // Nothing from the caller's MEDIC_* environment: the stack's configuration is the files and flags.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEDIC_')));
  return startDaemon(process.execPath, [
    MEDIC_BIN, 'serve', '--config', o.configFile, '--data-dir', o.dataDir, '--host', '127.0.0.1', '--port', String(port),
    '--log-level', o.logLevel ?? 'info',
  ], `http://127.0.0.1:${port}`, 'medic', {
    readyPath: '/healthz', cwd: REPO, env: { ...env, MEDIC_WEBHOOK_TOKEN: o.webhookToken },
    // Medic finishes in-flight work within server.shutdown_timeout (10 s) before it exits.
    stopGraceMs: 15_000,
  });
}
