// The command line of `medic train anomaly` and `medic train nightly`, validated in one place: every
// problem names the flag, the rule and the value seen, and all of them are reported at once.
import type { SourceSpec } from '../training/load-source.ts';
import type { NightlySettings } from '../training/nightly.ts';
import { existsSync } from 'node:fs';
import { validateDetailed } from 'node-cron';
import { parseDurationMs } from '../lib/units.ts';
import { CONTRACT_COLUMNS } from '../models/signal-queries.ts';
import { DEFAULT_ALARM_BUDGET } from '../models/alarm-budget.ts';
import { GATE_DEFAULTS } from '../training/evaluation-gate.ts';
import { parseInstant } from '../lib/parse-instant.ts';
import { MAX_POINTS_PER_QUERY } from '../training/prometheus-source.ts';
import { registryDir } from '../training/registry-location.ts';
import { UsageError, type OptionValues } from './args.ts';
import { MODEL_KINDS, NIGHTLY_ONLY, nightlyChildren, type ModelKind } from './nightly-children.ts';
import { TRAINING_NICE } from '../training/training-child.ts';

export const TRAIN_HELP = `Usage:
  medic train anomaly (--prometheus URL --from T --to T | --csv FILE) [options]
  medic train nightly --schedule CRON (--prometheus URL [--lookback D] [--medic URL] | --csv FILE) [options]

Trains the anomaly model per agent type, plus the fallback type 'default' on every row; evaluates each
on the last part in time of every agent's rows; publishes each as a new version in the model registry
with a model card; with --promote, puts in service each version that passes the evaluation gate.
'nightly' keeps running and trains on schedule: each run trains every kind of --kinds in turn, each in
a child process at a lower CPU priority (medic train anomaly, medic train failure, with these flags and
--from now-LOOKBACK); a run never overlaps the previous one; a failed kind is logged and the others and
the next run still happen; SIGTERM stops it cleanly. See training/README.md.

Data, from Prometheus (one query_range per model column and batch of prometheus.batch_size agents):
  --prometheus URL        the Prometheus (or Thanos, Mimir, VictoriaMetrics) that holds the agents'
                          metrics; when it is medic.yaml's prometheus.url (MEDIC_CONFIG or ./medic.yaml),
                          that section's tenant, credentials and TLS are used (MEDIC_PROMETHEUS_* too)
  --from T, --to T        'anomaly' only: ISO 8601, Unix seconds, now, or now-DURATION (now-7d)
  --lookback D            'nightly' only: each run trains on the last D (default 7d)
  --step D                sample spacing, also used by serving (default 15s)
  --rate-window D         rate() window of the counter columns (default 1m)
  --selector S            label matchers for every metric, e.g. '{job="agents"}'
  --points-per-query N    page size in points per series (default and maximum ${MAX_POINTS_PER_QUERY})
  --timeout D             per request (default 60s); transient failures are retried 3 times
Data, from a CSV export:
  --csv FILE              header: numeric columns, and optional timestamp, agent_type, agent, label (0/1,
                          for evaluation only); one model per agent_type. Numeric columns must be in
                          the agent metric contract, which the server reads from Prometheus (any of
                          ${CONTRACT_COLUMNS.slice(0, 4).join(', ')},
                          ${CONTRACT_COLUMNS.slice(4).join(', ')}); others are refused: backtest
                          them with medic anomaly score --train
  --csv-step D            resample timestamped rows to this step (default: their median spacing)

Model and evaluation:
  --window N              rolling window of the features, in samples (default 12)
  --contamination C       the forest's training parameter, in (0, 0.5) (default 0.1, as the design says);
                          not the alarm rate
  --alarm-budget N        AgentAnomalous alerts a healthy agent may raise per day (default ${DEFAULT_ALARM_BUDGET}): sets each
                          model's threshold, and the evaluation gate refuses a model clearly above it
  --seed S                forest seed (default 1)
  --trees N               trees in the forest (default 100)
  --sample-size N         rows per tree (default 256)
  --validation-fraction F last share in time of each agent's rows held out (default 0.2)
  --min-rows N            training rows an agent type needs for a model of its own (default 200)
  --max-train-rows N      cap per model; each series keeps its most recent rows (default 200000)
  --fill-limit N          consecutive missing samples forward-filled per column (default 3)
Registry:
  --registry DIR          default: $MEDIC_MODEL_REGISTRY, else the shipped models/registry
  --promote               promote each new version that passes the evaluation gate
Schedule ('nightly'):
  --schedule CRON         node-cron expression, 5 fields (or 6 with seconds first), e.g. "0 3 * * *"
  --timezone TZ           the schedule's time zone, e.g. Europe/Berlin (default: the machine's)
  --run-now               also train once right away
  --kinds K,...           model kinds to retrain: anomaly, failure (default both with --prometheus,
                          anomaly with --csv); failure trains on the fleet's failures in Prometheus
  --medic URL             a running Medic whose remediations label failures it prevented (failure kind)
  --nice N                CPU niceness of the training processes, 0-19 (default ${TRAINING_NICE})
  -h, --help              show this help

Exit codes: 0 done (a version that fails the gate is still published, just not promoted), 1 failed,
2 the command line needs fixing.`;

// What the command line validates into is training's own input (one definition, in training/).
export type { SourceSpec } from '../training/load-source.ts';
export type TrainSettings = NightlySettings['train'];
export type ParsedTrain = NightlySettings;

export const TRAIN_OPTIONS = {
  prometheus: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, lookback: { type: 'string' },
  step: { type: 'string' }, 'rate-window': { type: 'string' }, selector: { type: 'string' }, 'points-per-query': { type: 'string' }, timeout: { type: 'string' },
  csv: { type: 'string' }, 'no-header': { type: 'boolean' }, 'csv-step': { type: 'string' },
  window: { type: 'string' }, contamination: { type: 'string' }, 'alarm-budget': { type: 'string' }, seed: { type: 'string' }, trees: { type: 'string' }, 'sample-size': { type: 'string' },
  'validation-fraction': { type: 'string' }, 'min-rows': { type: 'string' }, 'max-train-rows': { type: 'string' }, 'fill-limit': { type: 'string' },
  registry: { type: 'string' }, promote: { type: 'boolean' },
  schedule: { type: 'string' }, timezone: { type: 'string' }, 'run-now': { type: 'boolean' },
  kinds: { type: 'string' }, medic: { type: 'string' }, nice: { type: 'string' },
} as const;

const ANOMALY_ONLY = ['from', 'to'] as const;

/** Validates the parsed flags; throws a UsageError whose message lists every problem, one a line. */
export function validateTrainArgs(mode: 'anomaly' | 'nightly', v: OptionValues<typeof TRAIN_OPTIONS>, env: NodeJS.ProcessEnv, nowMs: number): ParsedTrain {
  const problems: string[] = [];
  const int = (flag: keyof typeof v, fallback: number, min: number): number => {
    const raw = v[flag] as string | undefined;
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min) problems.push(`--${flag} must be an integer >= ${min}, but was ${raw}`);
    return n;
  };
  const num = (flag: keyof typeof v, fallback: number, ok: (n: number) => boolean, rule: string): number => {
    const raw = v[flag] as string | undefined;
    const n = raw === undefined ? fallback : Number(raw);
    if (!ok(n)) problems.push(`--${flag} must be ${rule}, but was ${raw}`);
    return n;
  };
  const duration = (flag: keyof typeof v, fallback: string, minMs: number): number => {
    const raw = (v[flag] as string | undefined) ?? fallback;
    const ms = parseDurationMs(raw);
    if (ms === undefined || ms < minMs) problems.push(`--${flag} must be a duration such as 15s or 7d${minMs > 0 ? ` of at least ${minMs / 1000}s` : ''}, but was ${raw}`);
    return ms ?? 0;
  };

  for (const flag of mode === 'anomaly' ? NIGHTLY_ONLY : ANOMALY_ONLY) {
    if (v[flag] !== undefined) problems.push(`--${flag} belongs to 'medic train ${mode === 'anomaly' ? 'nightly' : 'anomaly'}', not '${mode}'`);
  }
  const train: TrainSettings = {
    registry: registryDir(v.registry, env),
    window: int('window', 12, 2),
    contamination: num('contamination', 0.1, (n) => n > 0 && n < 0.5, 'in (0, 0.5)'),
    alarmBudget: num('alarm-budget', DEFAULT_ALARM_BUDGET, (n) => n > 0 && n <= 1000, 'a number of alerts per agent per day in (0, 1000]'),
    seed: int('seed', 1, 0),
    trees: int('trees', 100, 1),
    sampleSize: int('sample-size', 256, 2),
    validationFraction: num('validation-fraction', 0.2, (n) => n > 0 && n < 1, 'in (0, 1)'),
    minRows: int('min-rows', 200, 2),
    maxTrainRows: int('max-train-rows', 200_000, 2),
    fillLimit: int('fill-limit', 3, 0),
    promote: v.promote ?? false,
    gate: GATE_DEFAULTS,
  };
  let source: SourceSpec | undefined;
  if (v.prometheus !== undefined && v.csv !== undefined) problems.push('give either --prometheus or --csv, not both');
  else if (v.prometheus !== undefined) {
    if (v['no-header'] || v['csv-step'] !== undefined) problems.push('--no-header and --csv-step apply to --csv only');
    if (!/^https?:\/\/[^\s/]+/.test(v.prometheus)) problems.push(`--prometheus must be an http(s) URL such as http://prometheus:9090, but was ${v.prometheus}`);
    const stepMs = duration('step', '15s', 1);
    const rateWindow = v['rate-window'] ?? '1m';
    if (!/^\d+(ms|s|m|h)$/.test(rateWindow)) problems.push(`--rate-window must be a Prometheus duration such as 30s or 1m, but was ${rateWindow}`);
    const pointsPerQuery = int('points-per-query', MAX_POINTS_PER_QUERY, 2);
    if (pointsPerQuery > MAX_POINTS_PER_QUERY) problems.push(`--points-per-query must be at most ${MAX_POINTS_PER_QUERY} (Prometheus refuses more), but was ${pointsPerQuery}`);
    const timeoutMs = duration('timeout', '60s', 1000);
    let range: { from: number; to: number } | { lookbackMs: number };
    if (mode === 'anomaly') {
      const from = v.from === undefined ? undefined : parseInstant(v.from, nowMs);
      const to = v.to === undefined ? nowMs / 1000 : parseInstant(v.to, nowMs);
      if (v.from === undefined) problems.push('--from is required with --prometheus (e.g. --from now-7d)');
      else if (from === undefined) problems.push(`--from must be ISO 8601, Unix seconds, now or now-DURATION, but was ${v.from}`);
      if (to === undefined) problems.push(`--to must be ISO 8601, Unix seconds, now or now-DURATION, but was ${v.to}`);
      if (from !== undefined && to !== undefined && !(to - from >= (2 * stepMs) / 1000)) problems.push(`--from must be at least two steps before --to, but the range was ${v.from} → ${v.to ?? 'now'}`);
      range = { from: from ?? 0, to: to ?? 0 };
    } else {
      range = { lookbackMs: duration('lookback', '7d', 2 * stepMs) };
    }
    source = { kind: 'prometheus', url: v.prometheus.replace(/\/+$/, ''), stepSeconds: stepMs / 1000, rateWindow, ...(v.selector ? { selector: v.selector } : {}), pointsPerQuery, timeoutMs, range };
  } else if (v.csv !== undefined) {
    for (const flag of ['from', 'to', 'lookback', 'step', 'rate-window', 'selector', 'points-per-query', 'timeout'] as const) {
      if (v[flag] !== undefined) problems.push(`--${flag} applies to --prometheus only`);
    }
    const stepMs = v['csv-step'] === undefined ? undefined : duration('csv-step', '', 1);
    // A headerless matrix's columns are column_1..: never contract columns, so its model could not be
    // published. The flag stays known so that this, not "unknown option", is what a user reads.
    if (v['no-header']) problems.push(`--no-header cannot train a model for the registry: a headerless CSV's columns are column_1, column_2, ..., and the registry takes only agent metric contract columns (${CONTRACT_COLUMNS.join(', ')}); give ${v.csv} a header naming them, or backtest the matrix with medic anomaly score --no-header`);
    if (!existsSync(v.csv)) problems.push(`--csv must name an existing file, but ${v.csv} does not exist`);
    source = { kind: 'csv', file: v.csv, header: !v['no-header'], ...(stepMs ? { stepSeconds: stepMs / 1000 } : {}) };
  } else {
    problems.push('say where the data comes from: --prometheus URL or --csv FILE');
  }
  let nightly: ParsedTrain['nightly'];
  if (mode === 'nightly') {
    if (!v.schedule) problems.push('--schedule is required, e.g. --schedule "0 3 * * *" (03:00 every day)');
    else {
      const check = validateDetailed(v.schedule);
      if (!check.valid) problems.push(`--schedule ${JSON.stringify(v.schedule)} is not a cron expression: ${check.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    }
    if (v.timezone !== undefined && !validTimeZone(v.timezone)) problems.push(`--timezone must be an IANA time zone such as Europe/Berlin, but was ${v.timezone}`);
    const kinds = (v.kinds ?? (v.csv !== undefined ? 'anomaly' : MODEL_KINDS.join(','))).split(',').map((k) => k.trim());
    const unknown = kinds.filter((k) => !(MODEL_KINDS as readonly string[]).includes(k));
    if (unknown.length || !kinds.length) problems.push(`--kinds must be a comma-separated list of ${MODEL_KINDS.join(', ')}, but was ${v.kinds}`);
    if (kinds.includes('failure') && v.csv !== undefined) problems.push('--kinds failure needs --prometheus: the failure model learns when agents failed, which a --csv export of the anomaly columns does not say (train it with medic train failure --csv)');
    if (v.medic !== undefined && !/^https?:\/\/[^\s/]+/.test(v.medic)) problems.push(`--medic must be an http(s) URL such as http://medic:8080, but was ${v.medic}`);
    if (v.medic !== undefined && !kinds.includes('failure')) problems.push('--medic labels the failure model\'s training: add failure to --kinds');
    const nice = v.nice === undefined ? TRAINING_NICE : Number(v.nice);
    if (!(Number.isInteger(nice) && nice >= 0 && nice <= 19)) problems.push(`--nice must be an integer in [0, 19], but was ${v.nice}`);
    const children = nightlyChildren(v, [...new Set(kinds)] as ModelKind[], v.lookback ?? '7d');
    nightly = { schedule: v.schedule ?? '', ...(v.timezone ? { timezone: v.timezone } : {}), runNow: v['run-now'] ?? false, nice, children };
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return { source: source!, train, ...(nightly ? { nightly } : {}) };
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
