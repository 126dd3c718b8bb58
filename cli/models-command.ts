// `medic models list | show | promote`: what the model registry holds, which version serves each agent
// type, and a hand promotion (the same atomic pointer switch as `medic train anomaly --promote`, with the
// same refusal of a version that does not load).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { anomalyRoot, checkTypeName, listTypes, listVersions, promote, promotedVersion, readCard, type ModelCard } from '../models/registry.ts';
import { registryDir } from '../training/registry-location.ts';

const HELP = `Usage:
  medic models list [--registry DIR] [--json]
      Agent types, their versions, which one is promoted (*), and each card's data range and metrics.
  medic models show TYPE [VERSION] [--registry DIR]
      Prints a version's model card (default: the promoted one).
  medic models promote TYPE VERSION [--registry DIR]
      Puts VERSION in service for TYPE (atomic; refused when the version is missing or does not load).
      A running Medic picks it up on its next registry check.
  --registry DIR   default: $MEDIC_MODEL_REGISTRY, else the shipped models/registry
Exit codes: 0 done, 1 failed (e.g. a version that does not load), 2 the command line needs fixing.`;

export function modelsCommand(args: string[]): number {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    console.log(HELP);
    return sub === undefined ? 2 : 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { registry: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    return usage((err as Error).message);
  }
  if (parsed.values.help) {
    console.log(HELP);
    return 0;
  }
  const root = registryDir(parsed.values.registry);
  const positionals = parsed.positionals;
  try {
    switch (sub) {
      case 'list':
        if (positionals.length) return usage(`'models list' takes no arguments, but got ${positionals.join(' ')}`);
        return list(root, parsed.values.json ?? false);
      case 'show':
        if (positionals.length < 1 || positionals.length > 2) return usage("'models show' takes TYPE and optionally VERSION");
        return show(root, positionals[0]!, positionals[1]);
      case 'promote': {
        if (positionals.length !== 2) return usage("'models promote' takes TYPE and VERSION, e.g. medic models promote crewai v0003");
        const [agentType, version] = positionals as [string, string];
        const before = promotedVersion(root, agentType);
        promote(root, agentType, version);
        console.log(`${agentType}: promoted ${version}${before ? ` (was ${before})` : ''} in ${root}`);
        return 0;
      }
      default:
        return usage(`unknown subcommand ${JSON.stringify(sub)}: use list, show or promote`);
    }
  } catch (err) {
    console.error(`medic models ${sub}: ${(err as Error).message}`);
    return 1;
  }
}

function list(root: string, json: boolean): number {
  if (!existsSync(anomalyRoot(root))) {
    if (json) console.log('[]');
    else console.log(`no models in ${root}`);
    return 0;
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
    return 0;
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
  return 0;
}

function show(root: string, agentType: string, version: string | undefined): number {
  checkTypeName(agentType);
  if (version !== undefined && !/^v\d{4,}$/.test(version)) throw new Error(`version ${JSON.stringify(version)} is not a registry version (v0001, v0002, ...)`);
  const v = version ?? promotedVersion(root, agentType);
  if (!v) {
    console.error(`medic models show: ${agentType} has no promoted version; published: ${listVersions(root, agentType).join(', ') || 'none'}`);
    return 1;
  }
  const file = join(anomalyRoot(root), agentType, v, 'MODEL_CARD.md');
  if (!existsSync(file)) {
    console.error(`medic models show: no model card at ${file}`);
    return 1;
  }
  console.log(readFileSync(file, 'utf8'));
  return 0;
}

function safeCard(dir: string): ModelCard | undefined {
  try {
    return readCard(dir);
  } catch {
    return undefined;
  }
}

function usage(message: string): number {
  console.error(`medic models: ${message}\nRun 'medic models --help' for usage.`);
  return 2;
}
