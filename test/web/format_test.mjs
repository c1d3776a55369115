// Unit tests of web/static/format.js: numbers, priorities, bytes and status texts.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  PRIORITY_KEYS, PRIORITY_NAMES, escapeBytes, fmtCount, fmtDuration, fmtNumber, freshnessBanner,
  isByteArray, priorityChoice, priorityName, resultsText, sortFieldNames, uniqueLabels,
} from '../../web/static/format.js';

test('fmtCount groups thousands the same way in every locale', () => {
  assert.equal(fmtCount(0), '0');
  assert.equal(fmtCount(1257), '1,257');
  assert.equal(fmtCount(-1234567), '-1,234,567');
});

test('fmtCount and fmtNumber show a dash for anything but a finite number', () => {
  for (const v of [undefined, null, '12', NaN, Infinity, [], {}]) {
    assert.equal(fmtCount(v), '—', String(v));
    assert.equal(fmtNumber(v), '—', String(v));
  }
});

test('fmtNumber keeps integers whole and rounds fractions to the digits asked for', () => {
  assert.equal(fmtNumber(12000), '12,000');
  assert.equal(fmtNumber(3.14159), '3.14');
  assert.equal(fmtNumber(3.14159, 1), '3.1');
  assert.equal(fmtNumber(2.5, 0), '3');
  assert.equal(fmtNumber(1234.5), '1,234.5');
});

test('fmtDuration picks s, min, h or d at the boundaries', () => {
  assert.equal(fmtDuration(0), '0.0 s');
  assert.equal(fmtDuration(9.94), '9.9 s');
  assert.equal(fmtDuration(10), '10 s');
  assert.equal(fmtDuration(59.4), '59 s');
  assert.equal(fmtDuration(60), '1 min');
  assert.equal(fmtDuration(3 * 3600 - 1), '180 min');
  assert.equal(fmtDuration(3 * 3600), '3.0 h');
  assert.equal(fmtDuration(72 * 3600 - 1), '72.0 h');
  assert.equal(fmtDuration(72 * 3600), '3.0 d');
  assert.equal(fmtDuration(699.8 * 86400), '699.8 d');
});

test('fmtDuration keeps the sign of a negative lag (a clock ahead of the collector)', () => {
  assert.equal(fmtDuration(-5), '-5.0 s');
  assert.equal(fmtDuration(-120), '-2 min');
  assert.equal(fmtDuration(-4 * 3600), '-4.0 h');
});

test('fmtDuration shows a dash for bad input', () => {
  for (const v of [undefined, null, '60', NaN, -Infinity]) assert.equal(fmtDuration(v), '—');
});

test('priorityName names 0..7 and calls everything else none', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(priorityName), PRIORITY_NAMES.slice(0, 8));
  for (const v of [-1, 8, 2.5, '3', null, undefined, NaN]) assert.equal(priorityName(v), 'none', String(v));
});

test('the priority keys and names line up, most severe first', () => {
  assert.equal(PRIORITY_KEYS.length, PRIORITY_NAMES.length);
  assert.equal(PRIORITY_NAMES[3], 'err');
  assert.equal(PRIORITY_KEYS.at(-1), 'none');
});

test('priorityChoice takes a digit or a name and refuses the rest', () => {
  assert.equal(priorityChoice('3'), '3');
  assert.equal(priorityChoice('0'), '0');
  assert.equal(priorityChoice('err'), '3');
  assert.equal(priorityChoice('debug'), '7');
  for (const v of ['', '8', '03', 'none', 'ERR', 'loud', ' 3']) assert.equal(priorityChoice(v), '', v);
});

test('escapeBytes keeps printable ASCII, doubles backslashes and hex-escapes the rest', () => {
  assert.equal(escapeBytes([0x68, 0x69]), 'hi');
  assert.equal(escapeBytes([0x5c]), '\\\\');
  assert.equal(escapeBytes([0x00, 0x0a, 0x1f, 0x7f, 0x80, 0xff]), '\\x00\\x0a\\x1f\\x7f\\x80\\xff');
  assert.equal(escapeBytes([0x3c, 0x62, 0x3e]), '<b>'); // markup is text to the caller
  assert.equal(escapeBytes([0xc3, 0xa9]), '\\xc3\\xa9'); // UTF-8 bytes are not decoded
  assert.equal(escapeBytes([]), '');
});

test('escapeBytes reads only the low 8 bits of out-of-range values', () => {
  assert.equal(escapeBytes([0x141, -1]), 'A\\xff');
});

test('isByteArray accepts arrays of numbers only', () => {
  assert.equal(isByteArray([1, 2, 3]), true);
  assert.equal(isByteArray([]), true);
  for (const v of [['1'], [1, null], 'abc', { bytes: [1] }, null]) assert.equal(isByteArray(v), false);
});

test('uniqueLabels shortens long names and numbers repeats', () => {
  assert.deepEqual(uniqueLabels(['a', 'b'], 5), ['a', 'b']);
  assert.deepEqual(uniqueLabels(['abcdef'], 5), ['abcd…']);
  assert.deepEqual(uniqueLabels(['abcdefX', 'abcdefY', 'abcdefZ'], 5), ['abcd…', 'abcd… #2', 'abcd… #3']);
  assert.deepEqual(uniqueLabels(['a', 'a'], 5), ['a', 'a #2']);
  assert.deepEqual(uniqueLabels(['abcde'], 5), ['abcde']); // exactly max: unchanged
});

test('uniqueLabels shows names that are not strings as JSON', () => {
  assert.deepEqual(uniqueLabels([{ bytes: [1] }, null], 40), ['{"bytes":[1]}', 'null']);
});

test('sortFieldNames puts MESSAGE, user, trusted and address fields in that order', () => {
  assert.deepEqual(
    sortFieldNames(['__CURSOR', '_PID', 'PRIORITY', 'MESSAGE', '_BOOT_ID', 'CODE_LINE', '__REALTIME_TIMESTAMP']),
    ['MESSAGE', 'CODE_LINE', 'PRIORITY', '_BOOT_ID', '_PID', '__CURSOR', '__REALTIME_TIMESTAMP']);
});

test('sortFieldNames sorts by code unit, not locale, and leaves its input alone', () => {
  const names = ['b', 'B', 'a'];
  assert.deepEqual(sortFieldNames(names), ['B', 'a', 'b']);
  assert.deepEqual(names, ['b', 'B', 'a']);
});

test('resultsText counts entries and says when older ones exist', () => {
  assert.equal(resultsText(0, false), null);
  assert.equal(resultsText(1, false), '1 entry, newest first.');
  assert.equal(resultsText(100, true), '100 entries, newest first; more with “Older”.');
});

const ok = (data) => ({ ok: true, data });

test('freshnessBanner is null when the data is fresh', () => {
  assert.equal(freshnessBanner(ok({ replica_ok: true, stale: false, age_s: 12, heartbeat: 1 })), null);
});

test('freshnessBanner reports an unreachable replica as an error', () => {
  assert.deepEqual(freshnessBanner(ok({ replica_ok: false, error: 'cannot connect' })),
    { kind: 'error', text: 'Replica unreachable: cannot connect — data may be missing' });
  assert.match(freshnessBanner(ok({ replica_ok: false })).text, /unknown error/);
});

test('freshnessBanner reports a failed request, plainly when the server is unreachable', () => {
  const fail = (status, message) => ({ ok: false, status, message, short: message, aborted: false });
  assert.deepEqual(freshnessBanner(fail(0, 'Dashboard server unreachable (x)')),
    { kind: 'error', text: 'Dashboard server unreachable (x)' });
  assert.deepEqual(freshnessBanner(fail(503, 'Replica unavailable: down')),
    { kind: 'error', text: 'Cannot read data freshness: Replica unavailable: down' });
});

test('freshnessBanner gives stale data\'s age in minutes, then hours or days', () => {
  const hb = Date.UTC(2024, 4, 1, 10) * 1000;
  assert.deepEqual(freshnessBanner(ok({ stale: true, age_s: 1500, heartbeat: hb })),
    { kind: 'warn', text: 'Data is 25 minutes old (last collector heartbeat 2024-05-01T10:00:00Z)' });
  assert.match(freshnessBanner(ok({ stale: true, age_s: 179 * 60, heartbeat: hb })).text, /^Data is 179 minutes old/);
  assert.match(freshnessBanner(ok({ stale: true, age_s: 5 * 3600, heartbeat: hb })).text, /^Data is 5\.0 hours old/);
  assert.match(freshnessBanner(ok({ stale: true, age_s: 4 * 86400, heartbeat: hb })).text, /^Data is 4\.0 days old/);
});

test('freshnessBanner says when no heartbeat was ever recorded', () => {
  const want = { kind: 'warn', text: 'No collector heartbeat recorded — data may be missing or old' };
  assert.deepEqual(freshnessBanner(ok({ stale: true, heartbeat: null, age_s: null })), want);
  assert.deepEqual(freshnessBanner(ok({ stale: true, heartbeat: 5, age_s: 'old' })), want);
});
