// Template variables shared by the dashboards: the datasource (default: the provisioned one), the agent
// filters read from the agent metric contract (agent_ready carries agent, agent_type and tier), and where
// Medic answers, for the links to its incident API and runbooks.
import { DatasourceVariableBuilder, QueryVariableBuilder, TextBoxVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE, DATASOURCE_UID } from './panels.ts';

export const datasourceVariable = () =>
  new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus')
    .current({ selected: true, text: 'Medic Prometheus', value: DATASOURCE_UID });

function agentLabel(name: string, label: string, matchers: string) {
  return new QueryVariableBuilder(name).label(label).datasource(DATASOURCE)
    .query(`label_values(agent_ready${matchers}, ${name})`).definition(`label_values(agent_ready${matchers}, ${name})`)
    .refresh(VariableRefresh.OnTimeRangeChanged).sort(VariableSort.AlphabeticalAsc)
    .multi(true).includeAll(true).allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

export const agentTypeVariable = () => agentLabel('agent_type', 'Agent type', '');
export const tierVariable = () => agentLabel('tier', 'Tier', '{agent_type=~"$agent_type"}');
export const agentVariable = () => agentLabel('agent', 'Agent', '{agent_type=~"$agent_type", tier=~"$tier"}');

/** Medic's address as the person looking at Grafana reaches it (links only; no query uses it). */
export const medicUrlVariable = () =>
  new TextBoxVariableBuilder('medic_url').label('Medic URL').defaultValue('http://localhost:9095')
    .current({ selected: true, text: 'http://localhost:9095', value: 'http://localhost:9095' })
    .description('Where Medic answers: its incident API and runbooks are linked from the panels.');

/** The variables and the values a test substitutes for them (what a person picks in Grafana). */
export const VARIABLE_NAMES = ['datasource', 'agent_type', 'tier', 'agent', 'medic_url'] as const;
