// The state of one database and the mechanics under the Keyspace API (keyspace.ts): the key
// table, the TTL index, object values and their handles, byte accounting, access bookkeeping for
// the eviction policies, the replication switches (replicaMode, ignoreExpiry, onKeyRemoved) and
// the internal add/replace/remove/expire steps every command path shares. Keyspace adds the
// lookups and writes commands call. Every access (touch, added) also counts down to the next
// hot-key sample (hotkeys.ts): one decrement, the key read out only when sampled.
//
// Expiry under replication (Redis's rules for replicas): with replicaMode set, a key whose TTL
// has passed is *logically* missing (every lookup answers as if it were gone) but is never
// deleted on this node's authority: the primary decides and sends DEL. A write that finds such a
// key replaces it as if it were absent. With ignoreExpiry set (while the primary's stream is
// applied) TTLs are not looked at all, so the stream sees the dataset the primary saw. Both cost
// the hot path nothing for keys without a TTL: isExpired tests them only behind META_TTL.

import { latin1, writeLatin1 } from '../util/bytes.js';
import type { Clock } from '../util/clock.js';
import { Entry, TYPE_STRING, type CollectionValue, type EntryHost, type HashValue, type ValueType } from './entry.js';
import { ExpiryIndex } from './expiry-index.js';
import { HotKeys } from './hotkeys.js';
import { ITEM_HEADER, KeyTable, META_LIVE, META_NOT_INT, META_RAW, META_TTL, META_TYPE } from './key-table.js';
import { LeaseTable } from './leases.js';
import { SlabAllocator, chunkSizeFor } from './slab.js';
import type { StoreStats } from './stats.js';
import type { KeyTracker } from './eviction/policy.js';
import { KEY_EVENT_EXPIRED, type KeyEventHook, type KeyModifiedHook, type KeyRemovedHook, type SlotOf } from './keyspace-hooks.js';

/** Keys and values up to this size are copied through one reused scratch buffer. */
export const SCRATCH_MAX = 64 * 1024;

export abstract class KeyspaceCore implements EntryHost {
  readonly table: KeyTable;
  protected readonly ttl: ExpiryIndex;
  /** Handles of the keys whose value is a JS object (every type but string), by id. */
  protected readonly objects = new Map<number, Entry>();
  protected objectBytes = 0;
  /** CACHE.SET grace: when a value goes stale, by id (few keys have one). */
  protected staleTimes: Map<number, number> | null = null;
  /** The access column counts ms from here. */
  protected readonly accessBase: number;
  /** The eviction policy's per-key tracking (the Store sets it on every database); null: none. */
  tracker: KeyTracker | null = null;
  /** Keys per cluster hash slot (CLUSTER COUNTKEYSINSLOT), kept only when slotOf is given. */
  protected readonly slotCounts: Uint32Array | null;
  /**
   * The keys of each cluster hash slot, kept only when slotOf is given: a doubly linked list of
   * ids per slot (slotHead[slot], then slotNext/slotPrev by id; -1 ends), and each id's slot, so
   * that a slot's keys are found without walking the keyspace (GETKEYSINSLOT, moving a slot) and
   * a removal neither hashes the key again nor searches. Linking and unlinking are O(1); the
   * columns cost 10 bytes per id (Redis 7.0 keeps two pointers per key for the same purpose).
   */
  protected readonly slotHead: Int32Array | null;
  protected slotNext: Int32Array = new Int32Array(0);
  protected slotPrev: Int32Array = new Int32Array(0);
  protected slotOfIds: Uint16Array = new Uint16Array(0);
  protected scratch = Buffer.allocUnsafe(1024);
  /** Cache-aside leases (CACHE.GET/SET): voided by any write to their key. */
  readonly leases: LeaseTable;
  /** Set by the server when any client WATCHes a key in this database; null otherwise. */
  onModified: KeyModifiedHook | null = null;
  /** Expiry and eviction removals, for replication (Store.onKeyRemoved sets it on every database). */
  onKeyRemoved: KeyRemovedHook | null = null;
  /** Keyspace notifications' key events (Store.keyEvents sets it on every database); null: off. */
  keyEvents: KeyEventHook | null = null;
  /** A replica: expired keys are logically missing but never deleted here (see the file comment). */
  replicaMode = false;
  /** Applying the primary's stream: every key counts as live whatever its TTL. */
  ignoreExpiry = false;

  /**
   * The database number this keyspace is (SWAPDB exchanges two keyspaces' numbers); lfuId is the
   * number it was created with, which W-TinyLFU keeps per key to find a victim's keyspace.
   */
  id: number;
  readonly lfuId: number;

  constructor(
    id: number,
    readonly clock: Clock,
    protected readonly stats: StoreStats,
    protected readonly slotOf: SlotOf | null = null,
    slotCount = 16384,
    pagePool: Buffer[] = [],
    /** Hot-key detection (hotkeys.ts), shared by a store's databases; touch() samples into it. */
    readonly hotKeys: HotKeys = new HotKeys(clock),
  ) {
    this.id = id;
    this.lfuId = id;
    this.slotCounts = slotOf === null ? null : new Uint32Array(slotCount);
    this.slotHead = slotOf === null ? null : new Int32Array(slotCount).fill(-1);
    this.leases = new LeaseTable(clock, stats);
    this.table = new KeyTable(new SlabAllocator(pagePool));
    this.accessBase = clock.now();
    this.ttl = new ExpiryIndex(this.accessBase);
    this.table.onGrow = (n) => this.grow(n);
    if (slotOf !== null) {
      const n = this.table.capacity;
      this.slotNext = new Int32Array(n);
      this.slotPrev = new Int32Array(n);
      this.slotOfIds = new Uint16Array(n);
    }
  }

  get size(): number {
    return this.table.count;
  }

  get volatileCount(): number {
    return this.ttl.count;
  }

  /** Bytes this database holds: item chunks, index and columns, the TTL index, object values. */
  get bytes(): number {
    const t = this.table;
    return t.slab.liveBytes + t.structureBytes + this.ttl.bytes + this.objectBytes;
  }

  /** Bytes of keys and values alone: `bytes` less the index, columns and TTL index. */
  get dataBytes(): number {
    return this.table.slab.liveBytes + this.objectBytes;
  }

  /** Bytes of slab pages held but not used by items (rounding excluded): fragmentation. */
  get slabFreeBytes(): number {
    const s = this.table.slab;
    return s.heldBytes - s.liveBytes;
  }

  typeOf(id: number): ValueType {
    return (this.table.meta[id] & META_TYPE) as ValueType;
  }

  /** A live string id's META_RAW / META_NOT_INT bits (key-table.ts), 0 for neither. */
  stringForm(id: number): number {
    return this.table.meta[id] & (META_RAW | META_NOT_INT);
  }

  /** Marks a live string id raw (META_RAW) until its value is next rewritten. */
  markRaw(id: number): void {
    this.table.meta[id] |= META_RAW;
  }

  /** Marks a live string id never int-encoded (META_NOT_INT) until its value is next rewritten. */
  markNotInt(id: number): void {
    this.table.meta[id] |= META_NOT_INT;
  }

  /** Gives a live string id the bits another's stringForm returned (COPY, RENAME, MOVE keep them). */
  markStringForm(id: number, form: number): void {
    this.table.meta[id] |= form & (META_RAW | META_NOT_INT);
  }

  /** Last access (ms) of an id. */
  lastAccessOf(id: number): number {
    const now = this.clock.now();
    return now - ((now - this.accessBase - this.table.access[id]) >>> 0);
  }

  setLastAccess(id: number, ms: number): void {
    this.table.access[id] = (ms - this.accessBase) >>> 0;
  }

  lfuOf(id: number): number {
    return this.table.lfu[id];
  }

  setLfu(id: number, counter: number): void {
    this.table.lfu[id] = counter;
  }

  expireAtOf(id: number): number {
    return this.table.expireAt(id);
  }

  staleAtOf(id: number): number {
    return this.staleTimes === null ? 0 : (this.staleTimes.get(id) ?? 0);
  }

  setStaleAt(id: number, at: number): void {
    this.stats.dirty++;
    if (at === 0) this.staleTimes?.delete(id);
    else (this.staleTimes ??= new Map()).set(id, at);
  }

  /** The value object of a live non-string id (its handle's obj). */
  objectOf(id: number): HashValue | CollectionValue {
    return this.objects.get(id)!.obj!;
  }

  stringOf(id: number): string {
    return this.table.valueString(id);
  }

  replaceString(e: Entry, value: string): void {
    let s: Buffer;
    if (value.length > SCRATCH_MAX) s = Buffer.allocUnsafe(value.length);
    else {
      if (this.scratch.length < value.length) this.scratch = Buffer.allocUnsafe(Math.max(value.length, this.scratch.length * 2));
      s = this.scratch;
    }
    writeLatin1(s, value, 0);
    this.stats.dirty++;
    this.writeValue(e.id, s, 0, value.length, this.table.expireAt(e.id));
  }

  /** Bytes charged for a key (MEMORY USAGE): its chunk, its share of the columns, its object. */
  bytesOf(e: Entry): number {
    return this.costOf(e.id) + 22;
  }

  /** What a key costs the policy: its chunk plus its object value's estimate. */
  costOf(id: number): number {
    const t = this.table;
    const own = t.slab.sizeOf(t.loc[id]);
    return (t.meta[id] & META_TYPE) === TYPE_STRING ? own : own + this.objects.get(id)!.objBytes;
  }

  /**
   * Signals a key's change to WATCH and voids its lease, and counts a change to the dataset.
   * Public so commands that edit entries in place can call it.
   */
  modified(key: string): void {
    this.stats.dirty++;
    this.signal(key);
  }

  /** WATCH and lease upkeep for a key that changed or went, without counting a change (eviction, flush). */
  protected signal(key: string): void {
    if (this.onModified !== null) this.onModified(this.id, key);
    if (this.leases.size !== 0) this.leases.void(key);
  }

  /** The key table's capacity in ids (the eviction policy sizes its columns by it). */
  get idCapacity(): number {
    return this.table.capacity;
  }

  /** The key table's hash column, by id (the eviction policy's sketch reads it). */
  get hashColumn(): Int32Array {
    return this.table.hash;
  }

  protected handle(id: number, key: string): Entry {
    if ((this.table.meta[id] & META_TYPE) !== TYPE_STRING) return this.objects.get(id)!;
    return new Entry(this, id, key, null);
  }

  /** The cluster slot of an id's key, from its bytes in the key table. */
  protected slotOfId(id: number): number {
    const t = this.table;
    t.locate(t.loc[id]);
    const start = t.co + ITEM_HEADER;
    return this.slotOf!(t.cb, start, start + t.cw[t.co >> 2]);
  }

  /** SWAPDB: whether the key is held (even past its TTL, not yet removed) and whether its TTL has passed; no side effect. */
  heldState(key: string): 0 | 1 | 2 {
    const id = this.table.findString(key);
    if (id < 0) return 0;
    return this.isExpired(id) ? 2 : 1;
  }

  protected liveId(key: string): number {
    const id = this.table.findString(key);
    if (id < 0) return -1;
    if (this.isExpired(id)) {
      this.expireLazily(id, key);
      return -1;
    }
    return id;
  }

  /**
   * Whether a live id's TTL has passed, so that it counts as missing. Keys without a TTL pay one
   * bit test; ignoreExpiry is read only for keys with one.
   */
  isExpired(id: number): boolean {
    return (this.table.meta[id] & META_TTL) !== 0 && !this.ignoreExpiry && this.table.expireAt(id) <= this.clock.now();
  }

  /** Whether an id holds a key that is live now: present and not logically expired. */
  isLiveForCopy(id: number): boolean {
    return id >= 0 && id < this.table.highWater && (this.table.meta[id] & META_LIVE) !== 0 && !this.isExpired(id);
  }

  /** A lookup found an expired id: a primary deletes it (an expiry); a replica leaves it. */
  protected expireLazily(id: number, key: string | null): void {
    if (!this.replicaMode) this.expireId(id, key);
  }

  /**
   * An expired id found by a write that will recreate its key: removed as part of that write
   * (on a replica, where it may not be expired by itself), else expired first as on any lookup.
   */
  protected dropExpired(id: number, key: string | null): void {
    if (this.replicaMode) this.removeId(id);
    else this.expireId(id, key);
  }

  protected touch(id: number): void {
    const t = this.table;
    // The tracker first: an LFU counter decays by the idle time this access ends.
    if (this.tracker !== null) this.tracker.onAccess(this.lfuId, id);
    t.access[id] = (this.clock.now() - this.accessBase) >>> 0;
    // Hot keys: one decrement per access; the key is read out only for a sampled one.
    if (--this.hotKeys.skip === 0) this.hotKeys.record(t.keyString(id), t.hash[id]);
  }

  /** Bookkeeping for a new id: access time, slot counts, the policy's tracking (its first access). */
  protected added(id: number, kb: Buffer | null, ks: number, ke: number): void {
    this.table.access[id] = (this.clock.now() - this.accessBase) >>> 0;
    if (this.slotCounts !== null) this.linkSlot(id, kb === null ? this.slotOfId(id) : this.slotOf!(kb, ks, ke));
    if (this.tracker !== null) this.tracker.onAdd(this.lfuId, id, this.costOf(id));
    if (--this.hotKeys.skip === 0) this.hotKeys.record(this.table.keyString(id), this.table.hash[id]);
  }

  /** Replaces a live id's value with string bytes and sets its TTL (0 for none). */
  protected writeValue(id: number, vb: Buffer, vs: number, ve: number, at: number): void {
    const t = this.table;
    const meta = t.meta[id];
    if (meta === (META_LIVE | TYPE_STRING) && at <= 0) {
      // A string without a TTL replaced by one of the same length (counters, mostly): in place.
      t.locate(t.loc[id]);
      const w = t.co >> 2;
      if (t.cw[w + 1] === ve - vs) {
        copyBytes(vb, vs, ve, t.cb, t.co + ITEM_HEADER + t.cw[w]);
        if (this.staleTimes !== null) this.staleTimes.delete(id);
        return;
      }
    }
    if ((meta & META_TYPE) !== TYPE_STRING) this.dropObject(id);
    const klen = t.keyLength(id);
    const vlen = ve - vs;
    const ttl = at > 0;
    const need = KeyTable.itemSize(klen, vlen, ttl);
    let loc = t.loc[id];
    if (chunkSizeFor(need) !== t.slab.sizeOf(loc)) loc = t.relocate(id, need, ITEM_HEADER + klen);
    const voff = t.writeHeader(loc, klen, vlen);
    copyBytes(vb, vs, ve, t.slab.bufferOf(loc), voff);
    t.meta[id] = META_LIVE | TYPE_STRING | (ttl ? META_TTL : 0);
    if (ttl) {
      t.writeExpireAt(id, at);
      if (meta & META_TTL) this.ttl.move(id, at);
      else this.ttl.add(id, at, t.capacity);
    } else if (meta & META_TTL) {
      this.ttl.remove(id);
    }
    if (this.staleTimes !== null) this.staleTimes.delete(id);
    if (this.tracker !== null) this.tracker.onResize(this.lfuId, id, this.costOf(id));
  }

  protected setExpireId(id: number, at: number): void {
    const t = this.table;
    const meta = t.meta[id];
    if (at === 0) {
      if (meta & META_TTL) {
        this.ttl.remove(id);
        t.meta[id] = meta & ~META_TTL;
      }
      return;
    }
    if (meta & META_TTL) {
      t.writeExpireAt(id, at);
      this.ttl.move(id, at);
      return;
    }
    const used = t.usedSize(id);
    if (chunkSizeFor(used + 8) !== t.slab.sizeOf(t.loc[id])) t.relocate(id, used + 8, used);
    t.meta[id] = meta | META_TTL;
    t.writeExpireAt(id, at);
    this.ttl.add(id, at, t.capacity);
  }

  protected dropObject(id: number): void {
    const e = this.objects.get(id)!;
    e.detach();
    this.objectBytes -= e.objBytes;
    this.objects.delete(id);
  }

  protected removeId(id: number): void {
    const t = this.table;
    const meta = t.meta[id];
    if (meta & META_TTL) this.ttl.remove(id);
    if (this.tracker !== null) this.tracker.onRemove(this.lfuId, id);
    if ((meta & META_TYPE) !== TYPE_STRING) this.dropObject(id);
    if (this.slotCounts !== null) this.unlinkSlot(id);
    if (this.staleTimes !== null) this.staleTimes.delete(id);
    t.remove(id);
  }

  /** Puts a new id at the head of its slot's list. */
  private linkSlot(id: number, slot: number): void {
    const head = this.slotHead!;
    const first = head[slot];
    this.slotNext[id] = first;
    this.slotPrev[id] = -1;
    if (first >= 0) this.slotPrev[first] = id;
    head[slot] = id;
    this.slotOfIds[id] = slot;
    this.slotCounts![slot]++;
  }

  /** Takes an id out of its slot's list. */
  private unlinkSlot(id: number): void {
    const slot = this.slotOfIds[id];
    const next = this.slotNext[id];
    const prev = this.slotPrev[id];
    if (prev >= 0) this.slotNext[prev] = next;
    else this.slotHead![slot] = next;
    if (next >= 0) this.slotPrev[next] = prev;
    this.slotCounts![slot]--;
  }

  /** The first id of a slot's list, or -1 (then slotNextId; cluster mode only). */
  slotFirstId(slot: number): number {
    return this.slotHead === null ? -1 : this.slotHead[slot];
  }

  /** The cluster slot of a live id's key (cluster mode only). */
  slotOfLiveId(id: number): number {
    return this.slotOfIds[id];
  }

  /** The id after `id` in its slot's list, or -1. */
  slotNextId(id: number): number {
    return this.slotNext[id];
  }

  protected expireId(id: number, key: string | null): void {
    const k = this.onModified !== null || this.keyEvents !== null ? (key ?? this.table.keyString(id)) : null;
    if (this.onKeyRemoved !== null) this.reportRemoved(id);
    this.removeId(id);
    this.stats.expiredKeys++;
    if (this.keyEvents !== null) this.keyEvents(this.id, KEY_EVENT_EXPIRED, k!);
    // WATCH sees an expiry as a change; a lease does not: the load it stands for is still wanted.
    if (this.onModified !== null) this.onModified(this.id, k!);
  }

  /** Empties every slot's list and count (flush). */
  protected clearSlots(): void {
    this.slotCounts?.fill(0);
    this.slotHead?.fill(-1);
  }

  /** Hands onKeyRemoved a view of an id's key bytes (the id must still be live). */
  protected reportRemoved(id: number): void {
    const t = this.table;
    t.locate(t.loc[id]);
    const start = t.co + ITEM_HEADER;
    this.onKeyRemoved!(this.id, t.cb.subarray(start, start + t.cw[t.co >> 2]));
  }

  /** Room for `keys` keys before a bulk load (KeyTable.reserve). */
  reserve(keys: number): void {
    this.table.reserve(keys);
  }

  protected grow(capacity: number): void {
    this.ttl.grow(capacity);
    if (this.slotHead !== null) {
      // Shrinking happens only on flush, when every list is emptied (clearSlots).
      const keep = Math.min(capacity, this.slotNext.length);
      const next = new Int32Array(capacity);
      next.set(this.slotNext.subarray(0, keep));
      this.slotNext = next;
      const prev = new Int32Array(capacity);
      prev.set(this.slotPrev.subarray(0, keep));
      this.slotPrev = prev;
      const slots = new Uint16Array(capacity);
      slots.set(this.slotOfIds.subarray(0, keep));
      this.slotOfIds = slots;
    }
    if (this.tracker !== null) this.tracker.onCapacity(this.lfuId, capacity, this.table.hash);
  }
}

/** Copies bytes: a loop for short runs, where Buffer#copy's fixed cost (~80 ns) dominates. */
export function copyBytes(from: Buffer, start: number, end: number, to: Buffer, at: number): void {
  if (end - start <= 48) {
    for (let i = start; i < end; i++) to[at++] = from[i];
  } else {
    from.copy(to, at, start, end);
  }
}

export function latin1Of(b: Buffer, start: number, end: number): string {
  return latin1(b, start, end);
}
