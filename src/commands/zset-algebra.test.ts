// Unit tests for zset-algebra.ts and set-card.ts: ZUNION/ZINTER/ZDIFF[STORE], ZINTERCARD,
// ZRANGESTORE, ZRANDMEMBER and SINTERCARD run on a Store with a ManualClock. Metadata and key
// finders against Redis's, the NaN and -0 rules, stored encodings, accounting, WATCH signals,
// option and error order, and the random picks' shapes.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { zsetAlgebraCommands } from './zset-algebra.js';
import { setCardCommands } from './set-card.js';
import { zsetCommands } from './zsets.js';
import { setCommands } from './sets.js';
import { stringCommands } from './strings.js';
import { keyCommands } from './keys.js';
import { keySpecsOf, keysBySpecs } from './key-specs.js';
import { REDIS_COMMAND_META } from './redis-meta.js';
import { CMD_MOVABLE_KEYS, Command, flagNames } from './table.js';
import type { RespValue } from '../protocol/resp-value.js';
import type { SortedSet } from '../store/sorted-set.js';
import { argsFrom, commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

const ours = [...zsetAlgebraCommands, ...setCardCommands];

function harness() {
  return commandHarness([...stringCommands, ...keyCommands, ...setCommands, ...zsetCommands, ...ours], 2);
}

const WRONGTYPE = { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const SYNTAX = { error: 'ERR syntax error' };

describe('command metadata', () => {
  test('fixed-key commands match redis 7.0 arity, flags and key positions', () => {
    assertMatchesRedis(ours.filter((d) => (d.flags & CMD_MOVABLE_KEYS) === 0));
  });

  test('numkeys commands match redis 7.0 arity and flags', () => {
    for (const def of ours.filter((d) => (d.flags & CMD_MOVABLE_KEYS) !== 0)) {
      const info = REDIS_COMMAND_META[def.name].info as RespValue[];
      assert.equal(def.arity, info[1], def.name);
      const theirs = (info[2] as { set: Array<{ simple: string }> }).set.map((f) => f.simple).sort();
      assert.deepEqual(flagNames(def.flags).sort(), theirs, def.name);
    }
  });

  test('key finders give the keys Redis key specs give (none when numkeys is bad)', () => {
    const calls = [
      ['zunion', '2', 'a', 'b', 'WEIGHTS', '1', '2'],
      ['zinter', '1', 'a'],
      ['zdiff', '3', 'a', 'b', 'c', 'WITHSCORES'],
      ['zintercard', '2', 'a', 'b', 'LIMIT', '1'],
      ['sintercard', '2', 'a', 'b'],
      ['zunionstore', 'd', '2', 'a', 'b'],
      ['zinterstore', 'd', '1', 'a', 'AGGREGATE', 'MIN'],
      ['zdiffstore', 'd', '2', 'a', 'b'],
      ['zrangestore', 'd', 's', '0', '-1'],
      ['zrandmember', 'k', '5'],
    ];
    for (const argv of calls) {
      const def = ours.find((d) => d.name === argv[0])!;
      const cmd = new Command(def);
      const out: number[] = [];
      const n = cmd.keyPositions(argv.length, out, argsFrom(argv));
      const expected = keysBySpecs(keySpecsOf(def.name)!, argv.length, (i) => argv[i])!.map((k) => k.pos);
      assert.deepEqual(out.slice(0, n), expected, argv.join(' '));
    }
    for (const argv of [['zunion', '0', 'a'], ['zunion', '3', 'a', 'b'], ['zunion', 'x', 'a'], ['zunionstore', 'd', '5', 'a'], ['sintercard', '-1', 'a']]) {
      const cmd = new Command(ours.find((d) => d.name === argv[0])!);
      assert.equal(cmd.keyPositions(argv.length, [], argsFrom(argv)), 0, argv.join(' '));
    }
  });
});

describe('ZUNION ZINTER ZDIFF', () => {
  test('results ordered by score then member, sets scoring 1', () => {
    const { run } = harness();
    run('ZADD', 'a', '1', 'x', '2', 'y', '3', 'z');
    run('ZADD', 'b', '10', 'y', '20', 'z', '30', 'w');
    run('SADD', 's', 'y', 'q');
    assert.deepEqual(run('ZUNION', '2', 'a', 'b', 'WITHSCORES'), ['x', '1', 'y', '12', 'z', '23', 'w', '30']);
    assert.deepEqual(run('ZUNION', '2', 'a', 's', 'WEIGHTS', '1', '5', 'WITHSCORES'), ['x', '1', 'z', '3', 'q', '5', 'y', '7']);
    assert.deepEqual(run('ZINTER', '2', 'a', 'b', 'AGGREGATE', 'MIN', 'WITHSCORES'), ['y', '2', 'z', '3']);
    assert.deepEqual(run('ZINTER', '2', 'a', 'b', 'AGGREGATE', 'MAX'), ['y', 'z']);
    assert.deepEqual(run('ZINTER', '3', 'a', 'b', 's', 'WITHSCORES'), ['y', '13']);
    assert.deepEqual(run('ZDIFF', '2', 'a', 'b', 'WITHSCORES'), ['x', '1']);
    assert.deepEqual(run('ZDIFF', '2', 'a', 'a'), []);
    assert.deepEqual(run('ZDIFF', '2', 's', 'a', 'WITHSCORES'), ['q', '1']);
    assert.deepEqual(run('ZINTER', '2', 'a', 'nokey'), []);
    assert.deepEqual(run('ZUNION', '1', 'nokey'), []);
  });

  test('RESP3 WITHSCORES replies [member, double] pairs', () => {
    const { raw, run, c } = harness();
    run('ZADD', 'a', '1.5', 'x', '2', 'y');
    c.w.resp = 3;
    assert.equal(raw('ZUNION', '1', 'a', 'WITHSCORES'), '*2\r\n*2\r\n$1\r\nx\r\n,1.5\r\n*2\r\n$1\r\ny\r\n,2\r\n');
    assert.equal(raw('ZINTER', '1', 'a'), '*2\r\n$1\r\nx\r\n$1\r\ny\r\n');
  });

  test('NaN rules: inf * 0 scores 0; ZINTER SUM resets on a NaN, MIN/MAX ignore it', () => {
    const { run } = harness();
    run('ZADD', 'five', '5', 'm');
    run('ZADD', 'inf', 'inf', 'm');
    run('ZADD', 'ninf', '-inf', 'm');
    assert.deepEqual(run('ZUNION', '2', 'five', 'inf', 'WEIGHTS', '1', '0', 'WITHSCORES'), ['m', '5']);
    assert.deepEqual(run('ZINTER', '2', 'five', 'inf', 'WEIGHTS', '1', '0', 'WITHSCORES'), ['m', '0']);
    assert.deepEqual(run('ZINTER', '2', 'five', 'inf', 'WEIGHTS', '1', '0', 'AGGREGATE', 'MIN', 'WITHSCORES'), ['m', '5']);
    assert.deepEqual(run('ZINTER', '2', 'inf', 'five', 'WEIGHTS', '0', '1', 'WITHSCORES'), ['m', '5']);
    assert.deepEqual(run('ZUNION', '2', 'inf', 'ninf', 'WITHSCORES'), ['m', '0']);
    assert.deepEqual(run('ZUNION', '1', 'ninf', 'WEIGHTS', '0', 'WITHSCORES'), ['m', '0']);
  });

  test('sums follow the inputs from smallest to largest, ties in argument order', () => {
    const { run } = harness();
    run('ZADD', 'big', '1e16', 'k');
    run('ZADD', 'one', '1', 'k');
    run('ZADD', 'mbig', '-1e16', 'k');
    assert.deepEqual(run('ZUNION', '3', 'big', 'one', 'mbig', 'WITHSCORES'), ['k', '0']);
    assert.deepEqual(run('ZUNION', '3', 'big', 'mbig', 'one', 'WITHSCORES'), ['k', '1']);
    run('ZADD', 'one', '5', 'other');
    assert.deepEqual(run('ZUNION', '3', 'one', 'big', 'mbig', 'WITHSCORES'), ['k', '1', 'other', '5'], 'the larger set goes last');
  });

  test('STORE: count, replaced value and TTL, emptied destination, accounting, WATCH signal', () => {
    const { run, accounted, modified, store } = harness();
    run('ZADD', 'a', '1', 'x', '2', 'y');
    run('SADD', 's', 'y');
    run('SET', 'd', 'v', 'EX', '100');
    modified.length = 0;
    assert.equal(run('ZINTERSTORE', 'd', '2', 'a', 's', 'WEIGHTS', '1', '3'), 1);
    assert.deepEqual(modified, ['0:d']);
    assert.deepEqual(run('TYPE', 'd'), { simple: 'zset' });
    assert.equal(run('TTL', 'd'), -1);
    assert.deepEqual(run('ZRANGE', 'd', '0', '-1', 'WITHSCORES'), ['y', '5']);
    accounted();
    assert.equal(run('ZUNIONSTORE', 'a', '2', 'a', 'a'), 2, 'the destination may be a source');
    assert.deepEqual(run('ZRANGE', 'a', '0', '-1', 'WITHSCORES'), ['x', '2', 'y', '4']);
    assert.equal(run('ZDIFFSTORE', 'd', '2', 'a', 'a'), 0);
    assert.equal(run('EXISTS', 'd'), 0);
    assert.equal(run('ZINTERSTORE', 'nothing', '1', 'nokey'), 0);
    accounted();
    run('DEL', 'a', 's');
    assert.equal(store.dataBytes, 0);
  });

  test('stored encoding: listpack (where -0 reads 0) up to 128 members of <= 64 bytes', () => {
    const { run, store } = harness();
    const encoding = (key: string): string => (store.dbs[0].peek(key)!.value as SortedSet).encoding();
    run('ZADD', 'n', '-5', 'm');
    assert.deepEqual(run('ZUNION', '1', 'n', 'WEIGHTS', '0', 'WITHSCORES'), ['m', '-0']);
    run('ZUNIONSTORE', 'd', '1', 'n', 'WEIGHTS', '0');
    assert.equal(encoding('d'), 'listpack');
    assert.equal(run('ZSCORE', 'd', 'm'), '0');
    run('ZADD', 'n', '1', 'x'.repeat(65));
    run('ZUNIONSTORE', 'd', '1', 'n', 'WEIGHTS', '0');
    assert.equal(encoding('d'), 'skiplist');
    assert.equal(run('ZSCORE', 'd', 'm'), '-0');
    const args: string[] = [];
    for (let i = 0; i < 129; i++) args.push(String(i), `m${i}`);
    run('ZADD', 'many', ...args);
    run('ZDIFFSTORE', 'd', '1', 'many');
    assert.equal(encoding('d'), 'skiplist');
    run('ZINTERSTORE', 'd', '1', 'many');
    run('ZREMRANGEBYRANK', 'd', '0', '0');
    run('ZINTERSTORE', 'd', '1', 'd');
    assert.equal(encoding('d'), 'listpack');
  });

  test('stored encoding follows the store\'s limits (zset-max-listpack-entries / -value)', () => {
    const { run, store } = harness();
    const encoding = (key: string): string => (store.dbs[0].peek(key)!.value as SortedSet).encoding();
    store.limits.zsetEntries = 1;
    run('ZADD', 'z', '1', 'a', '2', 'b');
    assert.equal(encoding('z'), 'skiplist');
    run('ZRANGESTORE', 'd', 'z', '0', '0');
    assert.equal(encoding('d'), 'listpack');
    run('ZRANGESTORE', 'd', 'z', '0', '1');
    assert.equal(encoding('d'), 'skiplist', 'by rank: a skiplist from the start past the limit');
    run('ZRANGESTORE', 'd', 'z', '-inf', '+inf', 'BYSCORE');
    assert.equal(encoding('d'), 'skiplist', 'by score: a listpack converted as it grows');
    run('ZUNIONSTORE', 'd', '1', 'z');
    assert.equal(encoding('d'), 'skiplist');
    store.limits.zsetEntries = 128;
    run('ZUNIONSTORE', 'd', '1', 'z');
    assert.equal(encoding('d'), 'listpack');
    store.limits.zsetValue = 0;
    run('ZUNIONSTORE', 'd', '1', 'z');
    assert.equal(encoding('d'), 'skiplist');
  });

  test('errors in Redis order: numkeys, key types, then options', () => {
    const { run } = harness();
    run('ZADD', 'a', '1', 'x');
    run('SET', 'str', 'v');
    assert.deepEqual(run('ZUNION', 'x', 'a'), { error: 'ERR value is not an integer or out of range' });
    assert.deepEqual(run('ZUNION', '0', 'a'), { error: "ERR at least 1 input key is needed for 'zunion' command" });
    assert.deepEqual(run('ZDIFFSTORE', 'd', '-1', 'a'), { error: "ERR at least 1 input key is needed for 'zdiffstore' command" });
    assert.deepEqual(run('ZINTER', '2', 'a'), SYNTAX);
    assert.deepEqual(run('ZINTER', '2', 'a', 'str', 'BAD'), WRONGTYPE);
    assert.deepEqual(run('ZINTER', '1', 'a', 'WEIGHTS'), SYNTAX);
    assert.deepEqual(run('ZINTER', '1', 'a', 'WEIGHTS', 'nan'), { error: 'ERR weight value is not a float' });
    assert.deepEqual(run('ZINTER', '1', 'a', 'AGGREGATE', 'avg'), SYNTAX);
    assert.deepEqual(run('ZDIFF', '1', 'a', 'WEIGHTS', '1'), SYNTAX);
    assert.deepEqual(run('ZUNIONSTORE', 'd', '1', 'a', 'WITHSCORES'), SYNTAX);
    assert.deepEqual(run('ZUNION', '1', 'a', 'weights\0x', '2', 'WITHSCORES'), ['x', '2'], 'options compare as C strings');
  });
});

describe('ZINTERCARD and SINTERCARD', () => {
  test('counts and LIMIT', () => {
    const { run } = harness();
    run('ZADD', 'a', '1', 'x', '2', 'y', '3', 'z');
    run('SADD', 's', 'x', 'y', 'z', 'w');
    run('SADD', 't', 'y', 'z');
    assert.equal(run('ZINTERCARD', '2', 'a', 's'), 3);
    assert.equal(run('ZINTERCARD', '2', 'a', 's', 'LIMIT', '2'), 2);
    assert.equal(run('ZINTERCARD', '2', 'a', 's', 'LIMIT', '0'), 3);
    assert.equal(run('ZINTERCARD', '2', 'a', 'nokey'), 0);
    assert.deepEqual(run('ZINTERCARD', '1', 'a', 'LIMIT', '-1'), { error: "ERR LIMIT can't be negative" });
    assert.deepEqual(run('ZINTERCARD', '1', 'a', 'WITHSCORES'), SYNTAX);
    assert.equal(run('SINTERCARD', '2', 's', 't'), 2);
    assert.equal(run('SINTERCARD', '2', 's', 't', 'LIMIT', '1'), 1);
    assert.equal(run('SINTERCARD', '2', 's', 's'), 4);
    assert.equal(run('SINTERCARD', '2', 'nokey', 's'), 0);
    assert.deepEqual(run('SINTERCARD', '2', 'nokey', 'a'), WRONGTYPE, 'keys after a missing one are still checked');
    assert.deepEqual(run('SINTERCARD', '2', 's', 'a', 'BAD'), SYNTAX, 'options before key types');
    assert.deepEqual(run('SINTERCARD', '0', 's'), { error: 'ERR numkeys should be greater than 0' });
    assert.deepEqual(run('SINTERCARD', 'x', 's'), { error: 'ERR numkeys should be greater than 0' });
    assert.deepEqual(run('SINTERCARD', '2', 's'), { error: "ERR Number of keys can't be greater than number of args" });
    assert.deepEqual(run('SINTERCARD', '1', 's', 'LIMIT', 'x'), { error: "ERR LIMIT can't be negative" });
  });

  test('SINTERCARD equals SINTER size; ZINTERCARD equals ZINTER size (random sets)', () => {
    const members = fc.array(fc.constantFrom('1', '2', '3', 'a', 'b', 'c', 'd'), { minLength: 1, maxLength: 7 });
    fc.assert(
      fc.property(members, members, members, fc.nat({ max: 4 }), (x, y, z, limit) => {
        const { run } = harness();
        run('SADD', 'x', ...x);
        run('SADD', 'y', ...y);
        run('ZADD', 'z', ...z.flatMap((m) => ['1', m]));
        const inter = (run('SINTER', 'x', 'y') as string[]).length;
        assert.equal(run('SINTERCARD', '2', 'x', 'y', 'LIMIT', String(limit)), limit === 0 ? inter : Math.min(limit, inter));
        const zinter = (run('ZINTER', '3', 'x', 'y', 'z') as string[]).length;
        assert.equal(run('ZINTERCARD', '3', 'z', 'y', 'x', 'LIMIT', String(limit)), limit === 0 ? zinter : Math.min(limit, zinter));
      }),
      { numRuns: 50 },
    );
  });
});

describe('ZRANGESTORE', () => {
  test('ranks, scores, lex, REV, LIMIT; missing source empties the destination', () => {
    const { run } = harness();
    run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    assert.equal(run('ZRANGESTORE', 'd', 'z', '1', '2'), 2);
    assert.deepEqual(run('ZRANGE', 'd', '0', '-1', 'WITHSCORES'), ['b', '2', 'c', '3']);
    assert.equal(run('ZRANGESTORE', 'd', 'z', '0', '0', 'REV'), 1);
    assert.deepEqual(run('ZRANGE', 'd', '0', '-1'), ['d']);
    assert.equal(run('ZRANGESTORE', 'd', 'z', '4', '(1', 'BYSCORE', 'REV', 'LIMIT', '1', '2'), 2);
    assert.deepEqual(run('ZRANGE', 'd', '0', '-1'), ['b', 'c']);
    assert.equal(run('ZRANGESTORE', 'd', 'z', '[b', '+', 'BYLEX', 'LIMIT', '0', '1'), 1);
    assert.deepEqual(run('ZRANGE', 'd', '0', '-1'), ['b']);
    assert.equal(run('ZRANGESTORE', 'd', 'nokey', '0', '-1'), 0);
    assert.equal(run('EXISTS', 'd'), 0);
    run('SET', 'str', 'v');
    assert.deepEqual(run('ZRANGESTORE', 'd', 'str', '0', '-1'), WRONGTYPE);
    assert.equal(run('ZRANGESTORE', 'str', 'z', '0', '0'), 1, 'the destination is not type-checked');
    assert.deepEqual(run('ZRANGESTORE', 'd', 'z', '0', '-1', 'WITHSCORES'), SYNTAX);
    assert.deepEqual(run('ZRANGESTORE', 'd', 'z', '0', '-1', 'LIMIT', '0', '1'), {
      error: 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
    });
    assert.deepEqual(run('ZRANGESTORE', 'd', 'str', 'x', '1', 'BYSCORE'), { error: 'ERR min or max is not a float' });
  });
});

describe('ZRANDMEMBER', () => {
  test('shapes: single, distinct, repeated, whole set highest rank first, RESP3 pairs', () => {
    const { run, raw, c } = harness();
    run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '6', 'f', '7', 'g');
    assert.ok(['a', 'b', 'c', 'd', 'e', 'f', 'g'].includes(run('ZRANDMEMBER', 'z') as string));
    assert.deepEqual(run('ZRANDMEMBER', 'z', '10'), ['g', 'f', 'e', 'd', 'c', 'b', 'a']);
    for (const n of [1, 2, 3, 6]) {
      const picked = run('ZRANDMEMBER', 'z', String(n)) as string[];
      assert.equal(new Set(picked).size, n, `${n} distinct`);
    }
    const pairs = run('ZRANDMEMBER', 'z', '2', 'WITHSCORES') as string[];
    assert.equal(pairs.length, 4);
    assert.equal(Number(pairs[1]), pairs[0].charCodeAt(0) - 96);
    assert.equal((run('ZRANDMEMBER', 'z', '-20') as string[]).length, 20);
    assert.deepEqual(run('ZRANDMEMBER', 'z', '0'), []);
    assert.equal(run('ZRANDMEMBER', 'nokey'), null);
    assert.deepEqual(run('ZRANDMEMBER', 'nokey', '-5'), []);
    c.w.resp = 3;
    run('ZADD', 'one', '1.5', 'x');
    assert.equal(raw('ZRANDMEMBER', 'one', '-2', 'WITHSCORES'), '*2\r\n*2\r\n$1\r\nx\r\n,1.5\r\n*2\r\n$1\r\nx\r\n,1.5\r\n');
    assert.equal(raw('ZRANDMEMBER', 'one', '-2'), '*2\r\n$1\r\nx\r\n$1\r\nx\r\n');
  });

  test('count ranges', () => {
    const { run } = harness();
    run('ZADD', 'z', '1', 'a');
    assert.deepEqual(run('ZRANDMEMBER', 'z', '-9223372036854775808'), {
      error: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    });
    assert.deepEqual(run('ZRANDMEMBER', 'z', '-9223372036854770000', 'WITHSCORES'), { error: 'ERR value is out of range' });
    assert.deepEqual(run('ZRANDMEMBER', 'z', '4611686018427387904', 'WITHSCORES'), { error: 'ERR value is out of range' });
    assert.deepEqual(run('ZRANDMEMBER', 'z', '4611686018427387903', 'WITHSCORES'), ['a', '1']);
    assert.deepEqual(run('ZRANDMEMBER', 'z', '9223372036854775807'), ['a']);
    assert.deepEqual(run('ZRANDMEMBER', 'z', '1', 'BAD'), SYNTAX);
    assert.deepEqual(run('ZRANDMEMBER', 'z', 'x', 'BAD'), { error: 'ERR value is not an integer or out of range' });
  });
});
