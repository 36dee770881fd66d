// Model tests of the store's public API (Store + Keyspace): string values, TTLs with lazy and active expiry, flushes,
// two databases, stats and byte accounting against a plain Map model on a ManualClock; then under every eviction
// policy and a small maxmemory; then exact eviction-order cases.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../util/clock.js';
import { TYPE_STRING } from './entry.js';
import { EVICTION_POLICIES, Store, type EvictionPolicyName as EvictionPolicy } from './store.js';

const DBS = 2;
/** A small alphabet, so keys collide and get overwritten; binary (latin1) and empty keys included. */
const KEYS = ['', 'a', 'b', 'ab', 'a\x00', '\x00', '\xff', '\x00\xff', '\xfe\xff\x00z', 'user:1000:profile'];
/**
 * The failed assertion's message goes in the report; a failing property's shrinking is capped (a pass takes
 * well under a second), the failure still reported.
 */
const FC_OPTIONS = { includeErrorInReport: true, interruptAfterTimeLimit: 10_000 };
/** activeExpireCycle's time budget: large enough never to cut a cycle short. */
const BIG_BUDGET_MS = 1000;

/** A value: `s` then `n` copies of char `ch` (built at run time, so it shrinks fast and a failing case prints short). */
type Val = { s: string; ch: number; n: number };
/** setString's TTL: none (0), keep (-1), or an absolute time `rel` ms from now (<= 0: already expired). */
type Ttl = { kind: 'none' } | { kind: 'keep' } | { kind: 'at'; rel: number };

type Op =
  | { op: 'set'; db: number; k: number; v: Val; ttl: Ttl }
  | { op: 'get' | 'getw' | 'peek' | 'del'; db: number; k: number }
  /** lookupWrite + setExpireAt(e, now + rel), rel 0 = persist. */
  | { op: 'expire'; db: number; k: number; rel: number }
  | { op: 'advance'; ms: number }
  | { op: 'cycle' }
  | { op: 'scan'; db: number; count: number }
  /** Peeks every key the model has, so every expired key is reclaimed: size is then exact. */
  | { op: 'reclaim' }
  | { op: 'flush'; db: number }
  | { op: 'flushAll' };

const latin1 = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const value: fc.Arbitrary<Val> = fc.record({
  s: fc.string({ unit: latin1, maxLength: 8 }),
  ch: fc.integer({ min: 0, max: 255 }),
  // Lengths 0..300, and now and then a large value (20-70 KB).
  n: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 20000, max: 70000 }) }),
});
/**
 * Times partly on a 1 s grid, so TTLs and clock advances often meet exactly (expireAt === now is
 * expired).
 */
const grid = (max: number) => fc.integer({ min: 0, max: max / 1000 }).map((n) => n * 1000);
const future = fc.oneof(fc.integer({ min: 1, max: 10000 }), grid(10000).filter((n) => n > 0));
const ttl: fc.Arbitrary<Ttl> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'keep' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('at' as const), rel: future }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('at' as const), rel: fc.integer({ min: -5000, max: 0 }) }) },
);
const db = fc.nat(DBS - 1);
const k = fc.nat(KEYS.length - 1);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ op: fc.constant('set' as const), db, k, v: value, ttl }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('get' as const), db, k }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('getw' as const), db, k }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('peek' as const), db, k }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('del' as const), db, k }) },
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('expire' as const), db, k, rel: fc.oneof(fc.constant(0), future) }),
  },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 5000 }), grid(5000)) }) },
  { weight: 3, arbitrary: fc.constant({ op: 'cycle' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('scan' as const), db, count: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'reclaim' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('flush' as const), db }) },
  { weight: 1, arbitrary: fc.constant({ op: 'flushAll' as const }) },
);

function materialize(v: Val): string {
  return v.s + String.fromCharCode(v.ch).repeat(v.n);
}

interface ModelEntry {
  value: string;
  /** Absolute ms, 0 for none. At or before now: expired, and perhaps still lingering in the store. */
  expireAt: number;
}

interface Limits {
  policy: EvictionPolicy;
  /** maxmemory above the empty store's usedMemory. */
  headroom: number;
  samples: number;
}

/**
 * The store beside its model. The model holds, per database, every key the store may hold: live ones
 * (which the store must hold with the same value and TTL, unless evicted) and expired ones, which the store
 * may still hold until it reclaims them lazily or actively. Which expired keys linger is not modelled key by
 * key; only their number P = size - live is, per database, which also pins how the counters must move:
 * per settle, evicted + expired grows by the live keys that vanished plus the lingering keys that did (a
 * change in P), within a slack for the cases where either counting is right (overwriting an expired key,
 * SET with a time in the past).
 */
class Harness {
  readonly clock = new ManualClock();
  readonly store = new Store({ databases: DBS, clock: this.clock });
  readonly model: Map<string, ModelEntry>[] = Array.from({ length: DBS }, () => new Map<string, ModelEntry>());
  /** usedMemory of the empty store. */
  readonly base: number;
  readonly canEvict: boolean;
  readonly volatileOnly: boolean;
  readonly limited: boolean;
  private lastP: number[] = new Array<number>(DBS).fill(0);
  private lastPSum = 0;
  private lastRemoved = 0;
  private lastEvicted = 0;
  private hits = 0;
  private misses = 0;
  private liveMissingTotal = 0;
  // Since the last settle:
  private newLingering = 0;
  private slack = 0;
  private flushedPresent = 0;

  constructor(limits?: Limits) {
    const s = this.store;
    if (limits !== undefined) {
      s.evictionPolicy = limits.policy;
      s.maxmemorySamples = limits.samples;
      s.maxmemory = limits.headroom;
      // The limit is set above what the empty store holds (in case the engine counts its own structures).
      s.maxmemory = s.usedMemory + limits.headroom;
      assert.equal(s.evictionPolicy, limits.policy);
    }
    this.base = s.usedMemory;
    assert.ok(Number.isFinite(this.base) && this.base >= 0, `usedMemory ${this.base} of an empty store`);
    this.limited = s.maxmemory !== 0;
    this.canEvict = this.limited && s.evictionPolicy !== 'noeviction';
    this.volatileOnly = s.evictionPolicy.startsWith('volatile-');
  }

  private live(m: ModelEntry): boolean {
    return m.expireAt === 0 || m.expireAt > this.clock.now();
  }

  /** The server's call before a command (and the test's after a write). */
  private evict(where: string): boolean {
    const s = this.store;
    const fits = s.evictIfNeeded();
    if (fits) {
      assert.ok(s.usedMemory <= s.maxmemory || s.maxmemory === 0, `${where}: evictIfNeeded() true with ${s.usedMemory} > ${s.maxmemory}`);
    } else {
      assert.ok(s.usedMemory > s.maxmemory, `${where}: evictIfNeeded() false with ${s.usedMemory} <= ${s.maxmemory}`);
      assert.ok(s.evictionPolicy === 'noeviction' || this.volatileOnly, `${where}: ${s.evictionPolicy} could not evict`);
      if (this.volatileOnly) {
        for (const d of s.dbs) assert.equal(d.volatileCount, 0, `${where}: ${s.evictionPolicy} gave up with keys with a TTL left`);
      }
    }
    this.settle(where);
    return fits;
  }

  apply(o: Op, step: number): void {
    const s = this.store;
    const where = `step ${step} (${o.op})`;
    if (this.limited) {
      const fits = this.evict(`${where}, before`);
      if (o.op === 'set' && !fits) return; // OOM: the server refuses the write
    }
    const now = this.clock.now();
    const mem0 = s.usedMemory;
    let expectExact = false;
    switch (o.op) {
      case 'set': {
        const key = KEYS[o.k];
        const m = this.model[o.db];
        const v = materialize(o.v);
        const old = m.get(key);
        const oldLive = old !== undefined && this.live(old);
        // An expired key being overwritten: reusing it and expiring-then-creating are both right.
        if (old !== undefined && !oldLive) this.slack++;
        const at = o.ttl.kind === 'none' ? 0 : o.ttl.kind === 'keep' ? -1 : now + o.ttl.rel;
        const e = s.dbs[o.db].setString(key, v, at);
        assert.equal(e.key, key, where);
        const expireAt = at === -1 ? (oldLive ? old.expireAt : 0) : at;
        m.set(key, { value: v, expireAt });
        if (expireAt !== 0 && expireAt <= now) {
          // Set already expired (SET PXAT in the past): may linger, or be deleted counted or not.
          this.newLingering++;
          this.slack++;
        } else {
          assert.ok(e.value === v, `${where}: setString returned an entry with another value`);
          assert.equal(e.type, TYPE_STRING, where);
          assert.equal(e.expireAt, expireAt, where);
        }
        break;
      }
      case 'get':
      case 'getw':
      case 'peek': {
        const key = KEYS[o.k];
        const m = this.model[o.db];
        const me = m.get(key);
        const d = s.dbs[o.db];
        const e = o.op === 'get' ? d.lookupRead(key) : o.op === 'getw' ? d.lookupWrite(key) : d.peek(key);
        if (me !== undefined && this.live(me)) {
          assert.ok(e !== undefined, `${where}: live key ${JSON.stringify(key)} not found`);
          assert.equal(e.key, key);
          assert.equal(e.type, TYPE_STRING);
          assert.ok(e.value === me.value, `${where}: ${JSON.stringify(key)} holds a different value`);
          assert.equal(e.expireAt, me.expireAt, where);
          assert.equal(s.usedMemory, mem0, `${where}: a read changed usedMemory`);
          if (o.op === 'get') this.hits++;
        } else {
          assert.equal(e, undefined, `${where}: ${JSON.stringify(key)} should be absent or expired`);
          if (o.op === 'get') this.misses++;
          m.delete(key);
        }
        break;
      }
      case 'del': {
        const key = KEYS[o.k];
        const m = this.model[o.db];
        const me = m.get(key);
        assert.equal(s.dbs[o.db].delete(key), me !== undefined && this.live(me), where);
        m.delete(key);
        assert.ok(s.usedMemory <= mem0, `${where}: delete grew usedMemory`);
        break;
      }
      case 'expire': {
        const key = KEYS[o.k];
        const m = this.model[o.db];
        const me = m.get(key);
        const e = s.dbs[o.db].lookupWrite(key);
        if (me !== undefined && this.live(me)) {
          assert.ok(e !== undefined, `${where}: live key ${JSON.stringify(key)} not found`);
          const at = o.rel === 0 ? 0 : now + o.rel;
          s.dbs[o.db].setExpireAt(e, at);
          assert.equal(e.expireAt, at, where);
          m.set(key, { value: me.value, expireAt: at });
        } else {
          assert.equal(e, undefined, where);
          m.delete(key);
        }
        break;
      }
      case 'advance': {
        const then = now + o.ms;
        for (const m of this.model) for (const me of m.values()) if (me.expireAt > now && me.expireAt <= then) this.newLingering++;
        this.clock.advance(o.ms);
        assert.equal(s.usedMemory, mem0, where);
        break;
      }
      case 'cycle': {
        const expired0 = s.stats.expiredKeys;
        const lingering = this.lastP.reduce((a, b) => a + b, 0);
        const n = s.activeExpireCycle(BIG_BUDGET_MS);
        assert.equal(n, s.stats.expiredKeys - expired0, `${where}: return value vs expired_keys`);
        assert.ok(n <= lingering, `${where}: expired ${n} keys, only ${lingering} could have been`);
        assert.ok(s.usedMemory <= mem0, where);
        // A database whose keys with a TTL have all expired is cleared of them (every sample is all expired).
        for (let i = 0; i < DBS; i++) {
          let liveTtl = 0;
          for (const me of this.model[i].values()) if (me.expireAt !== 0 && this.live(me)) liveTtl++;
          if (liveTtl === 0) assert.equal(s.dbs[i].volatileCount, 0, `${where}: db ${i} kept expired keys`);
        }
        break;
      }
      case 'scan': {
        const d = s.dbs[o.db];
        const m = this.model[o.db];
        const seen = new Set<string>();
        let cursor = 0;
        let calls = 0;
        do {
          cursor = d.scan(cursor, o.count, (e) => {
            const me = m.get(e.key);
            assert.ok(me !== undefined && this.live(me), `${where}: scan returned ${JSON.stringify(e.key)}, not live`);
            assert.ok(e.value === me.value, `${where}: scan gave ${JSON.stringify(e.key)} a different value`);
            seen.add(e.key);
          });
          assert.ok(++calls < 10000, `${where}: scan does not terminate`);
        } while (cursor !== 0);
        for (const [key, me] of m) if (this.live(me)) assert.ok(seen.has(key), `${where}: scan missed ${JSON.stringify(key)}`);
        assert.ok(s.usedMemory <= mem0, where);
        break;
      }
      case 'reclaim': {
        for (let i = 0; i < DBS; i++) {
          for (const [key, me] of this.model[i]) {
            const e = s.dbs[i].peek(key);
            if (this.live(me)) assert.ok(e !== undefined, `${where}: live key ${JSON.stringify(key)} not found`);
            else {
              assert.equal(e, undefined, where);
              this.model[i].delete(key);
            }
          }
        }
        expectExact = true;
        break;
      }
      case 'flush':
      case 'flushAll': {
        const which = o.op === 'flush' ? [o.db] : [...Array(DBS).keys()];
        const held = s.dbs[which[0]].size;
        const live = held - this.lastP[which[0]];
        for (const i of which) {
          this.flushedPresent += this.lastP[i];
          this.model[i].clear();
        }
        if (o.op === 'flush') {
          const n = s.dbs[o.db].flush();
          assert.ok(n >= live && n <= held, `${where}: flush() says ${n} keys, ${live} live and ${held} held`);
        } else {
          s.flushAll();
        }
        for (const i of which) assert.equal(s.dbs[i].size, 0, where);
        break;
      }
    }
    if (this.limited && (o.op === 'set' || o.op === 'expire')) this.evict(`${where}, after`);
    else this.settle(where);
    if (expectExact) {
      for (let i = 0; i < DBS; i++) {
        let live = 0;
        let liveTtl = 0;
        for (const me of this.model[i].values()) {
          live++;
          if (me.expireAt !== 0) liveTtl++;
        }
        assert.equal(s.dbs[i].size, live, `${where}: db ${i} size after peeking every key`);
        assert.equal(s.dbs[i].volatileCount, liveTtl, `${where}: db ${i} volatileCount after peeking every key`);
      }
    }
  }

  /** Checks the store against the model; notices evicted keys. */
  settle(where: string): void {
    const s = this.store;
    const stats = s.stats;
    let liveMissing = 0;
    let raw = 0;
    let sumP = 0;
    let sumSize = 0;
    for (let i = 0; i < DBS; i++) {
      const d = s.dbs[i];
      const m = this.model[i];
      let live = 0;
      let liveTtl = 0;
      let lingering = 0;
      for (const [key, me] of m) {
        if (!this.live(me)) {
          lingering++;
          continue;
        }
        const e = d.peek(key);
        if (e === undefined) {
          assert.ok(this.canEvict, `${where}: db ${i} lost live key ${JSON.stringify(key)} (no eviction possible)`);
          if (this.volatileOnly) assert.notEqual(me.expireAt, 0, `${where}: ${s.evictionPolicy} evicted ${JSON.stringify(key)}, which has no TTL`);
          m.delete(key);
          liveMissing++;
          continue;
        }
        assert.equal(e.key, key, where);
        assert.equal(e.type, TYPE_STRING, where);
        assert.ok(e.value === me.value, `${where}: db ${i} ${JSON.stringify(key)} holds a different value`);
        assert.equal(e.expireAt, me.expireAt, `${where}: db ${i} ${JSON.stringify(key)} expireAt`);
        live++;
        if (me.expireAt !== 0) liveTtl++;
        raw += key.length + me.value.length;
      }
      const size = d.size;
      const p = size - live;
      assert.ok(p >= 0 && p <= lingering, `${where}: db ${i} size ${size}, ${live} live keys and ${lingering} expired ones`);
      assert.ok(d.volatileCount >= liveTtl && d.volatileCount <= liveTtl + p, `${where}: db ${i} volatileCount ${d.volatileCount}, ${liveTtl} live with a TTL, ${p} expired`);
      if (p === 0) for (const [key, me] of m) if (!this.live(me)) m.delete(key); // none linger
      this.lastP[i] = p;
      sumP += p;
      sumSize += size;
    }
    assert.equal(s.keyCount, sumSize, where);

    // Counters: live keys vanish only by eviction; lingering ones by eviction or expiry.
    const removed = stats.evictedKeys + stats.expiredKeys;
    const x = removed - this.lastRemoved;
    const evicted = stats.evictedKeys - this.lastEvicted;
    const prevP = this.lastPSum;
    const expected = liveMissing + prevP + this.newLingering - sumP - this.flushedPresent;
    assert.ok(
      x <= expected && x >= expected - this.slack,
      `${where}: evicted+expired grew by ${x}, expected ${expected - this.slack}..${expected} (${liveMissing} live keys gone, lingering ${prevP} -> ${sumP})`,
    );
    assert.ok(evicted >= liveMissing, `${where}: ${liveMissing} live keys gone, ${evicted} evictions counted`);
    if (!this.canEvict) assert.equal(evicted, 0, `${where}: evicted_keys grew with no eviction possible`);
    assert.equal(stats.hits, this.hits, `${where}: hits`);
    assert.equal(stats.misses, this.misses, `${where}: misses`);
    this.liveMissingTotal += liveMissing;
    this.lastRemoved = removed;
    this.lastEvicted = stats.evictedKeys;
    this.lastPSum = sumP;
    this.newLingering = 0;
    this.slack = 0;
    this.flushedPresent = 0;

    // Bytes: never below the empty store, no key or value bytes left when empty (the index and
    // columns keep the size they grew to until a flush), at least the keys and values held.
    const used = s.usedMemory;
    assert.ok(Number.isFinite(used) && used >= this.base, `${where}: usedMemory ${used} < ${this.base}`);
    if (sumSize === 0) assert.equal(s.dataBytes, 0, `${where}: key and value bytes of an empty store`);
    assert.ok(used - this.base >= raw, `${where}: usedMemory ${used} counts less than the ${raw} bytes of keys and values`);
  }

  /** Deletes every key (or flushes): the store must be back to its empty state. */
  finish(byFlush: boolean): void {
    const s = this.store;
    if (byFlush) s.flushAll();
    else for (let i = 0; i < DBS; i++) for (const key of this.model[i].keys()) s.dbs[i].delete(key);
    for (const d of s.dbs) {
      assert.equal(d.size, 0);
      assert.equal(d.volatileCount, 0);
    }
    assert.equal(s.keyCount, 0);
    assert.equal(s.dataBytes, 0, `key and value bytes ${s.dataBytes} after ${byFlush ? 'flushing' : 'deleting'} everything`);
    // A flush also gives the index, columns and TTL index back.
    if (byFlush) assert.equal(s.usedMemory, this.base, `usedMemory ${s.usedMemory} after flushing, ${this.base} when fresh`);
    if (!this.canEvict) assert.equal(s.stats.evictedKeys, 0);
    assert.ok(this.liveMissingTotal <= s.stats.evictedKeys);
  }
}

function run(ops: Op[], byFlush: boolean, limits?: Limits): void {
  const h = new Harness(limits);
  ops.forEach((o, i) => h.apply(o, i));
  h.finish(byFlush);
}

describe('Store model', () => {
  test('strings, TTLs, lazy and active expiry, flushes and byte accounting match a Map model', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60, size: 'max' }), fc.boolean(), (ops, byFlush) => run(ops, byFlush)),
      { ...FC_OPTIONS, numRuns: 200 },
    );
  });

  test('a key is expired from exactly its expireAt, on every path', () => {
    for (const path of ['lookupRead', 'lookupWrite', 'peek', 'delete', 'scan', 'cycle', 'keepTtl'] as const) {
      const clock = new ManualClock();
      const s = new Store({ databases: DBS, clock });
      const d = s.dbs[1];
      d.setString('k', 'v', clock.now() + 1000);
      clock.advance(999);
      assert.equal(d.peek('k')?.value, 'v', path);
      clock.advance(1);
      switch (path) {
        case 'lookupRead':
          assert.equal(d.lookupRead('k'), undefined);
          assert.equal(s.stats.misses, 1);
          assert.equal(s.stats.hits, 0);
          break;
        case 'lookupWrite':
          assert.equal(d.lookupWrite('k'), undefined);
          break;
        case 'peek':
          assert.equal(d.peek('k'), undefined);
          break;
        case 'delete':
          assert.equal(d.delete('k'), false);
          break;
        case 'scan': {
          const seen: string[] = [];
          let cursor = 0;
          do cursor = d.scan(cursor, 10, (e) => seen.push(e.key));
          while (cursor !== 0);
          assert.deepEqual(seen, []);
          break;
        }
        case 'cycle':
          assert.equal(s.activeExpireCycle(BIG_BUDGET_MS), 1);
          break;
        case 'keepTtl': {
          // SET KEEPTTL on an expired key: a new key, without the old TTL.
          const e = d.setString('k', 'w', -1);
          assert.equal(e.expireAt, 0);
          assert.equal(d.peek('k')?.value, 'w');
          assert.equal(d.volatileCount, 0);
          assert.equal(d.size, 1);
          continue;
        }
      }
      if (path !== 'scan') {
        assert.equal(d.size, 0, path);
        assert.equal(d.volatileCount, 0, path);
        assert.equal(s.stats.expiredKeys, 1, path);
        assert.equal(s.dataBytes, 0, path);
      }
    }
  });

  test('an active expiry cycle reclaims every key once all keys with a TTL have expired', () => {
    const h = new Harness();
    const s = h.store;
    for (let i = 0; i < 50; i++) s.dbs[i % DBS].setString(`t${i}`, 'x'.repeat(i), h.clock.now() + 1000 + i);
    for (let i = 0; i < 10; i++) s.dbs[i % DBS].setString(`p${i}`, 'y', 0);
    const used = s.usedMemory;
    assert.equal(s.activeExpireCycle(BIG_BUDGET_MS), 0);
    assert.equal(s.usedMemory, used);
    h.clock.advance(1049);
    assert.equal(s.keyCount, 60); // expired keys linger until reclaimed
    assert.equal(s.activeExpireCycle(BIG_BUDGET_MS), 50);
    assert.equal(s.stats.expiredKeys, 50);
    assert.equal(s.keyCount, 10);
    for (const d of s.dbs) assert.equal(d.volatileCount, 0);
    for (let i = 0; i < 10; i++) assert.equal(s.dbs[i % DBS].delete(`p${i}`), true);
    assert.equal(s.dataBytes, 0);
    s.flushAll();
    assert.equal(s.usedMemory, h.base);
  });
});

describe('Store model under maxmemory', () => {
  const headroom = fc.oneof(fc.integer({ min: 1000, max: 4000 }), fc.integer({ min: 4000, max: 20000 }));
  for (const policy of EVICTION_POLICIES) {
    test(`${policy}: survivors hold their values and TTLs, evictions are counted and keep usedMemory <= maxmemory`, () => {
      fc.assert(
        fc.property(
          fc.array(op, { maxLength: 60, size: 'max' }),
          fc.boolean(),
          headroom,
          fc.integer({ min: 1, max: 16 }),
          (ops, byFlush, room, samples) => run(ops, byFlush, { policy, headroom: room, samples }),
        ),
        { ...FC_OPTIONS, numRuns: 150 },
      );
    });
  }
});

describe('Eviction order', () => {
  function store(policy: EvictionPolicy): { s: Store; clock: ManualClock } {
    const clock = new ManualClock();
    const s = new Store({ databases: DBS, clock });
    s.evictionPolicy = policy;
    s.maxmemorySamples = 64; // with 3-5 keys, sampling sees every key (a miss is ~(3/4)^64)
    return { s, clock };
  }
  /** Lowers maxmemory by one byte below what is held: one eviction is enough. */
  function shrinkByOne(s: Store): boolean {
    s.maxmemory = s.usedMemory - 1;
    return s.evictIfNeeded();
  }
  function held(s: Store): string[] {
    const out: string[] = [];
    for (const d of s.dbs) for (const k of ['a', 'b', 'c', 'd', 'e', 'n1', 'n2', 'n3', 't1', 't2']) if (d.peek(k) !== undefined) out.push(`${d.id}:${k}`);
    return out;
  }

  test('allkeys-lru evicts the least recently accessed key, in any database', () => {
    const { s, clock } = store('allkeys-lru');
    for (const k of ['a', 'b', 'c']) {
      s.dbs[0].setString(k, 'v', 0);
      clock.advance(10_000);
    }
    s.dbs[1].setString('d', 'v', 0);
    clock.advance(10_000);
    for (let i = 0; i < 50; i++) s.dbs[0].lookupRead('b'); // frequent, but longest ago
    for (const k of ['a', 'c']) {
      clock.advance(10_000);
      s.dbs[0].lookupRead(k);
    }
    clock.advance(10_000);
    s.dbs[1].lookupRead('d');
    assert.equal(shrinkByOne(s), true);
    assert.deepEqual(held(s), ['0:a', '0:c', '1:d']);
    assert.equal(s.stats.evictedKeys, 1);
    assert.ok(s.usedMemory <= s.maxmemory);
    clock.advance(10_000);
    s.dbs[0].lookupWrite('a'); // a write access counts too: c is now the oldest
    assert.equal(shrinkByOne(s), true);
    assert.deepEqual(held(s), ['0:a', '1:d']);
    // The oldest may be in database 1.
    clock.advance(10_000);
    s.dbs[0].lookupRead('a');
    assert.equal(shrinkByOne(s), true);
    assert.deepEqual(held(s), ['0:a']);
    assert.equal(s.stats.evictedKeys, 3);
  });

  test('allkeys-lfu evicts the least frequently used key, even if it was accessed last', () => {
    const { s, clock } = store('allkeys-lfu');
    for (const k of ['a', 'b', 'c', 'd']) s.dbs[0].setString(k, 'v', 0);
    for (let i = 0; i < 1000; i++) for (const k of ['a', 'c', 'd']) s.dbs[0].lookupRead(k);
    clock.advance(1000);
    s.dbs[0].lookupRead('b');
    assert.equal(shrinkByOne(s), true);
    assert.deepEqual(held(s), ['0:a', '0:c', '0:d']);
    assert.equal(s.stats.evictedKeys, 1);
  });

  test('allkeys-lfu keeps the one hot key to the last', () => {
    const { s, clock } = store('allkeys-lfu');
    for (const k of ['a', 'b', 'c', 'd']) s.dbs[k === 'd' ? 1 : 0].setString(k, 'v', 0);
    for (let i = 0; i < 1000; i++) s.dbs[0].lookupRead('c');
    clock.advance(1000);
    for (const k of ['a', 'b']) s.dbs[0].lookupRead(k);
    s.dbs[1].lookupRead('d');
    for (let i = 0; i < 3; i++) assert.equal(shrinkByOne(s), true);
    assert.deepEqual(held(s), ['0:c']);
    assert.equal(s.stats.evictedKeys, 3);
  });

  test('volatile-ttl evicts the nearest expiry first and never a key without a TTL', () => {
    const { s, clock } = store('volatile-ttl');
    const now = clock.now();
    s.dbs[0].setString('a', 'v', 0);
    s.dbs[0].setString('b', 'v', now + 30_000);
    s.dbs[1].setString('c', 'v', now + 10_000);
    s.dbs[0].setString('d', 'v', now + 20_000);
    assert.equal(shrinkByOne(s), true);
    assert.deepEqual(held(s), ['0:a', '0:b', '0:d']);
    assert.equal(shrinkByOne(s), true);
    assert.deepEqual(held(s), ['0:a', '0:b']);
    assert.equal(shrinkByOne(s), true);
    assert.deepEqual(held(s), ['0:a']);
    assert.equal(shrinkByOne(s), false, 'only a key without a TTL is left');
    assert.deepEqual(held(s), ['0:a']);
    assert.equal(s.stats.evictedKeys, 3);
  });

  test('volatile-lru evicts the least recently used key with a TTL, not the older one without', () => {
    const { s, clock } = store('volatile-lru');
    const now = clock.now();
    s.dbs[0].setString('n1', 'v', 0);
    clock.advance(10_000);
    s.dbs[0].setString('t1', 'v', now + 600_000);
    clock.advance(10_000);
    s.dbs[1].setString('t2', 'v', now + 600_000);
    assert.equal(shrinkByOne(s), true);
    assert.deepEqual(held(s), ['0:n1', '1:t2']);
  });

  for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'] as const) {
    test(`${policy} evicts only keys with a TTL, then gives up`, () => {
      const { s, clock } = store(policy);
      const now = clock.now();
      for (const k of ['n1', 'n2', 'n3']) s.dbs[0].setString(k, 'v', 0); // oldest, least used
      clock.advance(10_000);
      s.dbs[0].setString('t1', 'v', now + 600_000);
      s.dbs[1].setString('t2', 'v', now + 700_000);
      for (let i = 0; i < 100; i++) for (const [d, k] of [[0, 't1'], [1, 't2']] as const) s.dbs[d].lookupRead(k);
      s.maxmemory = 1;
      assert.equal(s.evictIfNeeded(), false);
      assert.deepEqual(held(s), ['0:n1', '0:n2', '0:n3']);
      assert.equal(s.stats.evictedKeys, 2);
      for (const d of s.dbs) assert.equal(d.volatileCount, 0);
      assert.ok(s.usedMemory > s.maxmemory);
    });
  }

  test('noeviction never evicts: evictIfNeeded() is false while over the limit', () => {
    const { s } = store('noeviction');
    for (const k of ['a', 'b', 'c']) s.dbs[0].setString(k, 'v', 0);
    s.dbs[1].setString('d', 'v', s.clock.now() + 10_000);
    const used = s.usedMemory;
    s.maxmemory = used;
    assert.equal(s.evictIfNeeded(), true, 'at the limit is within it');
    s.maxmemory = 1;
    assert.equal(s.evictIfNeeded(), false);
    assert.equal(s.usedMemory, used);
    assert.deepEqual(held(s), ['0:a', '0:b', '0:c', '1:d']);
    assert.equal(s.stats.evictedKeys, 0);
    s.maxmemory = 0;
    assert.equal(s.evictIfNeeded(), true, 'no limit');
  });

  test('allkeys-random evicts one key per byte over, and can empty the store', () => {
    const { s } = store('allkeys-random');
    const empty = s.usedMemory;
    for (const k of ['a', 'b', 'c']) s.dbs[0].setString(k, 'v', 0);
    s.dbs[1].setString('d', 'v', 0);
    s.maxmemory = s.usedMemory;
    assert.equal(s.evictIfNeeded(), true, 'at the limit is within it');
    assert.equal(s.keyCount, 4);
    assert.equal(shrinkByOne(s), true);
    assert.equal(s.keyCount, 3);
    assert.equal(s.stats.evictedKeys, 1);
    s.maxmemory = Math.max(1, empty); // what the empty store holds (0 would mean no limit)
    assert.equal(s.evictIfNeeded(), true);
    assert.equal(s.keyCount, 0);
    assert.equal(s.stats.evictedKeys, 4);
    assert.equal(s.usedMemory, empty);
  });
});
