import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout; every line carries the service name, and callers add request and incident ids. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'medic', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination(1),
  );
}
