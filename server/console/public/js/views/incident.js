// One incident as a story, in order: the alert and its deliveries, the model's reading and why, each
// decision with its reason and the guard it met, each action's plan, result, verification and silence,
// and the time to recovery; with the approval it waits for, if any, and the records in full below.
import { api } from '../api.js';
import { fmtDuration, fmtTime, h, show, table } from '../dom.js';
import { approvalCard } from './decide.js';

export function incidentView({ main, session, params, failed }) {
  const id = Number(params[0]);
  const load = async () => {
    try {
      const [d, approvals] = await Promise.all([api.get(`/api/incidents/${id}`), api.get('/api/approvals')]);
      render(d, approvals.items.filter((a) => a.incidentId === id));
    } catch (err) {
      show(main, h('h1', {}, `Incident #${id}`));
      failed(err, main.appendChild(h('div')));
    }
  };
  const render = (d, approvals) => {
    const recovered = recoveredAt(d);
    const pending = approvals.filter((a) => a.state === 'pending');
    show(main,
      h('p', {}, h('a', { href: '#/incidents' }, '← Incidents')),
      h('h1', {}, `Incident #${d.id}: ${d.alertname} on ${d.agent ?? 'an unknown agent'}`),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Status'), h('dd', {}, h('span', { class: `status-${d.status}` }, d.status)),
        h('dt', {}, 'Severity'), h('dd', {}, d.severity ?? '—'),
        h('dt', {}, 'Target'), h('dd', {}, d.target ?? '—'),
        h('dt', {}, 'Alert started'), h('dd', {}, fmtTime(d.startsAt)),
        h('dt', {}, 'Time to recovery'), h('dd', { id: 'ttr' }, recovered ? `${fmtDuration(Date.parse(recovered) - Date.parse(d.startsAt))} (alert start to verified healthy)` : 'not recovered yet'),
        h('dt', {}, 'Deliveries'), h('dd', {}, `${d.deliveries} (${d.duplicates} duplicate)`)),
      pending.map((a) => approvalCard(a, session, load)),
      h('h2', {}, 'What happened'),
      h('ol', { class: 'story', 'aria-label': 'Incident story' }, story(d, approvals).map((e) =>
        h('li', { 'data-kind': e.kind }, h('span', { class: 'when' }, fmtTime(e.at)), h('span', { class: 'kind' }, e.title), e.text, e.extra ?? null))),
      h('h2', {}, 'Decisions, explained'),
      h('ol', { id: 'decisions' }, d.explanation.map((x) => h('li', {}, x))),
      h('h2', {}, 'Actions'),
      d.attempts.length
        ? table(null, ['#', 'Strategy', 'Driver', 'Mode', 'Outcome', 'Reason', 'Started', 'Finished', 'Details'], d.attempts.map((a) => [
          String(a.id), a.strategy, a.driver, a.mode, h('span', { class: `outcome-${a.outcome}` }, a.outcome), a.reason, fmtTime(a.startedAt), fmtTime(a.finishedAt),
          h('details', {}, h('summary', {}, 'record'), h('pre', {}, JSON.stringify(a.details, null, 2)))]), { 'aria-label': 'Actions' })
        : h('p', { class: 'muted' }, 'No decision yet.'),
      h('h2', {}, 'Labels'),
      h('pre', {}, JSON.stringify(d.labels, null, 2)),
      d.generatorURL ? h('p', {}, 'Alert source: ', h('span', { class: 'muted' }, d.generatorURL)) : null);
    document.title = `Incident #${d.id} · Medic console`;
  };
  void load();
  return { refresh: (topics) => (topics.some((t) => t === 'incidents' || t === 'remediations' || t === 'approvals') ? load() : undefined) };
}

function recoveredAt(d) {
  const healed = d.attempts.find((a) => a.outcome === 'succeeded' && a.finishedAt);
  return healed?.finishedAt ?? d.resolvedAt;
}

/** Every event of the incident with its time, oldest first. */
function story(d, approvals) {
  const events = [];
  for (const a of d.alerts) {
    events.push({ at: a.receivedAt, kind: 'alert', title: a.status === 'firing' ? 'Alert firing' : 'Alert resolved', text: `delivery ${a.notificationId}${a.annotations.summary ? `: ${a.annotations.summary}` : ''}` });
  }
  if (d.anomaly) {
    const m = d.anomaly;
    const factors = m.contributions.map((c) => `${c.feature} ${c.deviation.toFixed(2)}`).join(', ');
    const failure = m.model.startsWith('failure ');
    events.push({
      at: m.sampleAt, kind: 'model', title: failure ? 'Failure model' : 'Anomaly model',
      text: failure
        ? `failure probability ${m.score.toFixed(3)} (alarm at ${m.threshold.toFixed(3)})${m.type ? `, ${m.type}` : ''}; factors: ${factors || 'none'}`
        : `score ${m.score.toFixed(3)} (threshold ${m.threshold.toFixed(3)}): ${m.isAnomaly ? `anomalous, ${m.type}` : 'within normal'}; largest deviations: ${factors || 'none'}`,
    });
  }
  for (const a of approvals) {
    events.push({ at: a.requestedAt, kind: 'approval', title: 'Approval asked', text: `${a.strategy}, times out ${fmtTime(a.expiresAt)}` });
    if (a.decidedAt) events.push({ at: a.decidedAt, kind: 'approval', title: `Approval ${a.state === 'used' ? 'approved' : a.state}`, text: `by ${a.decidedBy ?? 'an operator'}${a.note ? `: ${a.note}` : ''}` });
  }
  for (const a of d.attempts) {
    const det = a.details ?? {};
    const guard = typeof det.guard === 'string' ? `(guard: ${det.guard})` : '';
    const how = a.strategy === 'none' ? '' : `${a.strategy} via ${a.driver} (${a.mode})`;
    events.push({ at: a.startedAt, kind: 'decision', title: `Decision: ${a.outcome.replace(/_/g, ' ')}`, text: `${[how, guard].filter(Boolean).join(' ')}${how || guard ? ': ' : ''}${a.reason}${typeof det.rule === 'string' ? ` [rule ${det.rule}]` : ''}` });
    if (typeof det.silence === 'string') {
      events.push({ at: a.startedAt, kind: 'silence', title: 'Silence created', text: `Alertmanager silence ${det.silence} held the alert while the action was verified` });
    }
    if (det.verification && typeof det.verification === 'object' && a.finishedAt) {
      const v = det.verification;
      events.push({ at: a.finishedAt, kind: 'verify', title: v.ok ? 'Verified healthy' : 'Verification failed', text: `${v.reason} (${v.checks} checks in ${fmtDuration(v.durationMs)})` });
    }
  }
  if (d.resolvedAt) events.push({ at: d.resolvedAt, kind: 'resolved', title: 'Incident resolved', text: '' });
  return events.sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
}
