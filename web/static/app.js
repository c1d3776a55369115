// infralogs dashboard: the logic of every page (/, /host, /search).
//
// Loaded after /static/bokeh.min.js and /static/bokeh-api.min.js by each page; <body data-page>
// says which page this is. Plain ES2020, no modules, no build step.
//
// Rules this file keeps (docs/dashboard-api.md, and the server's Content-Security-Policy):
// - Every value that comes from the logs (messages, units, identifiers, hosts, field names and
//   values, labels) reaches the DOM through textContent, createTextNode or element.value. There is
//   no innerHTML, insertAdjacentHTML, document.write, eval or new Function anywhere here.
// - Bokeh hover tooltips use plain "@column" fields, which BokehJS escapes (never "{safe}").
// - The view lives in the query string (from, to, host, unit, priority, q, refresh, entry), so a
//   URL can be shared and reloading it restores the view.
// - An API failure (503 when the replica is down, 400, network error) replaces the affected
//   chart or table with a message; it never throws out of the page.
'use strict';

(function () {
  // ---------------------------------------------------------------------------------------------
  // Constants

  const PRIORITY_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', 'none'];
  const PRIORITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug', 'none'];
  // Fixed palette, most severe first; "none" (no PRIORITY field) is a neutral grey.
  const PRIORITY_COLORS = ['#4a0d1f', '#8e0c25', '#c62828', '#ef5350', '#ffa726', '#ffd54f',
    '#64b5f6', '#90a4ae', '#cfd8dc'];
  const BLUES = ['#f4f8fc', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5',
    '#08519c', '#08306b'];
  const REDS = ['#fdf5f4', '#fee0d2', '#fcbba1', '#fc9272', '#fb6a4a', '#ef3b2c', '#cb181d',
    '#a50f15', '#67000d'];
  const ERROR_COLOR = '#c62828';
  const HOUR_US = 3600e6;
  const HOUR_MS = 3600e3;

  // Range presets: URL values for "from" (with "to" left empty, meaning now). "" = the server's
  // default window (the 24 hours ending with the newest data).
  const PRESETS = [
    { value: '', label: 'Latest data' },
    { value: 'now-1h', label: 'Last 1 hour' },
    { value: 'now-6h', label: 'Last 6 hours' },
    { value: 'now-24h', label: 'Last 24 hours' },
    { value: 'now-7d', label: 'Last 7 days' },
  ];
  const STATE_KEYS = ['from', 'to', 'host', 'unit', 'priority', 'q', 'refresh', 'entry'];

  // ---------------------------------------------------------------------------------------------
  // DOM helpers. h() sets only safe properties; text children become text nodes.

  const PROPS = new Set(['className', 'textContent', 'href', 'value', 'id', 'title', 'type',
    'hidden', 'colSpan', 'tabIndex', 'disabled', 'name', 'selected', 'htmlFor', 'placeholder']);

  function h(tag, props, ...children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v == null || v === false) continue;
        if (/html/i.test(k) || /^on/i.test(k)) throw new Error('h(): refusing property ' + k);
        if (k === 'dataset') Object.assign(e.dataset, v);
        else if (k === 'events') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
        else if (PROPS.has(k)) e[k] = v;
        else e.setAttribute(k, String(v));
      }
    }
    appendAll(e, children);
    return e;
  }

  function appendAll(parent, ...children) {
    for (const c of children.flat(Infinity)) {
      if (c == null || c === false) continue;
      parent.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return parent;
  }

  function $(id) { return document.getElementById(id); }

  function setContent(target, ...children) {
    const e = typeof target === 'string' ? $(target) : target;
    if (!e) return null;
    e.replaceChildren();
    return appendAll(e, children);
  }

  function message(kind, text) {
    return h('div', { className: 'msg msg-' + kind, role: kind === 'error' ? 'alert' : null }, text);
  }

  // ---------------------------------------------------------------------------------------------
  // Formatting

  function isoUs(us, digits) {
    if (typeof us !== 'number' || !Number.isFinite(us)) return '—';
    try {
      const s = new Date(Math.floor(us / 1000)).toISOString(); // 2024-05-01T10:00:00.123Z
      if (digits === 3) return s;
      if (digits === 6) {
        const frac = String(((us % 1e6) + 1e6) % 1e6).padStart(6, '0');
        return s.slice(0, 19) + '.' + frac + 'Z';
      }
      return s.slice(0, 19) + 'Z';
    } catch (_) { // RangeError for times outside Date's range: show the raw number.
      return String(us);
    }
  }

  function hourLabel(us) {
    const s = isoUs(us);
    return s.length === 20 ? s.slice(0, 16) + 'Z' : s;
  }

  function fmtCount(n) {
    return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
  }

  function fmtNumber(n, digits) {
    if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
    return Number.isInteger(n) ? n.toLocaleString('en-US')
      : n.toLocaleString('en-US', { maximumFractionDigits: digits == null ? 2 : digits });
  }

  function fmtDuration(s) {
    if (typeof s !== 'number' || !Number.isFinite(s)) return '—';
    const a = Math.abs(s);
    if (a < 60) return s.toFixed(a < 10 ? 1 : 0) + ' s';
    if (a < 3 * 3600) return (s / 60).toFixed(0) + ' min';
    if (a < 72 * 3600) return (s / 3600).toFixed(1) + ' h';
    return (s / 86400).toFixed(1) + ' d';
  }

  function priorityName(p) {
    return typeof p === 'number' && p >= 0 && p <= 7 ? PRIORITY_NAMES[p] : 'none';
  }

  // Bytes as text: printable ASCII stays, a backslash doubles, every other byte is \xNN.
  function escapeBytes(bytes) {
    let out = '';
    for (const b of bytes) {
      const n = Number(b) & 0xff;
      if (n === 0x5c) out += '\\\\';
      else if (n >= 0x20 && n <= 0x7e) out += String.fromCharCode(n);
      else out += '\\x' + n.toString(16).padStart(2, '0');
    }
    return out;
  }

  function isByteArray(v) {
    return Array.isArray(v) && v.every((x) => typeof x === 'number');
  }

  function binaryNode(bytes) {
    return h('span', { className: 'binary' },
      h('span', { className: 'badge badge-binary', title: bytes.length + ' bytes, not printable UTF-8' }, 'binary'),
      ' ', h('span', { className: 'bytes' }, escapeBytes(bytes)));
  }

  // A value from the API: a string, null, {"bytes": [...]}, a byte array, or (entry fields) an
  // array of those for a repeated field. Always rendered as text.
  function valueNode(v, emptyText) {
    if (v == null) return h('span', { className: 'null' }, emptyText == null ? '—' : emptyText);
    if (typeof v === 'string') return document.createTextNode(v);
    if (typeof v === 'number' || typeof v === 'boolean') return document.createTextNode(String(v));
    if (isByteArray(v)) return binaryNode(v);
    if (typeof v === 'object' && !Array.isArray(v) && isByteArray(v.bytes)) return binaryNode(v.bytes);
    if (Array.isArray(v)) {
      return h('ol', { className: 'repeated', title: 'repeated field: ' + v.length + ' values' },
        v.map((x) => h('li', null, valueNode(x, emptyText))));
    }
    return document.createTextNode(JSON.stringify(v));
  }

  // ---------------------------------------------------------------------------------------------
  // URL state

  let state = readState();

  function readState() {
    const p = new URLSearchParams(location.search);
    const s = {};
    for (const k of STATE_KEYS) s[k] = (p.get(k) || '').trim();
    if (s.refresh !== '30' && s.refresh !== '60') s.refresh = '';
    return s;
  }

  function queryString(s, keys) {
    const p = new URLSearchParams();
    for (const k of keys || STATE_KEYS) if (s[k]) p.set(k, s[k]);
    const qs = p.toString();
    return qs ? '?' + qs : '';
  }

  // Merges patch into the state and records it in the URL (push: a new history entry).
  function setState(patch, push) {
    state = Object.assign({}, state, patch);
    const url = location.pathname + queryString(state);
    if (url !== location.pathname + location.search) {
      history[push ? 'pushState' : 'replaceState'](null, '', url);
    }
    updateNavLinks();
  }

  // A URL time value -> µs since the epoch. Accepts "now", "now-<n>[mhd]", µs digits, "@SECONDS"
  // and ISO 8601 (UTC when no zone is given). Throws on anything else.
  function resolveTime(v, nowUs) {
    if (!v) return null;
    let m = /^now(?:-(\d+)([mhd]))?$/.exec(v);
    if (m) {
      const unit = { m: 60e6, h: 3600e6, d: 86400e6 }[m[2]] || 0;
      return nowUs - (m[1] ? Number(m[1]) * unit : 0);
    }
    if (/^\d+$/.test(v)) return Number(v);
    m = /^@(\d+(?:\.\d+)?)$/.exec(v);
    if (m) return Math.round(Number(m[1]) * 1e6);
    let iso = v;
    if (/^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?)?$/.test(iso)) iso += iso.length === 10 ? 'T00:00:00Z' : 'Z';
    const ms = Date.parse(iso);
    if (!/^\d{4}-\d\d-\d\d/.test(v) || Number.isNaN(ms)) throw new Error('cannot read time "' + v + '"');
    return ms * 1000;
  }

  // The window parameters for the API, from the state: {} for the server default.
  function windowParams() {
    const now = Date.now() * 1000;
    const out = {};
    const from = resolveTime(state.from, now);
    let to = resolveTime(state.to, now);
    if (from != null && to == null && state.from.startsWith('now')) to = now;
    if (from != null) out.from = String(Math.floor(from));
    if (to != null) out.to = String(Math.floor(to));
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // API

  // Returns {ok: true, data} or {ok: false, status, message}; never throws.
  async function api(path, params) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v != null && v !== '') url.searchParams.set(k, v);
    }
    let resp;
    try {
      resp = await fetch(url.toString(), { headers: { Accept: 'application/json' }, cache: 'no-store' });
    } catch (e) {
      const msg = 'Dashboard server unreachable (' + e.message + ')';
      return { ok: false, status: 0, message: msg, short: msg };
    }
    let body = null;
    try { body = await resp.json(); } catch (_) { body = null; }
    if (!resp.ok) {
      const err = body && typeof body.error === 'string' ? body.error : 'HTTP ' + resp.status;
      let msg;
      let short = null; // for the second and later places a page shows the same failure
      if (resp.status === 503) {
        msg = 'Replica unavailable: ' + err + ' — this data cannot be shown right now.';
        short = 'Replica unavailable — this data cannot be shown right now.';
      }
      else if (resp.status === 400) msg = 'Bad request' + (body && body.parameter ? ' (parameter "' + body.parameter + '")' : '') + ': ' + err;
      else if (resp.status === 404) msg = 'Not found: ' + err;
      else msg = 'Request failed (HTTP ' + resp.status + '): ' + err;
      return { ok: false, status: resp.status, message: msg, short: short || msg };
    }
    if (body == null || typeof body !== 'object') {
      return { ok: false, status: resp.status, message: 'The server answered with something that is not JSON.' };
    }
    return { ok: true, data: body };
  }

  // ---------------------------------------------------------------------------------------------
  // Header: nav, range picker, auto-refresh, freshness banner

  function initHeader() {
    const preset = $('range-preset');
    appendAll(preset, PRESETS.map((p) => h('option', { value: p.value }, p.label)),
      h('option', { value: 'custom' }, 'Custom (UTC)'));
    syncHeaderControls();

    preset.addEventListener('change', () => {
      if (preset.value === 'custom') { $('range-from').focus(); return; }
      setState({ from: preset.value, to: '' }, true);
      syncHeaderControls();
      reload();
    });
    $('range-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = normTime($('range-from').value);
      const t = normTime($('range-to').value);
      const now = Date.now() * 1000;
      let fu, tu;
      try {
        fu = resolveTime(f, now);
        tu = resolveTime(t, now);
      } catch (e) {
        setContent('range-error', 'Time range: ' + e.message + ' (use UTC ISO 8601, e.g. 2024-05-01T10:00:00Z)');
        return;
      }
      if (fu != null && tu != null && fu >= tu) { setContent('range-error', 'Time range: "from" must be before "to"'); return; }
      // Stored normalized ("2024-05-01T10:00:00Z") so shared URLs read the same everywhere.
      setState({ from: fu == null ? '' : isoUs(fu), to: tu == null ? '' : isoUs(tu) }, true);
      syncHeaderControls();
      reload();
    });
    $('refresh').addEventListener('change', () => {
      setState({ refresh: $('refresh').value }, false);
      scheduleRefresh();
    });
    window.addEventListener('popstate', () => {
      state = readState();
      syncHeaderControls();
      scheduleRefresh();
      if (page.restore) page.restore();
      reload();
    });
    updateNavLinks();
  }

  // A typed time: "2024-05-01 10:00" becomes "2024-05-01T10:00"; a missing zone means UTC.
  function normTime(v) {
    return v.trim().replace(/^(\d{4}-\d\d-\d\d) +(\d)/, '$1T$2');
  }

  function syncHeaderControls() {
    const preset = $('range-preset');
    const isPreset = PRESETS.some((p) => p.value === state.from) && !state.to;
    preset.value = isPreset ? state.from : 'custom';
    const now = Date.now() * 1000;
    for (const [key, id] of [['from', 'range-from'], ['to', 'range-to']]) {
      if (!isPreset) {
        let us = null;
        try { us = resolveTime(state[key], now); } catch (_) { us = null; }
        $(id).value = us == null ? '' : isoUs(us);
      }
    }
    $('refresh').value = state.refresh;
  }

  // Shows the window the server used, and fills the custom inputs with it (unless being edited).
  function showWindow(w) {
    if (!w || typeof w.from !== 'number') return;
    const isPreset = PRESETS.some((p) => p.value === state.from) && !state.to;
    setContent('window-info', 'Window ', h('time', null, isoUs(w.from)), ' → ', h('time', null, isoUs(w.to)),
      w.default ? ' (server default: the 24 hours up to the newest data)' : '');
    const active = document.activeElement;
    if (isPreset && active !== $('range-from') && active !== $('range-to')) {
      $('range-from').value = isoUs(w.from);
      $('range-to').value = isoUs(w.to);
    }
  }

  // Nav links keep the time range and refresh setting.
  function updateNavLinks() {
    const qs = queryString(state, ['from', 'to', 'refresh']);
    for (const a of document.querySelectorAll('a[data-nav]')) a.href = a.dataset.nav + qs;
  }

  let refreshTimer = null;
  function scheduleRefresh() {
    if (refreshTimer) clearInterval(refreshTimer);
    refreshTimer = null;
    const secs = Number(state.refresh);
    if (secs > 0) refreshTimer = setInterval(() => reload(true), secs * 1000);
  }

  async function loadFreshness() {
    const banner = $('freshness-banner');
    const r = await api('/api/freshness');
    let text = null;
    let kind = 'warn';
    if (!r.ok) {
      text = r.status === 0 ? r.message : 'Cannot read data freshness: ' + r.message;
      kind = 'error';
    } else if (r.data.replica_ok === false) {
      text = 'Replica unreachable: ' + (r.data.error || 'unknown error') + ' — data may be missing';
      kind = 'error';
    } else if (r.data.stale) {
      const hb = r.data.heartbeat;
      if (hb == null || typeof r.data.age_s !== 'number') {
        text = 'No collector heartbeat recorded — data may be missing or old';
      } else {
        const mins = r.data.age_s / 60;
        const age = mins < 180 ? Math.round(mins) + ' minutes' : fmtDuration(r.data.age_s).replace(' h', ' hours').replace(' d', ' days');
        text = 'Data is ' + age + ' old (last collector heartbeat ' + isoUs(hb) + ')';
      }
    }
    if (text == null) {
      banner.hidden = true;
      banner.replaceChildren();
    } else {
      banner.className = 'banner banner-' + kind;
      setContent(banner, text);
      banner.hidden = false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Charts (BokehJS)

  const chartViews = new Map(); // div id -> Bokeh view, removed before redrawing

  function bokehReady() {
    return typeof window.Bokeh === 'object' && window.Bokeh.Plotting && window.Bokeh.ColumnDataSource;
  }

  function clearChart(id) {
    const view = chartViews.get(id);
    if (view) {
      try { view.remove(); } catch (_) { /* already detached: nothing to clean up */ }
      chartViews.delete(id);
    }
    const el = $(id);
    if (el) el.replaceChildren();
    return el;
  }

  function chartMessage(id, kind, text) {
    const el = clearChart(id);
    if (!el) return;
    el.dataset.state = kind === 'error' ? 'error' : 'empty';
    el.appendChild(message(kind, text));
  }

  // Builds a figure with build(Bokeh) and shows it in the div; failures become a message.
  async function drawChart(id, build) {
    const el = clearChart(id);
    if (!el) return;
    if (!bokehReady()) {
      chartMessage(id, 'error', 'Charts unavailable: BokehJS did not load (/static/bokeh.min.js, /static/bokeh-api.min.js).');
      return;
    }
    el.dataset.state = 'drawing';
    try {
      const fig = build(window.Bokeh);
      const view = await window.Bokeh.Plotting.show(fig, el);
      chartViews.set(id, view);
      el.dataset.state = 'ready';
    } catch (e) {
      console.error('chart ' + id + ':', e);
      chartMessage(id, 'error', 'Chart failed: ' + (e && e.message ? e.message : String(e)));
    }
  }

  function baseFigure(B, w, opts) {
    const attrs = Object.assign({
      height: 260,
      sizing_mode: 'stretch_width',
      x_axis_type: 'datetime',
      tools: 'xpan,xwheel_zoom,box_zoom,reset,save',
      toolbar_location: 'above',
      background_fill_color: '#ffffff',
      border_fill_color: '#ffffff',
      outline_line_color: '#d5dae1',
      min_border_left: 50,
    }, opts || {});
    if (w && typeof w.from === 'number' && typeof w.to === 'number' && w.to > w.from && !attrs.x_range) {
      attrs.x_range = new B.Range1d({ start: w.from / 1000, end: w.to / 1000 });
    }
    const p = B.Plotting.figure(attrs);
    p.xgrid.grid_line_color = null;
    p.ygrid.grid_line_color = '#e8ebef';
    p.axis.axis_line_color = '#9aa5b1';
    p.axis.major_tick_line_color = '#9aa5b1';
    p.axis.minor_tick_line_color = null;
    p.axis.major_label_text_color = '#3e4c59';
    p.toolbar.logo = null;
    return p;
  }

  function hourLabels(hours) { return hours.map(hourLabel); }

  // Stacked bars of entries per hour by priority (emerg at the bottom).
  function drawVolumeChart(id, w, volume) {
    const hours = volume && Array.isArray(volume.hours) ? volume.hours : [];
    if (hours.length === 0) { chartMessage(id, 'info', 'No entries in this window.'); return; }
    return drawChart(id, (B) => {
      const data = { x: hours.map((u) => (u + HOUR_US / 2) / 1000), hour: hourLabels(hours), total: [] };
      const bottom = hours.map(() => 0);
      PRIORITY_KEYS.forEach((k, i) => {
        const counts = hours.map((_, j) => {
          const v = volume.by_priority && volume.by_priority[k] ? volume.by_priority[k][j] : 0;
          return typeof v === 'number' ? v : 0;
        });
        data['n_' + i] = counts;
        data['b_' + i] = bottom.slice();
        counts.forEach((c, j) => { bottom[j] += c; });
        data['t_' + i] = bottom.slice();
      });
      data.total = bottom.slice();
      const source = new B.ColumnDataSource({ data });
      const p = baseFigure(B, w, { y_axis_label: 'entries / hour' });
      const items = [];
      PRIORITY_KEYS.forEach((k, i) => {
        const r = p.vbar({
          x: { field: 'x' }, width: HOUR_MS * 0.85, bottom: { field: 'b_' + i }, top: { field: 't_' + i },
          source, fill_color: PRIORITY_COLORS[i], line_color: null,
        });
        items.push(new B.LegendItem({ label: PRIORITY_NAMES[i], renderers: [r] }));
      });
      const legend = new B.Legend({ items: items.reverse(), location: 'top_left', click_policy: 'hide',
        label_text_font_size: '11px', glyph_width: 14, glyph_height: 12, spacing: 2, border_line_color: null });
      p.add_layout(legend, 'right');
      const tooltips = [['hour (UTC)', '@hour'], ['total', '@total']];
      PRIORITY_KEYS.forEach((k, i) => tooltips.push([PRIORITY_NAMES[i], '@n_' + i]));
      p.add_tools(new B.HoverTool({ tooltips }));
      return p;
    });
  }

  // Errors (PRIORITY 0..3) per hour: a line over a light area.
  function drawErrorChart(id, w, volume) {
    const hours = volume && Array.isArray(volume.hours) ? volume.hours : [];
    if (hours.length === 0) { chartMessage(id, 'info', 'No entries in this window.'); return; }
    return drawChart(id, (B) => {
      const errors = hours.map((_, j) => (volume.errors && typeof volume.errors[j] === 'number' ? volume.errors[j] : 0));
      const source = new B.ColumnDataSource({ data: {
        x: hours.map((u) => (u + HOUR_US / 2) / 1000), hour: hourLabels(hours), errors, zero: errors.map(() => 0),
      } });
      const p = baseFigure(B, w, { height: 200, y_axis_label: 'errors / hour' });
      p.varea({ x: { field: 'x' }, y1: { field: 'zero' }, y2: { field: 'errors' }, source, fill_color: ERROR_COLOR, fill_alpha: 0.15 });
      p.line({ x: { field: 'x' }, y: { field: 'errors' }, source, line_color: ERROR_COLOR, line_width: 2 });
      const dots = p.scatter({ x: { field: 'x' }, y: { field: 'errors' }, source, size: 5, fill_color: '#ffffff', line_color: ERROR_COLOR });
      p.add_tools(new B.HoverTool({ renderers: [dots], mode: 'vline',
        tooltips: [['hour (UTC)', '@hour'], ['errors', '@errors']] }));
      return p;
    });
  }

  // Short, unique axis labels for hosts (long or hostile names would squash the plot); the full
  // name is in the hover.
  function uniqueLabels(names, max) {
    const seen = new Set();
    return names.map((n) => {
      const s = typeof n === 'string' ? n : JSON.stringify(n);
      let base = s.length > max ? s.slice(0, max - 1) + '…' : s;
      let label = base;
      for (let i = 2; seen.has(label); i++) label = base + ' #' + i;
      seen.add(label);
      return label;
    });
  }

  function drawHeatmap(id, w, heat, metric) {
    const hosts = heat && Array.isArray(heat.hosts) ? heat.hosts : [];
    const hours = heat && Array.isArray(heat.hours) ? heat.hours : [];
    if (hosts.length === 0 || hours.length === 0) { chartMessage(id, 'info', 'No hosts with entries in this window.'); return; }
    return drawChart(id, (B) => {
      const labels = uniqueLabels(hosts, 28);
      const data = { x: [], y: [], host: [], hour: [], entries: [], errors: [], value: [] };
      let max = 0;
      hosts.forEach((host, i) => {
        hours.forEach((u, j) => {
          const e = heat.entries && heat.entries[i] && typeof heat.entries[i][j] === 'number' ? heat.entries[i][j] : 0;
          const r = heat.errors && heat.errors[i] && typeof heat.errors[i][j] === 'number' ? heat.errors[i][j] : 0;
          const v = metric === 'errors' ? r : e;
          data.x.push((u + HOUR_US / 2) / 1000);
          data.y.push(labels[i]);
          data.host.push(String(host));
          data.hour.push(hourLabel(u));
          data.entries.push(e);
          data.errors.push(r);
          data.value.push(v);
          if (v > max) max = v;
        });
      });
      const source = new B.ColumnDataSource({ data });
      const mapper = new B.LinearColorMapper({ palette: metric === 'errors' ? REDS : BLUES, low: 0, high: Math.max(max, 1) });
      const p = baseFigure(B, w, {
        height: Math.max(160, 60 + 26 * hosts.length),
        y_range: new B.FactorRange({ factors: labels.slice().reverse() }),
        tools: 'xpan,xwheel_zoom,reset,save',
      });
      p.ygrid.grid_line_color = null;
      p.rect({ x: { field: 'x' }, y: { field: 'y' }, width: HOUR_MS, height: 0.92, source,
        fill_color: { field: 'value', transform: mapper }, line_color: null });
      p.add_layout(new B.ColorBar({ color_mapper: mapper, width: 10, label_standoff: 6,
        major_label_text_font_size: '10px', title: metric === 'errors' ? 'errors' : 'entries' }), 'right');
      p.add_tools(new B.HoverTool({ tooltips: [['host', '@host'], ['hour (UTC)', '@hour'],
        ['entries', '@entries'], ['errors', '@errors']] }));
      return p;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Tables

  // columns: [{label, num?: bool, cell: (row) => Node|string}]
  function table(columns, rows, opts) {
    const o = opts || {};
    return h('table', { className: 'data' + (o.className ? ' ' + o.className : ''), id: o.id },
      h('thead', null, h('tr', null, columns.map((c) => h('th', { className: c.num ? 'num' : null, scope: 'col' }, c.label)))),
      h('tbody', null, rows.map((r) => h('tr', { className: o.rowClass ? o.rowClass(r) : null },
        columns.map((c) => h('td', { className: [c.num ? 'num' : '', c.cls || ''].join(' ').trim() || null }, c.cell(r)))))));
  }

  function showTable(targetId, columns, rows, emptyText, opts) {
    if (!Array.isArray(rows) || rows.length === 0) { setContent(targetId, message('info', emptyText)); return; }
    setContent(targetId, table(columns, rows, opts));
  }

  function pageUrl(path, params) {
    const s = Object.assign({}, { from: state.from, to: state.to, refresh: state.refresh }, params);
    return path + queryString(s);
  }

  function hostLink(host) {
    if (typeof host !== 'string') return valueNode(host);
    return h('a', { href: pageUrl('/host', { host }), className: 'host-link' }, host);
  }

  function labelsNode(labels) {
    if (!labels || typeof labels !== 'object') return '';
    return h('span', { className: 'labels' }, Object.entries(labels).map(([k, v]) =>
      h('span', { className: 'label-chip', title: k + '=' + (typeof v === 'string' ? v : JSON.stringify(v)) },
        h('span', { className: 'label-key' }, k), '=', valueNode(v))));
  }

  function staleNode(stale) {
    return stale ? h('span', { className: 'badge badge-stale', title: 'the collector has not stored anything for this host within the stale threshold' }, 'stale')
      : h('span', { className: 'badge badge-ok' }, 'ok');
  }

  const HOST_COLUMNS = [
    { label: 'Host', cell: (r) => hostLink(r.host) },
    { label: 'Labels', cell: (r) => labelsNode(r.labels) },
    { label: 'Last entry (UTC)', cls: 'time', cell: (r) => isoUs(r.last_entry) },
    { label: 'Last collected (UTC)', cls: 'time', cell: (r) => isoUs(r.last_collected) },
    { label: 'Entries', num: true, cell: (r) => fmtCount(r.entries) },
    { label: 'Errors', num: true, cell: (r) => fmtCount(r.errors) },
    { label: 'Lag', num: true, cell: (r) => fmtDuration(r.lag_s) },
    { label: 'Status', cell: (r) => staleNode(r.stale) },
  ];

  function unitColumns(withSearchLink) {
    return [
      { label: 'Unit', cls: 'mono', cell: (r) => (withSearchLink && typeof r.unit === 'string' && r.unit !== ''
        ? h('a', { href: pageUrl('/search', { unit: r.unit, host: withSearchLink.host || '', priority: '3' }), title: 'search error entries of this unit' }, r.unit)
        : valueNode(r.unit || null, '(no unit)')) },
      { label: 'Errors', num: true, cell: (r) => fmtCount(r.errors) },
      { label: 'Entries', num: true, cell: (r) => fmtCount(r.entries) },
    ];
  }

  const IDENT_COLUMNS = [
    { label: 'Identifier', cls: 'mono', cell: (r) => valueNode(r.identifier || null, '(no identifier)') },
    { label: 'Errors', num: true, cell: (r) => fmtCount(r.errors) },
    { label: 'Entries', num: true, cell: (r) => fmtCount(r.entries) },
  ];

  const ANOMALY_COLUMNS = [
    { label: 'Host', cell: (r) => hostLink(r.host) },
    { label: 'Unit', cls: 'mono', cell: (r) => valueNode(r.unit || null, '(no unit)') },
    { label: 'Hour (UTC)', cls: 'time', cell: (r) => hourLabel(r.hour) },
    { label: 'Kind', cell: (r) => h('span', { className: 'badge badge-kind' }, valueNode(r.kind)) },
    { label: 'Value', num: true, cell: (r) => fmtNumber(r.value) },
    { label: 'Baseline', num: true, cell: (r) => fmtNumber(r.baseline, 1) },
    { label: 'Score', num: true, cell: (r) => fmtNumber(r.score, 1) },
  ];

  function totalsCards(targetId, cards) {
    setContent(targetId, cards.map(([label, value, cls]) =>
      h('div', { className: 'card' + (cls ? ' ' + cls : '') }, h('div', { className: 'card-label' }, label),
        h('div', { className: 'card-value' }, value))));
  }

  // ---------------------------------------------------------------------------------------------
  // Overview page

  async function loadOverview(gen) {
    const wp = windowParams();
    const [ov, hosts] = await Promise.all([api('/api/overview', wp), api('/api/hosts', wp)]);
    if (!current(gen)) return;
    if (ov.ok) {
      const d = ov.data;
      showWindow(d.window);
      const t = d.totals || {};
      totalsCards('totals', [['Entries', fmtCount(t.entries)], ['Errors (emerg..err)', fmtCount(t.errors), t.errors > 0 ? 'card-bad' : null],
        ['Hosts', fmtCount(t.hosts)], ['Anomalies', fmtCount(Array.isArray(d.anomalies) ? d.anomalies.length : null)]]);
      lastOverview = d;
      await Promise.all([
        drawVolumeChart('chart-volume', d.window, d.volume),
        drawErrorChart('chart-errors', d.window, d.volume),
        drawHeatmap('chart-heatmap', d.window, d.heatmap, $('heatmap-metric').value),
      ]);
      showTable('top-units', unitColumns({}), d.top_units, 'No units in this window.');
      showTable('top-identifiers', IDENT_COLUMNS, d.top_identifiers, 'No identifiers in this window.');
      showTable('anomalies', ANOMALY_COLUMNS, d.anomalies, 'No anomalies in this window.');
    } else {
      lastOverview = null;
      setContent('totals', message('error', ov.message));
      for (const id of ['chart-volume', 'chart-errors', 'chart-heatmap']) chartMessage(id, 'error', ov.short);
      for (const id of ['top-units', 'top-identifiers', 'anomalies']) setContent(id, message('error', ov.short));
    }
    if (hosts.ok) {
      if (!ov.ok) showWindow(hosts.data.window);
      showTable('hosts', HOST_COLUMNS, hosts.data.hosts, 'No hosts known.', { id: 'hosts-table', rowClass: (r) => (r.stale ? 'stale' : null) });
    } else {
      setContent('hosts', message('error', ov.ok ? hosts.message : hosts.short));
    }
  }

  let lastOverview = null;

  function initOverview() {
    $('heatmap-metric').addEventListener('change', () => {
      if (lastOverview) drawHeatmap('chart-heatmap', lastOverview.window, lastOverview.heatmap, $('heatmap-metric').value);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Host page

  async function loadHost(gen) {
    const host = state.host;
    if (!host) {
      setContent('host-title', 'No host selected');
      setContent('host-summary', message('info', 'Open a host from the hosts table on the Overview page (this page needs ?host=NAME).'));
      for (const id of ['chart-volume', 'chart-errors']) chartMessage(id, 'info', 'No host selected.');
      for (const id of ['top-units', 'top-identifiers', 'anomalies', 'gaps']) setContent(id, '');
      return;
    }
    document.title = host + ' — infralogs';
    setContent('host-title', 'Host ', h('span', { className: 'mono' }, host));
    $('host-search-link').href = pageUrl('/search', { host });
    const wp = windowParams();
    const [ov, hosts, gaps] = await Promise.all([
      api('/api/overview', Object.assign({ host }, wp)), api('/api/hosts', wp), api('/api/gaps', Object.assign({ host }, wp)),
    ]);
    if (!current(gen)) return;

    if (hosts.ok) {
      const row = (hosts.data.hosts || []).find((r) => r.host === host);
      if (row) {
        totalsCards('host-summary', [
          ['Entries in window', fmtCount(row.entries)], ['Errors in window', fmtCount(row.errors), row.errors > 0 ? 'card-bad' : null],
          ['Last entry (UTC)', h('span', { className: 'card-time' }, isoUs(row.last_entry))],
          ['Last collected (UTC)', h('span', { className: 'card-time' }, isoUs(row.last_collected))],
          ['Lag', fmtDuration(row.lag_s)], ['Status', staleNode(row.stale), row.stale ? 'card-bad' : null],
        ]);
        appendAll($('host-summary'), h('div', { className: 'card card-wide' }, h('div', { className: 'card-label' }, 'Labels'),
          h('div', { className: 'card-labels' }, Object.keys(row.labels || {}).length ? labelsNode(row.labels) : '—')));
      } else {
        setContent('host-summary', message('warn', 'This host is not in the hosts list (unknown name, or nothing collected from it).'));
      }
    } else {
      setContent('host-summary', message('error', hosts.message));
    }

    if (ov.ok) {
      const d = ov.data;
      showWindow(d.window);
      await Promise.all([drawVolumeChart('chart-volume', d.window, d.volume), drawErrorChart('chart-errors', d.window, d.volume)]);
      showTable('top-units', unitColumns({ host }), d.top_units, 'No units in this window.');
      showTable('top-identifiers', IDENT_COLUMNS, d.top_identifiers, 'No identifiers in this window.');
      showTable('anomalies', ANOMALY_COLUMNS, d.anomalies, 'No anomalies for this host in this window.');
    } else {
      for (const id of ['chart-volume', 'chart-errors']) chartMessage(id, 'error', hosts.ok ? ov.message : ov.short);
      for (const id of ['top-units', 'top-identifiers', 'anomalies']) setContent(id, message('error', ov.short));
    }

    if (gaps.ok) {
      showTable('gaps', [
        { label: 'First entry after gap (UTC)', cls: 'time', cell: (r) => isoUs(r.first_entry) },
        { label: 'Reason', cell: (r) => valueNode(r.reason) },
        { label: 'Detected (UTC)', cls: 'time', cell: (r) => isoUs(r.detected) },
        { label: 'Last cursor before', cls: 'cursor', cell: (r) => valueNode(r.last_cursor) },
        { label: 'First cursor after', cls: 'cursor', cell: (r) => valueNode(r.first_cursor) },
      ], gaps.data.gaps, 'No gaps detected in this window.');
    } else {
      setContent('gaps', message('error', gaps.short));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Search page

  let searchParams = null; // the parameters of the first page, reused (resolved) for "Older"
  let searchNext = null;
  let searchPages = 0;
  let selectedRow = null;

  function initSearch() {
    const sel = $('f-priority');
    appendAll(sel, h('option', { value: '' }, 'any'),
      PRIORITY_NAMES.slice(0, 8).map((n, i) => h('option', { value: String(i) }, i + ' ' + n + (i < 7 ? ' and more severe' : ' (all)'))));
    restoreSearchForm();
    $('search-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      setState({ host: $('f-host').value.trim(), unit: $('f-unit').value.trim(), priority: $('f-priority').value,
        q: $('f-q').value, entry: '' }, true);
      closeDetail();
      runSearch();
    });
    $('search-reset').addEventListener('click', () => {
      setState({ host: '', unit: '', priority: '', q: '', entry: '' }, true);
      restoreSearchForm();
      closeDetail();
      runSearch();
    });
    $('older').addEventListener('click', () => loadOlder());
    $('detail-close').addEventListener('click', () => { closeDetail(); setState({ entry: '' }, false); });
    // Host suggestions (values only, via option.value).
    api('/api/hosts').then((r) => {
      if (!r.ok) return;
      const list = $('host-list');
      list.replaceChildren();
      for (const row of r.data.hosts || []) if (typeof row.host === 'string') list.appendChild(h('option', { value: row.host }));
    });
  }

  function restoreSearchForm() {
    $('f-host').value = state.host;
    $('f-unit').value = state.unit;
    $('f-q').value = state.q;
    const p = state.priority;
    const byName = PRIORITY_NAMES.indexOf(p);
    $('f-priority').value = /^[0-7]$/.test(p) ? p : (byName >= 0 && byName < 8 ? String(byName) : '');
  }

  async function loadSearch(gen, isRefresh) {
    if (isRefresh && searchPages > 1) return; // keep the older pages the user is reading
    await runSearch(isRefresh);
    if (state.entry && !isRefresh) await showEntry(state.entry, null);
  }

  async function runSearch(isRefresh) {
    const gen = ++searchGen;
    let wp;
    try { wp = windowParams(); } catch (e) { setContent('search-status', message('error', e.message)); return; }
    searchParams = Object.assign({}, wp, { host: state.host, unit: state.unit, priority: $('f-priority').value, q: state.q, limit: '100' });
    if (!isRefresh) setContent('search-status', message('info', 'Searching…'));
    const r = await api('/api/search', searchParams);
    if (gen !== searchGen) return;
    searchPages = 1;
    const body = $('results-body');
    body.replaceChildren();
    if (!r.ok) {
      searchNext = null;
      updateOlder();
      setContent('search-status', message('error', r.message));
      return;
    }
    showWindow(r.data.window);
    // Pin the window so "Older" pages continue the same one even for "last 1h".
    if (r.data.window && typeof r.data.window.from === 'number') {
      searchParams.from = String(r.data.window.from);
      searchParams.to = String(r.data.window.to);
    }
    appendResults(r.data.entries || []);
    searchNext = r.data.next || null;
    updateOlder();
    updateSearchStatus();
  }

  let searchGen = 0;

  async function loadOlder() {
    if (!searchNext || !searchParams) return;
    const gen = searchGen;
    $('older').disabled = true;
    const r = await api('/api/search', Object.assign({}, searchParams, { after: searchNext }));
    if (gen !== searchGen) return;
    if (!r.ok) {
      updateOlder();
      setContent('search-status', message('error', r.message));
      return;
    }
    searchPages++;
    appendResults(r.data.entries || []);
    searchNext = r.data.next || null;
    updateOlder();
    updateSearchStatus();
  }

  function updateOlder() {
    const b = $('older');
    b.disabled = !searchNext;
    b.textContent = searchNext ? 'Older' : 'No older entries';
  }

  function updateSearchStatus() {
    const n = $('results-body').rows.length;
    setContent('search-status', n === 0 ? message('info', 'No entries match in this window.')
      : h('span', null, n + ' entr' + (n === 1 ? 'y' : 'ies') + ', newest first' + (searchNext ? '; more with “Older”.' : '.')));
  }

  function appendResults(entries) {
    const body = $('results-body');
    for (const e of entries) {
      const pname = priorityName(e.priority);
      const tr = h('tr', { className: 'entry-row', tabIndex: 0, dataset: { id: String(e.id) } },
        h('td', { className: 'time', title: isoUs(e.time, 6) }, isoUs(e.time, 3)),
        h('td', { className: 'host' }, valueNode(e.host)),
        h('td', null, h('span', { className: 'prio prio-' + pname }, pname)),
        h('td', { className: 'mono unit' }, valueNode(e.unit || null)),
        h('td', { className: 'mono ident' }, valueNode(e.identifier || null)),
        h('td', { className: 'message' }, valueNode(e.message, '(no message)')));
      tr.addEventListener('click', () => showEntry(String(e.id), tr, true));
      tr.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); showEntry(String(e.id), tr, true); }
      });
      body.appendChild(tr);
    }
  }

  function closeDetail() {
    $('entry-detail').hidden = true;
    if (selectedRow) selectedRow.classList.remove('selected');
    selectedRow = null;
  }

  let entryGen = 0;
  async function showEntry(id, row, fromClick) {
    const gen = ++entryGen;
    if (selectedRow) selectedRow.classList.remove('selected');
    selectedRow = row;
    if (row) row.classList.add('selected');
    if (fromClick) setState({ entry: id }, false);
    const panel = $('entry-detail');
    panel.hidden = false;
    setContent('detail-body', message('info', 'Loading entry…'));
    const r = await api('/api/entry', { id });
    if (gen !== entryGen) return;
    if (!r.ok) { setContent('detail-body', message('error', r.message)); return; }
    const d = r.data;
    const fields = d.fields && typeof d.fields === 'object' ? d.fields : {};
    const names = Object.keys(fields).sort((a, b) => fieldRank(a) - fieldRank(b) || (a < b ? -1 : a > b ? 1 : 0));
    setContent('detail-body',
      h('dl', { className: 'detail-meta' },
        h('dt', null, 'Time (UTC)'), h('dd', { className: 'time' }, isoUs(d.time, 6)),
        h('dt', null, 'Host'), h('dd', null, hostLink(d.host)),
        h('dt', null, 'Entry id'), h('dd', { className: 'mono' }, valueNode(d.id))),
      h('table', { className: 'data fields', id: 'entry-fields' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Value'))),
        h('tbody', null, names.map((n) => h('tr', { dataset: { field: n } },
          h('th', { className: 'field-name', scope: 'row' }, n), h('td', { className: 'field-value' }, valueNode(fields[n], '(null)')))))));
  }

  // MESSAGE first, then user fields, then trusted (_) fields, then address (__) fields.
  function fieldRank(n) {
    if (n === 'MESSAGE') return 0;
    if (n.startsWith('__')) return 3;
    if (n.startsWith('_')) return 2;
    return 1;
  }

  // ---------------------------------------------------------------------------------------------
  // Page wiring

  const PAGES = {
    overview: { init: initOverview, load: loadOverview },
    host: { load: loadHost },
    search: { init: initSearch, load: loadSearch, restore: () => { restoreSearchForm(); if (!state.entry) closeDetail(); } },
  };
  const page = PAGES[document.body.dataset.page] || { load: async () => {} };

  let loadGen = 0;
  // A load's results are dropped when a newer load has started meanwhile.
  function current(gen) { return gen === loadGen; }

  async function reload(isRefresh) {
    const gen = ++loadGen;
    let rangeError = null;
    try { windowParams(); } catch (e) { rangeError = e.message; }
    setContent('range-error', rangeError ? 'Time range: ' + rangeError : '');
    if (rangeError) { setState({ from: '', to: '' }, false); syncHeaderControls(); }
    try {
      await Promise.all([loadFreshness(), page.load(gen, Boolean(isRefresh))]);
    } catch (e) {
      // A bug, not an API failure (those are handled where they happen): make it visible.
      console.error('page load failed:', e);
      setContent('page-error', message('error', 'The page failed to load: ' + (e && e.message ? e.message : String(e))));
    }
    if (gen === loadGen) {
      setContent('updated', 'Updated ' + isoUs(Date.now() * 1000));
      document.body.dataset.ready = String(gen);
    }
  }

  function main() {
    initHeader();
    if (page.init) page.init();
    scheduleRefresh();
    reload();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
  else main();
})();
