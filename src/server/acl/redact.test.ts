import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argsFrom } from '../../../test/support/command-harness.js';
import { latin1 } from '../../util/bytes.js';
import { redactedArgs, redactedPositions } from './redact.js';

const positions = (name: string, ...argv: string[]): number[] => redactedPositions(name, argsFrom(argv));

test('AUTH, HELLO AUTH, ACL SETUSER and sensitive CONFIG SET values are hidden', () => {
  assert.deepEqual(positions('auth', 'AUTH', 'pw'), [1]);
  assert.deepEqual(positions('auth', 'AUTH', 'u', 'pw'), [1, 2]);
  assert.deepEqual(positions('auth', 'AUTH', 'a', 'b', 'c'), []);
  assert.deepEqual(positions('hello', 'HELLO', '3', 'SETNAME', 'n', 'AUTH', 'u', 'p'), [5, 6]);
  assert.deepEqual(positions('hello', 'HELLO', '4', 'AUTH', 'u', 'p'), []);
  assert.deepEqual(positions('hello', 'HELLO', '2', 'bad', 'AUTH', 'u', 'p'), []);
  assert.deepEqual(positions('acl|setuser', 'ACL', 'SETUSER', 'u', '>p', 'on'), [2, 3, 4]);
  assert.deepEqual(positions('config|set', 'CONFIG', 'SET', 'maxmemory', '1', 'REQUIREPASS', 'x'), [5]);
  assert.deepEqual(positions('get', 'GET', 'k'), []);
});

test('redactedArgs replaces the hidden arguments and keeps the others', () => {
  const args = argsFrom(['AUTH', 'user', 'secret']);
  const r = redactedArgs('auth', args);
  assert.deepEqual(
    Array.from({ length: r.argc }, (_, i) => latin1(r.buf, r.start[i], r.end[i])),
    ['AUTH', '(redacted)', '(redacted)'],
  );
  const plain = argsFrom(['GET', 'k']);
  assert.equal(redactedArgs('get', plain), plain);
});
