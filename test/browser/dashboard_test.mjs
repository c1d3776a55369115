// Browser test of the dashboard pages served by `infralogs serve` (or anything serving the same
// pages and API). Debian Chromium, headless, driven by playwright-core from web/node_modules.
//
//   node test/browser/dashboard_test.mjs --url http://127.0.0.1:PORT --artifacts DIR \
//        --expect FILE.json [--only NAME] [--chromium /usr/bin/chromium]
//
// Prints "ok NAME" or "FAIL NAME: why" per case ("skip NAME: why" for a case that does not apply),
// then exactly one line "N passed, M failed"; exits 1 if any case failed, 2 on bad usage.
// See test/browser/README.md.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// playwright-core is resolved from web/node_modules (installed by `cd web && npm ci`).
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const CASES = ['overview', 'search', 'xss', 'freshness', 'host', 'controls', 'paging', 'credentials', 'live', 'drill', 'context'];
const RUN_BUDGET_MS = 180_000; // the whole run, browser start included
const CASE_TIMEOUT_MS = 30_000;
const LONG_CASES = { drill: 60_000 }; // three pages opened, and each drill's whole search fetched
const MIN_PIXELS = 2000; // non-background pixels a chart canvas must have
const MIN_COLORED = 300; // of which saturated (data glyphs, not grey axes and text)
const CHARTS = ['chart-volume', 'chart-errors', 'chart-heatmap'];
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function usage(msg) {
  console.error('dashboard_test: ' + msg);
  console.error('usage: node test/browser/dashboard_test.mjs --url URL --artifacts DIR --expect FILE.json [--only NAME] [--chromium PATH]');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (!['--url', '--artifacts', '--expect', '--only', '--chromium'].includes(k)) usage('unknown argument ' + k);
    if (v == null) usage(k + ' needs a value');
    a[k.slice(2)] = v;
    i++;
  }
  if (!a.url || !a.artifacts || !a.expect) usage('--url, --artifacts and --expect are required');
  if (a.only && !CASES.includes(a.only)) usage('--only must be one of ' + CASES.join(', '));
  a.url = a.url.replace(/\/+$/, '');
  return a;
}

const args = parseArgs(process.argv.slice(2));
let expect;
try {
  expect = JSON.parse(fs.readFileSync(args.expect, 'utf8'));
} catch (e) {
  usage('cannot read --expect ' + args.expect + ': ' + e.message);
}
fs.mkdirSync(args.artifacts, { recursive: true });
if (!fs.existsSync(args.chromium)) usage(args.chromium + ' not found (apt-get install -y chromium)');

let passed = 0;
let failed = 0;
let finished = false;
function report(name, err) {
  if (err) { failed++; console.log('FAIL ' + name + ': ' + err); } else { passed++; console.log('ok ' + name); }
}
function summary() {
  if (finished) return;
  finished = true;
  console.log(passed + ' passed, ' + failed + ' failed');
}

class CaseFailure extends Error {}
function check(cond, why) { if (!cond) throw new CaseFailure(why); }

// --- Instrumentation per page: JS errors, console errors, CSP violations, dialogs ----------------

const pageProblems = new WeakMap();

function problemsOf(page) {
  let p = pageProblems.get(page);
  if (!p) {
    p = { pageErrors: [], consoleErrors: [], csp: [], dialogs: [] };
    pageProblems.set(page, p);
  }
  return p;
}

function watch(page) {
  const p = problemsOf(page);
  page.on('pageerror', (e) => p.pageErrors.push(String(e && e.stack ? e.stack.split('\n')[0] : e)));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const loc = m.location() || {};
    if (/\/favicon\.ico$/.test(loc.url || '')) return;
    p.consoleErrors.push({ text: m.text(), url: loc.url || '' });
  });
  page.on('dialog', (d) => {
    p.dialogs.push(d.type() + ': ' + d.message());
    d.dismiss().catch(() => {});
  });
  return p;
}

// Fails the case on any JS error, CSP violation or dialog; console errors too, except (when
// allowFailedLoads) the "Failed to load resource" lines Chromium logs for API answers like 503.
function assertClean(page, allowFailedLoads) {
  const p = problemsOf(page);
  check(p.pageErrors.length === 0, 'JavaScript error: ' + p.pageErrors.join(' | '));
  check(p.csp.length === 0, 'CSP violation: ' + p.csp.join(' | '));
  check(p.dialogs.length === 0, 'dialog opened (script ran from data?): ' + p.dialogs.join(' | '));
  const errs = p.consoleErrors.filter((c) => !(allowFailedLoads && /^Failed to load resource: the server responded with a status of 5\d\d/.test(c.text)));
  check(errs.length === 0, 'console error: ' + errs.map((c) => c.text + (c.url ? ' (' + c.url + ')' : '')).join(' | '));
}

// --- In-page helpers (run inside the page by page.evaluate) ---------------------------------------

// Counts the chart's canvas pixels that are neither transparent nor white, walking shadow roots.
function countChartPixels(id) {
  const root = document.getElementById(id);
  if (!root) return { error: 'no element #' + id };
  const canvases = [];
  (function walk(node) {
    if (node instanceof HTMLCanvasElement) canvases.push(node);
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const c of node.children || []) walk(c);
  })(root);
  let nonBackground = 0;
  let colored = 0;
  let reddish = 0; // the heatmap's palettes: reds for errors, blues for entries
  let bluish = 0;
  for (const c of canvases) {
    if (!c.width || !c.height) continue;
    // A canvas of absurd size means the layout broke (e.g. Bokeh's styles blocked by CSP).
    if (c.width * c.height > 16e6) return { error: '#' + id + ' has a ' + c.width + 'x' + c.height + ' canvas: the chart layout is broken' };
    const ctx = c.getContext('2d');
    if (!ctx) continue;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] < 16) continue;
      const r = d[i], g = d[i + 1], b = d[i + 2];
      if (r >= 250 && g >= 250 && b >= 250) continue;
      nonBackground++;
      if (Math.max(r, g, b) - Math.min(r, g, b) >= 40) colored++;
      if (r - b >= 40) reddish++;
      else if (b - r >= 40) bluish++;
    }
  }
  return { canvases: canvases.length, nonBackground, colored, reddish, bluish, state: root.dataset.state || '', text: root.textContent.slice(0, 200) };
}

// Every element of the document, shadow trees included.
function suspiciousElements(allowedScripts) {
  const found = [];
  (function walk(node) {
    for (const el of node.children || []) {
      const tag = el.tagName.toLowerCase();
      if (tag === 'img' && el.getAttribute('src') === 'x') found.push('<img src="x">');
      if (tag === 'script' && !allowedScripts.includes(el.getAttribute('src') || '')) found.push('<script src="' + (el.getAttribute('src') || '') + '">');
      for (const a of el.attributes) if (/^on/i.test(a.name)) found.push('<' + tag + ' ' + a.name + '>');
      if (['b', 'i'].includes(tag) && el.closest('td, dd, th')) found.push('<' + tag + '> inside a data cell');
      if (el.shadowRoot) walk(el.shadowRoot);
      walk(el);
    }
  })(document);
  return found;
}
const ALLOWED_SCRIPTS = ['/static/bokeh.min.js', '/static/bokeh-api.min.js', '/static/app.js'];

// --- Shared steps ---------------------------------------------------------------------------------

async function open(page, pathAndQuery) {
  const resp = await page.goto(args.url + pathAndQuery, { waitUntil: 'load', timeout: 15_000 });
  check(resp, 'no response for ' + pathAndQuery);
  check(resp.status() === 200, pathAndQuery + ' answered HTTP ' + resp.status());
  // app.js sets body[data-ready] when the first load (API calls, charts, tables) has finished.
  await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 15_000 })
    .catch(() => { throw new CaseFailure('page did not finish loading (body[data-ready] never set)'); });
}

// body[data-ready] counts finished loads: the value now, and a wait for the next one.
function readyCount(page) {
  return page.evaluate(() => document.body.dataset.ready || '');
}
async function waitForReloadAfter(page, before, what) {
  await page.waitForFunction((b) => (document.body.dataset.ready || '') !== b, before, { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('the page did not reload after ' + what); });
}

async function waitForChartPixels(page, id) {
  const deadline = Date.now() + 8000;
  let last = null;
  for (;;) {
    last = await page.evaluate(countChartPixels, id);
    if (last.error) throw new CaseFailure(last.error);
    if (last.nonBackground >= MIN_PIXELS && last.colored >= MIN_COLORED) return last;
    if (last.state === 'error' || Date.now() > deadline) break;
    await page.waitForTimeout(200);
  }
  throw new CaseFailure('#' + id + ' is not drawn: ' + last.canvases + ' canvas(es), ' + last.nonBackground
    + ' non-background px (need ' + MIN_PIXELS + '), ' + last.colored + ' coloured px (need ' + MIN_COLORED + ')'
    + (last.state ? ', state ' + last.state : '') + (last.text ? ', text "' + last.text.trim() + '"' : ''));
}

async function assertNoXss(page) {
  await page.waitForTimeout(1000);
  const xss = await page.evaluate(() => typeof window.__xss === 'undefined' ? null : String(window.__xss));
  check(xss === null, 'window.__xss was set to ' + xss + ': data ran as script');
  const bad = await page.evaluate(suspiciousElements, ALLOWED_SCRIPTS);
  check(bad.length === 0, 'elements created from data: ' + [...new Set(bad)].join(', '));
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(args.artifacts, name + '.png'), fullPage: true });
}

function searchExpect() {
  const s = expect.search;
  check(s && typeof s.host === 'string' && typeof s.q === 'string', 'expect file has no search.host / search.q');
  return s;
}

// A page's live link (`#id`): its href is /live with exactly `filter` (host, unit, priority;
// empty ones left out); following it opens the live page with that filter in its form, and
// its stream (/api/live) asks for it. Returns the href.
async function followLiveLink(page, id, filter) {
  const href = await page.locator('#' + id).getAttribute('href');
  const u = new URL(href || '', args.url);
  const want = Object.entries(filter).filter(([, v]) => v);
  check(u.pathname === '/live' && JSON.stringify([...u.searchParams].sort()) === JSON.stringify(want.sort()),
    '#' + id + ' does not link to /live with ' + JSON.stringify(Object.fromEntries(want)) + ': ' + href);
  const stream = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/live', { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('the live page opened from #' + id + ' did not ask for a stream'); });
  await page.locator('#' + id).click();
  await page.waitForURL((v) => v.pathname === '/live', { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('following #' + id + ' did not open /live: ' + page.url()); });
  await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 15_000 });
  const asked = new URL((await stream).url()).searchParams;
  for (const k of ['host', 'unit', 'priority']) {
    const v = filter[k] || '';
    check((asked.get(k) || '') === v, 'the live stream asks for ' + k + '="' + (asked.get(k) || '') + '", not "' + v + '"');
  }
  check([...asked.keys()].every((k) => ['host', 'unit', 'priority'].includes(k)), 'the live stream asks for ' + asked);
  const form = { host: await page.inputValue('#l-host'), unit: await page.inputValue('#l-unit'), priority: await page.inputValue('#l-priority') };
  for (const k of ['host', 'unit', 'priority']) {
    check(form[k] === (filter[k] || ''), 'the live form shows ' + k + '="' + form[k] + '", not "' + (filter[k] || '') + '"');
  }
  await page.waitForSelector('#live-state[data-state="live"]', { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('the live stream opened from #' + id + ' did not connect'); });
  return href;
}

// Where to click in a Bokeh chart: the viewport point of data coordinates (x in ms, y a number
// or a factor) in the figure drawn in div `id`, found through BokehJS's root views.
function chartPoint({ id, x, y }) {
  const div = document.getElementById(id);
  const B = window.Bokeh;
  if (!div || !B || !B.index) return { error: 'no #' + id + ' or no Bokeh.index' };
  div.scrollIntoView({ block: 'center' }); // the mouse clicks in the viewport
  for (const view of B.index) {
    if (!div.contains(view.el) || !view.frame) continue;
    // Frame coordinates are the canvas's; its element is the plot's own when there is no canvas view.
    const r = (view.canvas_view && view.canvas_view.el ? view.canvas_view.el : view.el).getBoundingClientRect();
    const sx = view.frame.x_scale.compute(x);
    const sy = view.frame.y_scale.compute(y);
    if (!Number.isFinite(sx) || !Number.isFinite(sy)) return { error: 'cannot place ' + x + ', ' + y + ' in #' + id };
    const px = { x: r.left + sx, y: r.top + sy };
    const hit = document.elementFromPoint(px.x, px.y);
    px.at = hit ? hit.tagName.toLowerCase() + (hit.id ? '#' + hit.id : '') : 'nothing';
    px.frame = [view.frame.bbox.left, view.frame.bbox.top, view.frame.bbox.width, view.frame.bbox.height].map(Math.round).join(',');
    px.rect = [r.left, r.top, r.width, r.height].map(Math.round).join(',');
    return px;
  }
  return { error: 'no Bokeh view in #' + id };
}

// Every entry /api/search gives for params (all pages), in the page: the oracle of a drill-down.
async function searchAllInPage(page, params) {
  return page.evaluate(async (p) => {
    const all = [];
    let after = '';
    for (let i = 0; i < 100; i++) {
      const q = new URLSearchParams({ ...p, limit: '500' });
      if (after) q.set('after', after);
      const r = await (await fetch('/api/search?' + q)).json();
      all.push(...r.entries.map((e) => ({ id: e.id, host: e.host, time: e.time })));
      if (!r.next) break;
      after = r.next;
    }
    return all;
  }, params);
}

// After a click on a chart: the search page's URL, and its rows exactly /api/search's for the
// same parameters, which are exactly the `count` entries of that hour (and host).
async function checkDrilledSearch(page, where, hourUs, host, count, priority = '') {
  await page.waitForURL(/\/search\?/, { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('the click at ' + JSON.stringify(where) + ' did not open the search (URL ' + page.url() + ')'); });
  await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 15_000 });
  const q = new URL(page.url()).searchParams;
  const from = Date.parse(q.get('from') || '') * 1000;
  const to = Date.parse(q.get('to') || '') * 1000;
  check(from === hourUs && to === hourUs + 3600e6, 'the URL does not name the hour ' + hourUs + ': ' + page.url());
  check((q.get('host') || '') === host, 'the URL does not name host "' + host + '": ' + page.url());
  check((q.get('priority') || '') === priority, 'the URL does not name priority "' + priority + '": ' + page.url());
  const params = { from: String(from), to: String(to) };
  if (host) params.host = host;
  if (priority) params.priority = priority;
  const want = await searchAllInPage(page, params);
  check(want.length === count, '/api/search has ' + want.length + ' entries for the hour, the chart counted ' + count);
  check(want.every((e) => e.time >= from && e.time < to && (!host || e.host === host)), 'an entry outside the hour or host');
  const shown = await page.evaluate(() => [...document.querySelectorAll('#results-body tr')].map((tr) => tr.dataset.id));
  check(shown.length === Math.min(100, count), 'the page shows ' + shown.length + ' rows for ' + count + ' entries');
  check(JSON.stringify(shown) === JSON.stringify(want.slice(0, shown.length).map((e) => e.id)),
    'the rows shown are not the search\'s first page');
  check((await page.locator('#f-host').inputValue()) === host, 'the host field does not show the picked host');
  return shown.length;
}

// --- Cases ------------------------------------------------------------------------------------------

async function caseOverview(page) {
  await open(page, '/');
  const info = [];
  for (const id of CHARTS) {
    const px = await waitForChartPixels(page, id);
    info.push(id + ' ' + px.nonBackground + '/' + px.colored + ' px');
  }
  const hostRows = await page.locator('#hosts-table tbody tr').count();
  check(hostRows >= 1, 'hosts table has no rows');
  await screenshot(page, 'overview');
  await assertNoXss(page);
  assertClean(page, false);
  return info.join(', ') + ', ' + hostRows + ' host rows';
}

// Index of the first results row whose message cell contains text, or -1.
function findRow(page, text) {
  return page.evaluate((t) => [...document.querySelectorAll('#results-body tr')]
    .findIndex((tr) => (tr.querySelector('td.message') || {}).textContent.includes(t)), text);
}

async function caseSearch(page) {
  const s = searchExpect();
  const want = typeof s.expect_text === 'string' ? s.expect_text : s.q;
  await open(page, '/search?' + new URLSearchParams({ host: s.host, q: s.q }));
  const rows = await page.locator('#results-body tr').count();
  check(rows >= 1, 'no results for host=' + s.host + ' q=' + s.q + ' (' + (await page.locator('#search-status').textContent()).trim() + ')');
  const i = await findRow(page, want);
  check(i >= 0, 'none of ' + rows + ' rows has a message containing "' + want + '"');
  await page.locator('#results-body tr').nth(i).click();
  await page.waitForSelector('#entry-detail #entry-fields tr[data-field="MESSAGE"]', { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('entry detail shows no MESSAGE field after clicking the row'); });
  check(await page.locator('#entry-detail').isVisible(), '#entry-detail is not visible');
  const fields = await page.locator('#entry-fields tbody tr').count();
  const msg = await page.locator('#entry-fields tr[data-field="MESSAGE"] td').textContent();
  check(msg.includes(want), 'MESSAGE in the detail panel does not contain "' + want + '": ' + msg.slice(0, 200));
  const unit = ((await page.locator('#results-body tr').nth(i).locator('td.unit').textContent()) || '').trim();
  await screenshot(page, 'search');
  await assertNoXss(page);
  assertClean(page, false);
  // The live link carries the search's host, unit and priority (not its text or range).
  const live = await followLiveLink(page, 'search-live', { host: s.host });
  check(unit && !unit.startsWith('('), 'the found row has no unit: "' + unit + '"');
  await open(page, '/search?' + new URLSearchParams({ host: s.host, unit, priority: '4', q: s.q, from: 'now-7d' }));
  const filtered = await followLiveLink(page, 'search-live', { host: s.host, unit, priority: '4' });
  assertClean(page, false);
  return rows + ' rows, ' + fields + ' fields; live links ' + live + ', ' + filtered;
}

async function caseXss(page) {
  const x = expect.xss;
  check(x && typeof x.host === 'string' && typeof x.q === 'string', 'expect file has no xss.host / xss.q');
  await open(page, '/search?' + new URLSearchParams({ host: x.host, q: x.q }));
  const cells = await page.evaluate((q) => [...document.querySelectorAll('#results-body td.message')]
    .map((td) => td.textContent).filter((t) => t.includes(q)), x.q);
  check(cells.length >= 1, 'no result row has a message containing "' + x.q + '"');
  check(cells.some((t) => t.includes('<img') || t.includes('<script')),
    'no matching message shows "<img" or "<script" as text: ' + JSON.stringify(cells.slice(0, 3)));
  await assertNoXss(page);
  // The entry detail renders every field of the hostile entry: check it too.
  const i = await findRow(page, x.q);
  await page.locator('#results-body tr').nth(i).click();
  await page.waitForSelector('#entry-fields tr[data-field="MESSAGE"]', { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('entry detail of the hostile entry did not load'); });
  const detail = await page.locator('#entry-fields tr[data-field="MESSAGE"] td').textContent();
  check(detail.includes('<img') || detail.includes('<script'), 'detail MESSAGE does not show the markup as text: ' + detail.slice(0, 200));
  await screenshot(page, 'xss');
  await assertNoXss(page);
  assertClean(page, false);
  return cells.length + ' hostile rows shown as text';
}

async function caseFreshness(page) {
  await open(page, '/');
  const banner = page.locator('#freshness-banner');
  check(await banner.isVisible(), '#freshness-banner is not visible while the replica is stopped');
  const text = (await banner.textContent()).trim();
  check(/replica/i.test(text), 'banner does not mention the replica: "' + text + '"');
  check(await page.locator('header nav a').first().isVisible(), 'header navigation is not visible');
  check(await page.locator('#range-preset option').count() > 0, 'header range picker was not set up');
  await screenshot(page, 'freshness');
  assertClean(page, true);
  return 'banner "' + text.slice(0, 100) + '"';
}

async function caseHost(page) {
  const s = searchExpect();
  await open(page, '/host?' + new URLSearchParams({ host: s.host }));
  const px = await waitForChartPixels(page, 'chart-volume');
  await screenshot(page, 'host');
  await assertNoXss(page);
  assertClean(page, false);
  const live = await followLiveLink(page, 'host-live-link', { host: s.host });
  assertClean(page, false);
  return 'chart-volume ' + px.nonBackground + '/' + px.colored + ' px; live link ' + live;
}

// The header's controls: presets, a custom range (bad, then good), back/forward, and the
// heatmap metric. Each change must reload the page through the URL-held state.
async function caseControls(page) {
  await open(page, '/');
  const windowText = (await page.locator('#window-info').textContent()).trim();
  const m = /Window (\S+) → (\S+)/.exec(windowText);
  check(m, 'no window shown in the status line: "' + windowText + '"');
  const [, from, to] = m;

  let before = await readyCount(page);
  await page.selectOption('#range-preset', 'now-6h');
  await waitForReloadAfter(page, before, 'choosing "Last 6 hours"');
  check(new URL(page.url()).searchParams.get('from') === 'now-6h', 'preset not in the URL: ' + page.url());
  check((await page.locator('#nav-search').getAttribute('href')) === '/search?from=now-6h',
    'the Search link does not keep the range: ' + (await page.locator('#nav-search').getAttribute('href')));

  await page.fill('#range-from', from);
  await page.fill('#range-to', 'bogus');
  await page.click('#range-form button[type=submit]');
  const rangeError = (await page.locator('#range-error').textContent()).trim();
  check(rangeError.includes('cannot read time "bogus"'), 'a bad "to" did not explain itself: "' + rangeError + '"');
  check(new URL(page.url()).searchParams.get('from') === 'now-6h', 'a bad range changed the URL: ' + page.url());

  before = await readyCount(page);
  await page.fill('#range-to', to.replace('T', ' ').replace(/Z$/, ''));
  await page.click('#range-form button[type=submit]');
  await waitForReloadAfter(page, before, 'applying a custom range');
  const q = new URL(page.url()).searchParams;
  check(q.get('from') === from && q.get('to') === to, 'custom range not in the URL as UTC ISO: ' + page.url());
  check((await page.locator('#range-preset').inputValue()) === 'custom', 'the preset picker does not say custom');
  check((await page.locator('#range-error').textContent()) === '', 'the range error was not cleared');
  await waitForChartPixels(page, 'chart-volume');

  const byEntries = await waitForChartPixels(page, 'chart-heatmap');
  check(byEntries.bluish > byEntries.reddish, 'the heatmap by entries is not blue: ' + JSON.stringify(byEntries));
  await page.selectOption('#heatmap-metric', 'errors');
  await page.waitForFunction(() => document.getElementById('chart-heatmap').dataset.state !== 'drawing');
  const heat = await waitForChartPixels(page, 'chart-heatmap');
  check(heat.reddish > heat.bluish, 'the heatmap by errors is not red: ' + JSON.stringify(heat));

  before = await readyCount(page);
  await page.goBack();
  await waitForReloadAfter(page, before, 'going back');
  check(new URL(page.url()).searchParams.get('from') === 'now-6h', 'Back did not restore the preset URL: ' + page.url());
  check((await page.locator('#range-preset').inputValue()) === 'now-6h', 'Back did not restore the preset picker');

  // Changes in one go: each load cancels the one before (its requests aborted); the last wins.
  before = await readyCount(page);
  await page.evaluate(() => {
    const preset = document.getElementById('range-preset');
    for (const v of ['now-1h', 'now-24h', 'now-7d', '']) {
      preset.value = v;
      preset.dispatchEvent(new Event('change'));
    }
  });
  await waitForReloadAfter(page, before, 'quick preset changes');
  check(new URL(page.url()).search === '', 'after the last preset ("Latest data") the URL still has ' + page.url());
  await page.waitForFunction((t) => document.getElementById('window-info').textContent.trim() === t, windowText,
    { timeout: 10_000 }).catch(async () => {
    throw new CaseFailure('the window shown is not the default one again: ' + (await page.locator('#window-info').textContent()));
  });
  assertClean(page, false);
  return 'heatmap by errors ' + heat.nonBackground + '/' + heat.colored + ' px';
}

// Search paging: "Older" appends the next page; Clear drops the filters; Back restores them.
async function caseSearchPaging(page) {
  const s = searchExpect();
  await open(page, '/search?' + new URLSearchParams({ host: s.host }));
  const rows = () => page.locator('#results-body tr').count();
  const first = await rows();
  check(first === 100, 'expected a first page of 100 rows for host ' + s.host + ', got ' + first);
  check(await page.locator('#older').isEnabled(), '"Older" is disabled although more entries exist');
  await page.click('#older');
  await page.waitForFunction(() => document.querySelectorAll('#results-body tr').length > 100, null, { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('"Older" added no rows'); });
  const second = await rows();
  const ids = await page.evaluate(() => [...document.querySelectorAll('#results-body tr')].map((tr) => tr.dataset.id));
  check(new Set(ids).size === ids.length, 'the older page repeats rows already shown');
  check((await page.locator('#search-status').textContent()).includes(second + ' entries'),
    'the status line does not count ' + second + ' rows');

  await page.click('#search-reset');
  await page.waitForFunction(() => !document.getElementById('search-status').textContent.includes('Searching'));
  check(new URL(page.url()).search === '', 'Clear left filters in the URL: ' + page.url());
  check((await page.locator('#f-host').inputValue()) === '', 'Clear left the host field filled');

  const before = await readyCount(page);
  await page.goBack();
  await waitForReloadAfter(page, before, 'going back');
  check((await page.locator('#f-host').inputValue()) === s.host, 'Back did not restore the host field');
  check(await rows() === 100, 'Back did not show the first page of the host\'s search again');
  const hosts = await page.evaluate(() => [...document.querySelectorAll('#results-body td.host')].map((td) => td.textContent));
  check(hosts.every((h) => h === s.host), 'Back shows rows of other hosts: ' + [...new Set(hosts)].join(', '));
  assertClean(page, false);
  return first + ' + ' + (second - first) + ' rows';
}

// The Credentials page (issue 10): linked from the header, shows serve's own MySQL user
// (expect.credentials.user) and never the password (expect.credentials.password).
async function caseCredentials(page) {
  const c = expect.credentials;
  check(c && typeof c.user === 'string', 'expect file has no credentials.user');
  await open(page, '/');
  await page.locator('#nav-credentials').click();
  await page.waitForURL(/\/credentials/, { timeout: 10_000 });
  await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 15_000 });
  const users = await page.locator('#cred-modes-table td.cred-user').allTextContents();
  check(users.some((u) => u.trim() === c.user), 'no row shows user ' + c.user + ': ' + JSON.stringify(users));
  const serveRow = (await page.locator('#cred-modes-table tbody tr').first().textContent()) || '';
  check(serveRow.includes('serve (reader)'), 'the first row is not serve\'s reader: ' + serveRow.slice(0, 200));
  if (typeof c.password === 'string' && c.password) {
    const all = await page.evaluate(() => document.documentElement.outerHTML);
    check(!all.includes(c.password), 'the page shows the password');
  }
  check(await page.locator('#nav-credentials[aria-current="page"]').count() === 1, 'the Credentials link is not marked current');
  await screenshot(page, 'credentials');
  await assertNoXss(page);
  assertClean(page, false);
  return users.length + ' credential rows';
}

// The live page: an entry committed after the page opened appears (the test's driver commits
// it once ARTIFACTS/live.ready exists), and its hostile message stays text. Paused, an entry
// committed then (after ARTIFACTS/live.paused) is counted, not shown, and Resume puts it on
// top; paused again, a burst of more entries than the page holds (after
// ARTIFACTS/live.paused-burst) is counted, the dropped ones said, and Resume shows the newest.
const LIVE_HELD = 500; // the rows the live page keeps, and holds while paused (live.html says so)
const LIVE_FILES = ['live.ready', 'live.paused', 'live.paused-burst'];

async function caseLive(page) {
  const x = expect.live;
  check(x && typeof x.message === 'string', 'expect file has no live.message');
  check(typeof x.paused_message === 'string' && typeof x.burst === 'number', 'expect file has no live.paused_message / live.burst');
  check(x.burst > LIVE_HELD, 'expect.live.burst must exceed ' + LIVE_HELD);
  for (const f of LIVE_FILES) fs.rmSync(path.join(args.artifacts, f), { force: true });
  const tell = (f) => fs.writeFileSync(path.join(args.artifacts, f), String(Date.now()));
  const messages = () => page.locator('#live-body td.msg-cell').allTextContents();
  await open(page, '/live' + (x.query || ''));
  await page.waitForSelector('#live-state[data-state="live"]', { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('the live stream did not connect'); });
  const before = await page.locator('#live-body tr').count();
  tell('live.ready');
  const started = Date.now();
  await page.waitForFunction((m) => [...document.querySelectorAll('#live-body tr')].some((tr) => tr.textContent.includes(m)),
    x.message, { timeout: 20_000 })
    .catch(() => { throw new CaseFailure('the entry committed after the page opened did not appear'); });
  const ms = Date.now() - started;
  const rows = await page.locator('#live-body tr').count();
  check(rows === before + 1, 'expected one new row, got ' + (rows - before));
  // Newest first: the new entry is the top row, its message as typed.
  const top = await page.locator('#live-body tr').first().textContent();
  check(top.includes(x.message), 'the new entry is not the top row: ' + top.slice(0, 200));
  const bad = await page.evaluate(suspiciousElements, ALLOWED_SCRIPTS);
  check(bad.length === 0, 'markup from an entry reached the DOM: ' + bad.join(', '));
  const xss = await page.evaluate(() => typeof window.__xss === 'undefined' ? null : String(window.__xss));
  check(xss === null, 'window.__xss was set to ' + xss + ': data ran as script');
  // The lag comes every second; the first after the commit names the write.
  await page.waitForFunction(() => /replica behind by/.test(document.getElementById('live-lag').textContent || ''),
    null, { timeout: 5000 })
    .catch(async () => { throw new CaseFailure('no lag shown: ' + await page.locator('#live-lag').textContent()); });

  // Pause holds new rows: the entry committed now is counted by the indicator, not shown.
  const paused = async (want, what) => {
    await page.waitForFunction((w) => (document.getElementById('live-paused').textContent || '').startsWith(w), want, { timeout: 15_000 })
      .catch(async () => { throw new CaseFailure(what + ': the paused indicator says "' + await page.locator('#live-paused').textContent() + '", not "' + want + '…"'); });
    check(await page.locator('#live-paused').isVisible(), 'the paused indicator is hidden');
    return (await page.locator('#live-paused').textContent()) || '';
  };
  await page.click('#live-pause');
  check((await page.locator('#live-pause').textContent()) === 'Resume', 'pause did not toggle');
  await paused('0 new while paused', 'just paused');
  tell('live.paused');
  const held = await paused('1 new while paused', 'an entry committed while paused');
  check(held === '1 new while paused', 'the paused indicator says more than one entry held: "' + held + '"');
  check(!(await messages()).some((t) => t.includes(x.paused_message)), 'the entry committed while paused is shown');
  check(await page.locator('#live-body tr').count() === rows, 'rows were added while paused');
  await page.click('#live-pause');
  check((await page.locator('#live-pause').textContent()) === 'Pause', 'resume did not toggle');
  check(!(await page.locator('#live-paused').isVisible()), 'the paused indicator is still shown after Resume');
  const resumed = await messages();
  check(resumed.length === rows + 1 && resumed[0].includes(x.paused_message),
    'after Resume the held entry is not the top row of ' + (rows + 1) + ': ' + JSON.stringify(resumed.slice(0, 2)));

  // A burst while paused: more than the page holds; it says how many were dropped.
  await page.click('#live-pause');
  await paused('0 new while paused', 'paused again');
  tell('live.paused-burst');
  const burstText = await paused(x.burst + ' new while paused', 'a burst of ' + x.burst + ' while paused');
  const dropped = x.burst - LIVE_HELD;
  check(burstText.includes('only the newest ' + LIVE_HELD + ' are held, ' + dropped + ' older dropped'),
    'the paused indicator does not say that ' + dropped + ' were dropped: "' + burstText + '"');
  check(!(await messages()).some((t) => t.includes('live burst')), 'burst entries are shown while paused');
  await page.click('#live-pause');
  const shown = await messages();
  check(shown.length === LIVE_HELD, 'after Resume ' + shown.length + ' rows, not the ' + LIVE_HELD + ' held');
  check(shown[0] === 'live burst ' + x.burst + '.', 'the top row is not the newest of the burst: ' + shown[0]);
  check(shown[LIVE_HELD - 1] === 'live burst ' + (dropped + 1) + '.',
    'the last row is not the oldest held: ' + shown[LIVE_HELD - 1]);
  assertClean(page, false);
  await screenshot(page, 'live');
  return 'entry shown ' + ms + ' ms after the commit was asked for; pause held one, then "' + burstText + '"';
}

// Drill-down (issue 8): a bar of the volume chart and a heatmap cell open the search of exactly
// that hour (and host); Back returns to the overview.
async function caseDrill(page) {
  await open(page, '/');
  for (const id of CHARTS) await waitForChartPixels(page, id);
  const ov = await page.evaluate(async () => (await fetch('/api/overview')).json());
  const hours = ov.volume.hours;
  let best = 0;
  const totals = hours.map((_, j) => Object.values(ov.volume.by_priority).reduce((a, s) => a + (s[j] || 0), 0));
  totals.forEach((t, j) => { if (t > totals[best]) best = j; });
  check(totals[best] > 0, 'no hour has entries');
  const hourUs = hours[best];
  // Half-way up the bar of the busiest hour.
  let pt = await page.evaluate(chartPoint, { id: 'chart-volume', x: (hourUs + 1800e6) / 1000, y: totals[best] / 2 });
  check(!pt.error, pt.error);
  await page.mouse.click(pt.x, pt.y);
  const bar = await checkDrilledSearch(page, pt, hourUs, '', totals[best]);

  await page.goBack();
  await page.waitForURL((u) => u.pathname === '/', { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('Back did not return to the overview: ' + page.url()); });
  await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 15_000 });

  // The heatmap cell of the first host in that hour (by entries).
  await waitForChartPixels(page, 'chart-heatmap');
  const host = ov.heatmap.hosts[0];
  const cell = ov.heatmap.entries[0][ov.heatmap.hours.indexOf(hourUs)];
  check(cell > 0, 'host ' + host + ' has no entries in the busiest hour');
  pt = await page.evaluate(chartPoint, { id: 'chart-heatmap', x: (hourUs + 1800e6) / 1000, y: host });
  check(!pt.error, pt.error);
  await page.mouse.click(pt.x, pt.y);
  const rows = await checkDrilledSearch(page, pt, hourUs, host, cell);
  await page.goBack();
  await page.waitForURL((u) => u.pathname === '/', { timeout: 10_000 });
  await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 15_000 });

  // The error chart: anywhere in the hour's column opens that hour's errors (priority 0..3).
  await waitForChartPixels(page, 'chart-errors');
  const errors = ov.volume.errors[best];
  check(errors > 0, 'the busiest hour has no errors');
  pt = await page.evaluate(chartPoint, { id: 'chart-errors', x: (hourUs + 1800e6) / 1000, y: errors / 2 });
  check(!pt.error, pt.error);
  await page.mouse.click(pt.x, pt.y);
  await checkDrilledSearch(page, pt, hourUs, '', errors, '3');
  await screenshot(page, 'drill');

  // A top-units row, in a range of the URL: its Errors count opens the search of that unit's
  // errors in the range, exactly the entries it counts; its name links to the same search.
  const iso = (us) => new Date(us / 1000).toISOString().replace('.000Z', 'Z');
  const range = { from: iso(ov.window.from), to: iso(ov.window.to) };
  await open(page, '/?' + new URLSearchParams(range));
  const units = await page.evaluate(() => [...document.querySelectorAll('#top-units tbody tr')].map((tr) => {
    const [name, errs] = tr.querySelectorAll('td');
    const a = errs && errs.querySelector('a');
    const n = name && name.querySelector('a');
    return { unit: name ? name.textContent : '', count: errs ? errs.textContent : '', href: a ? a.getAttribute('href') : null, nameHref: n ? n.getAttribute('href') : null };
  }));
  const k = units.findIndex((u) => u.href && u.count !== '0');
  check(k >= 0, 'no top-units row has a linked Errors count: ' + JSON.stringify(units.slice(0, 3)));
  const u = units[k];
  const ovRange = await page.evaluate(async (r) => (await fetch('/api/overview?' + new URLSearchParams(r))).json(), range);
  const topErrors = ovRange.top_units[k].errors;
  check(ovRange.top_units[k].unit === u.unit, 'row ' + k + ' is not /api/overview\'s unit ' + ovRange.top_units[k].unit + ': ' + u.unit);
  const sorted = (href) => JSON.stringify([...new URL(href, args.url).searchParams].sort());
  check(u.nameHref && sorted(u.nameHref) === sorted(u.href),
    'the unit name links elsewhere than its Errors count: ' + u.nameHref + ' vs ' + u.href);
  await page.locator('#top-units tbody tr').nth(k).locator('td').nth(1).locator('a').click();
  await page.waitForURL(/\/search\?/, { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('the Errors count of ' + u.unit + ' did not open the search (URL ' + page.url() + ')'); });
  await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 15_000 });
  const q = new URL(page.url()).searchParams;
  check(q.get('unit') === u.unit && q.get('priority') === '3' && q.get('from') === range.from && q.get('to') === range.to && !q.get('host'),
    'the URL is not ' + u.unit + '\'s errors in ' + range.from + ' → ' + range.to + ': ' + page.url());
  const want = await searchAllInPage(page, { unit: u.unit, priority: '3', ...range });
  check(want.length === topErrors, '/api/search has ' + want.length + ' error entries of ' + u.unit + ', the row counted ' + topErrors);
  const shownIds = await page.evaluate(() => [...document.querySelectorAll('#results-body tr')].map((tr) => tr.dataset.id));
  check(shownIds.length === Math.min(100, want.length), 'the page shows ' + shownIds.length + ' rows for ' + want.length + ' entries');
  check(JSON.stringify(shownIds) === JSON.stringify(want.slice(0, shownIds.length).map((e) => e.id)),
    'the rows shown are not the search\'s first page');
  assertClean(page, false);
  return 'bar: ' + totals[best] + ' entries (' + bar + ' shown), cell ' + host + ': ' + cell + ' entries (' + rows + ' shown), errors: ' + errors
    + ', unit ' + u.unit + ': ' + topErrors + ' errors (' + shownIds.length + ' shown)';
}

// Context (issue 8): the "context" link of a search result opens the entries around it, the
// entry highlighted, "Older"/"Newer" pages as /api/context gives them; hostile text stays text.
async function caseContext(page) {
  const x = expect.xss;
  check(x && typeof x.host === 'string', 'expect file has no xss.host');
  // A hostile entry: its neighbours are hostile too, so the page shows markup as text.
  await open(page, '/search?' + new URLSearchParams({ host: x.host, q: x.q }));
  const i = await findRow(page, x.q);
  check(i >= 0, 'no search result for "' + x.q + '"');
  const row = page.locator('#results-body tr').nth(i);
  const id = await row.getAttribute('data-id');
  await row.locator('a.context-link').click();
  await page.waitForURL(/\/context\?/, { timeout: 10_000 });
  await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 15_000 });
  check(new URL(page.url()).searchParams.get('entry') === id, 'the context URL does not name the entry: ' + page.url());
  const api = await page.evaluate(async (e) => (await fetch('/api/context?' + new URLSearchParams({ id: e, before: '25', after: '25' }))).json(), id);
  const ids = () => page.evaluate(() => [...document.querySelectorAll('#context-body tr')].map((tr) => tr.dataset.id));
  let shown = await ids();
  check(JSON.stringify(shown) === JSON.stringify(api.entries.map((e) => e.id)),
    'the rows are not /api/context\'s (' + shown.length + ' shown, ' + api.entries.length + ' from the API)');
  const anchors = await page.evaluate(() => [...document.querySelectorAll('#context-body tr.anchor')].map((tr) => tr.dataset.id));
  check(anchors.length === 1 && anchors[0] === id, 'the entry is not the one highlighted row: ' + JSON.stringify(anchors));
  check(await page.locator('#context-body tr.anchor').isVisible(), 'the highlighted entry is not in view');
  const messages = await page.locator('#context-body td.message').allTextContents();
  check(messages.some((t) => t.includes('<img') || t.includes('<script')), 'no hostile message shown as text');
  await assertNoXss(page);

  // Older, then Newer: each adds /api/context's next page on its side.
  const total = shown.length;
  if (api.older) {
    const older = await page.evaluate(async (c) => (await fetch('/api/context?' + new URLSearchParams({ older: c, before: '25' }))).json(), api.older);
    await page.click('#ctx-older');
    await page.waitForFunction((n) => document.querySelectorAll('#context-body tr').length > n, total, { timeout: 10_000 })
      .catch(() => { throw new CaseFailure('"Older" added no rows'); });
    shown = await ids();
    check(JSON.stringify(shown.slice(0, older.entries.length)) === JSON.stringify(older.entries.map((e) => e.id)),
      '"Older" did not put the older page first');
  }
  check(await page.locator('#ctx-newer').isEnabled(), '"Newer" is disabled, though the host has later entries');
  const before = shown.length;
  await page.click('#ctx-newer');
  await page.waitForFunction((n) => document.querySelectorAll('#context-body tr').length > n, before, { timeout: 10_000 })
    .catch(() => { throw new CaseFailure('"Newer" added no rows'); });
  shown = await ids();
  check(new Set(shown).size === shown.length, 'a page repeats rows already shown');
  const times = await page.evaluate(() => [...document.querySelectorAll('#context-body td.time')].map((td) => td.title));
  check(times.every((t, k) => k === 0 || times[k - 1] <= t), 'the rows are not oldest first');
  await page.screenshot({ path: path.join(args.artifacts, 'context.png') }); // the viewport: long messages
  await assertNoXss(page);
  assertClean(page, false);
  return shown.length + ' rows around ' + id;
}

const RUNNERS = { live: caseLive, overview: caseOverview, search: caseSearch, xss: caseXss, freshness: caseFreshness, host: caseHost,
  controls: caseControls, paging: caseSearchPaging, credentials: caseCredentials, drill: caseDrill,
  context: caseContext };

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CaseFailure(what + ' took longer than ' + ms / 1000 + ' s')), ms);
  })]).finally(() => clearTimeout(timer));
}

async function main() {
  // INFRALOGS_BROWSER_CASES=a,b: only those (to work on some cases through the C++ harness).
  const only = process.env.INFRALOGS_BROWSER_CASES;
  const selected = args.only ? [args.only] : only ? CASES.filter((c) => only.split(',').includes(c)) : CASES;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'infralogs-chromium-'));
  let context;
  const budget = setTimeout(() => {
    console.log('FAIL run: the whole run took longer than ' + RUN_BUDGET_MS / 1000 + ' s');
    failed++;
    summary();
    const closing = context ? context.close().catch(() => {}) : Promise.resolve();
    Promise.race([closing, new Promise((r) => setTimeout(r, 3000))]).finally(() => {
      fs.rmSync(profile, { recursive: true, force: true });
      process.exit(1);
    });
  }, RUN_BUDGET_MS);
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: args.chromium, headless: true, args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 }, timeout: 20_000,
    });
    // CSP violations anywhere in the page (shadow trees included; the event is composed).
    await context.exposeBinding('__infralogsTestCsp', (src, v) => { problemsOf(src.page).csp.push(v); });
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__infralogsTestCsp(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + (e.sample ? ' "' + e.sample + '"' : ''));
      }, true);
    });
    for (const name of selected) {
      if (name === 'freshness' && !expect.replica_stopped) { console.log('skip freshness: expect.replica_stopped is false'); continue; }
      if (name === 'credentials' && !expect.credentials) { console.log('skip credentials: expect.credentials is not set'); continue; }
      if (name === 'live' && !expect.live) { console.log('skip live: expect.live is not set'); continue; }
      if (name !== 'freshness' && expect.replica_stopped) { console.log('skip ' + name + ': the replica is stopped (only freshness applies)'); continue; }
      const page = await context.newPage();
      watch(page);
      page.setDefaultTimeout(10_000);
      try {
        const detail = await withTimeout(RUNNERS[name](page), LONG_CASES[name] || CASE_TIMEOUT_MS, name);
        if (detail) console.log('# ' + name + ': ' + detail);
        report(name, null);
      } catch (e) {
        let why = e instanceof CaseFailure ? e.message : (e && e.message ? e.message.split('\n')[0] : String(e));
        const js = problemsOf(page).pageErrors;
        if (js.length && !why.startsWith('JavaScript error')) why += ' (JavaScript error: ' + js.join(' | ') + ')';
        report(name, why);
        await screenshot(page, name).catch(() => {});
      } finally {
        await page.close().catch(() => {});
      }
    }
  } catch (e) {
    report('browser', 'cannot run Chromium: ' + (e && e.message ? e.message.split('\n')[0] : String(e)));
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
    clearTimeout(budget);
  }
  summary();
  process.exit(failed > 0 ? 1 : 0);
}

main();
