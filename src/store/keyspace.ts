// One logical database: the key -> entry map, TTLs with lazy expiry, the dense arrays that make
// random sampling O(1) (eviction, active expiry, RANDOMKEY), and byte accounting.
//
// Dense arrays: `all` holds every entry and `volatile` every entry with a TTL; each entry knows
// its index in both, and removal swaps the last element into the hole. SCAN walks `all` from the
// top down: a removal only moves an element from the top (already visited, or about to be) into
// a lower slot, so every key present for the whole scan is returned at least once, as Redis
// guarantees; a key may be returned twice, also as in Redis.

import type { Clock } from '../util/clock.js';
import { Entry, TYPE_HASH, TYPE_STRING, entryBytes, type CollectionValue, type HashValue, type ValueType } from './entry.js';
import type { StoreStats } from './stats.js';
import { LeaseTable } from './leases.js';

/** Called with a key whose value changed, for WATCH. */
export type KeyModifiedHook = (db: number, key: string) => void;

/** A key's cluster hash slot (injected: the store knows nothing of clusters). */
export type SlotOf = (key: string) => number;

export class Keyspace {
  private readonly map = new Map<string, Entry>();
  private readonly all: Entry[] = [];
  private readonly volatile: Entry[] = [];
  /** Keys per cluster hash slot (CLUSTER COUNTKEYSINSLOT), kept only when slotOf is given. */
  private readonly slotCounts: Uint32Array | null;
  /** Cache-aside leases (CACHE.GET/SET): voided by any write to their key. */
  readonly leases: LeaseTable;

  constructor(
    readonly id: number,
    private readonly clock: Clock,
    private readonly stats: StoreStats,
    private readonly slotOf: SlotOf | null = null,
    slotCount = 16384,
  ) {
    this.slotCounts = slotOf === null ? null : new Uint32Array(slotCount);
    this.leases = new LeaseTable(clock, stats);
  }

  get size(): number {
    return this.map.size;
  }

  get volatileCount(): number {
    return this.volatile.length;
  }

  /** Looks a key up for reading: expired keys are deleted, hits and misses counted, access noted. */
  lookupRead(key: string): Entry | undefined {
    const e = this.map.get(key);
    if (e === undefined) {
      this.stats.misses++;
      return undefined;
    }
    if (e.expireAt !== 0 && e.expireAt <= this.clock.now()) {
      this.expire(e);
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.stats.touch(e);
    return e;
  }

  /** Looks a key up for writing: expired keys are deleted; no hit/miss counted. */
  lookupWrite(key: string): Entry | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.expireAt !== 0 && e.expireAt <= this.clock.now()) {
      this.expire(e);
      return undefined;
    }
    this.stats.touch(e);
    return e;
  }

  /** Existence check without side effects other than lazy expiry (EXISTS, TYPE, TTL...). */
  peek(key: string): Entry | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.expireAt !== 0 && e.expireAt <= this.clock.now()) {
      this.expire(e);
      return undefined;
    }
    return e;
  }

  /**
   * Sets a string value. `expireAt`: absolute ms, 0 for no TTL, -1 to keep the existing TTL.
   * Returns the entry.
   */
  setString(key: string, value: string, expireAt: number): Entry {
    let e = this.map.get(key);
    if (e !== undefined) {
      const before = e.bytes;
      e.type = TYPE_STRING;
      e.value = value;
      e.staleAt = 0;
      if (expireAt !== -1) this.setExpireAt(e, expireAt);
      else if (e.expireAt !== 0 && e.expireAt <= this.clock.now()) this.setExpireAt(e, 0);
      e.bytes = entryBytes(e);
      this.stats.usedBytes += e.bytes - before;
    } else {
      e = new Entry(key, TYPE_STRING, value);
      this.insert(e);
      if (expireAt > 0) this.setExpireAt(e, expireAt);
    }
    this.stats.touch(e);
    this.modified(key);
    return e;
  }

  /** Adds a new, empty-valued entry of a type (the caller fills it and calls changed()). */
  create(key: string, type: ValueType, value: string | HashValue | CollectionValue): Entry {
    const old = this.map.get(key);
    if (old !== undefined) this.remove(old);
    const e = new Entry(key, type, value);
    this.insert(e);
    this.stats.touch(e);
    return e;
  }

  /** Call after changing an entry's value in place: re-accounts bytes and signals WATCH. */
  changed(e: Entry, byteDelta?: number): void {
    if (byteDelta === undefined) {
      const before = e.bytes;
      e.bytes = entryBytes(e);
      this.stats.usedBytes += e.bytes - before;
    } else {
      e.bytes += byteDelta;
      this.stats.usedBytes += byteDelta;
    }
    this.modified(e.key);
  }

  /** Deletes a live key; returns whether it existed. */
  delete(key: string): boolean {
    const e = this.peek(key);
    if (e === undefined) {
      // A delete is an invalidation even with no value: a load in flight must not write back.
      if (this.leases.size !== 0) this.leases.void(key);
      return false;
    }
    this.remove(e);
    this.modified(key);
    return true;
  }

  /** Removes an entry that is known to be in this keyspace (no WATCH signal). */
  remove(e: Entry): void {
    this.map.delete(e.key);
    if (this.slotCounts !== null) this.slotCounts[this.slotOf!(e.key)]--;
    removeAt(this.all, e, false);
    if (e.volatileIndex >= 0) removeAt(this.volatile, e, true);
    this.stats.usedBytes -= e.bytes;
    if (this.stats.tinylfu !== null) this.stats.tinylfu.remove(e);
  }

  /** Sets or clears (0) an entry's TTL. A time in the past deletes the key. */
  setExpireAt(e: Entry, at: number): void {
    if (at === 0) {
      if (e.volatileIndex >= 0) removeAt(this.volatile, e, true);
      e.expireAt = 0;
      return;
    }
    e.expireAt = at;
    if (e.volatileIndex < 0) {
      e.volatileIndex = this.volatile.length;
      this.volatile.push(e);
    }
  }

  /** Deletes an entry whose TTL passed, counting it as expired. */
  expire(e: Entry): void {
    this.remove(e);
    this.stats.expiredKeys++;
    // WATCH sees an expiry as a change; a lease does not: the load it stands for is still wanted.
    if (this.onModified !== null) this.onModified(this.id, e.key);
  }

  randomEntry(): Entry | undefined {
    // Expired keys found by sampling are reclaimed; give up after a bounded number of tries.
    for (let tries = 0; tries < 100 && this.all.length > 0; tries++) {
      const e = this.all[(Math.random() * this.all.length) | 0];
      if (e.expireAt !== 0 && e.expireAt <= this.clock.now()) {
        this.expire(e);
        continue;
      }
      return e;
    }
    return this.all.length > 0 ? this.all[(Math.random() * this.all.length) | 0] : undefined;
  }

  /** A random entry for eviction: from all keys, or only keys with a TTL. */
  sample(volatileOnly: boolean): Entry | undefined {
    const arr = volatileOnly ? this.volatile : this.all;
    if (arr.length === 0) return undefined;
    return arr[(Math.random() * arr.length) | 0];
  }

  /**
   * One active-expiry pass: samples up to `count` keys with a TTL and deletes the expired ones.
   * Returns [sampled, expired].
   */
  expireSample(count: number, now: number, out: [number, number]): void {
    const vol = this.volatile;
    let sampled = 0;
    let expired = 0;
    for (let i = 0; i < count && vol.length > 0; i++) {
      const e = vol[(Math.random() * vol.length) | 0];
      sampled++;
      if (e.expireAt <= now) {
        this.expire(e);
        expired++;
      }
    }
    out[0] = sampled;
    out[1] = expired;
  }

  /**
   * SCAN step: visits up to `count` slots below `cursor` (0 starts from the top) and returns the
   * next cursor (0 when done). Expired keys are skipped.
   */
  scan(cursor: number, count: number, visit: (e: Entry) => void): number {
    let top = cursor === 0 ? this.all.length : Math.min(cursor, this.all.length);
    const now = this.clock.now();
    const stop = Math.max(0, top - count);
    const batch: Entry[] = [];
    while (top > stop) batch.push(this.all[--top]);
    for (const e of batch) {
      if (e.expireAt !== 0 && e.expireAt <= now) continue;
      visit(e);
    }
    return top;
  }

  /** Every live key (KEYS); expired ones are skipped, not reclaimed. */
  forEachLive(visit: (e: Entry) => void): void {
    const now = this.clock.now();
    for (const e of this.map.values()) {
      if (e.expireAt !== 0 && e.expireAt <= now) continue;
      visit(e);
    }
  }

  /** Keys held in a cluster hash slot, expired ones included until reclaimed (as Redis). */
  countInSlot(slot: number): number {
    return this.slotCounts === null ? 0 : this.slotCounts[slot];
  }

  /**
   * Up to `count` live keys of a slot. A walk over the keyspace that stops as soon as it has
   * found every key the slot holds: the engine keeps no per-slot key list yet.
   */
  keysInSlot(slot: number, count: number): string[] {
    const out: string[] = [];
    const slotOf = this.slotOf;
    if (slotOf === null || count <= 0) return out;
    let remaining = this.slotCounts![slot];
    const now = this.clock.now();
    for (const e of this.map.values()) {
      if (out.length >= count || remaining === 0) break;
      if (slotOf(e.key) !== slot) continue;
      remaining--;
      if (e.expireAt === 0 || e.expireAt > now) out.push(e.key);
    }
    return out;
  }

  flush(): number {
    const n = this.map.size;
    for (const e of this.all) this.stats.usedBytes -= e.bytes;
    const tinylfu = this.stats.tinylfu;
    if (tinylfu !== null) for (const e of this.all) tinylfu.remove(e);
    const keys = this.onModified !== null ? [...this.map.keys()] : [];
    this.map.clear();
    this.leases.clear();
    this.slotCounts?.fill(0);
    this.all.length = 0;
    this.volatile.length = 0;
    for (const k of keys) this.modified(k);
    return n;
  }

  entries(): IterableIterator<Entry> {
    return this.map.values();
  }

  /** Set by the server when any client WATCHes a key in this database; null otherwise. */
  onModified: KeyModifiedHook | null = null;

  /** Signals a key's change to WATCH. Public so commands that edit entries in place can call it. */
  modified(key: string): void {
    if (this.onModified !== null) this.onModified(this.id, key);
    if (this.leases.size !== 0) this.leases.void(key);
  }

  private insert(e: Entry): void {
    e.index = this.all.length;
    this.all.push(e);
    this.map.set(e.key, e);
    if (this.slotCounts !== null) this.slotCounts[this.slotOf!(e.key)]++;
    e.bytes = entryBytes(e);
    this.stats.usedBytes += e.bytes;
    if (this.stats.tinylfu !== null) this.stats.tinylfu.add(e, this.id);
  }
}

/** Swap-remove an entry from a dense array, fixing the moved element's index. */
function removeAt(arr: Entry[], e: Entry, isVolatile: boolean): void {
  const i = isVolatile ? e.volatileIndex : e.index;
  const last = arr.pop()!;
  if (last !== e) {
    arr[i] = last;
    if (isVolatile) last.volatileIndex = i;
    else last.index = i;
  }
  if (isVolatile) e.volatileIndex = -1;
  else e.index = -1;
}

export { TYPE_HASH, TYPE_STRING };
