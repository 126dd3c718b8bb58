// The fleet: every agent of the inventory (and agents alerts named that it lacks) with open incidents,
// its newest remediation, temporary changes in force and its circuit breaker.
import { api } from '../api.js';
import { fmtTime, h, show, table } from '../dom.js';

export function fleetView({ main, failed }) {
  const summary = h('p', { class: 'muted' });
  const body = h('div');
  show(main, h('h1', {}, 'Fleet'), summary, body);
  const load = async () => {
    try {
      const f = await api.get('/api/fleet');
      const s = f.summary;
      summary.textContent = `${s.agents} agents in the inventory; ${s.withOpenIncidents} with open incidents; ${s.activeChanges} temporary changes in force; ${s.breakersNotClosed} breakers not closed${s.notInInventory ? `; ${s.notInInventory} named by alerts but not in the inventory` : ''}.`;
      show(body, table(null, ['Agent', 'Type', 'Tier', 'Driver', 'Open incidents', 'Last remediation', 'Active changes', 'Breaker'], f.items.map((a) => [
        h('a', { href: `#/incidents?agent=${encodeURIComponent(a.agent)}` }, a.agent),
        a.type ?? h('span', { class: 'error' }, 'not in inventory'), a.tier ?? '—', a.driver ?? '—',
        a.openIncidents ? h('span', { class: 'status-firing' }, String(a.openIncidents)) : '0',
        a.lastRemediation ? `${a.lastRemediation.strategy} ${a.lastRemediation.outcome} (${a.lastRemediation.mode}) ${fmtTime(a.lastRemediation.startedAt)}` : '—',
        String(a.activeChanges), a.breaker ?? 'closed',
      ]), { 'aria-label': 'Fleet' }));
    } catch (err) {
      failed(err, body);
    }
  };
  void load();
  return { refresh: (topics) => (topics.some((t) => t === 'incidents' || t === 'remediations' || t === 'controls') ? load() : undefined) };
}
