// Unit tests for the key table's index (key-table.ts): a fast-check model test against a Set
// through several incremental growths (keys inserted and removed while the old index is still
// being moved, lookups by bytes and by string; with the tagged entries and after a table outgrew
// them), and the index's bytes during and after a move.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ITEM_HEADER, KeyTable, META_LIVE } from './key-table.js';
import { SlabAllocator } from './slab.js';

function add(t: KeyTable, key: string): number {
  assert.equal(t.findString(key), -1);
  const h = t.lastHash;
  const loc = t.slab.alloc(ITEM_HEADER + key.length);
  const at = t.writeHeader(loc, key.length, 0) - key.length;
  t.cb.write(key, at, 'latin1');
  return t.insert(h, loc, 0);
}

function findByBytes(t: KeyTable, key: string): number {
  const buf = Buffer.from(`..${key}..`, 'latin1');
  return t.findBytes(buf, 2, 2 + key.length);
}

type Op = { op: 'add' | 'del'; k: number } | { op: 'addRun'; from: number; n: number } | { op: 'reserve'; n: number };

describe('KeyTable index', () => {
  test('behaves as a set through incremental growth, with inserts, removals and lookups mid-move', () => {
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ op: fc.constant('add' as const), k: fc.nat(3000) }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('del' as const), k: fc.nat(3000) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('addRun' as const), from: fc.nat(3000), n: fc.integer({ min: 1, max: 400 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('reserve' as const), n: fc.nat(5000) }) },
    );
    fc.assert(
      // idBits: the shipped index (tags in the entries), and small ones, whose tables outgrow
      // their tags (widenIds) on the way, before, during or after a move of the index.
      fc.property(fc.constantFrom(undefined, 9, 5), fc.array(opArb, { maxLength: 120 }), (idBits, ops) => {
        const t = new KeyTable(new SlabAllocator(), idBits);
        const model = new Map<string, number>();
        const doAdd = (k: number): void => {
          const key = `key:${k}`;
          if (model.has(key)) assert.equal(t.findString(key), model.get(key));
          else model.set(key, add(t, key));
        };
        for (const o of ops) {
          if (o.op === 'add') doAdd(o.k);
          else if (o.op === 'addRun') for (let k = o.from; k < o.from + o.n; k++) doAdd(k);
          else if (o.op === 'reserve') t.reserve(o.n);
          else {
            const key = `key:${o.k}`;
            const id = model.get(key);
            assert.equal(t.findString(key), id ?? -1);
            if (id !== undefined) {
              t.remove(id);
              model.delete(key);
              assert.equal(t.findString(key), -1);
            }
          }
          assert.equal(t.count, model.size);
          // Lookups of present and absent keys, by string and by bytes, mid-move included.
          for (let k = 0; k < 3000; k += 97) {
            const key = `key:${k}`;
            assert.equal(t.findString(key), model.get(key) ?? -1, key);
            assert.equal(findByBytes(t, key), model.get(key) ?? -1, key);
          }
        }
        for (const [key, id] of model) {
          assert.equal(findByBytes(t, key), id);
          assert.equal(t.keyString(id), key);
          assert.ok((t.meta[id] & META_LIVE) !== 0);
        }
      }),
      { numRuns: 120 },
    );
  });

  test('reserve makes room at once: loading that many keys grows neither the columns nor the index', () => {
    const t = new KeyTable(new SlabAllocator());
    const grown: number[] = [];
    t.onGrow = (n) => grown.push(n);
    t.reserve(3000);
    assert.deepEqual(grown, [3000]);
    assert.equal(t.capacity, 3000);
    const bytes = t.structureBytes;
    assert.equal(bytes, 4096 * 4 + 3000 * 14, 'the index 3000 keys reach below 3/4 full: 4096 positions');
    for (let i = 0; i < 3000; i++) add(t, `k${i}`);
    assert.deepEqual(grown, [3000], 'the columns did not grow');
    assert.equal(t.structureBytes, bytes, 'the index did not grow');
    for (let i = 0; i < 3000; i += 7) assert.equal(t.keyString(findByBytes(t, `k${i}`)), `k${i}`);
    add(t, 'one more');
    assert.equal(t.capacity, 6000, 'past the reservation the columns double as before');
    t.reserve(10);
    assert.equal(t.capacity, 6000, 'a smaller reservation changes nothing');
  });

  test('the columns grow in stages, one column at a time, spread over the last 32nd of their capacity', () => {
    const t = new KeyTable(new SlabAllocator());
    const grown: number[] = [];
    t.onGrow = (n) => grown.push(n);
    for (let i = 0; i < 496; i++) add(t, `k${i}`); // 512 ids by doubling; 496 starts its last 32nd
    assert.equal(t.capacity, 512);
    assert.equal(grown.at(-1), 512);
    const columns = (): unknown[] => [t.meta, t.lfu, t.access, t.loc, t.hash];
    let before = columns();
    const stages: Array<[number, number]> = [];
    for (let i = 496; i < 512; i++) {
      add(t, `k${i}`);
      const now = columns();
      const n = now.filter((c, k) => c !== before[k]).length;
      if (n > 0) stages.push([i, n]);
      before = now;
    }
    assert.deepEqual(stages, [[496, 1], [500, 1], [503, 1], [506, 1], [509, 1]], 'meta, lfu, access, loc, then hash: a column every 3-4 keys');
    assert.equal(grown.at(-1), 1024, "the owner's columns with the last stage");
    assert.equal(grown.filter((n) => n === 1024).length, 1);
    assert.equal(t.capacity, 1024);
    for (let i = 0; i < 512; i++) assert.equal(t.keyString(findByBytes(t, `k${i}`)), `k${i}`);
  });

  test('a growth moves the old index a step at a time; its bytes count until the move ends', () => {
    const t = new KeyTable(new SlabAllocator());
    for (let i = 0; i < 24; i++) add(t, `k${i}`); // 24 of 32 positions: still the first index
    const before = t.structureBytes;
    add(t, 'k24'); // past 3/4: a 64-position index, the 32-position one still held
    const during = t.structureBytes;
    assert.equal(during, before + 64 * 4, 'the new index beside the old (the columns did not grow: 32 ids)');
    for (let i = 0; i < 8; i++) t.findString('absent'); // each lookup moves MOVE_STEP positions
    assert.equal(t.structureBytes, during - 32 * 4, 'the old index is dropped once moved');
    for (let i = 0; i <= 24; i++) assert.ok(t.findString(`k${i}`) >= 0, `k${i}`);
  });
});
