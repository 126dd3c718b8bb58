// The Store port: what the rest of Medic may rely on about persistence, and what every adapter
// implements (today server/store/sqlite/, the embedded default). test/integration/store-contract.test.ts runs
// the same cases against each adapter. Adapters hold SQL only: what an alert means for incidents and
// work is decided by the inbox rules in server/ingest/inbox.ts, which they apply in their transaction.
import type { AnomalyAssessment, Approval, ApprovalState, Attempt, AttemptUpdate, BreakerRecord, ChangeRecord, ChangeState, NewAttempt } from '../../remediations/records.ts';
import type { ControlsStore } from './controls-store.ts';
import type { FleetActivityStore } from './fleet-activity.ts';
import type { GuardsStore } from './guards-store.ts';
import type { LeasesStore } from './leases-store.ts';
export type { AgentActivity } from './fleet-activity.ts';
export type { ActionsPause, ModeOverride, AnomalyAssessment, Approval, ApprovalState, Attempt, AttemptUpdate, BreakerRecord, BreakerState, ChangeRecord, ChangeState, NewAttempt } from '../../remediations/records.ts';

export type AlertStatus = 'firing' | 'resolved';
export type WorkState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

/** One alert of a notification, normalised by the inbox. */
export interface ReceivedAlert {
  fingerprint: string;
  /** Exactly as Alertmanager sent it: with fingerprint, the incident's key. */
  startsAt: string;
  status: AlertStatus;
  /** Null when Alertmanager sent its zero time (the alert has not ended). */
  endsAt: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
  alertname: string;
  agent: string | null;
  /** Work for one target runs one at a time: the `agent` label, else `fingerprint:<fp>`. */
  target: string;
  severity: string;
  /** Lower runs first: critical 0, warning 1, info 2, anything else 3. */
  priority: number;
}

export interface Notification {
  receivedAt: number;
  receiver: string;
  status: AlertStatus;
  groupKey: string;
  externalURL: string;
  truncatedAlerts: number;
  requestId: string | null;
  alerts: ReceivedAlert[];
}

export interface Incident {
  id: number;
  fingerprint: string;
  startsAt: string;
  alertname: string;
  agent: string | null;
  target: string;
  severity: string;
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
  firstSeenAt: number;
  lastSeenAt: number;
  /** The alert's endsAt as Alertmanager reported it on resolve. */
  endsAt: string | null;
  /** When Medic recorded the resolve. */
  resolvedAt: number | null;
  deliveries: number;
  duplicates: number;
  /** The anomaly model's reading of the agent when Medic first handled the incident; null if not scored. */
  anomaly: AnomalyAssessment | null;
}

export interface RecordResult {
  notificationId: number;
  created: Incident[];
  resolved: Incident[];
  duplicates: number;
  cancelledWork: number;
}

/** A delivery received and not yet recorded, or recorded: where it is, for GET /api/notifications/:id. */
export interface NotificationDetail {
  id: number;
  receivedAt: number;
  receiver: string;
  status: AlertStatus;
  groupKey: string;
  alertCount: number;
  requestId: string | null;
  /** received: committed, alerts not yet recorded; recorded; unrecordable: kept with the error below. */
  state: 'received' | 'recorded' | 'unrecordable';
  recordedAt: number | null;
  /** Incident ids, when recorded (null for deliveries recorded before Medic kept these). */
  created: number[] | null;
  resolved: number[] | null;
  duplicates: number | null;
  error: string | null;
}

/** What recording one received delivery came to: its result, or the error that made it unrecordable. */
export type RecordedReceipt =
  | { notificationId: number; requestId: string | null; result: RecordResult }
  | { notificationId: number; requestId: string | null; error: string };

export interface WorkItem {
  id: number;
  incidentId: number;
  target: string;
  priority: number;
  state: WorkState;
  attempts: number;
  notBefore: number;
  claimedBy: string | null;
  claimedAt: number | null;
  createdAt: number;
  updatedAt: number;
  lastError: string | null;
  /** The fencing token of the latest claim: every claim of the item gets a larger one. */
  fence: number;
  /** Until when the latest claim holds unless renewed; null for work never claimed with a lease. */
  leaseUntil: number | null;
}

export interface ClaimedWork {
  item: WorkItem;
  incident: Incident;
}

export interface IncidentAlertEvent {
  id: number;
  notificationId: number;
  status: AlertStatus;
  receivedAt: number;
  endsAt: string | null;
  annotations: Record<string, string>;
}

export interface IncidentDetail {
  incident: Incident;
  alerts: IncidentAlertEvent[];
  work: WorkItem[];
  attempts: Attempt[];
}

export type { AttemptFilter, IncidentFilter, Page, PageRequest } from './read-filters.ts';
import type { AttemptFilter, IncidentFilter, Page, PageRequest } from './read-filters.ts';

export interface StoreStats {
  pendingWork: number;
  runningWork: number;
  openIncidents: number;
  /** Alerts in deliveries received and not yet recorded. */
  receivedAlerts: number;
  /** Automatic actions are paused (the kill switch). */
  actionsPaused: boolean;
}

/** One state-changing request on the operator API, as the audit keeps it: who, what, and the answer. */
export interface AuditEntry {
  id: number;
  at: number;
  who: string;
  role: string;
  /** The kind of credential: api-token, webhook-credential (no api tokens set) or open (no credentials). */
  via: string;
  method: string;
  path: string;
  status: number;
  requestId: string;
  client: string | null;
}

/** An escalation alert waiting to reach Alertmanager, kept until it does. */
export interface PendingEscalation {
  id: number;
  incidentId: number;
  reason: string;
  /** The alert as Alertmanager's v2 API takes it, built once when the escalation was decided. */
  payload: unknown;
  createdAt: number;
  tries: number;
}

export type WorkOutcome =
  | { state: 'done'; attempt?: NewAttempt }
  | { state: 'failed'; error: string; attempt?: NewAttempt }
  | { state: 'retry'; error: string; notBefore: number }
  /** Come back later without counting an attempt: a breaker waiting, an approval pending, a guard full. */
  | { state: 'defer'; notBefore: number; note: string; attempt?: NewAttempt };

export interface Store extends ControlsStore, FleetActivityStore, LeasesStore, GuardsStore {
  /**
   * Records every alert of a notification in one transaction, or none of them, by the inbox rules
   * (server/ingest/inbox.ts): a new alert (fingerprint and startsAt) opens an incident and, if firing,
   * queues work; the first resolve of a firing incident closes it and cancels its work that has not
   * started; any other delivery of a known alert only counts as a duplicate. Resolves once committed;
   * rejects with StoreUnavailableError when the store cannot commit: the caller answers 503 so
   * Alertmanager retries.
   */
  recordNotification(n: Notification): Promise<RecordResult>;
  /**
   * The webhook's first step: the delivery committed as received, durably (resolves after the fsync
   * under synchronous full), its alerts recorded later by recordReceived. Same rejections as above.
   */
  receiveNotification(n: Notification): Promise<{ notificationId: number }>;
  /**
   * The second step: records the oldest received deliveries (at most `limit`), in the order received,
   * each exactly once: its alerts and its mark as recorded commit together. One whose alerts cannot be
   * recorded for a reason other than the store (a rule of the schema) is marked unrecordable with the
   * error, kept, and does not hold up the ones after it.
   */
  recordReceived(limit: number, now: number): Promise<RecordedReceipt[]>;
  /** One delivery and what became of it. */
  getNotification(id: number): Promise<NotificationDetail | undefined>;
  /**
   * Claims work for `leaseMs` (DEFAULT_LEASE_MS when not given): first running work whose claim's lease
   * has expired (its owner died or stalled: taken over, the attempt counted, the fence moved on), else
   * the most urgent pending work whose target has nothing running. Undefined when none is due.
   */
  claimNext(worker: string, now: number, leaseMs?: number): Promise<ClaimedWork | undefined>;
  /** Extends a claim's lease; false when the claim is no longer this fence's (taken over, or ended). */
  renewLease(itemId: number, fence: number, now: number, leaseMs: number): Promise<boolean>;
  /**
   * Ends a claimed item; the attempt, if any, is recorded in the same transaction. With a fence, only
   * while that claim still holds the item: false (and nothing written) when another claim took it over,
   * so a late owner never overwrites the newer one's result.
   */
  finishWork(itemId: number, outcome: WorkOutcome, now: number, fence?: number): Promise<boolean>;
  /** Returns a claimed item to pending (graceful shutdown); it runs again later. With a fence, only its own claim. */
  releaseWork(itemId: number, now: number, fence?: number): Promise<void>;
  /**
   * At start-up of the only process on the store (SQLite's database lock): work left running by a process
   * that died goes back to pending. Returns how many. Several replicas never call this: an expired lease
   * hands the work over (claimNext).
   */
  recoverInterrupted(now: number): Promise<number>;
  recordAttempt(a: NewAttempt): Promise<Attempt>;
  updateAttempt(id: number, update: AttemptUpdate): Promise<Attempt>;
  /** Targets (with their agent type) that automatic remediations acted on since a time (failure labels). */
  actedTargetsSince(since: number): Promise<{ target: string; agentType: string | null }[]>;
  /** Targets being disrupted now: an automatic action started since `since`, still in progress (acting or
   * verifying), that takes capacity away (not one restoring an agent already down). The blast radius. */
  disruptingTargets(since: number): Promise<{ target: string; agentType: string | null }[]>;
  /** Agents with a firing incident first seen since a time, with its alert name: storm detection. */
  failingTargetsSince(since: number): Promise<{ target: string; alertname: string }[]>;
  getBreaker(target: string): Promise<BreakerRecord | undefined>;
  saveBreaker(b: BreakerRecord): Promise<void>;
  /** Stores the anomaly model's reading with the incident (the last one written wins). */
  saveAnomaly(incidentId: number, a: AnomalyAssessment): Promise<void>;
  listBreakers(): Promise<BreakerRecord[]>;
  recordChange(c: Omit<ChangeRecord, 'id' | 'state' | 'settledAt' | 'note'>): Promise<ChangeRecord>;
  /** Active changes whose expiry has passed. */
  dueChanges(now: number): Promise<ChangeRecord[]>;
  /** Moves an active change to a final state; false when it was no longer active. */
  settleChange(id: number, state: Exclude<ChangeState, 'active'>, now: number, note: string | null): Promise<boolean>;
  listChanges(state?: ChangeState): Promise<ChangeRecord[]>;
  /** Makes an active change due now (an operator reverts it before its expiry); false when it was not active. */
  expireChange(id: number, now: number): Promise<boolean>;
  createApproval(a: Omit<Approval, 'id' | 'state' | 'decidedBy' | 'decidedAt' | 'note'>): Promise<Approval>;
  /** The newest approval request for an incident and strategy. */
  latestApproval(incidentId: number, strategy: string): Promise<Approval | undefined>;
  /** Decides (or expires, or uses) an approval; false when it was not in the expected state. */
  settleApproval(id: number, from: ApprovalState, to: ApprovalState, by: string | null, now: number, note: string | null): Promise<boolean>;
  listApprovals(state?: ApprovalState): Promise<Approval[]>;
  /** Attempts on a target since a time, oldest first. */
  history(target: string, since: number): Promise<Attempt[]>;
  listIncidents(filter: IncidentFilter, page: PageRequest): Promise<Page<Incident>>;
  getIncident(id: number): Promise<IncidentDetail | undefined>;
  listAttempts(filter: AttemptFilter, page: PageRequest): Promise<Page<Attempt>>;
  stats(): Promise<StoreStats>;
  /** The operator API's audit trail: appended durably, read newest first. */
  recordAudit(e: Omit<AuditEntry, 'id'>): Promise<void>;
  listAudit(page: PageRequest): Promise<Page<AuditEntry>>;
  /** The escalation outbox: an escalation is kept (durably) until Alertmanager has taken it. */
  enqueueEscalation(e: { incidentId: number; reason: string; payload: unknown; now: number }): Promise<number>;
  /** Escalations due to be sent (or sent again), oldest first. */
  dueEscalations(now: number, limit: number): Promise<PendingEscalation[]>;
  /** Alertmanager took it: sent. Or it did not: try again at `retryAt`, with the error kept. */
  settleEscalation(id: number, result: { sentAt: number } | { retryAt: number; error: string; now: number }): Promise<void>;
  /** How many escalations have not reached Alertmanager yet. */
  unsentEscalations(): Promise<number>;
  /** Resolves when the store can commit a write now; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** How long a claim holds without renewal: a replica that dies mid-incident has its work taken over after this. */
export const DEFAULT_LEASE_MS = 10_000;

/** The store cannot take writes now (locked, read-only, disk full, I/O error); callers may retry. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
