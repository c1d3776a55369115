// @ts-check
// The header every page shares: the top bar (brand, page links, range picker, auto-refresh),
// the freshness banner, the status line (window shown, range error, last update) and the
// page-error box. The markup is built here, once, for every page: the HTML files hold only
// their own <main>.

import { api } from './api.js';
import { $, $control, h, message, setContent } from './dom.js';
import { freshnessBanner } from './format.js';
import { lagText } from './live_format.js';
import { NAV_KEYS, PRESETS, REFRESH_CHOICES, isPresetRange, onStateChange, queryString, setState, viewState } from './state.js';
import { isoUs, parseRange, resolveTime } from './time.js';

/**
 * The page links in the top bar. page: the <body data-page> that marks the link as current.
 * A new top-level page adds a row here.
 */
const NAV = [
  { page: 'overview', href: '/', id: 'nav-overview', label: 'Overview' },
  { page: 'search', href: '/search', id: 'nav-search', label: 'Search' },
  { page: 'live', href: '/live', id: 'nav-live', label: 'Live' },
  { page: 'credentials', href: '/credentials', id: 'nav-credentials', label: 'Credentials' },
];

/**
 * @param {string} id
 * @param {string} label
 */
function timeInput(id, label) {
  return h('label', null, label + ' ', h('span', { className: 'utc' }, 'UTC'), ' ',
    h('input', { type: 'text', id, className: 'time-input', placeholder: 'YYYY-MM-DDTHH:MM:SSZ', spellcheck: 'false' }));
}

/**
 * Builds the header and puts it at the top of <body>, before the page's own content.
 * @param {string} page the current page (body[data-page]), marked in the page links
 */
export function renderHeader(page) {
  const topbar = h('header', { className: 'topbar' },
    h('div', { className: 'topbar-row' },
      h('a', { className: 'brand', href: '/', dataset: { nav: '/' } }, 'infralogs'),
      h('nav', { className: 'nav', 'aria-label': 'Pages' }, NAV.map((n) =>
        h('a', { href: n.href, dataset: { nav: n.href }, id: n.id, 'aria-current': n.page === page ? 'page' : null }, n.label))),
      h('form', { id: 'range-form', className: 'range', autocomplete: 'off' },
        h('label', null, 'Range ', h('select', { id: 'range-preset', 'aria-label': 'Time range preset' },
          PRESETS.map((p) => h('option', { value: p.value }, p.label)), h('option', { value: 'custom' }, 'Custom (UTC)'))),
        timeInput('range-from', 'From'),
        timeInput('range-to', 'To'),
        h('button', { type: 'submit', className: 'btn' }, 'Apply')),
      h('label', { className: 'refresh' }, 'Auto-refresh ',
        h('select', { id: 'refresh' }, REFRESH_CHOICES.map((v) => h('option', { value: v }, v ? v + ' s' : 'off'))))));
  const banner = h('div', { id: 'freshness-banner', className: 'banner', role: 'status', 'aria-live': 'polite', hidden: true });
  const statusline = h('div', { className: 'statusline' },
    h('span', { id: 'window-info' }),
    h('span', { id: 'freshness-info', className: 'hint' }),
    h('span', { id: 'range-error', className: 'range-error', role: 'alert' }),
    h('span', { id: 'updated', className: 'updated' }));
  document.body.prepend(topbar, banner, statusline, h('div', { id: 'page-error' }));
}

/**
 * Wires the header's controls. Changing the range records it in the state and calls
 * onRange(); changing auto-refresh records it and calls onRefresh().
 * @param {{onRange: () => void, onRefresh: () => void}} hooks
 */
export function initHeader(hooks) {
  const preset = $control('range-preset');
  preset.addEventListener('change', () => {
    if (preset.value === 'custom') {
      $('range-from').focus();
      return;
    }
    setState({ from: preset.value, to: '' }, true);
    syncHeaderControls();
    hooks.onRange();
  });
  $('range-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const r = parseRange($control('range-from').value, $control('range-to').value, Date.now() * 1000);
    if (!r.ok) {
      setContent('range-error', r.message);
      return;
    }
    setState({ from: r.from, to: r.to }, true);
    syncHeaderControls();
    hooks.onRange();
  });
  $('refresh').addEventListener('change', () => {
    setState({ refresh: $control('refresh').value }, false);
    hooks.onRefresh();
  });
  onStateChange(updateNavLinks);
  syncHeaderControls();
  updateNavLinks();
}

/** Sets the header's controls from the state (after a change, or back/forward). */
export function syncHeaderControls() {
  const s = viewState();
  const isPreset = isPresetRange(s);
  $control('range-preset').value = isPreset ? s.from : 'custom';
  if (!isPreset) {
    const now = Date.now() * 1000;
    for (const [key, id] of /** @type {const} */ ([['from', 'range-from'], ['to', 'range-to']])) {
      let us = null;
      try {
        us = resolveTime(s[key], now);
      } catch (_) {
        us = null; // an unreadable URL value: reload() reports it and resets the range
      }
      $control(id).value = us == null ? '' : isoUs(us);
    }
  }
  $control('refresh').value = s.refresh;
}

/**
 * Shows the window the server used, and fills the custom inputs with it for a preset range
 * (unless the user is editing them).
 * @param {import('./charts.js').Window | undefined} w
 */
export function showWindow(w) {
  if (!w || typeof w.from !== 'number') return;
  setContent('window-info', 'Window ', h('time', null, isoUs(w.from)), ' → ', h('time', null, isoUs(w.to)),
    w.default ? ' (server default: the 24 hours up to the newest data)' : '');
  const active = document.activeElement;
  const from = $control('range-from');
  const to = $control('range-to');
  if (isPresetRange(viewState()) && active !== from && active !== to) {
    from.value = isoUs(w.from);
    to.value = isoUs(w.to);
  }
}

/** Page links keep the time range and refresh setting. */
function updateNavLinks() {
  const qs = queryString(viewState(), NAV_KEYS);
  for (const a of document.querySelectorAll('a[data-nav]')) {
    /** @type {HTMLAnchorElement} */ (a).href = /** @type {HTMLElement} */ (a).dataset.nav + qs;
  }
}

/**
 * Shows the replica state and data age in the freshness banner (hidden when fresh), and how
 * far behind live the replica is in the status line.
 * @param {AbortSignal} signal a superseded load leaves the banner alone
 */
export async function loadFreshness(signal) {
  const r = await api('/api/freshness', undefined, signal);
  if (signal.aborted) return;
  // How far behind live the replica is, on every page (the overview's freshness).
  setContent('freshness-info', r.ok ? lagText(r.data) : '');
  const banner = $('freshness-banner');
  const b = freshnessBanner(r);
  if (b == null) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  banner.className = 'banner banner-' + b.kind;
  setContent(banner, b.text);
  banner.hidden = false;
}

/**
 * Sets the status line's "Updated" time.
 * @param {number} nowUs
 */
export function showUpdated(nowUs) {
  setContent('updated', 'Updated ' + isoUs(nowUs));
}

/**
 * Shows (or, with "", clears) a range error in the status line.
 * @param {string} text
 */
export function showRangeError(text) {
  setContent('range-error', text);
}

/**
 * Shows a failure of the page's own code (not an API failure) above the page.
 * @param {string} text
 */
export function showPageError(text) {
  setContent('page-error', message('error', text));
}
