// The remediations Medic ran in a time range, per agent, read from its read API (GET /api/remediations,
// newest first, paged by cursor), so training runs beside any deployment of Medic (SQLite or
// PostgreSQL, one replica or several) without opening its database. Only attempts that acted count
// (not shadow, notify or dry-run): they are the failures Medic prevented (training/history-failures.ts).
// Which attempts acted is the engine's rule (remediations/records.ts acted), handed in by the caller.
import axios, { type AxiosInstance } from 'axios';

interface PresentedAttempt { target: string; mode: string; outcome: string; startedAt: string }

/** Unix seconds at which Medic acted, per target agent, in [from, to] (Unix seconds). */
export async function fetchRemediations(o: {
  url: string; from: number; to: number; acted: (a: { outcome: string; mode: string }) => boolean;
  timeoutMs?: number; signal?: AbortSignal; http?: AxiosInstance; maxPages?: number;
}): Promise<Map<string, number[]>> {
  const http = o.http ?? axios.create();
  const base = `${o.url.replace(/\/+$/, '')}/api/remediations`;
  const out = new Map<string, number[]>();
  let cursor: number | null = null;
  for (let page = 0; page < (o.maxPages ?? 10_000); page++) {
    const res = await http.get(base, {
      params: { since: String(o.from), until: String(o.to), limit: 500, ...(cursor ? { cursor } : {}) },
      timeout: o.timeoutMs ?? 30_000, signal: o.signal, validateStatus: () => true, responseType: 'json',
    }).catch((err: Error & { code?: string }) => {
      throw new Error(`cannot read remediations from Medic at ${o.url} (--medic): ${err.code === 'ECONNREFUSED' ? 'connection refused: is medic serve running there?' : err.message}`);
    });
    const body = res.data as { items?: PresentedAttempt[]; next_cursor?: number | null } | undefined;
    if (res.status !== 200 || !Array.isArray(body?.items)) {
      throw new Error(`Medic at ${o.url} (--medic) answered ${res.status} to GET /api/remediations, expected 200 with items: is it a Medic read API?`);
    }
    for (const a of body.items) {
      if (!o.acted(a)) continue;
      const at = Date.parse(a.startedAt) / 1000;
      if (!Number.isFinite(at)) continue;
      const list = out.get(a.target) ?? [];
      list.push(at);
      out.set(a.target, list);
    }
    cursor = body.next_cursor ?? null;
    if (cursor === null) return out;
  }
  throw new Error(`Medic at ${o.url} (--medic) kept paging /api/remediations past ${o.maxPages ?? 10_000} pages`);
}
