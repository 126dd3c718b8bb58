// A fault scenario file (YAML): which fault to inject into which agent, at what offset from the start.
import { z } from 'zod';
import { Duration, loadYamlConfig } from '../lib/yaml-config.ts';
import { FAULT_KINDS, type ScenarioStep } from './fault-kinds.ts';

const ScenarioSchema = z.strictObject({
  faults: z.array(z.strictObject({
    at: Duration,
    agent: z.string().min(1),
    kind: z.enum(FAULT_KINDS),
    for: Duration.optional(),
    rate: z.number().gt(0).lte(1).optional(),
  })).min(1),
});

/** Reads a scenario file; every problem is named with its path and value (a ConfigError). */
export function loadScenario(file: string): ScenarioStep[] {
  return loadYamlConfig(file, ScenarioSchema, 'scenario').faults.map((f) => ({ atMs: f.at, agent: f.agent, kind: f.kind, forMs: f.for, rate: f.rate }));
}
