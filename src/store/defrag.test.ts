// The slab under churn: with maxmemory set and the value size shifting (100 B, 1 KB, 3 KB, then
// 200 B), the pages the allocator holds stay close to used_memory, because sparse pages of the
// old size classes are evacuated; and every surviving key keeps its value through the moves.
// (With many sizes and few keys per size class, each class's partly filled last page adds to
// this: docs/benchmarks.md, churn.)

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from './store.js';
import { ManualClock } from '../util/clock.js';

const MAXMEMORY = 4 * 1024 * 1024;

function valueOf(i: number, size: number): string {
  return String.fromCharCode(97 + (i % 26)).repeat(size);
}

describe('slab defragmentation under churn', () => {
  test('pages held stay within 1.1 x maxmemory while value sizes shift; values survive moves', () => {
    const clock = new ManualClock();
    const s = new Store({ databases: 1, clock });
    s.evictionPolicy = 'allkeys-lru';
    s.maxmemory = MAXMEMORY;
    const db = s.dbs[0];
    const slab = db.table.slab;
    let seed = 7;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const expected = new Map<string, string>();
    let worst = 0;
    let i = 0;
    for (const size of [100, 1000, 3000, 200]) {
      for (let n = 0; n < 40000; n++, i++) {
        const key = `k${Math.floor(rnd() * 1_000_000)}`;
        const value = valueOf(i, size);
        assert.equal(s.evictIfNeeded(), true);
        db.setString(key, value, 0);
        expected.set(key, value);
        assert.equal(s.evictIfNeeded(), true);
        // The node's cron: expiry, then defragmentation, every 100 writes here.
        if (n % 100 === 0) {
          s.activeExpireCycle(1000);
          s.defragSlice(1000);
        }
        worst = Math.max(worst, slab.heldBytes);
      }
      assert.ok(s.usedMemory <= MAXMEMORY);
    }
    assert.ok(worst <= MAXMEMORY * 1.1, `slab held up to ${worst} bytes for maxmemory ${MAXMEMORY}`);
    let checked = 0;
    for (const [key, value] of expected) {
      const e = db.peek(key);
      if (e === undefined) continue; // evicted
      assert.equal(e.value, value, key);
      checked++;
    }
    assert.ok(checked > 1000, `${checked} survivors checked`);
  });
});

describe('slab defragmentation at rest', () => {
  test('converges: a store without churn has no page worth evacuating, so a slice frees nothing', () => {
    // Mixed sizes leave sparse classes (pages of 4, 8, 16 and a nearly empty 64 KB): their
    // emptiest page cannot go anywhere but a new page of its size, so it is not a candidate.
    const s = new Store({ databases: 1, clock: new ManualClock() });
    const db = s.dbs[0];
    let seed = 11;
    for (let i = 0; i < 30000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      db.setString(`key:${i}`, 'v'.repeat(16 + (seed % 4081)), 0);
    }
    const slab = db.table.slab;
    const held = slab.heldBytes;
    db.defragment(Infinity, 100000); // whatever the fill left worth doing
    assert.equal(slab.evacuationCandidate(), -1);
    assert.equal(db.defragment(Infinity, 1000), 0);
    assert.ok(slab.heldBytes <= held);
  });
});
