// A replay report as text for a terminal: the tallies side by side, then each incident whose outcome
// would differ. Pure.
import type { ReplayReport } from './policy-replay.ts';

export function replayText(r: ReplayReport, maxDifferences = 50): string {
  const lines: string[] = [];
  const pad = (s: string | number, n: number) => String(s).padEnd(n);
  const num = (s: number, n: number) => String(s).padStart(n);
  lines.push(`Replay of ${r.incidents} incidents first seen ${r.from} to ${r.to} (${(r.elapsedMs / 1000).toFixed(1)} s)`);
  lines.push('', 'Actions               tier                 strategy         recorded  candidate');
  for (const a of r.actions) lines.push(`                      ${pad(a.tier, 20)} ${pad(a.strategy, 15)} ${num(a.recorded, 9)} ${num(a.candidate, 10)}`);
  if (r.actions.length === 0) lines.push('                      none');
  lines.push('', 'Guard holds           guard                                 recorded  candidate');
  for (const g of r.guards) lines.push(`                      ${pad(g.guard, 36)} ${num(g.recorded, 9)} ${num(g.candidate, 10)}`);
  lines.push(`                      ${pad('cooldowns passed over', 36)} ${num(r.cooldowns.recorded, 9)} ${num(r.cooldowns.candidate, 10)}`);
  lines.push('', 'Escalations           reason                                recorded  candidate');
  for (const e of r.escalations) lines.push(`                      ${pad(e.reason, 36)} ${num(e.recorded, 9)} ${num(e.candidate, 10)}`);
  if (r.escalations.length === 0) lines.push('                      none');
  if (r.awaitingOperator > 0) lines.push('', `${r.awaitingOperator} incidents would wait for an operator (approve mode) the record has no answer from.`);
  lines.push('', r.differences.length === 0
    ? 'No incident would have a different outcome.'
    : `${r.differences.length} incidents would have a different outcome${r.differences.length > maxDifferences ? ` (the first ${maxDifferences}; --json lists all)` : ''}:`);
  for (const d of r.differences.slice(0, maxDifferences)) {
    lines.push(`  incident ${d.incidentId}  ${d.firstSeenAt}  ${d.alertname} on ${d.agent ?? '?'} (tier ${d.tier ?? '?'})`);
    lines.push(`    recorded:  ${d.recorded}`);
    lines.push(`    candidate: ${d.candidate}`);
  }
  return lines.join('\n');
}
