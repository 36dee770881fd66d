// The key table: one database's keys, found by hash in an open-addressing index of typed arrays,
// each key an integer id whose metadata sits in typed-array columns and whose bytes (key, value,
// TTL) sit in a slab chunk. No JS object is made per key, so the garbage collector's work does
// not grow with the number of keys.
//
// Item layout in its chunk: u32 key length, u32 value length, the key, the value, then a float64
// expiry time (ms) when the id's TTL bit is set. Values of types other than string are JS
// objects held by the keyspace; their chunk holds the key alone.
//
// Index: linear probing over a power-of-two Int32Array, at most 3/4 full, of id + 1 (0 = empty)
// in the low ID_BITS bits and the top bits of the key's hash above them (a tag). A lookup compares
// the tag in the index before it reads anything of the id: a probe past another key costs no
// access to the columns, and a hit reads the id's location and its item only. That is one cache
// miss fewer per lookup once the table outgrows the caches (the hash column was read for every
// probe): at 100,000 keys a primary under SET spent ~18% of its busy time in the lookup, most of
// it waiting for memory (docs/benchmarks.md, "A tag in the index"). A table of 2^26 ids or more stores the id alone and
// compares the hash column instead (widenIds). Deletion shifts later members of the probe run
// back into the hole (no tombstones), so lookups never slow down with churn.
//
// Growth is incremental, as Redis rehashes: past 3/4 full a twice larger index takes new keys,
// and the old one's members move to it MOVE_STEP positions per lookup, insert or removal (a
// million-key index moved at once stopped the event loop for ~75 ms here). Meanwhile a key is in
// exactly one of the two; a lookup that misses in the new index probes the old. The old index
// is moved a whole run at a time (a run: occupied positions between two empty ones), its members
// placed in the new index and their positions emptied, so it stays a valid probe table: a member
// not moved yet lies in a run after the move's position, whole, from its home to itself. (The
// move starts at position 0, which may be inside a run that wraps around the index's end; the
// members of that run's first part have their homes there and never probe past the end.) Moving
// a position by deleting its members one by one, as this did before, shifted the rest of the run
// back each time, reading the hash of every later member: quadratic in the run's length, and
// ~10 ms per 1,024-field HSET while a million-field hash's index moved.

import { latin1 } from '../util/bytes.js';
import { CHUNK_BITS, CHUNK_MASK, LARGE_BASE, SlabAllocator } from './slab.js';

export const META_LIVE = 0x80;
export const META_TTL = 0x40;
export const META_TYPE = 0x07;
/**
 * How Redis holds a string where its bytes do not tell (OBJECT ENCODING): META_RAW, a raw sds
 * (edited in place: APPEND, SETRANGE, SETBIT, BITFIELD; BITOP, HyperLogLogs); META_NOT_INT,
 * never int-encoded (INCRBYFLOAT's result). Any rewrite of the value clears them.
 */
export const META_RAW = 0x08;
export const META_NOT_INT = 0x10;
/** Header bytes before the key. */
export const ITEM_HEADER = 8;

/**
 * 32-bit hash of bytes: murmur3's block mixing over little-endian words, then its finaliser.
 * hashString gives the same value for a latin1 string of the same bytes.
 */
export function hashBytes(b: Buffer, start: number, end: number): number {
  let h = end - start;
  let i = start;
  for (; i + 4 <= end; i += 4) h = mixBlock(h, b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
  let k = 0;
  for (let shift = 0; i < end; i++, shift += 8) k |= b[i] << shift;
  return fmix(h ^ mixTail(k));
}

export function hashString(s: string): number {
  const end = s.length;
  let h = end;
  let i = 0;
  for (; i + 4 <= end; i += 4) {
    h = mixBlock(h, (s.charCodeAt(i) & 0xff) | ((s.charCodeAt(i + 1) & 0xff) << 8) | ((s.charCodeAt(i + 2) & 0xff) << 16) | ((s.charCodeAt(i + 3) & 0xff) << 24));
  }
  let k = 0;
  for (let shift = 0; i < end; i++, shift += 8) k |= (s.charCodeAt(i) & 0xff) << shift;
  return fmix(h ^ mixTail(k));
}

function mixTail(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixBlock(h: number, k: number): number {
  h ^= mixTail(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

const INITIAL_IDS = 16;
const INITIAL_SLOTS = 32;
/** Bits of an index entry that hold id + 1 while the table has fewer than 2^ID_BITS ids. */
const ID_BITS = 26;
/** Old index positions moved per lookup, insert or removal while the index grows. */
const MOVE_STEP = 4;
/** Stages of a growth of the columns (growNextColumn): meta, lfu, access, loc, then hash with the owner's. */
const GROW_STAGES = 5;

/** The first new id that starts the staged growth of a capacity reached by doubling: its last 32nd. */
function stagesFrom(capacity: number): number {
  return capacity - (capacity >>> 5);
}

export class KeyTable {
  readonly slab: SlabAllocator;
  meta = new Uint8Array(INITIAL_IDS);
  lfu = new Uint8Array(INITIAL_IDS);
  /** Last access, ms since `accessBase`, wrapping at 2^32 (49 days). */
  access = new Uint32Array(INITIAL_IDS);
  loc = new Uint32Array(INITIAL_IDS);
  hash = new Int32Array(INITIAL_IDS);
  private slots = new Int32Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  /** While the index grows: the previous index, emptied into `slots` from position moveAt on. */
  private oldSlots: Int32Array | null = null;
  private oldMask = 0;
  private moveAt = 0;
  /** An index entry's tag bits (the key hash's top bits), and its id + 1 bits (see widenIds). */
  private tagMask = 0;
  private idMask = 0;
  /** Free ids, chained through their loc column: id + 1 of the first, 0 for none. */
  private freeHead = 0;
  /** Ids ever handed out: every live id is below it. */
  highWater = 0;
  count = 0;
  /** The hash of the key last looked up by findBytes/findString (insert takes it). */
  lastHash = 0;
  /** Filled by view(): the value bytes of one item. */
  vbuf: Buffer = Buffer.alloc(0);
  vstart = 0;
  vend = 0;
  /** Filled by locate(): an item's buffer, a u32 view of it, and the item's offset. */
  cb: Buffer = Buffer.alloc(0);
  cw: Uint32Array = new Uint32Array(0);
  co = 0;
  /** Grow the columns by an eighth instead of doubling (see growColumns). */
  tightGrowth = false;
  /** Called when the columns grow, with the new capacity (the keyspace grows its own). */
  onGrow: ((capacity: number) => void) | null = null;
  /** Ids every column holds (while they grow in stages, some hold more: see growColumns). */
  private cap = INITIAL_IDS;
  /** While the columns grow in stages: the capacity they grow to (0: not growing), and the next stage. */
  private growTo = 0;
  private growStage = 0;
  /**
   * The first new id that starts a growth: the last 32nd of a capacity reached by doubling, so
   * that the columns grow in stages spread over it before the ids run out; a reserved capacity
   * (reserve), which says how many ids will come, grows only once they are all used.
   */
  private growFrom = stagesFrom(INITIAL_IDS);

  /** `idBits`: ID_BITS, smaller in tests (so that a small table reaches widenIds). */
  constructor(
    slab: SlabAllocator,
    private readonly idBits = ID_BITS,
  ) {
    this.slab = slab;
    this.tagEntries();
  }

  /** Entries hold id + 1 in the low idBits bits and a tag above them (a new or cleared table). */
  private tagEntries(): void {
    this.tagMask = ~((1 << this.idBits) - 1);
    this.idMask = (1 << this.idBits) - 1;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Bytes of the index and the columns. */
  get structureBytes(): number {
    return this.settledBytes + (this.oldSlots === null ? 0 : this.oldSlots.byteLength);
  }

  /**
   * structureBytes without an old index still being moved: it changes only when keys are added,
   * never by a lookup (which may finish a move), for owners that account by the change a write
   * made (a big hash: field-table.ts).
   */
  get settledBytes(): number {
    return this.slots.byteLength + this.cap * 14;
  }

  /** Points cb/cw/co at the item at `loc`. */
  locate(loc: number): void {
    const slab = this.slab;
    if (loc < LARGE_BASE) {
      const p = loc >>> CHUNK_BITS;
      this.cb = slab.pages[p]!;
      this.cw = slab.words[p]!;
      this.co = (loc & CHUNK_MASK) * slab.pageChunk[p];
    } else {
      this.cb = slab.large[loc - LARGE_BASE]!;
      this.cw = slab.largeWords[loc - LARGE_BASE]!;
      this.co = 0;
    }
  }

  findBytes(buf: Buffer, start: number, end: number): number {
    const h = (this.lastHash = hashBytes(buf, start, end));
    if (this.oldSlots === null) return this.findBytesIn(this.slots, this.mask, h, buf, start, end);
    this.moveStep();
    const id = this.findBytesIn(this.slots, this.mask, h, buf, start, end);
    // Still growing after the step: a key not in the new index may be in the old.
    return id >= 0 || this.oldSlots === null ? id : this.findBytesIn(this.oldSlots, this.oldMask, h, buf, start, end);
  }

  findString(key: string): number {
    const h = (this.lastHash = hashString(key));
    if (this.oldSlots === null) return this.findStringIn(this.slots, this.mask, h, key);
    this.moveStep();
    const id = this.findStringIn(this.slots, this.mask, h, key);
    return id >= 0 || this.oldSlots === null ? id : this.findStringIn(this.oldSlots, this.oldMask, h, key);
  }

  /**
   * Allocates an item for a new key whose bytes the caller writes at `loc` (see writeHeader);
   * returns its id.
   */
  insert(h: number, loc: number, meta: number): number {
    let id: number;
    if (this.freeHead !== 0) {
      id = this.freeHead - 1;
      this.freeHead = this.loc[id];
    } else {
      id = this.highWater++;
      if (id >= (this.tightGrowth ? this.cap : this.growFrom)) this.growColumns(id);
    }
    this.meta[id] = meta | META_LIVE;
    this.loc[id] = loc;
    this.hash[id] = h;
    this.lfu[id] = 5;
    this.count++;
    if (this.oldSlots !== null) this.moveStep();
    if (this.count * 4 > this.slots.length * 3) this.growIndex();
    this.place((id + 1) | (h & this.tagMask), h);
    return id;
  }

  /** Removes a live id from the index and frees its chunk and id. */
  remove(id: number): void {
    if (this.oldSlots !== null) this.moveStep();
    if (!this.unlink(this.slots, this.mask, id)) this.unlink(this.oldSlots!, this.oldMask, id);
    this.slab.free(this.loc[id]);
    this.meta[id] = 0;
    this.loc[id] = this.freeHead;
    this.freeHead = id + 1;
    this.count--;
  }

  /** Drops every key and shrinks the index and columns back to their initial size. */
  clear(): void {
    this.slab.clear();
    this.meta = new Uint8Array(INITIAL_IDS);
    this.lfu = new Uint8Array(INITIAL_IDS);
    this.access = new Uint32Array(INITIAL_IDS);
    this.loc = new Uint32Array(INITIAL_IDS);
    this.hash = new Int32Array(INITIAL_IDS);
    this.slots = new Int32Array(INITIAL_SLOTS);
    this.mask = INITIAL_SLOTS - 1;
    this.oldSlots = null;
    this.cap = INITIAL_IDS;
    this.growTo = 0;
    this.growFrom = stagesFrom(INITIAL_IDS);
    this.tagEntries();
    if (this.onGrow !== null) this.onGrow(INITIAL_IDS);
    this.freeHead = 0;
    this.highWater = 0;
    this.count = 0;
  }

  /**
   * Makes room for `keys` keys at once, as Redis's RDB loader does on RESIZEDB: the columns take
   * that many ids and the index the size growth would reach for them, so a bulk load of that many
   * keys (a replica's full copy) neither doubles the columns nor moves the index on the way. A
   * table already that large is left as it is. The index is rebuilt at once: meant for an empty
   * or small table, before the load.
   */
  reserve(keys: number): void {
    if (keys > this.cap) this.resizeColumns(this.tightGrowth ? keys : Math.max(keys, this.cap * 2));
    let size = this.slots.length;
    while (keys * 4 > size * 3) size *= 2;
    if (size === this.slots.length) return;
    while (this.oldSlots !== null) this.moveStep();
    const old = this.slots;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.place(old[i], this.hash[(old[i] & this.idMask) - 1]);
  }

  /** Writes an item's header at loc and points cb/cw/co at it; returns the value's offset. */
  writeHeader(loc: number, keyLen: number, valueLen: number): number {
    this.locate(loc);
    const w = this.co >> 2;
    this.cw[w] = keyLen;
    this.cw[w + 1] = valueLen;
    return this.co + ITEM_HEADER + keyLen;
  }

  keyLength(id: number): number {
    this.locate(this.loc[id]);
    return this.cw[this.co >> 2];
  }

  /** The key as a latin1 string. */
  keyString(id: number): string {
    this.locate(this.loc[id]);
    const off = this.co;
    return latin1(this.cb, off + ITEM_HEADER, off + ITEM_HEADER + this.cw[off >> 2]);
  }

  /** Points vbuf/vstart/vend at the item's value bytes. */
  view(id: number): void {
    this.locate(this.loc[id]);
    const w = this.co >> 2;
    const start = this.co + ITEM_HEADER + this.cw[w];
    this.vbuf = this.cb;
    this.vstart = start;
    this.vend = start + this.cw[w + 1];
  }

  valueString(id: number): string {
    this.view(id);
    return latin1(this.vbuf, this.vstart, this.vend);
  }

  valueLength(id: number): number {
    this.locate(this.loc[id]);
    return this.cw[(this.co >> 2) + 1];
  }

  /** Bytes an item with this key, value and TTL flag takes before rounding. */
  static itemSize(keyLen: number, valueLen: number, ttl: boolean): number {
    return ITEM_HEADER + keyLen + valueLen + (ttl ? 8 : 0);
  }

  /** The id's expiry time in ms, 0 for none. */
  expireAt(id: number): number {
    if ((this.meta[id] & META_TTL) === 0) return 0;
    this.locate(this.loc[id]);
    const w = this.co >> 2;
    return this.cb.readDoubleLE(this.co + ITEM_HEADER + this.cw[w] + this.cw[w + 1]);
  }

  /** Writes the expiry time of an item that has room for it (TTL bit set, size includes it). */
  writeExpireAt(id: number, at: number): void {
    this.locate(this.loc[id]);
    const w = this.co >> 2;
    this.cb.writeDoubleLE(at, this.co + ITEM_HEADER + this.cw[w] + this.cw[w + 1]);
  }

  /** Bytes the id's item uses (unrounded), from its header. */
  usedSize(id: number): number {
    this.locate(this.loc[id]);
    const w = this.co >> 2;
    return ITEM_HEADER + this.cw[w] + this.cw[w + 1] + (this.meta[id] & META_TTL ? 8 : 0);
  }

  /**
   * Moves an id's item to a new chunk of `size` bytes (to add a TTL, or off a page being
   * evacuated), copying `copyBytes` of it; returns the new location.
   */
  relocate(id: number, size: number, copyBytes: number, zeroed = false): number {
    const from = this.loc[id];
    const to = this.slab.alloc(size, zeroed);
    const src = this.slab.bufferOf(from);
    const so = this.slab.offsetOf(from);
    src.copy(this.slab.bufferOf(to), this.slab.offsetOf(to), so, so + copyBytes);
    this.loc[id] = to;
    this.slab.free(from);
    return to;
  }

  /** The id whose item is at `loc`, found through its key (for evacuation), or -1. */
  idAt(loc: number): number {
    this.locate(loc);
    const start = this.co + ITEM_HEADER;
    const id = this.findBytes(this.cb, start, start + this.cw[this.co >> 2]);
    return id >= 0 && this.loc[id] === loc ? id : -1;
  }

  /**
   * Growth: doubling, or by an eighth while `tightGrowth` is set (the store sets it while a
   * memory limit is). Under a limit the columns count in used_memory and never shrink (ids in use
   * may be anywhere below the high-water mark): a store fills to its limit, grows its columns on
   * the next new key, then evicts down to the limit with the grown columns, so every byte of
   * slack is a key fewer, and a doubling could leave half the columns idle (W-TinyLFU's columns
   * follow the table's capacity, so twice over). Without a limit doubling is kept: each growth
   * leaves the old arrays to the collector, and eighths made eight times as many of them, which
   * held 15-20 B per key of RSS at 1M keys until a full collection.
   */
  private growColumns(id: number): void {
    const len = this.cap;
    if (this.growTo === 0) {
      this.growTo = this.tightGrowth ? len + Math.max(INITIAL_IDS, len >>> 3) : len * 2;
      this.growStage = 0;
      if (this.growTo > this.idMask) this.widenIds();
    }
    // One column at a time, the stages spread evenly over the last 32nd of the capacity, so that
    // no one command copies them all (14 bytes per id into fresh memory: ~11 ms at half a million
    // ids on this VM, in one HSET of a big hash's move); every stage left once the ids reach the
    // capacity (always so when growing by eighths, whose columns count in used_memory and are
    // not made early).
    const spacing = Math.max(1, (len - this.growFrom) / GROW_STAGES);
    while (this.growTo !== 0 && (id >= this.cap || id >= this.growFrom + this.growStage * spacing)) this.growNextColumn();
  }

  /** The next stage of the columns' growth to growTo: a column, or last the hash column and the owner's (onGrow). */
  private growNextColumn(): void {
    const n = this.growTo;
    switch (this.growStage++) {
      case 0:
        this.meta = copyInto(new Uint8Array(n), this.meta);
        break;
      case 1:
        this.lfu = copyInto(new Uint8Array(n), this.lfu);
        break;
      case 2:
        this.access = copyInto(new Uint32Array(n), this.access);
        break;
      case 3:
        this.loc = copyInto(new Uint32Array(n), this.loc);
        break;
      default:
        // With the owner's columns in the same stage: the eviction policy keeps the hash
        // column's array, and is handed the new one by onGrow.
        this.hash = copyInto(new Int32Array(n), this.hash);
        this.cap = n;
        this.growTo = 0;
        this.growFrom = stagesFrom(n);
        if (this.onGrow !== null) this.onGrow(n);
    }
  }

  /** Columns of n ids (n at least the current capacity), the current ones copied in, at once. */
  private resizeColumns(n: number): void {
    while (this.growTo !== 0) this.growNextColumn();
    if (n > this.idMask) this.widenIds();
    this.meta = copyInto(new Uint8Array(n), this.meta);
    this.lfu = copyInto(new Uint8Array(n), this.lfu);
    this.access = copyInto(new Uint32Array(n), this.access);
    this.loc = copyInto(new Uint32Array(n), this.loc);
    this.hash = copyInto(new Int32Array(n), this.hash);
    this.cap = n;
    this.growFrom = n;
    if (this.onGrow !== null) this.onGrow(n);
  }

  /**
   * Entries of id + 1 alone from now on: the table is about to hold 2^ID_BITS ids or more. The
   * move of an old index finishes first, then every entry loses its tag; lookups compare the
   * hash column instead.
   */
  private widenIds(): void {
    while (this.oldSlots !== null) this.moveStep();
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) slots[i] &= this.idMask;
    this.tagMask = 0;
    this.idMask = 0x7fffffff;
  }

  /** Starts moving to an index twice as large (see the file comment). */
  private growIndex(): void {
    // Growth outpacing the move (it cannot: the new index takes 3/8 of its size in inserts
    // before it is 3/4 full, each moving MOVE_STEP old positions) would finish it here.
    while (this.oldSlots !== null) this.moveStep();
    this.oldSlots = this.slots;
    this.oldMask = this.mask;
    this.moveAt = 0;
    this.slots = new Int32Array(this.slots.length * 2);
    this.mask = this.slots.length - 1;
  }

  /**
   * Moves the members of the next MOVE_STEP positions of the old index to the new one, finishing
   * the run the last of them is in (see the file comment).
   */
  private moveStep(): void {
    const old = this.oldSlots!;
    const n = old.length;
    const end = Math.min(n, this.moveAt + MOVE_STEP);
    const idMask = this.idMask;
    let i = this.moveAt;
    while (i < end) {
      for (let v = old[i]; v !== 0 && i < n; v = old[++i]) {
        this.place(v, this.hash[(v & idMask) - 1]);
        old[i] = 0;
      }
      i++;
    }
    this.moveAt = i;
    if (i >= n) this.oldSlots = null;
  }

  /** Puts an entry (`v`: id + 1 and its tag) into the new index at its hash `h`'s place. */
  private place(v: number, h: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = v;
  }

  /** Removes id from an index; false if it is not there. */
  private unlink(slots: Int32Array, mask: number, id: number): boolean {
    for (let i = this.hash[id] & mask; ; i = (i + 1) & mask) {
      const v = slots[i];
      if ((v & this.idMask) === id + 1) {
        this.removeAt(slots, mask, i);
        return true;
      }
      if (v === 0) return false;
    }
  }

  /**
   * Empties position i of an index by backward-shift deletion: each later member of the run
   * whose home position is not in (hole, its position] moves into the hole.
   */
  private removeAt(slots: Int32Array, mask: number, i: number): void {
    let hole = i;
    for (let j = (i + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.hash[(slots[j] & this.idMask) - 1] & mask;
      const fits = hole <= j ? home <= hole || home > j : home <= hole && home > j;
      if (fits) {
        slots[hole] = slots[j];
        hole = j;
      }
    }
    slots[hole] = 0;
  }

  /** A key's id by its bytes in one index (the current one, or the old one while it grows), or -1. */
  private findBytesIn(slots: Int32Array, mask: number, h: number, buf: Buffer, start: number, end: number): number {
    const len = end - start;
    const tagMask = this.tagMask;
    const tag = h & tagMask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i];
      if (v === 0) return -1;
      if ((v & tagMask) !== tag) continue;
      const id = (v & this.idMask) - 1;
      if (tagMask === 0 && this.hash[id] !== h) continue;
      this.locate(this.loc[id]);
      const off = this.co;
      if (this.cw[off >> 2] !== len) continue;
      const b = this.cb;
      let k = off + ITEM_HEADER;
      let j = start;
      while (j < end && b[k] === buf[j]) {
        k++;
        j++;
      }
      if (j === end) return id;
    }
  }

  /** findBytesIn for a latin1 string. */
  private findStringIn(slots: Int32Array, mask: number, h: number, key: string): number {
    const len = key.length;
    const tagMask = this.tagMask;
    const tag = h & tagMask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i];
      if (v === 0) return -1;
      if ((v & tagMask) !== tag) continue;
      const id = (v & this.idMask) - 1;
      if (tagMask === 0 && this.hash[id] !== h) continue;
      this.locate(this.loc[id]);
      const off = this.co;
      if (this.cw[off >> 2] !== len) continue;
      const b = this.cb;
      const base = off + ITEM_HEADER;
      let j = 0;
      while (j < len && b[base + j] === (key.charCodeAt(j) & 0xff)) j++;
      if (j === len) return id;
    }
  }
}

function copyInto<T extends Uint8Array | Uint32Array | Int32Array>(to: T, from: T): T {
  to.set(from as never);
  return to;
}
