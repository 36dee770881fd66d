// Unit tests for XREAD's table entry: metadata against Redis's, and the key finder
// (xreadGetKeys) on well-formed and malformed calls.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamBlockCommands, xreadKeys } from './stream-block.js';
import { argsFrom } from '../../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../../test/support/redis-meta-check.js';

test('XREAD matches redis 7.0 arity, flags and key positions (the table has no blocking flag)', () => {
  assertMatchesRedis(streamBlockCommands, true);
});

test('xreadKeys: the first half of the arguments after STREAMS, none when malformed', () => {
  const keys = (...argv: string[]): number[] => {
    const out: number[] = [];
    const n = xreadKeys(argsFrom(argv), out);
    return out.slice(0, n);
  };
  assert.deepEqual(keys('XREAD', 'STREAMS', 'a', 'b', '0', '0'), [2, 3]);
  assert.deepEqual(keys('XREAD', 'COUNT', '5', 'BLOCK', '0', 'streams', 'streams', '0'), [6]);
  assert.deepEqual(keys('XREADGROUP', 'GROUP', 'g', 'streams', 'NOACK', 'STREAMS', 'k', '>'), [6]);
  assert.deepEqual(keys('XREAD', 'STREAMS', 'a', 'b', '0'), []);
  assert.deepEqual(keys('XREAD', 'STREAMS'), []);
  assert.deepEqual(keys('XREAD', 'FOO', 'STREAMS', 'a', '0'), []);
});
