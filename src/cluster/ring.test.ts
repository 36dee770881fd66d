// Slot placement: exact tables with an injected hash (groupcache consistenthash style), the
// measured balance and movement properties for N = 3..64, weights, random changes, determinism.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildSlotTable,
  DEFAULT_VNODES,
  rebalanceSlotTable,
  ringOwnerTable,
  slotQuotas,
  slotRanges,
  slotsPerShard,
  SLOT_SPACING,
  type Shard,
} from './ring.js';
import { SLOT_COUNT } from './slot.js';

// The injected hash reads a vnode name `${id}#${i}` as a slot position: shard "2000" puts vnode 0
// at slot 2000's point, vnode i at 2000 + 8192*i (mod 16384). Slot s sits at s * SLOT_SPACING, so
// a slot belongs to the first shard id >= s, wrapping past 16383 to the smallest.
const atSlot = (name: string): number => {
  const [id, i] = name.split('#');
  return ((Number(id) + 8192 * Number(i)) % SLOT_COUNT) * SLOT_SPACING;
};
const exact = { vnodes: 1, hash: atSlot };
const ids = (...names: string[]): Shard[] => names.map((id) => ({ id }));

/** The slots whose shard (by id) differs between two tables: [slot, from id, to id]. */
function movesBetween(before: Uint16Array, prev: readonly Shard[], after: Uint16Array, next: readonly Shard[]): Array<[number, string, string]> {
  const moves: Array<[number, string, string]> = [];
  for (let s = 0; s < SLOT_COUNT; s++) {
    const from = prev[before[s]].id;
    const to = next[after[s]].id;
    if (from !== to) moves.push([s, from, to]);
  }
  return moves;
}

test('ring owner: the first vnode at or after the slot, wrapping around', () => {
  const shards = ids('2000', '6000', '12000');
  const table = ringOwnerTable(shards, exact);
  assert.deepEqual(slotRanges(table), [
    [0, 2000, 0],
    [2001, 6000, 1],
    [6001, 12000, 2],
    [12001, 16383, 0],
  ]);
  // Adding shard 14000 to the pure ring takes slots 12001..14000 from 2000, and nothing else.
  const grown = ringOwnerTable([...shards, { id: '14000' }], exact);
  assert.equal(grown[13000], 3);
  assert.equal(grown[14001], 0);
  const moves = movesBetween(table, shards, grown, [...shards, { id: '14000' }]);
  assert.equal(moves.length, 2000);
  assert.ok(moves.every(([s, from, to]) => s >= 12001 && s <= 14000 && from === '2000' && to === '14000'));
});

test('build: balancing grows receivers backwards along the ring walk, to exact quotas', () => {
  // Quotas 5461, 5461, 5462 (the one seat left by the floors goes by id: "12000" sorts first).
  // Ring counts 6384, 4000, 6000: 2000 gives 923 and 12000 gives 538 to 6000. At walk depth 1
  // 6000 follows 2000 for slots 0..2000 and 12001..16383; nearest first, it takes 2000, 1999, ..
  // 1078. It still lacks 538: at depth 2 it follows 12000 (after 2000), and takes 12000 .. 11463.
  const shards = ids('2000', '6000', '12000');
  assert.deepEqual(slotQuotas(shards), [5461, 5461, 5462]);
  const table = buildSlotTable(shards, exact);
  assert.deepEqual(slotRanges(table), [
    [0, 1077, 0],
    [1078, 6000, 1],
    [6001, 11462, 2],
    [11463, 12000, 1],
    [12001, 16383, 0],
  ]);
  assert.deepEqual(slotsPerShard(table, 3), [5461, 5461, 5462]);
});

test('rebalance: adding shard 14000 takes exactly its quota, every slot from an over-quota donor', () => {
  // Quotas 4096 each. Depth 0: 14000 owns 12001..14000 on the new ring, all held by 2000, which
  // can give 1365: 14000 down to 12636. Depth 1: 14000 follows 12000 on the new ring, for
  // 6000's slots 11463..12000 (all 538) and 12000's own 6001..11462 (its 1366: 11462 .. 10097).
  // Depth 2: 6000's 2001..6000 walk 6000, 12000, 14000: the last 827, 6000 down to 5174.
  const prev = ids('2000', '6000', '12000');
  const next = ids('2000', '6000', '12000', '14000');
  const before = buildSlotTable(prev, exact);
  const after = rebalanceSlotTable(before, prev, next, exact);
  assert.deepEqual(slotRanges(after), [
    [0, 1077, 0],
    [1078, 5173, 1],
    [5174, 6000, 3],
    [6001, 10096, 2],
    [10097, 12000, 3],
    [12001, 12635, 0],
    [12636, 14000, 3],
    [14001, 16383, 0],
  ]);
  assert.equal(before[13000], 0, 'slot 13000 belongs to 2000');
  assert.equal(after[13000], 3, 'and moves to 14000');
  assert.equal(after[12500], 0, 'slot 12500 stays: 2000 has given its excess');
  assert.equal(before[5500], 1, 'slot 5500 belongs to 6000');
  assert.equal(after[5500], 3, 'and moves to 14000 at walk depth 2');
  const moves = movesBetween(before, prev, after, next);
  assert.equal(moves.length, 4096);
  assert.ok(moves.every(([, , to]) => to === '14000'));
});

test('rebalance: removing shard 6000 hands out only its slots, along the new ring', () => {
  // 6000 held 1078..5173. New quotas 5461, 5462, 5461 (ids 12000 < 14000 < 2000; held counts
  // are all under the floor, so the seat goes by id). Depth 0: 2000 takes 1078..2000 (its own
  // arc), 12000 takes 5173 .. 3808 (1366). Depth 1: 14000 follows 12000, takes 3807 .. 2443.
  // Depth 2: the last 442, 2442 .. 2001, go to 2000.
  const prev = ids('2000', '6000', '12000', '14000');
  const next = ids('2000', '12000', '14000');
  const before = rebalanceSlotTable(buildSlotTable(ids('2000', '6000', '12000'), exact), ids('2000', '6000', '12000'), prev, exact);
  const after = rebalanceSlotTable(before, prev, next, exact);
  assert.deepEqual(slotRanges(after), [
    [0, 2442, 0],
    [2443, 3807, 2],
    [3808, 5173, 1],
    [5174, 6000, 2],
    [6001, 10096, 1],
    [10097, 12000, 2],
    [12001, 12635, 0],
    [12636, 14000, 2],
    [14001, 16383, 0],
  ]);
  const moves = movesBetween(before, prev, after, next);
  assert.equal(moves.length, 4096);
  assert.ok(moves.every(([, from]) => from === '6000'));
});

test('weights: a weight-2 shard gets two vnodes and twice the quota', () => {
  // Vnodes at 1000 and 9192 (shard 1000, weight 2) and 5000. Ring counts 12384 and 4000; quotas
  // 10923 and 5461. Depth 1: 5000 follows 1000 for 0..1000 (nearest) and then 16383 downwards.
  const shards: Shard[] = [{ id: '1000', weight: 2 }, { id: '5000' }];
  assert.deepEqual(slotsPerShard(ringOwnerTable(shards, exact), 2), [12384, 4000]);
  assert.deepEqual(slotRanges(buildSlotTable(shards, exact)), [
    [0, 5000, 1],
    [5001, 15923, 0],
    [15924, 16383, 1],
  ]);
});

test('equal vnode points are ordered by shard id, whatever the order shards are listed in', () => {
  const sameHash = { vnodes: 3, hash: () => 12345 };
  for (const order of [ids('b', 'a', 'c'), ids('c', 'b', 'a')]) {
    const table = ringOwnerTable(order, sameHash);
    const a = order.findIndex((s) => s.id === 'a');
    assert.ok(table.every((shard) => shard === a));
    assert.deepEqual(
      slotsPerShard(buildSlotTable(order, sameHash), 3),
      order.map((s) => (s.id === 'a' ? 5462 : 5461)),
    );
  }
});

const numbered = (n: number, from = 0): Shard[] => Array.from({ length: n }, (_, i) => ({ id: `shard-${from + i}` }));

test(`measured at ${DEFAULT_VNODES} vnodes, N = 3..64: balance, growth and shrinking`, () => {
  for (let n = 3; n <= 64; n++) {
    const shards = numbered(n);
    const table = buildSlotTable(shards);
    const counts = slotsPerShard(table, n);
    assert.ok(Math.max(...counts) / (SLOT_COUNT / n) <= 1.05, `N=${n}: max/mean`);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `N=${n}: quotas differ by at most one slot`);

    const grown = numbered(n + 1);
    const added = rebalanceSlotTable(table, shards, grown);
    const moves = movesBetween(table, shards, added, grown);
    assert.ok(moves.length <= (1 / (n + 1) + 0.01) * SLOT_COUNT, `N=${n}: ${moves.length} slots moved on add`);
    assert.ok(moves.every(([, , to]) => to === `shard-${n}`), `N=${n}: every moved slot goes to the new shard`);
    assert.ok(Math.max(...slotsPerShard(added, n + 1)) - Math.min(...slotsPerShard(added, n + 1)) <= 1);

    const gone = `shard-${n >> 1}`;
    const shrunk = shards.filter((s) => s.id !== gone);
    const removed = rebalanceSlotTable(table, shards, shrunk);
    const lost = movesBetween(table, shards, removed, shrunk);
    assert.equal(lost.length, counts[n >> 1], `N=${n}: exactly the removed shard's slots move`);
    assert.ok(lost.every(([, from]) => from === gone));
    assert.ok(Math.max(...slotsPerShard(removed, n - 1)) - Math.min(...slotsPerShard(removed, n - 1)) <= 1);
  }
});

test('weighted: quotas within one slot of proportional, growth moves only to the new shard', () => {
  const cases: number[][] = [[1, 2, 1], [1, 1, 2, 4], [0.5, 1, 1.5], [3, 1], [1, 2, 3, 4, 5, 6, 7]];
  for (const weights of cases) {
    const shards = weights.map((weight, i) => ({ id: `w${i}`, weight }));
    const total = weights.reduce((a, b) => a + b, 0);
    const table = buildSlotTable(shards);
    slotsPerShard(table, shards.length).forEach((count, i) => {
      assert.ok(Math.abs(count - (SLOT_COUNT * weights[i]) / total) < 1, `weights ${weights}: shard ${i} holds ${count}`);
    });
    const grown = [...shards, { id: 'new', weight: 2 }];
    const after = rebalanceSlotTable(table, shards, grown);
    const moves = movesBetween(table, shards, after, grown);
    assert.ok(moves.every(([, , to]) => to === 'new'), `weights ${weights}`);
    assert.equal(moves.length, slotsPerShard(after, grown.length)[shards.length]);
    slotsPerShard(after, grown.length).forEach((count, i) => {
      assert.ok(Math.abs(count - (SLOT_COUNT * grown[i].weight) / (total + 2)) < 1);
    });
  }
  assert.deepEqual(slotsPerShard(buildSlotTable(cases[0].map((weight, i) => ({ id: `w${i}`, weight }))), 3), [4096, 8192, 4096]);
});

test('weight 0 drains a shard: only its slots move', () => {
  const shards = numbered(5);
  const table = buildSlotTable(shards);
  const draining = shards.map((s) => (s.id === 'shard-2' ? { ...s, weight: 0 } : s));
  const after = rebalanceSlotTable(table, shards, draining);
  assert.equal(slotsPerShard(after, 5)[2], 0);
  assert.ok(movesBetween(table, shards, after, draining).every(([, from]) => from === 'shard-2'));
});

test('unequal weights: rounding can move one slot between kept shards (the header example)', () => {
  // One heavy shard and seven light ones (shares 16266.29 and 16.82); the lights round up to
  // 17 but one. Removing a light shard that held 16 leaves six lights holding 102 slots against
  // a total share of exactly 6 x 16.83 = 101, and the heavy shard's share is exactly 16283.
  const shards: Shard[] = [{ id: 'heavy', weight: 97698 / 101 }, ...numbered(7)];
  const table = buildSlotTable(shards);
  const counts = slotsPerShard(table, 8);
  const gone = shards[counts.indexOf(16, 1)];
  const next = shards.filter((s) => s !== gone);
  const after = rebalanceSlotTable(table, shards, next);
  assert.deepEqual(slotsPerShard(after, 7).sort((a, b) => a - b), [16, 17, 17, 17, 17, 17, 16283]);
  const moves = movesBetween(table, shards, after, next);
  assert.equal(moves.filter(([, from]) => from === gone.id).length, 16);
  const between = moves.filter(([, from]) => from !== gone.id);
  assert.equal(between.length, 1);
  assert.equal(between[0][2], 'heavy');
});

test('random shard sets and changes keep the invariants', () => {
  const pool = Array.from({ length: 24 }, (_, i) => `n${i}`);
  const weight = fc.oneof(fc.constantFrom(1, 2, 3), fc.double({ min: -5, max: 5, noNaN: true }).map(Math.exp));
  const op = fc.record({
    kind: fc.constantFrom('add', 'remove', 'both', 'reweight'),
    pick: fc.uniqueArray(fc.nat(23), { minLength: 1, maxLength: 6 }),
    weight,
  });
  const weights = fc.oneof(fc.constant(new Array<number>(24).fill(1)), fc.array(weight, { minLength: 24, maxLength: 24 }));
  const start = fc.uniqueArray(fc.nat(23), { minLength: 1, maxLength: 16 });
  fc.assert(
    fc.property(start, weights, fc.array(op, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 48 }), (start, weights, ops, vnodes) => {
      const opts = { vnodes };
      let shards: Shard[] = start.map((i) => ({ id: pool[i], weight: weights[i] }));
      let table = buildSlotTable(shards, opts);
      for (const { kind, pick, weight: w } of ops) {
        const picked = new Set(pick.map((i) => pool[i]));
        const has = new Set(shards.map((s) => s.id));
        let next = shards;
        if (kind === 'remove' || kind === 'both') next = next.filter((s) => !picked.has(s.id));
        if (kind === 'add' || kind === 'both') next = [...next, ...[...picked].filter((id) => !has.has(id)).map((id) => ({ id, weight: weights[pool.indexOf(id)] }))];
        if (kind === 'reweight') next = next.map((s) => (picked.has(s.id) ? { ...s, weight: w } : s));
        if (next.length === 0) continue;
        const after = rebalanceSlotTable(table, shards, next, opts);

        // Every slot names a live shard, each holding its share to within one slot.
        const counts = slotsPerShard(after, next.length);
        const total = next.reduce((a, s) => a + (s.weight ?? 1), 0);
        counts.forEach((c, i) => assert.ok(Math.abs(c - (SLOT_COUNT * (next[i].weight ?? 1)) / total) < 1));
        // No shard both gives and takes: the moves are the least the quotas require.
        const moves = movesBetween(table, shards, after, next);
        const gave = new Set(moves.map(([, from]) => from));
        assert.ok(moves.every(([, , to]) => !gave.has(to)));
        // With weights unchanged, slots move only from removed shards or to added ones; with
        // unequal weights rounding may add one slot per kept shard between kept shards.
        if (kind !== 'reweight') {
          const kept = new Set(next.filter((s) => has.has(s.id)).map((s) => s.id));
          const keptMoves = moves.filter(([, from, to]) => kept.has(from) && kept.has(to)).length;
          const equal = next.every((s) => s.weight === next[0].weight) && shards.every((s) => s.weight === next[0].weight);
          assert.ok(keptMoves <= (equal ? 0 : kept.size), `${kind}: ${keptMoves} moves between kept shards`);
        }
        shards = next;
        table = after;
      }
    }),
    { numRuns: 150 },
  );
});

test('deterministic, and independent of the order shards are listed in', () => {
  const shards: Shard[] = [...numbered(9), { id: 'heavy', weight: 2.5 }];
  const table = buildSlotTable(shards);
  assert.deepEqual(buildSlotTable(shards), table);
  const reversed = shards.slice().reverse();
  const byId = (t: Uint16Array, list: readonly Shard[]): string[] => Array.from(t, (i) => list[i].id);
  assert.deepEqual(byId(buildSlotTable(reversed), reversed), byId(table, shards));

  const next = [...shards.filter((s) => s.id !== 'shard-3'), { id: 'extra' }];
  const after = rebalanceSlotTable(table, shards, next);
  assert.deepEqual(rebalanceSlotTable(table, shards, next), after);
  const nextReversed = next.slice().reverse();
  assert.deepEqual(byId(rebalanceSlotTable(table, shards, nextReversed), nextReversed), byId(after, next));
});

test('slotRanges and slotsPerShard', () => {
  const table = new Uint16Array(SLOT_COUNT);
  table.fill(1, 100, 200);
  table.fill(2, 16000);
  assert.deepEqual(slotRanges(table), [
    [0, 99, 0],
    [100, 199, 1],
    [200, 15999, 0],
    [16000, 16383, 2],
  ]);
  assert.deepEqual(slotsPerShard(table, 3), [16384 - 100 - 384, 100, 384]);
  assert.throws(() => slotsPerShard(table, 2), RangeError);
});

test('rejects what cannot be placed', () => {
  assert.throws(() => buildSlotTable([]), RangeError);
  assert.throws(() => buildSlotTable(ids('a', 'a')), /duplicate/);
  assert.throws(() => buildSlotTable([{ id: 'a', weight: -1 }]), RangeError);
  assert.throws(() => buildSlotTable([{ id: 'a', weight: 0 }]), /total weight/);
  assert.throws(() => buildSlotTable(ids('a'), { vnodes: 0 }), /vnodes/);
  assert.throws(() => rebalanceSlotTable(new Uint16Array(10), ids('a'), ids('a')), RangeError);
  assert.throws(() => rebalanceSlotTable(new Uint16Array(SLOT_COUNT).fill(1), ids('a'), ids('a')), RangeError);
});
