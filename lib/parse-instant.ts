// Points in time as operators write them on the command line: `now`, `now-7d` (any Prometheus-style
// duration), Unix seconds, or ISO 8601 (a missing zone reads as UTC). Returns Unix seconds.
import { parseDurationMs } from './units.ts';

export function parseInstant(text: string, nowMs: number): number | undefined {
  const t = text.trim();
  if (t === 'now') return nowMs / 1000;
  const relative = /^now-(.+)$/.exec(t);
  if (relative) {
    const ms = parseDurationMs(relative[1]!);
    return ms === undefined ? undefined : (nowMs - ms) / 1000;
  }
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const iso = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(t) ? `${t.replace(' ', 'T')}${t.length > 10 ? 'Z' : ''}` : t;
  if (!/^\d{4}-\d{2}-\d{2}/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}
