// @ts-check
// Numbers, priorities, bytes and messages as the dashboard shows them.
//
// Pure functions (no DOM), tested by test/web/format_test.mjs. Numbers use en-US grouping
// whatever the browser's locale, so every operator reads the same digits.

import { isoUs } from './time.js';

/** The API's priority keys (by_priority), most severe first; "none" = no PRIORITY field. */
export const PRIORITY_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', 'none'];
export const PRIORITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info',
  'debug', 'none'];

/**
 * A count with thousands separators ("12,345"), "—" when it is not a finite number.
 * @param {unknown} n
 * @returns {string}
 */
export function fmtCount(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
}

/**
 * A number: integers as fmtCount, others with at most `digits` (default 2) fraction digits.
 * @param {unknown} n
 * @param {number} [digits]
 * @returns {string}
 */
export function fmtNumber(n, digits) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  return Number.isInteger(n) ? n.toLocaleString('en-US')
    : n.toLocaleString('en-US', { maximumFractionDigits: digits == null ? 2 : digits });
}

/**
 * Seconds as "4.2 s", "12 min", "5.0 h" or "3.5 d"; "—" when not a finite number.
 * @param {unknown} s
 * @returns {string}
 */
export function fmtDuration(s) {
  if (typeof s !== 'number' || !Number.isFinite(s)) return '—';
  const a = Math.abs(s);
  if (a < 60) return s.toFixed(a < 10 ? 1 : 0) + ' s';
  if (a < 3 * 3600) return (s / 60).toFixed(0) + ' min';
  if (a < 72 * 3600) return (s / 3600).toFixed(1) + ' h';
  return (s / 86400).toFixed(1) + ' d';
}

/**
 * A PRIORITY number's name ("err"); "none" for a missing or out-of-range value.
 * @param {unknown} p
 * @returns {string}
 */
export function priorityName(p) {
  return typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 7 ? PRIORITY_NAMES[p]
    : 'none';
}

/**
 * The search form's priority choice ("0".."7", or "" for any) for a URL value: a digit or a
 * name ("err" -> "3"); anything else -> "".
 * @param {string} p
 * @returns {string}
 */
export function priorityChoice(p) {
  if (/^[0-7]$/.test(p)) return p;
  const i = PRIORITY_NAMES.indexOf(p);
  return i >= 0 && i < 8 ? String(i) : '';
}

/**
 * Bytes as text: printable ASCII stays, a backslash doubles, every other byte is \xNN.
 * @param {ArrayLike<number>} bytes
 * @returns {string}
 */
export function escapeBytes(bytes) {
  let out = '';
  for (const b of Array.from(bytes)) {
    const n = Number(b) & 0xff;
    if (n === 0x5c) out += '\\\\';
    else if (n >= 0x20 && n <= 0x7e) out += String.fromCharCode(n);
    else out += '\\x' + n.toString(16).padStart(2, '0');
  }
  return out;
}

/**
 * Whether v is a journal byte array (a field that is not valid UTF-8, as journalctl -o json).
 * @param {unknown} v
 * @returns {v is number[]}
 */
export function isByteArray(v) {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

/**
 * Short, unique labels (at most `max` characters plus a " #n" suffix for repeats), for chart
 * axes where long or hostile names would squash the plot.
 * @param {unknown[]} names
 * @param {number} max
 * @returns {string[]}
 */
export function uniqueLabels(names, max) {
  const seen = new Set();
  return names.map((n) => {
    const s = typeof n === 'string' ? n : JSON.stringify(n);
    const base = s.length > max ? s.slice(0, max - 1) + '…' : s;
    let label = base;
    for (let i = 2; seen.has(label); i++) label = base + ' #' + i;
    seen.add(label);
    return label;
  });
}

/**
 * The order of an entry's fields: MESSAGE first, then user fields, then trusted (_) fields,
 * then address (__) fields, each group by name (code units, like journalctl).
 * @param {string[]} names
 * @returns {string[]} a sorted copy
 */
export function sortFieldNames(names) {
  /** @param {string} n */
  const rank = (n) => (n === 'MESSAGE' ? 0 : n.startsWith('__') ? 3 : n.startsWith('_') ? 2 : 1);
  return names.slice().sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The search status line: "3 entries, newest first; more with “Older”." (null for none).
 * @param {number} n rows shown
 * @param {boolean} more whether older pages exist
 * @returns {string | null}
 */
export function resultsText(n, more) {
  if (n === 0) return null;
  return n + ' entr' + (n === 1 ? 'y' : 'ies') + ', newest first' +
    (more ? '; more with “Older”.' : '.');
}

/**
 * The freshness banner for an /api/freshness result: null when the data is fresh.
 * @param {import('./api.js').ApiResult} r
 * @returns {{kind: 'warn' | 'error', text: string} | null}
 */
export function freshnessBanner(r) {
  if (!r.ok) {
    return { kind: 'error', text: r.status === 0 ? r.message : 'Cannot read data freshness: ' + r.message };
  }
  const d = r.data;
  if (d.replica_ok === false) {
    return { kind: 'error', text: 'Replica unreachable: ' + (d.error || 'unknown error') + ' — data may be missing' };
  }
  if (!d.stale) return null;
  if (d.heartbeat == null || typeof d.age_s !== 'number') {
    return { kind: 'warn', text: 'No collector heartbeat recorded — data may be missing or old' };
  }
  const mins = d.age_s / 60;
  const age = mins < 180 ? Math.round(mins) + ' minutes'
    : fmtDuration(d.age_s).replace(' h', ' hours').replace(' d', ' days');
  return { kind: 'warn', text: 'Data is ' + age + ' old (last collector heartbeat ' + isoUs(d.heartbeat) + ')' };
}
