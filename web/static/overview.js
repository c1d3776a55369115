// @ts-check
// The overview page (/): fleet totals, volume and error charts, the hosts × hour heatmap,
// anomalies, top units and identifiers, and the hosts table.

import { api } from './api.js';
import { $control, message, setContent } from './dom.js';
import { drawHeatmap } from './charts.js';
import { fmtCount } from './format.js';
import { showWindow } from './header.js';
import { HOST_COLUMNS, openPick, showActivity, showActivityFailed } from './panels.js';
import { showCards, showTable } from './render.js';
import { viewState } from './state.js';
import { windowParams } from './time.js';

/** The page's own state: the last overview answer, redrawn when the heatmap metric changes. */
const view = {
  /** @type {any} */
  overview: null,
};

/** @returns {'entries' | 'errors'} */
function heatmapMetric() {
  return $control('heatmap-metric').value === 'errors' ? 'errors' : 'entries';
}

/**
 * The heatmap, a click on a cell opening the search of that host's hour (its errors when the
 * heatmap shows errors).
 * @param {any} d an /api/overview answer
 * @returns {Promise<void>}
 */
function heatmap(d) {
  const metric = heatmapMetric();
  return drawHeatmap('chart-heatmap', d.window, d.heatmap, metric,
    (host, hourUs) => openPick({ host, hourUs, errors: metric === 'errors' }));
}

function init() {
  $control('heatmap-metric').addEventListener('change', () => {
    const d = view.overview;
    if (d) heatmap(d);
  });
}

/**
 * @param {AbortSignal} signal
 */
async function load(signal) {
  const wp = windowParams(viewState(), Date.now() * 1000);
  const [ov, hosts] = await Promise.all([api('/api/overview', wp, signal), api('/api/hosts', wp, signal)]);
  if (signal.aborted) return;
  if (ov.ok) {
    const d = ov.data;
    view.overview = d;
    showWindow(d.window);
    const t = d.totals || {};
    showCards('totals', [
      ['Entries', fmtCount(t.entries)],
      ['Errors (emerg..err)', fmtCount(t.errors), t.errors > 0 ? 'card-bad' : null],
      ['Hosts', fmtCount(t.hosts)],
      ['Anomalies', fmtCount(Array.isArray(d.anomalies) ? d.anomalies.length : null)],
    ]);
    await showActivity(d, {
      host: '',
      anomaliesEmpty: 'No anomalies in this window.',
      signal,
      charts: [heatmap(d)],
    });
    if (signal.aborted) return;
  } else {
    view.overview = null;
    setContent('totals', message('error', ov.message));
    showActivityFailed(ov.short, ov.short, ['chart-heatmap']);
  }
  if (hosts.ok) {
    if (!ov.ok) showWindow(hosts.data.window);
    showTable('hosts', HOST_COLUMNS, hosts.data.hosts, 'No hosts known.',
      { id: 'hosts-table', rowClass: (r) => (r.stale ? 'stale' : null) });
  } else {
    setContent('hosts', message('error', ov.ok ? hosts.message : hosts.short));
  }
}

/** @type {import('./app.js').Page} */
export const overviewPage = { init, load };
