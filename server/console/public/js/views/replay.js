// Policy replay (what-if): a period and candidate policies and rules (the ones in force to start from),
// run through the engine without acting; the report beside what was done, incident by incident.
import { api } from '../api.js';
import { field, h, isoToLocal, localToIso, show, table } from '../dom.js';

const SHOWN = 500;

export function replayView({ main, session, failed }) {
  const now = new Date();
  const from = h('input', { type: 'datetime-local', step: '1', name: 'from', value: isoToLocal(new Date(now.getTime() - 30 * 86_400_000).toISOString()) });
  // A minute ahead: the field keeps whole seconds, and "until now" must include this second's incidents.
  const to = h('input', { type: 'datetime-local', step: '1', name: 'to', value: isoToLocal(new Date(now.getTime() + 60_000).toISOString()) });
  const policies = h('textarea', { name: 'policies', rows: '14', cols: '70', spellcheck: 'false', class: 'code' });
  const rules = h('textarea', { name: 'rules', rows: '14', cols: '70', spellcheck: 'false', class: 'code' });
  const run = h('button', { type: 'submit' }, 'Run the replay');
  const status = h('p', { role: 'status', id: 'replay-status' });
  const out = h('div', { id: 'replay-report' });
  const submit = async (e) => {
    e.preventDefault();
    run.disabled = true;
    status.className = '';
    status.textContent = 'Replaying… (about 10 s for 30 days of 131 agents)';
    show(out);
    try {
      const report = await api.post('/api/replays', { from: localToIso(from.value), to: localToIso(to.value), policies: policies.value, rules: rules.value });
      status.textContent = '';
      show(out, renderReport(report));
    } catch (err) {
      status.className = 'error';
      status.textContent = err.message;
    } finally {
      run.disabled = false;
    }
  };
  show(main, h('h1', {}, 'Policy replay (what-if)'),
    h('p', {}, 'Runs the alerts recorded in a period through the policies and rules below, against what was observed then, without acting on anything; then shows what would differ from what was done. Edit the policies or rules in force, then run.'),
    session.canDecide
      ? h('form', { onsubmit: submit, 'aria-label': 'Replay' },
        h('div', { class: 'filters' }, field('Incidents first seen from', from), field('to', to)),
        h('div', { class: 'filters' }, field('Candidate policies (policies.yaml)', policies), field('Candidate rules (rules.yaml)', rules)),
        h('p', {}, run), status)
      : h('p', { class: 'muted' }, 'Running a replay takes the operator role (it uses the server for seconds); your token is read-only.'),
    out);
  if (session.canDecide) {
    api.get('/api/replays/defaults').then((d) => {
      policies.value = d.policies;
      rules.value = d.rules;
    }, (err) => failed(err, status));
  }
  return {};
}

function renderReport(r) {
  const change = (x) => (x.candidate === x.recorded ? '' : `${x.candidate > x.recorded ? '+' : ''}${x.candidate - x.recorded}`);
  const rows = (items, key) => items.map((x) => [...key(x), String(x.recorded), String(x.candidate), change(x)]);
  return h('section', { 'aria-label': 'Replay report' },
    h('h2', {}, 'Report'),
    h('p', { id: 'replay-summary' }, `${r.incidents} incidents first seen ${new Date(r.from).toLocaleString()} to ${new Date(r.to).toLocaleString()}, replayed in ${(r.elapsedMs / 1000).toFixed(1)} s: `,
      h('strong', {}, r.differences.length === 0 ? 'no incident would have a different outcome.' : `${r.differences.length} incidents would have a different outcome.`),
      r.awaitingOperator ? ` ${r.awaitingOperator} would wait for an operator the record has no answer from.` : ''),
    h('h3', {}, 'Actions by tier and strategy'),
    r.actions.length ? table(null, ['Tier', 'Strategy', 'Recorded', 'Candidate', 'Change'], rows(r.actions, (a) => [a.tier, a.strategy]), { 'aria-label': 'Actions by tier and strategy' }) : h('p', { class: 'muted' }, 'No action either way.'),
    h('h3', {}, 'Guards, cooldowns, escalations'),
    table(null, ['What', 'Recorded', 'Candidate', 'Change'], [
      ...rows(r.guards, (g) => [`held by ${g.guard}`]),
      ...rows([r.cooldowns], () => ['cooldowns passed over']),
      ...rows(r.escalations, (e) => [`escalated: ${e.reason}`]),
    ], { 'aria-label': 'Guards and escalations' }),
    r.differences.length ? [
      h('h3', {}, 'Incidents whose outcome would differ'),
      table(r.differences.length > SHOWN ? `The first ${SHOWN} of ${r.differences.length}; medic replay --json lists all.` : null,
        ['Incident', 'First seen', 'Alert', 'Agent', 'Tier', 'Recorded', 'Candidate'], r.differences.slice(0, SHOWN).map((d) => [
          h('a', { href: `#/incidents/${d.incidentId}` }, `#${d.incidentId}`), new Date(d.firstSeenAt).toLocaleString(), d.alertname, d.agent ?? '—', d.tier ?? '—', d.recorded, d.candidate,
        ]), { 'aria-label': 'Differences' }),
    ] : null);
}
