// Reading operator-written YAML (medic.yaml, inventory, policies, rules) and reporting what is wrong
// in one voice: the file, the field path, the rule, and the value seen.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatPath, ruleOf } from './schema-messages.ts';
import { describeValue } from './redact-secrets.ts';
import { formatDurationMs, parseByteSize, parseDurationMs } from './units.ts';

/** A configuration problem: each line names the source, the field, the rule and the value seen. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** "10s", "5m", "250ms" (or a number of milliseconds) → milliseconds. */
export const Duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : parseDurationMs(value);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as "500ms", "10s" or "5m"' });
    return z.NEVER;
  }
  return ms;
});

/** "1MiB", "512KiB" (or a number of bytes) → bytes. */
export const ByteSize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = typeof value === 'number' ? value : parseByteSize(value);
  if (bytes === undefined || !Number.isInteger(bytes) || bytes < 1) {
    ctx.addIssue({ code: 'custom', message: 'must be a size in bytes or such as "512KiB" or "1MiB"' });
    return z.NEVER;
  }
  return bytes;
});

type Raw = Record<string, unknown>;

/** Reads a YAML mapping; an empty file is an empty mapping. Throws ConfigError naming the file. */
export function readYamlFile(file: string, what = 'configuration file'): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError([`${file}: the top level must be a mapping of settings, but was ${describeValue(doc)}`]);
  }
  return doc as Raw;
}

/** One line per issue: `<field> <rule>, but was <value>`, or `<field> is not a known setting`. */
export function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const field = formatPath(issue.path) || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const prefix = field === '(top level)' ? '' : `${field}.`;
    return issue.keys.map((k) => `${prefix}${k} is not a known setting`).join('; ');
  }
  // A secret given the wrong way (beside its file, or as a number) is named, never printed.
  return `${field} ${ruleOf(issue)}, but was ${describeValue(getPath(raw, issue.path), issue.path[issue.path.length - 1])}`;
}

/** Validates a YAML file against a schema; every problem is reported, prefixed with the file. */
export function loadYamlConfig<T extends z.ZodType>(file: string, schema: T, what: string): z.output<T> {
  return validate(readYamlFile(file, what), schema, file);
}

/** The same for YAML text (built-in defaults), with a label standing in for the file name. */
export function parseYamlConfig<T extends z.ZodType>(text: string, schema: T, label: string): z.output<T> {
  return validate((parseYaml(text) as unknown) ?? {}, schema, label);
}

function validate<T extends z.ZodType>(raw: unknown, schema: T, label: string): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${label}: ${describeIssue(i, raw)}`));
  return parsed.data;
}

export function getPath(target: unknown, path: readonly PropertyKey[]): unknown {
  let node = target;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** `value` (parsed by `schema`) with every Duration setting back in the form operators write ("10s"). */
export function formatDurations(schema: z.ZodType, value: unknown): unknown {
  let s = schema;
  // Defaults, optionals and prefaults wrap the setting's own schema; a transform pipes it onwards.
  // Duration is itself a transform: it is the one pipe not to look inside.
  for (;;) {
    if (s === Duration) break;
    if ('innerType' in s.def && ['default', 'prefault', 'optional', 'nullable'].includes(s.def.type)) s = s.def.innerType as z.ZodType;
    else if (s.def.type === 'pipe' && 'in' in s.def) s = s.def.in as z.ZodType;
    else break;
  }
  if (s === Duration && typeof value === 'number') return formatDurationMs(value);
  if (s instanceof z.ZodObject && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const shape = s.shape as Record<string, z.ZodType>;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape[k] ? formatDurations(shape[k], v) : v]));
  }
  return value;
}
