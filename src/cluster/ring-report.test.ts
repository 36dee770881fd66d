// The ring report: its figures for a few cluster sizes, and the layout of the text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ringFigures, ringReport } from './ring-report.js';
import { DEFAULT_VNODES } from './ring.js';
import { SLOT_COUNT } from './slot.js';

test('figures at 16 shards: the balanced table is exact and growth moves 1/17, all to the new shard', () => {
  const f = ringFigures({ shards: 16, sampleKeys: 20_000 });
  assert.equal(f.vnodes, DEFAULT_VNODES);
  assert.equal(f.idealShare, 1 / 17);
  assert.deepEqual({ ...f.balance.balanced, ranges: 0 }, { min: 1024, max: 1024, mean: 1024, maxOverMean: 1, ranges: 0 });
  assert.ok(f.balance.balanced.ranges >= 16 && f.balance.balanced.ranges < 16 * DEFAULT_VNODES);
  assert.equal(f.balance.modulo.ranges, SLOT_COUNT);
  assert.ok(f.balance.ring.maxOverMean > 1 && f.balance.ring.maxOverMean < 1.5);
  assert.ok(f.balancingMoves > 0 && f.balancingMoves < 0.1 * SLOT_COUNT);

  const { ring, balanced, rebuilt, modulo } = f.growth;
  assert.ok([963, 964].includes(balanced.slotsMoved), `${balanced.slotsMoved}`);
  assert.ok(balanced.allToNewShard && ring.allToNewShard);
  assert.ok(Math.abs(balanced.keyShare - 1 / 17) < 0.01, `keys moved ${balanced.keyShare}`);
  assert.ok(rebuilt.slotsMoved >= balanced.slotsMoved);
  assert.ok(Math.abs(modulo.keyShare - 16 / 17) < 0.02, `hash % N moved ${modulo.keyShare}`);
  assert.ok(Math.abs(modulo.slotShare - 16 / 17) < 0.02);
  assert.equal(modulo.allToNewShard, false);
});

test('figures from 1 shard: half the slots move on growth', () => {
  const f = ringFigures({ shards: 1, vnodes: 8, sampleKeys: 1000 });
  assert.deepEqual(f.balance.ring, { min: SLOT_COUNT, max: SLOT_COUNT, mean: SLOT_COUNT, maxOverMean: 1, ranges: 1 });
  assert.equal(f.growth.balanced.slotsMoved, SLOT_COUNT / 2);
  assert.equal(f.growth.balanced.allToNewShard, true);
  assert.equal(f.growth.modulo.slotsMoved, SLOT_COUNT / 2);
});

test('the report is two aligned tables of those figures', () => {
  const text = ringReport({ shards: 8, vnodes: 40, sampleKeys: 5000 });
  const f = ringFigures({ shards: 8, vnodes: 40, sampleKeys: 5000 });
  const lines = text.split('\n');
  assert.match(lines[0], /^corral ring: 8 shards of weight 1, 40 vnodes each, 16384 slots, 5000 sample keys/);
  const table = (title: RegExp): string[] => {
    const start = lines.findIndex((l) => title.test(l)) + 1;
    const rows: string[] = [];
    for (let i = start; i < lines.length && lines[i].startsWith('  ') && !lines[i].startsWith('  ('); i++) rows.push(lines[i]);
    return rows;
  };
  const balance = table(/^Slots per shard at 8 shards$/);
  const growth = table(/^Growing from 8 to 9 shards \(the least that can move: 1\/9 = 11\.11%\)$/);
  assert.equal(balance.length, 4);
  assert.equal(growth.length, 5);
  for (const rows of [balance, growth]) assert.equal(new Set(rows.map((r) => r.length)).size, 1, 'rows line up');
  assert.match(balance[2], new RegExp(`^  ring \\+ balancing +2048 +2048 +2048\\.0 +1\\.000 +${f.balance.balanced.ranges}$`));
  const g = f.growth.balanced;
  assert.match(growth[2], new RegExp(`^  ring \\+ balancing +${g.slotsMoved} +${(g.slotShare * 100).toFixed(2)}% +${g.keysMoved} +${(g.keyShare * 100).toFixed(2)}% +yes$`));
  assert.match(growth[4], /^ {2}hash % N .* no$/);
  assert.match(text, new RegExp(`reassigned ${f.balancingMoves} slots`));
});

test('rejects sizes it cannot report', () => {
  assert.throws(() => ringFigures({ shards: 0 }), RangeError);
  assert.throws(() => ringFigures({ shards: 2.5 }), RangeError);
  assert.throws(() => ringFigures({ shards: 4, vnodes: 0 }), RangeError);
  assert.throws(() => ringFigures({ shards: 4, sampleKeys: -1 }), RangeError);
});
