// @ts-check
// infralogs dashboard: the entry module of every page (/, /host, /search), loaded with
// <script type="module" src="/static/app.js"> after /static/bokeh.min.js and
// /static/bokeh-api.min.js. <body data-page> says which page this is. Native ES modules, no
// build step; every module is a flat file in web/static/, served as /static/<name>.
//
// Rules every module keeps (docs/dashboard-api.md, and the server's Content-Security-Policy):
// - Every value from the logs reaches the DOM as text (dom.js: no innerHTML, eval, inline script).
// - The view lives in the query string (state.js), so a URL can be shared and reloading it
//   restores the view.
// - An API failure (503 when the replica is down, 400, network error) replaces the affected
//   chart or table with a message (api.js never throws); it never throws out of the page.
// - A newer load cancels the requests of the one it supersedes (AbortSignal, api.js).
//
// Adding a page: write NAME.html (its <main> only; the header comes from header.js) with
// <body data-page="NAME">, write NAME.js exporting a Page, add it to PAGES below and, for a
// top-level page, a row to NAV in header.js. The server serves /static/NAME.html as it is; a
// path of its own (/NAME) is a route in src/http/dashboard_routes.cpp.

import { Superseding } from './api.js';
import { contextPage } from './context.js';
import { credentialsPage } from './credentials.js';
import { initHeader, loadFreshness, renderHeader, showPageError, showRangeError, showUpdated,
  syncHeaderControls } from './header.js';
import { hostPage } from './host.js';
import { livePage } from './live.js';
import { overviewPage } from './overview.js';
import { searchPage } from './search.js';
import { readUrlState, setState, viewState } from './state.js';
import { errorText, windowParams } from './time.js';

/**
 * A page's logic.
 * @typedef {object} Page
 * @property {() => void} [init] wires the page's own controls, once, after the header
 * @property {(signal: AbortSignal, isRefresh: boolean) => Promise<void>} load loads the page's
 *   data and draws it. signal is aborted when a newer load starts: pass it to api() and
 *   return after each await once it is aborted. isRefresh: an auto-refresh, not a user action.
 * @property {() => void} [restore] after back/forward: sets the page's controls from the state
 */

/** @type {Record<string, Page>} */
const PAGES = { overview: overviewPage, host: hostPage, search: searchPage, credentials: credentialsPage,
  live: livePage,
  context: contextPage };

const NO_PAGE = { load: async () => {} };

const loads = new Superseding();
const run = {
  /** @type {ReturnType<typeof setInterval> | null} */
  refreshTimer: null,
  loadsDone: 0, // body[data-ready]: which load finished last
};

/**
 * The page's data, loaded again (cancelling a load still running). Sets body[data-ready] when
 * done (the browser test waits on it).
 * @param {Page} page
 * @param {boolean} isRefresh
 */
async function reload(page, isRefresh) {
  const signal = loads.next();
  let rangeError = '';
  try {
    windowParams(viewState(), Date.now() * 1000);
  } catch (e) {
    rangeError = 'Time range: ' + errorText(e);
  }
  showRangeError(rangeError);
  if (rangeError) {
    setState({ from: '', to: '' }, false);
    syncHeaderControls();
  }
  try {
    await Promise.all([loadFreshness(signal), page.load(signal, isRefresh)]);
  } catch (e) {
    // A bug, not an API failure (those are handled where they happen): make it visible.
    console.error('page load failed:', e);
    showPageError('The page failed to load: ' + errorText(e));
  }
  if (!signal.aborted) {
    showUpdated(Date.now() * 1000);
    document.body.dataset.ready = String(++run.loadsDone);
  }
}

/**
 * (Re)starts the auto-refresh timer from the state.
 * @param {Page} page
 */
function scheduleRefresh(page) {
  if (run.refreshTimer) clearInterval(run.refreshTimer);
  run.refreshTimer = null;
  const secs = Number(viewState().refresh);
  if (secs > 0) run.refreshTimer = setInterval(() => reload(page, true), secs * 1000);
}

function main() {
  const name = document.body.dataset.page || '';
  const page = PAGES[name] || NO_PAGE;
  readUrlState();
  renderHeader(name);
  initHeader({ onRange: () => reload(page, false), onRefresh: () => scheduleRefresh(page) });
  window.addEventListener('popstate', () => {
    readUrlState();
    syncHeaderControls();
    scheduleRefresh(page);
    if (page.restore) page.restore();
    reload(page, false);
  });
  if (page.init) page.init();
  scheduleRefresh(page);
  reload(page, false);
}

// Module scripts run after the document is parsed, so the page's markup is there.
main();
