// Log in with an API token (api.tokens, MEDIC_OPERATOR_TOKEN or MEDIC_READONLY_TOKEN).
import { h } from '../dom.js';

export function loginView({ onLogin, error }) {
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', required: true, minlength: '1', size: '40' });
  const form = h('form', { class: 'login', onsubmit: (e) => { e.preventDefault(); void onLogin(input.value); } },
    h('h1', {}, 'Log in to the Medic console'),
    h('p', {}, 'Give an API token from Medic\'s api.tokens (or MEDIC_OPERATOR_TOKEN / MEDIC_READONLY_TOKEN). A read-only token shows everything; an operator token also decides.'),
    error ? h('p', { class: 'error', role: 'alert' }, error) : null,
    h('label', { for: 'token' }, 'API token'), input,
    h('p', {}, h('button', { type: 'submit' }, 'Log in')),
    h('p', { class: 'muted' }, 'The token stays in this tab only and is sent to this Medic only.'));
  queueMicrotask(() => input.focus());
  return form;
}

/** Without API tokens, the credential names nobody: ask who is deciding, recorded with each decision. */
export function nameView({ onName }) {
  const input = h('input', { type: 'text', id: 'decider', name: 'decider', autocomplete: 'username', required: true, maxlength: '200', size: '30' });
  const form = h('form', { class: 'login', onsubmit: (e) => { e.preventDefault(); if (input.value.trim()) onName(input.value); } },
    h('h1', {}, 'Who is deciding?'),
    h('p', {}, 'This Medic has no API tokens: its webhook credential opens the API and names nobody, so each approval, pause or switch records the name you give here. Give each person an API token (api.tokens) to have the token name them instead.'),
    h('label', { for: 'decider' }, 'Your name'), input,
    h('p', {}, h('button', { type: 'submit' }, 'Continue')));
  queueMicrotask(() => input.focus());
  return form;
}
