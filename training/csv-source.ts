// Training data from a CSV export. With a header: numeric columns are the model's columns, and four
// names are special, each optional:
//   timestamp   ISO 8601 (a missing zone reads as UTC) or Unix seconds; rows are resampled on it
//   agent_type  trains one model per type (plus the fallback `default` on every row)
//   agent       keeps each agent's rows a series of its own (rolling features never mix agents)
//   label       0 normal / 1 anomalous: used to evaluate, never to fit
// Without a header: a numeric matrix, columns column_1..column_n, one series, no time (outside the agent
// metric contract, so `medic train` refuses --no-header; the reader keeps the layout for library callers).
// Numbers are parsed by the same parseTable as `medic anomaly score`, so both read a file alike.
import { basename } from 'node:path';
import { checkTypeName, FALLBACK_TYPE } from '../models/registry.ts';
import { parseInstant } from '../lib/parse-instant.ts';
import { parseTable } from './parse-table.ts';
import type { TrainingData, TrainingSeries } from './training-data.ts';

const TEXT_COLUMNS = ['agent_type', 'agent'] as const;

export function readCsvSource(text: string, o: { header: boolean; name: string }): TrainingData {
  const source = `csv ${basename(o.name)}`;
  if (!o.header) {
    const table = parseTable(text, false);
    return { columns: table.columns, source, series: [{ agent: basename(o.name), agentType: FALLBACK_TYPE, timestamps: null, rows: table.rows, labels: null }] };
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new Error(`${o.name}: needs a header and at least one row`);
  const names = lines[0]!.split(',').map((s) => s.trim());
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw new Error(`${o.name}: the header names column ${JSON.stringify(duplicate)} twice`);
  // The text columns are taken out here; parseTable reads the rest, with its row numbers unchanged.
  const textIndex = TEXT_COLUMNS.map((c) => names.indexOf(c));
  const keep = names.map((_, i) => !textIndex.includes(i));
  const text2: string[] = [];
  const keys: { agentType: string; agent: string | undefined }[] = [];
  lines.forEach((line, n) => {
    const cells = line.split(',');
    if (cells.length !== names.length) throw new Error(`${o.name}: row ${n + 1} has ${cells.length} cells, the header ${names.length}`);
    if (n > 0) {
      const [typeAt, agentAt] = textIndex;
      const agentType = typeAt! >= 0 ? cells[typeAt!]!.trim() : FALLBACK_TYPE;
      try {
        checkTypeName(agentType);
      } catch (err) {
        throw new Error(`${o.name}: row ${n + 1}, column agent_type: ${(err as Error).message}`);
      }
      const agent = agentAt! >= 0 ? cells[agentAt!]!.trim() : undefined;
      if (agent === '') throw new Error(`${o.name}: row ${n + 1}, column agent: must not be empty`);
      keys.push({ agentType, agent });
    }
    text2.push(cells.filter((_, i) => keep[i]).join(','));
  });
  let table;
  try {
    table = parseTable(text2.join('\n'), true);
  } catch (err) {
    throw new Error(`${o.name}: ${(err as Error).message}`);
  }
  const labelAt = table.columns.indexOf('label');
  const columns = table.columns.filter((_, i) => i !== labelAt);
  if (columns.length === 0) throw new Error(`${o.name}: no numeric column to train on (the header has ${names.join(', ')})`);
  const timestamps = table.timestamps?.map((t, i) => parseTimestamp(t, `${o.name}: row ${i + 2}, column timestamp`)) ?? null;
  const labels = labelAt >= 0 ? table.rows.map((r, i) => parseLabel(r[labelAt]!, `${o.name}: row ${i + 2}, column label`)) : null;
  const rows = labelAt >= 0 ? table.rows.map((r) => r.filter((_, i) => i !== labelAt)) : table.rows;

  // One series per agent (or per type, or one for the file), in time order.
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const key = `${k.agentType}\u0000${k.agent ?? ''}`;
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  const series: TrainingSeries[] = [...groups.values()].map((idx) => {
    if (timestamps) idx.sort((a, b) => timestamps[a]! - timestamps[b]! || a - b);
    const k = keys[idx[0]!]!;
    return {
      agent: k.agent ?? (textIndex[0]! >= 0 ? `${basename(o.name)}:${k.agentType}` : basename(o.name)),
      agentType: k.agentType,
      timestamps: timestamps ? idx.map((i) => timestamps[i]!) : null,
      rows: idx.map((i) => rows[i]!),
      labels: labels ? idx.map((i) => labels[i]!) : null,
    };
  });
  return { columns, series, source };
}

/** ISO 8601 (no zone: UTC, as exports usually are) or Unix seconds (milliseconds when above 1e11). */
export function parseTimestamp(text: string, where: string): number {
  const t = text.trim();
  const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : undefined;
  const seconds = n !== undefined ? (n > 1e11 ? n / 1000 : n) : t.startsWith('now') ? undefined : parseInstant(t, 0);
  if (seconds === undefined) throw new Error(`${where}: ${JSON.stringify(text)} is neither an ISO 8601 time nor Unix seconds`);
  return seconds;
}

function parseLabel(v: number, where: string): number {
  if (v !== 0 && v !== 1) throw new Error(`${where}: must be 0 or 1, but was ${Number.isNaN(v) ? 'empty' : v}`);
  return v;
}
