// Unit tests of web/static/credentials_format.js: the Credentials page's expiry, status and
// warning texts.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fmtAge, fmtExpiresIn, modeLabel, rotationSummary, rowStatus, warningText } from '../../web/static/credentials_format.js';

test('fmtExpiresIn says in how long, how long ago, or never', () => {
  assert.equal(fmtExpiresIn(3000), 'in 50 min');
  assert.equal(fmtExpiresIn(30), 'in 30 s');
  assert.equal(fmtExpiresIn(0), 'expired 0.0 s ago');
  assert.equal(fmtExpiresIn(-5), 'expired 5.0 s ago');
  assert.equal(fmtExpiresIn(null), 'never');
  assert.equal(fmtExpiresIn(undefined), 'never');
  assert.equal(fmtExpiresIn('60'), '—');
  assert.equal(fmtExpiresIn(NaN), '—');
});

test('fmtAge shows a duration, never negative, and a dash when unknown', () => {
  assert.equal(fmtAge(600), '10 min');
  assert.equal(fmtAge(-3), '0.0 s');
  assert.equal(fmtAge(null), '—');
});

test('modeLabel names the mode, the instance and the role', () => {
  assert.equal(modeLabel({ mode: 'serve', name: '', role: 'reader' }), 'serve (reader)');
  assert.equal(modeLabel({ mode: 'collect', name: 'c1', role: 'writer' }), 'collect c1 (writer)');
  assert.equal(modeLabel({}), '?');
});

test('rowStatus takes the worst warning of the row, matching mode and name', () => {
  const warnings = [
    { mode: 'collect', name: 'c1', kind: 'expires_soon' },
    { mode: 'collect', name: 'c2', kind: 'source_unreachable' },
    { mode: 'collect', name: 'c2', kind: 'stale_report' },
    { mode: 'serve', name: '', kind: 'database' },
  ];
  assert.equal(rowStatus({ mode: 'collect', name: 'c1' }, warnings), 'warn');
  assert.equal(rowStatus({ mode: 'collect', name: 'c2' }, warnings), 'bad');
  assert.equal(rowStatus({ mode: 'collect', name: 'c3' }, warnings), 'ok');
  assert.equal(rowStatus({ mode: 'serve', name: '' }, warnings), 'ok');  // "database" is not the credentials' fault
  assert.equal(rowStatus({ mode: 'serve', name: '' }, [{ mode: 'serve', kind: 'expired' }]), 'bad');
  assert.equal(rowStatus({ mode: 'serve' }, null), 'ok');
});

test('warningText titles each kind and keeps the message as text', () => {
  assert.equal(warningText({ kind: 'expires_soon', message: 'the credentials of serve expire in 300 s' }),
    'Expires soon: the credentials of serve expire in 300 s');
  assert.equal(warningText({ kind: 'source_unreachable', message: 'x' }), 'Vault unreachable: x');
  assert.equal(warningText({ kind: 'stale_report', message: 'y' }), 'Stale report: y');
  assert.equal(warningText({ kind: 'new_kind', message: '<b>z</b>' }), 'new_kind: <b>z</b>');
  assert.equal(warningText({}), 'Warning: ');
});

test('rotationSummary counts with singular and plural', () => {
  assert.equal(rotationSummary(1, 0), '1 rotation, 0 failures in the window');
  assert.equal(rotationSummary(2, 1), '2 rotations, 1 failure in the window');
  assert.equal(rotationSummary(undefined, null), '0 rotations, 0 failures in the window');
});
