// @ts-check
// The Credentials page (/credentials): each mode's database credentials (source, user, age,
// expiry, rotations followed, failures; never a password: the API has none), the warnings,
// and rotate-creds' events in the window, from /api/credentials.

import { api } from './api.js';
import { h, message, setContent } from './dom.js';
import { fmtCount } from './format.js';
import { showWindow } from './header.js';
import { showTable, valueNode } from './render.js';
import { windowParams, isoUs } from './time.js';
import { viewState } from './state.js';
import { fmtAge, fmtExpiresIn, modeLabel, rotationSummary, rowStatus, warningText } from './credentials_format.js';

/** @param {'ok' | 'warn' | 'bad'} s */
function statusNode(s) {
  const cls = s === 'ok' ? 'badge-ok' : 'badge-stale';
  return h('span', { className: 'badge ' + cls }, s);
}

/**
 * @param {any[]} warnings
 * @returns {import('./render.js').Column[]}
 */
function modeColumns(warnings) {
  return [
    { label: 'Mode', cell: (r) => modeLabel(r) },
    { label: 'Status', cell: (r) => statusNode(rowStatus(r, warnings)) },
    { label: 'Source', cell: (r) => valueNode(r.source) },
    { label: 'Location', cls: 'mono', cell: (r) => valueNode(r.location) },
    { label: 'MySQL user', cls: 'mono cred-user', cell: (r) => valueNode(r.user) },
    { label: 'Age', num: true, cell: (r) => fmtAge(r.age_s) },
    { label: 'Expires', cell: (r) => fmtExpiresIn(r.expires_in_s) },
    { label: 'Expires at (UTC)', cls: 'time', cell: (r) => isoUs(r.expires) },
    { label: 'Last rotation followed (UTC)', cls: 'time', cell: (r) => isoUs(r.last_switch) },
    { label: 'Rotations followed', num: true, cell: (r) => fmtCount(r.switches) },
    { label: 'Failures', num: true, cell: (r) => fmtCount(r.failures) },
    { label: 'Vault reachable', cell: (r) => (r.source_reachable ? 'yes' : 'no') },
    { label: 'Last error', cell: (r) => valueNode(r.last_error || null) },
    { label: 'Reported (UTC)', cls: 'time', cell: (r) => (r.live ? 'live' : isoUs(r.reported)) },
  ];
}

/** @type {import('./render.js').Column[]} */
const EVENT_COLUMNS = [
  { label: 'Time (UTC)', cls: 'time', cell: (r) => isoUs(r.time) },
  { label: 'Mode', cell: (r) => valueNode(r.mode) },
  { label: 'Action', cell: (r) => valueNode(r.action) },
  { label: 'Path', cls: 'mono', cell: (r) => valueNode(r.path) },
  { label: 'User', cls: 'mono', cell: (r) => valueNode(r.user || null) },
  { label: 'Result', cell: (r) => valueNode(r.result) },
];

/**
 * @param {AbortSignal} signal
 */
async function load(signal) {
  const r = await api('/api/credentials', windowParams(viewState(), Date.now() * 1000), signal);
  if (signal.aborted) return;
  if (!r.ok) {
    for (const id of ['cred-warnings', 'cred-modes', 'cred-events']) setContent(id, '');
    setContent('cred-modes', message('error', r.message));
    return;
  }
  const d = r.data;
  showWindow(d.window);
  const warnings = Array.isArray(d.warnings) ? d.warnings : [];
  setContent('cred-warnings', warnings.length
    ? h('ul', { className: 'cred-warning-list' }, warnings.map((w) => h('li', null, message('warn', warningText(w)))))
    : message('info', 'No warnings.'));
  showTable('cred-modes', modeColumns(warnings), d.modes, 'No credentials are known: serve has none and no mode has reported yet.',
    { id: 'cred-modes-table', rowClass: (row) => 'cred-' + rowStatus(row, warnings) });
  setContent('cred-summary', rotationSummary(d.rotations, d.failures),
    d.last_rotation ? '; last rotation ' + isoUs(d.last_rotation.time) + ' UTC' : '');
  showTable('cred-events', EVENT_COLUMNS, d.events, 'rotate-creds did nothing in this window.',
    { rowClass: (row) => (row.failed ? 'row-bad' : null) });
}

/** @type {import('./app.js').Page} */
export const credentialsPage = { load };
