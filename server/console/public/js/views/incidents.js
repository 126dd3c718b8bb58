// Incidents, newest first, as a table that follows the live stream: filter by agent, status and time
// range (the filters live in the address, so a filtered view can be shared), then more pages on demand.
import { api } from '../api.js';
import { field, fmtTime, h, isoToLocal, localToIso, show, table } from '../dom.js';

export function incidentsView({ main, session, query, failed }) {
  const choose = (name, options) => h('select', { name }, ['', ...options].map((s) => h('option', { value: s, selected: (query.get(name) ?? '') === s }, s || 'any')));
  const f = {
    agent: h('input', { type: 'search', name: 'agent', value: query.get('agent') ?? '', placeholder: 'e.g. autogpt-1', size: '14' }),
    type: h('input', { type: 'search', name: 'type', value: query.get('type') ?? '', placeholder: 'e.g. crewai', size: '10' }),
    tier: choose('tier', session.tiers),
    strategy: choose('strategy', session.strategies ?? []),
    status: h('select', { name: 'status' }, ['', 'firing', 'resolved'].map((s) => h('option', { value: s, selected: query.get('status') === s }, s || 'any'))),
    since: h('input', { type: 'datetime-local', step: '1', name: 'since', value: isoToLocal(query.get('since')) }),
    until: h('input', { type: 'datetime-local', step: '1', name: 'until', value: isoToLocal(query.get('until')) }),
  };
  const apply = (e) => {
    e?.preventDefault();
    const q = new URLSearchParams();
    for (const k of ['agent', 'type', 'tier', 'strategy']) if (f[k].value.trim()) q.set(k, f[k].value.trim());
    if (f.status.value) q.set('status', f.status.value);
    if (f.since.value) q.set('since', localToIso(f.since.value));
    if (f.until.value) q.set('until', localToIso(f.until.value));
    location.hash = `#/incidents${q.size ? `?${q}` : ''}`;
  };
  const body = h('div', { id: 'incidents-table' });
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  show(main,
    h('h1', {}, 'Incidents'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter incidents', onsubmit: apply },
      field('Agent', f.agent), field('Type', f.type), field('Tier', f.tier), field('Strategy tried', f.strategy), field('Status', f.status), field('First seen from', f.since), field('to', f.until),
      h('button', { type: 'submit' }, 'Filter'),
      h('button', { type: 'button', class: 'secondary', onclick: () => (location.hash = '#/incidents') }, 'Clear')),
    count, body);

  let shown = 50;
  const load = async () => {
    const q = new URLSearchParams(query);
    q.set('limit', String(Math.min(shown, 500)));
    try {
      const page = await api.get(`/api/incidents?${q}`);
      const rows = page.items.map((i) => [
        h('a', { href: `#/incidents/${i.id}` }, `#${i.id}`),
        fmtTime(i.firstSeenAt), i.alertname, i.agent ?? '—', i.severity ?? '—',
        h('span', { class: `status-${i.status}` }, i.status),
        i.anomaly ? `${i.anomaly.score.toFixed(2)}${i.anomaly.isAnomaly ? ` ${i.anomaly.type ?? ''}` : ''}` : '—',
        String(i.deliveries),
      ]);
      count.textContent = page.items.length === 0 ? 'No incidents match.' : `${page.items.length} incident${page.items.length === 1 ? '' : 's'}${page.next_cursor ? ' (more below)' : ''}`;
      show(body, table(null, ['Incident', 'First seen', 'Alert', 'Agent', 'Severity', 'Status', 'Model reading', 'Deliveries'], rows, { 'aria-label': 'Incidents' }),
        page.next_cursor && shown < 500 ? h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => { shown += 50; void load(); } }, 'Show more')) : null);
    } catch (err) {
      failed(err, body);
    }
  };
  void load();
  return { refresh: (topics) => (topics.includes('incidents') ? load() : undefined) };
}
