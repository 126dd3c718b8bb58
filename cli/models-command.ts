// `medic models list | show | promote`: what the model registry holds, which version serves each agent
// type, and a hand promotion (the same atomic pointer switch as `medic train anomaly --promote`, with the
// same refusal of a version that does not load or reads a column outside the agent metric contract).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anomalyRoot, checkTypeName, listTypes, listVersions, promote, promotedVersion, readCard, type ModelCard } from '../models/registry.ts';
import { registryDir } from '../training/registry-location.ts';
import { defineCommand, EXIT, UsageError } from './args.ts';

const REGISTRY_OPTION = { registry: { type: 'string' } } as const;
const REGISTRY_HELP = `  --registry DIR   default: $MEDIC_MODEL_REGISTRY, else the shipped models/registry
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
  run: ({ values }) => list(registryDir(values.registry), values.json ?? false),
});

export const modelsShow = defineCommand({
  name: 'show',
  summary: "Print a version's model card (default: the promoted one)",
  usage: `Usage: medic models show TYPE [VERSION] [--registry DIR]

Prints the model card of VERSION of TYPE (default: the promoted version).
${REGISTRY_HELP}`,
  options: REGISTRY_OPTION,
  args: ['TYPE', '[VERSION]'],
  run: ({ values, positionals: [agentType, version] }) => show(registryDir(values.registry), agentType!, version),
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
    const before = promotedVersion(root, agentType!);
    promote(root, agentType!, version!);
    console.log(`${agentType}: promoted ${version}${before ? ` (was ${before})` : ''} in ${root}`);
    return EXIT.ok;
  },
});

export const modelsCommand = defineCommand({
  name: 'models',
  summary: 'Inspect the model registry and promote versions by hand',
  usage: `Usage: medic models <command> [--registry DIR]

What the model registry holds, which version serves each agent type, and a hand promotion (the same
atomic pointer switch as 'medic train anomaly --promote').`,
  subcommands: [modelsList, modelsShow, modelsPromote],
});

function list(root: string, json: boolean): number {
  if (!existsSync(anomalyRoot(root))) {
    if (json) console.log('[]');
    else console.log(`no models in ${root}`);
    return EXIT.ok;
  }
  const types = listTypes(root).map((agentType) => {
    const promoted = promotedVersion(root, agentType);
    return {
      agentType, promoted,
      versions: listVersions(root, agentType).map((version) => ({ version, card: safeCard(join(anomalyRoot(root), agentType, version)) })),
    };
  });
  if (json) {
    console.log(JSON.stringify(types.map((t) => ({ agentType: t.agentType, promoted: t.promoted ?? null, versions: t.versions.map((v) => ({ version: v.version, createdAt: v.card?.createdAt, dataRange: v.card?.dataRange, rows: v.card?.rows, metrics: v.card?.metrics })) })), null, 2));
    return EXIT.ok;
  }
  console.log(`anomaly models in ${root} (* promoted)`);
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
      ].filter(Boolean).join(', ');
      const range = card.dataRange ? `${card.dataRange.from} → ${card.dataRange.to}` : 'no timestamps';
      console.log(`  ${mark} ${version}  ${card.createdAt}  ${range}  ${card.rows.train}+${card.rows.validation} rows  ${metrics}`);
    }
  }
  if (promotedVersion(root, 'default') === undefined) console.log('warning: no default model is promoted: agent types without a model of their own are not scored');
  return EXIT.ok;
}

function show(root: string, agentType: string, version: string | undefined): number {
  checkTypeName(agentType);
  if (version !== undefined && !/^v\d{4,}$/.test(version)) throw new UsageError(`VERSION must be a registry version (v0001, v0002, ...), but was ${JSON.stringify(version)}`);
  const v = version ?? promotedVersion(root, agentType);
  if (!v) throw new Error(`${agentType} has no promoted version; published: ${listVersions(root, agentType).join(', ') || 'none'}`);
  const file = join(anomalyRoot(root), agentType, v, 'MODEL_CARD.md');
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
