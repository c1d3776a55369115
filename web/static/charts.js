// @ts-check
// Charts drawn with BokehJS (the global Bokeh from /static/bokeh.min.js and
// /static/bokeh-api.min.js, loaded by each page before its modules).
//
// Each chart div gets data-state "drawing", then "ready", "empty" or "error" (the browser test
// waits on it). A failure becomes a message in the chart's place, never an exception out of
// the page. Hover tooltips use plain "@column" fields, which BokehJS escapes (never "{safe}").
// The *Data functions shape API data into Bokeh columns; they are pure (test/web/charts_test.mjs).
// Clicking a bar or a cell calls the chart's onPick (drill-down): a TapTool whose callback is
// a plain function (BokehJS runs it as it is; a CustomJS would need eval, which the CSP forbids).

import { $, message } from './dom.js';
import { PRIORITY_KEYS, PRIORITY_NAMES, uniqueLabels } from './format.js';
import { HOUR_MS, HOUR_US, hourLabel, errorText } from './time.js';

// Fixed palette, most severe first; "none" (no PRIORITY field) is a neutral grey.
const PRIORITY_COLORS = ['#4a0d1f', '#8e0c25', '#c62828', '#ef5350', '#ffa726', '#ffd54f',
  '#64b5f6', '#90a4ae', '#cfd8dc'];
const BLUES = ['#f4f8fc', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5',
  '#08519c', '#08306b'];
const REDS = ['#fdf5f4', '#fee0d2', '#fcbba1', '#fc9272', '#fb6a4a', '#ef3b2c', '#cb181d',
  '#a50f15', '#67000d'];
const ERROR_COLOR = '#c62828';
const HOST_LABEL_MAX = 28;

/** @typedef {{from: number, to: number, default?: boolean}} Window */
/** @typedef {{hours?: number[], by_priority?: Record<string, number[]>, errors?: number[]}} Volume */
/** @typedef {{hosts?: unknown[], hours?: number[], entries?: number[][], errors?: number[][]}} Heatmap */

/**
 * A click on a chart: the index of the bar or cell hit (in the *Data columns).
 * @typedef {(index: number) => void} OnIndex
 */

/** @type {Map<string, {remove(): void}>} div id -> Bokeh view, removed before redrawing */
const chartViews = new Map();

/**
 * @param {unknown} v
 * @returns {number} v if it is a number, else 0
 */
function num(v) {
  return typeof v === 'number' ? v : 0;
}

/**
 * The x of an hour's bar: its middle, in ms (Bokeh's datetime axis unit).
 * @param {number} us
 */
function hourMiddleMs(us) {
  return (us + HOUR_US / 2) / 1000;
}

/**
 * Columns of the stacked volume chart: for priority i (PRIORITY_KEYS order), n_i (count),
 * b_i/t_i (bar bottom/top); total per hour. Missing or non-numeric counts are 0.
 * @param {Volume} volume
 * @returns {Record<string, Array<number | string>>}
 */
export function volumeData(volume) {
  const hours = volume && Array.isArray(volume.hours) ? volume.hours : [];
  /** @type {Record<string, Array<number | string>>} */
  const data = { x: hours.map(hourMiddleMs), hour: hours.map(hourLabel) };
  const bottom = hours.map(() => 0);
  PRIORITY_KEYS.forEach((k, i) => {
    const series = volume.by_priority && Array.isArray(volume.by_priority[k]) ? volume.by_priority[k] : [];
    const counts = hours.map((_, j) => num(series[j]));
    data['n_' + i] = counts;
    data['b_' + i] = bottom.slice();
    counts.forEach((c, j) => { bottom[j] += c; });
    data['t_' + i] = bottom.slice();
  });
  data.total = bottom.slice();
  return data;
}

/**
 * Columns of the error chart: errors per hour (non-numeric -> 0) and a zero baseline.
 * @param {Volume} volume
 * @returns {{x: number[], hour: string[], errors: number[], zero: number[]}}
 */
export function errorData(volume) {
  const hours = volume && Array.isArray(volume.hours) ? volume.hours : [];
  const errors = hours.map((_, j) => num(Array.isArray(volume.errors) ? volume.errors[j] : 0));
  return { x: hours.map(hourMiddleMs), hour: hours.map(hourLabel), errors, zero: errors.map(() => 0) };
}

/**
 * Cells of the hosts × hours heatmap, one per (host, hour), coloured by `value` (the metric);
 * labels are the y factors (short, unique host names), max the largest value.
 * @param {Heatmap} heat
 * @param {'entries' | 'errors'} metric
 * @returns {{labels: string[], max: number, data: {x: number[], y: string[], host: string[],
 *            hour: string[], hour_us: number[], entries: number[], errors: number[], value: number[]}}}
 */
export function heatmapData(heat, metric) {
  const hosts = Array.isArray(heat.hosts) ? heat.hosts : [];
  const hours = Array.isArray(heat.hours) ? heat.hours : [];
  const labels = uniqueLabels(hosts, HOST_LABEL_MAX);
  /** @type {ReturnType<typeof heatmapData>['data']} */
  const data = { x: [], y: [], host: [], hour: [], hour_us: [], entries: [], errors: [], value: [] };
  /** @param {number[][] | undefined} m @param {number} i @param {number} j */
  const cell = (m, i, j) => num(Array.isArray(m) && Array.isArray(m[i]) ? m[i][j] : 0);
  let max = 0;
  hosts.forEach((host, i) => {
    hours.forEach((u, j) => {
      const e = cell(heat.entries, i, j);
      const r = cell(heat.errors, i, j);
      const v = metric === 'errors' ? r : e;
      data.x.push(hourMiddleMs(u));
      data.y.push(labels[i]);
      data.host.push(String(host));
      data.hour.push(hourLabel(u));
      data.hour_us.push(u);
      data.entries.push(e);
      data.errors.push(r);
      data.value.push(v);
      if (v > max) max = v;
    });
  });
  return { labels, max, data };
}

/** @returns {any} the Bokeh global when BokehJS loaded, else null */
function bokeh() {
  const B = /** @type {any} */ (window).Bokeh;
  return typeof B === 'object' && B && B.Plotting && B.ColumnDataSource ? B : null;
}

/**
 * Removes the chart in div `id` (and its Bokeh view).
 * @param {string} id
 * @returns {HTMLElement | null} the div
 */
function clearChart(id) {
  const view = chartViews.get(id);
  if (view) {
    try {
      view.remove();
    } catch (_) {
      // Already detached: nothing to clean up.
    }
    chartViews.delete(id);
  }
  const el = $(id);
  if (el) el.replaceChildren();
  return el;
}

/**
 * Shows a message instead of the chart in div `id` (data-state "error" or "empty").
 * @param {string} id
 * @param {'info' | 'warn' | 'error'} kind
 * @param {string} text
 */
export function chartMessage(id, kind, text) {
  const el = clearChart(id);
  if (!el) return;
  el.dataset.state = kind === 'error' ? 'error' : 'empty';
  el.appendChild(message(kind, text));
}

/**
 * Builds a figure with build(Bokeh) and shows it in div `id`; failures become a message.
 * @param {string} id
 * @param {(B: any) => any} build
 * @returns {Promise<void>} settles when the chart is drawn (or failed); never rejects
 */
async function drawChart(id, build) {
  const el = clearChart(id);
  if (!el) return;
  const B = bokeh();
  if (!B) {
    chartMessage(id, 'error', 'Charts unavailable: BokehJS did not load (/static/bokeh.min.js, /static/bokeh-api.min.js).');
    return;
  }
  el.dataset.state = 'drawing';
  try {
    const view = await B.Plotting.show(build(B), el);
    chartViews.set(id, view);
    el.dataset.state = 'ready';
  } catch (e) {
    console.error('chart ' + id + ':', e);
    chartMessage(id, 'error', 'Chart failed: ' + errorText(e));
  }
}

/**
 * A figure in the dashboard's style, its x range the window (when it is a real one).
 * @param {any} B
 * @param {Window | undefined} w
 * @param {Record<string, any>} [opts] figure attributes that override the defaults
 */
function baseFigure(B, w, opts) {
  /** @type {Record<string, any>} */
  const attrs = {
    height: 260,
    sizing_mode: 'stretch_width',
    x_axis_type: 'datetime',
    tools: 'xpan,xwheel_zoom,box_zoom,reset,save',
    toolbar_location: 'above',
    background_fill_color: '#ffffff',
    border_fill_color: '#ffffff',
    outline_line_color: '#d5dae1',
    min_border_left: 50,
    ...opts,
  };
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

/**
 * Makes a click on `renderers` (glyphs of `source`) call onIndex with the index of the glyph
 * hit. The selection is replaced on each click (not toggled), so the same bar picks again.
 * @param {any} B
 * @param {any} p the figure
 * @param {any[]} renderers
 * @param {any} source
 * @param {OnIndex | undefined} onIndex
 */
function addPick(B, p, renderers, source, onIndex) {
  if (!onIndex) return;
  const tap = new B.TapTool({
    renderers, mode: 'replace',
    callback: () => {
      const hit = source.selected.indices;
      if (hit.length > 0 && typeof hit[0] === 'number') onIndex(hit[0]);
    },
  });
  p.add_tools(tap);
  p.toolbar.active_tap = tap;
}

/**
 * @param {Volume} volume
 * @returns {boolean}
 */
function hasHours(volume) {
  return Boolean(volume && Array.isArray(volume.hours) && volume.hours.length > 0);
}

/**
 * Stacked bars of entries per hour by priority (emerg at the bottom). onHour: a click on an
 * hour's bar, with the hour's start (µs).
 * @param {string} id
 * @param {Window | undefined} w
 * @param {Volume} volume
 * @param {(hourUs: number) => void} [onHour]
 * @returns {Promise<void>} never rejects
 */
export async function drawVolumeChart(id, w, volume, onHour) {
  if (!hasHours(volume)) {
    chartMessage(id, 'info', 'No entries in this window.');
    return;
  }
  return drawChart(id, (B) => {
    const source = new B.ColumnDataSource({ data: volumeData(volume) });
    const p = baseFigure(B, w, { y_axis_label: 'entries / hour' });
    const bars = PRIORITY_KEYS.map((_, i) => p.vbar({
      x: { field: 'x' }, width: HOUR_MS * 0.85, bottom: { field: 'b_' + i }, top: { field: 't_' + i },
      source, fill_color: PRIORITY_COLORS[i], line_color: null, nonselection_fill_alpha: 1,
    }));
    const items = bars.map((r, i) => new B.LegendItem({ label: PRIORITY_NAMES[i], renderers: [r] }));
    if (onHour) addPick(B, p, bars, source, (j) => onHour(volume.hours[j]));
    const legend = new B.Legend({ items: items.reverse(), location: 'top_left', click_policy: 'hide',
      label_text_font_size: '11px', glyph_width: 14, glyph_height: 12, spacing: 2, border_line_color: null });
    p.add_layout(legend, 'right');
    const tooltips = [['hour (UTC)', '@hour'], ['total', '@total']];
    PRIORITY_KEYS.forEach((_, i) => tooltips.push([PRIORITY_NAMES[i], '@n_' + i]));
    p.add_tools(new B.HoverTool({ tooltips }));
    return p;
  });
}

/**
 * Errors (PRIORITY 0..3) per hour: a line over a light area. onHour: a click anywhere in an
 * hour's column, with the hour's start (µs).
 * @param {string} id
 * @param {Window | undefined} w
 * @param {Volume} volume
 * @param {(hourUs: number) => void} [onHour]
 * @returns {Promise<void>} never rejects
 */
export async function drawErrorChart(id, w, volume, onHour) {
  if (!hasHours(volume)) {
    chartMessage(id, 'info', 'No entries in this window.');
    return;
  }
  return drawChart(id, (B) => {
    const source = new B.ColumnDataSource({ data: errorData(volume) });
    const p = baseFigure(B, w, { height: 200, y_axis_label: 'errors / hour' });
    p.varea({ x: { field: 'x' }, y1: { field: 'zero' }, y2: { field: 'errors' }, source, fill_color: ERROR_COLOR, fill_alpha: 0.15 });
    p.line({ x: { field: 'x' }, y: { field: 'errors' }, source, line_color: ERROR_COLOR, line_width: 2 });
    const dots = p.scatter({ x: { field: 'x' }, y: { field: 'errors' }, source, size: 5, fill_color: '#ffffff', line_color: ERROR_COLOR });
    p.add_tools(new B.HoverTool({ renderers: [dots], mode: 'vline',
      tooltips: [['hour (UTC)', '@hour'], ['errors', '@errors']] }));
    if (onHour) {
      // The line and its dots are thin targets: each hour gets an invisible column to click,
      // from 0 to the chart's highest count, in a source of its own (a selection in the
      // line's source would dim its dots).
      const d = errorData(volume);
      const top = Math.max(1, ...d.errors);
      const columns = new B.ColumnDataSource({ data: { x: d.x, top: d.x.map(() => top) } });
      const hit = p.vbar({ x: { field: 'x' }, width: HOUR_MS, bottom: 0, top: { field: 'top' }, source: columns,
        fill_alpha: 0, line_alpha: 0, selection_fill_alpha: 0, nonselection_fill_alpha: 0, nonselection_line_alpha: 0 });
      addPick(B, p, [hit], columns, (j) => onHour(volume.hours[j]));
    }
    return p;
  });
}

/**
 * Hosts × hours, coloured by entries or errors. onCell: a click on a cell, with its host and
 * hour's start (µs).
 * @param {string} id
 * @param {Window | undefined} w
 * @param {Heatmap} heat
 * @param {'entries' | 'errors'} metric
 * @param {(host: string, hourUs: number) => void} [onCell]
 * @returns {Promise<void>} never rejects
 */
export async function drawHeatmap(id, w, heat, metric, onCell) {
  const hosts = heat && Array.isArray(heat.hosts) ? heat.hosts : [];
  const hours = heat && Array.isArray(heat.hours) ? heat.hours : [];
  if (hosts.length === 0 || hours.length === 0) {
    chartMessage(id, 'info', 'No hosts with entries in this window.');
    return;
  }
  return drawChart(id, (B) => {
    const { labels, max, data } = heatmapData(heat, metric);
    const source = new B.ColumnDataSource({ data });
    const mapper = new B.LinearColorMapper({ palette: metric === 'errors' ? REDS : BLUES, low: 0, high: Math.max(max, 1) });
    const p = baseFigure(B, w, {
      height: Math.max(160, 60 + 26 * hosts.length),
      y_range: new B.FactorRange({ factors: labels.slice().reverse() }),
      tools: 'xpan,xwheel_zoom,reset,save',
    });
    p.ygrid.grid_line_color = null;
    const cells = p.rect({ x: { field: 'x' }, y: { field: 'y' }, width: HOUR_MS, height: 0.92, source,
      fill_color: { field: 'value', transform: mapper }, line_color: null, nonselection_fill_alpha: 1 });
    if (onCell) addPick(B, p, [cells], source, (j) => onCell(data.host[j], data.hour_us[j]));
    p.add_layout(new B.ColorBar({ color_mapper: mapper, width: 10, label_standoff: 6,
      major_label_text_font_size: '10px', title: metric === 'errors' ? 'errors' : 'entries' }), 'right');
    p.add_tools(new B.HoverTool({ tooltips: [['host', '@host'], ['hour (UTC)', '@hour'],
      ['entries', '@entries'], ['errors', '@errors']] }));
    return p;
  });
}
