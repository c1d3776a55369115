// @ts-check
// Panels the overview and host pages share: the activity block (volume and error charts, top
// units, top identifiers, anomalies) drawn from an /api/overview answer, and the table columns.

import { h, message, setContent } from './dom.js';
import { fmtCount, fmtDuration, fmtNumber } from './format.js';
import { chartMessage, drawErrorChart, drawVolumeChart } from './charts.js';
import { hostLink, labelsNode, showTable, staleNode, valueNode } from './render.js';
import { searchUrl } from './links.js';
import { pageUrl, viewState } from './state.js';
import { hourLabel, isoUs } from './time.js';

/** @typedef {import('./render.js').Column} Column */

/** @type {Column[]} */
export const HOST_COLUMNS = [
  { label: 'Host', cell: (r) => hostLink(r.host) },
  { label: 'Labels', cell: (r) => labelsNode(r.labels) },
  { label: 'Last entry (UTC)', cls: 'time', cell: (r) => isoUs(r.last_entry) },
  { label: 'Last collected (UTC)', cls: 'time', cell: (r) => isoUs(r.last_collected) },
  { label: 'Entries', num: true, cell: (r) => fmtCount(r.entries) },
  { label: 'Errors', num: true, cell: (r) => fmtCount(r.errors) },
  { label: 'Lag', num: true, cell: (r) => fmtDuration(r.lag_s) },
  { label: 'Status', cell: (r) => staleNode(r.stale) },
];

/**
 * A count of a top-units row, linked to the search of exactly the entries it counts (the
 * unit's, on `host`, in the view's range; errors: PRIORITY 0..3), when the unit has a name.
 * @param {any} r the row
 * @param {string} host
 * @param {boolean} errors
 * @returns {Node | string}
 */
function unitCount(r, host, errors) {
  const n = fmtCount(errors ? r.errors : r.entries);
  if (typeof r.unit !== 'string' || r.unit === '') return n;
  return h('a', { href: searchUrl(viewState(), { unit: r.unit, host, errors }), className: 'drill',
    title: 'search these ' + (errors ? 'error entries' : 'entries') }, n);
}

/**
 * Top units; each unit links to a search of its error entries (on `host`, "" for all), and
 * each count to the search of the entries it counts.
 * @param {string} host
 * @returns {Column[]}
 */
function unitColumns(host) {
  return [
    { label: 'Unit', cls: 'mono', cell: (r) => (typeof r.unit === 'string' && r.unit !== ''
      ? h('a', { href: pageUrl('/search', { unit: r.unit, host, priority: '3' }), title: 'search error entries of this unit' }, r.unit)
      : valueNode(r.unit || null, '(no unit)')) },
    { label: 'Errors', num: true, cell: (r) => unitCount(r, host, true) },
    { label: 'Entries', num: true, cell: (r) => unitCount(r, host, false) },
  ];
}

/**
 * Opens the search for a picked bar or cell (a new history entry: Back returns here).
 * @param {import('./links.js').Pick} pick
 */
export function openPick(pick) {
  location.assign(searchUrl(viewState(), pick));
}

/** @type {Column[]} */
const IDENT_COLUMNS = [
  { label: 'Identifier', cls: 'mono', cell: (r) => valueNode(r.identifier || null, '(no identifier)') },
  { label: 'Errors', num: true, cell: (r) => fmtCount(r.errors) },
  { label: 'Entries', num: true, cell: (r) => fmtCount(r.entries) },
];

/** @type {Column[]} */
const ANOMALY_COLUMNS = [
  { label: 'Host', cell: (r) => hostLink(r.host) },
  { label: 'Unit', cls: 'mono', cell: (r) => valueNode(r.unit || null, '(no unit)') },
  { label: 'Hour (UTC)', cls: 'time', cell: (r) => hourLabel(r.hour) },
  { label: 'Kind', cell: (r) => h('span', { className: 'badge badge-kind' }, valueNode(r.kind)) },
  { label: 'Value', num: true, cell: (r) => fmtNumber(r.value) },
  { label: 'Baseline', num: true, cell: (r) => fmtNumber(r.baseline, 1) },
  { label: 'Score', num: true, cell: (r) => fmtNumber(r.score, 1) },
];

/** @type {Column[]} */
export const GAP_COLUMNS = [
  { label: 'First entry after gap (UTC)', cls: 'time', cell: (r) => isoUs(r.first_entry) },
  { label: 'Reason', cell: (r) => valueNode(r.reason) },
  { label: 'Detected (UTC)', cls: 'time', cell: (r) => isoUs(r.detected) },
  { label: 'Last cursor before', cls: 'cursor', cell: (r) => valueNode(r.last_cursor) },
  { label: 'First cursor after', cls: 'cursor', cell: (r) => valueNode(r.first_cursor) },
];

const ACTIVITY_CHARTS = ['chart-volume', 'chart-errors'];
const ACTIVITY_TABLES = ['top-units', 'top-identifiers', 'anomalies'];

/**
 * Draws the activity block from an /api/overview answer d.
 * @param {any} d
 * @param {{host: string, anomaliesEmpty: string, signal: AbortSignal, charts?: Array<Promise<void>>}} o
 *   host: "" for the fleet; anomaliesEmpty: the text when there are no anomalies; signal: the
 *   page load's (once aborted, the tables are left alone); charts: the page's other chart
 *   draws, awaited with these
 * @returns {Promise<void>} settles when the charts are drawn; never rejects
 */
export async function showActivity(d, o) {
  await Promise.all([
    drawVolumeChart('chart-volume', d.window, d.volume, (hourUs) => openPick({ hourUs, host: o.host })),
    drawErrorChart('chart-errors', d.window, d.volume, (hourUs) => openPick({ hourUs, host: o.host, errors: true })),
    ...(o.charts || []),
  ]);
  if (o.signal.aborted) return;
  showTable('top-units', unitColumns(o.host), d.top_units, 'No units in this window.');
  showTable('top-identifiers', IDENT_COLUMNS, d.top_identifiers, 'No identifiers in this window.');
  showTable('anomalies', ANOMALY_COLUMNS, d.anomalies, o.anomaliesEmpty);
}

/**
 * Shows a failure in place of the activity block's charts (and extraCharts) and tables.
 * @param {string} chartText
 * @param {string} tableText
 * @param {string[]} [extraCharts]
 */
export function showActivityFailed(chartText, tableText, extraCharts) {
  for (const id of [...ACTIVITY_CHARTS, ...(extraCharts || [])]) chartMessage(id, 'error', chartText);
  for (const id of ACTIVITY_TABLES) setContent(id, message('error', tableText));
}
