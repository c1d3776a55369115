// Unit tests of web/static/time.js: the URL's time syntax and UTC display.
//
// Runs in a time zone with daylight saving time (set below, before any Date is made), so a
// helper that used local time instead of UTC would give different answers and fail here.
process.env.TZ = 'Europe/Berlin';

import assert from 'node:assert/strict';
import { test } from 'node:test';

const { HOUR_US, hourLabel, isoUs, normTime, parseRange, resolveTime, windowParams } =
  await import('../../web/static/time.js');

const NOW = Date.UTC(2024, 4, 1, 10, 0, 0) * 1000; // 2024-05-01T10:00:00Z in µs

test('the tests run in a zone that is not UTC, with DST', () => {
  assert.notEqual(new Date(Date.UTC(2024, 0, 15)).getTimezoneOffset(), 0);
  assert.notEqual(new Date(Date.UTC(2024, 0, 15)).getTimezoneOffset(),
    new Date(Date.UTC(2024, 6, 15)).getTimezoneOffset());
});

test('isoUs formats µs as UTC ISO 8601 with 0, 3 or 6 fraction digits', () => {
  const us = NOW + 123456;
  assert.equal(isoUs(us), '2024-05-01T10:00:00Z');
  assert.equal(isoUs(us, 3), '2024-05-01T10:00:00.123Z');
  assert.equal(isoUs(us, 6), '2024-05-01T10:00:00.123456Z');
  assert.equal(isoUs(0, 6), '1970-01-01T00:00:00.000000Z');
});

test('isoUs is UTC on both sides of a DST change of the local zone', () => {
  // Europe/Berlin moved to summer time at 2024-03-31T01:00:00Z (02:00 local did not exist).
  assert.equal(isoUs(Date.UTC(2024, 2, 31, 0, 59, 59) * 1000), '2024-03-31T00:59:59Z');
  assert.equal(isoUs(Date.UTC(2024, 2, 31, 1, 30, 0) * 1000), '2024-03-31T01:30:00Z');
  assert.equal(isoUs(Date.UTC(2024, 9, 27, 0, 30, 0) * 1000), '2024-10-27T00:30:00Z');
  assert.equal(isoUs(Date.UTC(2024, 9, 27, 1, 30, 0) * 1000), '2024-10-27T01:30:00Z');
});

test('isoUs keeps the µs fraction of times before 1970', () => {
  assert.equal(isoUs(-1, 6), '1969-12-31T23:59:59.999999Z');
  assert.equal(isoUs(-1500000, 6), '1969-12-31T23:59:58.500000Z');
});

test('isoUs shows a dash for non-numbers and the raw number outside Date\'s range', () => {
  for (const v of [undefined, null, '1714557600000000', NaN, Infinity, -Infinity, {}]) {
    assert.equal(isoUs(v), '—', String(v));
  }
  assert.equal(isoUs(1e20), '100000000000000000000');
});

test('hourLabel shows the hour to the minute, and isoUs\'s text for bad values', () => {
  assert.equal(hourLabel(NOW), '2024-05-01T10:00Z');
  assert.equal(hourLabel(NOW + HOUR_US / 2), '2024-05-01T10:30Z');
  assert.equal(hourLabel(null), '—');
  assert.equal(hourLabel(1e20), '100000000000000000000');
});

test('resolveTime reads now and now-N with minutes, hours and days', () => {
  assert.equal(resolveTime('now', NOW), NOW);
  assert.equal(resolveTime('now-15m', NOW), NOW - 15 * 60e6);
  assert.equal(resolveTime('now-1h', NOW), NOW - HOUR_US);
  assert.equal(resolveTime('now-24h', NOW), NOW - 24 * HOUR_US);
  assert.equal(resolveTime('now-7d', NOW), NOW - 7 * 24 * HOUR_US);
  assert.equal(resolveTime('now-0h', NOW), NOW);
});

test('resolveTime reads µs digits and @seconds', () => {
  assert.equal(resolveTime('1714557600000000', NOW), 1714557600000000);
  assert.equal(resolveTime('0', NOW), 0);
  assert.equal(resolveTime('@1714557600', NOW), 1714557600e6);
  assert.equal(resolveTime('@1.5', NOW), 1500000);
  assert.equal(resolveTime('@0.0000015', NOW), 2); // rounded to the nearest µs
});

test('resolveTime reads ISO 8601 as UTC when no zone is given', () => {
  assert.equal(resolveTime('2024-05-01', NOW), Date.UTC(2024, 4, 1) * 1000);
  assert.equal(resolveTime('2024-05-01T10:00', NOW), NOW);
  assert.equal(resolveTime('2024-05-01T10:00:00', NOW), NOW);
  assert.equal(resolveTime('2024-05-01T10:00:00.250', NOW), NOW + 250000);
  assert.equal(resolveTime('2024-05-01T10:00:00Z', NOW), NOW);
  // 02:30 on 2024-03-31 does not exist in Berlin; as UTC it is an ordinary time.
  assert.equal(resolveTime('2024-03-31T02:30', NOW), Date.UTC(2024, 2, 31, 2, 30) * 1000);
});

test('resolveTime takes leap days and the last second of a day', () => {
  assert.equal(resolveTime('2024-02-29', NOW), Date.UTC(2024, 1, 29) * 1000);
  assert.equal(resolveTime('2000-02-29', NOW), Date.UTC(2000, 1, 29) * 1000);
  assert.equal(resolveTime('2024-12-31T23:59:59Z', NOW), Date.UTC(2024, 11, 31, 23, 59, 59) * 1000);
});

test('resolveTime refuses impossible dates and times that Date.parse would roll over', () => {
  for (const v of ['2023-02-29', '1900-02-29', '2024-02-30', '2024-04-31', '2024-00-10',
    '2024-05-00', '2024-05-01T24:00', '2024-05-01T24:00:00Z', '2024-05-01T10:60',
    '2024-05-01T10:00:60Z']) {
    assert.throws(() => resolveTime(v, NOW), { message: 'cannot read time "' + v + '"' }, v);
  }
});

test('resolveTime honours an explicit zone offset', () => {
  assert.equal(resolveTime('2024-05-01T12:00:00+02:00', NOW), NOW);
  assert.equal(resolveTime('2024-05-01T05:00-05:00', NOW), NOW);
});

test('resolveTime gives null for an empty value', () => {
  assert.equal(resolveTime('', NOW), null);
});

test('resolveTime refuses anything else, naming the value', () => {
  for (const v of ['soon', 'now-', 'now-1', 'now-1x', 'now-1H', 'now+1h', 'now - 1h', '-5', '1.5',
    '@', '@-1', '2024-13-01', '2024-05-32', '2024-05-01T25:00', '2024-05-01T10', '2024-5-1',
    '2024-05-01 10:00', '2024-05-01T10:00:00 GMT', '2024-05-01T10:00:00+0200', 'May 1, 2024',
    '2024-05-01garbage']) {
    assert.throws(() => resolveTime(v, NOW), { message: 'cannot read time "' + v + '"' }, v);
  }
});

test('normTime turns a space after the date into T and trims', () => {
  assert.equal(normTime('  2024-05-01 10:00  '), '2024-05-01T10:00');
  assert.equal(normTime('2024-05-01   10:00:00Z'), '2024-05-01T10:00:00Z');
  assert.equal(normTime('now-1h'), 'now-1h');
  assert.equal(normTime(''), '');
});

test('windowParams is empty for the server default window', () => {
  assert.deepEqual(windowParams({ from: '', to: '' }, NOW), {});
});

test('windowParams ends a relative from at now, so the window does not drift', () => {
  assert.deepEqual(windowParams({ from: 'now-1h', to: '' }, NOW),
    { from: String(NOW - HOUR_US), to: String(NOW) });
});

test('windowParams leaves to open for an absolute from', () => {
  assert.deepEqual(windowParams({ from: '2024-05-01', to: '' }, NOW),
    { from: String(Date.UTC(2024, 4, 1) * 1000) });
  assert.deepEqual(windowParams({ from: '', to: '@1714557600' }, NOW), { to: '1714557600000000' });
});

test('windowParams sends whole µs', () => {
  assert.deepEqual(windowParams({ from: '@1.0000004', to: '@2.9999996' }, NOW),
    { from: '1000000', to: '3000000' });
});

test('windowParams throws for a value resolveTime cannot read', () => {
  assert.throws(() => windowParams({ from: 'yesterday', to: '' }, NOW), /cannot read time "yesterday"/);
  assert.throws(() => windowParams({ from: '', to: 'now-2w' }, NOW), /cannot read time "now-2w"/);
});

test('parseRange normalizes typed times to UTC ISO seconds', () => {
  assert.deepEqual(parseRange(' 2024-05-01 09:00 ', '2024-05-01T10:00:00.999Z', NOW),
    { ok: true, from: '2024-05-01T09:00:00Z', to: '2024-05-01T10:00:00Z' });
  assert.deepEqual(parseRange('now-1h', '', NOW), { ok: true, from: '2024-05-01T09:00:00Z', to: '' });
  assert.deepEqual(parseRange('', '', NOW), { ok: true, from: '', to: '' });
});

test('parseRange explains a bad time and shows the expected form', () => {
  assert.deepEqual(parseRange('yesterday', '', NOW), {
    ok: false,
    message: 'Time range: cannot read time "yesterday" (use UTC ISO 8601, e.g. 2024-05-01T10:00:00Z)',
  });
  assert.equal(parseRange('', '2024-02-30x', NOW).ok, false);
});

test('parseRange refuses from at or after to', () => {
  const want = { ok: false, message: 'Time range: "from" must be before "to"' };
  assert.deepEqual(parseRange('2024-05-01T10:00Z', '2024-05-01T09:00Z', NOW), want);
  assert.deepEqual(parseRange('2024-05-01T10:00Z', '2024-05-01T10:00Z', NOW), want);
});
