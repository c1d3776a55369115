// @ts-check
// The live page's pure parts (test/web/live_format_test.mjs): the stream's URL from the
// filters, the lag line, the bounded list of rows and what the pause indicator says. No DOM.

import { fmtNumber } from './format.js';

/** Rows the live page keeps in the DOM (older ones are dropped) and while paused. */
export const MAX_ROWS = 500;

/**
 * The /api/live URL for the filters (empty ones left out).
 * @param {{host?: string, unit?: string, priority?: string}} f
 * @returns {string}
 */
export function liveUrl(f) {
  const p = new URLSearchParams();
  for (const k of /** @type {const} */ (['host', 'unit', 'priority'])) {
    const v = (f[k] || '').trim();
    if (v) p.set(k, v);
  }
  const q = p.toString();
  return '/api/live' + (q ? '?' + q : '');
}

/**
 * A number of seconds for a person: "0.4 s", "12 s", "3.5 min", "2.1 h".
 * @param {number} s
 * @returns {string}
 */
export function ageText(s) {
  if (s < 10) return fmtNumber(s, 1) + ' s';
  if (s < 120) return fmtNumber(s, 0) + ' s';
  if (s < 7200) return fmtNumber(s / 60, 1) + ' min';
  return fmtNumber(s / 3600, 1) + ' h';
}

/**
 * The lag line for a `lag` event (or an /api/freshness body: same two ages).
 * @param {{replica_ok?: boolean, last_write_age_s?: number | null, newest_entry_age_s?: number | null}} lag
 * @returns {string}
 */
export function lagText(lag) {
  if (lag.replica_ok === false) return 'Replica unreachable: entries wait until it answers';
  const parts = [];
  parts.push(typeof lag.last_write_age_s === 'number'
    ? 'replica behind by ≤ ' + ageText(lag.last_write_age_s) : 'replica: no collector write yet');
  if (typeof lag.newest_entry_age_s === 'number') parts.push('newest entry ' + ageText(lag.newest_entry_age_s) + ' old');
  return parts.join(' · ');
}

/**
 * Adds `item` at the front of `list` (newest first) and drops the oldest beyond `max`;
 * returns the dropped ones (for the caller to remove from the DOM).
 * @template T
 * @param {T[]} list
 * @param {T} item
 * @param {number} [max] default MAX_ROWS
 * @returns {T[]}
 */
export function pushNewest(list, item, max) {
  list.unshift(item);
  const m = max == null ? MAX_ROWS : max;
  return list.length > m ? list.splice(m) : [];
}

/**
 * The pause indicator: how many entries came while paused and, once more came than are held
 * (`kept`, at most MAX_ROWS: pushNewest drops the oldest), that the older ones are gone.
 * @param {number} arrived entries that came since Pause
 * @param {number} kept of which held, to be shown on Resume
 * @returns {string}
 */
export function pausedText(arrived, kept) {
  const text = fmtNumber(arrived, 0) + ' new while paused';
  if (arrived <= kept) return text;
  return text + '; only the newest ' + fmtNumber(kept, 0) + ' are held, ' + fmtNumber(arrived - kept, 0)
    + ' older dropped (the search has every entry)';
}
