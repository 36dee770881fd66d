// Unit tests for the list commands: replies (RESP2 and RESP3 forms of LPOP/RPOP count), Redis's
// index arithmetic, argument-check order, accounting, WATCH signals and emptied-key deletion.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { listCommands } from './lists.js';
import { stringCommands } from './strings.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  return commandHarness([...stringCommands, ...listCommands], 2);
}

const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';

describe('command metadata', () => {
  test('list commands match redis 7.0 arity, flags and key positions', () => {
    assertMatchesRedis(listCommands);
  });
});

describe('list commands', () => {
  test('pushes, LRANGE index arithmetic, LLEN, LINDEX', () => {
    const { run, raw, accounted, store } = harness();
    const harnessStorePeek = () => store.dbs[0].peek('nokey');
    assert.equal(run('RPUSH', 'l', 'b', 'c'), 2);
    assert.equal(run('LPUSH', 'l', 'a', 'z'), 4);
    assert.deepEqual(run('LRANGE', 'l', '0', '-1'), ['z', 'a', 'b', 'c']);
    assert.deepEqual(run('LRANGE', 'l', '-100', '1'), ['z', 'a']);
    assert.deepEqual(run('LRANGE', 'l', '2', '100'), ['b', 'c']);
    assert.deepEqual(run('LRANGE', 'l', '3', '2'), []);
    assert.deepEqual(run('LRANGE', 'l', '4', '10'), []);
    assert.deepEqual(run('LRANGE', 'l', '-9223372036854775808', '9223372036854775807'), ['z', 'a', 'b', 'c']);
    assert.equal(raw('LRANGE', 'l', 'x', '1'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(run('LLEN', 'l'), 4);
    assert.equal(run('LLEN', 'nokey'), 0);
    assert.equal(run('LINDEX', 'l', '-1'), 'c');
    assert.equal(run('LINDEX', 'l', '4'), null);
    assert.equal(run('LINDEX', 'nokey', 'x'), null, 'the key is looked up before the index is parsed');
    assert.equal(raw('LINDEX', 'l', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(run('LPUSHX', 'nokey', 'a'), 0);
    assert.equal(run('RPUSHX', 'l', 'd', 'e'), 6);
    assert.equal(harnessStorePeek(), undefined);
    accounted();
  });

  test('LPOP/RPOP with and without count, RESP2 and RESP3', () => {
    const { raw, run, store, c } = harness();
    run('RPUSH', 'l', 'a', 'b', 'c');
    assert.equal(raw('LPOP', 'l'), '$1\r\na\r\n');
    assert.equal(raw('RPOP', 'l', '0'), '*0\r\n');
    assert.equal(raw('RPOP', 'l', '5'), '*2\r\n$1\r\nc\r\n$1\r\nb\r\n');
    assert.equal(store.dbs[0].peek('l'), undefined, 'an emptied list is deleted');
    assert.equal(store.dataBytes, 0);
    assert.equal(raw('LPOP', 'l'), '$-1\r\n');
    assert.equal(raw('LPOP', 'l', '0'), '*-1\r\n');
    assert.equal(raw('LPOP', 'l', '-1'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(raw('LPOP', 'l', 'x'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(raw('LPOP', 'l', '1', '2'), "-ERR wrong number of arguments for 'lpop' command\r\n");
    c.w.resp = 3;
    assert.equal(raw('LPOP', 'l', '2'), '_\r\n');
    assert.equal(raw('LPOP', 'l'), '_\r\n');
    run('RPUSH', 'l', 'a');
    assert.equal(raw('LPOP', 'l', '2'), '*1\r\n$1\r\na\r\n');
  });

  test('LSET, LREM, LTRIM and their error order', () => {
    const { raw, run, store, accounted, modified } = harness();
    assert.equal(raw('LSET', 'l', 'x', 'v'), '-ERR no such key\r\n');
    run('RPUSH', 'l', 'a', 'b', 'a', 'c', 'a');
    assert.equal(raw('LSET', 'l', 'x', 'v'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(raw('LSET', 'l', '5', 'v'), '-ERR index out of range\r\n');
    assert.equal(raw('LSET', 'l', '-5', 'A'.repeat(100)), '+OK\r\n');
    accounted();
    run('LSET', 'l', '0', 'a');
    assert.equal(raw('LREM', 'nokey', 'x', 'a'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(run('LREM', 'l', '-1', 'a'), 1);
    assert.deepEqual(run('LRANGE', 'l', '0', '-1'), ['a', 'b', 'a', 'c']);
    assert.equal(run('LREM', 'l', '1', 'a'), 1);
    assert.deepEqual(run('LRANGE', 'l', '0', '-1'), ['b', 'a', 'c']);
    modified.length = 0;
    assert.equal(run('LREM', 'l', '0', 'zz'), 0);
    assert.deepEqual(modified, []);
    accounted();
    assert.equal(raw('LTRIM', 'l', '0', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(raw('LTRIM', 'l', '0', '100'), '+OK\r\n');
    assert.deepEqual(modified, ['0:l'], 'LTRIM signals even when nothing is trimmed');
    assert.equal(raw('LTRIM', 'l', '-2', '-1'), '+OK\r\n');
    assert.deepEqual(run('LRANGE', 'l', '0', '-1'), ['a', 'c']);
    accounted();
    assert.equal(raw('LTRIM', 'l', '5', '10'), '+OK\r\n');
    assert.equal(store.dbs[0].peek('l'), undefined);
    assert.equal(raw('LTRIM', 'nokey', '0', '1'), '+OK\r\n');
    assert.equal(store.dataBytes, 0);
  });

  test('LINSERT, LPOS, LMOVE/RPOPLPUSH: accounting, WATCH, emptied source deleted', () => {
    const { raw, run, store, accounted, modified } = harness();
    run('RPUSH', 'l', 'a', 'b', 'a', 'c');
    assert.equal(run('LINSERT', 'l', 'AFTER', 'a', 'x'.repeat(50)), 5);
    assert.equal(run('LINSERT', 'l', 'before', 'c', 'y'), 6);
    assert.equal(run('LINSERT', 'l', 'before', 'zz', 'y'), -1);
    assert.equal(raw('LINSERT', 'l', 'around', 'a', 'y'), '-ERR syntax error\r\n');
    assert.deepEqual(run('LRANGE', 'l', '0', '-1'), ['a', 'x'.repeat(50), 'b', 'a', 'y', 'c']);
    accounted();
    assert.equal(run('LPOS', 'l', 'a', 'RANK', '-1'), 3);
    assert.deepEqual(run('LPOS', 'l', 'a', 'COUNT', '0'), [0, 3]);
    assert.deepEqual(run('LPOS', 'l', 'a', 'COUNT', '0', 'MAXLEN', '3'), [0]);
    assert.equal(run('LPOS', 'l', 'a', 'RANK', '3'), null);
    modified.length = 0;
    assert.equal(run('LMOVE', 'l', 'd', 'LEFT', 'RIGHT'), 'a');
    assert.deepEqual(modified.sort(), ['0:d', '0:l']);
    assert.equal(run('RPOPLPUSH', 'l', 'l'), 'c');
    assert.deepEqual(run('LRANGE', 'l', '0', '1'), ['c', 'x'.repeat(50)]);
    accounted();
    run('RPUSH', 'one', 'z');
    assert.equal(run('RPOPLPUSH', 'one', 'd'), 'z');
    assert.equal(store.dbs[0].peek('one'), undefined);
    assert.deepEqual(run('LRANGE', 'd', '0', '-1'), ['z', 'a'], 'RPOPLPUSH pushes at the head');
    accounted();
  });

  test('WRONGTYPE on other types', () => {
    const { raw, run } = harness();
    run('SET', 's', 'x');
    for (const cmd of [
      ['LPUSH', 's', 'a'],
      ['RPUSHX', 's', 'a'],
      ['LPOP', 's'],
      ['RPOP', 's', '0'],
      ['LLEN', 's'],
      ['LRANGE', 's', '0', '1'],
      ['LINDEX', 's', 'x'],
      ['LSET', 's', 'x', 'v'],
      ['LREM', 's', '0', 'a'],
      ['LTRIM', 's', '0', '1'],
    ]) {
      assert.equal(raw(...cmd), WRONGTYPE, cmd.join(' '));
    }
  });
});
