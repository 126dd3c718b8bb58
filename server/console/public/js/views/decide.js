// Approve or deny one pending approval, with a comment and a countdown to its timeout. Shown only to
// the operator role; the API refuses the others whatever the page shows.
import { api } from '../api.js';
import { fmtDuration, fmtTime, h } from '../dom.js';

export function approvalCard(a, session, onDone) {
  const countdown = h('span', { class: 'countdown', 'data-expires': a.expiresAt });
  const tick = () => {
    const left = Date.parse(a.expiresAt) - Date.now();
    countdown.textContent = left > 0 ? `${fmtDuration(left)} left` : 'timed out: escalating';
  };
  tick();
  const timer = setInterval(() => (countdown.isConnected ? tick() : clearInterval(timer)), 1000);
  const note = h('textarea', { name: 'note', rows: '1', cols: '40', maxlength: '2000', 'aria-label': `Comment on approval ${a.id}` });
  const status = h('span', { role: 'status' });
  const decide = async (verb, button) => {
    button.disabled = true;
    try {
      const r = await api.post(`/api/approvals/${a.id}/${verb}`, note.value.trim() ? { note: note.value.trim() } : {});
      status.textContent = `${r.state} by ${r.by}`;
      onDone?.();
    } catch (err) {
      status.textContent = err.message;
      status.className = 'error';
      button.disabled = false;
    }
  };
  const summary = typeof a.plan?.summary === 'string' ? a.plan.summary : a.strategy;
  return h('div', { class: 'card pending', 'data-approval': a.id },
    h('p', {}, h('strong', {}, `Waiting for approval: ${summary}`)),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Incident'), h('dd', {}, h('a', { href: `#/incidents/${a.incidentId}` }, `#${a.incidentId}`)),
      h('dt', {}, 'Strategy'), h('dd', {}, a.strategy),
      h('dt', {}, 'Asked'), h('dd', {}, fmtTime(a.requestedAt)),
      h('dt', {}, 'Times out'), h('dd', {}, fmtTime(a.expiresAt), ' ', countdown)),
    session.canDecide
      ? h('div', { class: 'actions' },
        h('label', {}, 'Comment (optional)', note),
        h('button', { type: 'button', onclick: (e) => decide('approve', e.currentTarget) }, 'Approve'),
        h('button', { type: 'button', class: 'danger', onclick: (e) => decide('reject', e.currentTarget) }, 'Deny'),
        status)
      : h('p', { class: 'muted' }, 'Your token is read-only: an operator decides.'));
}
