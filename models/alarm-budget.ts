// The alarm budget: how many AgentAnomalous alerts a healthy agent may raise per day. Models set their
// threshold from it (models/calibrated-scorer.ts), the evaluation gate measures held-out healthy data
// against it (training/evaluation-gate.ts), and the model card states both.
//
// The budget becomes a per-reading false-alarm rate by counting every reading above the threshold as an
// alert: rate = alerts per day × seconds per reading / 86,400. That is conservative on purpose. The
// AgentAnomalous rule also needs the score above the threshold for 5 minutes, so healthy agents page
// less often than the budget, never more, whatever the correlation between consecutive readings.

/** Alerts per healthy agent per day (the "at most one AgentAnomalous per agent per day"). */
export const DEFAULT_ALARM_BUDGET = 1;
/** The reading interval of models trained from CSV without timestamps: serving's default step. */
export const DEFAULT_READING_SECONDS = 15;

export interface AlarmBudget {
  /** Alerts per healthy agent per day. */
  alertsPerDay: number;
  /** Seconds between readings (the model's sampling step). */
  stepSeconds: number;
  /** The per-reading false-alarm rate the threshold is set at. */
  readingRate: number;
}

export function alarmBudget(alertsPerDay: number, stepSeconds: number): AlarmBudget {
  if (!(alertsPerDay > 0 && Number.isFinite(alertsPerDay))) throw new Error(`the alarm budget must be a positive number of alerts per agent per day, but was ${alertsPerDay}`);
  if (!(stepSeconds > 0 && Number.isFinite(stepSeconds))) throw new Error(`the reading interval must be a positive number of seconds, but was ${stepSeconds}`);
  const readingRate = (alertsPerDay * stepSeconds) / 86_400;
  if (!(readingRate < 0.5)) throw new Error(`an alarm budget of ${alertsPerDay}/day at one reading every ${stepSeconds} s flags ${(readingRate * 100).toFixed(0)}% of readings: it is no budget`);
  return { alertsPerDay, stepSeconds, readingRate };
}

export function describeBudget(b: AlarmBudget): string {
  return `${b.alertsPerDay} alert(s) per healthy agent per day at one reading every ${b.stepSeconds} s: a per-reading false-alarm rate of ${b.readingRate.toPrecision(2)}`;
}
