// Models: which versions serve, how they were evaluated, whether their predictions come true, and what
// scoring costs.
import { DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';
import { medicDashboard } from '../dashboard-base.ts';
import { row, stat, table, timeseries } from '../panels.ts';
import { medicUrlVariable } from '../variables.ts';

export function modelsDashboard() {
  return medicDashboard({
    title: 'Medic / Models', uid: 'medic-models', tag: 'models', refresh: '1m', from: 'now-24h',
    description: 'Anomaly and failure models in service, their evaluation figures, online prediction accuracy and lead time, reloads and scoring latency.',
  })
    .withVariable(medicUrlVariable())
    .link(new DashboardLinkBuilder('Models in service (Medic API)').type(DashboardLinkType.Link).url('${medic_url}/api/models').targetBlank(true))
    .withRow(row('In service'))
    .withPanel(table({
      title: 'Model versions in service', unit: 'short',
      description: 'The model version serving each agent type and family (a type without its own model is served by the default one).',
      queries: [{ expr: 'medic_model_info', legend: '{{family}} {{agent_type}} {{version}}' }],
      links: [{ title: 'Models in Medic', url: '${medic_url}/api/models' }],
    }))
    .withPanel(table({
      title: 'Evaluation figures of the models in service', unit: 'short',
      description: 'Figures measured on held-out data when each model was trained (its card): alarm rates, thresholds, precision and recall where the family has them.',
      queries: [{ expr: 'medic_model_evaluation', legend: '{{family}} {{agent_type}} {{figure}}' }],
    }))
    .withPanel(timeseries({
      title: 'Model reloads', unit: 'short', min: 0,
      description: 'Promoted versions taken into service (loaded) or refused because they did not load.',
      queries: [{ expr: 'sum by (result) (increase(medic_model_reloads_total[$__rate_interval]))', legend: '{{result}}' }],
    }))
    .withPanel(timeseries({
      title: 'Alarm thresholds', unit: 'short', min: 0, max: 1,
      description: 'The score (anomaly) and probability (failure) from which each model alarms.',
      queries: [
        { expr: 'medic_anomaly_threshold', legend: 'anomaly {{agent_type}}' },
        { expr: 'medic_failure_threshold', legend: 'failure {{agent_type}}' },
      ],
    }))
    .withRow(row('Prediction accuracy (online)'))
    .withPanel(stat({
      title: 'Precision', unit: 'percentunit', width: 6, min: 0, max: 1,
      description: 'Share of failure alarms followed within the horizon by a failure, or by a remediation that prevented it.',
      queries: [{ expr: 'max(medic_prediction_precision)', legend: 'precision' }],
    }))
    .withPanel(stat({
      title: 'Recall', unit: 'percentunit', width: 6, min: 0, max: 1,
      description: 'Share of agent failures foreseen by an alarm within the horizon before them.',
      queries: [{ expr: 'max(medic_prediction_recall)', legend: 'recall' }],
    }))
    .withPanel(stat({
      title: 'Median lead time', unit: 's', width: 6,
      description: 'Time from the predicting alarm to the failure, median of the last 1,000 foreseen failures.',
      queries: [{ expr: 'max(medic_prediction_lead_time_seconds)', legend: 'lead time' }],
    }))
    .withPanel(stat({
      title: 'Brier score', unit: 'short', width: 6, min: 0, max: 1,
      description: 'Mean squared error of the probabilities against what happened (0 perfect, 0.25 a coin).',
      queries: [{ expr: 'max(medic_prediction_brier_score)', legend: 'Brier' }],
    }))
    .withPanel(timeseries({
      title: 'Alarm episodes by outcome', unit: 'short', min: 0,
      description: 'Failure-prediction alarm episodes judged in each interval: true when a failure followed or was prevented.',
      queries: [{ expr: 'sum by (outcome) (increase(medic_prediction_episodes_total[$__rate_interval]))', legend: '{{outcome}}' }],
    }))
    .withPanel(timeseries({
      title: 'Failures by whether they were foreseen', unit: 'short', min: 0,
      description: 'Agent failures seen by the prediction loop in each interval.',
      queries: [{ expr: 'sum by (predicted) (increase(medic_prediction_failures_total[$__rate_interval]))', legend: 'foreseen: {{predicted}}' }],
    }))
    .withRow(row('Scoring'))
    .withPanel(timeseries({
      title: 'Prediction loop duration (p99)', unit: 's', min: 0,
      description: 'One fleet scoring round, by phase (query: Prometheus; score: features and models).',
      queries: [{ expr: 'histogram_quantile(0.99, sum by (le, phase) (rate(medic_prediction_loop_duration_seconds_bucket[$__rate_interval])))', legend: '{{phase}}' }],
    }))
    .withPanel(timeseries({
      title: 'Prediction loops by result', unit: 'ops', min: 0,
      description: 'Fleet scoring rounds per second: ok, failed, or skipped while the previous one still ran.',
      queries: [{ expr: 'sum by (result) (rate(medic_prediction_loops_total[$__rate_interval]))', legend: '{{result}}' }],
    }))
    .withPanel(timeseries({
      title: 'Incident scoring duration (p99, last hour)', unit: 's', min: 0, width: 24,
      description: 'Scoring an incident\'s agent when its alert arrives, by phase.',
      queries: [{ expr: 'histogram_quantile(0.99, sum by (le, phase) (increase(medic_incident_scoring_duration_seconds_bucket[1h])))', legend: '{{phase}}' }],
    }));
}
