// Alertmanager's webhook payload, version 4, as 0.25 and newer send it. Unknown keys are tolerated
// (newer versions add notification_reason, routeLabels, …); the fields Medic relies on are checked.
import { z } from 'zod';
import { formatPath, ruleOf } from '../../lib/schema-messages.ts';
import { parseCommonPayload } from './payload-fast-path.ts';

// RFC 3339 as Go's time.Time marshals it: up to nanoseconds, "Z" or an offset.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const Timestamp = z
  .string()
  .regex(RFC3339, { message: 'must be an RFC 3339 timestamp such as 2026-11-28T22:36:22.677Z', abort: true })
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a real date');

const LabelSet = z.record(z.string(), z.string());

const AlertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: LabelSet,
  annotations: LabelSet.default({}),
  startsAt: Timestamp,
  endsAt: Timestamp.optional(),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1).max(128),
});

export const AlertmanagerPayloadSchema = z.looseObject({
  version: z.literal('4'),
  receiver: z.string(),
  status: z.enum(['firing', 'resolved']),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().min(0).default(0),
  groupLabels: LabelSet.default({}),
  commonLabels: LabelSet.default({}),
  commonAnnotations: LabelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(AlertSchema).min(1, 'must hold at least one alert'),
});

export type AlertmanagerPayload = z.output<typeof AlertmanagerPayloadSchema>;
export type AlertmanagerAlert = AlertmanagerPayload['alerts'][number];

export interface PayloadProblem {
  /** Where in the body, as `alerts[0].startsAt`. */
  path: string;
  message: string;
}

export type PayloadParse = { ok: true; payload: AlertmanagerPayload } | { ok: false; problems: PayloadProblem[] };

/** Validates a parsed JSON body; on failure names every offending field path. */
export function parseAlertmanagerPayload(body: unknown): PayloadParse {
  // Well-formed deliveries, the common case, are checked by hand at a fraction of the cost.
  const common = parseCommonPayload(body);
  if (common) return { ok: true, payload: common };
  const result = AlertmanagerPayloadSchema.safeParse(body);
  if (result.success) return { ok: true, payload: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      path: formatPath(issue.path) || '(body)',
      message: ruleOf(issue),
    })),
  };
}
