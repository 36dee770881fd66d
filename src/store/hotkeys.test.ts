// Unit tests for hot-key detection (hotkeys.ts): exact tables on a ManualClock with every access
// sampled, the Space-Saving error bound under many cold keys, cooling, bounded memory, the
// sampled estimate, and the store's read and write paths feeding it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../util/clock.js';
import { HotKeys, MAX_KEY_CHARS, SpaceSaving } from './hotkeys.js';
import { hashBytes } from './key-table.js';
import { Store } from './store.js';

/** Accesses every key of `keys` once, the tracker's way (skip down, record at 0). */
function access(h: HotKeys, key: string): void {
  if (--h.skip === 0) h.record(key);
}

test('exact rates with every access sampled: keys at 100, 50 and 10 ops/s over a one-epoch window', () => {
  const clock = new ManualClock(0);
  const h = new HotKeys(clock, { capacity: 8, epochMs: 1000, samplePeriod: 1 });
  for (let k = 0; k < 200; k++) {
    access(h, 'a');
    if (k % 2 === 0) access(h, 'b');
    if (k % 10 === 0) access(h, 'c');
    clock.advance(10);
  }
  // t = 2000: the window is [1000, 2000), one whole epoch, the current one just begun.
  assert.deepEqual(h.top(10), [
    { key: 'a', opsPerSec: 100 },
    { key: 'b', opsPerSec: 50 },
    { key: 'c', opsPerSec: 10 },
  ]);
  assert.deepEqual(h.top(1), [{ key: 'a', opsPerSec: 100 }]);
  // Half an epoch later, with a's accesses going on: 150 accesses over 1.5 s.
  for (let k = 0; k < 50; k++) {
    access(h, 'a');
    clock.advance(10);
  }
  assert.deepEqual(h.top(1), [{ key: 'a', opsPerSec: 100 }]);
  assert.deepEqual(
    h.top(3).map((x) => [x.key, Math.round(x.opsPerSec * 1000) / 1000]),
    [['a', 100], ['b', 33.333], ['c', 6.667]],
  );
});

test('a young tracker divides by at least one second; ties sort by key', () => {
  const clock = new ManualClock(0);
  const h = new HotKeys(clock, { capacity: 4, epochMs: 5000, samplePeriod: 1 });
  for (let i = 0; i < 20; i++) {
    access(h, 'y');
    access(h, 'x');
  }
  clock.advance(100);
  assert.deepEqual(h.top(5), [
    { key: 'x', opsPerSec: 20 },
    { key: 'y', opsPerSec: 20 },
  ]);
  clock.advance(1900); // 2 s old, still in its first epoch
  assert.deepEqual(h.top(5), [
    { key: 'x', opsPerSec: 10 },
    { key: 'y', opsPerSec: 10 },
  ]);
});

test('Space-Saving: a key with more than total/m samples is always present, its count within total/m', () => {
  const s = new SpaceSaving(10);
  let hot = 0;
  for (let i = 0; i < 10_000; i++) {
    s.add(`cold:${i % 997}`);
    if (i % 4 === 0) {
      s.add('hot');
      hot++;
    }
  }
  assert.equal(s.size, 10);
  const bound = s.total / s.capacity;
  assert.ok(s.count('hot') >= hot && s.count('hot') <= hot + bound, `${s.count('hot')} vs ${hot} + ${bound}`);
  assert.ok(s.minCount <= bound);
});

test('the reported rate is within the stated bound R/m of the true rate, with many cold keys', () => {
  const clock = new ManualClock(0);
  const m = 16;
  const h = new HotKeys(clock, { capacity: m, epochMs: 1000, samplePeriod: 1 });
  // Every 1 ms: the hot key once (1000 ops/s), a warm key every 4 ms (250 ops/s), and 3 cold
  // keys out of 5000 (3000 ops/s spread thin): R = 4250 ops/s, R/m = 265.6 ops/s.
  let cold = 0;
  for (let t = 0; t < 3000; t++) {
    access(h, 'hot');
    if (t % 4 === 0) access(h, 'warm');
    for (let j = 0; j < 3; j++) access(h, `cold:${cold++ % 5000}`);
    clock.advance(1);
  }
  const bound = h.errorBound();
  assert.ok(Math.abs(bound - 4250 / m) < 1, `bound ${bound}`);
  const top = h.top(m);
  assert.equal(top[0].key, 'hot');
  assert.ok(Math.abs(top[0].opsPerSec - 1000) <= bound, `hot at ${top[0].opsPerSec}`);
  const warm = top.find((x) => x.key === 'warm');
  assert.ok(warm !== undefined, 'a key above R/m is listed');
  assert.ok(Math.abs(warm.opsPerSec - 250) <= bound, `warm at ${warm.opsPerSec}`);
});

test('keys fall out as they cool: gone once their accesses leave the window', () => {
  const clock = new ManualClock(0);
  const h = new HotKeys(clock, { capacity: 8, epochMs: 1000, samplePeriod: 1 });
  for (let t = 0; t < 2000; t += 10) {
    access(h, 'flash');
    clock.advance(10);
  }
  assert.deepEqual(h.top(3), [{ key: 'flash', opsPerSec: 100 }]);
  // Accesses stop; another key goes on at 10 ops/s.
  for (let t = 0; t < 1000; t += 100) {
    access(h, 'steady');
    clock.advance(100);
  }
  // Window [2000, 3000) then [3000, now): flash's 100 accesses are out; at 3000 exactly, the
  // previous epoch [2000, 3000) holds steady's 10.
  assert.deepEqual(h.top(3), [{ key: 'steady', opsPerSec: 10 }]);
  clock.advance(10_000);
  assert.deepEqual(h.top(3), [], 'after a long silence nothing is hot');
  access(h, 'late');
  // The epoch before is valid and empty: one access over 1 s + the 0 ms of the current epoch.
  assert.deepEqual(h.top(3), [{ key: 'late', opsPerSec: 1 }]);
});

test('bounded memory: at most 2m keys held whatever the key count, long keys cut', () => {
  const clock = new ManualClock(0);
  const h = new HotKeys(clock, { capacity: 32, epochMs: 1000, samplePeriod: 1 });
  for (let i = 0; i < 100_000; i++) {
    access(h, `k${i}`);
    if (i % 100 === 0) clock.advance(10);
  }
  assert.ok(h.top(1e9).length <= 64, String(h.top(1e9).length));
  const long = 'x'.repeat(MAX_KEY_CHARS * 4);
  for (let i = 0; i < 1000; i++) access(h, long);
  const top = h.top(1)[0];
  assert.equal(top.key, `${'x'.repeat(MAX_KEY_CHARS)}...(${MAX_KEY_CHARS * 4} bytes)`);
});

test('sampling 1 in 16: estimates within a few percent, also for keys accessed round-robin', () => {
  const clock = new ManualClock(0);
  const h = new HotKeys(clock, { capacity: 64, epochMs: 2000, samplePeriod: 16, seed: 12345 });
  // 16 keys cycled in order (a fixed 1-in-16 gap would always sample the same one), each
  // 5000 ops/s, plus one key at 40,000 ops/s, for 4 s: the window is the last 2 s, about 625
  // samples of each round-robin key (4% standard error) and 5000 of the hot one.
  for (let t = 0; t < 4000; t++) {
    for (let j = 0; j < 5; j++) for (let k = 0; k < 16; k++) access(h, `rr:${k}`);
    for (let j = 0; j < 40; j++) access(h, 'hot');
    clock.advance(1);
  }
  const top = h.top(20);
  assert.equal(top[0].key, 'hot');
  assert.ok(Math.abs(top[0].opsPerSec / 40_000 - 1) < 0.05, `hot ${top[0].opsPerSec}`);
  const rr = top.filter((x) => x.key.startsWith('rr:'));
  assert.equal(rr.length, 16);
  for (const x of rr) assert.ok(Math.abs(x.opsPerSec / 5000 - 1) < 0.15, `${x.key} ${x.opsPerSec}`);
});

test('the store feeds it from reads and writes, on every database, under any policy', () => {
  const clock = new ManualClock(0);
  const store = new Store({ databases: 2, clock, hotKeys: { capacity: 8, epochMs: 1000, samplePeriod: 1 } });
  store.evictionPolicy = 'noeviction';
  const db = store.dbs[0];
  const key = Buffer.from('product:1');
  db.setStringBytes(key, 0, key.length, Buffer.from('v'), 0, 1, 0); // added: 1
  for (let i = 0; i < 9; i++) db.findRead(key, 0, key.length); // touch: 9
  db.setString('other', 'x', 0);
  db.lookupRead('other');
  db.findRead(Buffer.from('nosuch'), 0, 6); // a miss is an access too
  db.lookupRead('nosuch');
  store.dbs[1].setString('product:1', 'v', 0);
  clock.advance(1000);
  assert.deepEqual(store.hotKeys.top(5), [
    { key: 'product:1', opsPerSec: 11 },
    { key: 'nosuch', opsPerSec: 2 },
    { key: 'other', opsPerSec: 2 },
  ]);
});

/** The table as first written (a Map from key to heap position, swapped per heap step): the model. */
class ReferenceSpaceSaving {
  readonly keys: string[] = [];
  readonly counts: number[] = [];
  readonly at = new Map<string, number>();
  constructor(readonly capacity: number) {}
  add(key: string): void {
    const i = this.at.get(key);
    if (i !== undefined) {
      this.counts[i]++;
      this.down(i);
    } else if (this.keys.length < this.capacity) {
      this.keys.push(key);
      this.counts.push(1);
      this.at.set(key, this.keys.length - 1);
      this.up(this.keys.length - 1);
    } else {
      this.at.delete(this.keys[0]);
      this.keys[0] = key;
      this.counts[0]++;
      this.at.set(key, 0);
      this.down(0);
    }
  }
  count(key: string): number {
    const i = this.at.get(key);
    return i === undefined ? 0 : this.counts[i];
  }
  private up(i: number): void {
    while (i > 0 && this.counts[(i - 1) >> 1] > this.counts[i]) {
      this.swap(i, (i - 1) >> 1);
      i = (i - 1) >> 1;
    }
  }
  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.keys.length) return;
      const least = l + 1 < this.keys.length && this.counts[l + 1] < this.counts[l] ? l + 1 : l;
      if (this.counts[i] <= this.counts[least]) return;
      this.swap(i, least);
      i = least;
    }
  }
  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
    [this.counts[a], this.counts[b]] = [this.counts[b], this.counts[a]];
    this.at.set(this.keys[a], a);
    this.at.set(this.keys[b], b);
  }
}

test('Space-Saving: its slot index keeps every count the reference table keeps, under churn and clears', () => {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (const [capacity, universe] of [
    [1, 5],
    [4, 6],
    [16, 40],
    [64, 100_000],
  ]) {
    const s = new SpaceSaving(capacity);
    let ref = new ReferenceSpaceSaving(capacity);
    for (let i = 0; i < 20_000; i++) {
      // Skewed: low keys often (they stay), the rest churn through the root.
      const k = `k${rand(4) === 0 ? rand(3) : rand(universe)}`;
      s.add(k);
      ref.add(k);
      if (i % 997 === 0) {
        for (let j = 0; j < Math.min(universe, 200); j++) assert.equal(s.count(`k${j}`), ref.count(`k${j}`), `k${j} after ${i}`);
        for (const key of ref.keys) assert.equal(s.count(key), ref.count(key), key);
        assert.equal(s.size, ref.keys.length);
      }
      if (i === 15_000) {
        s.clear();
        ref = new ReferenceSpaceSaving(capacity);
        assert.equal(s.count('k0'), 0);
      }
    }
  }
});

test('a sample carries the key table hash of its key: the same counts as hashing the string', () => {
  const a = new SpaceSaving(8);
  const b = new SpaceSaving(8);
  for (let i = 0; i < 1000; i++) {
    const key = `user:${(i * 7919) % 23}\u00e9`;
    a.add(key);
    const bytes = Buffer.from(key, 'latin1');
    b.add(key, hashBytes(bytes, 0, bytes.length));
  }
  for (let i = 0; i < 23; i++) assert.equal(a.count(`user:${i}\u00e9`), b.count(`user:${i}\u00e9`));
});
