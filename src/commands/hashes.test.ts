// Unit tests for the hash commands: handlers run on a Store with a ManualClock; replies, byte
// accounting, WATCH signals, HSCAN cursors over large hashes and HRANDFIELD sampling.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { hashCommands } from './hashes.js';
import type { HashValue } from '../store/hash-value.js';
import { stringCommands } from './strings.js';
import type { ReplyValue } from '../protocol/reply-parser.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  return commandHarness([...stringCommands, ...hashCommands], 2);
}

const WRONGTYPE = { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' };

describe('command metadata', () => {
  test('hash commands match redis 7.0 arity, flags and key positions', () => {
    assertMatchesRedis(hashCommands);
  });
});

describe('reads and writes', () => {
  test('HSET/HMSET/HSETNX/HGET/HMGET/HDEL keep insertion order, accounting and WATCH signals', () => {
    const { run, raw, modified, accounted, store } = harness();
    assert.equal(run('HSET', 'h', 'a', '1', 'b', '2', 'a', '3'), 2);
    assert.deepEqual(run('HGETALL', 'h'), ['a', '3', 'b', '2']);
    assert.equal(raw('HSET', 'h', 'a'), "-ERR wrong number of arguments for 'hset' command\r\n");
    assert.equal(raw('HMSET', 'h', 'a', '1', 'b'), "-ERR wrong number of arguments for 'hmset' command\r\n");
    assert.deepEqual(run('HMSET', 'h', 'c', 'x'.repeat(100)), { simple: 'OK' });
    accounted();
    modified.length = 0;
    assert.equal(run('HSETNX', 'h', 'a', 'z'), 0);
    assert.equal(run('HDEL', 'h', 'nope'), 0);
    assert.deepEqual(modified, [], 'no-op writes signal nothing');
    assert.equal(run('HSETNX', 'h', 'd', 'z'), 1);
    assert.deepEqual(modified, ['0:h']);
    assert.deepEqual(run('HMGET', 'h', 'a', 'nope', 'd'), ['3', null, 'z']);
    assert.deepEqual(run('HKEYS', 'h'), ['a', 'b', 'c', 'd']);
    assert.equal(run('HDEL', 'h', 'a', 'b', 'a'), 2);
    accounted();
    assert.equal(run('HDEL', 'h', 'c', 'd', 'e'), 2);
    assert.equal(store.dbs[0].peek('h'), undefined, 'an emptied hash is deleted');
    assert.equal(store.dataBytes, 0);
    assert.equal(run('HLEN', 'h'), 0);
  });

  test('the encoding follows the store\'s hash-max-listpack-entries / -value', () => {
    const { run, store } = harness();
    const encoding = (key: string): string => (store.dbs[0].peek(key)!.value as HashValue).encoding();
    store.limits.hashValue = 8;
    run('HSET', 'small', 'tmp', '0');
    run('HINCRBYFLOAT', 'small', 'tmp', '0.000005');
    assert.equal(encoding('small'), 'listpack');
    run('HSET', 'big', 'tmp', '0');
    run('HINCRBYFLOAT', 'big', 'tmp', '0.0000005');
    assert.equal(encoding('big'), 'hashtable');
    run('HINCRBY', 'field', 'abcdefghi', '1');
    assert.equal(encoding('field'), 'hashtable');
    run('HSETNX', 'nx', 'f', 'v'.repeat(9));
    assert.equal(encoding('nx'), 'hashtable');
    store.limits.hashValue = 64;
    store.limits.hashEntries = 2;
    run('HSET', 'e', 'a', '1', 'b', '2');
    assert.equal(encoding('e'), 'listpack');
    run('HSET', 'e', 'c', '3');
    assert.equal(encoding('e'), 'hashtable');
  });

  test('binary fields and values round-trip; HSTRLEN counts bytes', () => {
    const { run } = harness();
    const bin = '\x00\xff\r\n\x80';
    run('HSET', 'h', bin, bin + bin);
    assert.equal(run('HGET', 'h', bin), bin + bin);
    assert.equal(run('HSTRLEN', 'h', bin), 10);
    assert.equal(run('HEXISTS', 'h', bin), 1);
  });

  test('RESP3: HGETALL is a map, missing fields are null', () => {
    const { raw, c, run } = harness();
    run('HSET', 'h', 'a', '1');
    c.w.resp = 3;
    assert.equal(raw('HGETALL', 'h'), '%1\r\n$1\r\na\r\n$1\r\n1\r\n');
    assert.equal(raw('HGETALL', 'nope'), '%0\r\n');
    assert.equal(raw('HMGET', 'h', 'x'), '*1\r\n_\r\n');
    assert.equal(raw('HRANDFIELD', 'nope'), '_\r\n');
  });

  test('wrong type and expired keys', () => {
    const { run, store, clock } = harness();
    run('SET', 's', 'v');
    for (const cmd of [['HGET', 's', 'f'], ['HSET', 's', 'f', 'v'], ['HGETALL', 's'], ['HDEL', 's', 'f'], ['HSCAN', 's', '0'],
      ['HRANDFIELD', 's'], ['HINCRBY', 's', 'f', '1'], ['HINCRBYFLOAT', 's', 'f', '1'], ['HSTRLEN', 's', 'f'], ['HKEYS', 's']]) {
      assert.deepEqual(run(...cmd), WRONGTYPE, cmd.join(' '));
    }
    run('HSET', 'h', 'f', 'v');
    store.dbs[0].setExpireAt(store.dbs[0].peek('h')!, clock.now() + 10);
    clock.advance(10);
    assert.equal(run('HLEN', 'h'), 0);
    assert.equal(run('HSETNX', 'h', 'g', 'w'), 1);
    assert.deepEqual(run('HGETALL', 'h'), ['g', 'w'], 'a write to an expired hash starts a fresh one');
  });
});

describe('counters', () => {
  test('HINCRBY: int64 range, overflow and the stored-value checks', () => {
    const { run } = harness();
    assert.equal(run('HINCRBY', 'h', 'f', '5'), 5);
    assert.equal(run('HINCRBY', 'h', 'f', '-10'), -5);
    assert.deepEqual(run('HINCRBY', 'h', 'f', '1.5'), { error: 'ERR value is not an integer or out of range' });
    assert.equal(run('HINCRBY', 'h', 'g', '9223372036854775807'), 9223372036854775807);
    assert.equal(run('HGET', 'h', 'g'), '9223372036854775807', 'exact past 2^53');
    assert.deepEqual(run('HINCRBY', 'h', 'g', '1'), { error: 'ERR increment or decrement would overflow' });
    assert.equal(run('HINCRBY', 'h', 'g', '-9223372036854775807'), 0);
    run('HSET', 'h', 'x', ' 1', 'y', '01', 'z', '-0');
    for (const f of ['x', 'y', 'z']) assert.deepEqual(run('HINCRBY', 'h', f, '1'), { error: 'ERR hash value is not an integer' });
  });

  test('HINCRBYFLOAT: long double sums and Redis errors', () => {
    const { run } = harness();
    assert.equal(run('HINCRBYFLOAT', 'h', 'f', '10.5'), '10.5');
    assert.equal(run('HINCRBYFLOAT', 'h', 'f', '0.1'), '10.6');
    assert.equal(run('HINCRBYFLOAT', 'h', 'f', '-10.6'), '0');
    assert.equal(run('HINCRBYFLOAT', 'h', 'g', '0x1p-18'), '0.00000381469726562');
    assert.deepEqual(run('HINCRBYFLOAT', 'h', 'f', 'inf'), { error: 'ERR value is NaN or Infinity' });
    assert.deepEqual(run('HINCRBYFLOAT', 'h', 'f', 'nan'), { error: 'ERR value is not a valid float' });
    assert.deepEqual(run('HINCRBYFLOAT', 'h', 'f', ' 1'), { error: 'ERR value is not a valid float' });
    run('HSET', 'h', 'i', 'inf', 's', 'abc');
    assert.deepEqual(run('HINCRBYFLOAT', 'h', 'i', '1'), { error: 'ERR increment would produce NaN or Infinity' });
    assert.deepEqual(run('HINCRBYFLOAT', 'h', 's', '1'), { error: 'ERR hash value is not a float' });
  });
});

describe('HSCAN', () => {
  test('a small hash comes back whole with cursor 0; MATCH filters fields', () => {
    const { run } = harness();
    run('HSET', 'h', 'a1', 'x', 'b1', 'y', 'a2', 'z');
    assert.deepEqual(run('HSCAN', 'h', '0', 'COUNT', '1'), ['0', ['a1', 'x', 'b1', 'y', 'a2', 'z']]);
    assert.deepEqual(run('HSCAN', 'h', '0', 'MATCH', 'a*'), ['0', ['a1', 'x', 'a2', 'z']]);
    assert.deepEqual(run('HSCAN', 'nope', '0', 'COUNT', '0'), ['0', []], 'a missing key skips option checks');
    assert.deepEqual(run('HSCAN', 'h', '0', 'COUNT', '0'), { error: 'ERR syntax error' });
    assert.deepEqual(run('HSCAN', 'h', 'x'), { error: 'ERR invalid cursor' });
    assert.deepEqual(run('HSCAN', 'h', '18446744073709551616'), { error: 'ERR invalid cursor' });
    assert.deepEqual(run('HSCAN', 'h', '-1'), ['0', ['a1', 'x', 'b1', 'y', 'a2', 'z']]);
  });

  function scanAll(run: (...a: string[]) => ReplyValue, between?: (step: number) => void): Map<string, number> {
    const seen = new Map<string, number>();
    let cursor = '0';
    let step = 0;
    do {
      const [next, items] = run('HSCAN', 'big', cursor, 'COUNT', '7') as [string, string[]];
      assert.ok(items.length <= 14);
      for (let i = 0; i < items.length; i += 2) seen.set(items[i], (seen.get(items[i]) ?? 0) + 1);
      cursor = next;
      between?.(step++);
    } while (cursor !== '0');
    return seen;
  }

  test('a large hash is scanned in steps, every field exactly once', () => {
    const { run } = harness();
    for (let i = 0; i < 1000; i++) run('HSET', 'big', `f${i}`, String(i));
    const seen = scanAll(run);
    assert.equal(seen.size, 1000);
    assert.ok([...seen.values()].every((n) => n === 1));
  });

  test('fields present for the whole scan are returned despite concurrent inserts and deletes', () => {
    const { run } = harness();
    for (let i = 0; i < 600; i++) run('HSET', 'big', `f${i}`, String(i));
    const seen = scanAll(run, (step) => {
      run('HDEL', 'big', `f${step * 2}`); // deletes behind and ahead of the cursor
      run('HSET', 'big', `new${step}`, 'x');
      // A second scanner of the same hash must not disturb this one.
      run('HSCAN', 'big', String(step + 1), 'COUNT', '3');
    });
    for (let i = 0; i < 600; i++) {
      const deletedDuringScan = i % 2 === 0 && i / 2 < 120;
      if (!deletedDuringScan) assert.ok(seen.has(`f${i}`), `f${i}`);
    }
  });

  test('an unknown cursor resumes from that position', () => {
    const { run } = harness();
    for (let i = 0; i < 600; i++) run('HSET', 'big', `f${i}`, 'v');
    const [next, items] = run('HSCAN', 'big', '590', 'COUNT', '20') as [string, string[]];
    assert.equal(next, '0');
    assert.deepEqual(items.filter((_, i) => i % 2 === 0), Array.from({ length: 10 }, (_, i) => `f${590 + i}`));
    assert.deepEqual(run('HSCAN', 'big', '5000'), ['0', []]);
  });
});

describe('HRANDFIELD', () => {
  test('argument checks in Redis order', () => {
    const { run } = harness();
    run('HSET', 'h', 'a', '1');
    assert.deepEqual(run('HRANDFIELD', 'nope', 'x'), { error: 'ERR value is not an integer or out of range' });
    assert.deepEqual(run('HRANDFIELD', 'h', '-9223372036854775808'), {
      error: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    });
    assert.deepEqual(run('HRANDFIELD', 'h', '1', 'foo'), { error: 'ERR syntax error' });
    assert.deepEqual(run('HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES'), { error: 'ERR value is out of range' });
    assert.deepEqual(run('HRANDFIELD', 'h', '-100000000'), { error: 'ERR value is out of range' });
    assert.deepEqual(run('HRANDFIELD', 'nope', '3'), []);
    assert.equal(run('HRANDFIELD', 'nope'), null);
  });

  test('positive counts give distinct fields, negative counts may repeat', () => {
    const { run, raw, c } = harness();
    for (let i = 0; i < 20; i++) run('HSET', 'h', `f${i}`, `v${i}`);
    const five = run('HRANDFIELD', 'h', '5') as string[];
    assert.equal(new Set(five).size, 5);
    const order = five.map((f) => Number(f.slice(1)));
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'unique samples come in hash order');
    assert.equal((run('HRANDFIELD', 'h', '50') as string[]).length, 20);
    const many = run('HRANDFIELD', 'h', '-200') as string[];
    assert.equal(many.length, 200);
    assert.ok(new Set(many).size < 200);
    const pairs = run('HRANDFIELD', 'h', '-3', 'WITHVALUES') as string[];
    assert.equal(pairs.length, 6);
    for (let i = 0; i < 6; i += 2) assert.equal(pairs[i + 1], 'v' + pairs[i].slice(1));
    c.w.resp = 3;
    assert.match(raw('HRANDFIELD', 'h', '2', 'WITHVALUES'), /^\*2\r\n\*2\r\n\$\d+\r\nf\d+\r\n\$\d+\r\nv\d+\r\n\*2\r\n/);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) seen.add(run('HRANDFIELD', 'h') as string);
    assert.equal(seen.size, 20, 'every field can come up');
  });
});
