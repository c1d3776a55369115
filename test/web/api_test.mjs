// Unit tests of web/static/api.js: one result shape, never a throw, cancelled requests.
// fetch is replaced per test by a fake that answers like the dashboard server.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { Superseding, api, apiUrl, httpFailure } from '../../web/static/api.js';

const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; });

/** A fetch that records its calls and answers with respond(url, init). */
function fakeFetch(respond) {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return respond(url, init);
  };
  return calls;
}

/** A Response-like object; body is JSON-encoded unless it is a string. */
function answer(status, body) {
  return {
    ok: status >= 200 && status < 300,
    status,
    json: async () => JSON.parse(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

/** Rejects the way fetch does when its signal is aborted. */
function abortable(signal) {
  return new Promise((_, reject) => {
    const fail = () => reject(new DOMException('This operation was aborted', 'AbortError'));
    if (signal.aborted) fail();
    signal.addEventListener('abort', fail);
  });
}

test('apiUrl leaves out null, undefined and empty parameters and encodes the rest', () => {
  assert.equal(apiUrl('/api/hosts'), '/api/hosts');
  assert.equal(apiUrl('/api/hosts', {}), '/api/hosts');
  assert.equal(apiUrl('/api/search', { host: 'vm 01', unit: '', q: null, x: undefined, limit: '100' }),
    '/api/search?host=vm+01&limit=100');
  assert.equal(apiUrl('/api/search', { q: '&after=1#' }), '/api/search?q=%26after%3D1%23');
});

test('api returns the JSON body of a 200', async () => {
  const calls = fakeFetch(() => answer(200, { hosts: [] }));
  assert.deepEqual(await api('/api/hosts', { from: '1' }), { ok: true, data: { hosts: [] } });
  assert.equal(calls[0].url, '/api/hosts?from=1');
  assert.equal(calls[0].init.headers.Accept, 'application/json');
  assert.equal(calls[0].init.cache, 'no-store');
});

test('api passes its signal to fetch', async () => {
  const calls = fakeFetch(() => answer(200, {}));
  const signal = new AbortController().signal;
  await api('/api/hosts', undefined, signal);
  assert.equal(calls[0].init.signal, signal);
});

test('api turns a network failure into status 0, without throwing', async () => {
  fakeFetch(() => { throw new TypeError('Failed to fetch'); });
  assert.deepEqual(await api('/api/hosts'), {
    ok: false, status: 0, aborted: false,
    message: 'Dashboard server unreachable (Failed to fetch)',
    short: 'Dashboard server unreachable (Failed to fetch)',
  });
});

test('api survives a fetch that throws something that is not an Error', async () => {
  globalThis.fetch = () => { throw 'boom'; };
  const r = await api('/api/hosts');
  assert.equal(r.ok, false);
  assert.equal(r.message, 'Dashboard server unreachable (boom)');
});

test('api reports a 503 with the server\'s reason, and a short form for repeats', async () => {
  fakeFetch(() => answer(503, { error: 'replica: cannot connect' }));
  const r = await api('/api/overview');
  assert.equal(r.ok, false);
  assert.equal(r.status, 503);
  assert.equal(r.aborted, false);
  assert.equal(r.message, 'Replica unavailable: replica: cannot connect — this data cannot be shown right now.');
  assert.equal(r.short, 'Replica unavailable — this data cannot be shown right now.');
});

test('api names the parameter of a 400', async () => {
  fakeFetch(() => answer(400, { error: 'from: cannot read time', parameter: 'from' }));
  const r = await api('/api/overview');
  assert.equal(r.message, 'Bad request (parameter "from"): from: cannot read time');
  assert.equal(r.short, r.message);
});

test('api reports an error status whose body is not JSON by its status', async () => {
  fakeFetch(() => answer(502, '<html>Bad gateway</html>'));
  const r = await api('/api/overview');
  assert.equal(r.status, 502);
  assert.equal(r.message, 'Request failed (HTTP 502): HTTP 502');
});

test('api refuses a 200 whose body is not a JSON object', async () => {
  for (const body of ['<html></html>', 'null', '42', '"text"']) {
    fakeFetch(() => answer(200, body));
    const r = await api('/api/overview');
    assert.equal(r.ok, false, body);
    assert.equal(r.status, 200);
    assert.equal(r.message, 'The server answered with something that is not JSON.');
    assert.equal(r.short, r.message);
  }
});

test('httpFailure words 404 and other statuses, and ignores a non-string error', () => {
  assert.equal(httpFailure(404, { error: 'no such entry' }).message, 'Not found: no such entry');
  assert.equal(httpFailure(500, { error: 'internal' }).message, 'Request failed (HTTP 500): internal');
  assert.equal(httpFailure(500, { error: { nested: 1 } }).message, 'Request failed (HTTP 500): HTTP 500');
  assert.equal(httpFailure(400, null).message, 'Bad request: HTTP 400');
  assert.equal(httpFailure(400, { error: 'x', parameter: 7 }).message, 'Bad request: x');
});

test('every failure has the same shape', async () => {
  const keys = ['aborted', 'message', 'ok', 'short', 'status'];
  for (const respond of [() => { throw new Error('x'); }, () => answer(503, {}), () => answer(400, {}),
    () => answer(404, {}), () => answer(500, 'x'), () => answer(200, 'x')]) {
    fakeFetch(respond);
    const r = await api('/api/x');
    assert.deepEqual(Object.keys(r).sort(), keys);
    assert.equal(typeof r.message, 'string');
    assert.equal(typeof r.short, 'string');
  }
});

test('api reports a request aborted before it was answered as aborted', async () => {
  fakeFetch((url, init) => abortable(init.signal));
  const c = new AbortController();
  const pending = api('/api/search', {}, c.signal);
  c.abort();
  const r = await pending;
  assert.equal(r.ok, false);
  assert.equal(r.aborted, true);
});

test('api reports as aborted a request whose body was cut off by the abort', async () => {
  // Headers arrived (200), then the abort broke the body: not "not JSON", but aborted.
  const c = new AbortController();
  fakeFetch(() => ({ ok: true, status: 200, json: () => { c.abort(); return abortable(c.signal); } }));
  const r = await api('/api/search', {}, c.signal);
  assert.equal(r.aborted, true);
});

test('api reports as aborted an answer that arrived after the abort', async () => {
  const c = new AbortController();
  fakeFetch(() => { c.abort(); return answer(200, { entries: [] }); });
  const r = await api('/api/search', {}, c.signal);
  assert.equal(r.ok, false);
  assert.equal(r.aborted, true);
});

test('Superseding.next aborts the previous signal and only that one', () => {
  const s = new Superseding();
  const a = s.next();
  const b = s.next();
  assert.equal(a.aborted, true);
  assert.equal(b.aborted, false);
  const c = s.next();
  assert.equal(b.aborted, true);
  assert.equal(c.aborted, false);
});

test('Superseding.current shares the running signal without aborting it', () => {
  const s = new Superseding();
  const first = s.current(); // none yet: starts one
  assert.equal(s.current(), first);
  assert.equal(first.aborted, false);
  assert.equal(s.next() === first, false);
  assert.equal(first.aborted, true);
});

test('Superseding.cancel aborts the running signal; the next one is fresh', () => {
  const s = new Superseding();
  const a = s.next();
  s.cancel();
  assert.equal(a.aborted, true);
  const b = s.current();
  assert.equal(b.aborted, false);
  s.cancel();
  s.cancel(); // nothing running: no effect
  assert.equal(b.aborted, true);
});

test('a superseded api call is cancelled on the network, the newer one answers', async () => {
  const seen = [];
  fakeFetch((url, init) => {
    seen.push(init.signal);
    return url.endsWith('q=old') ? abortable(init.signal) : answer(200, { q: 'new' });
  });
  const s = new Superseding();
  const older = api('/api/search', { q: 'old' }, s.next());
  const newer = api('/api/search', { q: 'new' }, s.next());
  assert.equal((await older).aborted, true);
  assert.deepEqual(await newer, { ok: true, data: { q: 'new' } });
  assert.equal(seen[0].aborted, true);
  assert.equal(seen[1].aborted, false);
});
