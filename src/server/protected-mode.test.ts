import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTECTED_MODE_DENIED, isLoopbackPeer, refusedByProtectedMode } from './protected-mode.js';

test('only 127.0.0.1 and ::1 (also IPv4-mapped) are loopback peers, as islocalClient', () => {
  for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackPeer(a), true, a);
  for (const a of ['127.0.0.2', '10.0.0.1', '::ffff:10.0.0.1', '192.0.2.2', '', undefined]) assert.equal(isLoopbackPeer(a), false, String(a));
});

test('refused: protected mode on, default user without password, remote peer', () => {
  const table: Array<[boolean, boolean, string, boolean]> = [
    [true, true, '10.0.0.1', true],
    [true, true, '127.0.0.1', false],
    [true, false, '10.0.0.1', false],
    [false, true, '10.0.0.1', false],
  ];
  for (const [mode, nopass, peer, refused] of table) assert.equal(refusedByProtectedMode(mode, nopass, peer), refused, `${mode} ${nopass} ${peer}`);
});

test('the reply is one RESP error line', () => {
  assert.ok(PROTECTED_MODE_DENIED.startsWith('-DENIED '));
  assert.equal(PROTECTED_MODE_DENIED.indexOf('\r\n'), PROTECTED_MODE_DENIED.length - 2);
});
