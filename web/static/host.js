// @ts-check
// The host page (/host?host=NAME): the host's summary cards and labels, its volume and error
// charts, top units and identifiers, anomalies and collection gaps.

import { api } from './api.js';
import { $, appendAll, h, message, setContent } from './dom.js';
import { chartMessage } from './charts.js';
import { fmtCount, fmtDuration } from './format.js';
import { showWindow } from './header.js';
import { GAP_COLUMNS, showActivity, showActivityFailed } from './panels.js';
import { liveUrl } from './links.js';
import { labelsNode, showCards, showTable, staleNode } from './render.js';
import { pageUrl, viewState } from './state.js';
import { isoUs, windowParams } from './time.js';

function showNoHost() {
  setContent('host-title', 'No host selected');
  setContent('host-summary', message('info', 'Open a host from the hosts table on the Overview page (this page needs ?host=NAME).'));
  for (const id of ['chart-volume', 'chart-errors']) chartMessage(id, 'info', 'No host selected.');
  for (const id of ['top-units', 'top-identifiers', 'anomalies', 'gaps']) setContent(id, '');
}

/**
 * The summary cards from the host's row of /api/hosts (undefined: not in the list).
 * @param {any} row
 */
function showSummary(row) {
  if (!row) {
    setContent('host-summary', message('warn', 'This host is not in the hosts list (unknown name, or nothing collected from it).'));
    return;
  }
  showCards('host-summary', [
    ['Entries in window', fmtCount(row.entries)],
    ['Errors in window', fmtCount(row.errors), row.errors > 0 ? 'card-bad' : null],
    ['Last entry (UTC)', h('span', { className: 'card-time' }, isoUs(row.last_entry))],
    ['Last collected (UTC)', h('span', { className: 'card-time' }, isoUs(row.last_collected))],
    ['Lag', fmtDuration(row.lag_s)],
    ['Status', staleNode(row.stale), row.stale ? 'card-bad' : null],
  ]);
  appendAll($('host-summary'), h('div', { className: 'card card-wide' }, h('div', { className: 'card-label' }, 'Labels'),
    h('div', { className: 'card-labels' }, Object.keys(row.labels || {}).length ? labelsNode(row.labels) : '—')));
}

/**
 * @param {AbortSignal} signal
 */
async function load(signal) {
  const host = viewState().host;
  if (!host) {
    showNoHost();
    return;
  }
  document.title = host + ' — infralogs';
  setContent('host-title', 'Host ', h('span', { className: 'mono' }, host));
  /** @type {HTMLAnchorElement} */ ($('host-search-link')).href = pageUrl('/search', { host });
  /** @type {HTMLAnchorElement} */ ($('host-live-link')).href = liveUrl({ host });
  const wp = windowParams(viewState(), Date.now() * 1000);
  const [ov, hosts, gaps] = await Promise.all([
    api('/api/overview', { host, ...wp }, signal),
    api('/api/hosts', wp, signal),
    api('/api/gaps', { host, ...wp }, signal),
  ]);
  if (signal.aborted) return;

  if (hosts.ok) {
    showSummary((hosts.data.hosts || []).find((/** @type {any} */ r) => r.host === host));
  } else {
    setContent('host-summary', message('error', hosts.message));
  }

  if (ov.ok) {
    showWindow(ov.data.window);
    await showActivity(ov.data, { host, anomaliesEmpty: 'No anomalies for this host in this window.', signal });
    if (signal.aborted) return;
  } else {
    showActivityFailed(hosts.ok ? ov.message : ov.short, ov.short);
  }

  if (gaps.ok) {
    showTable('gaps', GAP_COLUMNS, gaps.data.gaps, 'No gaps detected in this window.');
  } else {
    setContent('gaps', message('error', gaps.short));
  }
}

/** @type {import('./app.js').Page} */
export const hostPage = { load };
