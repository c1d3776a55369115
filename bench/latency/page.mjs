// bench/latency/page.mjs: the browser side of bench/latency/run. Opens the live page in
// headless Debian Chromium (playwright-core from web/node_modules, launched as
// test/browser/dashboard_test.mjs does) and records, for each row the page inserts into
// #live-body, the wall-clock time of the insertion (a MutationObserver installed before any
// page script: performance.timeOrigin + performance.now(), in ms) and of the next animation
// frame after it (the frame that draws the row). measure.py maps each row to the bench entry
// by its message ("lat HOST SEQ").
//
//   node bench/latency/page.mjs --url http://127.0.0.1:PORT --path '/live?unit=bench.service' \
//        --out ROWS.jsonl --ready READY --stop STOP --status STATUS.json [--budget S] [--chromium PATH]
//
// Writes READY (Chromium's version) once the page's stream is open (#live-state "live"), then
// appends one JSON line {"m": message, "t": insert_ms, "f": frame_ms} per row to ROWS.jsonl
// (every 200 ms) until STOP exists; then writes STATUS.json (reconnects, page errors, notices,
// the page clock against node's) and exits 0. Exits 1 when the page fails or the run outlasts
// --budget seconds (default 600), 2 for bad usage.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// playwright-core is resolved from web/node_modules (installed by `cd web && npm ci`).
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

// The same flags as test/browser/dashboard_test.mjs.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DRAIN_MS = 200;
const FRAME_WAIT_MS = 5000; // a row whose frame has not come by then is written without one

function usage(msg) {
  console.error('page.mjs: ' + msg);
  console.error('usage: node bench/latency/page.mjs --url URL --path PATH --out FILE --ready FILE --stop FILE --status FILE [--budget S] [--chromium PATH]');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { chromium: process.env.CHROMIUM || '/usr/bin/chromium', budget: '600' };
  const known = ['--url', '--path', '--out', '--ready', '--stop', '--status', '--budget', '--chromium'];
  for (let i = 0; i < argv.length; i += 2) {
    if (!known.includes(argv[i])) usage('unknown argument ' + argv[i]);
    if (argv[i + 1] == null) usage(argv[i] + ' needs a value');
    a[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['url', 'path', 'out', 'ready', 'stop', 'status']) if (!a[k]) usage('--' + k + ' is required');
  if (!/^[1-9][0-9]*$/.test(a.budget)) usage('--budget must be a positive integer');
  if (!fs.existsSync(a.chromium)) usage(a.chromium + ' not found (apt-get install -y chromium)');
  a.url = a.url.replace(/\/+$/, '');
  return a;
}

// Runs in the page before its scripts: records each row added to #live-body.
function instrument() {
  const rows = [];
  const states = [];
  const clock = () => performance.timeOrigin + performance.now();
  window.__benchLatency = { rows, states };
  new MutationObserver((records) => {
    const t = clock();
    const batch = [];
    for (const r of records) {
      if (r.type === 'attributes') {
        if (r.target.id === 'live-state') states.push({ state: r.target.dataset.state, t });
        continue;
      }
      if (!r.target || r.target.id !== 'live-body') continue;
      for (const n of r.addedNodes) {
        if (n.nodeName !== 'TR') continue;
        const cell = n.querySelector('td.msg-cell');
        const row = { m: cell ? cell.textContent : n.textContent, t, f: null };
        rows.push(row);
        batch.push(row);
      }
    }
    if (batch.length) {
      requestAnimationFrame(() => {
        const f = clock();
        for (const row of batch) row.f = f;
      });
    }
  }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-state'] });
}

// Takes the rows that have their frame time (or waited long enough for it), or all of them.
function takeRows({ all, frameWaitMs }) {
  const b = window.__benchLatency;
  const now = performance.timeOrigin + performance.now();
  const out = [];
  const keep = [];
  for (const r of b.rows) {
    if (all || r.f !== null || now - r.t > frameWaitMs) out.push(r); else keep.push(r);
  }
  b.rows.length = 0;
  b.rows.push(...keep);
  return out;
}

const args = parseArgs(process.argv.slice(2));
const status = { chromium: null, rows: 0, rows_without_frame: 0, reconnects: 0, states: [], page_errors: [],
  console_errors: [], notices: [], clock_ms: null, error: null };
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'infralogs-bench-chromium-'));
let context;

function finish(code) {
  fs.writeFileSync(args.status, JSON.stringify(status) + '\n');
  const closing = context ? context.close().catch(() => {}) : Promise.resolve();
  Promise.race([closing, new Promise((r) => setTimeout(r, 5000))]).finally(() => {
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(code);
  });
}

const budget = setTimeout(() => {
  status.error = 'the run took longer than --budget ' + args.budget + ' s';
  console.error('page.mjs: ' + status.error);
  finish(1);
}, Number(args.budget) * 1000);

function append(rows) {
  if (!rows.length) return;
  status.rows += rows.length;
  status.rows_without_frame += rows.filter((r) => r.f === null).length;
  fs.appendFileSync(args.out, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

async function main() {
  fs.writeFileSync(args.out, '');
  context = await chromium.launchPersistentContext(profile, {
    executablePath: args.chromium, headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 }, timeout: 60_000,
  });
  status.chromium = context.browser() ? context.browser().version() : null;
  await context.addInitScript(instrument);
  const page = await context.newPage();
  page.on('pageerror', (e) => status.page_errors.push(String(e && e.message ? e.message : e)));
  page.on('console', (m) => { if (m.type() === 'error') status.console_errors.push(m.text()); });
  const resp = await page.goto(args.url + args.path, { waitUntil: 'load', timeout: 60_000 });
  if (!resp || resp.status() !== 200) throw new Error(args.path + ' answered ' + (resp ? 'HTTP ' + resp.status() : 'nothing'));
  await page.waitForSelector('#live-state[data-state="live"]', { timeout: 60_000 });
  fs.writeFileSync(args.ready, (status.chromium || 'chromium') + '\n');
  while (!fs.existsSync(args.stop)) {
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    append(await page.evaluate(takeRows, { all: false, frameWaitMs: FRAME_WAIT_MS }));
  }
  append(await page.evaluate(takeRows, { all: true, frameWaitMs: FRAME_WAIT_MS }));
  const st = await page.evaluate(() => ({
    states: window.__benchLatency.states,
    notice: document.getElementById('live-notice').textContent,
    date_now: Date.now(),
    perf_now: performance.timeOrigin + performance.now(),
  }));
  const node = Date.now();
  status.states = st.states;
  status.reconnects = st.states.filter((s) => s.state === 'reconnecting').length;
  if (st.notice) status.notices.push(st.notice);
  // The page clock (timeOrigin + now, what the rows carry) against Date.now() in the page and in
  // node: both differences should be a few ms at most.
  status.clock_ms = { page_perf_minus_date: Math.round((st.perf_now - st.date_now) * 10) / 10, node_minus_page_date: node - st.date_now };
}

main().then(() => { clearTimeout(budget); finish(0); }, (e) => {
  clearTimeout(budget);
  status.error = e && e.message ? e.message.split('\n')[0] : String(e);
  console.error('page.mjs: ' + status.error);
  finish(1);
});
