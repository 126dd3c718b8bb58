// Remediations waiting for an operator (decision mode `approve`), soonest timeout first, and the last
// decisions with who made them.
import { api } from '../api.js';
import { fmtTime, h, show, table } from '../dom.js';
import { approvalCard } from './decide.js';

export function approvalsView({ main, session, failed }) {
  const pending = h('div', { id: 'pending' });
  const decided = h('div', { id: 'decided' });
  show(main, h('h1', {}, 'Approvals'), h('h2', {}, 'Waiting'), pending, h('h2', {}, 'Decided'), decided);
  const load = async () => {
    try {
      const all = (await api.get('/api/approvals')).items;
      const waiting = all.filter((a) => a.state === 'pending').sort((x, y) => Date.parse(x.expiresAt) - Date.parse(y.expiresAt));
      show(pending, waiting.length ? waiting.map((a) => approvalCard(a, session, load)) : h('p', { class: 'muted' }, 'Nothing is waiting for approval.'));
      const done = all.filter((a) => a.state !== 'pending').sort((x, y) => Date.parse(y.decidedAt ?? y.expiresAt) - Date.parse(x.decidedAt ?? x.expiresAt)).slice(0, 50);
      show(decided, done.length
        ? table(null, ['Incident', 'Strategy', 'Decision', 'By', 'When', 'Comment'], done.map((a) => [
          h('a', { href: `#/incidents/${a.incidentId}` }, `#${a.incidentId}`), a.strategy, a.state === 'used' ? 'approved (acted on)' : a.state, a.decidedBy ?? '—', fmtTime(a.decidedAt ?? a.expiresAt), a.note ?? '']), { 'aria-label': 'Decided approvals' })
        : h('p', { class: 'muted' }, 'No decisions yet.'));
    } catch (err) {
      failed(err, pending);
    }
  };
  void load();
  return { refresh: (topics) => (topics.includes('approvals') ? load() : undefined) };
}
