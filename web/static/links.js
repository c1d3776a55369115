// @ts-check
// Links from one view to the entries behind it: the search for exactly what a chart bar, a
// heatmap cell or a top-units row counts (drill-down), the context of an entry, and the live
// view with a filter. Pure (test/web/links_test.mjs): URLs only, no DOM.

import { linkTo, queryString } from './state.js';
import { HOUR_US, isoUs } from './time.js';

/**
 * What a click on a picture picked: one hour (its start, µs), and optionally a host, a unit
 * and errors only (PRIORITY 0..3, what the error chart and the heatmap by errors count).
 * @typedef {{hourUs?: number, host?: string, unit?: string, errors?: boolean}} Pick
 */

/**
 * The search for exactly the entries a pick counts. With an hour, its window is that hour,
 * [start, start + 1 h) as the hourly rollups count it, as UTC ISO times; without one, the
 * view's range is kept. The refresh setting is kept.
 * @param {import('./state.js').ViewState} s
 * @param {Pick} pick
 * @returns {string}
 */
export function searchUrl(s, pick) {
  /** @type {Partial<import('./state.js').ViewState>} */
  const params = { host: pick.host || '', unit: pick.unit || '', priority: pick.errors ? '3' : '' };
  if (typeof pick.hourUs === 'number' && Number.isFinite(pick.hourUs)) {
    params.from = isoUs(pick.hourUs);
    params.to = isoUs(pick.hourUs + HOUR_US);
  }
  return linkTo('/search', s, params);
}

/**
 * The context page of an entry (its id from /api/search), optionally keeping to a unit.
 * @param {import('./state.js').ViewState} s
 * @param {string} id
 * @param {string} [unit]
 * @returns {string}
 */
export function contextUrl(s, id, unit) {
  return linkTo('/context', s, { entry: id, unit: unit || '' });
}

/**
 * The live view (/live) with a filter: host, unit and priority as the search has them.
 * @param {{host?: string, unit?: string, priority?: string}} filter
 * @returns {string}
 */
export function liveUrl(filter) {
  return '/live' + queryString({ host: filter.host || '', unit: filter.unit || '', priority: filter.priority || '' },
    ['host', 'unit', 'priority']);
}
