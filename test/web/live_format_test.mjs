// Unit tests of web/static/live_format.js: the live stream's URL, the lag line, the row bound,
// the pause indicator.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_ROWS, ageText, lagText, liveUrl, pausedText, pushNewest } from '../../web/static/live_format.js';

test('liveUrl carries only the filters that are set', () => {
  assert.equal(liveUrl({}), '/api/live');
  assert.equal(liveUrl({ host: 'vm-1', unit: '', priority: '3' }), '/api/live?host=vm-1&priority=3');
  assert.equal(liveUrl({ unit: ' a&b ' }), '/api/live?unit=a%26b');
});

test('lagText says how far behind the replica is and how old the newest entry is', () => {
  assert.equal(lagText({ replica_ok: true, last_write_age_s: 0.25, newest_entry_age_s: 12 }),
    'replica behind by ≤ 0.3 s · newest entry 12 s old');
  assert.equal(lagText({ replica_ok: true, last_write_age_s: null, newest_entry_age_s: null }),
    'replica: no collector write yet');
  assert.equal(lagText({ replica_ok: false }), 'Replica unreachable: entries wait until it answers');
  assert.equal(ageText(300), '5 min');
  assert.equal(ageText(3 * 3600), '3 h');
});

test('pushNewest keeps the newest first and returns what falls off', () => {
  const list = [];
  for (let i = 1; i <= 4; i++) assert.deepEqual(pushNewest(list, i, 3), i === 4 ? [1] : []);
  assert.deepEqual(list, [4, 3, 2]);
  const big = [];
  for (let i = 0; i < MAX_ROWS + 5; i++) pushNewest(big, i);
  assert.equal(big.length, MAX_ROWS);
  assert.equal(big[0], MAX_ROWS + 4);
});

test('pausedText counts what came while paused and says when older ones were dropped', () => {
  assert.equal(pausedText(0, 0), '0 new while paused');
  // As live.js holds them: every arrival counted, the list bounded by pushNewest.
  const held = [];
  let arrived = 0;
  for (let i = 0; i < MAX_ROWS; i++, arrived++) pushNewest(held, i);
  assert.equal(pausedText(arrived, held.length), '500 new while paused');
  for (let i = 0; i < 1203; i++, arrived++) pushNewest(held, MAX_ROWS + i);
  assert.equal(held.length, MAX_ROWS);
  assert.equal(pausedText(arrived, held.length),
    '1,703 new while paused; only the newest 500 are held, 1,203 older dropped (the search has every entry)');
});
