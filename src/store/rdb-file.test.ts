// Tests of whole RDB files (rdb-file.ts): what writeRdbFile writes, readRdbFile reads back (keys of
// each type in their databases, expiry times, aux fields, function records, RESIZEDB counts), an
// empty dataset is Redis's empty file, the CRC64 is checked, and the data and functions filters.
// The system test (test/system/sync-stream.test.ts) has redis-check-rdb and redis-server read
// the files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../util/clock.js';
import { Deque } from './deque.js';
import { TYPE_HASH, TYPE_LIST, TYPE_STRING, TYPE_ZSET, type CollectionValue, type ValueType } from './entry.js';
import { HashValue } from './hash-value.js';
import { SortedSet } from './sorted-set.js';
import { Store } from './store.js';
import type { Keyspace } from './keyspace.js';
import { rdbDumpFunctions } from './rdb-write.js';
import { readRdbFile, writeRdbFile, type RdbFileOptions } from './rdb-file.js';

function put(db: Keyspace, key: string, type: ValueType, value: HashValue | CollectionValue): void {
  db.changed(db.create(key, type, value));
}

function options(extra: Partial<RdbFileOptions> = {}): RdbFileOptions {
  return { aux: [['redis-ver', '7.0.15'], ['redis-bits', 64], ['repl-id', 'x'.repeat(40)], ['repl-offset', 1234]], functions: null, data: true, access: null, ...extra };
}

test('rdb file: every key of every database, with its expiry, reads back', () => {
  const clock = new ManualClock();
  const store = new Store({ databases: 4, clock });
  const db0 = store.dbs[0];
  db0.setString('s', 'hello', 0);
  db0.setString('n', '12345', 0);
  db0.setString('long', 'x'.repeat(500), clock.now() + 60_000);
  const h = new HashValue();
  h.set('f', 'v');
  h.set('g', '7');
  put(db0, 'h', TYPE_HASH, h);
  const l = new Deque();
  for (const s of ['a', 'b', '3']) l.pushBack(s);
  put(store.dbs[2], 'l', TYPE_LIST, l);
  const z = new SortedSet();
  z.set('m', 1.5);
  z.set('n', -2);
  put(store.dbs[2], 'z', TYPE_ZSET, z);

  const code = Buffer.from("#!lua name=lib\nredis.register_function('f', function() return 1 end)");
  const file = writeRdbFile(store.dbs, options({ functions: rdbDumpFunctions([code]) }));
  assert.equal(file.subarray(0, 9).toString(), 'REDIS0010');
  const back = readRdbFile(file);
  assert.equal(back.version, 10);
  assert.equal(back.aux.get('redis-ver'), '7.0.15');
  assert.equal(back.aux.get('repl-offset'), '1234');
  assert.deepEqual(back.functions, [code]);
  assert.deepEqual([...back.sizes], [[0, [4, 1]], [2, [2, 0]]]);
  const byKey = new Map(back.keys.map((k) => [`${k.db}:${k.key}`, k]));
  assert.equal(byKey.size, 6);
  assert.equal(byKey.get('0:s')!.value.value, 'hello');
  assert.equal(byKey.get('0:n')!.value.value, '12345');
  assert.equal(byKey.get('0:long')!.value.value, 'x'.repeat(500));
  assert.equal(byKey.get('0:long')!.expireAt, clock.now() + 60_000);
  assert.equal(byKey.get('0:s')!.expireAt, 0);
  assert.equal(byKey.get('0:s')!.value.type, TYPE_STRING);
  assert.deepEqual([...(byKey.get('0:h')!.value.value as HashValue).entries()], [['f', 'v'], ['g', '7']]);
  const lb = byKey.get('2:l')!.value.value as Deque;
  assert.deepEqual(Array.from({ length: lb.length }, (_, i) => lb.get(i)), ['a', 'b', '3']);
  assert.deepEqual((byKey.get('2:z')!.value.value as SortedSet).toArray().map((it) => [it.member, it.score]), [['n', -2], ['m', 1.5]]);
});

test('rdb file: an empty dataset, the filters, and a damaged file', () => {
  const store = new Store({ databases: 2, clock: new ManualClock() });
  const empty = writeRdbFile(store.dbs, options({ aux: [] }));
  // "REDIS0010", EOF, CRC64: what redis-server writes for nothing at all (less its aux fields).
  assert.equal(empty.length, 9 + 1 + 8);
  assert.equal(readRdbFile(empty).keys.length, 0);

  store.dbs[0].setString('k', 'v', 0);
  const fns = rdbDumpFunctions([Buffer.from('#!lua name=a\n')]);
  const onlyFunctions = readRdbFile(writeRdbFile(store.dbs, options({ functions: fns, data: false })));
  assert.equal(onlyFunctions.keys.length, 0);
  assert.equal(onlyFunctions.functions.length, 1);

  const full = writeRdbFile(store.dbs, options());
  const bad = Buffer.from(full);
  bad[bad.length - 12] ^= 1;
  assert.throws(() => readRdbFile(bad), /checksum/);
  assert.throws(() => readRdbFile(Buffer.from('REDIS0011xxxxxxxxxxxxxxxx')), /version/);
});

test('rdb file: lru and lfu policies write each key\'s idle time or counter, which the reader skips', () => {
  const clock = new ManualClock();
  const store = new Store({ databases: 1, clock });
  store.dbs[0].setString('k', 'v', 0);
  const plain = writeRdbFile(store.dbs, options({ aux: [] }));
  const lru = writeRdbFile(store.dbs, options({ aux: [], access: 'lru' }));
  const lfu = writeRdbFile(store.dbs, options({ aux: [], access: 'lfu' }));
  assert.equal(lru.length, plain.length + 2);
  assert.equal(lfu.length, plain.length + 2);
  for (const f of [lru, lfu]) assert.equal(readRdbFile(f).keys[0].value.value, 'v');
});
