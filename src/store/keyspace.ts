// One logical database: keys in a key table (key-table.ts: typed-array index and columns, bytes
// in slab chunks), TTLs with lazy expiry plus an expiry index grouped by time (expiry-index.ts),
// values of non-string types as JS objects, byte accounting, and the handles commands use
// (entry.ts). Hot commands call the byte-level methods (findRead, setStringBytes...) and never
// make a handle.
//
// SCAN walks ids upwards. An id is stable for as long as its key exists, so every key present
// for the whole scan is returned exactly once; a key added during it may or may not be. A
// replication snapshot (snapshotStep: keyspace-snapshot.ts) walks the same way.
//
// Every write a command makes counts in stats.dirty (one increment on the GET/SET paths):
// setStringBytes, replaceStringBytes, openStringBytes (growth), stringBytesEdited, replaceString,
// create, changed, delete of a live key, remove, setExpireAt, setStaleAt, modified and flush.
// Expiry and eviction do not count; they call onKeyRemoved instead (keyspace-core.ts).

import { writeLatin1 } from '../util/bytes.js';
import { Entry, OBJECT_OVERHEAD, TYPE_HASH, TYPE_STRING, objectBytes, type CollectionValue, type HashValue, type ValueType } from './entry.js';
import { ITEM_HEADER as ITEM_HEADER_BYTES, KeyTable, META_LIVE, META_TTL } from './key-table.js';
import { KeyspaceCore, SCRATCH_MAX, copyBytes, latin1Of } from './keyspace-core.js';
import { KEY_EVENT_EVICTED, KEY_EVENT_MISS, KEY_EVENT_NEW } from './keyspace-hooks.js';
import { defragmentTable, growString } from './keyspace-memory.js';
import { walkSnapshot, walkSnapshotIds } from './keyspace-snapshot.js';

export type { KeyEventHook, KeyModifiedHook, KeyRemovedHook, SlotOf } from './keyspace-hooks.js';
export { KEY_EVENT_EVICTED, KEY_EVENT_EXPIRED, KEY_EVENT_MISS, KEY_EVENT_NEW } from './keyspace-hooks.js';

export class Keyspace extends KeyspaceCore {
  // ---- byte-level access (hot commands) ----

  /** The live id of a key for a read (hit/miss counted, access noted), or -1. */
  findRead(buf: Buffer, start: number, end: number): number {
    const id = this.table.findBytes(buf, start, end);
    if (id < 0 || this.isExpired(id)) {
      if (id >= 0) this.expireLazily(id, null);
      this.stats.misses++;
      if (this.keyEvents !== null) this.keyEvents(this.id, KEY_EVENT_MISS, latin1Of(buf, start, end));
      // A read of a missing key is an access too (a hot key that expired keeps its shard busy).
      if (--this.hotKeys.skip === 0) this.hotKeys.record(latin1Of(buf, start, end));
      return -1;
    }
    this.stats.hits++;
    this.touch(id);
    return id;
  }

  /** The live id of a key for a write (access noted), or -1. */
  findWrite(buf: Buffer, start: number, end: number): number {
    const id = this.table.findBytes(buf, start, end);
    if (id < 0) return -1;
    if (this.isExpired(id)) {
      this.expireLazily(id, null);
      return -1;
    }
    this.touch(id);
    return id;
  }

  /** Points table.vbuf/vstart/vend at a string id's value. */
  view(id: number): void {
    this.table.view(id);
  }

  /**
   * Sets a string value from bytes. `expireAt`: absolute ms, 0 for no TTL, -1 to keep the
   * existing TTL. Returns the id.
   */
  setStringBytes(kb: Buffer, ks: number, ke: number, vb: Buffer, vs: number, ve: number, expireAt: number): number {
    const t = this.table;
    let id = t.findBytes(kb, ks, ke);
    // Kept: the hooks an expiry calls may look keys up, which overwrites t.lastHash.
    const hash = t.lastHash;
    if (id >= 0 && this.isExpired(id)) {
      this.dropExpired(id, null);
      id = -1;
    }
    this.stats.dirty++;
    const vlen = ve - vs;
    const klen = ke - ks;
    if (id < 0) {
      const ttl = expireAt > 0;
      const loc = t.slab.alloc(KeyTable.itemSize(klen, vlen, ttl));
      const voff = t.writeHeader(loc, klen, vlen);
      const b = t.slab.bufferOf(loc);
      copyBytes(kb, ks, ke, b, voff - klen);
      copyBytes(vb, vs, ve, b, voff);
      id = t.insert(hash, loc, TYPE_STRING | (ttl ? META_TTL : 0));
      if (ttl) {
        t.writeExpireAt(id, expireAt);
        this.ttl.add(id, expireAt, t.capacity);
      }
      this.added(id, kb, ks, ke);
      if (this.keyEvents !== null) this.keyEvents(this.id, KEY_EVENT_NEW, latin1Of(kb, ks, ke));
    } else {
      const at = expireAt === -1 ? t.expireAt(id) : expireAt;
      this.writeValue(id, vb, vs, ve, at);
      this.touch(id);
    }
    if (this.onModified !== null || this.leases.size !== 0) this.signal(latin1Of(kb, ks, ke));
    if (t.slab.wantDefrag) this.defragmentNow();
    return id;
  }

  /** One page's evacuation, asked for by the allocator under churn (see SlabAllocator.wantDefrag). */
  private defragmentNow(): void {
    this.table.slab.wantDefrag = false;
    this.defragment(performance.now() + 0.5, 1);
  }

  /** Replaces a live string id's value with bytes, keeping its TTL (INCR and friends). */
  replaceStringBytes(id: number, vb: Buffer, vs: number, ve: number): void {
    this.stats.dirty++;
    this.writeValue(id, vb, vs, ve, this.table.expireAt(id));
    if (this.onModified !== null || this.leases.size !== 0) this.signal(this.table.keyString(id));
  }

  /**
   * Opens a live string id's value for an in-place edit (SETBIT, BITFIELD): grows it to at least
   * `minLen` bytes if shorter (the new bytes zero, the TTL kept), then points
   * table.vbuf/vstart/vend at it. The caller changes bytes in [vstart, vend) at once, before
   * anything else touches the keyspace, and reports a change with stringBytesEdited. Returns
   * whether the value grew; growing counts a write (so the command is propagated) and voids a
   * lease, but does not signal WATCH: Redis 7.0 does not for a growth alone (a BITFIELD whose
   * writes all FAIL). An edit that does not grow the value copies nothing. Past the slab's
   * largest chunk an item has a Buffer of its own, and a growing one is given room to grow by
   * half again (at most to `maxLen` value bytes): a bitmap grown bit by bit is then copied
   * O(log n) times, not once per byte. (Any later rewrite of the value drops the slack.)
   */
  openStringBytes(id: number, minLen: number, maxLen: number): boolean {
    const t = this.table;
    const vlen = t.valueLength(id);
    const grow = minLen > vlen;
    if (grow) {
      this.stats.dirty++;
      if (this.leases.size !== 0) this.leases.void(t.keyString(id));
      growString(this, id, vlen, minLen, maxLen);
      // Relocates other items (never this value once viewed): done before the view.
      if (t.slab.wantDefrag) this.defragmentNow();
    }
    t.view(id);
    return grow;
  }

  /**
   * Reports an in-place edit of a string id's bytes made after openStringBytes: counts a write
   * (once: not again when openStringBytes grew the value, `grew`), signals WATCH and leases.
   * Moves no item, so the caller's view stays valid.
   */
  stringBytesEdited(id: number, grew = false): void {
    if (!grew) this.stats.dirty++;
    if (this.staleTimes !== null) this.staleTimes.delete(id);
    if (this.onModified !== null || this.leases.size !== 0) this.signal(this.table.keyString(id));
  }

  // ---- handles (every other command) ----

  /** Looks a key up for reading: expired keys are deleted, hits and misses counted, access noted. */
  lookupRead(key: string): Entry | undefined {
    const id = this.table.findString(key);
    if (id < 0 || this.isExpired(id)) {
      if (id >= 0) this.expireLazily(id, key);
      this.stats.misses++;
      if (this.keyEvents !== null) this.keyEvents(this.id, KEY_EVENT_MISS, key);
      if (--this.hotKeys.skip === 0) this.hotKeys.record(key);
      return undefined;
    }
    this.stats.hits++;
    this.touch(id);
    return this.handle(id, key);
  }

  /** Looks a key up for writing: expired keys are deleted; no hit/miss counted. */
  lookupWrite(key: string): Entry | undefined {
    const id = this.liveId(key);
    if (id < 0) return undefined;
    this.touch(id);
    return this.handle(id, key);
  }

  /** Existence check without side effects other than lazy expiry (EXISTS, TYPE, TTL...). */
  peek(key: string): Entry | undefined {
    const id = this.liveId(key);
    return id < 0 ? undefined : this.handle(id, key);
  }

  /** Sets a string value (see setStringBytes). Returns the entry. */
  setString(key: string, value: string, expireAt: number): Entry {
    const kl = key.length;
    const vl = value.length;
    let id: number;
    if (kl + vl <= SCRATCH_MAX) {
      if (this.scratch.length < kl + vl) this.scratch = Buffer.allocUnsafe(Math.max(kl + vl, this.scratch.length * 2));
      const s = this.scratch;
      writeLatin1(s, key, 0);
      writeLatin1(s, value, kl);
      id = this.setStringBytes(s, 0, kl, s, kl, kl + vl, expireAt);
    } else {
      id = this.setStringBytes(Buffer.from(key, 'latin1'), 0, kl, Buffer.from(value, 'latin1'), 0, vl, expireAt);
    }
    return this.handle(id, key);
  }

  /** Adds a new key holding a JS-object value (the caller fills it and calls changed()). */
  create(key: string, type: ValueType, value: HashValue | CollectionValue): Entry {
    const old = this.table.findString(key);
    const replaced = old >= 0 && !this.isExpired(old);
    if (old >= 0) this.removeId(old);
    this.stats.dirty++;
    const t = this.table;
    const loc = t.slab.alloc(KeyTable.itemSize(key.length, 0, false));
    const off = t.writeHeader(loc, key.length, 0);
    writeLatin1(t.slab.bufferOf(loc), key, off - key.length);
    const id = t.insert(t.lastHash, loc, type);
    const e = new Entry(this, id, key, value);
    e.objBytes = OBJECT_OVERHEAD + objectBytes(value);
    this.objectBytes += e.objBytes;
    this.objects.set(id, e);
    this.added(id, null, 0, 0);
    // Redis's dbAdd: a key put in place of a live one (a store's overwrite) is not new.
    if (!replaced && this.keyEvents !== null) this.keyEvents(this.id, KEY_EVENT_NEW, key);
    return e;
  }

  /** Call after changing an entry's value in place: re-accounts bytes and signals WATCH. */
  changed(e: Entry, byteDelta?: number): void {
    if (e.obj !== null && !e.detached) {
      const bytes = byteDelta === undefined ? OBJECT_OVERHEAD + objectBytes(e.obj) : e.objBytes + byteDelta;
      this.objectBytes += bytes - e.objBytes;
      e.objBytes = bytes;
      if (this.tracker !== null) this.tracker.onResize(this.lfuId, e.id, this.costOf(e.id));
    }
    this.modified(e.key);
  }

  /** Deletes a live key; returns whether it existed. */
  delete(key: string): boolean {
    const id = this.liveId(key);
    if (id < 0) {
      // A delete is an invalidation even with no value: a load in flight must not write back.
      if (this.leases.size !== 0) this.leases.void(key);
      return false;
    }
    this.removeId(id);
    this.modified(key);
    return true;
  }

  /**
   * Deletes the key of a slot list's id (slotFirstId: a moved-away slot's cleanup), expired or
   * not, with no lookup by name; returns its name (for the DEL the replicas get).
   */
  deleteListedId(id: number): string {
    const key = this.table.keyString(id);
    this.removeId(id);
    this.modified(key);
    return key;
  }

  /** Removes an entry that is known to be in this keyspace (no WATCH signal: the caller's job). */
  remove(e: Entry): void {
    if (e.detached) return;
    this.stats.dirty++;
    e.detach();
    this.removeId(e.id);
  }

  /** Sets or clears (0) an entry's TTL. */
  setExpireAt(e: Entry, at: number): void {
    this.stats.dirty++;
    this.setExpireId(e.id, at);
  }

  /** Deletes an entry whose TTL passed, counting it as expired (nothing on a replica). */
  expire(e: Entry): void {
    if (e.detached || this.replicaMode) return;
    e.detach();
    this.expireId(e.id, e.key);
  }

  randomEntry(): Entry | undefined {
    // Expired keys found by sampling are reclaimed; give up after a bounded number of tries.
    for (let tries = 0; tries < 100; tries++) {
      const id = this.sampleId(false);
      if (id < 0) return undefined;
      if (this.isExpired(id)) {
        this.expireLazily(id, null);
        continue;
      }
      return this.handle(id, this.table.keyString(id));
    }
    if (this.replicaMode) {
      // Expired keys stay on a replica, so sampling may keep finding them (RANDOMKEY would then
      // loop): walk from a random id to a live key instead, or answer none.
      const t = this.table;
      const hw = t.highWater;
      const from = (Math.random() * hw) | 0;
      for (let k = 0; k < hw; k++) {
        const id = from + k < hw ? from + k : from + k - hw;
        if (t.meta[id] & META_LIVE && !this.isExpired(id)) return this.handle(id, t.keyString(id));
      }
      return undefined;
    }
    const id = this.sampleId(false);
    return id < 0 ? undefined : this.handle(id, this.table.keyString(id));
  }

  /** A random live id (from all keys, or from keys with a TTL), or -1 if there is none. */
  sampleId(volatileOnly: boolean): number {
    if (volatileOnly) return this.ttl.sample();
    const t = this.table;
    if (t.count === 0) return -1;
    const meta = t.meta;
    const hw = t.highWater;
    for (let tries = 0; tries < 32; tries++) {
      const id = (Math.random() * hw) | 0;
      if (meta[id] & META_LIVE) return id;
    }
    // Sparse after many deletions: walk from a random id to the next live one.
    let id = (Math.random() * hw) | 0;
    while ((meta[id] & META_LIVE) === 0) id = id + 1 === hw ? 0 : id + 1;
    return id;
  }

  /**
   * Active expiry: deletes keys of TTL buckets that have ended, until none is left or
   * performance.now() passes `deadline`. Returns the number expired. (Store does not call it on
   * a replica, whose keys go only by the primary's DEL.)
   */
  expireDue(now: number, deadline: number): number {
    let n = 0;
    for (;;) {
      const id = this.ttl.firstDue(now);
      if (id < 0) break;
      // A key not yet expired in an ended bucket means the clock went back: stop for this cycle.
      if (this.table.expireAt(id) > now) break;
      this.expireId(id, null);
      if ((++n & 31) === 0 && performance.now() > deadline) return n;
    }
    // The bucket under way: some of its keys may have expired already.
    const t = this.table;
    for (let id = this.ttl.firstStarted(now); id >= 0; ) {
      const next = this.ttl.nextInBucket(id);
      if (t.expireAt(id) <= now) {
        this.expireId(id, null);
        n++;
      }
      id = next;
    }
    return n;
  }

  /** The key with the earliest expiry by bucket, or -1 (volatile-ttl's exact choice). */
  earliestExpiring(): number {
    return this.ttl.earliest();
  }

  /** Empties slab pages of over-provisioned size classes until `deadline`; returns the pages freed. */
  defragment(deadline: number, maxPages = Infinity): number {
    return defragmentTable(this.table, deadline, maxPages);
  }

  /** SCAN step over ids from `cursor` (0 starts); returns the next cursor, 0 when done. */
  scan(cursor: number, count: number, visit: (e: Entry) => void, reclaim?: (key: string) => boolean): number {
    const t = this.table;
    const stop = Math.min(t.highWater, cursor + count);
    for (let id = cursor; id < stop; id++) {
      if ((t.meta[id] & META_LIVE) === 0) continue;
      if (this.isExpired(id)) {
        // As Redis's SCAN, an expired key the call would have returned (MATCH) is expired now:
        // a primary deletes it and replicates the DEL.
        if (reclaim !== undefined) {
          const key = t.keyString(id);
          if (reclaim(key)) this.expireLazily(id, key);
        }
        continue;
      }
      visit(this.handle(id, t.keyString(id)));
    }
    return stop >= t.highWater ? 0 : stop;
  }

  /** One step of a replication snapshot: up to `maxKeys` live keys from `cursor`; returns the next cursor (0: done). */
  snapshotStep(cursor: number, maxKeys: number, visit: (key: string, id: number) => void): number {
    return walkSnapshot(this, cursor, maxKeys, visit);
  }

  /** snapshotStep without making key strings: live ids into `out`, [count, next cursor] into `result`. */
  snapshotIds(cursor: number, out: Int32Array, result: Int32Array): void {
    walkSnapshotIds(this, cursor, out, result);
  }

  /** Points table.cb at a live id's item and returns where its key bytes start (the key is table.cb[start, start + keyLength)). */
  keyBytes(id: number): number {
    const t = this.table;
    t.locate(t.loc[id]);
    return t.co + ITEM_HEADER_BYTES;
  }

  /** The length of the key keyBytes just located. */
  keyLength(): number {
    const t = this.table;
    return t.cw[t.co >> 2];
  }

  /** Every live key (KEYS); expired ones are skipped, not reclaimed. */
  forEachLive(visit: (e: Entry) => void): void {
    for (const e of this.entries()) visit(e);
  }

  /** Handles of every live key. */
  *entries(): IterableIterator<Entry> {
    const t = this.table;
    for (let id = 0; id < t.highWater; id++) {
      if ((t.meta[id] & META_LIVE) === 0 || this.isExpired(id)) continue;
      yield this.handle(id, t.keyString(id));
    }
  }

  /** Live ids (for policies that adopt every key). */
  *ids(): IterableIterator<number> {
    const t = this.table;
    for (let id = 0; id < t.highWater; id++) if (t.meta[id] & META_LIVE) yield id;
  }

  /** Keys held in a cluster hash slot, expired ones included until reclaimed (as Redis). */
  countInSlot(slot: number): number {
    return this.slotCounts === null ? 0 : this.slotCounts[slot];
  }

  /** Up to `count` live keys of a slot, from the slot's list (logically expired ones skipped). */
  keysInSlot(slot: number, count: number): string[] {
    const out: string[] = [];
    if (this.slotHead === null || count <= 0) return out;
    const t = this.table;
    for (let id = this.slotHead[slot]; id >= 0 && out.length < count; id = this.slotNext[id]) {
      if (!this.isExpired(id)) out.push(t.keyString(id));
    }
    return out;
  }

  /**
   * Drops every key. Counts as a change even when empty (n + 1), as Redis forces FLUSHDB and
   * FLUSHALL into the replication stream whether or not they removed anything.
   */
  flush(): number {
    const n = this.table.count;
    this.stats.dirty += n + 1;
    const keys: string[] = [];
    if (this.onModified !== null) for (const id of this.ids()) keys.push(this.table.keyString(id));
    const tracker = this.tracker;
    if (tracker !== null) for (const id of this.ids()) tracker.onRemove(this.lfuId, id);
    this.table.clear();
    this.ttl.clear();
    this.objects.clear();
    this.objectBytes = 0;
    this.staleTimes = null;
    this.leases.clear();
    this.clearSlots();
    for (const k of keys) this.signal(k);
    return n;
  }

  /**
   * Evicts a key (maxmemory): removes it and signals WATCH and leases; onKeyRemoved is told, and
   * the dataset's dirty count does not move (the primary sends replicas a DEL for it instead).
   */
  evict(id: number): void {
    const key = this.onModified !== null || this.leases.size !== 0 || this.keyEvents !== null ? this.table.keyString(id) : null;
    if (this.onKeyRemoved !== null) this.reportRemoved(id);
    this.removeId(id);
    if (this.keyEvents !== null) this.keyEvents(this.id, KEY_EVENT_EVICTED, key!);
    if (key !== null) this.signal(key);
  }

  /**
   * The bytes `bytes` should report, recomputed from every key (tests check that the
   * incremental accounting matches it).
   */
  recomputeBytes(): number {
    const t = this.table;
    let n = t.structureBytes + this.ttl.bytes;
    for (const id of this.ids()) {
      n += t.slab.sizeOf(t.loc[id]);
      const e = this.objects.get(id);
      if (e !== undefined) n += OBJECT_OVERHEAD + objectBytes(e.obj!);
    }
    return n;
  }
}

export { TYPE_HASH, TYPE_STRING };
