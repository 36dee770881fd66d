// Unit tests for allkeys-tinylfu (W-TinyLFU): the sketch; the id API (exact eviction order on a
// tiny byte budget, handles, columns, memory report, a fast-check model); and through the store:
// window admission duels, scan resistance, runtime policy switches, and a model test of
// set/get/delete under a small maxmemory.
// (The hill climber has its own file, tinylfu-climber.test.ts.)

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../../util/clock.js';
import { Store, type EvictionPolicyName as EvictionPolicy } from '../store.js';
import { FrequencySketch, ID_BYTES, SEG_PROBATION, SEG_PROTECTED, SEG_WINDOW, TinyLfu, hashKey } from './tinylfu.js';
import { TinyLfuPolicy } from './tinylfu-policy.js';

/** The tests' keys (1-3 chars) with 1-char values: every item takes a 16-byte chunk. */
const E = 16;

/**
 * A store whose limit fits `entries` such keys beyond what it holds empty (its index, columns and
 * the policy's arrays: constant while a test stays within their initial 16 slots).
 */
function store(entries: number, policy: EvictionPolicy = 'allkeys-tinylfu'): Store {
  const s = new Store({ databases: 2, clock: new ManualClock() });
  s.evictionPolicy = policy;
  s.maxmemory = 1 << 30; // allkeys-tinylfu tracks keys only under a limit
  s.maxmemory = s.usedMemory + entries * E;
  const t = tinyOf(s);
  if (t !== null) t.random = () => 1; // never the 1/128 coin
  return s;
}

/** The store's W-TinyLFU state, or null (another policy, or no limit). */
function tinyOf(s: Store): TinyLfu | null {
  return s.policy instanceof TinyLfuPolicy ? s.policy.lfu : null;
}

/** A cache-aside client's write: SET, then the eviction the next command's dispatch runs. */
function set(s: Store, key: string, value = 'v'): void {
  s.dbs[0].setString(key, value, 0);
  assert.equal(s.evictIfNeeded(), true);
}

function get(s: Store, key: string, times = 1): void {
  for (let i = 0; i < times; i++) s.dbs[0].lookupRead(key);
}

/** A key's id in database 0. */
function idOf(s: Store, key: string): number {
  return s.dbs[0].peek(key)!.id;
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

/** A byte-budget cache of named keys of database 0 over the id API, as the engine drives it. */
class SlotCache {
  readonly t = new TinyLfu({ adaptive: false });
  readonly held = new Map<string, { id: number; bytes: number }>();
  private readonly names: string[] = [];
  private readonly hash = new Uint32Array(64);
  used = 0;

  constructor(readonly maxBytes: number) {
    this.t.random = () => 1;
    this.t.setMaxBytes(maxBytes);
    this.t.columns(0, 64, this.hash);
  }

  id(key: string): number {
    return this.held.get(key)!.id;
  }

  set(key: string, bytes = 100): void {
    const k = this.held.get(key);
    if (k !== undefined) {
      this.t.onAccess(0, k.id);
      return;
    }
    let id = this.names.indexOf(key);
    if (id < 0) id = this.names.push(key) - 1;
    this.hash[id] = hashKey(key);
    this.t.add(0, id, bytes);
    this.held.set(key, { id, bytes });
    this.used += bytes;
    while (this.used > this.maxBytes) {
      const v = this.t.pickVictim();
      assert.ok(v >= 0);
      this.delete(this.names[this.t.handleId(v)]);
    }
  }

  get(key: string, times = 1): void {
    for (let i = 0; i < times; i++) this.t.onAccess(0, this.id(key));
  }

  delete(key: string): void {
    const k = this.held.get(key)!;
    this.t.remove(0, k.id);
    this.used -= k.bytes;
    this.held.delete(key);
  }

  keys(): string[] {
    return [...this.held.keys()].sort();
  }
}

describe('id API', () => {
  test('window admission: the same duels as through the Entry wrappers', () => {
    const c = new SlotCache(400);
    c.set('a');
    c.get('a', 3);
    c.set('b');
    c.set('c');
    c.set('d');
    assert.equal(c.t.frequencyOf(0, c.id('a')), 4, 'the add counts as one access');
    assert.equal(c.t.segmentOf(0, c.id('a')), SEG_PROBATION);
    assert.equal(c.t.segmentOf(0, c.id('d')), SEG_WINDOW);
    c.set('x'); // d (1) loses to a (4)
    assert.deepEqual(c.keys(), ['a', 'b', 'c', 'x']);
    c.set('y');
    c.set('z');
    c.get('z', 5);
    c.set('w'); // z (6) beats a (4)
    assert.deepEqual(c.keys(), ['b', 'c', 'w', 'z']);
  });

  test('handles carry database and id; signed hashes; removed keys read as untracked', () => {
    const t = new TinyLfu({}, 2);
    const h0 = new Int32Array(16);
    const h3 = new Uint32Array(16);
    h3[15] = hashKey('a');
    h0[7] = -123456789; // a signed hash (the key table's Int32Array column)
    t.columns(0, 16, h0);
    t.columns(3, 16, h3);
    t.add(3, 15, 10);
    t.add(0, 7, 20);
    assert.equal(t.maxIds, 2 ** 29);
    assert.throws(() => t.columns(4, 16, h0), RangeError);
    assert.equal(t.frequencyOf(0, 7), 1);
    t.onAccess(0, 7);
    assert.equal(t.sketch.frequency(-123456789 >>> 0), 2, 'signed and unsigned hashes are one key');
    assert.equal(t.count, 2);
    assert.deepEqual(t.segBytes, [0, 30, 0, 0]);
    t.setMaxBytes(1);
    const v = t.pickVictim(); // the window keeps its MRU key: 3/15 drained to probation
    assert.deepEqual([t.handleDb(v), t.handleId(v)], [3, 15]);
    t.remove(3, 15);
    assert.equal(t.segmentOf(3, 15), 0);
    assert.equal(t.frequencyOf(3, 15), 0);
    assert.equal(t.segmentOf(1, 0), 0, 'a database without columns');
    t.add(3, 15, 5);
    t.resize(3, 15, 105); // in the window; 0/7 was drained to probation by the add
    assert.deepEqual(t.segBytes, [0, 105, 20, 0]);
    t.remove(3, 15);
    t.remove(0, 7);
    assert.equal(t.pickVictim(), -1);
    assert.deepEqual(t.segBytes, [0, 0, 0, 0]);
  });

  test('columns grow keeping their state; adopt enters probation with no access; bytes reports columns and sketch', () => {
    const t = new TinyLfu();
    const hash = new Uint32Array(2000);
    for (let i = 0; i < hash.length; i++) hash[i] = hashKey(`k${i}`);
    t.columns(0, 16, hash);
    assert.equal(t.bytes, 16 * ID_BYTES + t.sketch.bytes);
    t.adopt(0, 1, 50);
    assert.equal(t.segmentOf(0, 1), SEG_PROBATION);
    assert.equal(t.frequencyOf(0, 1), 0);
    t.columns(0, 2000, hash);
    for (let i = 2; i < 1002; i++) t.add(0, i, 50);
    assert.equal(t.segmentOf(0, 1), SEG_PROBATION, 'kept across the growth');
    // 1001 keys: the sketch grew to 1024 keys x 8 bytes.
    assert.equal(t.sketch.bytes, 1024 * 8);
    assert.equal(t.bytes, 2000 * ID_BYTES + t.sketch.bytes);
    t.setMaxBytes(1);
    const seen = new Set<number>();
    for (let v = t.pickVictim(); v >= 0; v = t.pickVictim()) {
      assert.ok(!seen.has(v));
      seen.add(v);
      t.remove(0, t.handleId(v));
    }
    assert.equal(seen.size, 1001);
  });

  test('a big value evicts several keys, each the loser of a duel with the oldest candidate', () => {
    const c = new SlotCache(1000);
    c.set('v1');
    c.set('v2');
    c.get('v2', 6); // 7, in the window
    c.set('hot'); // v2 drained to probation
    c.get('hot', 4); // 5, in the window
    c.set('big', 900); // hot drained: the candidate; 200 bytes over
    // hot (5) beats v1 (1), then duels v2 (7) and loses: the frequent key outlives both.
    assert.deepEqual(c.keys(), ['big', 'v2']);
    assert.equal(c.used, 1000);
  });
});

type SlotOp = { op: 'add'; db: number; bytes: number } | { op: 'access' | 'remove' | 'evict'; pick: number } | { op: 'resize'; pick: number; bytes: number };

describe('id API model', () => {
  test('segment bytes, counts and handles match a model under any sequence', () => {
    const op: fc.Arbitrary<SlotOp> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ op: fc.constant('add' as const), db: fc.nat(3), bytes: fc.integer({ min: 1, max: 300 }) }) },
      { weight: 5, arbitrary: fc.record({ op: fc.constant('access' as const), pick: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('remove' as const, 'evict' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('resize' as const), pick: fc.nat(), bytes: fc.integer({ min: 0, max: 300 }) }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.boolean(), fc.array(op, { maxLength: 300 }), (max, adaptive, ops) => {
        const t = new TinyLfu({ adaptive, minSample: 10, sampleFactor: 1 });
        t.random = () => 0;
        t.setMaxBytes(max);
        const hash = new Uint32Array(400);
        for (let i = 0; i < hash.length; i++) hash[i] = hashKey(`k${i}`);
        for (let db = 0; db < 4; db++) t.columns(db, 400, hash);
        // By handle: database and id (each database's ids counted from 0, as key tables do).
        const model = new Map<number, { db: number; id: number; bytes: number }>();
        const nextId = [0, 0, 0, 0];
        for (const o of ops) {
          const live = [...model.keys()];
          if (o.op === 'add') {
            const id = nextId[o.db]++;
            t.add(o.db, id, o.bytes);
            model.set((id << 4) | o.db, { db: o.db, id, bytes: o.bytes });
          } else if (live.length > 0) {
            const h = o.op === 'evict' ? t.pickVictim() : live[o.pick % live.length];
            assert.ok(model.has(h), `victim ${h} is not tracked`);
            const m = model.get(h)!;
            assert.deepEqual([t.handleDb(h), t.handleId(h)], [m.db, m.id]);
            if (o.op === 'access') t.onAccess(m.db, m.id);
            else if (o.op === 'resize') {
              t.resize(m.db, m.id, o.bytes);
              m.bytes = o.bytes;
            } else {
              t.remove(m.db, m.id);
              model.delete(h);
            }
          } else {
            assert.equal(t.pickVictim(), -1);
          }
          let bytes = 0;
          for (const m of model.values()) {
            bytes += m.bytes;
            assert.ok(t.segmentOf(m.db, m.id) >= SEG_WINDOW);
          }
          assert.equal(t.count, model.size);
          assert.equal(t.segBytes[1] + t.segBytes[2] + t.segBytes[3], bytes);
          assert.ok(t.windowShare >= 0 && t.windowShare <= 0.99);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('allkeys-tinylfu eviction', () => {
  test('window admission: a one-hit candidate loses to a frequent victim, a frequent one wins', () => {
    const s = store(4);
    const t = tinyOf(s)!;
    set(s, 'a');
    get(s, 'a', 3); // a: 4 accesses, in the window
    set(s, 'b'); // a drained to probation
    set(s, 'c');
    set(s, 'd');
    assert.deepEqual(keys(s), ['a', 'b', 'c', 'd']);
    assert.equal(t.segmentOf(0, idOf(s, 'a')), SEG_PROBATION);
    assert.equal(t.segmentOf(0, idOf(s, 'd')), SEG_WINDOW);
    assert.equal(t.frequencyOf(0, idOf(s, 'a')), 4);
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
    const t = tinyOf(s)!;
    for (let i = 0; i < 10; i++) set(s, `k${i}`);
    for (let i = 0; i < 9; i++) get(s, `k${i}`);
    const seg = (k: string): number => t.segmentOf(0, idOf(s, k));
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
    s.maxmemory = 1 << 30;
    set(s, 'a');
    get(s, 'a', 2);
    const t = tinyOf(s)!;
    assert.equal(t.frequencyOf(0, idOf(s, 'a')), 3);
    s.dbs[1].setString('b', 'v', 0);
    assert.equal(t.count, 2);
    s.dbs[0].delete('a');
    assert.equal(t.count, 1);
    s.dbs[1].flush();
    assert.equal(t.count, 0);
    assert.deepEqual(t.segBytes, [0, 0, 0, 0]);
    // Switch away and back with keys held: they are adopted, and eviction works on them.
    s.evictionPolicy = 'allkeys-lru';
    assert.equal(tinyOf(s), null);
    for (let i = 0; i < 6; i++) set(s, `k${i}`);
    s.evictionPolicy = 'allkeys-tinylfu';
    const t2 = tinyOf(s)!;
    assert.notEqual(t2, t);
    assert.equal(t2.count, 6);
    s.maxmemory = s.usedMemory - 3 * E;
    assert.equal(s.evictIfNeeded(), true);
    assert.deepEqual(keys(s), ['k3', 'k4', 'k5']);
  });
});

describe('allkeys-tinylfu beyond the ids its handles can name', () => {
  test('keys past the limit are not tracked; eviction takes the others, then refuses, and nothing throws', () => {
    const s = new Store({ databases: 1, clock: new ManualClock() });
    s.policy = new TinyLfuPolicy(s, 27); // 2^(31-27) = 16 ids per database
    s.maxmemory = 1 << 30;
    const t = tinyOf(s)!;
    assert.equal(t.maxIds, 16);
    for (let i = 0; i < 40; i++) set(s, `k${i}`);
    assert.equal(t.count, 16);
    get(s, 'k39', 3); // an untracked key: accesses are ignored
    s.dbs[0].delete('k30');
    s.dbs[0].delete('k3');
    assert.equal(t.count, 15);
    s.maxmemory = s.usedMemory - 100 * E;
    assert.equal(s.evictIfNeeded(), false, 'only untracked keys are left to evict');
    assert.equal(t.count, 0);
    assert.equal(s.keyCount, 23);
    assert.ok(keys(s).every((k) => Number(k.slice(1)) >= 16));
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
      fc.property(fc.integer({ min: 1500, max: 4000 }), fc.array(op, { maxLength: 300 }), (headroom, ops) => {
        const s = new Store({ databases: 2, clock: new ManualClock() });
        s.evictionPolicy = 'allkeys-tinylfu';
        s.maxmemory = 1 << 30;
        // The limit sits above what the empty store holds (index, columns, the policy's arrays).
        const maxmemory = s.usedMemory + headroom;
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
          const t = tinyOf(s);
          if (t !== null) {
            assert.equal(t.count, s.keyCount);
            assert.equal(t.segBytes[1] + t.segBytes[2] + t.segBytes[3], s.dataBytes);
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
