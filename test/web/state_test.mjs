// Unit tests of web/static/state.js: the view state in the URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { NAV_KEYS, PRESETS, STATE_KEYS, isPresetRange, linkTo, parseState, queryString } from '../../web/static/state.js';

const EMPTY = { from: '', to: '', host: '', unit: '', priority: '', q: '', refresh: '', entry: '', case: '' };

test('parseState gives every key, empty when absent', () => {
  assert.deepEqual(parseState(''), EMPTY);
  assert.deepEqual(Object.keys(parseState('?x=1')), STATE_KEYS);
});

test('parseState reads and trims values, and ignores unknown keys', () => {
  assert.deepEqual(parseState('?from=now-1h&host=%20vm-01%20&q=a+b&x=1'),
    { ...EMPTY, from: 'now-1h', host: 'vm-01', q: 'a b' });
});

test('the search\'s case choice is part of the state, so a shared URL keeps it', () => {
  assert.equal(parseState('?q=Panic&case=exact').case, 'exact');
  assert.equal(queryString({ ...EMPTY, q: 'Panic', case: 'exact' }), '?q=Panic&case=exact');
});

test('parseState keeps markup in values as plain text', () => {
  assert.equal(parseState('?q=' + encodeURIComponent('<img src=x onerror=alert(1)>')).q,
    '<img src=x onerror=alert(1)>');
});

test('parseState takes the first of repeated keys', () => {
  assert.equal(parseState('?host=a&host=b').host, 'a');
});

test('parseState allows only the auto-refresh choices', () => {
  assert.equal(parseState('?refresh=30').refresh, '30');
  assert.equal(parseState('?refresh=60').refresh, '60');
  for (const v of ['1', '0', '30s', '-30', '600']) assert.equal(parseState('?refresh=' + v).refresh, '', v);
});

test('queryString leaves out empty values and encodes the rest', () => {
  assert.equal(queryString(EMPTY), '');
  assert.equal(queryString({ ...EMPTY, host: 'vm 01', q: 'a&b=c' }), '?host=vm+01&q=a%26b%3Dc');
});

test('queryString keeps only the keys asked for, in their order', () => {
  const s = { ...EMPTY, from: 'now-1h', host: 'h', refresh: '30' };
  assert.equal(queryString(s, NAV_KEYS), '?from=now-1h&refresh=30');
  assert.equal(queryString(s, ['refresh', 'from']), '?refresh=30&from=now-1h');
});

test('parseState reads back what queryString wrote', () => {
  const s = { ...EMPTY, from: '2024-05-01T10:00:00Z', host: 'ä ö/#?', q: '100% <b>', entry: '1-2-3' };
  assert.deepEqual(parseState(queryString(s)), s);
});

test('linkTo keeps the range and refresh, adds the page\'s parameters, in STATE_KEYS order', () => {
  const s = { ...EMPTY, from: 'now-6h', host: 'old', unit: 'u', refresh: '60' };
  assert.equal(linkTo('/search', s, { host: 'vm-01' }), '/search?from=now-6h&host=vm-01&refresh=60');
  assert.equal(linkTo('/', EMPTY), '/');
  assert.equal(linkTo('/host', s, { from: '' }), '/host?refresh=60'); // a param can clear
});

test('isPresetRange is true only for a preset from with no to', () => {
  for (const p of PRESETS) assert.equal(isPresetRange({ ...EMPTY, from: p.value }), true, p.value);
  assert.equal(isPresetRange({ ...EMPTY, from: 'now-2h' }), false);
  assert.equal(isPresetRange({ ...EMPTY, from: 'now-1h', to: 'now' }), false);
  assert.equal(isPresetRange({ ...EMPTY, to: '2024-05-01' }), false);
});
