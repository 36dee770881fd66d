// Tests of the packed-hash arena: size classes, reuse of released regions, and regions of hashes
// dropped without a release coming back once the garbage collector has run.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EMPTY, MAX_CLASS, allocate, arenaStats, capacityFor, release, type Slot } from './packed-arena.js';
import { HashValue } from './hash-value.js';

const slot = (): Slot => ({ buf: EMPTY, base: 0, cap: 0 });

describe('packed arena', () => {
  test('capacities: 16-byte steps to 128, then at most 25% over the request', () => {
    assert.equal(capacityFor(0), 0);
    assert.equal(capacityFor(1), 16);
    assert.equal(capacityFor(16), 16);
    assert.equal(capacityFor(17), 32);
    assert.equal(capacityFor(129), 160);
    assert.equal(capacityFor(MAX_CLASS), MAX_CLASS);
    for (let n = 1; n <= 80000; n++) {
      const c = capacityFor(n);
      assert.ok(c >= n && (c <= n + 16 || c <= n * 1.25 + 1024), `${n} -> ${c}`);
      assert.equal(c % 16, 0);
    }
  });

  test('a released region is handed out again; regions do not overlap', () => {
    const a = slot();
    const b = slot();
    allocate(a, 100);
    allocate(b, 100);
    assert.equal(a.cap, 112);
    a.buf.fill(1, a.base, a.base + a.cap);
    b.buf.fill(2, b.base, b.base + b.cap);
    assert.ok(a.buf.subarray(a.base, a.base + a.cap).every((x) => x === 1), 'b does not overlap a');
    release(a.buf, a.base, a.cap);
    const c = slot();
    allocate(c, 97);
    assert.deepEqual([c.buf, c.base], [a.buf, a.base], 'same class: the released region comes back');
    release(b.buf, b.base, b.cap);
    release(c.buf, c.base, c.cap);
    const big = slot();
    allocate(big, MAX_CLASS + 1);
    assert.ok(big.cap > MAX_CLASS && big.base === 0 && big.buf.length === big.cap, 'past 4 KB: a Buffer of its own');
  });

  test('hashes dropped without a release give their regions back after garbage collection', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const live = (): number => arenaStats().liveBytes;
    const start = live();
    let hashes: HashValue[] | null = [];
    for (let i = 0; i < 2000; i++) hashes.push(HashValue.fromPairs([['field', `value ${i}`]]));
    assert.ok(live() >= start + 2000 * 16);
    hashes = null;
    for (let i = 0; i < 50 && live() > start + 1000; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(live() <= start + 1000, `${live() - start} bytes still live`);
  });
});
