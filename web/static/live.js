// @ts-check
// The live page (/live): the newest entries matching host/unit/priority (in the URL), pushed
// by serve over Server-Sent Events (/api/live, docs/dashboard-api.md), newest first, at most
// MAX_ROWS in the DOM. Pause keeps the stream and holds new rows (at most MAX_ROWS, the newest;
// the indicator says when older ones were dropped) until Resume. The browser's EventSource reconnects by itself with Last-Event-ID, so a dropped
// connection loses nothing while serve still buffers the entries. Every value is text (dom.js).

import { $, $control, appendAll, h, message, setContent } from './dom.js';
import { PRIORITY_NAMES, priorityChoice, priorityName } from './format.js';
import { MAX_ROWS, lagText, liveUrl, pausedText, pushNewest } from './live_format.js';
import { hostLink, valueNode } from './render.js';
import { linkTo, setState, viewState } from './state.js';
import { isoUs } from './time.js';

const live = {
  /** @type {EventSource | null} */
  source: null,
  url: '',
  paused: false,
  /** @type {any[]} entries held while paused, newest first */
  held: [],
  /** entries that came while paused, the dropped ones included */
  arrived: 0,
  /** @type {HTMLElement[]} rows in the DOM, newest first */
  rows: [],
};

/**
 * @param {'connecting' | 'live' | 'reconnecting' | 'stopped'} state
 * @param {string} text
 */
function showState(state, text) {
  const e = $('live-state');
  e.dataset.state = state;
  e.textContent = text;
}

/**
 * A table row for an entry event's data.
 * @param {any} e
 * @returns {HTMLElement}
 */
function entryRow(e) {
  const s = viewState();
  return h('tr', { className: typeof e.priority === 'number' && e.priority <= 3 ? 'row-error' : null, dataset: { id: String(e.id) } },
    h('td', { className: 'col-time' }, h('a', { href: linkTo('/search', s, { host: typeof e.host === 'string' ? e.host : '', entry: String(e.id) }) }, isoUs(e.time, 3))),
    h('td', { className: 'col-host' }, typeof e.host === 'string' ? hostLink(e.host) : valueNode(e.host)),
    h('td', { className: 'col-prio' }, priorityName(e.priority)),
    h('td', { className: 'col-unit' }, valueNode(e.unit)),
    h('td', { className: 'col-ident' }, valueNode(e.identifier)),
    h('td', { className: 'msg-cell' }, valueNode(e.message), e.truncated ? h('span', { className: 'hint' }, ' (cut; the entry has it whole)') : null));
}

/** @param {any} e */
function addEntry(e) {
  if (live.paused) {
    pushNewest(live.held, e);
    live.arrived++;
    $('live-paused').textContent = pausedText(live.arrived, live.held.length);
    return;
  }
  const row = entryRow(e);
  const body = $('live-body');
  body.insertBefore(row, body.firstChild);
  for (const old of pushNewest(live.rows, row, MAX_ROWS)) old.remove();
}

/** @param {MessageEvent} ev */
function parse(ev) {
  try {
    return JSON.parse(ev.data);
  } catch (e) {
    return null;
  }
}

function connect() {
  const s = viewState();
  const url = liveUrl({ host: s.host, unit: s.unit, priority: s.priority });
  if (live.source && live.url === url) return;
  if (live.source) live.source.close();
  live.url = url;
  live.rows = [];
  live.held = [];
  live.arrived = 0;
  if (live.paused) $('live-paused').textContent = pausedText(0, 0);
  setContent('live-body');
  setContent('live-notice');
  showState('connecting', 'Connecting…');
  const src = new EventSource(url);
  live.source = src;
  src.addEventListener('open', () => showState('live', 'Live'));
  src.addEventListener('entry', (ev) => {
    const e = parse(/** @type {MessageEvent} */ (ev));
    if (e) addEntry(e);
  });
  src.addEventListener('lag', (ev) => {
    const lag = parse(/** @type {MessageEvent} */ (ev));
    if (lag) $('live-lag').textContent = lagText(lag);
  });
  src.addEventListener('reset', (ev) => {
    const r = parse(/** @type {MessageEvent} */ (ev));
    setContent('live-notice', message('warn', 'Some entries may be missing here: ' + (r && r.reason ? r.reason : 'the stream started over')));
  });
  src.addEventListener('warning', () => {
    setContent('live-notice', message('warn', 'The newest stored entries could not be read (database unavailable); new ones still come.'));
  });
  src.addEventListener('end', () => showState('reconnecting', 'Serve is stopping; reconnecting…'));
  src.addEventListener('error', () => {
    // EventSource retries by itself (with Last-Event-ID) unless the server refused the stream.
    if (src.readyState === EventSource.CLOSED) {
      showState('stopped', 'Stopped');
      setContent('live-notice', message('error', 'The live stream was refused (too many streams, or a bad filter). Reload to try again.'));
    } else {
      showState('reconnecting', 'Reconnecting…');
    }
  });
}

function togglePause() {
  live.paused = !live.paused;
  const b = $control('live-pause');
  b.textContent = live.paused ? 'Resume' : 'Pause';
  b.setAttribute('aria-pressed', String(live.paused));
  $('live-paused').hidden = !live.paused;
  $('live-paused').textContent = live.paused ? pausedText(0, 0) : '';
  if (!live.paused) {
    const held = live.held.reverse(); // oldest first, so the newest ends up on top
    live.held = [];
    live.arrived = 0;
    for (const e of held) addEntry(e);
  }
}

function restore() {
  const s = viewState();
  $control('l-host').value = s.host;
  $control('l-unit').value = s.unit;
  $control('l-priority').value = priorityChoice(s.priority);
}

/** @type {import('./app.js').Page} */
export const livePage = {
  init() {
    appendAll($('l-priority'), h('option', { value: '' }, 'any'),
      PRIORITY_NAMES.slice(0, 8).map((n, i) => h('option', { value: String(i) }, i + ' ' + n + (i < 7 ? ' and more severe' : ' (all)'))));
    restore();
    $('live-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      setState({ host: $control('l-host').value.trim(), unit: $control('l-unit').value.trim(),
        priority: $control('l-priority').value }, true);
      connect();
    });
    $('live-pause').addEventListener('click', togglePause);
  },
  restore,
  async load() {
    connect();
  },
};
