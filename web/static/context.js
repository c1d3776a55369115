// @ts-check
// The context page (/context?entry=ID[&unit=U]): the entries just before and after one entry
// on its host (optionally of its unit only), in journal order, the entry highlighted, with
// "Older" and "Newer" paging from /api/context's cursors. Everything from the logs is text.

import { Superseding, api } from './api.js';
import { $, $control, h, message, setContent } from './dom.js';
import { priorityName } from './format.js';
import { liveUrl } from './links.js';
import { valueNode } from './render.js';
import { setState, viewState } from './state.js';
import { isoUs } from './time.js';

const PAGE_SIZE = '25';

/** The page's own state: the cursors of the entries shown, and the entry's own unit. */
const view = {
  /** @type {string | null} */
  older: null,
  /** @type {string | null} */
  newer: null,
  /** @type {string | null} the highlighted entry's unit, for "same unit only" */
  unit: null,
};
const loads = new Superseding(); // the first page and its "Older"/"Newer" pages

function init() {
  $('ctx-older').addEventListener('click', () => more('older'));
  $('ctx-newer').addEventListener('click', () => more('newer'));
  $('ctx-same-unit').addEventListener('change', () => {
    const on = $control('ctx-same-unit').checked;
    setState({ unit: on && view.unit ? view.unit : '' }, true);
    show(loads.next());
  });
}

/**
 * @param {AbortSignal} _signal unused: this page's loads supersede each other (show)
 * @param {boolean} isRefresh
 */
async function load(_signal, isRefresh) {
  if (isRefresh) return; // the entries around one entry do not change
  await show(loads.next());
}

/**
 * A row of the table.
 * @param {any} e an entry of /api/context
 * @param {boolean} anchor the highlighted entry
 */
function row(e, anchor) {
  const pname = priorityName(e.priority);
  return h('tr', { className: anchor ? 'entry-row anchor' : 'entry-row', dataset: { id: String(e.id) },
    'aria-current': anchor ? 'true' : null },
  h('td', { className: 'time', title: isoUs(e.time, 6) }, isoUs(e.time, 6)),
  h('td', null, h('span', { className: 'prio prio-' + pname }, pname)),
  h('td', { className: 'mono unit' }, valueNode(e.unit || null)),
  h('td', { className: 'mono ident' }, valueNode(e.identifier || null)),
  // Long messages scroll in their cell: the rows around stay in view.
  h('td', { className: 'message' }, h('div', { className: 'clamp' }, valueNode(e.message, '(no message)'))));
}

function updateButtons() {
  const older = $control('ctx-older');
  older.disabled = !view.older;
  older.textContent = view.older ? 'Older' : 'No older entries';
  const newer = $control('ctx-newer');
  newer.disabled = !view.newer;
  newer.textContent = view.newer ? 'Newer' : 'No newer entries';
}

function showCount() {
  const n = /** @type {HTMLTableSectionElement} */ ($('context-body')).rows.length;
  const unit = viewState().unit;
  setContent('context-status', h('span', null, n + ' entries' + (unit ? ' of unit ' : ''), unit ? h('span', { className: 'mono' }, unit) : null));
}

/**
 * The entry of the view state with the entries around it.
 * @param {AbortSignal} signal
 */
async function show(signal) {
  const s = viewState();
  view.older = view.newer = null;
  updateButtons();
  if (!s.entry) {
    $('context-body').replaceChildren();
    setContent('context-status', message('info', 'No entry selected: open one from the search results ("context").'));
    return;
  }
  setContent('context-status', message('info', 'Loading…'));
  const r = await api('/api/context', { id: s.entry, before: PAGE_SIZE, after: PAGE_SIZE, unit: s.unit }, signal);
  if (signal.aborted) return;
  const body = $('context-body');
  body.replaceChildren();
  if (!r.ok) {
    setContent('context-status', message('error', r.message));
    return;
  }
  const d = r.data;
  /** @type {HTMLElement | null} */
  let anchorRow = null;
  for (const e of d.entries || []) {
    const isAnchor = e.id === d.anchor;
    const tr = row(e, isAnchor);
    if (isAnchor) {
      anchorRow = tr;
      view.unit = typeof e.unit === 'string' ? e.unit : null;
    }
    body.appendChild(tr);
  }
  view.older = d.older || null;
  view.newer = d.newer || null;
  updateButtons();
  const host = typeof d.host === 'string' ? d.host : '';
  setContent('context-title', 'Context on ', h('span', { className: 'mono' }, valueNode(d.host)));
  /** @type {HTMLAnchorElement} */ ($('context-live')).href = liveUrl({ host, unit: s.unit });
  const box = $control('ctx-same-unit');
  box.disabled = view.unit == null;
  box.checked = Boolean(s.unit);
  setContent('ctx-unit', view.unit == null ? '(the entry has no unit)' : '(' + view.unit + ')');
  showCount();
  if (anchorRow) anchorRow.scrollIntoView({ block: 'center' });
}

/**
 * Adds the next page older or newer than the rows shown.
 * @param {'older' | 'newer'} side
 */
async function more(side) {
  const cursor = view[side];
  if (!cursor) return;
  const signal = loads.current();
  $control(side === 'older' ? 'ctx-older' : 'ctx-newer').disabled = true;
  const params = side === 'older' ? { older: cursor, before: PAGE_SIZE } : { newer: cursor, after: PAGE_SIZE };
  const r = await api('/api/context', { ...params, unit: viewState().unit }, signal);
  if (signal.aborted) return;
  if (!r.ok) {
    updateButtons();
    setContent('context-status', message('error', r.message));
    return;
  }
  const rows = (r.data.entries || []).map((/** @type {any} */ e) => row(e, false));
  const body = $('context-body');
  if (side === 'older') body.prepend(...rows);
  else body.append(...rows);
  view[side] = r.data[side] || null;
  updateButtons();
  showCount();
}

/** @type {import('./app.js').Page} */
export const contextPage = { init, load };
