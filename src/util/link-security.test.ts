// Unit tests: the AUTH frame a link writes first, and how refusals read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authFrame, authNotNeeded, authRefusal, sendsAuth } from './link-security.js';

test('AUTH goes first only with a password, as the default user or the named one', () => {
  assert.equal(authFrame(undefined), null);
  assert.equal(authFrame({ user: 'repl' }), null);
  assert.equal(sendsAuth({ user: 'repl' }), false);
  assert.equal(authFrame({ password: 'pw' })?.toString(), '*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n');
  assert.equal(authFrame({ user: 'repl', password: 'pässword' })?.toString(), '*3\r\n$4\r\nAUTH\r\n$4\r\nrepl\r\n$9\r\npässword\r\n');
  assert.equal(sendsAuth({ password: '' }), true);
});

test('a refusal names the peer and the user, never the password', () => {
  const line = authRefusal('the primary', { user: 'repl', password: 'hunter2' }, 'WRONGPASS invalid username-password pair or user is disabled.');
  assert.match(line, /the primary refused the credentials \(AUTH as repl: WRONGPASS/);
  assert.doesNotMatch(line, /hunter2/);
  assert.match(authRefusal('x', { password: 'p' }, 'E'), /AUTH as the default user/);
  assert.equal(authNotNeeded('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'), true);
  assert.equal(authNotNeeded('WRONGPASS invalid username-password pair or user is disabled.'), false);
});
