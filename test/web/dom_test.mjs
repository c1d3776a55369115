// Unit tests of web/static/dom.js and render.js on a fake DOM (fake_dom.mjs): h() refuses
// properties that could make markup or script, and log values always become text nodes.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { FakeElement, FakeText, allElements, installFakeDom } from './fake_dom.mjs';
import { appendAll, checkProp, h, message } from '../../web/static/dom.js';
import { labelsNode, table, valueNode } from '../../web/static/render.js';

const HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

let created;
beforeEach(() => { created = installFakeDom(); });

test('h refuses html and on* properties, whatever their case, before making anything', () => {
  for (const k of ['innerHTML', 'outerHTML', 'innerhtml', 'insertAdjacentHTML', 'HTML', 'onclick',
    'onerror', 'ONLOAD', 'onMouseOver']) {
    assert.throws(() => h('div', { className: 'ok', [k]: 'x' }), { message: 'h(): refusing property ' + k }, k);
  }
  assert.equal(created.length, 0);
});

test('checkProp lets ordinary property names through', () => {
  for (const k of ['className', 'href', 'title', 'dataset', 'events', 'role', 'aria-label', 'spellcheck', 'tone']) {
    assert.doesNotThrow(() => checkProp(k), k);
  }
});

test('h sets known keys as properties and others as attributes, skipping null and false', () => {
  const e = h('input', { id: 'f-host', value: HOSTILE, hidden: true, role: 'status', 'aria-label': 'x',
    spellcheck: 'false', title: null, disabled: false });
  assert.equal(e.tagName, 'INPUT');
  assert.equal(e.id, 'f-host');
  assert.equal(e.value, HOSTILE);
  assert.equal(e.hidden, true);
  assert.equal(e.getAttribute('role'), 'status');
  assert.equal(e.getAttribute('aria-label'), 'x');
  assert.equal(e.getAttribute('spellcheck'), 'false');
  assert.equal('title' in e, false);
  assert.equal('disabled' in e, false);
  assert.equal(e.getAttribute('disabled'), null);
});

test('h fills dataset and adds event listeners', () => {
  const fn = () => {};
  const e = h('tr', { dataset: { id: '1-2', field: 'MESSAGE' }, events: { click: fn } });
  assert.deepEqual(e.dataset, { id: '1-2', field: 'MESSAGE' });
  assert.deepEqual(e.listeners.click, [fn]);
});

test('h turns text children into text nodes, markup included', () => {
  const e = h('td', null, HOSTILE, 42, null, false, undefined, ['a', ['b']]);
  assert.equal(e.childNodes.length, 4);
  assert.ok(e.childNodes.every((c) => c instanceof FakeText));
  assert.equal(e.textContent, HOSTILE + '42ab');
  assert.equal(created.length, 1); // no element was made from the markup
});

test('appendAll keeps nodes as they are and returns the parent', () => {
  const parent = h('div');
  const child = h('span', null, 'x');
  assert.equal(appendAll(parent, child, 'y'), parent);
  assert.equal(parent.childNodes[0], child);
  assert.ok(parent.childNodes[1] instanceof FakeText);
});

test('message marks only errors as alerts', () => {
  assert.equal(message('error', 'x').getAttribute('role'), 'alert');
  assert.equal(message('info', 'x').getAttribute('role'), null);
  assert.equal(message('warn', HOSTILE).className, 'msg msg-warn');
  assert.equal(message('warn', HOSTILE).textContent, HOSTILE);
});

test('valueNode shows a hostile string as one text node', () => {
  const n = valueNode(HOSTILE);
  assert.ok(n instanceof FakeText);
  assert.equal(n.textContent, HOSTILE);
});

test('valueNode shows null as the empty text, numbers and booleans as text', () => {
  const n = valueNode(null, '(no message)');
  assert.equal(n.className, 'null');
  assert.equal(n.textContent, '(no message)');
  assert.equal(valueNode(undefined).textContent, '—');
  assert.equal(valueNode(7).textContent, '7');
  assert.equal(valueNode(false).textContent, 'false');
});

test('valueNode shows bytes escaped, with a binary badge, in both API forms', () => {
  for (const v of [[0x3c, 0x62, 0x3e, 0x00, 0x5c], { bytes: [0x3c, 0x62, 0x3e, 0x00, 0x5c] }]) {
    const n = valueNode(v);
    assert.equal(n.className, 'binary');
    const [badge, , bytes] = n.childNodes;
    assert.equal(badge.textContent, 'binary');
    assert.equal(badge.title, '5 bytes, not printable UTF-8');
    assert.equal(bytes.textContent, '<b>\\x00\\\\');
    assert.equal(allElements(n).length, 3); // span, badge, bytes: no <b>
  }
});

test('valueNode lists a repeated field, each value as text', () => {
  const n = valueNode(['one', HOSTILE, null, [1, 2]], '(null)');
  assert.equal(n.tagName, 'OL');
  assert.equal(n.title, 'repeated field: 4 values');
  assert.deepEqual(n.children.map((li) => li.tagName), ['LI', 'LI', 'LI', 'LI']);
  assert.equal(n.children[1].textContent, HOSTILE);
  assert.equal(n.children[2].textContent, '(null)');
  assert.equal(n.children[3].textContent, 'binary \\x01\\x02');
});

test('valueNode shows any other object as its JSON text', () => {
  const n = valueNode({ a: HOSTILE });
  assert.ok(n instanceof FakeText);
  assert.equal(n.textContent, JSON.stringify({ a: HOSTILE }));
});

test('labelsNode shows keys and values as text chips', () => {
  const n = labelsNode({ [HOSTILE]: 'v', env: { bytes: [0xff] } });
  const chips = n.children;
  assert.equal(chips.length, 2);
  assert.equal(chips[0].textContent, HOSTILE + '=v');
  assert.equal(chips[0].title, HOSTILE + '=v');
  assert.equal(chips[1].title, 'env={"bytes":[255]}');
  assert.equal(labelsNode(null), '');
});

test('table puts header labels and cells in place, with num and cls classes', () => {
  const t = table([
    { label: 'Host', cell: (r) => r.host },
    { label: 'Errors', num: true, cls: 'x', cell: (r) => String(r.errors) },
  ], [{ host: HOSTILE, errors: 3 }], { id: 'hosts-table', rowClass: () => 'stale' });
  assert.equal(t.id, 'hosts-table');
  assert.equal(t.className, 'data');
  const [thead, tbody] = t.children;
  assert.deepEqual(thead.children[0].children.map((th) => [th.textContent, th.className]),
    [['Host', undefined], ['Errors', 'num']]);
  const tr = tbody.children[0];
  assert.equal(tr.className, 'stale');
  assert.deepEqual(tr.children.map((td) => [td.textContent, td.className]), [[HOSTILE, undefined], ['3', 'num x']]);
  assert.ok(allElements(t).every((e) => e instanceof FakeElement && !['IMG', 'SCRIPT'].includes(e.tagName)));
});
