// Live predictions matched with what happened afterwards (pure; time is passed in): the design's
// "prediction accuracy" healing metric. Counted as the offline evaluation counts them
// (training/evaluation/event-prediction.ts): an alarm episode (consecutive alarming readings of an agent)
// is true when a failure starts within the horizon after the episode starts, or when Medic remediated
// the agent within that horizon (a failure prevented is still one it foresaw: counting it false is how
// retraining on production data loses accuracy, arXiv 2402.00034); a failure is predicted when an
// episode started within the horizon before it. Each reading's probability is scored against whether a
// failure started within the horizon after it (Brier score).

export interface OutcomeTotals {
  episodes: { true: number; false: number };
  failures: { predicted: number; missed: number };
  /** Seconds from the predicting episode's start to the failure, one per predicted failure. */
  leadSeconds: number[];
  brier: { sum: number; count: number };
}

interface AgentState {
  failing: boolean;
  /** Episodes not judged yet: their start times. */
  episodes: number[];
  alarming: boolean;
  /** Readings not yet resolved: [time, probability]. */
  readings: [number, number][];
  /** Episode starts seen within the last horizon (for failures that start later). */
  recentStarts: number[];
  remediatedAt: number[];
}

export class PredictionOutcomes {
  private readonly agents = new Map<string, AgentState>();
  readonly totals: OutcomeTotals = { episodes: { true: 0, false: 0 }, failures: { predicted: 0, missed: 0 }, leadSeconds: [], brier: { sum: 0, count: 0 } };

  constructor(private readonly horizonMs: number) {
    if (!(horizonMs > 0)) throw new Error(`prediction outcomes: the horizon must be positive, but was ${horizonMs} ms`);
  }

  /** One reading of an agent: its probability, whether it alarms, and whether the agent is failing now. */
  observe(agent: string, atMs: number, probability: number, alarm: boolean, failing: boolean): void {
    const s = this.state(agent);
    if (failing && !s.failing) this.failureStarted(s, atMs);
    s.failing = failing;
    // Readings during a failure predict nothing (the offline count leaves them out too).
    if (!failing) {
      s.readings.push([atMs, probability]);
      if (alarm && !s.alarming) {
        s.episodes.push(atMs);
        s.recentStarts.push(atMs);
      }
      s.alarming = alarm;
    } else s.alarming = false;
    this.settle(s, atMs);
  }

  /** The agent was down (no reading this round): failing, with nothing to score. A failure starts only for an agent seen before. */
  down(agent: string, atMs: number): void {
    // An agent first seen down (down before Medic started, or gone) is no failure seen to start.
    const known = this.agents.has(agent);
    const s = this.state(agent);
    if (!s.failing && known) this.failureStarted(s, atMs);
    s.failing = true;
    s.alarming = false;
    this.settle(s, atMs);
  }

  /** Medic remediated the agent: episodes started within the horizon before count as true. */
  remediated(agent: string, atMs: number): void {
    this.state(agent).remediatedAt.push(atMs);
  }

  precision(): number | undefined {
    const n = this.totals.episodes.true + this.totals.episodes.false;
    return n ? this.totals.episodes.true / n : undefined;
  }

  recall(): number | undefined {
    const n = this.totals.failures.predicted + this.totals.failures.missed;
    return n ? this.totals.failures.predicted / n : undefined;
  }

  brierScore(): number | undefined {
    return this.totals.brier.count ? this.totals.brier.sum / this.totals.brier.count : undefined;
  }

  private state(agent: string): AgentState {
    let s = this.agents.get(agent);
    if (!s) this.agents.set(agent, (s = { failing: false, episodes: [], alarming: false, readings: [], recentStarts: [], remediatedAt: [] }));
    return s;
  }

  private failureStarted(s: AgentState, f: number): void {
    const starts = s.recentStarts.filter((e) => e >= f - this.horizonMs && e <= f);
    if (starts.length) {
      this.totals.failures.predicted++;
      this.totals.leadSeconds.push((f - Math.min(...starts)) / 1000);
      // The last 1,000 are plenty for a median; a long-running server must not grow without bound.
      if (this.totals.leadSeconds.length > 1000) this.totals.leadSeconds.shift();
    } else this.totals.failures.missed++;
    // Open episodes that started within the horizon are true; readings within it were right to worry.
    s.episodes = s.episodes.filter((e) => {
      if (e >= f - this.horizonMs) this.totals.episodes.true++;
      return e < f - this.horizonMs;
    });
    s.readings = s.readings.filter(([t, p]) => {
      if (t >= f - this.horizonMs) this.brier(p, 1);
      return t < f - this.horizonMs;
    });
  }

  // Whatever is older than the horizon has its answer: no failure followed in time.
  private settle(s: AgentState, now: number): void {
    const cutoff = now - this.horizonMs;
    s.episodes = s.episodes.filter((e) => {
      if (e >= cutoff) return true;
      if (s.remediatedAt.some((r) => r >= e && r <= e + this.horizonMs)) this.totals.episodes.true++;
      else this.totals.episodes.false++;
      return false;
    });
    s.readings = s.readings.filter(([t, p]) => {
      if (t >= cutoff) return true;
      this.brier(p, s.remediatedAt.some((r) => r >= t && r <= t + this.horizonMs) ? 1 : 0);
      return false;
    });
    s.recentStarts = s.recentStarts.filter((e) => e >= cutoff);
    s.remediatedAt = s.remediatedAt.filter((r) => r >= cutoff - this.horizonMs);
  }

  private brier(p: number, label: number): void {
    this.totals.brier.sum += (p - label) ** 2;
    this.totals.brier.count++;
  }
}
