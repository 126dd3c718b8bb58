// The deliveries bench:webhook sends: the recorded Alertmanager 0.25 fixture, varied in size and in its
// alerts' keys, with repeats, so that each target sees the mix a real receiver does.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../', import.meta.url));
const fixture = (await import(join(repo, 'test/fixtures/alertmanager-0.25/firing-agent-down.json'), { with: { type: 'json' } })).default as {
  body: { alerts: Record<string, unknown>[] } & Record<string, unknown>;
};

/** Deliveries of 1 to 20 alerts, a fifth of them repeats of an earlier one (as repeat_interval sends). */
export function deliveries(count: number, salt: string): string[] {
  const out: string[] = [];
  let seq = 0;
  for (let i = 0; i < count; i++) {
    if (i > 10 && i % 5 === 0) {
      out.push(out[(i * 7919) % out.length]!);
      continue;
    }
    const n = 1 + ((i * 37) % 20);
    const agent = `bench-${salt}-${i % 131}`;
    const alerts = Array.from({ length: n }, () => {
      const fp = `${salt}${(seq++).toString(16).padStart(12, '0')}`;
      const base = fixture.body.alerts[0]!;
      return { ...base, fingerprint: fp, labels: { ...(base.labels as object), agent, alertname: `Bench${seq % 7}` } };
    });
    out.push(JSON.stringify({ ...fixture.body, alerts, groupKey: `{}:{agent="${agent}"}` }));
  }
  return out;
}
