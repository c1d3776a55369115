// @ts-check
// The view state, held in the URL's query string so a URL can be shared and reloading it
// restores the view. This module is its only owner: pages read viewState() and change it with
// setState(); nothing else keeps a copy.
//
// parseState, queryString and linkTo are pure (test/web/state_test.mjs); the store functions
// touch location and history only when called, so the module loads in node --test.

/**
 * Every value is a string, "" when not set.
 * @typedef {{from: string, to: string, host: string, unit: string, priority: string, q: string,
 *            refresh: string, entry: string, case: string}} ViewState
 */

/** @type {ReadonlyArray<keyof ViewState>} */
export const STATE_KEYS = ['from', 'to', 'host', 'unit', 'priority', 'q', 'refresh', 'entry', 'case'];

/** The keys links to other pages keep (the time range and the refresh setting). */
export const NAV_KEYS = /** @type {const} */ (['from', 'to', 'refresh']);

/** The auto-refresh choices, in seconds ("" = off). */
export const REFRESH_CHOICES = ['', '30', '60'];

/**
 * Range presets: URL values for "from" (with "to" empty, meaning now). "" = the server's
 * default window (the 24 hours ending with the newest data).
 */
export const PRESETS = [
  { value: '', label: 'Latest data' },
  { value: 'now-1h', label: 'Last 1 hour' },
  { value: 'now-6h', label: 'Last 6 hours' },
  { value: 'now-24h', label: 'Last 24 hours' },
  { value: 'now-7d', label: 'Last 7 days' },
];

/**
 * The view state in a query string ("?from=now-1h&host=a"); values are trimmed, unknown keys
 * ignored, and a refresh other than REFRESH_CHOICES means off.
 * @param {string} search
 * @returns {ViewState}
 */
export function parseState(search) {
  const p = new URLSearchParams(search);
  const s = /** @type {ViewState} */ ({});
  for (const k of STATE_KEYS) s[k] = (p.get(k) || '').trim();
  if (!REFRESH_CHOICES.includes(s.refresh)) s.refresh = '';
  return s;
}

/**
 * The query string ("?a=1&b=2", or "" when empty) of the non-empty values of `keys` in s.
 * @param {Partial<Record<string, string>>} s
 * @param {ReadonlyArray<string>} [keys] default STATE_KEYS
 * @returns {string}
 */
export function queryString(s, keys) {
  const p = new URLSearchParams();
  for (const k of keys || STATE_KEYS) {
    const v = s[k];
    if (v) p.set(k, v);
  }
  const qs = p.toString();
  return qs ? '?' + qs : '';
}

/**
 * A link to another page that keeps s's time range and refresh setting, plus params.
 * @param {string} path e.g. "/search"
 * @param {ViewState} s
 * @param {Partial<ViewState>} [params]
 * @returns {string}
 */
export function linkTo(path, s, params) {
  return path + queryString({ from: s.from, to: s.to, refresh: s.refresh, ...params });
}

/**
 * Whether the range is one of PRESETS (rather than custom from/to times).
 * @param {ViewState} s
 * @returns {boolean}
 */
export function isPresetRange(s) {
  return !s.to && PRESETS.some((p) => p.value === s.from);
}

// ---------------------------------------------------------------------------------------------
// The store: the current state and who is told when it changes. Single-threaded (the page's
// event loop), so no locking; listeners run synchronously after every change.

const store = {
  /** @type {ViewState} */
  state: parseState(''),
  /** @type {Array<(s: ViewState) => void>} */
  listeners: [],
};

/**
 * The current view state. Treat it as read-only: change it with setState.
 * @returns {Readonly<ViewState>}
 */
export function viewState() {
  return store.state;
}

/** Reads the state from the page's URL (at start and after back/forward), then notifies. */
export function readUrlState() {
  store.state = parseState(location.search);
  notify();
}

/**
 * Merges patch into the state and records it in the URL, then notifies.
 * @param {Partial<ViewState>} patch
 * @param {boolean} push true: a new history entry (Back returns here); false: replace it
 */
export function setState(patch, push) {
  store.state = { ...store.state, ...patch };
  const url = location.pathname + queryString(store.state);
  if (url !== location.pathname + location.search) {
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }
  notify();
}

/**
 * Calls fn after every change of the state.
 * @param {(s: ViewState) => void} fn
 */
export function onStateChange(fn) {
  store.listeners.push(fn);
}

/**
 * linkTo for the current state.
 * @param {string} path
 * @param {Partial<ViewState>} [params]
 * @returns {string}
 */
export function pageUrl(path, params) {
  return linkTo(path, store.state, params);
}

function notify() {
  for (const fn of store.listeners) fn(store.state);
}
