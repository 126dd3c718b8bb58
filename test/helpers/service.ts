// Runs Medic in this process on a free loopback port with its own temporary data directory.
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { loadConfig, type ConfigFlags } from '../../server/app/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { startService, type RunningService } from '../../server/app/service.ts';
import type { WorkHandler } from '../../server/queue/worker-pool.ts';
import { tempDir } from '../../sim/stack/temp-dir.ts';
import { waitFor } from './wait.ts';

// Tests import tempDir from here; it lives with the stack, which needs it without the test helpers.
export { tempDir };

export interface TestService extends RunningService {
  dataDir: string;
  sqlitePath: string;
  logs: Record<string, unknown>[];
  /** Stops the service and removes its data directory. */
  dispose(): Promise<void>;
}

export async function startTestService(
  options: { env?: Record<string, string>; flags?: ConfigFlags; handler?: WorkHandler; dataDir?: string; keepDataDir?: boolean } = {},
): Promise<TestService> {
  const dataDir = options.dataDir ?? tempDir();
  const loaded = loadConfig({ port: '0', dataDir, ...options.flags }, { MEDIC_LOG_LEVEL: 'debug', ...options.env }, dataDir);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const service = await startService({ loaded, log: createLogger(loaded.config.log.level, sink), handler: options.handler });
  return {
    ...service,
    dataDir,
    sqlitePath: loaded.sqlitePath,
    logs,
    async dispose() {
      await service.stop();
      if (!options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, body: parsed };
}

/** A delivery as GET /api/notifications/:id shows it once its alerts are recorded. */
export interface RecordedNotification {
  id: number;
  state: 'recorded' | 'unrecordable';
  created: number[];
  resolved: number[];
  duplicates: number;
  error: string | null;
}

/**
 * Posts a delivery and, when it is accepted, waits until Medic has recorded its alerts (the inbox's
 * second step, after the answer), asking with `readHeaders` (by default the delivery's credential).
 */
export async function deliver(
  hookUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
  readHeaders?: Record<string, string>,
): Promise<{ status: number; body: any; recorded: RecordedNotification }> {
  const r = await postJson(hookUrl, body, headers);
  if (r.status !== 200) return { ...r, recorded: undefined as unknown as RecordedNotification };
  const auth: Record<string, string> = readHeaders ?? (headers.authorization ? { authorization: headers.authorization } : {});
  const recorded = await waitFor(`notification ${r.body.notification} recorded`, async () => {
    const d = await getJson(`${new URL(hookUrl).origin}/api/notifications/${r.body.notification}`, auth);
    return d.status === 200 && d.body.state !== 'received' ? (d.body as RecordedNotification) : undefined;
  });
  return { ...r, recorded };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json() };
}

/** The value of one sample in a Prometheus text exposition, or undefined. */
export function metricValue(exposition: string, sample: string): number | undefined {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  return undefined;
}
