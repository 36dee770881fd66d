// Unit tests for the sorted-set commands: handlers run on a Store with a ManualClock; metadata,
// replies in RESP2/RESP3, byte accounting, WATCH signals, emptied keys, wrong types and expiry.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { zsetCommands } from './zsets.js';
import { stringCommands } from './strings.js';
import { keyCommands } from './keys.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  return commandHarness([...stringCommands, ...keyCommands, ...zsetCommands], 2);
}

const WRONGTYPE = { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' };

describe('command metadata', () => {
  test('sorted-set commands Redis lists match its arity, flags and key positions', () => {
    assertMatchesRedis(zsetCommands);
  });
});

describe('writes', () => {
  test('ZADD/ZINCRBY/ZREM keep accounting right and signal WATCH only on change', () => {
    const { run, modified, accounted, store } = harness();
    assert.equal(run('ZADD', 'z', '1', 'a', '2', 'b'), 2);
    accounted();
    assert.deepEqual(modified, ['0:z']);
    assert.equal(run('ZADD', 'z', 'NX', '5', 'a'), 0);
    assert.equal(run('ZADD', 'z', '1', 'a'), 0);
    assert.deepEqual(modified, ['0:z'], 'no change, no signal');
    assert.equal(run('ZADD', 'z', 'CH', '3', 'a', '1', 'c'), 2);
    assert.equal(run('ZINCRBY', 'z', '0.5', 'c'), '1.5');
    accounted();
    assert.equal(run('ZREM', 'z', 'a', 'nope'), 1);
    accounted();
    assert.equal(run('ZREM', 'z', 'b', 'c'), 2);
    assert.equal(run('EXISTS', 'z'), 0, 'emptied key deleted');
    assert.equal(store.dataBytes, 0);
  });

  test('ZADD errors are raised before any change', () => {
    const { run } = harness();
    assert.deepEqual(run('ZADD', 'z', '1', 'a', 'x', 'b'), { error: 'ERR value is not a valid float' });
    assert.equal(run('EXISTS', 'z'), 0);
    assert.deepEqual(run('ZADD', 'z', 'XX', 'NX', '1', 'a'), { error: 'ERR XX and NX options at the same time are not compatible' });
    assert.deepEqual(run('ZADD', 'z', 'GT', 'LT', '1', 'a'), { error: 'ERR GT, LT, and/or NX options at the same time are not compatible' });
    assert.deepEqual(run('ZADD', 'z', 'INCR', '1', 'a', '1', 'b'), { error: 'ERR INCR option supports a single increment-element pair' });
    assert.deepEqual(run('ZADD', 'z', 'CH'), { error: 'ERR syntax error' });
    run('ZADD', 'z', 'inf', 'a');
    assert.deepEqual(run('ZINCRBY', 'z', '-inf', 'a'), { error: 'ERR resulting score is not a number (NaN)' });
    assert.equal(run('ZSCORE', 'z', 'a'), 'inf');
  });

  test('ZADD INCR and GT/LT: nil when nothing was done', () => {
    const { run } = harness();
    assert.equal(run('ZADD', 'z', 'XX', 'INCR', '1', 'a'), null);
    assert.equal(run('EXISTS', 'z'), 0, 'XX on a missing key creates nothing');
    assert.equal(run('ZADD', 'z', 'INCR', '2', 'a'), '2');
    assert.equal(run('ZADD', 'z', 'GT', 'INCR', '-1', 'a'), null);
    assert.equal(run('ZADD', 'z', 'LT', 'INCR', '-1', 'a'), '1');
    assert.equal(run('ZADD', 'z', 'GT', 'CH', '0', 'a', '5', 'b'), 1);
  });

  test('ZPOPMIN/ZPOPMAX: flat pair, counts, emptied key deleted, accounting', () => {
    const { run, raw, c, accounted } = harness();
    run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4.5', 'd');
    assert.deepEqual(run('ZPOPMIN', 'z'), ['a', '1']);
    assert.deepEqual(run('ZPOPMAX', 'z', '2'), ['d', '4.5', 'c', '3']);
    accounted();
    assert.deepEqual(run('ZPOPMIN', 'z', '-1'), { error: 'ERR value is out of range, must be positive' });
    assert.deepEqual(run('ZPOPMIN', 'z', '0'), []);
    c.w.resp = 3;
    assert.equal(raw('ZPOPMIN', 'z', '5'), '*1\r\n*2\r\n$1\r\nb\r\n,2\r\n');
    assert.equal(run('EXISTS', 'z'), 0);
    assert.equal(raw('ZPOPMIN', 'z'), '*0\r\n');
    run('ZADD', 'z', '1', 'x');
    assert.equal(raw('ZPOPMAX', 'z'), '*2\r\n$1\r\nx\r\n,1\r\n');
  });

  test('ZREMRANGEBYRANK/SCORE/LEX', () => {
    const { run, accounted } = harness();
    run('ZADD', 'z', '0', 'a', '0', 'b', '0', 'c', '1', 'd', '2', 'e');
    assert.equal(run('ZREMRANGEBYRANK', 'z', '-1', '-1'), 1);
    assert.equal(run('ZREMRANGEBYSCORE', 'z', '(0', '+inf'), 1);
    assert.equal(run('ZREMRANGEBYLEX', 'z', '(a', '[b'), 1);
    accounted();
    assert.deepEqual(run('ZRANGE', 'z', '0', '-1'), ['a', 'c']);
    assert.equal(run('ZREMRANGEBYSCORE', 'z', '-inf', '+inf'), 2);
    assert.equal(run('EXISTS', 'z'), 0);
  });
});

describe('reads', () => {
  test('ZRANGE shapes: RESP2 flat, RESP3 [member, score] pairs', () => {
    const { run, raw, c } = harness();
    run('ZADD', 'z', '1', 'a', '2.5', 'b', '3', 'c');
    assert.deepEqual(run('ZRANGE', 'z', '0', '-1', 'WITHSCORES'), ['a', '1', 'b', '2.5', 'c', '3']);
    assert.deepEqual(run('ZRANGE', 'z', '0', '1', 'REV'), ['c', 'b']);
    assert.deepEqual(run('ZREVRANGE', 'z', '1', '5'), ['b', 'a']);
    assert.deepEqual(run('ZRANGE', 'z', '(1', '3', 'BYSCORE', 'LIMIT', '1', '5'), ['c']);
    assert.deepEqual(run('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '0', '2'), ['a', 'b']);
    assert.deepEqual(run('ZREVRANGEBYSCORE', 'z', '+inf', '-inf', 'LIMIT', '1', '1'), ['b']);
    c.w.resp = 3;
    assert.equal(raw('ZRANGE', 'z', '0', '0', 'WITHSCORES'), '*1\r\n*2\r\n$1\r\na\r\n,1\r\n');
    assert.equal(raw('ZSCORE', 'z', 'b'), ',2.5\r\n');
    assert.equal(raw('ZMSCORE', 'z', 'b', 'x'), '*2\r\n,2.5\r\n_\r\n');
    assert.equal(raw('ZRANK', 'z', 'x'), '_\r\n');
  });

  test('scores print as %.17g', () => {
    const { run } = harness();
    run('ZADD', 'z', '0.1', 'a', '1e20', 'b', '-1e-5', 'c', '123456789012345678', 'd', '-0', 'e');
    assert.equal(run('ZSCORE', 'z', 'a'), '0.10000000000000001');
    assert.equal(run('ZSCORE', 'z', 'b'), '1e+20');
    assert.equal(run('ZSCORE', 'z', 'c'), '-1.0000000000000001e-05');
    assert.equal(run('ZSCORE', 'z', 'd'), '1.2345678901234568e+17');
    assert.equal(run('ZSCORE', 'z', 'e'), '0');
  });

  test('ZRANK/ZREVRANK/ZCOUNT/ZLEXCOUNT/ZCARD', () => {
    const { run } = harness();
    run('ZADD', 'z', '1', 'a', '2', 'b', '2', 'c', '3', 'd');
    assert.equal(run('ZRANK', 'z', 'c'), 2);
    assert.equal(run('ZREVRANK', 'z', 'c'), 1);
    assert.equal(run('ZCOUNT', 'z', '(1', '2'), 2);
    assert.equal(run('ZCOUNT', 'z', '3', '1'), 0);
    assert.deepEqual(run('ZCOUNT', 'z', 'x', '1'), { error: 'ERR min or max is not a float' });
    assert.equal(run('ZLEXCOUNT', 'z', '[b', '(d'), 2);
    assert.deepEqual(run('ZLEXCOUNT', 'z', 'b', '+'), { error: 'ERR min or max not valid string range item' });
    assert.equal(run('ZCARD', 'z'), 4);
    assert.equal(run('ZCARD', 'nope'), 0);
  });

  test('wrong type and expired keys', () => {
    const { run, store, clock } = harness();
    run('SET', 's', 'v');
    for (const cmd of [['ZADD', 's', '1', 'a'], ['ZINCRBY', 's', '1', 'a'], ['ZREM', 's', 'a'], ['ZCARD', 's'], ['ZSCORE', 's', 'a'],
      ['ZMSCORE', 's', 'a'], ['ZRANK', 's', 'a'], ['ZCOUNT', 's', '0', '1'], ['ZRANGE', 's', '0', '-1'], ['ZPOPMIN', 's'],
      ['ZREMRANGEBYRANK', 's', '0', '1']]) {
      assert.deepEqual(run(...cmd), WRONGTYPE, cmd.join(' '));
    }
    run('ZADD', 'z', '1', 'a');
    store.dbs[0].setExpireAt(store.dbs[0].peek('z')!, clock.now() + 10);
    clock.advance(10);
    assert.equal(run('ZCARD', 'z'), 0);
    assert.equal(run('ZADD', 'z', '2', 'b'), 1);
    assert.deepEqual(run('ZRANGE', 'z', '0', '-1'), ['b'], 'a write to an expired set starts a fresh one');
  });
});
