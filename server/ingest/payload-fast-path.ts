// The common case of a webhook payload, checked by hand: a well-formed delivery from Alertmanager.
// zod spent about 33 us on a delivery of ten alerts, twice JSON.parse's time and a sixth of what a bare
// Express endpoint spends on a whole request (measured in bench:webhook's deliveries). This check is
// conservative: it returns a payload only when every field is one the schema accepts as it is, and
// then the same payload the schema would give; anything else (a field to name in an error, a key that
// needs the schema's care) returns undefined and goes to the schema, which stays the one definition
// (alertmanager-payload.ts; test/unit/payload-fast-path.test.ts holds the two to the same answers).
import type { AlertmanagerPayload } from './alertmanager-payload.ts';

// The same rule as the schema's Timestamp: RFC 3339 as Go marshals it, and a real date.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

type Obj = Record<string, unknown>;

/**
 * A plain object as JSON.parse makes it (not an array, no other prototype), without an own `__proto__`
 * key: what the schema's copy makes of that one is the schema's business.
 */
function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype && !Object.hasOwn(v, '__proto__');
}

function isStatus(v: unknown): boolean {
  return v === 'firing' || v === 'resolved';
}

function isTimestamp(v: unknown): boolean {
  return typeof v === 'string' && RFC3339.test(v) && !Number.isNaN(Date.parse(v));
}

/** String to string, and no key that the schema's copy would treat differently from an own property. */
function isLabelSet(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const key in v) {
    if (typeof v[key] !== 'string') return false;
  }
  return true;
}

/** An optional label set: absent becomes {}, as the schema's default. */
function labelSetOrDefault(o: Obj, key: string): boolean {
  if (o[key] === undefined) {
    if (key in o) return false;
    o[key] = {};
    return true;
  }
  return isLabelSet(o[key]);
}

function isAlert(a: unknown): boolean {
  if (!isPlainObject(a)) return false;
  if (!isStatus(a.status) || !isLabelSet(a.labels) || !isTimestamp(a.startsAt)) return false;
  if (!labelSetOrDefault(a, 'annotations')) return false;
  if (a.endsAt !== undefined && !isTimestamp(a.endsAt)) return false;
  if ('endsAt' in a && a.endsAt === undefined) return false;
  if (a.generatorURL === undefined) {
    if ('generatorURL' in a) return false;
    a.generatorURL = '';
  } else if (typeof a.generatorURL !== 'string') return false;
  const fp = a.fingerprint;
  return typeof fp === 'string' && fp.length >= 1 && fp.length <= 128;
}

/**
 * The payload when the body is a well-formed version 4 delivery, with the schema's defaults filled in
 * (on the body itself: it was parsed for this request alone); undefined means "ask the schema".
 */
export function parseCommonPayload(body: unknown): AlertmanagerPayload | undefined {
  if (!isPlainObject(body)) return undefined;
  if (body.version !== '4' || typeof body.receiver !== 'string' || !isStatus(body.status) || typeof body.groupKey !== 'string') return undefined;
  const alerts = body.alerts;
  if (!Array.isArray(alerts) || alerts.length === 0) return undefined;
  if (body.truncatedAlerts !== undefined && !Number.isSafeInteger(body.truncatedAlerts)) return undefined;
  if ((body.truncatedAlerts as number) < 0) return undefined;
  if (body.externalURL !== undefined && typeof body.externalURL !== 'string') return undefined;
  // An explicit undefined cannot come from JSON; leave whatever it means to the schema.
  if (('truncatedAlerts' in body && body.truncatedAlerts === undefined) || ('externalURL' in body && body.externalURL === undefined)) return undefined;
  for (const a of alerts) if (!isAlert(a)) return undefined;
  // Checked before any default is written on the body's top level; the alerts' defaults are harmless
  // to the schema if it runs after all (they are values it would have filled in).
  if (!labelSetOrDefault(body, 'groupLabels') || !labelSetOrDefault(body, 'commonLabels') || !labelSetOrDefault(body, 'commonAnnotations')) return undefined;
  body.truncatedAlerts ??= 0;
  body.externalURL ??= '';
  return body as unknown as AlertmanagerPayload;
}
