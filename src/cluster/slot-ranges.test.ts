// Slot ranges: exact cases, and each function against the per-slot model it replaces (a table of
// 16384 owners) on random range lists.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assignSlots, firstOverlap, ownerChanges, sortedRanges, sortedSlots, withoutSlots, type SlotRange } from './slot-ranges.js';
import { SLOT_COUNT } from './slot.js';

/** The per-slot model: owner of every slot, or null. */
function table(ranges: ReadonlyArray<SlotRange<string>>): Array<string | null> {
  const t = new Array<string | null>(SLOT_COUNT).fill(null);
  for (const [a, b, o] of ranges) for (let s = a; s <= b; s++) t[s] = o;
  return t;
}

/** Maximal runs of a per-slot table, in slot order. */
function runs(t: ReadonlyArray<string | null>): Array<SlotRange<string>> {
  const out: Array<SlotRange<string>> = [];
  for (let s = 0; s < SLOT_COUNT; s++) {
    const o = t[s];
    if (o === null) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === s - 1 && last[2] === o) last[1] = s;
    else out.push([s, s, o]);
  }
  return out;
}

/** Random non-overlapping ranges (some slots unowned), shuffled. */
const rangeList = fc
  .array(fc.record({ len: fc.integer({ min: 1, max: 3000 }), gap: fc.integer({ min: 0, max: 200 }), owner: fc.constantFrom('a', 'b', 'c', 'd') }), { maxLength: 40 })
  .map((parts) => {
    const out: Array<SlotRange<string>> = [];
    let s = 0;
    for (const p of parts) {
      s += p.gap;
      if (s >= SLOT_COUNT) break;
      const end = Math.min(SLOT_COUNT - 1, s + p.len - 1);
      out.push([s, end, p.owner]);
      s = end + 1;
    }
    return out;
  })
  .chain((ranges) => fc.shuffledSubarray(ranges, { minLength: ranges.length, maxLength: ranges.length }));

const slotList = fc.array(fc.integer({ min: 0, max: SLOT_COUNT - 1 }), { maxLength: 300 });

test('sortedRanges sorts a copy; firstOverlap finds the first shared slot', () => {
  const input: Array<SlotRange<string>> = [[10, 20, 'b'], [0, 9, 'a']];
  assert.deepEqual(sortedRanges(input), [[0, 9, 'a'], [10, 20, 'b']]);
  assert.deepEqual(input, [[10, 20, 'b'], [0, 9, 'a']]);
  assert.equal(firstOverlap(sortedRanges(input)), -1);
  assert.equal(firstOverlap([[0, 10, 'a'], [10, 20, 'b']]), 10);
  assert.equal(firstOverlap([[0, 100, 'a'], [20, 30, 'b'], [40, 50, 'c']]), 20);
});

test('ownerChanges: exact runs, unowned slots as null', () => {
  const before: Array<SlotRange<string>> = [[0, 99, 'a'], [100, 199, 'b']];
  const after: Array<SlotRange<string>> = [[0, 49, 'a'], [50, 149, 'c'], [160, 199, 'b'], [300, 300, 'a']];
  assert.deepEqual(ownerChanges(before, after), [
    [50, 99, 'a', 'c'],
    [100, 149, 'b', 'c'],
    [150, 159, 'b', null],
    [300, 300, null, 'a'],
  ]);
  assert.deepEqual(ownerChanges(before, before), []);
  assert.deepEqual(ownerChanges([], [[0, SLOT_COUNT - 1, 'a']]), [[0, SLOT_COUNT - 1, null, 'a']]);
});

test('ownerChanges agrees with a slot-by-slot comparison', () => {
  fc.assert(
    fc.property(rangeList, rangeList, (x, y) => {
      const got = ownerChanges(sortedRanges(x), sortedRanges(y));
      const tx = table(x);
      const ty = table(y);
      const changed = new Array<string | null>(SLOT_COUNT).fill(null);
      for (let s = 0; s < SLOT_COUNT; s++) if (tx[s] !== ty[s]) changed[s] = `${tx[s]}>${ty[s]}`;
      const fromGot = new Array<string | null>(SLOT_COUNT).fill(null);
      for (const [a, b, from, to] of got) {
        assert.ok(a <= b);
        for (let s = a; s <= b; s++) fromGot[s] = `${from}>${to}`;
      }
      assert.deepEqual(fromGot, changed);
      // In slot order, and maximal: no two adjacent runs with the same pair.
      for (let i = 1; i < got.length; i++) {
        assert.ok(got[i][0] > got[i - 1][1]);
        if (got[i][0] === got[i - 1][1] + 1) assert.notDeepEqual(got[i].slice(2), got[i - 1].slice(2));
      }
    }),
    { numRuns: 200 },
  );
});

test('assignSlots gives the slots to the owner and merges into maximal runs', () => {
  assert.deepEqual(assignSlots([[0, 9, 'a'], [10, 19, 'b']], [5, 10, 11, 30], 'b'), [[0, 4, 'a'], [5, 5, 'b'], [6, 9, 'a'], [10, 19, 'b'], [30, 30, 'b']]);
  assert.deepEqual(assignSlots([[0, 4, 'a'], [5, 9, 'a']], [], 'x'), [[0, 9, 'a']]);
  fc.assert(
    fc.property(rangeList, slotList, fc.constantFrom('a', 'e'), (x, slots, to) => {
      const got = assignSlots(sortedRanges(x), sortedSlots(slots), to);
      const t = table(x);
      for (const s of slots) t[s] = to;
      assert.deepEqual(got, runs(t));
    }),
    { numRuns: 200 },
  );
});

test('withoutSlots splits ranges around the slots and keeps their order', () => {
  assert.deepEqual(withoutSlots([[10, 19, 'b'], [0, 9, 'a']], [0, 5, 12]), [[10, 11, 'b'], [13, 19, 'b'], [1, 4, 'a'], [6, 9, 'a']]);
  fc.assert(
    fc.property(rangeList, slotList, (x, slots) => {
      const got = withoutSlots(x, sortedSlots(slots));
      const t = table(x);
      for (const s of slots) t[s] = null;
      assert.deepEqual(table(got), t);
      // Each piece lies within the range it came from, and the ranges' order is kept.
      let i = 0;
      for (const [a, b, o] of got) {
        while (!(x[i][0] <= a && b <= x[i][1] && x[i][2] === o)) i++;
      }
    }),
    { numRuns: 200 },
  );
});
