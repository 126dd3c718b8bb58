// Healing overview: is Medic healing, how fast, with what, and what holds it back.
import { AnnotationQueryBuilder, DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';
import { medicDashboard } from '../dashboard-base.ts';
import { DATASOURCE, row, stat, table, timeseries } from '../panels.ts';
import { medicUrlVariable } from '../variables.ts';

const ACTED = 'result=~"succeeded|failed|verify_failed"';
// Recoveries and remediations are sparse events: their quantiles are taken over the preceding hour, so a
// point answers "over the last hour" instead of being empty between two remediations.
const quantile = (q: number, metric: string, by: string) =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (increase(${metric}_bucket[1h])))`;

export function healingOverview() {
  return medicDashboard({
    title: 'Medic / Healing overview', uid: 'medic-healing-overview', tag: 'self-healing', refresh: '30s', from: 'now-6h',
    description: 'Is Medic healing the fleet, how fast, with which strategies, and what holds it back.',
  })
    .withVariable(medicUrlVariable())
    .link(new DashboardLinkBuilder('Open incidents (Medic API)').type(DashboardLinkType.Link).url('${medic_url}/api/incidents?status=firing').targetBlank(true))
    .annotation(new AnnotationQueryBuilder().name('Remediations').datasource(DATASOURCE).enable(true).iconColor('blue')
      .expr('sum by (strategy, result) (increase(medic_remediations_total[1m])) > 0').step('30s')
      .titleFormat('{{strategy}}: {{result}}').textFormat('Medic remediated with {{strategy}} ({{result}})'))
    .withRow(row('Now'))
    .withPanel(stat({
      title: 'Success rate', unit: 'percentunit', min: 0, max: 1,
      description: 'Share of remediations that acted and were verified, over the dashboard\'s time range.',
      queries: [{ expr: `sum(increase(medic_remediations_total{result="succeeded"}[$__range])) / sum(increase(medic_remediations_total{${ACTED}}[$__range]))`, legend: 'success rate' }],
    }))
    .withPanel(stat({
      title: 'MTTR (median)', unit: 's',
      description: 'Median time from an alert\'s start (its startsAt in Alertmanager) to Medic\'s verified recovery, over the time range.',
      queries: [{ expr: 'histogram_quantile(0.5, sum by (le) (increase(medic_time_to_recovery_seconds_bucket[$__range])))', legend: 'MTTR' }],
    }))
    .withPanel(stat({
      title: 'Open incidents', unit: 'short', description: 'Incidents whose alert is still firing.',
      queries: [{ expr: 'sum(medic_incidents_open)', legend: 'open' }],
      links: [{ title: 'Open incidents in Medic', url: '${medic_url}/api/incidents?status=firing' }],
    }))
    .withPanel(stat({
      title: 'Queue depth', unit: 'short', description: 'Work waiting for a worker: sustained growth means Medic cannot keep up.',
      queries: [{ expr: 'sum(medic_queue_depth)', legend: 'queued' }],
    }))
    .withPanel(stat({
      title: 'Healing now', unit: 'short', description: 'Workers busy with an incident: remediations being decided, acted on or verified now.',
      queries: [{ expr: 'sum(medic_workers{state="busy"})', legend: 'busy workers' }],
    }))
    .withPanel(stat({
      title: 'Actions paused', unit: 'short', min: 0, max: 1,
      description: '1 while an operator has paused Medic\'s automatic actions (the kill switch, POST /api/controls/pause): incidents are held and escalated, none is healed. GET /api/controls says by whom and why.',
      queries: [{ expr: 'max(medic_actions_paused)', legend: 'paused' }],
      links: [{ title: 'Controls in Medic', url: '${medic_url}/api/controls' }],
    }))
    .withPanel(stat({
      title: 'Breakers not closed', unit: 'short', description: 'Circuit breakers Medic holds open or half-open: traffic to those agents is cut or being tried again.',
      queries: [{ expr: 'sum(medic_circuit_breakers{state!="closed"})', legend: 'open or half-open' }],
    }))
    .withRow(row('Remediations'))
    .withPanel(timeseries({
      title: 'Remediations by strategy and result', unit: 'short', min: 0,
      description: 'Remediations that ran to an outcome in each interval.',
      queries: [{ expr: 'sum by (strategy, result) (increase(medic_remediations_total[$__rate_interval]))', legend: '{{strategy}} {{result}}' }],
      links: [{ title: 'Remediations in Medic', url: '${medic_url}/api/remediations' }],
    }))
    .withPanel(timeseries({
      title: 'Success rate by strategy (last hour)', unit: 'percentunit', min: 0, max: 1,
      description: 'Of the remediations that acted in the preceding hour, the share verified as healed.',
      queries: [{ expr: `sum by (strategy) (increase(medic_remediations_total{result="succeeded"}[1h])) / sum by (strategy) (increase(medic_remediations_total{${ACTED}}[1h]))`, legend: '{{strategy}}' }],
    }))
    .withPanel(timeseries({
      title: 'Healing duration by strategy (p50, p95, last hour)', unit: 's', min: 0,
      description: 'Time from acting to a verified (or failed) outcome.',
      queries: [
        { expr: quantile(0.5, 'medic_remediation_duration_seconds', 'strategy'), legend: 'p50 {{strategy}}' },
        { expr: quantile(0.95, 'medic_remediation_duration_seconds', 'strategy'), legend: 'p95 {{strategy}}' },
      ],
    }))
    .withPanel(timeseries({
      title: 'MTTR by strategy (median, last hour)', unit: 's', min: 0,
      description: 'From the alert\'s start to verified recovery, by the strategy that healed.',
      queries: [{ expr: quantile(0.5, 'medic_time_to_recovery_seconds', 'strategy'), legend: '{{strategy}}' }],
    }))
    .withPanel(timeseries({
      title: 'MTTR by tier (median, last hour)', unit: 's', min: 0,
      description: 'From the alert\'s start to verified recovery, by the agent\'s tier policy.',
      queries: [{ expr: quantile(0.5, 'medic_time_to_recovery_seconds', 'tier'), legend: '{{tier}}' }],
    }))
    .withPanel(timeseries({
      title: 'MTTR by fault (median, last hour)', unit: 's', min: 0,
      description: 'From the alert\'s start to verified recovery, by the selection rule that recognised the fault.',
      queries: [{ expr: quantile(0.5, 'medic_time_to_recovery_seconds', 'fault'), legend: '{{fault}}' }],
    }))
    .withPanel(timeseries({
      title: 'Where recovery time goes (median, last hour)', unit: 's', min: 0, width: 24,
      description: 'Phases of a recovery: routing (alert start to Medic receiving it: Alertmanager grouping and delivery), queueing (waiting, guards and earlier attempts), action, verification. Detection (fault to alert start) is the rule\'s `for` and is not seen by Medic.',
      queries: [{ expr: quantile(0.5, 'medic_recovery_phase_seconds', 'phase'), legend: '{{phase}}' }],
    }))
    .withRow(row('Safety'))
    .withPanel(timeseries({
      title: 'Escalations by reason', unit: 'short', min: 0,
      description: 'Incidents handed to humans in each interval.',
      queries: [{ expr: 'sum by (reason) (increase(medic_escalations_total[$__rate_interval]))', legend: '{{reason}}' }],
    }))
    .withPanel(timeseries({
      title: 'Incidents held by a guard', unit: 'short', min: 0,
      description: 'Incidents a guard held back or moved past a strategy, counted once per incident and guard.',
      queries: [{ expr: 'sum by (guard) (increase(medic_guard_blocks_total[$__rate_interval]))', legend: '{{guard}}' }],
    }))
    .withPanel(timeseries({
      title: 'Time held by a guard (p95, last hour)', unit: 's', min: 0,
      description: 'How long held incidents waited before a guard let them act (or they were escalated).',
      queries: [{ expr: quantile(0.95, 'medic_guard_wait_seconds', 'guard'), legend: '{{guard}}' }],
    }))
    .withPanel(timeseries({
      title: 'Circuit breakers by state', unit: 'short', min: 0,
      description: 'Breakers Medic manages, by state.',
      queries: [{ expr: 'sum by (state) (medic_circuit_breakers)', legend: '{{state}}' }],
    }))
    .withPanel(timeseries({
      title: 'Queue depth and open incidents', unit: 'short', min: 0,
      description: 'Work waiting for a worker, and incidents still firing.',
      queries: [{ expr: 'sum(medic_queue_depth)', legend: 'queued work' }, { expr: 'sum(medic_incidents_open)', legend: 'open incidents' }],
    }))
    .withPanel(timeseries({
      title: 'Webhook deliveries by result', unit: 'ops', min: 0,
      description: 'Alertmanager deliveries per second, by how Medic answered (accepted means committed to disk).',
      queries: [{ expr: 'sum by (result) (rate(medic_notifications_received_total[$__rate_interval]))', legend: '{{result}}' }],
    }))
    .withPanel(table({
      title: 'Agents with a firing alert', unit: 'short', width: 24,
      description: 'Agents Medic is healing now (or has escalated): the alerts firing on them. Links open Medic\'s incidents for the agent and the alert\'s runbook.',
      queries: [{ expr: 'ALERTS{alertstate="firing", agent!=""}', legend: '{{agent}} {{alertname}}' }],
      links: [
        { title: 'Incidents of ${__data.fields.agent} in Medic', url: '${medic_url}/api/incidents?agent=${__data.fields.agent}' },
        { title: 'Runbook for ${__data.fields.alertname}', url: '${medic_url}/runbooks/${__data.fields.alertname}.md' },
      ],
    }));
}
