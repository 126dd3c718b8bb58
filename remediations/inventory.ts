// The inventory: what Medic may act on. An alert's `agent` label selects an entry by id; the entry,
// never the label, says which driver and which endpoint, object or process. An alert that selects no
// entry is escalated, not guessed.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadYamlConfig } from '../lib/yaml-config.ts';
import type { Agent, DriverTarget } from './types.ts';

const HttpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });
const Secret = z.strictObject({ token: z.string().min(1).optional(), token_file: z.string().min(1).optional() });

const EntrySchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a name of letters, digits, ".", "_" or "-"'),
    type: z.string().min(1),
    tier: z.string().min(1).optional(),
    driver: z.enum(['http', 'process', 'kubernetes', 'dry-run']),
    http: Secret.extend({ base_url: HttpUrl }).optional(),
    process: Secret.extend({
      command: z.array(z.string().min(1)).min(1),
      cwd: z.string().default('.'),
      base_url: HttpUrl,
      state_file: z.string().min(1),
      env: z.record(z.string(), z.string()).default({}),
    }).optional(),
    kubernetes: z
      .strictObject({
        namespace: z.string().min(1),
        deployment: z.string().min(1),
        container: z.string().min(1),
        service: z.string().min(1).optional(),
      })
      .optional(),
  })
  .superRefine((e, ctx) => {
    const section = e.driver === 'dry-run' ? undefined : e.driver;
    if (section && !e[section]) ctx.addIssue({ code: 'custom', path: [section], message: `is required for driver ${e.driver}` });
    for (const s of ['http', 'process'] as const) {
      const v = e[s];
      if (v && (v.token === undefined) === (v.token_file === undefined)) {
        ctx.addIssue({ code: 'custom', path: [s], message: 'needs exactly one of token or token_file' });
      }
    }
  });

export const InventorySchema = z
  .strictObject({ agents: z.array(EntrySchema).default([]) })
  .superRefine((inv, ctx) => {
    const seen = new Set<string>();
    inv.agents.forEach((a, i) => {
      if (seen.has(a.id)) ctx.addIssue({ code: 'custom', path: ['agents', i, 'id'], message: `repeats ${a.id}; ids must be unique` });
      seen.add(a.id);
    });
  });

export interface Inventory {
  /** The entry an alert's labels select, or undefined. */
  resolve(labels: Record<string, string>): Agent | undefined;
  all(): Agent[];
  /** How many agents of a type there are: the denominator of the blast-radius guard. */
  countOfType(type: string): number;
}

export function buildInventory(agents: Agent[]): Inventory {
  const byId = new Map(agents.map((a) => [a.id, a]));
  const perType = new Map<string, number>();
  for (const a of agents) perType.set(a.type, (perType.get(a.type) ?? 0) + 1);
  return {
    resolve: (labels) => (labels.agent ? byId.get(labels.agent) : undefined),
    all: () => [...agents],
    countOfType: (type) => perType.get(type) ?? 0,
  };
}

export function loadInventory(file: string): Inventory {
  const parsed = loadYamlConfig(file, InventorySchema, 'inventory');
  const base = dirname(resolve(file));
  const problems: string[] = [];
  const readToken = (where: string, s: { token?: string; token_file?: string }): string => {
    if (s.token) return s.token;
    const path = isAbsolute(s.token_file!) ? s.token_file! : resolve(base, s.token_file!);
    try {
      const token = readFileSync(path, 'utf8').trim();
      if (!token) problems.push(`${file}: ${where}.token_file ${path} is empty`);
      return token;
    } catch (err) {
      problems.push(`${file}: ${where}.token_file cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return '';
    }
  };
  const agents = parsed.agents.map((e, i): Agent => {
    const where = `agents[${i}]`;
    let target: DriverTarget;
    if (e.driver === 'http') target = { kind: 'http', base_url: e.http!.base_url, token: readToken(`${where}.http`, e.http!) };
    else if (e.driver === 'process') {
      const p = e.process!;
      target = {
        kind: 'process', command: p.command, cwd: resolve(base, p.cwd), base_url: p.base_url, token: readToken(`${where}.process`, p),
        state_file: resolve(base, p.state_file), env: p.env,
      };
    } else if (e.driver === 'kubernetes') target = { kind: 'kubernetes', ...e.kubernetes! };
    else target = { kind: 'dry-run' };
    return { id: e.id, type: e.type, tier: e.tier ?? '', driver: e.driver, target };
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return buildInventory(agents);
}
