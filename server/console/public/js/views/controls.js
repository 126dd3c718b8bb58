// Operators' controls over the engine: the kill switch, each tier's decision mode, temporary changes
// (revert before expiry) and the circuit breakers. A read-only user sees the state and no control.
import { api } from '../api.js';
import { field, fmtTime, h, show, table } from '../dom.js';

const MODES = ['policy', 'auto', 'shadow', 'approve', 'notify'];

export function controlsView({ main, session, failed }) {
  const kill = h('section', { 'aria-labelledby': 'kill-h' });
  const tiers = h('section', { 'aria-labelledby': 'tiers-h' });
  const changes = h('section', { 'aria-labelledby': 'changes-h' });
  const breakers = h('section', { 'aria-labelledby': 'breakers-h' });
  const status = h('p', { role: 'status', id: 'controls-status' });
  show(main, h('h1', {}, 'Controls'), status, kill, tiers, changes, breakers);

  const act = async (button, call, done) => {
    button.disabled = true;
    try {
      const r = await call();
      status.className = '';
      status.textContent = done(r);
      await load();
    } catch (err) {
      status.className = 'error';
      status.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  };

  const load = async () => {
    try {
      const [c, ch, br] = await Promise.all([api.get('/api/controls'), api.get('/api/changes?state=active'), api.get('/api/breakers')]);
      const p = c.actionsPaused;
      const note = h('input', { type: 'text', name: 'note', size: '40', maxlength: '2000' });
      show(kill, h('h2', { id: 'kill-h' }, 'Kill switch'),
        h('p', { id: 'pause-state' }, p ? `Automatic actions are PAUSED since ${fmtTime(p.at)} by ${p.by}${p.note ? `: ${p.note}` : ''}.` : 'Automatic actions are running.'),
        session.canDecide ? h('div', { class: 'actions' }, field('Why (recorded)', note),
          p ? h('button', { type: 'button', onclick: (e) => act(e.currentTarget, () => api.post('/api/controls/resume', note.value ? { note: note.value } : {}), () => 'Automatic actions resumed.') }, 'Resume automatic actions')
            : h('button', { type: 'button', class: 'danger', onclick: (e) => act(e.currentTarget, () => api.post('/api/controls/pause', note.value ? { note: note.value } : {}), () => 'Automatic actions paused.') }, 'Pause all automatic actions')) : null);

      const overrides = new Map(c.tierModes.map((m) => [m.tier, m]));
      show(tiers, h('h2', { id: 'tiers-h' }, 'Decision mode by tier'),
        table(null, ['Tier', 'Mode', 'Set by', session.canDecide ? 'Change' : null].filter(Boolean), session.tiers.map((t) => {
          const o = overrides.get(t);
          const select = h('select', { 'aria-label': `Decision mode for tier ${t}`, name: `mode-${t}` }, MODES.map((m) => h('option', { value: m, selected: (o?.mode ?? 'policy') === m }, m === 'policy' ? 'as the policy file says' : m)));
          return [t, o ? o.mode : 'as the policy file says', o ? `${o.by} at ${fmtTime(o.at)}${o.note ? `: ${o.note}` : ''}` : '—',
            session.canDecide ? h('span', { class: 'actions' }, select, h('button', { type: 'button', class: 'secondary', onclick: (e) => act(e.currentTarget, () => api.put(`/api/controls/tiers/${encodeURIComponent(t)}/mode`, { mode: select.value }), (r) => `Tier ${r.tier}: ${r.mode}.`) }, 'Set')) : null].filter((x) => x !== null);
        }), { 'aria-label': 'Tier modes' }));

      show(changes, h('h2', { id: 'changes-h' }, 'Temporary changes in force'),
        ch.items.length ? table(null, ['Change', 'Target', 'Kind', 'Incident', 'Applied', 'Reverts at', session.canDecide ? 'Revert' : null].filter(Boolean), ch.items.map((x) => [
          `#${x.id}`, x.target, x.kind, h('a', { href: `#/incidents/${x.incidentId}` }, `#${x.incidentId}`), fmtTime(x.appliedAt), fmtTime(x.expiresAt),
          session.canDecide ? h('button', { type: 'button', class: 'secondary', onclick: (e) => act(e.currentTarget, () => api.post(`/api/changes/${x.id}/revert`), () => `Change #${x.id} is reverted on the reverter's next round.`) }, 'Revert now') : null,
        ].filter((v) => v !== null)), { 'aria-label': 'Active changes' }) : h('p', { class: 'muted' }, 'None.'));

      show(breakers, h('h2', { id: 'breakers-h' }, 'Circuit breakers'),
        br.items.length ? table(null, ['Target', 'State', 'Since', 'Next check', session.canDecide ? 'Reset' : null].filter(Boolean), br.items.map((b) => [
          b.target, b.state, fmtTime(b.changedAt), fmtTime(b.nextCheckAt),
          session.canDecide ? (b.state === 'closed' ? '' : h('button', { type: 'button', class: 'secondary', 'aria-label': `Reset the breaker of ${b.target} (close it now)`, onclick: (e) => act(e.currentTarget, () => api.post(`/api/breakers/${encodeURIComponent(b.target)}/reset`), (r) => `Breaker of ${r.target} closed${r.trafficRestored ? ', traffic restored' : ''}.`) }, 'Close now')) : null,
        ].filter((v) => v !== null)), { 'aria-label': 'Breakers' })
          : h('p', { class: 'muted' }, 'No breaker has opened.'));
    } catch (err) {
      failed(err, kill);
    }
  };
  void load();
  return { refresh: (topics) => (topics.includes('controls') ? load() : undefined) };
}
