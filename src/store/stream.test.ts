// Unit tests for the stream value: node splits and trims checked against numbers read from
// redis-server 7.0.15 (XINFO STREAM's radix-tree-keys, XTRIM's counts) for the same inserts,
// ranges against a sorted-array model, XDEL's counters, clone and image round trips.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamValue, TRIM_MAXLEN, TRIM_MINID, type TrimSpec } from './stream.js';
import { DEFAULT_LIMITS, type EncodingLimits } from './encoding-limits.js';
import { streamId } from './stream-image.js';
import { lpIntBytes, lpStringBytes } from './stream-node.js';

const MAX = (1n << 128n) - 1n;

function limits(over: Partial<EncodingLimits> = {}): EncodingLimits {
  return { ...DEFAULT_LIMITS, ...over };
}

/** The 300 entries of the redis-server experiment: ids i-1, values of (i*37)%90 bytes, some with other fields. */
function filled(l: EncodingLimits): StreamValue {
  const s = new StreamValue();
  for (let i = 1; i <= 300; i++) {
    const v = 'v'.repeat((i * 37) % 90);
    const pairs = i % 7 === 0 ? [`f${i % 3}`, v, 'n', String(i)] : ['f', v, 'n', String(i * 1000)];
    s.append(streamId(BigInt(i), 1n), pairs, l);
  }
  return s;
}

const trim = (over: Partial<TrimSpec>): TrimSpec => ({ strategy: TRIM_MAXLEN, maxlen: 0, minid: 0n, approx: false, limit: 0, ...over });

describe('listpack sizes', () => {
  test('integers and strings take the bytes listpack.c gives them', () => {
    assert.equal(lpIntBytes(0), 2);
    assert.equal(lpIntBytes(127), 2);
    assert.equal(lpIntBytes(128), 3);
    assert.equal(lpIntBytes(-4096), 3);
    assert.equal(lpIntBytes(40000), 5);
    assert.equal(lpIntBytes(-(1n << 63n)), 10);
    assert.equal(lpStringBytes('12'), 2); // stored as an integer
    assert.equal(lpStringBytes('012'), 5); // not canonical: a string
    assert.equal(lpStringBytes('-0'), 4);
    assert.equal(lpStringBytes('a'.repeat(63)), 65);
    assert.equal(lpStringBytes('a'.repeat(64)), 67);
    assert.equal(lpStringBytes('a'.repeat(126)), 130); // 128 bytes of encoding: a 2-byte back-length
  });
});

describe('StreamValue nodes split as redis-server 7.0.15 splits them', () => {
  test('default limits: 5 nodes for the 300 entries', () => {
    assert.equal(filled(limits()).nodeCount, 5);
  });

  test('stream-node-max-bytes 300: 73 nodes; MAXLEN ~ 100 removes 200, then MINID ~ 150 nothing', () => {
    const s = filled(limits({ streamNodeMaxBytes: 300 }));
    assert.equal(s.nodeCount, 73);
    assert.equal(s.trim(trim({ maxlen: 100, approx: true, limit: 10000 })), 200);
    assert.equal(s.trim(trim({ strategy: TRIM_MINID, minid: streamId(150n, 0n), approx: true, limit: 10000 })), 0);
    assert.equal(s.length, 100);
  });

  test('stream-node-max-entries 7 with tombstones: the trims redis-server gave', () => {
    const s = filled(limits({ streamNodeMaxEntries: 7 }));
    assert.equal(s.nodeCount, 43);
    const ids = [1, 2, 3, 4, 5, 6, 7, 9].map((i) => streamId(BigInt(i), 1n));
    assert.equal(s.deleteIds(ids), 8);
    assert.equal(s.trim(trim({ maxlen: 290, approx: true, limit: 700 })), 0);
    assert.equal(s.trim(trim({ strategy: TRIM_MINID, minid: streamId(30n, 1n), approx: true, limit: 700 })), 20);
    assert.equal(s.trim(trim({ strategy: TRIM_MINID, minid: streamId(35n, 1n) })), 6);
    assert.equal(s.trim(trim({ maxlen: 100, approx: true, limit: 30 })), 29);
    assert.equal(s.length, 237);
    assert.equal(s.nodeCount, 34);
    assert.equal(s.maxDeletedId, streamId(9n, 1n));
    assert.equal(s.firstId(), streamId(64n, 1n));
    assert.equal(s.entriesAdded, 300);
  });
});

describe('StreamValue', () => {
  test('ranges match a sorted model, forwards and backwards, with deletions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 20 }),
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 0, max: 5 }),
        (gaps, dels, a, b, count) => {
          const s = new StreamValue();
          const l = limits({ streamNodeMaxEntries: 3 });
          let id = 0n;
          const model: bigint[] = [];
          for (const g of gaps) {
            id += BigInt(g);
            s.append(id, ['k', String(id)], l);
            model.push(id);
          }
          const toDelete = dels.map((d) => BigInt(d));
          s.deleteIds(toDelete);
          const live = model.filter((x) => !toDelete.includes(x));
          assert.equal(s.length, live.length);
          const lo = BigInt(Math.min(a, b) * 10);
          const hi = BigInt(Math.max(a, b) * 10);
          const inRange = live.filter((x) => x >= lo && x <= hi);
          const want = count === 0 ? inRange : inRange.slice(0, count);
          assert.deepEqual(s.range(lo, hi, count, false).map((e) => e.id), want);
          const wantRev = count === 0 ? [...inRange].reverse() : [...inRange].reverse().slice(0, count);
          assert.deepEqual(s.range(lo, hi, count, true).map((e) => e.id), wantRev);
          for (const x of model) assert.equal(s.lookup(x) !== null, live.includes(x));
          assert.equal(s.firstId(), live.length === 0 ? 0n : live[0]);
        },
      ),
    );
  });

  test('XDEL of a node\'s last live entry drops the node; counters follow Redis', () => {
    const s = new StreamValue();
    const l = limits({ streamNodeMaxEntries: 2 });
    for (let i = 1n; i <= 5n; i++) s.append(i, ['a', 'b'], l);
    assert.equal(s.nodeCount, 3);
    assert.equal(s.deleteIds([1n, 2n, 9n]), 2);
    assert.equal(s.nodeCount, 2);
    assert.equal(s.firstId(), 3n);
    assert.equal(s.maxDeletedId, 2n);
    assert.equal(s.deleteIds([3n, 4n, 5n]), 3);
    assert.equal(s.length, 0);
    assert.equal(s.firstId(), 0n);
    assert.equal(s.lastId, 5n);
    assert.equal(s.entriesAdded, 5);
  });

  test('nextAutoId: the clock, or the successor of the last ID', () => {
    const s = new StreamValue();
    assert.equal(s.nextAutoId(1000), streamId(1000n, 0n));
    s.append(streamId(2000n, 7n), ['a', 'b'], limits());
    assert.equal(s.nextAutoId(1000), streamId(2000n, 8n));
    s.setIds(MAX, null, null);
    assert.equal(s.nextAutoId(1000), null);
  });

  test('clone is deep and toImage/fromImage keep the counters', () => {
    const s = filled(limits());
    s.deleteIds([streamId(1n, 1n), streamId(50n, 1n)]);
    const c = s.clone();
    c.deleteIds([streamId(2n, 1n)]);
    assert.equal(s.length, 298);
    assert.equal(c.length, 297);
    assert.equal(c.bytes < s.bytes, true);
    const img = s.toImage();
    assert.equal(img.entries.length, 298);
    const back = StreamValue.fromImage(img, limits());
    assert.deepEqual(back.toImage(), img);
    assert.equal(back.maxDeletedId, streamId(50n, 1n));
    assert.equal(back.firstId(), streamId(2n, 1n));
  });

  test('bytes come back to an empty stream\'s when every entry goes, whichever way', () => {
    const empty = new StreamValue().bytes;
    const byXdel = filled(limits({ streamNodeMaxEntries: 7 }));
    const ids = byXdel.range(0n, MAX, 0, false).map((e) => e.id);
    byXdel.deleteIds(ids.filter((_, i) => i % 2 === 0));
    byXdel.deleteIds(ids);
    assert.equal(byXdel.nodeCount, 0);
    assert.equal(byXdel.bytes, empty);
    const byTrim = filled(limits({ streamNodeMaxEntries: 7 }));
    byTrim.deleteIds(ids.filter((_, i) => i % 3 === 0));
    byTrim.trim(trim({ maxlen: 0 }));
    assert.equal(byTrim.length, 0);
    assert.equal(byTrim.bytes, empty);
  });

  test('bytes go down as entries go', () => {
    const s = filled(limits());
    const before = s.bytes;
    s.trim(trim({ maxlen: 10 }));
    assert.equal(s.length, 10);
    assert.equal(s.bytes < before / 10, true);
  });
});
