// Tests of the DUMP payload codec (dump.ts) on a Store with a ManualClock: CRC64 against a plain
// bit-by-bit reference; a property test that random entries of every type round-trip exactly
// (value, order, type, encoding, TTL, stale time) with accounting intact; damaged payloads
// (truncated, flipped, garbage) refused with the payload error and never a RangeError; payloads
// resealed with a valid checksum but invalid content refused with "Bad data format"; and
// restoreKey's BUSYKEY, REPLACE, past-TTL and replica rules.
//
// The set value lives in commands/sets.ts, which a store test may not import: TestSet stands in
// for it here (the real one is exercised by commands/dump.test.ts).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../util/clock.js';
import { crc64, crc64Into } from '../util/crc64.js';
import { Deque } from './deque.js';
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STRING, TYPE_ZSET, type CollectionValue, type Entry, type ValueType } from './entry.js';
import { HashValue } from './hash-value.js';
import { SortedSet } from './sorted-set.js';
import { Store } from './store.js';
import { DEFAULT_LIMITS, NO_LIMITS, type EncodingLimits } from './encoding-limits.js';
import type { Keyspace } from './keyspace.js';
import {
  BusyKeyError,
  DUMP_VERSION,
  DumpFormatError,
  DumpPayloadError,
  ERR_BAD_DATA_FORMAT,
  ERR_DUMP_PAYLOAD,
  decodeDump,
  dumpKey,
  registerSetType,
  restoreKey,
  type DumpableSet,
} from './dump.js';

const FC = { includeErrorInReport: true, interruptAfterTimeLimit: 20_000 };

/** A stand-in for commands/sets.ts's SetValue: insertion order, the intset rule, numeric order as an intset. */
class TestSet implements DumpableSet {
  items: string[] = [];
  private index = new Set<string>();
  intset = true;
  bytes = 100;
  get size(): number {
    return this.items.length;
  }
  encoding(): string {
    return this.intset ? 'intset' : 'hashtable';
  }
  clone(): TestSet {
    const s = new TestSet();
    for (const m of this.items) s.add(m);
    s.intset = this.intset;
    return s;
  }
  add(m: string, limits: Readonly<EncodingLimits> = DEFAULT_LIMITS): boolean {
    if (this.index.has(m)) return false;
    this.index.add(m);
    this.items.push(m);
    this.bytes += 64 + m.length;
    if (this.items.length > limits.intsetEntries || !/^(0|-?[1-9][0-9]{0,17})$/.test(m)) this.intset = false;
    return true;
  }
  remove(m: string): void {
    if (!this.index.delete(m)) return;
    this.items.splice(this.items.indexOf(m), 1);
    this.bytes -= 64 + m.length;
  }
  members(): readonly string[] {
    return this.intset ? this.items.slice().sort((a, b) => Number(a) - Number(b)) : this.items;
  }
}
registerSetType(() => new TestSet());

function newStore(): { store: Store; clock: ManualClock; db: Keyspace } {
  const clock = new ManualClock();
  const store = new Store({ databases: 2, clock });
  return { store, clock, db: store.dbs[0] };
}

function accounted(store: Store): void {
  let sum = store.stats.usedBytes;
  for (const db of store.dbs) sum += db.recomputeBytes();
  assert.equal(store.usedMemory, sum, 'used memory matches the entries');
}

/** What a key holds, comparable with deepEqual: scores through Object.is (so -0 shows). */
function snapshot(e: Entry): unknown {
  const base = { type: e.type, expireAt: e.expireAt, staleAt: e.staleAt };
  switch (e.type) {
    case TYPE_STRING:
      return { ...base, value: e.value };
    case TYPE_HASH: {
      const h = e.value as HashValue;
      return { ...base, encoding: h.encoding(), pairs: [...h.entries()] };
    }
    case TYPE_LIST:
      return { ...base, encoding: 'quicklist', items: (e.value as Deque).toArray() };
    case TYPE_SET: {
      // An intset's order is numeric whatever the insertion order (that is what is dumped);
      // a hashtable set's is its array's, which random picks index.
      const s = e.value as TestSet;
      return { ...base, encoding: s.encoding(), members: [...s.members()] };
    }
    default: {
      const z = e.value as SortedSet;
      return { ...base, encoding: z.encoding(), items: z.toArray().map((i) => [i.member, Object.is(i.score, -0) ? '-0' : i.score]) };
    }
  }
}

// ---- arbitraries: one key of any type, built through the value types' own APIs ----

const byte = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const bytes = (max: number) => fc.string({ unit: byte, maxLength: max });
/** Short strings mostly; now and then past the small encodings' 64-byte limit. */
const elem = fc.oneof({ weight: 8, arbitrary: bytes(12) }, { weight: 1, arbitrary: bytes(80) });
const intText = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(2 ** 53, -(2 ** 60), 9007199254740993)).map(String);
const score = fc.oneof(
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, Infinity, -Infinity, 1.5, Number.MIN_VALUE, -Number.MAX_VALUE),
  fc.integer({ min: -3, max: 3 }),
);

type Spec =
  | { type: 'string'; value: string }
  | { type: 'hash'; pairs: Array<[string, string]>; drop: number[] }
  | { type: 'list'; items: string[] }
  | { type: 'set'; members: string[]; drop: number[] }
  | { type: 'zset'; items: Array<[string, number]>; drop: number[] };

const drops = fc.array(fc.nat(40), { maxLength: 6 });
const spec: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ type: fc.constant('string' as const), value: fc.oneof(bytes(100), bytes(3000), fc.nat(80_000).map((n) => 'x'.repeat(n))) }),
  fc.record({ type: fc.constant('hash' as const), pairs: fc.array(fc.tuple(elem, elem), { minLength: 1, maxLength: 40 }), drop: drops }),
  fc.record({ type: fc.constant('hash' as const), pairs: fc.array(fc.tuple(bytes(3), bytes(3)), { minLength: 510, maxLength: 520 }), drop: drops }),
  fc.record({ type: fc.constant('list' as const), items: fc.array(elem, { minLength: 1, maxLength: 40 }) }),
  fc.record({ type: fc.constant('set' as const), members: fc.array(fc.oneof(intText, elem), { minLength: 1, maxLength: 40 }), drop: drops }),
  fc.record({ type: fc.constant('set' as const), members: fc.array(intText, { minLength: 1, maxLength: 30 }), drop: drops }),
  fc.record({ type: fc.constant('zset' as const), items: fc.array(fc.tuple(elem, score), { minLength: 1, maxLength: 40 }), drop: drops }),
  fc.record({ type: fc.constant('zset' as const), items: fc.array(fc.tuple(bytes(4), score), { minLength: 125, maxLength: 135 }), drop: drops }),
);

/**
 * Writes a spec under `key`. Deleting some elements afterwards (drop) reaches the large
 * encodings with content that would fit the small ones, which Redis never converts back.
 */
function build(db: Keyspace, key: string, s: Spec): Entry | null {
  if (s.type === 'string') return db.setString(key, s.value, 0);
  let value: HashValue | CollectionValue;
  let type: ValueType;
  if (s.type === 'hash') {
    const h = HashValue.fromPairs(s.pairs);
    for (const i of s.drop) if (i < s.pairs.length && h.size > 1) h.delete(s.pairs[i][0]);
    value = h;
    type = TYPE_HASH;
  } else if (s.type === 'list') {
    value = Deque.from(s.items);
    type = TYPE_LIST;
  } else if (s.type === 'set') {
    const set = new TestSet();
    for (const m of s.members) set.add(m);
    for (const i of s.drop) if (i < s.members.length && set.size > 1) set.remove(s.members[i]);
    value = set;
    type = TYPE_SET;
  } else {
    const z = new SortedSet();
    for (const [m, sc] of s.items) z.set(m, sc);
    for (const i of s.drop) if (i < s.items.length && z.size > 1) z.delete(s.items[i][0]);
    value = z;
    type = TYPE_ZSET;
  }
  const e = db.create(key, type, value);
  db.changed(e);
  return e;
}

/** A payload with `body` (tag and all) and a valid footer. */
function sealed(body: Buffer | number[]): Buffer {
  const b = Buffer.alloc((Buffer.isBuffer(body) ? body.length : body.length) + 10);
  Buffer.from(body as Buffer).copy(b);
  const n = b.length - 10;
  b.writeUInt16LE(DUMP_VERSION, n);
  crc64Into(b, 0, n + 2, b, n + 2);
  return b;
}

/** The bit-by-bit reflected CRC64 (Jones), as a reference. */
function slowCrc64(b: Buffer): bigint {
  const poly = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const x of b) {
    crc ^= BigInt(x);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

describe('crc64', () => {
  test("Redis's check value, and a bit-by-bit reference on random bytes of every length", () => {
    assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(8), (a, skip) => {
        const b = Buffer.from(a);
        const from = Math.min(skip, b.length);
        assert.equal(crc64(b, from, b.length), slowCrc64(b.subarray(from)));
      }),
      FC,
    );
  });
});

describe('round trip', () => {
  test('random entries of every type restore exactly: value, order, type, encoding, TTL, stale time', () => {
    fc.assert(
      fc.property(spec, fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 ** 9 })), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 })), (s, ttl, stale) => {
        const { store, clock, db } = newStore();
        const e = build(db, 'src', s)!;
        const expireAt = ttl === 0 ? 0 : clock.now() + ttl;
        if (expireAt !== 0) db.setExpireAt(e, expireAt);
        if (stale !== 0) db.peek('src')!.staleAt = clock.now() + stale;
        const before = snapshot(db.peek('src')!);
        const payload = dumpKey(db, 'src')!;
        assert.ok(payload !== null);
        // Into another database and over the source itself (REPLACE).
        const copy = restoreKey(store.dbs[1], 'dst', payload, { expireAt, replace: false })!;
        assert.deepEqual(snapshot(copy), before);
        const again = restoreKey(db, 'src', payload, { expireAt, replace: true })!;
        assert.deepEqual(snapshot(again), before);
        assert.deepEqual(snapshot(store.dbs[1].peek('dst')!), before);
        assert.deepEqual(dumpKey(store.dbs[1], 'dst'), payload, 'the copy dumps to the same bytes');
        accounted(store);
      }),
      { ...FC, numRuns: 300 },
    );
  });

  test('strings are framed as tag, bytes, version, checksum', () => {
    const { db } = newStore();
    db.setString('k', 'hello', 0);
    const p = dumpKey(db, 'k')!;
    assert.equal(p.length, 1 + 5 + 10);
    assert.equal(p[0], 0);
    assert.equal(p.toString('latin1', 1, 6), 'hello');
    assert.equal(p.readUInt16LE(6), DUMP_VERSION);
    assert.equal(p.readBigUInt64LE(8), crc64(p, 0, 8));
  });

  test('a missing or logically expired key dumps to null, without side effects', () => {
    const { store, clock, db } = newStore();
    assert.equal(dumpKey(db, 'nope'), null);
    db.setString('k', 'v', clock.now() + 10);
    clock.advance(10);
    assert.equal(dumpKey(db, 'k'), null);
    assert.equal(db.size, 1, 'not reclaimed');
    assert.equal(store.stats.expiredKeys, 0);
    store.ignoreExpiry = true;
    assert.notEqual(dumpKey(db, 'k'), null, 'live while expiry is ignored');
  });
});

describe('damaged payloads', () => {
  const { db } = newStore();
  db.setString('s', 'some value', 0);
  build(db, 'h', { type: 'hash', pairs: [['f', 'v'], ['g', 'w']], drop: [] });
  build(db, 'z', { type: 'zset', items: [['a', 1], ['b', -Infinity]], drop: [] });
  build(db, 'l', { type: 'list', items: ['x', 'y'] });
  const payloads = ['s', 'h', 'z', 'l'].map((k) => dumpKey(db, k)!);

  function refused(p: Buffer, error: typeof DumpPayloadError | typeof DumpFormatError): void {
    assert.throws(() => decodeDump(p), (err: unknown) => err instanceof error, `${p.toString('hex')}`);
  }

  test('every truncation, every single-bit flip, and random garbage: the payload error', () => {
    for (const p of payloads) {
      for (let n = 0; n < p.length; n++) refused(p.subarray(0, n), DumpPayloadError);
      for (let i = 0; i < p.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const b = Buffer.from(p);
          b[i] ^= 1 << bit;
          refused(b, DumpPayloadError);
        }
      }
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (a) => refused(Buffer.from(a), DumpPayloadError)), FC);
    assert.equal(new DumpPayloadError().message, ERR_DUMP_PAYLOAD);
    assert.equal(ERR_DUMP_PAYLOAD, 'ERR DUMP payload version or checksum are wrong');
  });

  test('a valid checksum over content dumpKey cannot produce: Bad data format', () => {
    const long = Array(65).fill(97);
    const f64 = (x: number) => [...Buffer.from(new Float64Array([x]).buffer)];
    const cases: Array<[string, number[]]> = [
      ['unknown tag', [0x09, 1, 1, 0x61]],
      ['unknown tag with stale bit', [0xff]],
      ['stale time cut short', [0x80, 1, 2]],
      ['stale time NaN', [0x80, ...f64(NaN), 0x61]],
      ['stale time 0', [0x80, ...f64(0), 0x61]],
      ['stale time infinite', [0x80, ...f64(Infinity), 0x61]],
      ['empty list', [3, 0]],
      ['count past the bytes', [3, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0x61]],
      ['varint too long', [3, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
      ['varint cut short', [3, 0x81]],
      ['item past the end', [3, 1, 5, 0x61]],
      ['trailing bytes', [3, 1, 1, 0x61, 0]],
      ['listpack hash: duplicate field', [1, 2, 1, 0x61, 0, 1, 0x61, 0]],
      ['listpack hash: 65-byte field', [1, 1, 65, ...long, 0]],
      ['listpack hash: multi-byte length', [1, 1, 0x81, 0x00, 0]],
      ['hashtable hash: duplicate field', [2, 2, 1, 0x61, 0, 1, 0x61, 0]],
      ['hash: odd item', [2, 1, 1, 0x61]],
      ['set: duplicate member', [5, 2, 1, 0x61, 1, 0x61]],
      ['intset with a non-integer', [4, 1, 1, 0x61]],
      ['intset with "01"', [4, 1, 2, 0x30, 0x31]],
      ['zset: NaN score', [6, 1, 1, 0x61, ...f64(NaN)]],
      ['zset: descending scores', [6, 2, 1, 0x61, ...f64(2), 1, 0x62, ...f64(1)]],
      ['zset: same score, members out of order', [6, 2, 1, 0x62, ...f64(1), 1, 0x61, ...f64(1)]],
      ['zset: duplicate member', [7, 2, 1, 0x61, ...f64(1), 1, 0x61, ...f64(2)]],
      ['zset: score cut short', [6, 1, 1, 0x61, 0, 0]],
    ];
    for (const [name, body] of cases) {
      assert.throws(() => decodeDump(sealed(body)), (err: unknown) => err instanceof DumpFormatError && err.message === ERR_BAD_DATA_FORMAT, name);
    }
    // 513 pairs under the packed hash tag: more than the packed form holds.
    const pairs: number[] = [1, 0x81, 0x04];
    for (let i = 0; i < 513; i++) pairs.push(2, 0x30 + (i >> 6), 0x30 + (i & 63), 0);
    assert.throws(() => decodeDump(sealed(pairs)), DumpFormatError);
  });

  test('a small encoding is kept at any size (the sender may have raised its limits)', () => {
    const f64 = (x: number) => [...Buffer.from(new Float64Array([x]).buffer)];
    const zs: number[] = [6, 0x81, 0x01];
    for (let i = 0; i < 129; i++) zs.push(2, 0x30 + (i >> 6), 0x30 + (i & 63), ...f64(0));
    assert.equal((decodeDump(sealed(zs)).value as SortedSet).encoding(), 'listpack');
    const long = Array(65).fill(97);
    assert.equal((decodeDump(sealed([6, 1, 65, ...long, ...f64(1)])).value as SortedSet).encoding(), 'listpack');
    const ints: number[] = [4, 0x81, 0x04];
    for (let i = 0; i < 513; i++) ints.push(String(i).length, ...Buffer.from(String(i)));
    assert.equal((decodeDump(sealed(ints)).value as CollectionValue).encoding(), 'intset');
    // A listpack hash held as a table (a 100-byte value, hash-max-listpack-value raised).
    const { db } = newStore();
    const h = new HashValue();
    h.set('f', 'v'.repeat(100), { ...NO_LIMITS, hashEntries: 512 });
    assert.equal(h.encoding(), 'listpack');
    assert.equal(h.packed, false);
    db.create('w', TYPE_HASH, h);
    const back = decodeDump(dumpKey(db, 'w')!).value as HashValue;
    assert.equal(back.encoding(), 'listpack');
    assert.equal(back.get('f'), 'v'.repeat(100));
  });

  test('random resealed bodies decode or fail with Bad data format, nothing else', () => {
    fc.assert(
      fc.property(fc.nat(8), fc.boolean(), fc.uint8Array({ maxLength: 60 }), (tag, stale, rest) => {
        const p = sealed([stale ? tag | 0x80 : tag, ...rest]);
        try {
          decodeDump(p);
        } catch (err) {
          assert.ok(err instanceof DumpFormatError, String(err));
        }
      }),
      { ...FC, numRuns: 2000 },
    );
  });
});

describe('restoreKey', () => {
  test('BUSYKEY without replace; replace overwrites any type; the keyspace is untouched by a bad payload', () => {
    const { store, db } = newStore();
    db.setString('a', 'one', 0);
    const pa = dumpKey(db, 'a')!;
    build(db, 'l', { type: 'list', items: ['x'] });
    assert.throws(() => restoreKey(db, 'l', pa, { expireAt: 0, replace: false }), BusyKeyError);
    assert.equal(new BusyKeyError().message, 'BUSYKEY Target key name already exists.');
    const dirty = store.dirty;
    assert.throws(() => restoreKey(db, 'l', Buffer.from('nope'), { expireAt: 0, replace: true }), DumpPayloadError);
    assert.equal(store.dirty, dirty);
    assert.equal(db.peek('l')!.type, TYPE_LIST);
    restoreKey(db, 'l', pa, { expireAt: 0, replace: true });
    assert.equal(db.peek('l')!.value, 'one');
    accounted(store);
  });

  test('a TTL already past creates nothing (and deletes under replace), except on a replica or in the stream', () => {
    const { store, clock, db } = newStore();
    db.setString('a', 'one', 0);
    const pa = dumpKey(db, 'a')!;
    const past = clock.now() - 1;
    assert.equal(restoreKey(db, 'new', pa, { expireAt: past, replace: false }), null);
    assert.equal(db.peek('new'), undefined);
    assert.equal(restoreKey(db, 'a', pa, { expireAt: clock.now(), replace: true }), null);
    assert.equal(db.size, 0, 'the old key is deleted');
    store.ignoreExpiry = true;
    assert.notEqual(restoreKey(db, 'x', pa, { expireAt: past, replace: false }), null);
    store.ignoreExpiry = false;
    store.replicaMode = true;
    assert.notEqual(restoreKey(db, 'y', pa, { expireAt: past, replace: false }), null);
    assert.equal(db.size, 2, 'created, logically expired');
    assert.equal(db.peek('y'), undefined);
  });
});
