// Every dashboard Medic ships, and the file each is built into (grafana/dashboards/). Adding one is one
// file in dashboards/ and one line here; the tests read this list.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { fleetHealth } from './dashboards/fleet-health.ts';
import { healingOverview } from './dashboards/healing-overview.ts';
import { modelsDashboard } from './dashboards/models.ts';

export const DASHBOARDS: readonly { file: string; build: () => Dashboard }[] = [
  { file: 'healing-overview.json', build: () => numbered(healingOverview().build()) },
  { file: 'fleet-health.json', build: () => numbered(fleetHealth().build()) },
  { file: 'models.json', build: () => numbered(modelsDashboard().build()) },
];

/** Panel ids in layout order from 1 (the builders leave them unset): links and alerts refer to them. */
function numbered(d: Dashboard): Dashboard {
  d.panels?.forEach((p, i) => (p.id = i + 1));
  return d;
}

/** The committed form of a dashboard: stable key order as built, two-space indent, final newline. */
export const renderDashboard = (d: Dashboard): string => `${JSON.stringify(d, null, 2)}\n`;
