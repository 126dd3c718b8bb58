// Real Alertmanager 0.25 deliveries (copied from shared/fixtures; see their README).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface RecordedDelivery {
  headers: Record<string, string>;
  url: string;
  body: Record<string, unknown> & { alerts: Record<string, unknown>[] };
}

const dir = fileURLToPath(new URL('../fixtures/alertmanager-0.25/', import.meta.url));

export function loadDelivery(name: 'firing-agent-down' | 'firing-two-alerts-one-group' | 'resolved-agent-down'): RecordedDelivery {
  return JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as RecordedDelivery;
}

/** The recorded headers minus content-length, which fetch sets from the body it sends. */
export function replayHeaders(d: RecordedDelivery): Record<string, string> {
  const { ['content-length']: _ignored, ...rest } = d.headers;
  return rest;
}

/** A firing delivery of one alert with the given fingerprint and agent, shaped like the recorded one. */
export function firingDelivery(fingerprint: string, agent: string, severity = 'critical', startsAt = '2026-11-28T22:36:22.677664214Z') {
  const base = loadDelivery('firing-agent-down').body;
  const alert = structuredClone(base.alerts[0]!) as Record<string, unknown> & { labels: Record<string, string> };
  alert.fingerprint = fingerprint;
  alert.startsAt = startsAt;
  alert.labels = { ...alert.labels, agent, severity };
  return { ...structuredClone(base), alerts: [alert], groupKey: `{}:{agent="${agent}"}` };
}
