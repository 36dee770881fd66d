// Byte-for-byte comparison with a real redis-server 7.0, in RESP2 and RESP3, of the sorted-set
// algebra (ZUNION ZINTER ZDIFF, their STORE forms, ZINTERCARD), ZRANGESTORE, ZRANDMEMBER's
// deterministic replies, SINTERCARD and LCS: results, scores, encodings of stored results and
// errors in Redis's order; the keyspace events of the STORE forms; CROSSSLOT in cluster mode
// (every key of a numkeys command counts); plus random inputs for the *STORE commands (fast-check).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { keyspaceEventsOf, sameOnBoth, splitCommands as split, type Cmd } from '../support/compare.js';
import { startOneNodeClusters } from '../support/one-node-clusters.js';

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

const SETUP = `
  ZADD a 1 x 2 y 3 z
  ZADD b 10 y 20 z 30 w
  ZADD c -1 z 5 v
  SADD s y z 1 2
  SADD ints 1 2 3
  SET str v
  HSET h f v
`;

describe('ZUNION ZINTER ZDIFF and their STORE forms match redis 7.0', () => {
  test('results, WEIGHTS, AGGREGATE, WITHSCORES, sets as score 1', async () => {
    await same(split(`
      ${SETUP}
      ZUNION 2 a b
      ZUNION 2 a b WITHSCORES
      ZUNION 3 a b c WITHSCORES
      ZUNION 2 a b WEIGHTS 2 0.5 WITHSCORES
      ZUNION 2 a b AGGREGATE MIN WITHSCORES
      ZUNION 2 a b AGGREGATE max WITHSCORES
      ZUNION 2 a b aggregate sum weights 1 -1 withscores
      ZUNION 2 a s WITHSCORES
      ZUNION 2 s ints WITHSCORES
      ZUNION 1 ints WEIGHTS 3 WITHSCORES
      ZUNION 2 a nokey WITHSCORES
      ZUNION 1 nokey WITHSCORES
      ZUNION 2 a a WITHSCORES
      ZUNION 2 a b WITHSCORES WITHSCORES
      ZUNION 2 a b WEIGHTS 1 2 WEIGHTS 3 4 WITHSCORES
      ZINTER 2 a b
      ZINTER 2 a b WITHSCORES
      ZINTER 3 a b c WITHSCORES
      ZINTER 2 a b WEIGHTS 2 3 AGGREGATE MAX WITHSCORES
      ZINTER 2 a b AGGREGATE MIN WITHSCORES
      ZINTER 2 a s WITHSCORES
      ZINTER 2 s a WEIGHTS 5 1 WITHSCORES
      ZINTER 2 a nokey WITHSCORES
      ZINTER 2 a a WEIGHTS 1 2 WITHSCORES
      ZINTER 2 s ints
      ZDIFF 2 a b
      ZDIFF 2 a b WITHSCORES
      ZDIFF 3 b a c WITHSCORES
      ZDIFF 1 a WITHSCORES
      ZDIFF 2 a a
      ZDIFF 2 a nokey WITHSCORES
      ZDIFF 2 nokey a
      ZDIFF 2 s a WITHSCORES
      ZDIFF 2 ints s WITHSCORES
      ZDIFF 2 a s WITHSCORES
    `));
  });

  test('STORE forms: counts, stored scores, emptied destination, overwritten types and TTLs', async () => {
    await same(split(`
      ${SETUP}
      ZUNIONSTORE d 2 a b
      ZRANGE d 0 -1 WITHSCORES
      OBJECT ENCODING d
      ZINTERSTORE d 2 a b WEIGHTS 1 2
      ZRANGE d 0 -1 WITHSCORES
      ZDIFFSTORE d 2 a b
      ZRANGE d 0 -1 WITHSCORES
      ZINTERSTORE d 2 a nokey
      EXISTS d
      ZDIFFSTORE d 2 a a
      EXISTS d
      SET d x
      EXPIRE d 100
      ZUNIONSTORE d 1 a
      TYPE d
      TTL d
      ZUNIONSTORE str 2 str a
      ZUNIONSTORE a 2 a b AGGREGATE MAX
      ZRANGE a 0 -1 WITHSCORES
      ZINTERSTORE s 2 s ints
      TYPE s
      ZRANGE s 0 -1 WITHSCORES
      ZUNIONSTORE e 1 nokey
      EXISTS e
      ZDIFFSTORE e 1 nokey
      ZINTERSTORE e 1 nokey
    `));
  });

  test('infinities, NaN weights and -0', async () => {
    await same(split(`
      ZADD pinf inf m 1 n
      ZADD ninf -inf m -1 n
      ZADD five 5 m 5 n
      ZUNION 2 pinf ninf WITHSCORES
      ZINTER 2 pinf ninf WITHSCORES
      ZUNION 2 pinf five WEIGHTS 0 1 WITHSCORES
      ZINTER 2 five pinf WEIGHTS 1 0 WITHSCORES
      ZINTER 2 pinf five WEIGHTS 0 1 WITHSCORES
      ZINTER 2 five pinf WEIGHTS 1 0 AGGREGATE MIN WITHSCORES
      ZINTER 2 five pinf WEIGHTS 1 0 AGGREGATE MAX WITHSCORES
      ZUNIONSTORE out 1 ninf WEIGHTS 0
      ZRANGE out 0 -1 WITHSCORES
      ZINTERSTORE out 2 pinf ninf
      ZRANGE out 0 -1 WITHSCORES
      ZUNION 1 five WEIGHTS -0 WITHSCORES
      ZADD neg -5 m -3 n
      ZUNION 1 neg WEIGHTS 0 WITHSCORES
      ZUNIONSTORE out 1 neg WEIGHTS 0
      ZSCORE out m
      ZUNION 1 five WEIGHTS inf WITHSCORES
      ZUNION 1 five WEIGHTS 1e308 WITHSCORES
      ZUNION 2 five five WEIGHTS 1e308 1e308 WITHSCORES
      ZUNION 1 five WEIGHTS 0x10 WITHSCORES
      ZADD big 1e16 k
      ZADD one 1 k
      ZADD mbig -1e16 k
      ZUNION 3 big one mbig WITHSCORES
      ZUNION 3 big mbig one WITHSCORES
      ZINTER 3 one big mbig WITHSCORES
      ZINTER 3 mbig big one WITHSCORES
    `));
  });

  test('errors in Redis order', async () => {
    await same(split(`
      ${SETUP}
      ZUNION 0 a
      ZUNION -1 a
      ZUNION x a
      ZUNION 1.5 a
      ZUNION 3 a b
      ZUNION 99999999999999999999 a
      ZUNIONSTORE d 0 a
      ZINTERSTORE d -2 a
      ZDIFFSTORE d 0 a
      ZINTER 0 a
      ZDIFF 0 a
      ZINTERCARD 0 a
      ZINTERCARD -1 a
      ZINTERCARD 3 a b
      ZINTERCARD x a
      ZUNIONSTORE d 3 a b
      ZUNION 2 a str
      ZUNION 2 a h WITHSCORES
      ZUNION 2 str a BADOPT
      ZINTER 2 a b BADOPT
      ZINTER 2 a b WEIGHTS 1
      ZINTER 2 a b WEIGHTS 1 x
      ZINTER 2 a b WEIGHTS 1 nan
      ZINTER 2 a b WEIGHTS 1 inf
      ZINTER 2 a b WEIGHTS 1 1e400
      ZINTER 2 a b WEIGHTS 1 ""
      ZINTER 2 a b AGGREGATE
      ZINTER 2 a b AGGREGATE avg
      ZINTER 2 a b AGGREGATE sum WITHSCORES extra
      ZDIFF 2 a b WEIGHTS 1 2
      ZDIFF 2 a b AGGREGATE SUM
      ZUNIONSTORE d 2 a b WITHSCORES
      ZINTERSTORE d 2 a b WITHSCORES
      ZDIFFSTORE d 2 a b WITHSCORES
      ZUNIONSTORE str2 2 a h
      ZINTERCARD 2 a b WITHSCORES
      ZINTERCARD 2 a b WEIGHTS 1 1
      ZINTERCARD 2 a b LIMIT
      ZINTERCARD 2 a b LIMIT -1
      ZINTERCARD 2 a b LIMIT x
      ZINTERCARD 2 a str LIMIT x
      ZUNION
      ZUNION 1
      ZUNIONSTORE d 1
      ZINTERCARD 1
      ZRANGESTORE d a 0
    `));
  });

  test('ZINTERCARD and LIMIT', async () => {
    await same(split(`
      ${SETUP}
      ZADD big 1 y 2 z 3 x 4 q
      ZINTERCARD 1 a
      ZINTERCARD 2 a b
      ZINTERCARD 2 a big
      ZINTERCARD 2 a big LIMIT 0
      ZINTERCARD 2 a big LIMIT 1
      ZINTERCARD 2 a big LIMIT 2
      ZINTERCARD 2 a big LIMIT 100
      ZINTERCARD 2 a big LIMIT 1 LIMIT 0
      ZINTERCARD 2 a s
      ZINTERCARD 2 a nokey
      ZINTERCARD 2 s ints
    `));
  });

  test('stored encodings follow the result size and member lengths', async () => {
    const many = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => [String(i % 7), `${prefix}${i}`]).flat();
    await same([
      ['ZADD', 'p', ...many(100, 'm')],
      ['ZADD', 'q', ...many(100, 'n')],
      ['ZUNIONSTORE', 'd', '2', 'p', 'q'],
      ['OBJECT', 'ENCODING', 'd'],
      ['ZUNIONSTORE', 'd', '1', 'p'],
      ['OBJECT', 'ENCODING', 'd'],
      ['ZADD', 'r', '-2', 'x'.repeat(65), '3', 'y'],
      ['ZUNIONSTORE', 'd', '1', 'r', 'WEIGHTS', '0'],
      ['OBJECT', 'ENCODING', 'd'],
      ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'],
      ['ZUNIONSTORE', 'd', '2', 'p', 'q', 'WEIGHTS', '-0', '-1'],
      ['OBJECT', 'ENCODING', 'd'],
      ['ZRANGE', 'd', '0', '2', 'WITHSCORES'],
      ['ZDIFFSTORE', 'd', '2', 'p', 'q'],
      ['OBJECT', 'ENCODING', 'd'],
      ['ZRANGESTORE', 'd2', 'd', '0', '127'],
      ['OBJECT', 'ENCODING', 'd2'],
      ['ZRANGESTORE', 'd2', 'd', '0', '128'],
      ['OBJECT', 'ENCODING', 'd2'],
      ['ZRANGESTORE', 'd2', 'd', '-inf', '+inf', 'BYSCORE'],
      ['OBJECT', 'ENCODING', 'd2'],
      ['ZRANGESTORE', 'd2', 'r', '0', '-1'],
      ['OBJECT', 'ENCODING', 'd2'],
    ]);
  });
});

describe('ZRANGESTORE matches redis 7.0', () => {
  test('ranks, BYSCORE, BYLEX, REV, LIMIT and errors', async () => {
    await same(split(`
      ZADD z 1 a 2 b 3 c 4 d 5 e
      ZADD l 0 a 0 b 0 c 0 d 0 e
      ZRANGESTORE d z 0 -1
      ZRANGE d 0 -1 WITHSCORES
      ZRANGESTORE d z 1 2
      ZRANGE d 0 -1 WITHSCORES
      ZRANGESTORE d z 0 1 REV
      ZRANGE d 0 -1 WITHSCORES
      ZRANGESTORE d z -2 -1
      ZRANGESTORE d z 2 (4 BYSCORE
      ZRANGE d 0 -1 WITHSCORES
      ZRANGESTORE d z 0 5 BYSCORE LIMIT 0 2
      ZRANGE d 0 -1
      ZRANGESTORE d z 5 0 BYSCORE REV LIMIT 1 2
      ZRANGE d 0 -1
      ZRANGESTORE d z 0 5 BYSCORE LIMIT -1 2
      EXISTS d
      ZRANGESTORE d z 0 5 BYSCORE LIMIT 1 -1
      ZRANGESTORE d l [b [d BYLEX
      ZRANGE d 0 -1
      ZRANGESTORE d l + - BYLEX REV LIMIT 1 2
      ZRANGE d 0 -1
      ZRANGESTORE d z 5 6
      EXISTS d
      ZRANGESTORE d z 6 7 BYSCORE
      ZRANGESTORE d l [x [y BYLEX
      ZRANGESTORE d missing 0 -1
      SET str v
      ZRANGESTORE d str 0 -1
      ZRANGESTORE d str 0 -1 BADOPT
      ZRANGESTORE str z 0 0
      TYPE str
      ZRANGESTORE d z 0 -1 WITHSCORES
      ZRANGESTORE d z 0 -1 LIMIT 1 2
      ZRANGESTORE d z 0 -1 LIMIT 0 -1
      ZRANGESTORE d z 0 -1 LIMIT x 1
      ZRANGESTORE d z 0 -1 LIMIT 1
      ZRANGESTORE d z 0 -1 REV REV
      ZRANGESTORE d z 0 -1 BYSCORE BYLEX
      ZRANGESTORE d z a b
      ZRANGESTORE d z (a b BYSCORE
      ZRANGESTORE d z a b BYLEX
      ZRANGESTORE d str x y BYSCORE
      ZRANGESTORE z z 1 2
      ZRANGE z 0 -1 WITHSCORES
    `));
  });
});

describe('ZRANDMEMBER matches redis 7.0 where the reply is deterministic', () => {
  test('whole set, empty, errors', async () => {
    await same(split(`
      ZADD z 1 a 2 b 3 c 1.5 d
      ZADD one 7 only
      ZRANDMEMBER z 4
      ZRANDMEMBER z 100 WITHSCORES
      ZRANDMEMBER z 100 withscores
      ZRANDMEMBER one
      ZRANDMEMBER one -3 WITHSCORES
      ZRANDMEMBER one 1 WITHSCORES
      ZRANDMEMBER one -1
      ZRANDMEMBER z 0
      ZRANDMEMBER z 0 WITHSCORES
      ZRANDMEMBER nokey
      ZRANDMEMBER nokey 5
      ZRANDMEMBER nokey -5 WITHSCORES
      ZRANDMEMBER nokey x
      ZRANDMEMBER z x
      ZRANDMEMBER z 1 BAD
      ZRANDMEMBER z 1 WITHSCORES extra
      ZRANDMEMBER z x WITHSCORES
      ZRANDMEMBER z -9223372036854775808
      ZRANDMEMBER z -9223372036854775808 WITHSCORES
      ZRANDMEMBER z -9223372036854770000 WITHSCORES
      ZRANDMEMBER z 9223372036854775807 WITHSCORES
      ZRANDMEMBER z 4611686018427387904 WITHSCORES
      ZRANDMEMBER z -4611686018427387904 WITHSCORES
      ZRANDMEMBER z 4611686018427387903 WITHSCORES
      ZRANDMEMBER z 9223372036854775807
      ZRANDMEMBER z 9223372036854775808
      SET str v
      ZRANDMEMBER str
      ZRANDMEMBER str 1
      ZRANDMEMBER str x
      ZRANDMEMBER nokey 1 BAD
    `));
  });
});

describe('SINTERCARD matches redis 7.0', () => {
  test('counts, LIMIT and errors in Redis order', async () => {
    await same(split(`
      SADD s1 a b c d 1 2
      SADD s2 b c d e 2
      SADD s3 c d
      SADD i1 1 2 3
      SADD i2 2 3 4
      ZADD z 1 a
      SET str v
      SINTERCARD 1 s1
      SINTERCARD 2 s1 s2
      SINTERCARD 3 s1 s2 s3
      SINTERCARD 2 i1 i2
      SINTERCARD 2 s1 s1
      SINTERCARD 2 s1 s2 LIMIT 0
      SINTERCARD 2 s1 s2 LIMIT 1
      SINTERCARD 2 s1 s2 LIMIT 3
      SINTERCARD 2 s1 s2 LIMIT 10
      SINTERCARD 2 s1 s2 limit 2 LIMIT 1
      SINTERCARD 2 s1 nokey
      SINTERCARD 2 nokey str
      SINTERCARD 2 s1 z
      SINTERCARD 0 s1
      SINTERCARD -1 s1
      SINTERCARD x s1
      SINTERCARD 3 s1 s2
      SINTERCARD 2 s1 s2 LIMIT
      SINTERCARD 2 s1 s2 LIMIT -1
      SINTERCARD 2 s1 s2 LIMIT x
      SINTERCARD 2 s1 str LIMIT x
      SINTERCARD 2 s1 s2 BAD
      SINTERCARD 2 str s2 BAD
      SINTERCARD 1
    `));
  });
});

describe('LCS matches redis 7.0', () => {
  test('string, LEN, IDX, MINMATCHLEN, WITHMATCHLEN and errors', async () => {
    await same(split(`
      SET a ohmytext
      SET b mynewtext
      SET r1 rhmitpwzyhbc
      SET r2 xypfqiunhyxgsonoazbm
      SET num 12345
      SET num2 2345
      LCS a b
      LCS a b LEN
      LCS a b IDX
      LCS a b IDX WITHMATCHLEN
      LCS a b IDX MINMATCHLEN 4
      LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN
      LCS a b IDX MINMATCHLEN -3 WITHMATCHLEN
      LCS a b idx withmatchlen minmatchlen 2
      LCS r1 r2
      LCS r1 r2 IDX WITHMATCHLEN
      LCS num num2 IDX
      LCS a nokey
      LCS nokey nokey2 IDX
      LCS a a IDX WITHMATCHLEN
      LCS nokey a LEN
      LCS a b LEN IDX
      LCS a b IDX LEN
      LCS a b MINMATCHLEN
      LCS a b MINMATCHLEN x
      LCS a b BAD
      LCS a b WITHMATCHLEN
      LCS a b LEN WITHMATCHLEN MINMATCHLEN 3
      ZADD z 1 a
      LCS a z
      LCS z a BAD
      LCS a
    `));
  });

  test('random strings agree', async () => {
    const str = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 24 });
    await fc.assert(
      fc.asyncProperty(str, str, fc.integer({ min: 0, max: 3 }), async (a, b, min) => {
        await same([
          ['SET', 'a', a],
          ['SET', 'b', b],
          ['LCS', 'a', 'b'],
          ['LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', String(min), 'WITHMATCHLEN'],
        ]);
      }),
      { numRuns: 20 },
    );
  });
});

describe('random *STORE inputs agree', () => {
  test('ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE over random zsets and sets', async () => {
    const member = fc.constantFrom('a', 'b', 'c', 'd', 'e', '1', '2', '10');
    const score = fc.constantFrom('0', '1', '-1', '2.5', '-0', 'inf', '-inf', '1e16', '-1e16', '0.1', '3');
    const key = fc.constantFrom('k1', 'k2', 'k3', 'k4');
    const fill: fc.Arbitrary<Cmd> = fc.oneof(
      fc.tuple(key, fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 6 })).map(([k, ps]) => ['ZADD', k, ...ps.flat()]),
      fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 6 })).map(([k, ms]) => ['SADD', `s${k}`, ...ms]),
    );
    const weight = fc.constantFrom('1', '0', '-1', '2', 'inf', '-inf', '0.5');
    const sources = fc.array(fc.oneof(key, key.map((k) => `s${k}`), fc.constant('missing')), { minLength: 1, maxLength: 4 });
    const op: fc.Arbitrary<Cmd> = fc
      .tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), sources, fc.array(weight, { minLength: 4, maxLength: 4 }), fc.constantFrom('', 'SUM', 'MIN', 'MAX'))
      .map(([name, srcs, ws, agg]) => {
        const cmd: Cmd = [name, 'dst', String(srcs.length), ...srcs];
        if (name !== 'ZDIFFSTORE') {
          cmd.push('WEIGHTS', ...ws.slice(0, srcs.length));
          if (agg !== '') cmd.push('AGGREGATE', agg);
        }
        return cmd;
      });
    await fc.assert(
      fc.asyncProperty(fc.array(fill, { minLength: 1, maxLength: 8 }), fc.array(op, { minLength: 1, maxLength: 4 }), async (fills, ops) => {
        const cmds: Cmd[] = [...fills];
        for (const o of ops) cmds.push(o, ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'dst']);
        cmds.push(['ZINTERCARD', '2', 'k1', 'k2'], ['ZUNION', '3', 'k1', 'sk2', 'k3', 'WITHSCORES']);
        await same(cmds);
      }),
      { numRuns: 30 },
    );
  });
});


test('keyspace events of the STORE forms match redis 7.0', async () => {
  const cmds = split(`
    ZADD a 1 x 2 y
    ZADD b 3 y
    ZUNIONSTORE d 2 a b
    ZINTERSTORE d 2 a b
    ZDIFFSTORE d 2 a b
    ZDIFFSTORE d 2 a a
    ZDIFFSTORE d 2 a a
    ZRANGESTORE e a 0 0
    ZRANGESTORE e a 5 6
    ZRANGESTORE e a 5 6
    ZINTERSTORE f 2 a nokey
    ZUNION 2 a b
    ZINTERCARD 2 a b
    SADD s y
    SINTERCARD 2 s nokey
    LCS a b
    ZRANDMEMBER b
  `);
  assert.deepEqual(await keyspaceEventsOf(corral.port, cmds), await keyspaceEventsOf(redis.port, cmds));
});

test('cluster mode: every key counts for CROSSSLOT, as on a one-node Redis Cluster', async () => {
  const clusters = await startOneNodeClusters('zset-algebra');
  try {
    await sameOnBoth(clusters.corralPort, clusters.redisPort, split(`
      ZADD {a}x 1 m
      ZADD {a}y 2 m
      ZADD {b}y 3 m
      SADD {a}s m
      ZUNIONSTORE {a}d 2 {a}x {a}y
      ZUNIONSTORE {a}d 2 {a}x {b}y
      ZUNIONSTORE {b}d 2 {a}x {a}y
      ZINTERSTORE {b}d 1 {a}x
      ZDIFFSTORE {a}d 2 {a}x {b}y
      ZUNION 2 {a}x {b}y
      ZINTER 2 {a}x {a}y WITHSCORES
      ZDIFF 2 {b}y {a}x
      ZINTERCARD 2 {a}x {b}y
      SINTERCARD 2 {a}s {b}y
      SINTERCARD 1 {a}s
      ZRANGESTORE {b}d {a}x 0 -1
      ZRANGESTORE {a}d {a}x 0 -1
      LCS {a}x {b}y
      ZUNION 0 {a}x {b}y
      ZUNION 5 {a}x {b}y
      ZUNIONSTORE {a}d 0 {b}y
    `));
  } finally {
    await clusters.close();
  }
});
