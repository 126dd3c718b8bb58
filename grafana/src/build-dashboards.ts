// npm run build:dashboards: writes every dashboard of dashboard-list.ts into grafana/dashboards/ as JSON;
// with --check, writes nothing and fails when a committed file differs from what the code builds.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS, renderDashboard } from './dashboard-list.ts';
import { generatorMain, type GeneratorCli } from '../../lib/generated-files-cli.ts';

export const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');

const USAGE = `Usage: npm run build:dashboards [-- --check]

Builds Medic's Grafana dashboards (grafana/src/dashboards/*.ts, @grafana/grafana-foundation-sdk) into
grafana/dashboards/*.json, which grafana/provisioning/dashboards/medic.yml provisions.

  --check   write nothing; exit 1 naming each committed file that is missing or stale
  --help    this text`;

/** The files that differ from what the code builds (missing or stale), by name. */
export function staleDashboards(dir = DASHBOARD_DIR): string[] {
  return DASHBOARDS.filter(({ file, build }) => {
    const path = join(dir, file);
    return !existsSync(path) || readFileSync(path, 'utf8') !== renderDashboard(build());
  }).map((d) => d.file);
}

const cli: GeneratorCli = {
  name: 'build:dashboards',
  usage: USAGE,
  stale: () => staleDashboards(),
  staleWhat: (files) => `${files.join(', ')} in ${DASHBOARD_DIR} differ from what grafana/src builds`,
  upToDate: `${DASHBOARDS.length} dashboards up to date`,
  write: () => DASHBOARDS.map(({ file, build }) => {
    const d = build();
    writeFileSync(join(DASHBOARD_DIR, file), renderDashboard(d));
    return `wrote ${join('grafana/dashboards', file)}: ${d.title} (${d.panels?.length ?? 0} panels)`;
  }),
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = generatorMain(cli, process.argv.slice(2));
