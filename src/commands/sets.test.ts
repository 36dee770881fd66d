// Unit tests for the set commands and SetValue: replies in RESP2/RESP3, intset/hashtable
// encoding transitions as Redis 7.0 makes them (numeric order for intsets), SPOP/SRANDMEMBER
// counts, accounting, WATCH signals and emptied-key deletion.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SetValue, compareIntStrings, isIntMember, setCommands } from './sets.js';
import { stringCommands } from './strings.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  return commandHarness([...stringCommands, ...setCommands], 2);
}

const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
const sorted = (v: unknown) => [...(v as string[])].sort();

describe('command metadata', () => {
  test('set commands match redis 7.0 arity, flags and key positions', () => {
    assertMatchesRedis(setCommands);
  });
});

describe('SetValue', () => {
  test('integer detection follows string2ll and numeric order is exact', () => {
    for (const s of ['0', '-1', '9223372036854775807', '-9223372036854775808', '123456789012345678']) assert.ok(isIntMember(s), s);
    for (const s of ['', '-', '-0', '007', '+1', '1 ', 'a', '9223372036854775808', '1.5']) assert.ok(!isIntMember(s), s);
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (a, b) => {
        assert.equal(Math.sign(compareIntStrings(String(a), String(b))), a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });

  test('encoding: intset while all integers and <= 512, never converted back', () => {
    const s = new SetValue();
    for (let i = 0; i < 512; i++) s.add(String(i));
    assert.equal(s.encoding(), 'intset');
    s.add('512');
    assert.equal(s.encoding(), 'hashtable');
    s.remove('512');
    assert.equal(s.encoding(), 'hashtable');
    const t = new SetValue();
    t.add('1');
    t.add('a');
    t.remove('a');
    assert.equal(t.encoding(), 'hashtable');
    assert.equal(t.clone().encoding(), 'hashtable');
  });
});

describe('set commands', () => {
  test('SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS', () => {
    const { run, raw, store, accounted, modified, c } = harness();
    assert.equal(run('SADD', 's', '10', '-5', '3', '10'), 3);
    assert.equal(raw('SMEMBERS', 's'), '*3\r\n$2\r\n-5\r\n$1\r\n3\r\n$2\r\n10\r\n', 'intsets reply in numeric order');
    assert.equal(run('SCARD', 's'), 3);
    assert.equal(run('SISMEMBER', 's', '3'), 1);
    assert.deepEqual(run('SMISMEMBER', 's', '3', 'x'), [1, 0]);
    assert.deepEqual(run('SMISMEMBER', 'nokey', 'x'), [0]);
    modified.length = 0;
    assert.equal(run('SADD', 's', '3'), 0);
    assert.equal(run('SREM', 's', 'nope'), 0);
    assert.deepEqual(modified, []);
    assert.equal(run('SADD', 's', 'abc'), 1);
    assert.deepEqual(sorted(run('SMEMBERS', 's')), ['-5', '10', '3', 'abc']);
    accounted();
    assert.equal(run('SREM', 's', '-5', '10', '3', 'abc', 'x'), 4);
    assert.equal(store.dbs[0].peek('s'), undefined);
    assert.equal(store.dataBytes, 0);
    c.w.resp = 3;
    assert.equal(raw('SMEMBERS', 'nokey'), '~0\r\n');
  });

  test('SPOP with and without count', () => {
    const { run, raw, store, accounted, c } = harness();
    assert.equal(raw('SPOP', 's'), '$-1\r\n');
    assert.equal(raw('SPOP', 's', '2'), '*0\r\n');
    assert.equal(raw('SPOP', 's', '-1'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(raw('SPOP', 's', '1', '2'), '-ERR syntax error\r\n');
    run('SADD', 's', 'a', 'b', 'c', 'd', 'e');
    const one = run('SPOP', 's') as string;
    assert.ok('abcde'.includes(one));
    const two = run('SPOP', 's', '2') as string[];
    assert.equal(new Set([one, ...two]).size, 3);
    accounted();
    assert.equal(run('SCARD', 's'), 2);
    assert.equal(raw('SPOP', 's', '0'), '*0\r\n');
    assert.equal((run('SPOP', 's', '10') as string[]).length, 2);
    assert.equal(store.dbs[0].peek('s'), undefined);
    // Popping most of an intset replies in numeric order (Redis rebuilds the set from the rest).
    run('SADD', 'w', '12', '11', '10', '9', '8', '7', '6', '5', '4', '3', '2', '1');
    const popped = run('SPOP', 'w', '10') as string[];
    assert.deepEqual(popped, [...popped].sort((x, y) => +x - +y));
    assert.equal(run('SCARD', 'w'), 2);
    // ...and a hashtable whose survivors are all integers becomes an intset again.
    run('SADD', 'v', 'a', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10');
    run('SPOP', 'v', '10');
    const left = (store.dbs[0].peek('v')!.value as SetValue);
    assert.equal(left.encoding(), isIntMember(run('SRANDMEMBER', 'v') as string) ? 'intset' : 'hashtable');
    accounted();
    c.w.resp = 3;
    assert.equal(raw('SPOP', 'nokey', '1'), '~0\r\n');
    assert.equal(raw('SPOP', 'nokey'), '_\r\n');
    run('SADD', 'x', '3', '1', '2');
    assert.equal(raw('SPOP', 'x', '5'), '~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
  });

  test('SRANDMEMBER counts', () => {
    const { run, raw } = harness();
    assert.equal(raw('SRANDMEMBER', 's'), '$-1\r\n');
    assert.equal(raw('SRANDMEMBER', 's', '5'), '*0\r\n');
    assert.equal(raw('SRANDMEMBER', 's', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(
      raw('SRANDMEMBER', 's', '-9223372036854775808'),
      '-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n',
    );
    assert.equal(raw('SRANDMEMBER', 's', '1', '2'), '-ERR syntax error\r\n');
    run('SADD', 's', '3', '1', '2');
    assert.equal(raw('SRANDMEMBER', 's', '10'), '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
    const two = run('SRANDMEMBER', 's', '2') as string[];
    assert.equal(new Set(two).size, 2);
    const many = run('SRANDMEMBER', 's', '-50') as string[];
    assert.equal(many.length, 50);
    assert.ok(many.every((m) => ['1', '2', '3'].includes(m)));
    assert.equal(raw('SRANDMEMBER', 's', '0'), '*0\r\n');
  });

  test('set-max-intset-entries from the store\'s limits: SADD, SMOVE, the STORE operations', () => {
    const { run, store } = harness();
    const encoding = (key: string): string => (store.dbs[0].peek(key)!.value as SetValue).encoding();
    store.limits.intsetEntries = 2;
    run('SADD', 's', '1', '2');
    assert.equal(encoding('s'), 'intset');
    run('SADD', 's', '3');
    assert.equal(encoding('s'), 'hashtable');
    store.limits.intsetEntries = 512;
    run('SADD', 'a', '1', '2', '3');
    store.limits.intsetEntries = 1;
    for (const op of ['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']) {
      run(op, 'd', 'a', 'a');
      if (op !== 'SDIFFSTORE') assert.equal(encoding('d'), 'hashtable', op);
    }
    run('SMOVE', 'a', 'm', '1');
    assert.equal(encoding('m'), 'intset');
    run('SMOVE', 'a', 'm', '2');
    assert.equal(encoding('m'), 'hashtable');
    store.limits.intsetEntries = 0;
    run('SADD', 'z', '1');
    assert.equal(encoding('z'), 'hashtable');
  });

  test('SMOVE and the STORE operations: accounting, WATCH, TTL dropped, empty results delete', () => {
    const { run, raw, store, accounted, modified, clock } = harness();
    run('SADD', 'a', '1', '2', 'x');
    assert.equal(run('SMOVE', 'a', 'b', '2'), 1);
    assert.equal(run('SMOVE', 'a', 'b', '9'), 0);
    assert.equal((store.dbs[0].peek('b')!.value as SetValue).encoding(), 'intset');
    accounted();
    run('SADD', 'c', '1', '7');
    store.dbs[0].setExpireAt(store.dbs[0].peek('c')!, clock.now() + 10_000);
    modified.length = 0;
    assert.equal(run('SUNIONSTORE', 'c', 'a', 'b'), 3);
    assert.deepEqual(modified, ['0:c']);
    assert.equal(store.dbs[0].peek('c')!.expireAt, 0, 'the destination is replaced, TTL and all');
    assert.deepEqual(sorted(run('SMEMBERS', 'c')), ['1', '2', 'x']);
    assert.equal(raw('SINTER', 'c', 'b'), '*1\r\n$1\r\n2\r\n');
    assert.deepEqual(sorted(run('SDIFF', 'c', 'b')), ['1', 'x']);
    accounted();
    assert.equal(run('SINTERSTORE', 'c', 'a', 'nokey'), 0);
    assert.equal(store.dbs[0].peek('c'), undefined);
    assert.equal(run('SMOVE', 'b', 'a', '2'), 1);
    assert.equal(store.dbs[0].peek('b'), undefined, 'an emptied source is deleted');
    accounted();
  });

  test('WRONGTYPE on other types', () => {
    const { raw, run } = harness();
    run('SET', 'k', 'x');
    for (const cmd of [
      ['SADD', 'k', 'a'],
      ['SREM', 'k', 'a'],
      ['SPOP', 'k'],
      ['SPOP', 'k', '0'],
      ['SCARD', 'k'],
      ['SMEMBERS', 'k'],
      ['SISMEMBER', 'k', 'a'],
      ['SMISMEMBER', 'k', 'a'],
      ['SRANDMEMBER', 'k'],
      ['SRANDMEMBER', 'k', '0'],
    ]) {
      assert.equal(raw(...cmd), WRONGTYPE, cmd.join(' '));
    }
  });
});
