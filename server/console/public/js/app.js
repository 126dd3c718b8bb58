// The console's shell: log in, route (#/incidents, #/incidents/42, #/approvals, #/fleet, #/controls),
// follow the live stream and let the open view refresh what changed.
import { api, ApiError, decider, followEvents, token } from './api.js';
import { h, show } from './dom.js';
import { approvalsView } from './views/approvals.js';
import { controlsView } from './views/controls.js';
import { fleetView } from './views/fleet.js';
import { incidentView } from './views/incident.js';
import { incidentsView } from './views/incidents.js';
import { loginView, nameView } from './views/login.js';
import { replayView } from './views/replay.js';

const ROUTES = [
  [/^#\/incidents\/(\d+)$/, incidentView, 'incidents'],
  [/^#\/incidents$/, incidentsView, 'incidents'],
  [/^#\/approvals$/, approvalsView, 'approvals'],
  [/^#\/fleet$/, fleetView, 'fleet'],
  [/^#\/controls$/, controlsView, 'controls'],
  [/^#\/replay$/, replayView, 'replay'],
];

const main = document.getElementById('main');
let session;
let current; // { refresh(topics) } of the open view
let stopEvents;

function route() {
  if (!session) return;
  const [path, query = ''] = (location.hash || '#/incidents').split('?');
  const match = ROUTES.map(([re, view, nav]) => [path.match(re), view, nav]).find(([m]) => m);
  if (!match) return void (location.hash = '#/incidents');
  const [m, view, nav] = match;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  show(main);
  current = view({ main, session, params: m.slice(1), query: new URLSearchParams(query), failed });
  document.title = `${document.querySelector('main h1')?.textContent ?? 'Medic'} · Medic console`;
}

/** An API call failed: a lost credential goes back to the login, anything else is said on the page. */
function failed(err, where) {
  if (err instanceof ApiError && err.status === 401) return logout('Your token is no longer accepted; log in again.');
  where.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message));
}

async function refreshShell(topics) {
  if (topics.includes('approvals')) {
    const pending = await api.get('/api/approvals?state=pending').catch(() => undefined);
    if (pending) document.getElementById('approvals-count').textContent = pending.items.length ? String(pending.items.length) : '';
  }
  if (topics.includes('controls')) {
    const controls = await api.get('/api/controls').catch(() => undefined);
    const banner = document.getElementById('paused-banner');
    if (controls) {
      const p = controls.actionsPaused;
      banner.hidden = !p;
      banner.textContent = p ? `Automatic actions are PAUSED (by ${p.by} at ${new Date(p.at).toLocaleString()}${p.note ? `: ${p.note}` : ''}). Nothing new is acted on until someone resumes them.` : '';
    }
  }
}

async function start() {
  if (token.get() === null) {
    // A Medic with no credentials at all (loopback only, the defaults) opens its API to anyone: no token
    // to ask for. The console still asks who decides.
    const probe = await fetch('/api/session', { cache: 'no-store' }).catch(() => undefined);
    if (!probe?.ok) return void show(main, loginView({ onLogin: login }));
    token.set('');
  }
  try {
    session = await api.get('/api/session');
  } catch (err) {
    token.clear();
    return void show(main, loginView({ onLogin: login, error: err instanceof ApiError && err.status === 401 ? 'That token is not accepted.' : err.message }));
  }
  if (session.via !== 'api-token' && session.canDecide && !decider.get()) {
    session = undefined;
    return void show(main, nameView({ onName: (name) => { decider.set(name.trim()); void start(); } }));
  }
  document.body.dataset.role = session.role;
  document.getElementById('nav').hidden = false;
  document.getElementById('who').textContent = `${session.name} (${session.role})`;
  const out = document.getElementById('logout');
  out.hidden = false;
  out.onclick = () => logout();
  const live = document.getElementById('live');
  stopEvents = followEvents((topics) => {
    void refreshShell(topics);
    current?.refresh?.(topics);
  }, (state) => {
    live.textContent = { live: '● live', reconnecting: '○ reconnecting…', refused: '○ not live' }[state];
    if (state === 'refused') logout('Your token is no longer accepted; log in again.');
  });
  route();
}

async function login(value) {
  token.clear();
  token.set(value.trim());
  await start();
  if (!session) return;
  if (!location.hash) location.hash = '#/incidents';
  main.focus();
}

function logout(message) {
  stopEvents?.();
  token.clear();
  session = undefined;
  current = undefined;
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  document.getElementById('who').textContent = '';
  document.getElementById('live').textContent = '';
  document.getElementById('paused-banner').hidden = true;
  show(main, loginView({ onLogin: login, error: message }));
}

window.addEventListener('hashchange', route);
void start();
