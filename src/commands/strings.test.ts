// Unit tests for the string commands: run handlers on a Store with a ManualClock, check replies,
// TTLs, WATCH signals, memory accounting, metadata, and the long double emulation of INCRBYFLOAT.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { stringCommands } from './strings.js';
import { parseLongDouble, addLongDouble, formatLongDouble } from '../util/long-double.js';
import { keyCommands } from './keys.js';
import type { ReplyValue } from '../protocol/reply-parser.js';
import { TYPE_HASH } from '../store/entry.js';
import { HashValue } from '../store/hash-value.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  return commandHarness([...stringCommands, ...keyCommands]);
}

const OK = { simple: 'OK' };
const WRONGTYPE = { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const SYNTAX = { error: 'ERR syntax error' };

describe('command metadata', () => {
  test('string commands match redis 7.0 arity, flags and key positions', () => {
    assertMatchesRedis(stringCommands);
  });
});

describe('SET and friends', () => {
  test('EX/PX/EXAT/PXAT/KEEPTTL set and keep TTLs on the store clock', () => {
    const { run, clock } = harness();
    assert.deepEqual(run('SET', 'k', 'v', 'EX', '10'), OK);
    assert.equal(run('PTTL', 'k'), 10000);
    assert.deepEqual(run('SET', 'k', 'v2', 'KEEPTTL'), OK);
    clock.advance(9999);
    assert.equal(run('GET', 'k'), 'v2');
    clock.advance(1);
    assert.equal(run('GET', 'k'), null);
    run('SET', 'k', 'v', 'PX', '1500');
    assert.equal(run('TTL', 'k'), 2);
    run('SET', 'k', 'v', 'PXAT', String(clock.now() + 5));
    assert.equal(run('PTTL', 'k'), 5);
    run('SET', 'k', 'v', 'EXAT', String(Math.floor(clock.now() / 1000) + 100));
    assert.equal(run('EXPIRETIME', 'k'), Math.floor(clock.now() / 1000) + 100);
    run('SET', 'k', 'v');
    assert.equal(run('TTL', 'k'), -1);
  });

  test('an expired key behaves as missing for every string command', () => {
    const { run, clock } = harness();
    const expired = (cmd: () => ReplyValue, want: ReplyValue) => {
      run('SET', 'k', '5', 'PX', '10');
      clock.advance(10);
      assert.deepEqual(cmd(), want);
    };
    expired(() => run('GET', 'k'), null);
    expired(() => run('MGET', 'k'), [null]);
    expired(() => run('STRLEN', 'k'), 0);
    expired(() => run('GETRANGE', 'k', '0', '-1'), '');
    expired(() => run('INCR', 'k'), 1);
    assert.equal(run('TTL', 'k'), -1, 'INCR on an expired key starts fresh, without TTL');
    expired(() => run('APPEND', 'k', 'x'), 1);
    expired(() => run('SETNX', 'k', 'x'), 1);
    expired(() => run('SET', 'k', 'x', 'XX'), null);
    expired(() => run('GETDEL', 'k'), null);
    expired(() => run('GETEX', 'k', 'PERSIST'), null);
  });

  test('IFEQ sets only when the current value equals the comparison value', () => {
    const { run } = harness();
    assert.equal(run('SET', 'k', 'new', 'IFEQ', 'x'), null, 'missing key');
    assert.equal(run('EXISTS', 'k'), 0);
    run('SET', 'k', 'old', 'EX', '100');
    assert.equal(run('SET', 'k', 'new', 'IFEQ', 'nope'), null);
    assert.equal(run('GET', 'k'), 'old');
    assert.deepEqual(run('SET', 'k', 'new', 'ifeq', 'old'), OK);
    assert.equal(run('GET', 'k'), 'new');
    assert.equal(run('TTL', 'k'), -1, 'IFEQ without KEEPTTL clears the TTL like SET');
    assert.equal(run('SET', 'k', 'newer', 'IFEQ', 'new', 'GET', 'EX', '50'), 'new');
    assert.equal(run('TTL', 'k'), 50);
    assert.equal(run('SET', 'k', 'x', 'GET', 'IFEQ', 'nope'), 'newer', 'GET replies the old value even when not set');
    assert.equal(run('GET', 'k'), 'newer');
    assert.deepEqual(run('SET', 'k', 'x', 'IFEQ', 'newer', 'KEEPTTL'), OK);
    assert.equal(run('GET', 'k'), 'x');
    assert.equal(run('TTL', 'k'), 50);
  });

  test('IFEQ errors: exclusive with NX/XX, needs a value, WRONGTYPE on other types', () => {
    const { run, store } = harness();
    run('SET', 'k', 'v');
    assert.deepEqual(run('SET', 'k', 'v', 'IFEQ', 'v', 'NX'), SYNTAX);
    assert.deepEqual(run('SET', 'k', 'v', 'NX', 'IFEQ', 'v'), SYNTAX);
    assert.deepEqual(run('SET', 'k', 'v', 'XX', 'IFEQ', 'v'), SYNTAX);
    assert.deepEqual(run('SET', 'k', 'v', 'IFEQ', 'v', 'XX'), SYNTAX);
    assert.deepEqual(run('SET', 'k', 'v', 'IFEQ'), SYNTAX);
    assert.deepEqual(run('SET', 'k', 'v', 'IFEQ', 'v', 'IFEQ', 'v'), SYNTAX);
    const db = store.dbs[0];
    db.changed(db.create('h', TYPE_HASH, HashValue.fromPairs([['f', 'v']])));
    assert.deepEqual(run('SET', 'h', 'v', 'IFEQ', 'v'), WRONGTYPE);
    assert.deepEqual(run('SET', 'h', 'v', 'IFEQ', 'v', 'GET'), WRONGTYPE);
    assert.deepEqual(run('TYPE', 'h'), { simple: 'hash' });
  });

  test('SETEX/PSETEX/GETEX use the clock; GETEX EXAT in the past deletes', () => {
    const { run, clock, modified } = harness();
    run('PSETEX', 'k', '200', 'v');
    clock.advance(199);
    assert.equal(run('GETEX', 'k', 'PX', '1000'), 'v');
    clock.advance(999);
    assert.equal(run('GET', 'k'), 'v');
    modified.length = 0;
    assert.equal(run('GETEX', 'k', 'PERSIST'), 'v');
    assert.deepEqual(modified, ['0:k']);
    clock.advance(1e9);
    assert.equal(run('GET', 'k'), 'v');
    assert.equal(run('GETEX', 'k', 'PXAT', String(clock.now())), 'v');
    assert.equal(run('EXISTS', 'k'), 0);
  });

  test('MSET replaces values and clears TTLs; MSETNX is all or nothing', () => {
    const { run, accounted } = harness();
    run('SET', 'a', 'x', 'EX', '10');
    assert.deepEqual(run('MSET', 'a', '1', 'b', '2'), OK);
    assert.deepEqual(run('MGET', 'a', 'b', 'c'), ['1', '2', null]);
    assert.equal(run('TTL', 'a'), -1);
    assert.equal(run('MSETNX', 'c', '3', 'a', '9'), 0);
    assert.equal(run('EXISTS', 'c'), 0);
    assert.equal(run('MSETNX', 'c', '3', 'd', '4'), 1);
    assert.deepEqual(run('MSET', 'a', '1', 'b'), { error: "ERR wrong number of arguments for 'mset' command" });
    accounted();
  });
});

describe('APPEND, SETRANGE, GETRANGE', () => {
  test('edit in place, keep the TTL, signal WATCH and keep memory accounting right', () => {
    const { run, modified, accounted } = harness();
    run('SET', 'k', 'abc', 'EX', '100');
    modified.length = 0;
    assert.equal(run('APPEND', 'k', 'defgh'), 8);
    assert.equal(run('SETRANGE', 'k', '10', 'Z'), 11);
    assert.equal(run('GET', 'k'), 'abcdefgh\0\0Z');
    assert.equal(run('SETRANGE', 'k', '1', 'XY'), 11);
    assert.equal(run('GETRANGE', 'k', '0', '3'), 'aXYd');
    assert.equal(run('TTL', 'k'), 100);
    assert.deepEqual(modified, ['0:k', '0:k', '0:k']);
    accounted();
  });

  test('the proto-max-bulk-len limit applies to APPEND and SETRANGE', () => {
    const { run, store } = harness();
    const TOO_LONG = { error: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)' };
    store.maxStringLength = 10;
    try {
      run('SET', 'k', '12345');
      assert.equal(run('APPEND', 'k', '67890'), 10);
      assert.deepEqual(run('APPEND', 'k', 'x'), TOO_LONG);
      assert.deepEqual(run('SETRANGE', 'k', '10', 'x'), TOO_LONG);
      assert.deepEqual(run('SETRANGE', 'new', '9', 'xy'), TOO_LONG);
      assert.equal(run('SETRANGE', 'new', '8', 'xy'), 10);
    } finally {
      store.maxStringLength = 512 * 1024 * 1024;
    }
    assert.deepEqual(run('SETRANGE', 'k', '536870912', 'x'), TOO_LONG);

  test('a large string sized at once by SETRANGE reads as zeros where nothing was written, and keeps its bytes as it grows', () => {
    const { run, accounted } = harness();
    // Past the slab's largest chunk: the item moves to zeroed memory (slab.alloc) and the grown
    // bytes are not filled again.
    run('SET', 'big', 'head', 'PX', '500000');
    assert.equal(run('SETRANGE', 'big', '999999', 'Z'), 1_000_000);
    assert.equal(run('GETRANGE', 'big', '0', '5'), 'head\0\0');
    assert.equal(run('GETRANGE', 'big', '500000', '500003'), '\0\0\0\0');
    assert.equal(run('GETRANGE', 'big', '999998', '-1'), '\0Z');
    assert.equal(run('SETRANGE', 'big', '500000', 'mid'), 1_000_000);
    // Grown again (a second large item): what was written moves with it, the rest stays zero.
    assert.equal(run('APPEND', 'big', 'tail'), 1_000_004);
    assert.equal(run('SETRANGE', 'big', '2999999', 'E'), 3_000_000);
    assert.equal(run('GETRANGE', 'big', '0', '3'), 'head');
    assert.equal(run('GETRANGE', 'big', '499999', '500003'), '\0mid\0');
    assert.equal(run('GETRANGE', 'big', '999998', '1000005'), '\0Ztail\0\0');
    assert.equal(run('GETRANGE', 'big', '2999990', '-1'), '\0\0\0\0\0\0\0\0\0E');
    assert.ok((run('PTTL', 'big') as number) > 0);
    // A large item freed and its memory reused for a new large string: no old bytes show.
    run('DEL', 'big');
    assert.equal(run('SETRANGE', 'big2', '2999999', 'x'), 3_000_000);
    assert.equal(run('GETRANGE', 'big2', '999998', '1000005'), '\0\0\0\0\0\0\0\0');
    accounted();
  });
  });
});

describe('INCR family', () => {
  test('stores the canonical decimal, exact across the whole int64 range', () => {
    const { run, raw } = harness();
    run('SET', 'n', '9007199254740991');
    assert.equal(raw('INCR', 'n'), ':9007199254740992\r\n');
    assert.equal(raw('INCR', 'n'), ':9007199254740993\r\n');
    assert.equal(run('GET', 'n'), '9007199254740993');
    assert.equal(raw('INCRBY', 'n', '9223372036854775807'), '-ERR increment or decrement would overflow\r\n');
    run('SET', 'n', '-9223372036854775807');
    assert.equal(raw('DECR', 'n'), ':-9223372036854775808\r\n');
    assert.equal(raw('DECR', 'n'), '-ERR increment or decrement would overflow\r\n');
    assert.equal(raw('INCRBY', 'n', '9223372036854775807'), ':-1\r\n');
    assert.equal(run('GET', 'n'), '-1');
    assert.equal(raw('DECRBY', 'n', '-9223372036854775808'), '-ERR decrement would overflow\r\n');
    run('SET', 'n', '007');
    assert.equal(raw('INCR', 'n'), '-ERR value is not an integer or out of range\r\n');
  });

  test('keeps the TTL and signals WATCH', () => {
    const { run, modified } = harness();
    run('SET', 'n', '1', 'EX', '100');
    modified.length = 0;
    assert.equal(run('INCRBY', 'n', '41'), 42);
    assert.equal(run('INCRBYFLOAT', 'n', '0.5'), '42.5');
    assert.equal(run('TTL', 'n'), 100);
    assert.deepEqual(modified, ['0:n', '0:n']);
  });
});

describe('long double emulation (INCRBYFLOAT)', () => {
  const add = (a: string, b: string): string | undefined => {
    const x = parseLongDouble(a);
    const y = parseLongDouble(b);
    if (x === undefined || y === undefined) return undefined;
    const s = addLongDouble(x, y);
    return s === null ? 'inf' : formatLongDouble(s);
  };

  test('formats like %.17Lf with trailing zeros trimmed (values checked against redis 7.0)', () => {
    assert.equal(add('10.5', '0.1'), '10.6');
    assert.equal(add('0.1', '0.2'), '0.3');
    assert.equal(add('3.0e3', '5.0e3'), '8000');
    assert.equal(add('0', '1.5e+10'), '15000000000');
    assert.equal(add('0', '5e-18'), '0');
    assert.equal(add('0', '1e-17'), '0.00000000000000001');
    assert.equal(add('0', '-1e-20'), '0');
    assert.equal(add('0', '3.14159265358979323846264'), '3.14159265358979324');
    assert.equal(add('0', '123456789012345678901234567890'), '123456789012345678899921813504');
    assert.equal(add('0', '0x1p3'), '8');
  });

  test('parses as string2ld: no spaces, no NUL, no NaN, overflow invalid, infinity overflows the sum', () => {
    for (const bad of [' 1', '1 ', '', 'nan', '1e5000', '1e-5000', '0x', '1e', '1\0', 'abc']) {
      assert.equal(parseLongDouble(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(add('0', 'inf'), 'inf');
    assert.equal(add('1.18e4932', '1e4932'), 'inf');
    assert.equal(add('1e400', '-1e400'), '0');
    assert.equal(add('-0', '-0'), '0');
  });
});
