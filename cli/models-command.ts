// `medic models list | show | promote | rollback`: what the model registry holds, which version serves
// each agent type, and a hand promotion or rollback (the same atomic pointer switch as `medic train anomaly --promote`, with the
// same refusal of a version that does not load or reads a column outside the agent metric contract).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTypeName, familyRoot, listTypes, listVersions, MODEL_FAMILIES, promote, promotedVersion, readCard, rollback, type ModelCard, type ModelFamily } from '../models/registry.ts';
import { registryDir } from '../training/registry-location.ts';
import { defineCommand, EXIT, UsageError } from './args.ts';

const REGISTRY_OPTION = { registry: { type: 'string' }, family: { type: 'string', default: 'anomaly' } } as const;
const REGISTRY_HELP = `  --family F       anomaly (per agent type; default) or failure (the failure prediction model)
  --registry DIR   default: $MEDIC_MODEL_REGISTRY, else the shipped models/registry
  -h, --help       show this help
Exit codes: 0 done, 1 failed (e.g. a version that does not load), 2 the command line needs fixing.`;

export const modelsList = defineCommand({
  name: 'list',
  summary: 'Models in the registry, the promoted version of each agent type (*), their cards',
  usage: `Usage: medic models list [--registry DIR] [--json]

Agent types, their versions, which one is promoted (*), and each card's data range and metrics.
  --json           the same as JSON
${REGISTRY_HELP}`,
  options: { ...REGISTRY_OPTION, json: { type: 'boolean' } },
  run: ({ values }) => list(registryDir(values.registry), values.json ?? false, family(values.family)),
});

export const modelsShow = defineCommand({
  name: 'show',
  summary: "Print a version's model card (default: the promoted one)",
  usage: `Usage: medic models show TYPE [VERSION] [--registry DIR]

Prints the model card of VERSION of TYPE (default: the promoted version).
${REGISTRY_HELP}`,
  options: REGISTRY_OPTION,
  args: ['TYPE', '[VERSION]'],
  run: ({ values, positionals: [agentType, version] }) => show(registryDir(values.registry), agentType!, version, family(values.family)),
});

export const modelsPromote = defineCommand({
  name: 'promote',
  summary: 'Put a published model version in service',
  usage: `Usage: medic models promote TYPE VERSION [--registry DIR]

Puts VERSION in service for TYPE (atomic; refused, PROMOTED unchanged, when the version is missing,
does not load, or reads a column outside the agent metric contract, which the server cannot query).
A running Medic picks it up on its next registry check. Example: medic models promote crewai v0003
${REGISTRY_HELP}`,
  options: REGISTRY_OPTION,
  args: ['TYPE', 'VERSION'],
  run: ({ values, positionals: [agentType, version] }) => {
    const root = registryDir(values.registry);
    const f = family(values.family);
    const before = promotedVersion(root, agentType!, f);
    promote(root, agentType!, version!, f);
    console.log(`${agentType}: promoted ${f} model ${version}${before ? ` (was ${before})` : ''} in ${root}`);
    return EXIT.ok;
  },
});

export const modelsRollback = defineCommand({
  name: 'rollback',
  summary: 'Put back the version promoted before the one in service',
  usage: `Usage: medic models rollback TYPE [--family F] [--registry DIR]

Promotes again the version that was in service before the current one (the registry keeps each type's
promotion history in PROMOTED.log), passing over versions that no longer load. A running Medic picks it
up on its next registry check. Example: medic models rollback crewai
${REGISTRY_HELP}`,
  options: REGISTRY_OPTION,
  args: ['TYPE'],
  run: ({ values, positionals: [agentType] }) => {
    const root = registryDir(values.registry);
    const r = rollback(root, agentType!, family(values.family));
    console.log(`${agentType}: rolled back from ${r.from} to ${r.to} in ${root}`);
    return EXIT.ok;
  },
});

export const modelsCommand = defineCommand({
  name: 'models',
  summary: 'Inspect the model registry and promote versions by hand',
  usage: `Usage: medic models <command> [--registry DIR]

What the model registry holds, which version serves each agent type, and a hand promotion (the same
atomic pointer switch as 'medic train anomaly --promote').`,
  subcommands: [modelsList, modelsShow, modelsPromote, modelsRollback],
});

function family(text: string | undefined): ModelFamily {
  if (!text || !(text in MODEL_FAMILIES)) throw new UsageError(`--family must be one of ${Object.keys(MODEL_FAMILIES).join(', ')}, but was ${text}`);
  return text as ModelFamily;
}

function list(root: string, json: boolean, f: ModelFamily): number {
  if (!existsSync(familyRoot(root, f))) {
    if (json) console.log('[]');
    else console.log(`no models in ${root}`);
    return EXIT.ok;
  }
  const types = listTypes(root, f).map((agentType) => {
    const promoted = promotedVersion(root, agentType, f);
    return {
      agentType, promoted,
      versions: listVersions(root, agentType, f).map((version) => ({ version, card: safeCard(join(familyRoot(root, f), agentType, version)) })),
    };
  });
  if (json) {
    console.log(JSON.stringify(types.map((t) => ({ agentType: t.agentType, promoted: t.promoted ?? null, versions: t.versions.map((v) => ({ version: v.version, createdAt: v.card?.createdAt, dataRange: v.card?.dataRange, rows: v.card?.rows, metrics: v.card?.metrics })) })), null, 2));
    return EXIT.ok;
  }
  console.log(`${f} models in ${root} (* promoted)`);
  for (const t of types) {
    console.log(`${t.agentType}${t.promoted ? '' : '  (none promoted: served by the default model)'}`);
    for (const { version, card } of t.versions) {
      const mark = version === t.promoted ? '*' : ' ';
      if (!card) {
        console.log(`  ${mark} ${version}  (no readable card.json)`);
        continue;
      }
      const m = card.metrics;
      const metrics = [
        m.validation_flag_rate !== undefined && Number.isFinite(m.validation_flag_rate) ? `flag rate ${(m.validation_flag_rate * 100).toFixed(1)}%` : undefined,
        m.auc !== undefined ? `AUC ${m.auc.toFixed(3)}` : undefined,
        m.f1 !== undefined ? `F1 ${m.f1.toFixed(3)}` : undefined,
        m.event_precision !== undefined ? `event precision ${m.event_precision.toFixed(3)}, recall ${m.event_recall?.toFixed(3)}` : undefined,
        m.median_lead_minutes !== undefined && Number.isFinite(m.median_lead_minutes) ? `lead ${m.median_lead_minutes.toFixed(1)} min` : undefined,
      ].filter(Boolean).join(', ');
      const range = card.dataRange ? `${card.dataRange.from} → ${card.dataRange.to}` : 'no timestamps';
      console.log(`  ${mark} ${version}  ${card.createdAt}  ${range}  ${card.rows.train}+${card.rows.validation} rows  ${metrics}`);
    }
  }
  if (f === 'anomaly' && promotedVersion(root, 'default') === undefined) console.log('warning: no default model is promoted: agent types without a model of their own are not scored');
  return EXIT.ok;
}

function show(root: string, agentType: string, version: string | undefined, f: ModelFamily): number {
  checkTypeName(agentType);
  if (version !== undefined && !/^v\d{4,}$/.test(version)) throw new UsageError(`VERSION must be a registry version (v0001, v0002, ...), but was ${JSON.stringify(version)}`);
  const v = version ?? promotedVersion(root, agentType, f);
  if (!v) throw new Error(`${agentType} has no promoted ${f} version; published: ${listVersions(root, agentType, f).join(', ') || 'none'}`);
  const file = join(familyRoot(root, f), agentType, v, 'MODEL_CARD.md');
  if (!existsSync(file)) throw new Error(`no model card at ${file}`);
  console.log(readFileSync(file, 'utf8'));
  return EXIT.ok;
}

function safeCard(dir: string): ModelCard | undefined {
  try {
    return readCard(dir);
  } catch {
    return undefined;
  }
}
