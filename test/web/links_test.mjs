// Unit tests of web/static/links.js (node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { contextUrl, liveUrl, searchUrl } from '../../web/static/links.js';
import { parseState } from '../../web/static/state.js';

const H0 = Date.UTC(2025, 0, 1, 14) * 1000; // µs

test('a picked hour searches exactly that hour, as UTC ISO times', () => {
  const s = parseState('?from=now-7d&refresh=30');
  const url = searchUrl(s, { hourUs: H0, host: 'vm-01' });
  const q = new URL(url, 'http://x').searchParams;
  assert.equal(new URL(url, 'http://x').pathname, '/search');
  assert.equal(q.get('from'), '2025-01-01T14:00:00Z');
  assert.equal(q.get('to'), '2025-01-01T15:00:00Z');
  assert.equal(q.get('host'), 'vm-01');
  assert.equal(q.get('priority'), null);
  assert.equal(q.get('refresh'), '30');
});

test('errors picks search priority 3 and more severe; a unit row keeps the range', () => {
  const s = parseState('?from=now-7d');
  const q = new URL(searchUrl(s, { hourUs: H0, errors: true }), 'http://x').searchParams;
  assert.equal(q.get('priority'), '3');
  assert.equal(q.get('host'), null);
  const u = new URL(searchUrl(s, { unit: 'nginx.service', host: 'vm-02', errors: true }), 'http://x').searchParams;
  assert.equal(u.get('from'), 'now-7d');
  assert.equal(u.get('unit'), 'nginx.service');
  assert.equal(u.get('host'), 'vm-02');
  assert.equal(u.get('priority'), '3');
  // Not a number: no hour, the range stays.
  assert.equal(new URL(searchUrl(s, { hourUs: NaN }), 'http://x').searchParams.get('from'), 'now-7d');
});

test('hostile names stay inside their parameter', () => {
  const s = parseState('');
  const url = searchUrl(s, { host: 'a&priority=0#x', unit: '"><script>' });
  const q = new URL(url, 'http://x').searchParams;
  assert.equal(q.get('host'), 'a&priority=0#x');
  assert.equal(q.get('unit'), '"><script>');
  assert.equal(q.get('priority'), null);
});

test('context and live links', () => {
  const s = parseState('?from=now-1h&host=vm-01');
  const c = new URL(contextUrl(s, '1-2-ab-3', 'cron.service'), 'http://x');
  assert.equal(c.pathname, '/context');
  assert.equal(c.searchParams.get('entry'), '1-2-ab-3');
  assert.equal(c.searchParams.get('unit'), 'cron.service');
  assert.equal(c.searchParams.get('from'), 'now-1h');
  assert.equal(c.searchParams.get('host'), null);
  assert.equal(liveUrl({ host: 'vm-01', unit: '', priority: '3' }), '/live?host=vm-01&priority=3');
  assert.equal(liveUrl({}), '/live');
});
