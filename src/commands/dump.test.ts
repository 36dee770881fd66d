// Unit tests for DUMP and RESTORE: metadata as Redis 7.0's; a property test that keys built by
// random commands of every type (the real SetValue included) restore through DUMP (Redis's
// format) and RESTORE with the same type, contents and their order, and TTL, and restore exactly
// (encoding and CACHE.SET stale time too) from corral's own format (store/dump.ts, what
// replication sends through RESTORE); the replies
// and errors (checked byte for byte against redis-server 7.0.15 while writing them); IDLETIME
// and FREQ by policy; and RESTORE on a replica.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dataCommands } from './index.js';
import { dumpCommands } from './dump.js';
import { dumpKey } from '../store/dump.js';
import type { SetValue } from './sets.js';
import { TYPE_NAMES, type Entry } from '../store/entry.js';
import type { Deque } from '../store/deque.js';
import type { HashValue } from '../store/hash-value.js';
import type { SortedSet } from '../store/sorted-set.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

const FC = { includeErrorInReport: true, interruptAfterTimeLimit: 20_000 };
const OK = { simple: 'OK' };

function harness() {
  return commandHarness(dataCommands, 2);
}

/** DUMP's reply as bytes. */
function dump(h: ReturnType<typeof harness>, key: string): Buffer {
  return Buffer.from(h.run('DUMP', key) as string, 'latin1');
}

/** What a key holds, comparable with deepEqual (scores through Object.is, so -0 shows). */
function snapshot(e: Entry, exact = true): unknown {
  const v = e.value;
  const base = exact ? { type: TYPE_NAMES[e.type], expireAt: e.expireAt, staleAt: e.staleAt } : { type: TYPE_NAMES[e.type], expireAt: e.expireAt };
  if (typeof v === 'string') return { ...base, value: v };
  const encoding = exact ? v.encoding() : undefined;
  switch (TYPE_NAMES[e.type]) {
    case 'hash':
      return { ...base, encoding, pairs: [...(v as HashValue).entries()] };
    case 'list':
      return { ...base, encoding, items: (v as Deque).toArray() };
    case 'set':
      // Order-free unless exact: a hashtable set of integers comes back an intset (numeric order).
      return { ...base, encoding, members: exact ? [...(v as SetValue).members()] : [...(v as SetValue).members()].sort() };
    default:
      return { ...base, encoding, items: (v as SortedSet).toArray().map((i) => [i.member, Object.is(i.score, -0) ? '-0' : i.score]) };
  }
}

describe('command metadata', () => {
  test('DUMP and RESTORE match redis 7.0 arity, flags and key positions', () => {
    assertMatchesRedis(dumpCommands);
  });
});

// Random commands on a few keys of each type, so values grow, shrink and change encoding.
const small = fc.constantFrom('a', 'b', 'c', '1', '2', '-3', '10', '');
const big = fc.integer({ min: 60, max: 70 }).map((n) => 'x'.repeat(n));
const elem = fc.oneof({ weight: 6, arbitrary: small }, { weight: 1, arbitrary: big }, { weight: 2, arbitrary: fc.integer({ min: -600, max: 600 }).map(String) });
const score = fc.constantFrom('1', '-0', '0', 'inf', '-inf', '1.5', '1e300', '-2');
const many = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: 1, maxLength: 8 });
const cmd: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.constant('SET'), fc.constantFrom('s1', 's2'), fc.oneof(small, big)).map((a) => [...a]),
  fc.tuple(fc.constant('HSET'), fc.constantFrom('h1', 'h2'), many(fc.tuple(elem, elem))).map(([c, k, p]) => [c, k, ...p.flat()]),
  fc.tuple(fc.constant('HDEL'), fc.constantFrom('h1', 'h2'), many(elem)).map(([c, k, m]) => [c, k, ...m]),
  fc.tuple(fc.constantFrom('RPUSH', 'LPUSH'), fc.constantFrom('l1'), many(elem)).map(([c, k, m]) => [c, k, ...m]),
  fc.tuple(fc.constant('LPOP'), fc.constantFrom('l1')).map((a) => [...a]),
  fc.tuple(fc.constant('SADD'), fc.constantFrom('t1', 't2'), many(elem)).map(([c, k, m]) => [c, k, ...m]),
  fc.tuple(fc.constant('SREM'), fc.constantFrom('t1', 't2'), many(elem)).map(([c, k, m]) => [c, k, ...m]),
  fc.tuple(fc.constant('ZADD'), fc.constantFrom('z1', 'z2'), many(fc.tuple(score, elem))).map(([c, k, p]) => [c, k, ...p.flat()]),
  fc.tuple(fc.constant('ZREM'), fc.constantFrom('z1', 'z2'), many(elem)).map(([c, k, m]) => [c, k, ...m]),
  fc.tuple(fc.constant('PEXPIRE'), fc.constantFrom('s1', 'h1', 'l1', 't1', 'z1'), fc.integer({ min: 1, max: 100000 }).map(String)).map((a) => [...a]),
  fc.tuple(fc.constant('PERSIST'), fc.constantFrom('s1', 'h1', 'l1', 't1', 'z1')).map((a) => [...a]),
);
const KEYS = ['s1', 's2', 'h1', 'h2', 'l1', 't1', 't2', 'z1', 'z2', 'c1'];

describe('DUMP / RESTORE round trip', () => {
  test('keys built by random commands restore: type, contents, order, TTL (exactly from corral payloads)', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 60 }), fc.boolean(), (cmds, absolute) => {
        const h = harness();
        for (const argv of cmds) h.run(...argv);
        // A CACHE.SET with a grace: a stale time to carry.
        const granted = h.run('CACHE.GET', 'c1', '1000') as unknown[];
        h.run('CACHE.SET', 'c1', 'cached', granted[2] as string, '5000', 'GRACE', '1000');
        const db0 = h.store.dbs[0];
        const db1 = h.store.dbs[1];
        for (const key of KEYS) {
          const e = db0.peek(key);
          if (e === undefined) {
            assert.equal(h.run('DUMP', key), null);
            continue;
          }
          const payload = dump(h, key);
          const ttl = absolute ? String(e.expireAt) : String(e.expireAt === 0 ? 0 : e.expireAt - h.clock.now());
          const opts = absolute ? ['ABSTTL'] : [];
          // Redis's format: the content, its order and the TTL (the encoding is re-derived from
          // the content, as Redis does when it loads; the stale time has no place in it).
          h.c.client.db = 1;
          assert.deepEqual(h.run('RESTORE', key, ttl, payload, ...opts), OK);
          h.c.client.db = 0;
          assert.deepEqual(snapshot(db1.peek(key)!, false), snapshot(e, false), key);
          // Corral's format (replication's): exactly, encoding and stale time included.
          const own = dumpKey(db0, key)!;
          h.c.client.db = 1;
          assert.deepEqual(h.run('RESTORE', key, ttl, own, 'REPLACE', ...opts), OK);
          h.c.client.db = 0;
          assert.deepEqual(snapshot(db1.peek(key)!), snapshot(e), key);
          // Over itself, with REPLACE: unchanged.
          assert.deepEqual(h.run('RESTORE', key, ttl, own, 'REPLACE', ...opts), OK);
          assert.deepEqual(snapshot(db0.peek(key)!), snapshot(db1.peek(key)!), key);
        }
        h.accounted();
      }),
      { ...FC, numRuns: 150 },
    );
  });

  test('a hashtable set of integers reloads as an intset from DUMP (as in Redis), stays a hashtable from corral payloads', () => {
    const h = harness();
    h.run('SADD', 't', 'a', '1', '2');
    h.run('SREM', 't', 'a');
    h.run('RESTORE', 'u', '0', dump(h, 't'));
    assert.equal((h.store.dbs[0].peek('u')!.value as SetValue).encoding(), 'intset');
    assert.deepEqual([...(h.run('SMEMBERS', 'u') as string[])].sort(), ['1', '2']);
    h.run('RESTORE', 'v', '0', dumpKey(h.store.dbs[0], 't')!);
    assert.equal((h.store.dbs[0].peek('v')!.value as SetValue).encoding(), 'hashtable');
    assert.deepEqual([...(h.run('SMEMBERS', 'v') as string[])].sort(), ['1', '2']);
  });
});

describe('replies', () => {
  test('DUMP of a missing key is nil; RESTORE replies OK, BUSYKEY, TTL and payload errors as Redis', () => {
    const h = harness();
    h.run('SET', 'k', 'v');
    const p = dump(h, 'k');
    assert.equal(h.raw('DUMP', 'nope'), '$-1\r\n');
    assert.equal(h.raw('RESTORE', 'k', '0', p), '-BUSYKEY Target key name already exists.\r\n');
    assert.equal(h.raw('RESTORE', 'n', '-1', p), '-ERR Invalid TTL value, must be >= 0\r\n');
    assert.equal(h.raw('RESTORE', 'n', 'x', p), '-ERR value is not an integer or out of range\r\n');
    assert.equal(h.raw('RESTORE', 'n', '0', 'garbage'), '-ERR DUMP payload version or checksum are wrong\r\n');
    assert.equal(h.raw('RESTORE', 'n', '0', p.subarray(0, p.length - 1)), '-ERR DUMP payload version or checksum are wrong\r\n');
    assert.equal(h.raw('RESTORE', 'n', '0', p, 'IDLETIME', '-1'), '-ERR Invalid IDLETIME value, must be >= 0\r\n');
    assert.equal(h.raw('RESTORE', 'n', '0', p, 'FREQ', '256'), '-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n');
    assert.equal(h.raw('RESTORE', 'n', '0', p, 'FREQ', '1', 'IDLETIME', '1'), '-ERR syntax error\r\n');
    assert.equal(h.raw('RESTORE', 'n', '0', p, 'IDLETIME'), '-ERR syntax error\r\n');
    assert.equal(h.raw('RESTORE', 'n', '0', p, 'NOPE'), '-ERR syntax error\r\n');
    assert.equal(h.raw('RESTORE', 'n', '5000', p), '+OK\r\n');
    assert.equal(h.run('PTTL', 'n'), 5000);
    assert.equal(h.raw('RESTORE', 'a', String(h.clock.now() + 7000), p, 'ABSTTL'), '+OK\r\n');
    assert.equal(h.run('PTTL', 'a'), 7000);
    // A TTL already past: OK, and no key (an existing one deleted under REPLACE).
    assert.equal(h.raw('RESTORE', 'past', '1', p, 'ABSTTL'), '+OK\r\n');
    assert.equal(h.run('EXISTS', 'past'), 0);
    assert.equal(h.raw('RESTORE', 'k', '1', p, 'ABSTTL', 'REPLACE'), '+OK\r\n');
    assert.equal(h.run('EXISTS', 'k'), 0);
    // ttl + now past INT64_MAX wraps negative in Redis: already expired.
    assert.equal(h.raw('RESTORE', 'huge', '9223372036854775807', p), '+OK\r\n');
    assert.equal(h.run('EXISTS', 'huge'), 0);
  });

  test('RESTORE signals WATCH and voids a lease on its key', () => {
    const h = harness();
    h.run('SET', 'k', 'v');
    const p = dump(h, 'k');
    const token = (h.run('CACHE.LEASE', 'k', '1000') as string) ?? '';
    h.modified.length = 0;
    h.run('RESTORE', 'k', '0', p, 'REPLACE');
    assert.deepEqual(h.modified, ['0:k']);
    assert.equal(h.run('CACHE.SET', 'k', 'late', token, '1000'), 0, 'the lease was voided');
  });
});

describe('IDLETIME and FREQ', () => {
  test('IDLETIME sets the idle time under an LRU policy; FREQ is then ignored', () => {
    const h = harness();
    h.run('SET', 'k', 'v');
    const p = dump(h, 'k');
    h.run('RESTORE', 'i', '0', p, 'IDLETIME', '100');
    const e = h.store.dbs[0].peek('i')!;
    assert.equal(h.clock.now() - e.lastAccess, 100_000);
    h.run('RESTORE', 'f', '0', p, 'FREQ', '100');
    assert.notEqual(h.store.dbs[0].peek('f')!.lfu, 100);
  });

  test('FREQ sets the LFU counter under an LFU policy; IDLETIME is then ignored', () => {
    const h = harness();
    h.store.evictionPolicy = 'allkeys-lfu';
    h.run('SET', 'k', 'v');
    const p = dump(h, 'k');
    h.run('RESTORE', 'f', '0', p, 'FREQ', '100');
    assert.equal(h.store.dbs[0].peek('f')!.lfu, 100);
    h.clock.advance(5);
    h.run('RESTORE', 'i', '0', p, 'IDLETIME', '100');
    assert.equal(h.store.dbs[0].peek('i')!.lastAccess, h.clock.now());
  });
});

describe('on a replica', () => {
  test('a TTL already past still creates the key while the stream is applied; it reads as missing after', () => {
    const h = harness();
    h.run('SET', 'k', 'v');
    const p = dump(h, 'k');
    h.store.replicaMode = true;
    h.store.ignoreExpiry = true;
    assert.equal(h.raw('RESTORE', 'r', '1', p, 'ABSTTL', 'REPLACE'), '+OK\r\n');
    assert.equal(h.run('EXISTS', 'r'), 1);
    h.store.ignoreExpiry = false;
    assert.equal(h.run('EXISTS', 'r'), 0);
    assert.equal(h.store.dbs[0].size, 2, 'held until the primary deletes it');
  });
});
