// Byte-for-byte comparison of corral's sorted-set commands with a real redis-server 7.0, in RESP2
// and RESP3, plus redis-benchmark's zadd/zpopmin tests (must run with no error line).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { sameOnBoth, type Cmd } from '../support/compare.js';

const run = promisify(execFile);

let corral: StartedCorral;
let redis: Started;

before(async () => {
  corral = await startCorral();
  redis = await startRedis();
});

after(async () => {
  await corral?.close();
  await redis?.close();
});

const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);

const split = (lines: string): Cmd[] => lines.trim().split('\n').map((l) => l.trim().split(' '));

describe('sorted sets match redis 7.0', () => {
  test('ZADD options, errors and replies', async () => {
    await same(split(`
      ZADD z XX NX 1 a
      ZADD z GT LT 1 a
      ZADD z NX GT 1 a
      ZADD z LT NX 1 a
      ZADD z INCR 1 a 2 b
      ZADD z abc a
      ZADD z nan a
      ZADD z 1 a 2
      ZADD z NX
      ZADD z 1
      ZADD z XX 1 a
      ZADD z XX INCR 1 a
      EXISTS z
      ZADD z inf a -inf b 1.5 c 0x10 d 1e3 e .5 f 5. g +7 h 0x1.8p1 i INFINITY j -Inf k 1e-310 l
      ZADD z 1e400 x
      ZADD z 1e-400 x
      ZADD z 0x x
      ZADD z 1e x
      ZADD z 1_0 x
      ZADD z 0b1 x
      ZRANGE z 0 -1 WITHSCORES
      ZADD z INCR 1 a
      ZADD z INCR -inf a
      ZADD z NX INCR 1 a
      ZADD z XX INCR 1 nope
      ZADD z CH 5 a 6 x
      ZADD z CH GT 4 a 7 x 1 y
      ZADD z LT CH 3 a 8 x
      ZADD z XX CH 9 a 9 zz
      ZADD z GT INCR -1 a
      ZADD z LT INCR -1 a
      ZADD z ch xx gt incr 1 a
      ZADD z 1 dup 2 dup 3 dup
      ZADD z CH 1 dup 2 dup 3 dup
      ZSCORE z dup
      ZADD z 0.1 p 0.2 q 3.14159 r 1e20 s -1e-5 t 123456789012345678 u
      ZRANGE z 0 -1 WITHSCORES
      ZCARD z
      ZCARD nokey
      ZADD z -0 m0
      ZSCORE z m0
      ZINCRBY z 1.5 x
      ZINCRBY z abc x
      ZINCRBY z 1 newmember
      ZINCRBY z -inf a
      ZINCRBY z inf a
      ZINCRBY z 1 a 2
      SET s v
      ZADD s 1 a
      ZADD s abc a
      ZINCRBY s 1 a
    `));
  });

  test('ZREM, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, wrong types', async () => {
    await same(split(`
      ZADD z 1 a 2 b 2 c 3 d 4 e 4 f 4 g 10 h
      ZSCORE z a
      ZSCORE z nope
      ZSCORE nokey a
      ZMSCORE z a nope h
      ZMSCORE nokey a b
      ZRANK z a
      ZRANK z g
      ZRANK z nope
      ZREVRANK z a
      ZREVRANK z h
      ZRANK nokey a
      ZCOUNT z -inf +inf
      ZCOUNT z 2 4
      ZCOUNT z (2 (4
      ZCOUNT z (2 4
      ZCOUNT z 4 2
      ZCOUNT z (1 abc
      ZCOUNT z ( 5
      ZCOUNT z (4 (4
      ZCOUNT z 4 4
      ZCOUNT z nan 4
      ZCOUNT z -inf 1e400
      ZCOUNT nokey 0 1
      ZLEXCOUNT z - +
      ZLEXCOUNT z [b [d
      ZLEXCOUNT z (b (d
      ZLEXCOUNT z a b
      ZREM z a nope b
      ZREM z nope
      ZREM nokey a
      ZCARD z
      ZREM z c d e f g h
      EXISTS z
      SET s v
      ZREM s a
      ZCARD s
      ZSCORE s a
      ZMSCORE s a
      ZRANK s a
      ZCOUNT s 0 1
      ZCOUNT s x 1
      ZRANGE s 0 -1
      ZPOPMIN s
      ZPOPMAX s 0
      ZRANGEBYSCORE s 0 1
      ZLEXCOUNT s - +
      ZREMRANGEBYRANK s 0 1
    `));
  });

  test('ZRANGE family: ranks, REV, BYSCORE, BYLEX, LIMIT, WITHSCORES, errors', async () => {
    await same(split(`
      ZADD z 1 a 2 b 2.5 c 3 d 4 e 5 f -1 g
      ZRANGE z 0 -1
      ZRANGE z 0 -1 WITHSCORES
      ZRANGE z 0 -1 REV WITHSCORES
      ZRANGE z 2 4
      ZRANGE z -3 -1 withscores
      ZRANGE z -100 100
      ZRANGE z 5 1
      ZRANGE z 10 20
      ZRANGE z 0 0 REV
      ZRANGE z a b
      ZRANGE z 0 -1 LIMIT 1 2
      ZRANGE z 0 -1 LIMIT 1
      ZRANGE z 0 -1 FOO
      ZRANGE z 2 4 BYSCORE
      ZRANGE z (2 4 BYSCORE WITHSCORES
      ZRANGE z 4 (2 BYSCORE REV WITHSCORES
      ZRANGE z -inf +inf BYSCORE LIMIT 1 3
      ZRANGE z -inf +inf BYSCORE LIMIT 1 3 REV
      ZRANGE z +inf -inf BYSCORE REV LIMIT 1 3
      ZRANGE z 0 10 BYSCORE LIMIT -1 2
      ZRANGE z 0 10 BYSCORE LIMIT 1 -1
      ZRANGE z 0 10 BYSCORE LIMIT 1 0
      ZRANGE z 0 10 BYSCORE LIMIT 10 2
      ZRANGE z 0 10 BYSCORE LIMIT x 2
      ZRANGE z (a b BYSCORE
      ZRANGE z - + BYLEX
      ZRANGE z - + BYLEX WITHSCORES
      ZRANGE z a b BYLEX
      ZRANGE z 0 -1 BYSCORE BYLEX
      ZRANGE z 0 -1 REV REV
      ZREVRANGE z 0 -1
      ZREVRANGE z 0 2 WITHSCORES
      ZREVRANGE z 0 1 REV
      ZREVRANGE z 0 1 BYSCORE
      ZRANGEBYSCORE z 2 4
      ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 2 2
      ZRANGEBYSCORE z 0 1 BYSCORE
      ZREVRANGEBYSCORE z 4 2 WITHSCORES
      ZREVRANGEBYSCORE z +inf -inf LIMIT 0 2
      ZRANGE nokey 0 -1
      ZRANGE nokey 0 -1 LIMIT 1 2
      ZRANGE nokey 0 -1 BYSCORE WITHSCORES
      DEL z
      ZADD l 0 a 0 b 0 c 0 d 0 e 0 ff 0 g
      ZRANGE l [b (e BYLEX
      ZRANGE l (b [e BYLEX LIMIT 1 2
      ZRANGE l [e [b BYLEX REV
      ZRANGE l + - BYLEX REV LIMIT 1 3
      ZRANGEBYLEX l - [c
      ZRANGEBYLEX l [f +
      ZREVRANGEBYLEX l [f (a
      ZRANGEBYLEX l [z [a
      ZRANGEBYLEX l - + WITHSCORES
      ZLEXCOUNT l [f +
      ZREMRANGEBYLEX l [b [c
      ZREMRANGEBYRANK l 0 0
      ZREMRANGEBYSCORE l -inf (0
      ZREMRANGEBYSCORE l 0 0
      EXISTS l
    `));
  });

  test('ZPOPMIN / ZPOPMAX shapes, counts and emptied keys', async () => {
    await same(split(`
      ZADD z 1 a 2 b 3 c 4 d 5 e 6 f
      ZPOPMIN z
      ZPOPMAX z
      ZPOPMIN z 2
      ZPOPMAX z 1
      ZPOPMIN z 0
      ZPOPMIN z -1
      ZPOPMIN z abc
      ZPOPMIN z 1 2
      ZPOPMIN nokey
      ZPOPMIN nokey 2
      ZPOPMAX nokey 0
      ZPOPMIN z 100
      EXISTS z
      ZADD z 1.5 x
      ZPOPMAX z 5
      EXISTS z
    `));
  });

  test('encodings (listpack up to 128 members of <= 64 bytes), COPY', async () => {
    const many = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => [String(i), `${prefix}${i}`]).flat();
    await same([
      ['ZADD', 'small', ...many(128, 'm')],
      ['OBJECT', 'ENCODING', 'small'],
      ['ZADD', 'small', '1', 'm0'],
      ['OBJECT', 'ENCODING', 'small'],
      ['ZADD', 'small', '1', 'new'],
      ['OBJECT', 'ENCODING', 'small'],
      ['ZREMRANGEBYRANK', 'small', '0', '100'],
      ['OBJECT', 'ENCODING', 'small'],
      ['ZADD', 'long', '1', 'x'.repeat(64)],
      ['OBJECT', 'ENCODING', 'long'],
      ['ZADD', 'long', '1', 'y'.repeat(65)],
      ['OBJECT', 'ENCODING', 'long'],
      ['ZADD', 'dups', ...Array.from({ length: 200 }, () => ['1', 'a']).flat()],
      ['OBJECT', 'ENCODING', 'dups'],
      ['ZADD', 'neg', '-0', 'a'],
      ['ZSCORE', 'neg', 'a'],
      ['ZADD', 'neg', ...many(130, 'n'), '-0', 'b'],
      ['ZSCORE', 'neg', 'b'],
      ['ZINCRBY', 'neg', '-0', 'c'],
      ['ZADD', 'neg', 'INCR', '-0', 'd'],
      ['COPY', 'small', 'copied'],
      ['OBJECT', 'ENCODING', 'copied'],
      ['ZRANGE', 'copied', '0', '3', 'WITHSCORES'],
      ['TYPE', 'copied'],
    ]);
  });

  test('binary members order by bytes (memcmp), ties by score', async () => {
    const members = ['\x00', '\xff', 'a', 'a\x00', 'ab', 'B', '', '\x80x'].map((m) => Buffer.from(m, 'latin1'));
    await same([
      ['ZADD', 'z', ...members.flatMap((m) => ['1', m])],
      ['ZRANGE', 'z', '0', '-1'],
      ['ZRANGE', 'z', '[a', '+', 'BYLEX'],
      ['ZRANK', 'z', Buffer.from('\xff', 'latin1')],
      ['ZADD', 'z', '0', Buffer.from('\xff', 'latin1')],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ]);
  });

  test('random ZADD/ZINCRBY/ZREM/ZPOP/ZRANGE sequences agree', async () => {
    const member = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const score = fc.oneof(fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom('1.5', '-0.25', 'inf', '-inf', '(1', '0'));
    const cmd: fc.Arbitrary<Cmd> = fc.oneof(
      fc.tuple(fc.subarray(['NX', 'XX', 'GT', 'LT', 'CH']), score, member).map(([o, s, m]) => ['ZADD', 'z', ...o, s, m]),
      fc.tuple(score, member).map(([s, m]) => ['ZINCRBY', 'z', s, m]),
      member.map((m) => ['ZREM', 'z', m]),
      fc.constantFrom<Cmd>(['ZPOPMIN', 'z'], ['ZPOPMAX', 'z', '2'], ['ZCARD', 'z']),
      fc.tuple(fc.integer({ min: -4, max: 4 }), fc.integer({ min: -4, max: 4 })).map(([a, b]) => ['ZRANGE', 'z', String(a), String(b), 'WITHSCORES']),
      fc.tuple(score, score).map(([a, b]) => ['ZRANGEBYSCORE', 'z', a, b, 'WITHSCORES']),
      fc.tuple(score, score).map(([a, b]) => ['ZCOUNT', 'z', a, b]),
      member.map((m) => ['ZRANK', 'z', m]),
    );
    await fc.assert(fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 25 }), async (cmds) => {
      await same(cmds);
    }), { numRuns: 25 });
  });
});

test('redis-benchmark zadd,zpopmin runs with no error', async () => {
  const { stdout, stderr } = await run(
    'redis-benchmark',
    ['-p', String(corral.port), '-q', '-e', '-n', '2000', '-t', 'zadd,zpopmin'],
    { timeout: 60_000 },
  );
  const out = `${stdout}\n${stderr}`;
  // redis-benchmark 7.0 warns that -e is the default now; any server error line fails.
  assert.doesNotMatch(out, /ERR|Error/, out);
  for (const name of ['ZADD', 'ZPOPMIN']) {
    assert.match(out, new RegExp(`(^|\\r|\\n)${name}: [\\d.]+ requests per second`), `${name} line in:\n${out}`);
  }
});
