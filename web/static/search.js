// @ts-check
// The search page (/search): the filter form, results newest first with "Older" paging
// (keyset: the API's "next" token), and the entry detail with every field of one entry.

import { Superseding, api } from './api.js';
import { $, $control, appendAll, h, message, setContent } from './dom.js';
import { PRIORITY_NAMES, priorityChoice, priorityName, resultsText, sortFieldNames } from './format.js';
import { showWindow } from './header.js';
import { contextUrl, liveUrl } from './links.js';
import { hostLink, valueNode } from './render.js';
import { setState, viewState } from './state.js';
import { errorText, isoUs, windowParams } from './time.js';

const PAGE_SIZE = '100';

/** The page's own state (the filters themselves are in the view state). */
const view = {
  /** @type {Record<string, string> | null} the first page's parameters, window pinned, reused for "Older" */
  params: null,
  /** @type {string | null} the API's token for the next (older) page */
  next: null,
  pages: 0,
  /** @type {HTMLElement | null} */
  selectedRow: null,
};
const searches = new Superseding(); // a search and its "Older" pages
const entries = new Superseding(); // the entry shown in the detail panel

function init() {
  appendAll($('f-priority'), h('option', { value: '' }, 'any'),
    PRIORITY_NAMES.slice(0, 8).map((n, i) => h('option', { value: String(i) }, i + ' ' + n + (i < 7 ? ' and more severe' : ' (all)'))));
  restoreForm();
  $('search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    setState({ host: $control('f-host').value.trim(), unit: $control('f-unit').value.trim(),
      priority: $control('f-priority').value, q: $control('f-q').value,
      case: $control('f-case').checked ? 'exact' : '', entry: '' }, true);
    closeDetail();
    runSearch(false);
  });
  $('search-reset').addEventListener('click', () => {
    setState({ host: '', unit: '', priority: '', q: '', case: '', entry: '' }, true);
    restoreForm();
    closeDetail();
    runSearch(false);
  });
  $('older').addEventListener('click', () => loadOlder());
  $('detail-close').addEventListener('click', () => {
    closeDetail();
    setState({ entry: '' }, false);
  });
  loadHostSuggestions();
}

/** Host suggestions for the host field (values only, via option.value). */
async function loadHostSuggestions() {
  const r = await api('/api/hosts');
  if (!r.ok) return;
  const list = $('host-list');
  list.replaceChildren();
  for (const row of r.data.hosts || []) {
    if (typeof row.host === 'string') list.appendChild(h('option', { value: row.host }));
  }
}

/** Sets the form from the view state. */
function restoreForm() {
  const s = viewState();
  $control('f-host').value = s.host;
  $control('f-unit').value = s.unit;
  $control('f-q').value = s.q;
  $control('f-case').checked = s.case === 'exact';
  $control('f-priority').value = priorityChoice(s.priority);
}

/**
 * @param {AbortSignal} _signal unused: searches are superseded by newer searches (runSearch)
 * @param {boolean} isRefresh
 */
async function load(_signal, isRefresh) {
  if (isRefresh && view.pages > 1) return; // keep the older pages the user is reading
  await runSearch(isRefresh);
  const entry = viewState().entry;
  if (entry && !isRefresh) await showEntry(entry, null, false);
}

/**
 * Runs the search of the view state (first page), cancelling any search still running.
 * @param {boolean} isRefresh keep the old status line until the answer is in
 */
async function runSearch(isRefresh) {
  const signal = searches.next();
  const s = viewState();
  let wp;
  try {
    wp = windowParams(s, Date.now() * 1000);
  } catch (e) {
    setContent('search-status', message('error', errorText(e)));
    return;
  }
  const params = { ...wp, host: s.host, unit: s.unit, priority: $control('f-priority').value, q: s.q, case: s.case === 'exact' ? 'exact' : '', limit: PAGE_SIZE };
  /** @type {HTMLAnchorElement} */ ($('search-live')).href = liveUrl(params);
  view.params = params;
  if (!isRefresh) setContent('search-status', message('info', 'Searching…'));
  const r = await api('/api/search', params, signal);
  if (signal.aborted) return;
  view.pages = 1;
  $('results-body').replaceChildren();
  if (!r.ok) {
    view.next = null;
    updateOlder();
    setContent('search-status', message('error', r.message));
    return;
  }
  showWindow(r.data.window);
  // Pin the window so "Older" pages continue the same one even for "last 1h".
  if (r.data.window && typeof r.data.window.from === 'number') {
    params.from = String(r.data.window.from);
    params.to = String(r.data.window.to);
  }
  showPage(r.data);
}

/** Appends the next older page of the current search. */
async function loadOlder() {
  if (!view.next || !view.params) return;
  const signal = searches.current();
  $control('older').disabled = true;
  const r = await api('/api/search', { ...view.params, after: view.next }, signal);
  if (signal.aborted) return;
  if (!r.ok) {
    updateOlder();
    setContent('search-status', message('error', r.message));
    return;
  }
  view.pages++;
  showPage(r.data);
}

/**
 * @param {any} data an /api/search answer
 */
function showPage(data) {
  appendResults(data.entries || []);
  view.next = data.next || null;
  updateOlder();
  const n = /** @type {HTMLTableSectionElement} */ ($('results-body')).rows.length;
  if (typeof data.searched_from === 'number') {
    // The server stopped at its time budget: say how far back this is complete.
    setContent('search-status', message('info', (n ? n + ' entr' + (n === 1 ? 'y' : 'ies') + ' so far' : 'No entries so far') +
      ', searched back to ' + isoUs(data.searched_from) + '; “Older” searches on.'));
    return;
  }
  const text = resultsText(n, view.next != null);
  setContent('search-status', text == null ? message('info', 'No entries match in this window.') : h('span', null, text));
}

function updateOlder() {
  const b = $control('older');
  b.disabled = !view.next;
  b.textContent = view.next ? 'Older' : 'No older entries';
}

/**
 * @param {any[]} list entries of an /api/search answer
 */
function appendResults(list) {
  const body = $('results-body');
  for (const e of list) {
    const pname = priorityName(e.priority);
    const id = String(e.id);
    const tr = h('tr', { className: 'entry-row', tabIndex: 0, dataset: { id } },
      h('td', { className: 'time', title: isoUs(e.time, 6) }, isoUs(e.time, 3)),
      h('td', { className: 'host' }, valueNode(e.host)),
      h('td', null, h('span', { className: 'prio prio-' + pname }, pname)),
      h('td', { className: 'mono unit' }, valueNode(e.unit || null)),
      h('td', { className: 'mono ident' }, valueNode(e.identifier || null)),
      h('td', { className: 'message' }, valueNode(e.message, '(no message)')),
      // A link of its own: following it must not also open the entry detail.
      h('td', { className: 'links' }, h('a', { href: contextUrl(viewState(), id), className: 'context-link',
        title: 'the entries just before and after this one on its host', events: { click: (/** @type {Event} */ ev) => ev.stopPropagation() } }, 'context')));
    tr.addEventListener('click', () => showEntry(id, tr, true));
    tr.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        showEntry(id, tr, true);
      }
    });
    body.appendChild(tr);
  }
}

/**
 * @param {HTMLElement | null} row
 */
function selectRow(row) {
  if (view.selectedRow) view.selectedRow.classList.remove('selected');
  view.selectedRow = row;
  if (row) row.classList.add('selected');
}

/** Hides the entry detail (and cancels an entry still loading). */
function closeDetail() {
  entries.cancel();
  $('entry-detail').hidden = true;
  selectRow(null);
}

/**
 * Shows every field of entry `id` in the detail panel.
 * @param {string} id
 * @param {HTMLElement | null} row the results row to mark as selected
 * @param {boolean} fromClick record the entry in the URL
 */
async function showEntry(id, row, fromClick) {
  const signal = entries.next();
  selectRow(row);
  if (fromClick) setState({ entry: id }, false);
  $('entry-detail').hidden = false;
  setContent('detail-body', message('info', 'Loading entry…'));
  const r = await api('/api/entry', { id }, signal);
  if (signal.aborted) return;
  if (!r.ok) {
    setContent('detail-body', message('error', r.message));
    return;
  }
  const d = r.data;
  const fields = d.fields && typeof d.fields === 'object' ? d.fields : {};
  setContent('detail-body',
    h('dl', { className: 'detail-meta' },
      h('dt', null, 'Time (UTC)'), h('dd', { className: 'time' }, isoUs(d.time, 6)),
      h('dt', null, 'Host'), h('dd', null, hostLink(d.host)),
      h('dt', null, 'Entry id'), h('dd', { className: 'mono' }, valueNode(d.id)),
      h('dt', null, 'Context'), h('dd', null, h('a', { href: contextUrl(viewState(), String(d.id)), id: 'detail-context' }, 'entries before and after'))),
    h('table', { className: 'data fields', id: 'entry-fields' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Value'))),
      h('tbody', null, sortFieldNames(Object.keys(fields)).map((n) => h('tr', { dataset: { field: n } },
        h('th', { className: 'field-name', scope: 'row' }, n), h('td', { className: 'field-value' }, valueNode(fields[n], '(null)')))))));
}

/** After back/forward: the form from the state, and the detail closed if no entry is named. */
function restore() {
  restoreForm();
  if (!viewState().entry) closeDetail();
}

/** @type {import('./app.js').Page} */
export const searchPage = { init, load, restore };
