// Unit tests for allkeys-tinylfu (W-TinyLFU): the sketch, exact eviction order on a tiny byte
// budget (window admission duels, scan resistance), runtime policy switches, and a fast-check
// model test of set/get/delete under a small maxmemory.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../util/clock.js';
import { Store, type EvictionPolicy } from './store.js';
import { FrequencySketch, SEG_PROBATION, SEG_PROTECTED, SEG_WINDOW, hashKey } from './tinylfu.js';

/** Keys and values of 1-8 chars: every entry then weighs 112 + 24 + 24 bytes. */
const E = 160;

function store(entries: number, policy: EvictionPolicy = 'allkeys-tinylfu'): Store {
  const s = new Store({ databases: 2, clock: new ManualClock() });
  s.evictionPolicy = policy;
  s.maxmemory = entries * E;
  if (s.stats.tinylfu !== null) s.stats.tinylfu.random = () => 1; // never the 1/128 coin
  return s;
}

/** A cache-aside client's write: SET, then the eviction the next command's dispatch runs. */
function set(s: Store, key: string, value = 'v'): void {
  s.dbs[0].setString(key, value, 0);
  assert.equal(s.evictIfNeeded(), true);
}

function get(s: Store, key: string, times = 1): void {
  for (let i = 0; i < times; i++) s.dbs[0].lookupRead(key);
}

function keys(s: Store): string[] {
  return [...s.dbs[0].entries()].map((e) => e.key).sort();
}

describe('FrequencySketch', () => {
  test('counts up to 15 and halves every 10 x capacity additions', () => {
    const sk = new FrequencySketch(16);
    const h = hashKey('hot');
    for (let i = 0; i < 20; i++) sk.increment(h);
    assert.equal(sk.frequency(h), 15);
    assert.equal(sk.frequency(hashKey('cold')), 0);
    // 20 additions counted (until saturation: 15); 160 trigger the halving.
    for (let i = 0; i < 145; i++) sk.increment(hashKey(`k${i}`));
    assert.ok(sk.frequency(h) <= 8 && sk.frequency(h) >= 6, `halved: ${sk.frequency(h)}`);
  });
});

describe('allkeys-tinylfu eviction', () => {
  test('window admission: a one-hit candidate loses to a frequent victim, a frequent one wins', () => {
    const s = store(4);
    const t = s.stats.tinylfu!;
    set(s, 'a');
    get(s, 'a', 3); // a: 4 accesses, in the window
    set(s, 'b'); // a drained to probation
    set(s, 'c');
    set(s, 'd');
    assert.deepEqual(keys(s), ['a', 'b', 'c', 'd']);
    assert.equal(t.segmentOf(s.dbs[0].peek('a')!), SEG_PROBATION);
    assert.equal(t.segmentOf(s.dbs[0].peek('d')!), SEG_WINDOW);
    assert.equal(t.frequencyOf(s.dbs[0].peek('a')!), 4);
    // x pushes d out of the window: d (1) duels a, probation's LRU key (4), and loses.
    set(s, 'x');
    assert.deepEqual(keys(s), ['a', 'b', 'c', 'x']);
    set(s, 'y'); // x (1) loses too; LRU would have evicted a twice by now
    assert.deepEqual(keys(s), ['a', 'b', 'c', 'y']);
    set(s, 'z'); // y loses
    get(s, 'z', 5); // z: 6 accesses while in the window
    set(s, 'w'); // z (6) beats a (4): a is evicted
    assert.deepEqual(keys(s), ['b', 'c', 'w', 'z']);
    assert.equal(s.stats.evictedKeys, 4);
    assert.ok(s.usedMemory <= s.maxmemory);
  });

  test('a hit in probation promotes to protected; protected overflow is demoted', () => {
    const s = store(10); // protected: 80% of 99% of 10 entries = 7 entries
    const t = s.stats.tinylfu!;
    for (let i = 0; i < 10; i++) set(s, `k${i}`);
    for (let i = 0; i < 9; i++) get(s, `k${i}`);
    const seg = (k: string): number => t.segmentOf(s.dbs[0].peek(k)!);
    assert.deepEqual([0, 1].map((i) => seg(`k${i}`)), [SEG_PROBATION, SEG_PROBATION]); // demoted
    assert.deepEqual([2, 3, 4, 5, 6, 7, 8].map((i) => seg(`k${i}`)), Array(7).fill(SEG_PROTECTED));
    assert.equal(seg('k9'), SEG_WINDOW);
  });

  test('scan resistance: frequent keys survive a scan of one-hit keys (LRU loses them)', () => {
    for (const policy of ['allkeys-tinylfu', 'allkeys-lru'] as const) {
      const s = store(10, policy);
      for (let round = 0; round < 3; round++) for (let i = 0; i < 5; i++) round === 0 ? set(s, `h${i}`) : get(s, `h${i}`);
      for (let i = 0; i < 100; i++) {
        set(s, `s${i}`);
        assert.ok(s.usedMemory <= s.maxmemory);
      }
      const hot = keys(s).filter((k) => k.startsWith('h'));
      if (policy === 'allkeys-tinylfu') assert.deepEqual(hot, ['h0', 'h1', 'h2', 'h3', 'h4']);
      else assert.deepEqual(hot, []);
    }
  });

  test('OBJECT FREQ reads the sketch; deleting, flushing and switching policies keep it consistent', () => {
    const s = store(0);
    s.maxmemory = 0;
    set(s, 'a');
    get(s, 'a', 2);
    const t = s.stats.tinylfu!;
    assert.equal(t.frequencyOf(s.dbs[0].peek('a')!), 3);
    s.dbs[1].setString('b', 'v', 0);
    assert.equal(t.count, 2);
    s.dbs[0].delete('a');
    assert.equal(t.count, 1);
    s.dbs[1].flush();
    assert.equal(t.count, 0);
    assert.deepEqual(t.segBytes, [0, 0, 0, 0]);
    // Switch away and back with keys held: they are adopted, and eviction works on them.
    s.evictionPolicy = 'allkeys-lru';
    assert.equal(s.stats.tinylfu, null);
    for (let i = 0; i < 6; i++) set(s, `k${i}`);
    s.evictionPolicy = 'allkeys-tinylfu';
    const t2 = s.stats.tinylfu!;
    assert.notEqual(t2, t);
    assert.equal(t2.count, 6);
    s.maxmemory = 3 * E;
    assert.equal(s.evictIfNeeded(), true);
    assert.deepEqual(keys(s), ['k3', 'k4', 'k5']);
  });
});

type Op =
  | { op: 'set'; k: number; v: string; db: number }
  | { op: 'get'; k: number; db: number }
  | { op: 'del'; k: number; db: number }
  | { op: 'switch'; policy: EvictionPolicy }
  | { op: 'flush'; db: number };

describe('allkeys-tinylfu model', () => {
  test('used_memory stays within maxmemory and every live key holds its last value', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), k: fc.nat(30), v: fc.string({ maxLength: 60 }), db: fc.nat(1) }) },
      { weight: 6, arbitrary: fc.record({ op: fc.constant('get' as const), k: fc.nat(30), db: fc.nat(1) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('del' as const), k: fc.nat(30), db: fc.nat(1) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('switch' as const), policy: fc.constantFrom<EvictionPolicy>('allkeys-tinylfu', 'allkeys-lru', 'noeviction') }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const), db: fc.nat(1) }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 3000 }), fc.array(op, { maxLength: 300 }), (maxmemory, ops) => {
        const s = new Store({ databases: 2, clock: new ManualClock() });
        s.evictionPolicy = 'allkeys-tinylfu';
        s.maxmemory = maxmemory;
        const model = [new Map<string, string>(), new Map<string, string>()];
        for (const o of ops) {
          if (o.op === 'switch') {
            s.evictionPolicy = o.policy;
            continue;
          }
          const db = s.dbs[o.db];
          if (o.op === 'flush') {
            db.flush();
            model[o.db].clear();
            continue;
          }
          const key = `key:${o.k}`;
          if (o.op === 'set') {
            if (!s.evictIfNeeded()) continue; // noeviction over the limit: the write is refused
            db.setString(key, o.v, 0);
            model[o.db].set(key, o.v);
            if (s.evictionPolicy !== 'noeviction') {
              assert.equal(s.evictIfNeeded(), true);
              assert.ok(s.usedMemory <= maxmemory, `${s.usedMemory} > ${maxmemory}`);
            }
          } else if (o.op === 'del') {
            db.delete(key);
            model[o.db].delete(key);
          } else {
            const e = db.lookupRead(key);
            if (e !== undefined) assert.equal(e.value, model[o.db].get(key));
          }
          const t = s.stats.tinylfu;
          if (t !== null) {
            assert.equal(t.count, s.keyCount);
            assert.equal(t.segBytes[1] + t.segBytes[2] + t.segBytes[3], s.usedMemory);
          }
        }
        for (let i = 0; i < 2; i++) {
          for (const e of s.dbs[i].entries()) assert.equal(e.value, model[i].get(e.key));
        }
      }),
      { numRuns: 300 },
    );
  });
});
