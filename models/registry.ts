// The model registry: a folder per published version and a pointer to the promoted one, per agent type.
//
//   <root>/anomaly/<agent_type>/v0007/model.json    the artifact (a kind of models/detectors/index.ts)
//   <root>/anomaly/<agent_type>/v0007/card.json     the model card (data range, sizes, metrics)
//   <root>/anomaly/<agent_type>/v0007/MODEL_CARD.md the same card for people
//   <root>/anomaly/<agent_type>/PROMOTED            the version in service ("v0007")
//
// Publishing never changes what is served; promoting is one atomic rename of PROMOTED, so a reader sees
// the old version or the new one, never half of either. Agent types come from training inputs and
// directory names, never from alert labels: serving looks a label up in the loaded map, it does not
// build a path from it. Only models the server can serve get in: every column must be in the agent metric
// contract (signal-queries.ts), checked when publishing, promoting and loading, so an artifact published
// by an older Medic or by hand is refused at promotion or load, not by a scoring loop every round.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Detector } from './detector.ts';
import { DETECTORS } from './detectors/index.ts';
import { contractProblem } from './signal-queries.ts';

/** The models shipped with Medic: serving and training both default to them. */
export const SHIPPED_REGISTRY = fileURLToPath(new URL('./registry', import.meta.url));

/** Models for agent types that have none of their own. */
export const FALLBACK_TYPE = 'default';
const TYPE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const VERSION_NAME = /^v\d{4,}$/;

export interface ModelCard {
  agentType: string;
  version: string;
  createdAt: string;
  source: string;
  /** First and last sample used, ISO 8601 (absent for a headerless CSV). */
  dataRange?: { from: string; to: string };
  rows: { train: number; validation: number };
  columns: string[];
  /** Per-column statistics of the training data (count, mean, std, min, max...). */
  describe?: Record<string, Record<string, number>>;
  metrics: Record<string, number>;
  parameters: Record<string, number | string>;
  notes?: string[];
}

export interface PublishedModel {
  agentType: string;
  version: string;
  dir: string;
  /** Loaded through the kind registry (models/detectors/index.ts). */
  model: Detector;
}

/**
 * The two model families, each in its own folder: anomaly models (kind 'forest', per agent type) and
 * failure models (kind 'failure'). A family's folder holds only its kind's artifacts.
 */
export const MODEL_FAMILIES = { anomaly: 'forest', failure: 'failure' } as const;
export type ModelFamily = keyof typeof MODEL_FAMILIES;

export function familyRoot(root: string, family: ModelFamily): string {
  return join(root, family);
}

export function anomalyRoot(root: string): string {
  return familyRoot(root, 'anomaly');
}

function familyOf(model: Detector): ModelFamily {
  const family = (Object.keys(MODEL_FAMILIES) as ModelFamily[]).find((f) => MODEL_FAMILIES[f] === model.kind);
  if (!family) throw new Error(`no registry family keeps models of kind ${model.kind}`);
  return family;
}

export function checkTypeName(agentType: string): string {
  if (!TYPE_NAME.test(agentType)) throw new Error(`agent type ${JSON.stringify(agentType)} cannot name a model folder: use lowercase letters, digits, - and _ (at most 63)`);
  return agentType;
}

/** The versions published for an agent type, oldest first. */
export function listVersions(root: string, agentType: string, family: ModelFamily = 'anomaly'): string[] {
  const dir = join(familyRoot(root, family), checkTypeName(agentType));
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => VERSION_NAME.test(n) && statSync(join(dir, n)).isDirectory()).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/** Agent types with at least one published version. */
export function listTypes(root: string, family: ModelFamily = 'anomaly'): string[] {
  const dir = familyRoot(root, family);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => TYPE_NAME.test(n) && statSync(join(dir, n)).isDirectory()).sort();
}

/**
 * Writes a new version (never overwrites one): the next free number, claimed with an exclusive mkdir so
 * two trainers publishing at once get two versions. The artifact is checked by loading it first, and its
 * columns against the agent metric contract.
 */
export function publishModel(root: string, artifact: object, card: Omit<ModelCard, 'version' | 'agentType'> & { agentType: string }, extraFiles: Record<string, string> = {}): { version: string; dir: string; family: ModelFamily } {
  const model = DETECTORS.load(artifact);
  const problem = contractProblem(model.columns);
  if (problem) throw new Error(`the model for agent type ${card.agentType} is not published: ${problem}`);
  const family = familyOf(model);
  const typeDir = join(familyRoot(root, family), checkTypeName(card.agentType));
  mkdirSync(typeDir, { recursive: true });
  const versions = listVersions(root, card.agentType, family);
  let n = versions.length ? Number(versions.at(-1)!.slice(1)) + 1 : 1;
  for (;;) {
    const version = `v${String(n).padStart(4, '0')}`;
    const dir = join(typeDir, version);
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        n++;
        continue;
      }
      throw err;
    }
    const full: ModelCard = { ...card, version };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(artifact));
    writeFileSync(join(dir, 'card.json'), `${JSON.stringify(full, null, 2)}\n`);
    writeFileSync(join(dir, 'MODEL_CARD.md'), renderCard(full, family));
    for (const [name, text] of Object.entries(extraFiles)) writeFileSync(join(dir, name), text);
    return { version, dir, family };
  }
}

/**
 * Puts a version in service. It must load (a broken artifact is never promoted) and read only contract
 * columns; when refused, PROMOTED is left as it was.
 */
export function promote(root: string, agentType: string, version: string, family: ModelFamily = 'anomaly', how: 'promote' | 'rollback' = 'promote'): void {
  if (!VERSION_NAME.test(version)) throw new Error(`version ${JSON.stringify(version)} is not a registry version (v0001, v0002, ...)`);
  const typeDir = join(familyRoot(root, family), checkTypeName(agentType));
  if (!existsSync(join(typeDir, version))) throw new Error(`no version ${version} for agent type ${agentType} under ${typeDir}; published: ${listVersions(root, agentType, family).join(', ') || 'none'}`);
  try {
    loadVersion(root, agentType, version, family);
  } catch (err) {
    const current = promotedVersion(root, agentType, family);
    throw new Error(`${agentType} ${version} is not promoted (${current ? `PROMOTED still names ${current}` : 'no version is promoted'}): ${(err as Error).message}`);
  }
  const tmp = join(typeDir, `.PROMOTED.${process.pid}.tmp`);
  writeFileSync(tmp, `${version}\n`);
  renameSync(tmp, join(typeDir, 'PROMOTED'));
  // The pointer's history, for rollback: one line per promotion, oldest first.
  appendFileSync(join(typeDir, 'PROMOTED.log'), `${new Date().toISOString()} ${version}${how === 'rollback' ? ' rollback' : ''}\n`);
}

/**
 * Puts back the version promoted before the one in service (PROMOTED.log), skipping versions that no
 * longer load; returns it. Throws, naming why, when there is nothing to roll back to.
 */
export function rollback(root: string, agentType: string, family: ModelFamily = 'anomaly'): { from: string; to: string } {
  const typeDir = join(familyRoot(root, family), checkTypeName(agentType));
  const current = promotedVersion(root, agentType, family);
  if (!current) throw new Error(`${agentType} has no promoted ${family} version to roll back`);
  const logFile = join(typeDir, 'PROMOTED.log');
  const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').map((l) => l.trim().split(' ')).filter((p) => p[1] && VERSION_NAME.test(p[1])) : [];
  // The versions in service, as a stack: a promotion pushes, a rollback pops back to what it restored.
  const stack: string[] = [];
  for (const [, v, kind] of lines) {
    if (kind === 'rollback') {
      while (stack.length && stack[stack.length - 1] !== v) stack.pop();
      if (!stack.length) stack.push(v!);
    } else stack.push(v!);
  }
  const history = lines.map((p) => p[1]!);
  for (let i = stack.length - 2; i >= 0; i--) {
    const to = stack[i]!;
    if (to === current) continue;
    try {
      promote(root, agentType, to, family, 'rollback');
      return { from: current, to };
    } catch {
      // A version that no longer loads is passed over.
    }
  }
  throw new Error(`${agentType}: no earlier promoted ${family} version to roll back to (promotion history: ${history.join(', ') || 'none'})`);
}

export function promotedVersion(root: string, agentType: string, family: ModelFamily = 'anomaly'): string | undefined {
  const file = join(familyRoot(root, family), checkTypeName(agentType), 'PROMOTED');
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').trim();
}

/**
 * Loads one version; throws a message naming the file and what is wrong with it: damaged, of an unknown
 * kind, or reading a column outside the agent metric contract (the server could not fetch it).
 */
export function loadVersion(root: string, agentType: string, version: string, family: ModelFamily = 'anomaly'): PublishedModel {
  const dir = join(familyRoot(root, family), checkTypeName(agentType), version);
  let artifact: unknown;
  try {
    artifact = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  } catch (err) {
    throw new Error(`${join(dir, 'model.json')}: ${(err as Error).message}`);
  }
  let model: Detector;
  try {
    model = DETECTORS.load(artifact);
  } catch (err) {
    throw new Error(`${join(dir, 'model.json')}: ${(err as Error).message}`);
  }
  const problem = contractProblem(model.columns) ?? (model.kind !== MODEL_FAMILIES[family] ? `a ${model.kind} model in the ${family} folder (it holds ${MODEL_FAMILIES[family]} models)` : undefined);
  if (problem) throw new Error(`${join(dir, 'model.json')}: ${problem}`);
  return { agentType, version, dir, model };
}

export function readCard(dir: string): ModelCard | undefined {
  const file = join(dir, 'card.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ModelCard) : undefined;
}

/**
 * The promoted model of every agent type, and a message for each type whose promoted version loadVersion
 * refuses (the caller decides whether to keep what it served before).
 */
export function loadPromoted(root: string, family: ModelFamily = 'anomaly'): { models: Map<string, PublishedModel>; errors: string[] } {
  const models = new Map<string, PublishedModel>();
  const errors: string[] = [];
  for (const agentType of listTypes(root, family)) {
    const version = promotedVersion(root, agentType, family);
    if (!version) continue;
    try {
      models.set(agentType, loadVersion(root, agentType, version, family));
    } catch (err) {
      errors.push(`agent type ${agentType}, promoted ${version}: ${(err as Error).message}`);
    }
  }
  return { models, errors };
}

/** A cheap fingerprint of what is promoted: it changes when any pointer or promoted file changes. */
export function promotedFingerprint(root: string, family: ModelFamily = 'anomaly'): string {
  return listTypes(root, family).map((agentType) => {
    const version = promotedVersion(root, agentType, family);
    if (!version) return `${agentType}:-`;
    const file = join(familyRoot(root, family), agentType, version, 'model.json');
    const s = existsSync(file) ? statSync(file) : undefined;
    return `${agentType}:${version}:${s ? `${s.size}:${s.mtimeMs}` : 'missing'}`;
  }).join('|');
}

function renderCard(c: ModelCard, family: ModelFamily): string {
  const lines = [
    `# ${family === 'anomaly' ? 'Anomaly' : 'Failure'} model ${c.agentType} ${c.version}`,
    '',
    `- created: ${c.createdAt}`,
    `- source: ${c.source}`,
    c.dataRange ? `- data: ${c.dataRange.from} → ${c.dataRange.to}` : '- data: no timestamps',
    `- rows: ${c.rows.train} training, ${c.rows.validation} validation`,
    `- columns: ${c.columns.join(', ')}`,
    `- parameters: ${Object.entries(c.parameters).map(([k, v]) => `${k}=${v}`).join(', ')}`,
    '',
    '## Evaluation',
    '',
    '| metric | value |',
    '| --- | --- |',
    ...Object.entries(c.metrics).map(([k, v]) => `| ${k} | ${Number.isInteger(v) ? v : v.toFixed(4)} |`),
  ];
  if (c.describe) {
    const stats = Object.keys(Object.values(c.describe)[0] ?? {});
    lines.push('', '## Training data', '', `| column | ${stats.join(' | ')} |`, `| --- | ${stats.map(() => '---').join(' | ')} |`);
    for (const [column, s] of Object.entries(c.describe)) lines.push(`| ${column} | ${stats.map((k) => formatStat(s[k])).join(' | ')} |`);
  }
  if (c.notes?.length) lines.push('', '## Notes', '', ...c.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

function formatStat(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : v.toPrecision(4);
}
