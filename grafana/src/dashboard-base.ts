// What every Medic dashboard shares: its identity, refresh and time range, the datasource variable, and
// the dropdown to the other Medic dashboards (found by the `medic` tag).
import { DashboardBuilder, DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';
import { datasourceVariable } from './variables.ts';

/** `linkVars`: the dropdown carries this dashboard's variables to the others (they share agent ones). */
export function medicDashboard(o: { title: string; uid: string; description: string; tag: string; refresh: string; from: string; linkVars?: boolean }): DashboardBuilder {
  return new DashboardBuilder(o.title)
    .uid(o.uid)
    .description(o.description)
    .tags(['medic', o.tag])
    .refresh(o.refresh)
    .time({ from: o.from, to: 'now' })
    .timezone('browser')
    .withVariable(datasourceVariable())
    .link(new DashboardLinkBuilder('Medic dashboards').type(DashboardLinkType.Dashboards).tags(['medic']).asDropdown(true).includeVars(o.linkVars ?? false).keepTime(true));
}
