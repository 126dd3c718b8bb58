// The inventory: what Medic may act on. An alert's `agent` label selects an entry by id; the entry,
// never the label, says which driver and which endpoint, object or process. An alert that selects no
// entry is escalated, not guessed.
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { readSecretFile } from '../lib/read-secret.ts';
import { ConfigError, loadYamlConfig } from '../lib/yaml-config.ts';
import { BUILTIN_DRIVERS, type AnyDriverDefinition } from './drivers/index.ts';
import type { Agent } from './types.ts';
import { AGENT_NAME, AGENT_NAME_RULE } from '../models/fleet-query.ts';

/** The inventory's schema, built from the driver registry: `driver` names one of them, and its block follows that driver's schema. */
export function inventorySchema(drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS) {
  const names = drivers.map((d) => d.name) as [string, ...string[]];
  const blocks = Object.fromEntries(drivers.flatMap((d) => (d.targetSchema ? [[d.name, d.targetSchema.optional()]] : [])));
  const entry = z
    .strictObject({
      // The same rule fleet queries hold agent names to (models/fleet-query.ts): an id may become query text.
      id: z.string().regex(AGENT_NAME, AGENT_NAME_RULE),
      type: z.string().min(1),
      tier: z.string().min(1).optional(),
      driver: z.enum(names),
      ...blocks,
    })
    .superRefine((e, ctx) => {
      const d = drivers.find((x) => x.name === e.driver);
      if (d?.targetSchema && (e as Record<string, unknown>)[d.name] === undefined) {
        ctx.addIssue({ code: 'custom', path: [d.name], message: `is required for driver ${d.name}` });
      }
    });
  return z
    .strictObject({ agents: z.array(entry).default([]) })
    .superRefine((inv, ctx) => {
      const seen = new Set<string>();
      inv.agents.forEach((a, i) => {
        if (seen.has(a.id)) ctx.addIssue({ code: 'custom', path: ['agents', i, 'id'], message: `repeats ${a.id}; ids must be unique` });
        seen.add(a.id);
      });
    });
}

export const InventorySchema = inventorySchema();

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

export function loadInventory(file: string, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): Inventory {
  const parsed = loadYamlConfig(file, inventorySchema(drivers), 'inventory');
  const base = dirname(resolve(file));
  const problems: string[] = [];
  const agents = parsed.agents.map((e, i): Agent => {
    const d = drivers.find((x) => x.name === e.driver)!;
    const where = `agents[${i}].${d.name}`;
    const target = d.target((e as Record<string, unknown>)[d.name], {
      where,
      resolvePath: (p) => resolve(base, p),
      readToken: (at, s) => s.token ?? (s.token_file ? readSecretFile(`${file}: ${at}.token_file`, s.token_file, base, problems) : undefined) ?? '',
    });
    return { id: e.id, type: e.type, tier: e.tier ?? '', driver: e.driver, target };
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return buildInventory(agents);
}
