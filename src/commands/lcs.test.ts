// Unit tests for LCS (lcs.ts): replies as Redis 7.0.15 gives them (its own test vectors), RESP2
// and RESP3 shapes, option and error order, the proto-max-bulk-len table limit, and a property:
// the reply is a common subsequence of the maximal length and the IDX ranges spell it.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lcsCommands } from './lcs.js';
import { stringCommands } from './strings.js';
import { zsetCommands } from './zsets.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  return commandHarness([...stringCommands, ...zsetCommands, ...lcsCommands], 2);
}


describe('command metadata', () => {
  test('LCS matches redis 7.0 arity, flags and key positions', () => {
    assertMatchesRedis(lcsCommands);
  });
});

describe('LCS', () => {
  test("Redis's own vectors (type/string LCS tests)", () => {
    const { run } = harness();
    run('SET', 'a', 'ohmytext');
    run('SET', 'b', 'mynewtext');
    assert.equal(run('LCS', 'a', 'b'), 'mytext');
    assert.equal(run('LCS', 'a', 'b', 'LEN'), 6);
    assert.deepEqual(run('LCS', 'a', 'b', 'IDX'), ['matches', [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], 'len', 6]);
    assert.deepEqual(run('LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN'), ['matches', [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], 'len', 6]);
    assert.deepEqual(run('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'), ['matches', [[[4, 7], [5, 8], 4]], 'len', 6]);
  });

  test('RESP3 IDX is a map; missing keys are empty strings', () => {
    const { run, raw, c } = harness();
    run('SET', 'a', 'xab');
    run('SET', 'b', 'ab');
    c.w.resp = 3;
    assert.equal(raw('LCS', 'a', 'b', 'IDX'), '%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:1\r\n:2\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:2\r\n');
    assert.equal(raw('LCS', 'a', 'nokey'), '$0\r\n\r\n');
    assert.equal(raw('LCS', 'nokey', 'nokey2', 'IDX'), '%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n');
  });

  test('errors: key types first, then options, then LEN with IDX, then the table size', () => {
    const { run, store } = harness();
    run('SET', 'a', 'abc');
    run('ZADD', 'z', '1', 'm');
    const notStrings = { error: 'ERR The specified keys must contain string values' };
    assert.deepEqual(run('LCS', 'a', 'z'), notStrings);
    assert.deepEqual(run('LCS', 'z', 'a', 'BAD'), notStrings);
    assert.deepEqual(run('LCS', 'a', 'a', 'BAD'), { error: 'ERR syntax error' });
    assert.deepEqual(run('LCS', 'a', 'a', 'MINMATCHLEN'), { error: 'ERR syntax error' });
    assert.deepEqual(run('LCS', 'a', 'a', 'MINMATCHLEN', 'x'), { error: 'ERR value is not an integer or out of range' });
    assert.deepEqual(run('LCS', 'a', 'a', 'LEN', 'IDX'), { error: 'ERR If you want both the length and indexes, please just use IDX.' });
    assert.deepEqual(run('LCS', 'a', 'a', 'MINMATCHLEN', '-5', 'idx'), ['matches', [[[0, 2], [0, 2]]], 'len', 3]);
    store.maxStringLength = 63;
    assert.deepEqual(run('LCS', 'a', 'a'), { error: 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len' });
    store.maxStringLength = 64;
    assert.equal(run('LCS', 'a', 'a'), 'abc');
  });

  test('the reply is a longest common subsequence, spelled by the IDX ranges', () => {
    const str = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 30 });
    fc.assert(
      fc.property(str, str, (a, b) => {
        const { run } = harness();
        run('SET', 'a', a);
        run('SET', 'b', b);
        const lcs = run('LCS', 'a', 'b') as string;
        assert.equal(lcs.length, referenceLength(a, b));
        assert.ok(isSubsequence(lcs, a) && isSubsequence(lcs, b));
        const [, ranges, , len] = run('LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN') as [string, Array<[[number, number], [number, number], number]>, string, number];
        assert.equal(len, lcs.length);
        let spelled = '';
        for (const [[a0, a1], [b0, b1], n] of [...ranges].reverse()) {
          assert.equal(a.slice(a0, a1 + 1), b.slice(b0, b1 + 1));
          assert.equal(n, a1 - a0 + 1);
          spelled += a.slice(a0, a1 + 1);
        }
        assert.equal(spelled, lcs);
      }),
      { numRuns: 200 },
    );
  });
});

function referenceLength(a: string, b: string): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = [0];
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    prev = cur;
  }
  return prev[b.length];
}

function isSubsequence(s: string, of: string): boolean {
  let k = 0;
  for (let i = 0; i < of.length && k < s.length; i++) if (of[i] === s[k]) k++;
  return k === s.length;
}
