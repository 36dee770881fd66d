// Property tests of HashValue against a Map model: contents, insertion order, the encoding Redis
// 7.0 would report (listpack until a 513th field or an item over 64 bytes, never back), the byte
// estimate, clone, and the packed form's writeTo/fromBytes round trip; the encoding under other
// limits (CONFIG's hash-max-listpack-*), including limits past what the packed form holds.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HashValue, type BulkSink, LISTPACK_ENTRIES, LISTPACK_VALUE, PACKED_OVERHEAD, TABLE_FIELD_OVERHEAD, TABLE_FIELDS, TABLE_OVERHEAD } from './hash-value.js';
import { DEFAULT_LIMITS, type EncodingLimits } from './encoding-limits.js';

/** A latin1 (binary) string of 0..max bytes. */
const bytes = (max: number) => fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: max }).map((a) => String.fromCharCode(...a));
/** Fields drawn from a small set (so that updates and deletes hit), or arbitrary. */
const field = fc.oneof(fc.constantFrom('a', 'b', 'c', '', 'f\x00', '\xff\xfe', 'x'.repeat(64)), bytes(8), bytes(70));
const value = fc.oneof(fc.constantFrom('', '1', 'v'.repeat(64), 'w'.repeat(65)), bytes(12), bytes(70));

type Op =
  | { op: 'set'; f: string; v: string }
  | { op: 'del'; f: string }
  | { op: 'bulk'; from: number; n: number; v: string }
  | { op: 'clone' }
  | { op: 'reload' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ op: fc.constant('set' as const), f: field, v: value }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('del' as const), f: field }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bulk' as const), from: fc.nat(400), n: fc.integer({ min: 1, max: 300 }), v: bytes(10) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clone' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reload' as const }) },
);

/** The model: a Map (its insertion order is a listpack's) and whether Redis would have converted. */
class Model {
  map = new Map<string, string>();
  table = false;
  set(f: string, v: string): boolean {
    const isNew = !this.map.has(f);
    this.map.set(f, v);
    if (f.length > LISTPACK_VALUE || v.length > LISTPACK_VALUE || this.map.size > LISTPACK_ENTRIES) this.table = true;
    return isNew;
  }
}

/** Collects what replyValue and replyPairs write. */
class Sink implements BulkSink {
  out: string[] = [];
  bulk(s: string): void {
    this.out.push(s);
  }
  bulkBytes(buf: Buffer, start: number, end: number): void {
    this.out.push(buf.toString('latin1', start, end));
  }
}

function check(h: HashValue, m: Model, probe: string[]): void {
  assert.equal(h.size, m.map.size);
  assert.deepEqual([...h.entries()], [...m.map.entries()], 'same pairs in insertion order');
  const viaForEach: Array<[string, string]> = [];
  h.forEach((f, v) => viaForEach.push([f, v]));
  assert.deepEqual(viaForEach, [...m.map.entries()]);
  for (const part of [0, 1, 2] as const) {
    const sink = new Sink();
    h.replyPairs(sink, part);
    assert.deepEqual(sink.out, [...m.map].flatMap(([f, v]) => (part === 0 ? [f] : part === 1 ? [v] : [f, v])));
  }
  for (const f of probe) {
    assert.equal(h.get(f), m.map.get(f));
    assert.equal(h.has(f), m.map.has(f));
    assert.equal(h.strlen(f), m.map.get(f)?.length ?? 0);
    const sink = new Sink();
    assert.equal(h.replyValue(f, sink), m.map.has(f));
    assert.deepEqual(sink.out, m.map.has(f) ? [m.map.get(f)] : []);
  }
  assert.equal(h.encoding(), m.table ? 'hashtable' : 'listpack');
  if (m.table) {
    let n = TABLE_OVERHEAD;
    for (const [f, v] of m.map) n += TABLE_FIELD_OVERHEAD + f.length + v.length;
    assert.equal(h.bytes, n);
  } else {
    const used = h.packedLength;
    let expected = 0;
    for (const [f, v] of m.map) expected += 2 + f.length + v.length;
    assert.equal(used, expected, 'one length byte per item');
    const capacity = h.bytes - PACKED_OVERHEAD;
    assert.ok(capacity >= used && capacity <= Math.max(16, 2 * used), `capacity ${capacity} for ${used} bytes`);
    if (used === 0) assert.equal(capacity, 0, 'an empty packed hash holds no buffer');
  }
}

describe('HashValue against a Map model', () => {
  test('random edits keep contents, order, encoding and bytes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        let h = new HashValue();
        const m = new Model();
        const probe = ['a', 'b', 'zz'];
        for (const o of ops) {
          if (o.op === 'set') {
            assert.equal(h.set(o.f, o.v), m.set(o.f, o.v));
            probe.push(o.f);
          } else if (o.op === 'del') {
            assert.equal(h.delete(o.f), m.map.delete(o.f));
            probe.push(o.f);
          } else if (o.op === 'bulk') {
            for (let i = o.from; i < o.from + o.n; i++) assert.equal(h.set(`k${i}`, o.v), m.set(`k${i}`, o.v));
          } else if (o.op === 'clone') {
            const copy = h.clone();
            check(copy, m, probe);
            copy.set('only-in-copy', 'x');
            assert.equal(h.has('only-in-copy'), m.map.has('only-in-copy'), 'a clone is independent');
            h = copy;
            m.set('only-in-copy', 'x');
          } else if (h.encoding() === 'listpack') {
            // reload: the packed form read back as a view over a scratch buffer.
            const scratch = Buffer.alloc(h.packedLength + 8, 0xee);
            assert.equal(h.writeTo(scratch, 4), 4 + h.packedLength);
            const before = Buffer.from(scratch);
            h = HashValue.fromBytes(scratch, 4, 4 + h.packedLength);
            check(h, m, probe);
            h.set('after-reload', 'y');
            m.set('after-reload', 'y');
            assert.deepEqual(scratch, before, 'fromBytes is copy-on-write: the source is never written');
          }
          check(h, m, probe);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('many hashes edited in turn stay apart (they share arena chunks)', () => {
    const edit = fc.tuple(fc.nat(19), fc.boolean(), fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), bytes(40));
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 400 }), (edits) => {
        const hashes = Array.from({ length: 20 }, () => new HashValue());
        const models = hashes.map(() => new Model());
        for (const [i, isSet, f, v] of edits) {
          if (isSet) assert.equal(hashes[i].set(f, v), models[i].set(f, v));
          else assert.equal(hashes[i].delete(f), models[i].map.delete(f));
        }
        hashes.forEach((h, i) => check(h, models[i], []));
      }),
      { numRuns: 200 },
    );
  });

  test('conversion thresholds: 512 fields and 64-byte items stay packed, one more converts for good', () => {
    const h = new HashValue();
    for (let i = 0; i < LISTPACK_ENTRIES - 1; i++) h.set(`f${i}`, 'v');
    h.set('f0', 'v'.repeat(64));
    h.set('x'.repeat(64), 'v');
    assert.equal(h.size, LISTPACK_ENTRIES);
    assert.equal(h.encoding(), 'listpack');
    h.set('one-more', 'v');
    assert.equal(h.encoding(), 'hashtable');
    h.delete('one-more');
    h.delete('f1');
    assert.equal(h.encoding(), 'hashtable', 'never converts back');
    const long = HashValue.fromPairs([['f', 'v'.repeat(65)]]);
    assert.equal(long.encoding(), 'hashtable');
    const longField = HashValue.fromPairs([['f'.repeat(65), '']]);
    assert.equal(longField.encoding(), 'hashtable');
    assert.throws(() => long.packedLength, RangeError);
  });

  test('under other limits: Redis\'s encoding, the packed form only within its own bounds', () => {
    const limitsArb = fc.record({
      hashEntries: fc.constantFrom(0, 1, 2, 5, 512, 600, 1e9),
      hashValue: fc.constantFrom(0, 3, 8, 64, 100, 1e9),
    });
    const edit = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(fc.constant('set' as const), field, value) },
      { weight: 3, arbitrary: fc.tuple(fc.constant('del' as const), field, fc.constant('')) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('bulk' as const), fc.constant(''), fc.constant('')) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('clone' as const), fc.constant(''), fc.constant('')) },
    );
    fc.assert(
      fc.property(limitsArb, fc.array(edit, { maxLength: 40 }), (l, edits) => {
        const limits: EncodingLimits = { ...DEFAULT_LIMITS, ...l };
        let h = new HashValue();
        const map = new Map<string, string>();
        let table = false;
        const set = (f: string, v: string): void => {
          assert.equal(h.set(f, v, limits), !map.has(f));
          map.set(f, v);
          // hashTypeSet: the lengths before, the count after (an update included).
          if (f.length > limits.hashValue || v.length > limits.hashValue || map.size > limits.hashEntries) table = true;
        };
        for (const [op, f, v] of edits) {
          if (op === 'set') set(f, v);
          else if (op === 'del') assert.equal(h.delete(f), map.delete(f));
          else if (op === 'bulk') for (let i = 0; i < 550; i++) set(`b${i}`, 'v');
          else h = h.clone();
          assert.equal(h.encoding(), table ? 'hashtable' : 'listpack');
          assert.deepEqual([...h.entries()], [...map.entries()]);
          if (h.packed) {
            assert.ok(map.size <= LISTPACK_ENTRIES, 'the packed form holds at most 512 pairs');
            for (const [k, w] of map) assert.ok(k.length <= LISTPACK_VALUE && w.length <= LISTPACK_VALUE);
            assert.ok(!table);
          } else {
            let n = TABLE_OVERHEAD;
            for (const [k, w] of map) n += TABLE_FIELD_OVERHEAD + k.length + w.length;
            assert.equal(h.bytes, n);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('limits raised past the packed form: a table that still reports listpack', () => {
    const wide = { ...DEFAULT_LIMITS, hashEntries: 1000, hashValue: 1000 };
    const h = new HashValue();
    h.set('f', 'v'.repeat(100), wide);
    assert.equal(h.packed, false);
    assert.equal(h.encoding(), 'listpack');
    h.set('g', '1', DEFAULT_LIMITS);
    assert.equal(h.encoding(), 'listpack', 'only the items stored are checked (hashTypeSet)');
    assert.equal(h.clone().encoding(), 'listpack');
    h.set('g', 'x'.repeat(65), DEFAULT_LIMITS);
    assert.equal(h.encoding(), 'hashtable');
    const many = new HashValue();
    for (let i = 0; i < 600; i++) many.set(`f${i}`, 'v', wide);
    assert.equal(many.encoding(), 'listpack');
    many.set('f0', 'w', { ...wide, hashEntries: 599 });
    assert.equal(many.encoding(), 'hashtable', 'an update converts too when the count is past the limit');
  });

  test('randomField picks every field', () => {
    for (const n of [1, 5, 200]) {
      const h = new HashValue();
      for (let i = 0; i < n; i++) h.set(`f${i}`, String(i));
      const seen = new Set<string>();
      for (let i = 0; i < n * 40; i++) seen.add(h.randomField());
      assert.equal(seen.size, n, `${n} fields (${h.encoding()})`);
    }
  });
});

describe('past TABLE_FIELDS fields: the pairs off the heap (field-table.ts)', () => {
  const sortedPairs = (pairs: Iterable<[string, string]>): Array<[string, string]> => [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

  test('the same contents, lookups, replies and clone as the Map it leaves', () => {
    const h = new HashValue();
    const m = new Map<string, string>();
    let bytesAtMove = 0;
    for (let i = 0; i < TABLE_FIELDS + 3000; i++) {
      const f = i % 97 === 0 ? `bin\x00\xff${i}` : `field:${i}`;
      const v = i % 50 === 0 ? 'L'.repeat(20_000) : `value-${i}`;
      assert.equal(h.set(f, v), true);
      m.set(f, v);
      if (i === TABLE_FIELDS) bytesAtMove = h.bytes;
    }
    assert.ok(h.bytes > bytesAtMove, 'bytes grow with the table');
    for (let i = 0; i < TABLE_FIELDS + 3000; i += 7) {
      assert.equal(h.set(`field:${i}`, `again-${i}`), m.has(`field:${i}`) ? false : true);
      m.set(`field:${i}`, `again-${i}`);
      if (i % 3 === 0) assert.equal(h.delete(`field:${i}`), m.delete(`field:${i}`));
    }
    assert.equal(h.delete('absent'), false);
    assert.equal(h.encoding(), 'hashtable');
    assert.equal(h.packed, false);
    assert.equal(h.size, m.size);
    assert.deepEqual(sortedPairs(h.entries()), sortedPairs(m));
    const viaForEach: Array<[string, string]> = [];
    h.forEach((f, v) => viaForEach.push([f, v]));
    assert.deepEqual(sortedPairs(viaForEach), sortedPairs(m));
    const sink = new Sink();
    h.replyPairs(sink, 2);
    const replied: Array<[string, string]> = [];
    for (let i = 0; i < sink.out.length; i += 2) replied.push([sink.out[i], sink.out[i + 1]]);
    assert.deepEqual(sortedPairs(replied), sortedPairs(m));
    for (const f of ['field:1', 'field:7', 'field:21', `bin\x00\xff97`, 'field:50', 'absent']) {
      assert.equal(h.get(f), m.get(f));
      assert.equal(h.has(f), m.has(f));
      assert.equal(h.strlen(f), m.get(f)?.length ?? 0);
      const one = new Sink();
      assert.equal(h.replyValue(f, one), m.has(f));
      assert.deepEqual(one.out, m.has(f) ? [m.get(f)] : []);
    }
    const copy = h.clone();
    copy.set('only-in-copy', 'x');
    assert.equal(h.has('only-in-copy'), false);
    assert.equal(copy.size, h.size + 1);
    assert.throws(() => h.packedLength, RangeError);
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const f = h.randomField();
      assert.ok(m.has(f), f);
      seen.add(f);
    }
    assert.ok(seen.size > 90, 'random fields are spread');
  });

  test('the encoding Redis would report: a table under raised limits still says listpack until past them', () => {
    const wide = { ...DEFAULT_LIMITS, hashEntries: TABLE_FIELDS + 100, hashValue: 1000 };
    const h = new HashValue();
    for (let i = 0; i < TABLE_FIELDS + 100; i++) h.set(`f${i}`, 'v', wide);
    assert.equal(h.encoding(), 'listpack');
    assert.equal(h.clone().encoding(), 'listpack');
    h.set('f0', 'w'.repeat(999), wide);
    assert.equal(h.encoding(), 'listpack');
    h.set('one-more', 'v', wide);
    assert.equal(h.encoding(), 'hashtable');
  });
});

describe('packed form', () => {
  test('format: varint length + bytes, field then value, in insertion order', () => {
    const h = HashValue.fromPairs([['ab', 'xyz'], ['', '\x00\xff']]);
    const out = Buffer.alloc(h.packedLength);
    h.writeTo(out, 0);
    assert.deepEqual([...out], [2, 97, 98, 3, 120, 121, 122, 0, 2, 0, 255]);
  });

  test('fromBytes: multi-byte lengths and more than 512 pairs become a hashtable of copies', () => {
    const long = 'L'.repeat(200);
    const buf = Buffer.concat([Buffer.from([1, 0x66, 0xc8, 0x01]), Buffer.from(long, 'latin1'), Buffer.from([0, 0])]);
    const h = HashValue.fromBytes(buf, 0, buf.length);
    assert.equal(h.encoding(), 'hashtable');
    buf.fill(0);
    assert.deepEqual([...h.entries()], [['f', long], ['', '']]);
    const parts: number[] = [];
    for (let i = 0; i <= LISTPACK_ENTRIES; i++) parts.push(2, i >> 8, i & 255, 0); // 513 two-byte fields, empty values
    const many = HashValue.fromBytes(Buffer.from(parts), 0, parts.length);
    assert.equal(many.encoding(), 'hashtable');
    assert.equal(many.size, LISTPACK_ENTRIES + 1);
    const most = HashValue.fromBytes(Buffer.from(parts), 0, parts.length - 4);
    assert.equal(most.encoding(), 'listpack');
    assert.equal(most.size, LISTPACK_ENTRIES);
  });

  test('fromBytes refuses a truncated pair', () => {
    const h = HashValue.fromPairs([['field', 'value'], ['g', 'w']]);
    const out = Buffer.alloc(h.packedLength);
    h.writeTo(out, 0);
    for (let end = 1; end < out.length; end++) {
      if (end === 12) continue; // a pair boundary: the first pair alone is valid
      assert.throws(() => HashValue.fromBytes(out, 0, end), RangeError, `end ${end}`);
    }
    assert.equal(HashValue.fromBytes(out, 0, 12).size, 1);
    assert.equal(HashValue.fromBytes(out, 0, 0).size, 0);
  });
});
