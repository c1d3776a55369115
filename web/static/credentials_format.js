// @ts-check
// The Credentials page's texts (credentials.js): expiry, the row's status, warnings, mode
// names. Pure functions (no DOM), tested by test/web/credentials_format_test.mjs.

import { fmtDuration } from './format.js';

/**
 * When credentials expire, relative to now: "in 42 min", "expired 5.0 s ago", or "never"
 * when the source gives no expiry (a file: null).
 * @param {unknown} expiresInS seconds until expiry (negative once past), or null
 * @returns {string}
 */
export function fmtExpiresIn(expiresInS) {
  if (expiresInS == null) return 'never';
  if (typeof expiresInS !== 'number' || !Number.isFinite(expiresInS)) return '—';
  if (expiresInS <= 0) return 'expired ' + fmtDuration(-expiresInS) + ' ago';
  return 'in ' + fmtDuration(expiresInS);
}

/**
 * How old credentials are: "12 min", or "—" when unknown.
 * @param {unknown} ageS
 * @returns {string}
 */
export function fmtAge(ageS) {
  return typeof ageS === 'number' && Number.isFinite(ageS) ? fmtDuration(Math.max(0, ageS)) : '—';
}

/**
 * A row of /api/credentials' modes by name: "serve (reader)", "collect c1 (writer)".
 * @param {{mode?: unknown, name?: unknown, role?: unknown}} row
 * @returns {string}
 */
export function modeLabel(row) {
  const parts = [String(row.mode || '?')];
  if (typeof row.name === 'string' && row.name) parts.push(row.name);
  let out = parts.join(' ');
  if (typeof row.role === 'string' && row.role) out += ' (' + row.role + ')';
  return out;
}

/**
 * The status of a mode's row from its warnings: "bad" when one is expired or its source is
 * unreachable, "warn" for an expiry soon or a stale report, "ok" otherwise.
 * @param {{mode?: unknown, name?: unknown}} row
 * @param {unknown} warnings /api/credentials' warnings
 * @returns {'ok' | 'warn' | 'bad'}
 */
export function rowStatus(row, warnings) {
  if (!Array.isArray(warnings)) return 'ok';
  let status = /** @type {'ok' | 'warn' | 'bad'} */ ('ok');
  for (const w of warnings) {
    if (!w || w.mode !== row.mode || (w.name || '') !== (row.name || '')) continue;
    if (w.kind === 'expired' || w.kind === 'source_unreachable') return 'bad';
    if (w.kind === 'expires_soon' || w.kind === 'stale_report') status = 'warn';
  }
  return status;
}

/** The heading of each warning kind. */
const WARNING_TITLES = /** @type {Record<string, string>} */ ({
  expired: 'Expired',
  expires_soon: 'Expires soon',
  source_unreachable: 'Vault unreachable',
  stale_report: 'Stale report',
  database: 'Database',
});

/**
 * One warning as a line: "Expires soon: the credentials of serve (user u) expire in 300 s".
 * @param {{kind?: unknown, message?: unknown}} w
 * @returns {string}
 */
export function warningText(w) {
  const kind = typeof w.kind === 'string' ? w.kind : '';
  const title = WARNING_TITLES[kind] || kind || 'Warning';
  return title + ': ' + (typeof w.message === 'string' ? w.message : '');
}

/**
 * The summary line over the events: "2 rotations, 1 failure in the window".
 * @param {unknown} rotations
 * @param {unknown} failures
 * @returns {string}
 */
export function rotationSummary(rotations, failures) {
  const n = (/** @type {unknown} */ v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const r = n(rotations), f = n(failures);
  return r + (r === 1 ? ' rotation, ' : ' rotations, ') + f + (f === 1 ? ' failure' : ' failures') + ' in the window';
}
