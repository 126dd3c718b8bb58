// The anomaly models in service, one per agent type, and their hot reload: the registry's PROMOTED
// pointers are checked every reload_interval; a newly promoted version that loads replaces the old one
// without a restart, and one that does not load is refused while the previous version keeps serving.
// Models load through the detector kind registry (models/registry.ts → models/detectors/index.ts), and
// loadVersion refuses a model reading a column outside the agent metric contract: serving it would make
// every prediction round fail on a column Prometheus has no query for, so it is refused here, once.
import type { Logger } from '../../lib/logger.ts';
import type { MedicMetrics } from '../observability/metrics.ts';
import { FALLBACK_TYPE, loadVersion, promotedFingerprint, promotedVersion, readCard, type ModelFamily, type PublishedModel } from '../../models/registry.ts';

export interface ModelInService {
  agentType: string;
  version: string;
  /** The detector kind (models/detectors/index.ts). */
  kind: string;
  threshold: number;
  window: number;
  columns: string[];
  sampling?: { stepSeconds: number; rateWindow: string };
}

export class ModelService {
  private models = new Map<string, PublishedModel>();
  private fingerprint = '';
  private timer: NodeJS.Timeout | undefined;
  private exported: { info: Record<string, string>[]; evaluation: Record<string, string>[] } = { info: [], evaluation: [] };

  constructor(
    readonly registry: string,
    private readonly log: Logger,
    private readonly metrics?: MedicMetrics,
    /** Anomaly models (per agent type), or failure models (usually one, 'default', for the fleet). */
    readonly family: ModelFamily = 'anomaly',
  ) {}

  /** The model for an agent type: its own, else the fallback ('default'), else none. */
  modelFor(agentType: string): PublishedModel | undefined {
    return this.models.get(agentType) ?? this.models.get(FALLBACK_TYPE);
  }

  inService(): ModelInService[] {
    return [...this.models.values()].map(({ agentType, version, model: d }) => ({
      agentType, version, kind: d.kind, threshold: d.threshold, window: d.window, columns: [...d.columns], ...(d.sampling ? { sampling: d.sampling } : {}),
    }));
  }

  /**
   * Loads what is promoted when it changed since the last look. Returns the messages of versions refused.
   * Synchronous reads: artifacts are a few MB at most, and this runs only when a pointer moved.
   */
  reload(): string[] {
    let fingerprint: string;
    try {
      fingerprint = promotedFingerprint(this.registry, this.family);
    } catch (err) {
      this.log.error({ registry: this.registry, err: (err as Error).message }, 'cannot read the model registry; the models in service stay');
      return [(err as Error).message];
    }
    if (fingerprint === this.fingerprint) return [];
    // Only the types whose pointer or promoted file moved are read again: one promotion costs one
    // artifact's parse, and a version refused before is not reported again until it changes.
    const was = byType(this.fingerprint);
    const now = byType(fingerprint);
    const next = new Map(this.models);
    const errors: string[] = [];
    for (const [agentType, part] of now) {
      if (was.get(agentType) === part) continue;
      const before = this.models.get(agentType);
      const version = promotedVersion(this.registry, agentType, this.family);
      if (!version) {
        if (next.delete(agentType)) this.log.warn({ agentType }, 'model withdrawn: no promoted version any more');
        continue;
      }
      try {
        const m = loadVersion(this.registry, agentType, version, this.family);
        next.set(agentType, m);
        this.metrics?.modelReloads.inc({ result: 'loaded' });
        this.log.info({ family: this.family, agentType, version: m.version, previous: before?.version ?? null }, before ? 'model hot-reloaded: a new version is in service' : 'model in service');
      } catch (err) {
        const message = `agent type ${agentType}, promoted ${version}: ${(err as Error).message}`;
        errors.push(message);
        this.metrics?.modelReloads.inc({ result: 'refused' });
        // Reported once: the fingerprint now includes this version, so it is not read again until it changes.
        this.log.error({ err: message }, 'promoted model refused: it does not load; the previous version stays in service');
      }
    }
    for (const agentType of was.keys()) {
      if (!now.has(agentType) && next.delete(agentType)) this.log.warn({ agentType }, 'model withdrawn: its folder is gone');
    }
    this.models = next;
    this.fingerprint = fingerprint;
    this.exportInfo();
    return errors;
  }

  start(intervalMs: number): void {
    this.reload();
    if (this.models.size === 0 && this.family === 'anomaly') this.log.warn({ registry: this.registry }, 'no anomaly model in service (none promoted, or each promoted one refused): incidents are decided on their alerts alone');
    if (this.models.size === 0 && this.family === 'failure') this.log.info({ registry: this.registry }, 'no failure model in service (none promoted): no failure predictions');
    this.timer = setInterval(() => this.reload(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private exportInfo(): void {
    const m = this.metrics;
    if (!m) return;
    // The anomaly and failure services share the gauges: each removes only the series it exported.
    for (const labels of this.exported.info) m.modelInfo.remove(labels);
    for (const labels of this.exported.evaluation) m.modelEvaluation.remove(labels);
    this.exported = { info: [], evaluation: [] };
    const threshold = this.family === 'failure' ? m.failureThreshold : m.anomalyThreshold;
    threshold.reset();
    for (const served of this.models.values()) {
      const info = { family: this.family, agent_type: served.agentType, version: served.version };
      m.modelInfo.set(info, 1);
      this.exported.info.push(info);
      threshold.set({ agent_type: served.agentType }, served.model.threshold);
      for (const [figure, value] of Object.entries(cardFigures(served.dir))) {
        const labels = { family: this.family, agent_type: served.agentType, figure };
        m.modelEvaluation.set(labels, value);
        this.exported.evaluation.push(labels);
      }
    }
  }
}

/** The numeric figures of a model's card (names from the training code, never from alerts); none when it has no card. */
function cardFigures(dir: string): Record<string, number> {
  let card;
  try {
    card = readCard(dir);
  } catch {
    return {};
  }
  const figures = (card as { metrics?: Record<string, unknown> } | undefined)?.metrics ?? {};
  return Object.fromEntries(Object.entries(figures).filter((e): e is [string, number] => /^[a-z][a-z0-9_]{0,63}$/.test(e[0]) && typeof e[1] === 'number' && Number.isFinite(e[1])));
}

function byType(fingerprint: string): Map<string, string> {
  return new Map(fingerprint.split('|').filter(Boolean).map((part) => [part.slice(0, part.indexOf(':')), part]));
}
