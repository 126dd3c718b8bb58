// Row mappers: how a stored row (SQLite or PostgreSQL) becomes the Store's types. Each type is declared
// once as a list of "field ← column, read as" and one `mapper` turns any such list into a function; the null handling
// and JSON decoding live in the column readers below, not in every mapper.
import type {
  AlertStatus,
  AnomalyAssessment,
  Approval,
  Attempt,
  AuditEntry,
  NotificationDetail,
  PendingEscalation,
  BreakerRecord,
  ChangeRecord,
  Incident,
  IncidentAlertEvent,
  WorkItem,
} from './store.ts';
import type { GuardBucket, Reservation } from './guards-store.ts';

export type Row = Record<string, unknown>;

/**
 * Reads one column into one field. Invariant in T (`in out`), so a nullable field cannot be declared
 * with a non-null reader: `String(null)` would quietly become the text "null".
 */
interface Column<in out T> {
  readonly name: string;
  read(value: unknown): T;
}

const column = <T>(read: (value: unknown) => T) => (name: string): Column<T> => ({ name, read });
// SQL NULL, or a column an older schema did not have: both read as null.
const orNull = <T>(read: (value: unknown) => T) => (value: unknown): T | null => (value === null || value === undefined ? null : read(value));
// Both adapters keep JSON as text, so that it reads back exactly as written; PostgreSQL's BIGINT arrives
// as a string, which Number() reads.
const parse = <T>(value: unknown): T => JSON.parse(String(value)) as T;

const int = column(Number);
const intOrNull = column(orNull(Number));
const text = column(String);
// SQLite keeps booleans as 0/1, PostgreSQL as true/false.
const bool = column((value) => value === true || value === 1 || value === '1' || value === 't');
const real = column(Number);
const textOrNull = column(orNull(String));
/** JSON the store wrote itself (JSON.stringify of the same type), so it is not validated again. */
const json = <T>(name: string): Column<T> => ({ name, read: parse<T> });
const jsonOrNull = <T>(name: string): Column<T | null> => ({ name, read: orNull(parse<T>) });
/** A text column whose values a CHECK constraint (or the only writer) restricts to T. */
const oneOf = <T extends string>(name: string): Column<T> => ({ name, read: (value) => String(value) as T });

type Columns<T> = { [K in keyof T]-?: Column<T[K]> };

/** Builds the row → T function from its column list; fields come out in the list's order. */
function mapper<T>(columns: Columns<T>): (row: Row) => T {
  const fields = Object.entries(columns as Record<string, Column<unknown>>);
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const [field, c] of fields) out[field] = c.read(row[c.name]);
    return out as T;
  };
}

export const toIncident = mapper<Incident>({
  id: int('id'),
  fingerprint: text('fingerprint'),
  startsAt: text('starts_at'),
  alertname: text('alertname'),
  agent: textOrNull('agent'),
  target: text('target'),
  severity: text('severity'),
  status: oneOf<AlertStatus>('status'),
  labels: json<Record<string, string>>('labels'),
  annotations: json<Record<string, string>>('annotations'),
  generatorURL: text('generator_url'),
  firstSeenAt: int('first_seen_at'),
  lastSeenAt: int('last_seen_at'),
  endsAt: textOrNull('ends_at'),
  resolvedAt: intOrNull('resolved_at'),
  deliveries: int('deliveries'),
  duplicates: int('duplicates'),
  anomaly: jsonOrNull<AnomalyAssessment>('anomaly'),
});

export const toWorkItem = mapper<WorkItem>({
  id: int('id'),
  incidentId: int('incident_id'),
  target: text('target'),
  priority: int('priority'),
  state: oneOf<WorkItem['state']>('state'),
  attempts: int('attempts'),
  notBefore: int('not_before'),
  claimedBy: textOrNull('claimed_by'),
  claimedAt: intOrNull('claimed_at'),
  createdAt: int('created_at'),
  updatedAt: int('updated_at'),
  lastError: textOrNull('last_error'),
  fence: int('fence'),
  leaseUntil: intOrNull('lease_until'),
});

export const toAttempt = mapper<Attempt>({
  id: int('id'),
  incidentId: int('incident_id'),
  workItemId: intOrNull('work_item_id'),
  target: text('target'),
  strategy: text('strategy'),
  driver: text('driver'),
  mode: text('mode'),
  outcome: text('outcome'),
  reason: text('reason'),
  startedAt: int('started_at'),
  finishedAt: intOrNull('finished_at'),
  details: json<Record<string, unknown>>('details'),
  agentType: textOrNull('agent_type'),
  alertname: textOrNull('alertname'),
});

export const toBreaker = mapper<BreakerRecord>({
  target: text('target'),
  agentType: text('agent_type'),
  state: oneOf<BreakerRecord['state']>('state'),
  changedAt: int('changed_at'),
  nextCheckAt: intOrNull('next_check_at'),
  opens: int('opens'),
});

export const toChange = mapper<ChangeRecord>({
  id: int('id'),
  incidentId: int('incident_id'),
  attemptId: int('attempt_id'),
  target: text('target'),
  kind: text('kind'),
  before: json<Record<string, unknown>>('before'),
  after: json<Record<string, unknown>>('after'),
  appliedAt: int('applied_at'),
  expiresAt: int('expires_at'),
  state: oneOf<ChangeRecord['state']>('state'),
  settledAt: intOrNull('settled_at'),
  note: textOrNull('note'),
});

export const toApproval = mapper<Approval>({
  id: int('id'),
  incidentId: int('incident_id'),
  strategy: text('strategy'),
  plan: json<Record<string, unknown>>('plan'),
  requestedAt: int('requested_at'),
  expiresAt: int('expires_at'),
  state: oneOf<Approval['state']>('state'),
  decidedBy: textOrNull('decided_by'),
  decidedAt: intOrNull('decided_at'),
  note: textOrNull('note'),
});

export const toAlertEvent = mapper<IncidentAlertEvent>({
  id: int('id'),
  notificationId: int('notification_id'),
  status: oneOf<AlertStatus>('status'),
  receivedAt: int('received_at'),
  endsAt: textOrNull('ends_at'),
  annotations: json<Record<string, string>>('annotations'),
});

export const toAudit = mapper<AuditEntry>({
  id: int('id'),
  at: int('at'),
  who: text('who'),
  role: text('role'),
  via: text('via'),
  method: text('method'),
  path: text('path'),
  status: int('status'),
  requestId: text('request_id'),
  client: textOrNull('client'),
});

export const toPending = mapper<PendingEscalation>({
  id: int('id'),
  incidentId: int('incident_id'),
  reason: text('reason'),
  payload: json<unknown>('payload'),
  createdAt: int('created_at'),
  tries: int('tries'),
});

/** A delivery and what became of it; `waiting` (its alerts not yet recorded) arrives as 1/0 or true/false. */
export function toNotificationDetail(row: Row): NotificationDetail {
  const outcome = row.outcome === null ? null : (JSON.parse(String(row.outcome)) as { created: number[]; resolved: number[]; duplicates: number });
  return {
    id: Number(row.id),
    receivedAt: Number(row.received_at),
    receiver: String(row.receiver),
    status: String(row.status) as NotificationDetail['status'],
    groupKey: String(row.group_key),
    alertCount: Number(row.alert_count),
    requestId: row.request_id === null ? null : String(row.request_id),
    state: Number(row.waiting) ? 'received' : row.record_error !== null ? 'unrecordable' : 'recorded',
    recordedAt: row.recorded_at === null ? null : Number(row.recorded_at),
    created: outcome?.created ?? null,
    resolved: outcome?.resolved ?? null,
    duplicates: outcome?.duplicates ?? null,
    error: row.record_error === null ? null : String(row.record_error),
  };
}

export const toReservation = mapper<Reservation>({
  holder: text('holder'),
  workItemId: intOrNull('work_item_id'),
  target: text('target'),
  agentType: text('agent_type'),
  takesCapacity: bool('takes_capacity'),
  until: int('until'),
});

export const toGuardBucket = mapper<GuardBucket>({
  name: text('name'),
  tokens: real('tokens'),
  at: int('at'),
  since: int('since'),
});
