// What a data source hands the training pipeline: per-agent time series over named columns, whichever
// source they came from (Prometheus query_range or a CSV export). One series per agent, so rolling
// features never read one agent's samples as another's history.

export interface TrainingSeries {
  /** The agent (Prometheus `agent` label, a CSV `agent` column) or, without one, the input's name. */
  agent: string;
  /** The model the series trains: the `agent_type` label or column, else the fallback type. */
  agentType: string;
  /** Unix seconds of each row, ascending; null for input without timestamps (a headerless CSV). */
  timestamps: number[] | null;
  /** One row per sample, one value per column; NaN where a sample is missing. */
  rows: number[][];
  /** 1 anomalous, 0 normal, per row: a CSV `label` column, used for evaluation only, never for fitting. */
  labels: number[] | null;
}

export interface TrainingData {
  columns: string[];
  series: TrainingSeries[];
  /** Where the data came from, for the model card ("prometheus http://…", "csv data.csv"). */
  source: string;
  /** How Prometheus sampled the rows; serving must query the same way (absent for CSV). */
  sampling?: { stepSeconds: number; rateWindow: string };
}
