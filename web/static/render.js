// @ts-check
// Values from the API as DOM nodes, and the generic pieces every page uses: tables, cards,
// host links, labels. Everything from the logs is text (dom.js); log values may be strings,
// null, byte arrays ({"bytes": [...]} or [...]) or arrays of those (repeated fields).

import { h, message, setContent } from './dom.js';
import { escapeBytes, isByteArray } from './format.js';
import { pageUrl } from './state.js';

/**
 * @param {number[]} bytes
 * @returns {HTMLElement}
 */
function binaryNode(bytes) {
  return h('span', { className: 'binary' },
    h('span', { className: 'badge badge-binary', title: bytes.length + ' bytes, not printable UTF-8' }, 'binary'),
    ' ', h('span', { className: 'bytes' }, escapeBytes(bytes)));
}

/**
 * A value from the API, always rendered as text: a string, null (shown as emptyText, default
 * "—"), a number, {"bytes": [...]} or a byte array (escaped, with a "binary" badge), or (entry
 * fields) an array of those for a repeated field. Anything else is shown as its JSON.
 * @param {unknown} v
 * @param {string} [emptyText]
 * @returns {Node}
 */
export function valueNode(v, emptyText) {
  if (v == null) return h('span', { className: 'null' }, emptyText == null ? '—' : emptyText);
  if (typeof v === 'string') return document.createTextNode(v);
  if (typeof v === 'number' || typeof v === 'boolean') return document.createTextNode(String(v));
  if (isByteArray(v)) return binaryNode(v);
  if (typeof v === 'object' && !Array.isArray(v) && isByteArray(/** @type {any} */ (v).bytes)) {
    return binaryNode(/** @type {any} */ (v).bytes);
  }
  if (Array.isArray(v)) {
    return h('ol', { className: 'repeated', title: 'repeated field: ' + v.length + ' values' },
      v.map((x) => h('li', null, valueNode(x, emptyText))));
  }
  return document.createTextNode(JSON.stringify(v));
}

/**
 * A table column: label for the header, cell(row) for the content; num: right-aligned
 * numbers; cls: extra cell classes.
 * @typedef {{label: string, num?: boolean, cls?: string, cell: (row: any) => Node | string}} Column
 */

/**
 * @param {Column[]} columns
 * @param {any[]} rows
 * @param {{id?: string, className?: string, rowClass?: (row: any) => string | null}} [opts]
 * @returns {HTMLElement}
 */
export function table(columns, rows, opts) {
  const o = opts || {};
  return h('table', { className: 'data' + (o.className ? ' ' + o.className : ''), id: o.id },
    h('thead', null, h('tr', null, columns.map((c) => h('th', { className: c.num ? 'num' : null, scope: 'col' }, c.label)))),
    h('tbody', null, rows.map((r) => h('tr', { className: o.rowClass ? o.rowClass(r) : null },
      columns.map((c) => h('td', { className: [c.num ? 'num' : '', c.cls || ''].join(' ').trim() || null }, c.cell(r)))))));
}

/**
 * Shows rows as a table in the element targetId, or emptyText when there are none (or rows
 * is not an array).
 * @param {string} targetId
 * @param {Column[]} columns
 * @param {unknown} rows
 * @param {string} emptyText
 * @param {Parameters<typeof table>[2]} [opts]
 */
export function showTable(targetId, columns, rows, emptyText, opts) {
  if (!Array.isArray(rows) || rows.length === 0) {
    setContent(targetId, message('info', emptyText));
    return;
  }
  setContent(targetId, table(columns, rows, opts));
}

/**
 * Summary cards: [label, value, extra class (e.g. "card-bad") or null].
 * @param {string} targetId
 * @param {Array<[string, Node | string, (string | null)?]>} cards
 */
export function showCards(targetId, cards) {
  setContent(targetId, cards.map(([label, value, cls]) =>
    h('div', { className: 'card' + (cls ? ' ' + cls : '') }, h('div', { className: 'card-label' }, label),
      h('div', { className: 'card-value' }, value))));
}

/**
 * A link to the host's page (keeping the time range), or the value as text if it is not a
 * string.
 * @param {unknown} host
 * @returns {Node}
 */
export function hostLink(host) {
  if (typeof host !== 'string') return valueNode(host);
  return h('a', { href: pageUrl('/host', { host }), className: 'host-link' }, host);
}

/**
 * A host's labels as key=value chips ("" when there are none to show).
 * @param {unknown} labels
 * @returns {Node | string}
 */
export function labelsNode(labels) {
  if (!labels || typeof labels !== 'object') return '';
  return h('span', { className: 'labels' }, Object.entries(labels).map(([k, v]) =>
    h('span', { className: 'label-chip', title: k + '=' + (typeof v === 'string' ? v : JSON.stringify(v)) },
      h('span', { className: 'label-key' }, k), '=', valueNode(v))));
}

/**
 * A "stale" or "ok" badge.
 * @param {unknown} stale
 * @returns {HTMLElement}
 */
export function staleNode(stale) {
  return stale
    ? h('span', { className: 'badge badge-stale', title: 'the collector has not stored anything for this host within the stale threshold' }, 'stale')
    : h('span', { className: 'badge badge-ok' }, 'ok');
}
