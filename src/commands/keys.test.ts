// Unit tests for the generic key commands: run handlers on a Store with a ManualClock and check
// replies, expiry, SCAN coverage, RENAME/COPY bookkeeping, stats and metadata.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { stringCommands } from './strings.js';
import { keyCommands } from './keys.js';
import { TYPE_HASH } from '../store/entry.js';
import { HashValue } from '../store/hash-value.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  const h = commandHarness([...stringCommands, ...keyCommands]);
  /** A hash written straight into the store (the hash commands are not under test here). */
  const hash = (key: string, fields: Record<string, string>, db = 0) => {
    const ks = h.store.dbs[db];
    ks.changed(ks.create(key, TYPE_HASH, HashValue.fromPairs(Object.entries(fields))));
  };
  return { ...h, hash };
}

const OK = { simple: 'OK' };

test('key commands match redis 7.0 arity, flags and key positions', () => {
  assertMatchesRedis(keyCommands);
});

describe('expiry', () => {
  test('EXPIRE/PEXPIRE count from the clock; TTL rounds to the nearest second', () => {
    const { run, clock } = harness();
    run('SET', 'k', 'v');
    assert.equal(run('PEXPIRE', 'k', '1500'), 1);
    assert.equal(run('TTL', 'k'), 2);
    clock.advance(1);
    assert.equal(run('TTL', 'k'), 1);
    assert.equal(run('PTTL', 'k'), 1499);
    clock.advance(1499);
    assert.equal(run('TTL', 'k'), -2);
    assert.equal(run('EXISTS', 'k'), 0);
  });

  test('a time in the past deletes the key and replies 1, signalling WATCH', () => {
    const { run, modified, store } = harness();
    run('SET', 'k', 'v');
    modified.length = 0;
    assert.equal(run('EXPIREAT', 'k', '1'), 1);
    assert.deepEqual(modified, ['0:k']);
    assert.equal(store.dbs[0].size, 0);
    assert.equal(store.stats.expiredKeys, 0, 'an explicit delete, not an expiry');
  });

  test('NX XX GT LT compare with the current expiry (none counts as infinite)', () => {
    const { run, clock } = harness();
    run('SET', 'k', 'v');
    assert.equal(run('EXPIRE', 'k', '10', 'XX'), 0);
    assert.equal(run('EXPIRE', 'k', '10', 'GT'), 0);
    assert.equal(run('EXPIRE', 'k', '10', 'LT'), 1);
    assert.equal(run('EXPIRE', 'k', '20', 'NX'), 0);
    assert.equal(run('EXPIRE', 'k', '20', 'GT'), 1);
    assert.equal(run('PEXPIREAT', 'k', String(clock.now() + 20000), 'LT'), 0, 'equal is not less');
    assert.equal(run('PTTL', 'k'), 20000);
    assert.deepEqual(run('EXPIRE', 'k', '1', 'NX', 'LT'), { error: 'ERR NX and XX, GT or LT options at the same time are not compatible' });
    assert.deepEqual(run('EXPIRE', 'k', '1', 'GT', 'LT'), { error: 'ERR GT and LT options at the same time are not compatible' });
    assert.deepEqual(run('EXPIRE', 'k', '1', 'sometimes'), { error: 'ERR Unsupported option sometimes' });
  });

  test('PERSIST and EXPIRETIME', () => {
    const { run, clock } = harness();
    run('SET', 'k', 'v', 'PX', '2500');
    assert.equal(run('PEXPIRETIME', 'k'), clock.now() + 2500);
    assert.equal(run('EXPIRETIME', 'k'), Math.floor((clock.now() + 3000) / 1000));
    assert.equal(run('PERSIST', 'k'), 1);
    assert.equal(run('PERSIST', 'k'), 0);
    assert.equal(run('EXPIRETIME', 'k'), -1);
    assert.equal(run('PERSIST', 'nope'), 0);
  });

  test('expired keys are never returned: KEYS, SCAN, RANDOMKEY, EXISTS, TYPE, DEL', () => {
    const { run, clock } = harness();
    for (let i = 0; i < 50; i++) run('SET', `k${i}`, 'v', 'PX', '10');
    run('SET', 'live', 'v');
    clock.advance(10);
    assert.deepEqual(run('KEYS', '*'), ['live']);
    assert.deepEqual(run('SCAN', '0', 'COUNT', '1000'), ['0', ['live']]);
    for (let i = 0; i < 20; i++) assert.equal(run('RANDOMKEY'), 'live');
    assert.equal(run('EXISTS', 'k1', 'live'), 1);
    assert.deepEqual(run('TYPE', 'k2'), { simple: 'none' });
    assert.equal(run('DEL', 'k3', 'live'), 1);
    assert.equal(run('RANDOMKEY'), null);
  });
});

describe('SCAN', () => {
  test('a full iteration returns every key that existed throughout, whatever the COUNT', () => {
    const { run } = harness();
    const keys = new Set<string>();
    for (let i = 0; i < 200; i++) {
      run('SET', `key:${i}`, 'v');
      keys.add(`key:${i}`);
    }
    for (const count of ['1', '7', '10', '500']) {
      const seen = new Set<string>();
      let cursor = '0';
      let calls = 0;
      do {
        const [next, batch] = run('SCAN', cursor, 'COUNT', count) as [string, string[]];
        for (const k of batch) seen.add(k);
        cursor = next;
        calls++;
      } while (cursor !== '0' && calls < 1000);
      assert.deepEqual([...seen].sort(), [...keys].sort(), `COUNT ${count}`);
    }
  });

  test('keys deleted and added during an iteration do not hide the others', () => {
    const { run } = harness();
    for (let i = 0; i < 100; i++) run('SET', `k${i}`, 'v');
    const seen = new Set<string>();
    let cursor = '0';
    let step = 0;
    do {
      const [next, batch] = run('SCAN', cursor, 'COUNT', '5') as [string, string[]];
      for (const k of batch) seen.add(k);
      cursor = next;
      run('DEL', `k${step * 3}`);
      run('SET', `new${step}`, 'v');
      step++;
    } while (cursor !== '0');
    for (let i = 0; i < 100; i++) {
      const deleted = i % 3 === 0 && i / 3 < step;
      if (!deleted) assert.ok(seen.has(`k${i}`), `k${i} missing`);
    }
  });

  test('MATCH and TYPE filter; TYPE is case-insensitive, unknown types match nothing', () => {
    const { run, hash } = harness();
    run('MSET', 'user:1', 'a', 'user:2', 'b', 'other', 'c');
    hash('user:h', { f: 'v' });
    const keysOf = (...args: string[]) => ((run('SCAN', '0', 'COUNT', '100', ...args) as [string, string[]])[1]).sort();
    assert.deepEqual(keysOf('MATCH', 'user:*'), ['user:1', 'user:2', 'user:h']);
    assert.deepEqual(keysOf('MATCH', 'user:*', 'TYPE', 'STRING'), ['user:1', 'user:2']);
    assert.deepEqual(keysOf('TYPE', 'hash'), ['user:h']);
    assert.deepEqual(keysOf('TYPE', 'zset'), []);
    assert.deepEqual(run('SCAN', '0', 'COUNT', '0'), { error: 'ERR syntax error' });
    assert.deepEqual(run('SCAN', 'x'), { error: 'ERR invalid cursor' });
  });
});

describe('RENAME and COPY', () => {
  test('RENAME moves the value, TTL and access data, replacing the destination', () => {
    const { run, hash, store, modified, accounted } = harness();
    hash('h', { f: 'v' });
    run('SET', 'dst', 'old');
    run('EXPIRE', 'h', '100');
    const before = store.dbs[0].peek('h')!;
    before.lfu = 42;
    modified.length = 0;
    assert.deepEqual(run('RENAME', 'h', 'dst'), OK);
    assert.deepEqual(modified.sort(), ['0:dst', '0:h']);
    const moved = store.dbs[0].peek('dst')!;
    assert.equal(moved.type, TYPE_HASH);
    assert.equal(moved.lfu, 42);
    assert.equal(run('TTL', 'dst'), 100);
    assert.equal(run('EXISTS', 'h'), 0);
    assert.equal(store.dbs[0].size, 1);
    accounted();
    assert.deepEqual(run('RENAME', 'nope', 'x'), { error: 'ERR no such key' });
    assert.equal(run('RENAMENX', 'dst', 'dst'), 0);
  });

  test('COPY deep-copies hashes, into another database, with the TTL', () => {
    const { run, hash, store, accounted } = harness();
    hash('h', { f: 'v' });
    run('EXPIRE', 'h', '100');
    assert.equal(run('COPY', 'h', 'h', 'DB', '3'), 1);
    (store.dbs[0].peek('h')!.value as HashValue).set('g', 'w');
    store.dbs[0].changed(store.dbs[0].peek('h')!);
    const copy = store.dbs[3].peek('h')!;
    assert.deepEqual([...(copy.value as HashValue).entries()], [['f', 'v']]);
    assert.equal(copy.expireAt, store.dbs[0].peek('h')!.expireAt);
    assert.equal(run('COPY', 'h', 'h', 'DB', '3'), 0);
    assert.equal(run('COPY', 'h', 'h', 'DB', '3', 'REPLACE'), 1);
    assert.deepEqual(run('COPY', 'h', 'h'), { error: 'ERR source and destination objects are the same' });
    assert.deepEqual(run('COPY', 'h', 'x', 'DB', '16'), { error: 'ERR DB index is out of range' });
    accounted();
  });
  test('COPY in cluster mode: database 0 only, after the options are checked (as Redis 7.0.15)', () => {
    const { run } = commandHarness([...stringCommands, ...keyCommands], 16, { slotOf: () => 0 });
    run('SET', 'a', 'v');
    const refused = { error: 'ERR Copying to another database is not allowed in cluster mode' };
    assert.deepEqual(run('COPY', 'a', 'b', 'DB', '1'), refused);
    assert.deepEqual(run('COPY', 'a', 'a', 'DB', '1'), refused);
    assert.deepEqual(run('COPY', 'a', 'b', 'DB', '16'), { error: 'ERR DB index is out of range' });
    assert.deepEqual(run('COPY', 'a', 'b', 'DB', 'x'), { error: 'ERR value is not an integer or out of range' });
    assert.equal(run('COPY', 'a', 'b', 'DB', '0'), 1);
    assert.equal(run('GET', 'b'), 'v');
  });
});

describe('stats and databases', () => {
  test('EXISTS/TYPE/TTL count hits and misses without touching the LRU clock', () => {
    const { run, store, clock } = harness();
    run('SET', 'k', 'v');
    const e = store.dbs[0].peek('k')!;
    const lastAccess = e.lastAccess;
    clock.advance(5000);
    const hits = store.stats.hits;
    const misses = store.stats.misses;
    run('EXISTS', 'k', 'x');
    run('TYPE', 'k');
    run('TTL', 'x');
    assert.equal(store.stats.hits - hits, 2);
    assert.equal(store.stats.misses - misses, 2);
    assert.equal(e.lastAccess, lastAccess);
    run('TOUCH', 'k');
    assert.notEqual(e.lastAccess, lastAccess);
  });

  test('FLUSHDB empties the selected database, FLUSHALL all; DBSIZE counts keys', () => {
    const { run, c } = harness();
    run('MSET', 'a', '1', 'b', '2');
    c.client.db = 1;
    run('SET', 'c', '3');
    assert.equal(run('DBSIZE'), 1);
    assert.deepEqual(run('FLUSHDB', 'ASYNC'), OK);
    assert.equal(run('DBSIZE'), 0);
    c.client.db = 0;
    assert.equal(run('DBSIZE'), 2);
    c.client.db = 2;
    run('SET', 'd', '4');
    assert.deepEqual(run('FLUSHALL'), OK);
    assert.equal(run('DBSIZE'), 0);
    c.client.db = 0;
    assert.equal(run('DBSIZE'), 0);
    assert.deepEqual(run('FLUSHALL', 'now'), { error: 'ERR syntax error' });
  });
});
