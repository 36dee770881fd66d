// Unit tests for the bitmap commands (bitmaps.ts, bitfield.ts) and Keyspace.openStringBytes /
// stringBytesEdited: replies against brute-force oracles, in-place edits and amortised growth in
// the key table, TTLs, WATCH signals and dirty counts as Redis 7.0.15 moves them, memory
// accounting, the offset limits, and metadata. Byte-for-byte checks against a real redis-server
// are in test/system/compat-bitmaps.test.ts.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bitmapCommands } from './bitmaps.js';
import { stringCommands } from './strings.js';
import { keyCommands } from './keys.js';
import { hashCommands } from './hashes.js';
import { Command, flagNames } from './table.js';
import { REDIS_COMMAND_META } from './redis-meta.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  return commandHarness([...bitmapCommands, ...stringCommands, ...keyCommands, ...hashCommands]);
}

const WRONGTYPE = { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const BAD_OFFSET = { error: 'ERR bit offset is not an integer or out of range' };

/** The key's value bytes, read from the key table. */
function valueOf(h: ReturnType<typeof harness>, key: string): Buffer {
  const db = h.store.dbs[0];
  const id = db.table.findString(key);
  assert.ok(id >= 0, `${key} exists`);
  db.table.view(id);
  return Buffer.from(db.table.vbuf.subarray(db.table.vstart, db.table.vend));
}

/** A BITFIELD's replies, exact: the raw reply's integers as bigints, nulls as null. */
function fields(h: ReturnType<typeof harness>, ...argv: Array<string | Buffer>): Array<bigint | null> {
  const raw = h.raw('BITFIELD', ...argv);
  assert.ok(raw.startsWith('*'), raw);
  return raw
    .split('\r\n')
    .slice(1, -1)
    .map((l) => (l === '$-1' || l === '_' ? null : BigInt(l.slice(1))));
}

function bitOf(b: Buffer, i: number): number {
  return i >> 3 < b.length ? (b[i >> 3] >> (7 - (i & 7))) & 1 : 0;
}

describe('command metadata', () => {
  test('arity, flags and key positions are Redis 7.0.15 COMMAND INFO', () => {
    // As redis-server 7.0.15 replies (compat-bitmaps checks them against a live server too).
    const want: Record<string, [number, string[], number, number, number]> = {
      setbit: [4, ['write', 'denyoom'], 1, 1, 1],
      getbit: [3, ['readonly', 'fast'], 1, 1, 1],
      bitcount: [-2, ['readonly'], 1, 1, 1],
      bitpos: [-3, ['readonly'], 1, 1, 1],
      bitop: [-4, ['write', 'denyoom'], 2, -1, 1],
      bitfield: [-2, ['write', 'denyoom'], 1, 1, 1],
      bitfield_ro: [-2, ['readonly', 'fast'], 1, 1, 1],
    };
    assert.deepEqual(bitmapCommands.map((d) => d.name).sort(), Object.keys(want).sort());
    for (const def of bitmapCommands) {
      const cmd = new Command(def);
      const [arity, flags, first, last, step] = want[def.name];
      assert.deepEqual([cmd.arity, flagNames(cmd.flags).sort(), cmd.firstKey, cmd.lastKey, cmd.keyStep], [arity, flags.sort(), first, last, step], def.name);
      assert.equal(cmd.stateFromArgc, 0, `${def.name} replicates verbatim`);
    }
    // Once the generated metadata covers them, it must agree too.
    const covered = bitmapCommands.filter((d) => REDIS_COMMAND_META[d.name] !== undefined);
    assertMatchesRedis(covered);
  });
});

describe('SETBIT and GETBIT', () => {
  test('set, clear, grow with zero bytes, keep the TTL', () => {
    const h = harness();
    assert.equal(h.run('SETBIT', 'k', '7', '1'), 0);
    assert.deepEqual(valueOf(h, 'k'), Buffer.from([1]));
    assert.equal(h.run('SETBIT', 'k', '7', '0'), 1);
    assert.equal(h.run('SETBIT', 'k', '0', '1'), 0);
    assert.equal(h.run('GETBIT', 'k', '0'), 1);
    assert.equal(h.run('GETBIT', 'k', '1'), 0);
    assert.equal(h.run('GETBIT', 'k', '999'), 0);
    h.run('EXPIRE', 'k', '100');
    assert.equal(h.run('SETBIT', 'k', '30', '1'), 0);
    assert.deepEqual(valueOf(h, 'k'), Buffer.from([0x80, 0, 0, 2]));
    assert.equal(h.run('TTL', 'k'), 100);
    // Past the slab's chunks, with a TTL.
    assert.equal(h.run('SETBIT', 'k', '200000', '1'), 0);
    assert.equal(h.run('STRLEN', 'k'), 25001);
    assert.equal(h.run('TTL', 'k'), 100);
    assert.equal(h.run('BITCOUNT', 'k'), 3);
    assert.equal(h.run('GETBIT', 'k', '200000'), 1);
    h.accounted();
  });

  test('errors: offset, bit value, wrong type, in Redis order', () => {
    const h = harness();
    h.run('HSET', 'h', 'f', 'v');
    assert.deepEqual(h.run('SETBIT', 'k', '-1', '1'), BAD_OFFSET);
    assert.deepEqual(h.run('SETBIT', 'k', '4294967296', '1'), BAD_OFFSET);
    assert.deepEqual(h.run('SETBIT', 'k', '#1', '1'), BAD_OFFSET);
    assert.deepEqual(h.run('SETBIT', 'h', 'x', '2'), BAD_OFFSET);
    assert.deepEqual(h.run('SETBIT', 'h', '0', '2'), { error: 'ERR bit is not an integer or out of range' });
    assert.deepEqual(h.run('SETBIT', 'k', '0', '-1'), { error: 'ERR bit is not an integer or out of range' });
    assert.deepEqual(h.run('SETBIT', 'h', '0', '1'), WRONGTYPE);
    assert.deepEqual(h.run('GETBIT', 'h', 'x'), BAD_OFFSET);
    assert.deepEqual(h.run('GETBIT', 'h', '0'), WRONGTYPE);
    assert.equal(h.run('GETBIT', 'nokey', '4294967295'), 0);
    assert.equal(h.run('EXISTS', 'k'), 0);
  });

  test('an expired key reads as missing and is recreated', () => {
    const h = harness();
    h.run('SET', 'k', '\xff', 'PX', '10');
    h.clock.advance(10);
    assert.equal(h.run('GETBIT', 'k', '0'), 0);
    h.run('SET', 'k', '\xff', 'PX', '10');
    h.clock.advance(10);
    assert.equal(h.run('SETBIT', 'k', '9', '1'), 0);
    assert.deepEqual(valueOf(h, 'k'), Buffer.from([0, 0x40]));
    assert.equal(h.run('TTL', 'k'), -1);
  });

  test('a write without growth edits the byte in place: no new chunk, no copy', () => {
    const h = harness();
    const db = h.store.dbs[0];
    h.run('SETBIT', 'big', '1000000', '1');
    const id = db.table.findString('big');
    const loc = db.table.loc[id];
    const live = db.table.slab.liveBytes;
    for (let i = 0; i < 1000; i++) h.run('SETBIT', 'big', String(i * 997), String(i & 1));
    assert.equal(db.table.loc[id], loc);
    assert.equal(db.table.slab.liveBytes, live);
  });

  test('growth bit by bit is amortised: few moves past the slab, bounded slack', () => {
    const h = harness();
    const db = h.store.dbs[0];
    let moves = 0;
    let bigMoves = 0;
    let loc = -1;
    for (let byte = 0; byte < 300000; byte += 7) {
      h.run('SETBIT', 'g', String(byte * 8 + 7), '1');
      const now = db.table.loc[db.table.findString('g')];
      if (now !== loc) {
        moves++;
        if (byte > 16384) bigMoves++;
      }
      loc = now;
    }
    // In the slab, a move each time the size class changes (classes step by 4 to 256 bytes);
    // past 16 KB the value's own buffer grows by half again each time: 16 KB to 300 KB, ~8 moves.
    assert.ok(moves < 400, `moved ${moves} times`);
    assert.ok(bigMoves <= 10, `moved ${bigMoves} times past the slab`);
    const len = h.run('STRLEN', 'g') as number;
    assert.equal(len, 299999 + 1);
    const held = db.table.slab.sizeOf(loc);
    assert.ok(held >= len && held <= len * 1.5 + 64, `holds ${held} bytes for ${len}`);
    assert.equal(h.run('BITCOUNT', 'g'), Math.ceil(300000 / 7));
    h.accounted();
    // A later SET of the key drops the slack.
    h.run('SET', 'g', 'x');
    h.accounted();
  });

  test('growth keeps accounting exact with allkeys-tinylfu tracking the key', () => {
    const h = harness();
    h.store.evictionPolicy = 'allkeys-tinylfu';
    h.store.maxmemory = 1 << 30;
    for (let i = 0; i < 50; i++) h.run('SETBIT', 'k', String(i * 4001), '1');
    h.run('BITFIELD', 'k', 'SET', 'u8', '900000', '7');
    h.accounted();
  });

  test('WATCH signals and dirty move as Redis 7.0.15: on a change or a growth only', () => {
    const h = harness();
    const dirty = () => h.store.dirty;
    h.run('SET', 'k', 'a'); // 0x61
    h.modified.length = 0;
    let d = dirty();
    assert.equal(h.run('SETBIT', 'k', '1', '1'), 1, 'already set');
    assert.equal(h.run('SETBIT', 'k', '0', '0'), 0, 'already clear');
    assert.deepEqual(h.modified, []);
    assert.equal(dirty(), d);
    h.run('SETBIT', 'k', '0', '1');
    assert.deepEqual(h.modified, ['0:k']);
    assert.ok(dirty() > d);
    h.modified.length = 0;
    d = dirty();
    h.run('SETBIT', 'k', '20', '0');
    assert.deepEqual(h.modified, ['0:k'], 'a growth alone is a change for SETBIT');
    assert.ok(dirty() > d);
    h.modified.length = 0;
    h.run('SETBIT', 'n', '3', '0');
    assert.deepEqual(h.modified, ['0:n'], 'a creation');
    h.modified.length = 0;
    d = dirty();
    h.run('BITFIELD', 'k', 'SET', 'u8', '0', String(0xe1), 'INCRBY', 'u8', '8', '0', 'GET', 'u4', '0');
    h.run('BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9');
    h.run('BITFIELD_RO', 'k', 'GET', 'u8', '0');
    h.run('BITCOUNT', 'k');
    assert.deepEqual(h.modified, [], 'no field changed');
    assert.equal(dirty(), d);
    // A FAIL that grows the value: counted (propagated), not signalled (as Redis).
    h.run('BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '400', '9');
    assert.equal(h.run('STRLEN', 'k'), 51);
    assert.deepEqual(h.modified, []);
    assert.ok(dirty() > d);
    h.run('BITFIELD', 'k', 'SET', 'u8', '0', '1', 'SET', 'u8', '0', String(0xe1));
    assert.deepEqual(h.modified, ['0:k'], 'changed, even if back to where it was');
  });

  test('a lease is voided by an edit and by a growth', () => {
    const h = harness();
    const db = h.store.dbs[0];
    h.run('SET', 'k', 'a');
    db.leases.grant('k', 1000);
    h.run('SETBIT', 'k', '7', '0');
    assert.equal(db.leases.size, 0);
    db.leases.grant('k', 1000);
    h.run('BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '100', '9');
    assert.equal(db.leases.size, 0);
  });
});

describe('offset limits', () => {
  test('proto-max-bulk-len bounds offsets; the primary stream is exempt', () => {
    const h = harness();
    h.store.maxStringLength = 1024 * 1024;
    assert.equal(h.run('SETBIT', 'k', '8388607', '1'), 0);
    assert.deepEqual(h.run('SETBIT', 'k', '8388608', '1'), BAD_OFFSET);
    assert.deepEqual(h.run('GETBIT', 'k', '8388608'), BAD_OFFSET);
    assert.deepEqual(h.run('BITFIELD', 'k', 'GET', 'u8', '#1048576'), BAD_OFFSET);
    h.run('BITFIELD', 'k', 'INCRBY', 'i64', '8388607', '1');
    assert.equal(h.run('STRLEN', 'k'), 1024 * 1024 + 8, 'a field may reach past the limit, as in Redis');
    h.store.ignoreExpiry = true;
    assert.equal(h.run('SETBIT', 'k', '9000000', '1'), 0);
    assert.equal(h.run('GETBIT', 'k', '90000000000'), 0);
    h.store.ignoreExpiry = false;
  });

  test('writes stop short of V8 string length; reads keep Redis limit', () => {
    const h = harness();
    assert.deepEqual(h.run('SETBIT', 'k', '4294967040', '1'), BAD_OFFSET);
    assert.deepEqual(h.run('BITFIELD', 'k', 'SET', 'u8', '4294967040', '1'), BAD_OFFSET);
    assert.equal(h.run('GETBIT', 'k', '4294967295'), 0);
    assert.deepEqual(h.run('BITFIELD', 'k', 'GET', 'u8', '4294967295'), [0]);
    assert.equal(h.run('EXISTS', 'k'), 0);
  });

  test('"#n" offsets multiply in int64 and wrap as C does', () => {
    const h = harness();
    h.run('SET', 'k', 'ab');
    // 2^60 + 1 u8 fields: 2^63 + 8 wraps to -2^63 + 8, refused; 2^61 + 1: 2^64 + 8 wraps to 8.
    assert.deepEqual(h.run('BITFIELD', 'k', 'GET', 'u8', '#1152921504606846977'), BAD_OFFSET);
    assert.deepEqual(h.run('BITFIELD', 'k', 'GET', 'u8', '#2305843009213693953'), [98]);
  });
});

/** Redis's BITCOUNT/BITPOS index rules over n units (for the oracle). */
function clamp(s: number, e: number, n: number): [number, number] {
  if (s < 0) s += n;
  if (e < 0) e += n;
  if (s < 0) s = 0;
  if (e < 0) e = 0;
  if (e >= n) e = n - 1;
  return [s, e];
}

describe('BITCOUNT and BITPOS against a brute-force oracle', () => {
  const value = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 300 }),
    fc.tuple(fc.integer({ min: 1, max: 300 }), fc.constantFrom(0, 255), fc.array(fc.nat(2399), { maxLength: 3 })).map(([n, fill, flips]) => {
      const u = new Uint8Array(n).fill(fill);
      for (const f of flips) if (f >> 3 < n) u[f >> 3] ^= 0x80 >> (f & 7);
      return u;
    }),
  );
  const idx = fc.integer({ min: -2500, max: 2500 });

  test('BITCOUNT with BYTE and BIT ranges', () => {
    fc.assert(
      fc.property(value, idx, idx, fc.boolean(), (u, s, e, bit) => {
        const h = harness();
        const b = Buffer.from(u);
        h.run('SET', 'k', b);
        const units = bit ? b.length * 8 : b.length;
        let want = 0;
        if (!(s < 0 && e < 0 && s > e)) {
          const [from, to] = clamp(s, e, units);
          for (let i = from; i <= to; i++) want += bit ? bitOf(b, i) : [0, 1, 2, 3, 4, 5, 6, 7].reduce((n, k) => n + bitOf(b, i * 8 + k), 0);
        }
        assert.equal(h.run('BITCOUNT', 'k', String(s), String(e), bit ? 'BIT' : 'BYTE'), want);
      }),
      { numRuns: 400, seed: 1 },
    );
  });

  test('BITPOS with BIT ranges, and with no end (zero-padded when looking for 0)', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(0, 1), idx, fc.option(idx, { nil: undefined }), (u, bit, s, e) => {
        const h = harness();
        const b = Buffer.from(u);
        h.run('SET', 'k', b);
        const n = b.length * 8;
        let want = -1;
        if (e !== undefined) {
          // An explicit BIT range: the first such bit in it, or -1.
          const [from, to] = clamp(s, e, n);
          for (let i = from; i <= to && want < 0; i++) if (bitOf(b, i) === bit) want = i;
          assert.equal(h.run('BITPOS', 'k', String(bit), String(s), String(e), 'BIT'), want);
        } else {
          // From a start byte to the end; looking for 0, the string reads as zero-padded.
          const [from, to] = clamp(s, b.length - 1, b.length);
          for (let i = from * 8; i <= to * 8 + 7 && want < 0; i++) if (bitOf(b, i) === bit) want = i;
          if (want < 0 && bit === 0 && from <= to) want = n;
          assert.equal(h.run('BITPOS', 'k', String(bit), String(s)), want);
        }
      }),
      { numRuns: 400, seed: 2 },
    );
  });
});

describe('BITOP', () => {
  test('AND OR XOR NOT over sources of different lengths, word path and tails', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('AND', 'OR', 'XOR', 'NOT'),
        fc.array(fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined }), { minLength: 1, maxLength: 4 }),
        (op, srcs) => {
          const h = harness();
          const list = op === 'NOT' ? srcs.slice(0, 1) : srcs;
          list.forEach((u, j) => u !== undefined && u.length > 0 && h.run('SET', `s${j}`, Buffer.from(u)));
          const bufs = list.map((u) => Buffer.from(u ?? []));
          const max = Math.max(...bufs.map((b) => b.length));
          const want = Buffer.alloc(max);
          for (let i = 0; i < max; i++) {
            let v = i < bufs[0].length ? bufs[0][i] : 0;
            if (op === 'NOT') v = ~v & 0xff;
            for (const b of bufs.slice(1)) {
              const x = i < b.length ? b[i] : 0;
              v = op === 'AND' ? v & x : op === 'OR' ? v | x : v ^ x;
            }
            want[i] = v;
          }
          h.run('SET', 'd', 'old', 'EX', '100');
          assert.equal(h.run('BITOP', op, 'd', ...list.map((_, j) => `s${j}`)), max);
          if (max === 0) assert.equal(h.run('EXISTS', 'd'), 0);
          else {
            assert.deepEqual(valueOf(h, 'd'), want);
            assert.equal(h.run('TTL', 'd'), -1);
          }
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  test('large results: into a new key, in place into a same-length one, and when dest is a source', () => {
    const h = harness();
    const db = h.store.dbs[0];
    const a = Buffer.alloc(200003);
    for (let i = 0; i < a.length; i++) a[i] = (i * 31) & 0xff;
    h.run('SET', 'a', a);
    h.run('SETBIT', 'b', String(8 * 150000), '1');
    assert.equal(h.run('BITOP', 'XOR', 'd', 'a', 'b'), 200003);
    const want = Buffer.from(a);
    want[150000] ^= 0x80;
    assert.deepEqual(valueOf(h, 'd'), want);
    const loc = db.table.loc[db.table.findString('d')];
    h.modified.length = 0;
    assert.equal(h.run('BITOP', 'NOT', 'd', 'a'), 200003);
    assert.equal(db.table.loc[db.table.findString('d')], loc, 'same length, no TTL: rewritten in place');
    assert.deepEqual(h.modified, ['0:d']);
    assert.deepEqual(valueOf(h, 'd'), Buffer.from(a.map((x) => ~x & 0xff)));
    assert.equal(h.run('BITOP', 'OR', 'b', 'b', 'a'), 200003);
    const or = Buffer.from(a);
    or[150000] |= 0x80;
    assert.deepEqual(valueOf(h, 'b'), or);
    h.accounted();
  });

  test('errors and the empty result', () => {
    const h = harness();
    h.run('HSET', 'h', 'f', 'v');
    h.run('SET', 'd', 'x');
    assert.deepEqual(h.run('BITOP', 'NAND', 'd', 'a'), { error: 'ERR syntax error' });
    assert.deepEqual(h.run('BITOP', 'NOT', 'd', 'a', 'b'), { error: 'ERR BITOP NOT must be called with a single source key.' });
    assert.deepEqual(h.run('BITOP', 'OR', 'd', 'nokey', 'h'), WRONGTYPE);
    assert.equal(h.run('GET', 'd'), 'x');
    assert.equal(h.run('BITOP', 'OR', 'd', 'nokey'), 0);
    assert.equal(h.run('EXISTS', 'd'), 0);
  });
});

describe('BITFIELD', () => {
  test('fields across byte boundaries, signed and unsigned, # offsets', () => {
    const h = harness();
    assert.deepEqual(h.run('BITFIELD', 'k', 'SET', 'u5', '7', '23', 'GET', 'u5', '7', 'GET', 'i5', '7'), [0, 23, -9]);
    assert.deepEqual(valueOf(h, 'k'), Buffer.from([0b00000001, 0b01110000]));
    assert.deepEqual(h.run('BITFIELD', 'k', 'SET', 'i16', '#1', '-2', 'GET', 'u16', '#1', 'GET', 'u24', '0'), [0, 65534, 0x0170ff]);
    assert.deepEqual(fields(h, 'k', 'SET', 'i64', '3', '-9223372036854775808', 'GET', 'i64', '3', 'GET', 'u63', '3').slice(1), [
      -9223372036854775808n,
      4611686018427387904n,
    ]);
  });

  test('overflow: WRAP, SAT, FAIL (nil), and Redis quirks', () => {
    const h = harness();
    assert.deepEqual(h.run('BITFIELD', 'k', 'INCRBY', 'u2', '0', '5', 'OVERFLOW', 'SAT', 'INCRBY', 'u2', '0', '5', 'INCRBY', 'u2', '0', '-9'), [1, 3, 0]);
    assert.deepEqual(h.run('BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'i4', '8', '8', 'INCRBY', 'i4', '8', '7', 'INCRBY', 'i4', '8', '1'), [null, 7, null]);
    assert.deepEqual(h.run('BITFIELD', 'k', 'OVERFLOW', 'WRAP', 'INCRBY', 'i4', '8', '1', 'SET', 'i4', '8', '9'), [-8, -8]);
    assert.deepEqual(h.run('BITFIELD', 'k', 'GET', 'i4', '8'), [-7]);
    // An unsigned SET of a negative value saturates upwards (a huge uint64 to Redis).
    assert.deepEqual(h.run('BITFIELD', 'k', 'OVERFLOW', 'SAT', 'SET', 'u8', '16', '-1', 'GET', 'u8', '16'), [0, 255]);
    // A signed SET of a value near INT64_MIN saturates to the maximum (int64 wrap in Redis's bound).
    assert.deepEqual(h.run('BITFIELD', 'k', 'OVERFLOW', 'SAT', 'SET', 'i8', '16', '-9223372036854775800', 'GET', 'i8', '16'), [-1, 127]);
    assert.deepEqual(h.run('BITFIELD', 'k', 'OVERFLOW', 'SAT', 'SET', 'i8', '16', '-9000', 'GET', 'i8', '16'), [127, -128]);
    assert.deepEqual(fields(h, 'k', 'OVERFLOW', 'SAT', 'INCRBY', 'i64', '0', '9223372036854775807', 'INCRBY', 'i64', '0', '1'), [
      9223372036854775807n,
      9223372036854775807n,
    ]);
    assert.deepEqual(fields(h, 'k', 'INCRBY', 'i64', '0', '1'), [-9223372036854775808n]);
    assert.deepEqual(fields(h, 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'i64', '0', '-1', 'INCRBY', 'u63', '1', '-1'), [null, null]);
  });

  test('a FAIL-only call on a missing key still creates it, as Redis', () => {
    const h = harness();
    assert.deepEqual(h.run('BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '20', '9'), [null]);
    assert.deepEqual(valueOf(h, 'k'), Buffer.alloc(3));
  });

  test('parse errors come before the key is looked at; BITFIELD_RO only GETs', () => {
    const h = harness();
    h.run('HSET', 'h', 'f', 'v');
    const TYPE = { error: 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.' };
    assert.deepEqual(h.run('BITFIELD', 'h', 'GET', 'u64', '0'), TYPE);
    assert.deepEqual(h.run('BITFIELD', 'h', 'GET', 'U8', '0'), TYPE);
    assert.deepEqual(h.run('BITFIELD', 'h', 'GET', Buffer.from('u8\0x'), '0'), WRONGTYPE);
    assert.deepEqual(h.run('BITFIELD', 'h', 'GET', 'u8', '-1'), BAD_OFFSET);
    assert.deepEqual(h.run('BITFIELD', 'h', 'SET', 'u8', '0', 'x'), { error: 'ERR value is not an integer or out of range' });
    assert.deepEqual(h.run('BITFIELD', 'h', 'OVERFLOW', 'NOPE'), { error: 'ERR Invalid OVERFLOW type specified' });
    assert.deepEqual(h.run('BITFIELD', 'h', 'GET', 'u8'), { error: 'ERR syntax error' });
    assert.deepEqual(h.run('BITFIELD_RO', 'h', 'SET', 'u8', '0', '1'), { error: 'ERR BITFIELD_RO only supports the GET subcommand' });
    assert.deepEqual(h.run('BITFIELD_RO', 'h', 'GET', 'u8', '0'), WRONGTYPE);
    assert.deepEqual(h.run('BITFIELD', 'nokey'), []);
    assert.equal(h.run('EXISTS', 'nokey'), 0);
  });

  test('random SET/INCRBY/GET of every width agree with a bigint model', () => {
    const width = fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 64 })).map(([s, n]) => ({ signed: s || n === 64, bits: n }));
    const value = fc.oneof(fc.integer({ min: -1000, max: 1000 }).map(BigInt), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }));
    fc.assert(
      fc.property(width, fc.integer({ min: 0, max: 40 }), fc.array(fc.tuple(fc.constantFrom('SET', 'INCRBY'), value), { minLength: 1, maxLength: 8 }), ({ signed, bits }, off, ops) => {
        const h = harness();
        const type = `${signed ? 'i' : 'u'}${bits}`;
        const norm = (v: bigint) => (signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));
        let cur = 0n;
        for (const [op, v] of ops) {
          // WRAP (the default): SET stores v mod 2^bits and replies the old value; INCRBY the sum.
          const next = norm(op === 'SET' ? v : cur + v);
          const want = op === 'SET' ? cur : next;
          assert.deepEqual(fields(h, 'f', op, type, String(off), String(v), 'GET', type, String(off)), [want, next], `${type} ${op} ${v}`);
          cur = next;
        }
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});
