// Unit tests of web/static/charts.js's data shaping (the Bokeh drawing is covered by the
// browser test, test/browser/dashboard_test.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { errorData, heatmapData, volumeData } from '../../web/static/charts.js';

const H0 = Date.UTC(2024, 4, 1, 10) * 1000; // µs
const H1 = H0 + 3600e6;

test('volumeData puts each bar in the middle of its hour, in ms', () => {
  const d = volumeData({ hours: [H0, H1], by_priority: {} });
  assert.deepEqual(d.x, [H0 / 1000 + 1800e3, H1 / 1000 + 1800e3]);
  assert.deepEqual(d.hour, ['2024-05-01T10:00Z', '2024-05-01T11:00Z']);
});

test('volumeData stacks priorities with emerg at the bottom', () => {
  const d = volumeData({ hours: [H0, H1], by_priority: { 0: [1, 0], 3: [2, 5], 6: [10, 20], none: [4, 0] } });
  assert.deepEqual(d.n_0, [1, 0]);
  assert.deepEqual(d.b_0, [0, 0]);
  assert.deepEqual(d.t_0, [1, 0]);
  assert.deepEqual(d.b_3, [1, 0]);
  assert.deepEqual(d.t_3, [3, 5]);
  assert.deepEqual(d.b_6, [3, 5]);
  assert.deepEqual(d.t_6, [13, 25]);
  assert.deepEqual(d.n_8, [4, 0]); // "none" is the last key
  assert.deepEqual(d.t_8, [17, 25]);
  assert.deepEqual(d.total, [17, 25]);
});

test('volumeData counts missing, short and non-numeric series as 0', () => {
  const d = volumeData({ hours: [H0, H1], by_priority: { 3: [7], 4: ['9', null], 5: 'x' } });
  assert.deepEqual(d.n_3, [7, 0]);
  assert.deepEqual(d.n_4, [0, 0]);
  assert.deepEqual(d.n_5, [0, 0]);
  assert.deepEqual(d.total, [7, 0]);
  assert.deepEqual(volumeData({ hours: [H0] }).total, [0]);
});

test('volumeData has a column per priority, each as long as hours', () => {
  const d = volumeData({ hours: [H0, H1, H1 + 3600e6], by_priority: {} });
  for (let i = 0; i < 9; i++) {
    for (const p of ['n_', 'b_', 't_']) assert.equal(d[p + i].length, 3, p + i);
  }
  assert.equal(d.n_9, undefined);
});

test('errorData takes the errors per hour, non-numbers as 0, with a zero baseline', () => {
  assert.deepEqual(errorData({ hours: [H0, H1], errors: [3, 'x'] }),
    { x: [H0 / 1000 + 1800e3, H1 / 1000 + 1800e3], hour: ['2024-05-01T10:00Z', '2024-05-01T11:00Z'],
      errors: [3, 0], zero: [0, 0] });
  assert.deepEqual(errorData({ hours: [H0] }).errors, [0]);
  assert.deepEqual(errorData({ hours: [] }).errors, []);
});

test('heatmapData makes one cell per host and hour, coloured by the metric', () => {
  const heat = { hosts: ['a', 'b'], hours: [H0, H1], entries: [[1, 2], [30, 4]], errors: [[0, 1], [0, 9]] };
  const byEntries = heatmapData(heat, 'entries');
  assert.deepEqual(byEntries.labels, ['a', 'b']);
  assert.deepEqual(byEntries.data.y, ['a', 'a', 'b', 'b']);
  assert.deepEqual(byEntries.data.value, [1, 2, 30, 4]);
  assert.equal(byEntries.max, 30);
  const byErrors = heatmapData(heat, 'errors');
  assert.deepEqual(byErrors.data.value, [0, 1, 0, 9]);
  assert.equal(byErrors.max, 9);
  assert.deepEqual(byErrors.data.entries, [1, 2, 30, 4]); // both are in the hover
  // Each cell knows its host and hour, for the drill-down to the search.
  assert.deepEqual(byEntries.data.host, ['a', 'a', 'b', 'b']);
  assert.deepEqual(byEntries.data.hour_us, [H0, H1, H0, H1]);
});

test('heatmapData copes with ragged or missing matrices', () => {
  const d = heatmapData({ hosts: ['a', 'b'], hours: [H0, H1], entries: [[5]], errors: null }, 'entries');
  assert.deepEqual(d.data.entries, [5, 0, 0, 0]);
  assert.deepEqual(d.data.errors, [0, 0, 0, 0]);
  assert.equal(d.max, 5);
});

test('heatmapData labels long and repeated host names uniquely, keeping the full name', () => {
  const long = 'x'.repeat(40);
  const d = heatmapData({ hosts: [long, long + 'y'], hours: [H0], entries: [[1], [1]] }, 'entries');
  assert.deepEqual(d.labels, ['x'.repeat(27) + '…', 'x'.repeat(27) + '… #2']);
  assert.deepEqual(d.data.host, [long, long + 'y']);
});

test('heatmapData has max 0 for an all-zero map (the colour scale sets its own floor)', () => {
  assert.equal(heatmapData({ hosts: ['a'], hours: [H0], entries: [[0]] }, 'entries').max, 0);
  assert.equal(heatmapData({ hosts: [], hours: [] }, 'entries').data.x.length, 0);
});
