// The hash value (HSET ... HRANDFIELD): small hashes packed into one buffer region, as Redis keeps
// them in a listpack, large ones in a Map, and those past TABLE_FIELDS fields off the heap in a
// FieldTable (field-table.ts); the byte estimate and the encoding Redis 7.0 would report.
//
// Packed format (encoding 'listpack'): the pairs in insertion order, each a varint-prefixed
// field then value; the format and its byte-level readers are in packed-hash.ts.
//
// Lookups scan the pairs (at most 512, comparing lengths before bytes), as Redis scans a listpack.
// An edit shifts the bytes after the changed pair in place when the region has room, else moves
// the pairs to a region of the next size class (packed-arena.ts), which amortises growth; a hash
// down to half its region moves to a smaller one. `bytes` counts the region's capacity plus
// PACKED_OVERHEAD.
//
// The encoding reported is Redis 7.0's: a listpack until a field or value longer than
// hash-max-listpack-value is stored or the hash holds more than hash-max-listpack-entries pairs
// (the limits given to set: encoding-limits.ts), then a hashtable for good. The packed form
// holds at most LISTPACK_ENTRIES pairs of LISTPACK_VALUE-byte items (Redis's defaults): a hash
// moves to a Map where Redis converts, or earlier when the limits are raised past those bounds
// (it then still reports 'listpack' until Redis would convert). It never converts back.
// Fields and values are latin1 strings at this interface (one char per byte, binary safe).

import type { CollectionValue } from './entry.js';
import { EMPTY, allocate, release, trackedSlot, type Slot } from './packed-arena.js';
import { latin1, writeLatin1 } from '../util/bytes.js';
import { DEFAULT_LIMITS, type EncodingLimits } from './encoding-limits.js';
import { FieldTable } from './field-table.js';
import { LISTPACK_ENTRIES, LISTPACK_VALUE, forEachPackedPair, itemEnd, packedPairCount, readItem } from './packed-hash.js';

export { LISTPACK_ENTRIES, LISTPACK_VALUE };

/** The object, its Slot and the registry's cell for it (measured on Node 20). */
export const PACKED_OVERHEAD = 184;
/** The object and its Map, empty (a Map object, plus this object). */
export const TABLE_OVERHEAD = 160;
/** Per field of a hashtable: the Map slot plus two string headers (as entry.ts's FIELD_OVERHEAD). */
export const TABLE_FIELD_OVERHEAD = 64;
/**
 * Past this many fields a hashtable's pairs leave the Map for a FieldTable (field-table.ts: off
 * the heap, no object per field, growth without a stop of the event loop for every entry at once).
 * The move itself re-inserts this many pairs in one command; it never goes back. 2,048 rather
 * than 8,192: the move took a median 2.7 ms instead of 4.5 ms (up to 9 ms) on this VM, which with
 * a stream's 4 ms turn budget held a turn past 10 ms; the Map's lookup is ~100 ns faster, and the
 * bytes per field are about the same (~108).
 */
export const TABLE_FIELDS = 2048;

/** The Slot of every hash that holds no region (new, emptied, converted). Never written (not
 * frozen, so that all Slots keep one shape). */
const NO_MEMORY: Slot = { buf: EMPTY, base: 0, cap: 0 };

/** Where replyValue and replyPairs write: the reply writer's bulk-string methods. */
export interface BulkSink {
  bulk(s: string): void;
  bulkBytes(buf: Buffer, start: number, end: number): void;
}

function tableFieldBytes(field: string, value: string): number {
  return TABLE_FIELD_OVERHEAD + field.length + value.length;
}

export class HashValue implements CollectionValue {
  /**
   * Where the packed pairs are: mem.buf[mem.base, mem.base + used). The hash owns the region iff
   * mem.cap > 0 (then mem is tracked by the arena); else mem is NO_MEMORY or a fromBytes view.
   */
  private mem: Slot = NO_MEMORY;
  private used = 0;
  /**
   * Pairs of a packed hash. Of a Map: 1 while Redis would still hold it as a listpack (limits
   * raised past the packed form's bounds), else 0.
   */
  private count = 0;
  /** The hashtable, once converted (null again once it moved to `big`). */
  private map: Map<string, string> | null = null;
  private tableBytes = 0;
  /** A hashtable of more than TABLE_FIELDS fields (then map is null and count as for a Map). */
  private big: FieldTable | null = null;

  /** A hash of these pairs, set in order (the conversion rules apply as for HSET). */
  static fromPairs(pairs: Iterable<readonly [string, string]>): HashValue {
    const h = new HashValue();
    for (const [f, v] of pairs) h.set(f, v);
    return h;
  }

  /**
   * The hash whose packed form is buf[start, end) (as writeTo wrote it). A view, not a copy:
   * reads come straight from buf until the first edit, which copies the pairs into the hash's own
   * memory (buf is never written); the caller must keep those bytes unchanged until then. If a
   * length is over 64 bytes or there are more than 512 pairs the result is a hashtable holding
   * copies. Throws RangeError on malformed bytes. Fields are trusted to be distinct.
   */
  static fromBytes(buf: Buffer, start: number, end: number): HashValue {
    const pairs = packedPairCount(buf, start, end);
    const h = new HashValue();
    if (pairs >= 0 && pairs <= LISTPACK_ENTRIES) {
      if (pairs > 0) h.mem = { buf, base: start, cap: 0 };
      h.used = end - start;
      h.count = pairs;
      return h;
    }
    h.map = new Map();
    h.tableBytes = TABLE_OVERHEAD;
    for (let p = start; p < end; ) {
      const f = readItem(buf, p);
      const v = readItem(buf, itemEnd);
      p = itemEnd;
      h.tableSet(f, v);
    }
    if (h.map.size > TABLE_FIELDS) h.moveToTable();
    return h;
  }

  get size(): number {
    if (this.big !== null) return this.big.size;
    return this.map !== null ? this.map.size : this.count;
  }

  get bytes(): number {
    if (this.big !== null) return TABLE_OVERHEAD + this.big.bytes;
    if (this.map !== null) return this.tableBytes;
    const cap = this.mem.cap;
    return PACKED_OVERHEAD + (cap > this.used ? cap : this.used);
  }

  encoding(): string {
    return (this.map === null && this.big === null) || this.count !== 0 ? 'listpack' : 'hashtable';
  }

  /** Whether the hash is in its packed form (packedLength and writeTo need it). */
  get packed(): boolean {
    return this.map === null && this.big === null;
  }

  clone(): HashValue {
    const h = new HashValue();
    if (this.big !== null) {
      h.big = this.big.clone();
      h.count = this.count;
    } else if (this.map !== null) {
      h.map = new Map(this.map);
      h.tableBytes = this.tableBytes;
      h.count = this.count;
    } else if (this.used > 0) {
      const m = trackedSlot(h);
      allocate(m, this.used);
      this.mem.buf.copy(m.buf, m.base, this.mem.base, this.mem.base + this.used);
      h.mem = m;
      h.used = this.used;
      h.count = this.count;
    }
    return h;
  }

  get(field: string): string | undefined {
    if (this.big !== null) return this.big.get(field);
    if (this.map !== null) return this.map.get(field);
    const p = this.locate(field);
    if (p < 0) return undefined;
    const b = this.mem.buf;
    const q = p + 1 + b[p];
    return latin1(b, q + 1, q + 1 + b[q]);
  }

  has(field: string): boolean {
    if (this.big !== null) return this.big.has(field);
    return this.map !== null ? this.map.has(field) : this.locate(field) >= 0;
  }

  /** The value's length in bytes, 0 for a missing field (HSTRLEN). */
  strlen(field: string): number {
    if (this.big !== null) return Math.max(0, this.big.valueLength(field));
    if (this.map !== null) return this.map.get(field)?.length ?? 0;
    const p = this.locate(field);
    const b = this.mem.buf;
    return p < 0 ? 0 : b[p + 1 + b[p]];
  }

  /**
   * Sets field to value, converting as Redis's hashTypeSet does under `limits` (see the file
   * comment); returns whether field is new.
   */
  set(field: string, value: string, limits: Readonly<EncodingLimits> = DEFAULT_LIMITS): boolean {
    const max = limits.hashValue;
    const big = this.big;
    if (big !== null) {
      const added = big.set(field, value);
      if (this.count !== 0 && (field.length > max || value.length > max || big.size > limits.hashEntries)) this.count = 0;
      return added;
    }
    if (this.map === null) {
      const cap = max < LISTPACK_VALUE ? max : LISTPACK_VALUE;
      if (field.length <= cap && value.length <= cap) {
        const added = this.packedSet(field, value);
        const n = this.count;
        if (n > LISTPACK_ENTRIES || n > limits.hashEntries) this.convert(n <= limits.hashEntries);
        return added;
      }
      this.convert(field.length <= max && value.length <= max);
    } else if (this.count !== 0 && (field.length > max || value.length > max)) {
      this.count = 0;
    }
    const added = this.tableSet(field, value);
    const size = this.map!.size;
    if (this.count !== 0 && size > limits.hashEntries) this.count = 0;
    if (size > TABLE_FIELDS) this.moveToTable();
    return added;
  }

  /** Removes field; returns whether it was there. */
  delete(field: string): boolean {
    if (this.big !== null) return this.big.delete(field);
    const map = this.map;
    if (map !== null) {
      const old = map.get(field);
      if (old === undefined) return false;
      map.delete(field);
      this.tableBytes -= tableFieldBytes(field, old);
      return true;
    }
    const p = this.locate(field);
    if (p < 0) return false;
    const b = this.mem.buf;
    const q = p + 1 + b[p];
    this.splice(p - this.mem.base, q + 1 + b[q] - p, 0);
    this.count--;
    return true;
  }

  /** Writes field's value as a bulk string and returns true, or returns false if it is missing. */
  replyValue(field: string, w: BulkSink): boolean {
    const big = this.big;
    if (big !== null) {
      if (!big.view(field)) return false;
      w.bulkBytes(big.vbuf, big.vstart, big.vend);
      return true;
    }
    if (this.map !== null) {
      const v = this.map.get(field);
      if (v !== undefined) w.bulk(v);
      return v !== undefined;
    }
    const p = this.locate(field);
    if (p < 0) return false;
    const b = this.mem.buf;
    const q = p + 1 + b[p];
    w.bulkBytes(b, q + 1, q + 1 + b[q]);
    return true;
  }

  /**
   * Writes every pair's field (part 0), value (part 1) or both (part 2) as bulk strings, in
   * insertion order, straight from the packed bytes (HGETALL, HKEYS, HVALS).
   */
  replyPairs(w: BulkSink, part: 0 | 1 | 2): void {
    const big = this.big;
    if (big !== null) {
      for (let id = big.nextLive(0); id >= 0; id = big.nextLive(id + 1)) {
        if (part !== 1) {
          big.viewField(id);
          w.bulkBytes(big.vbuf, big.vstart, big.vend);
        }
        if (part !== 0) {
          big.viewValue(id);
          w.bulkBytes(big.vbuf, big.vstart, big.vend);
        }
      }
      return;
    }
    const map = this.map;
    if (map !== null) {
      for (const [f, v] of map) {
        if (part !== 1) w.bulk(f);
        if (part !== 0) w.bulk(v);
      }
      return;
    }
    const b = this.mem.buf;
    const end = this.mem.base + this.used;
    for (let p = this.mem.base; p < end; ) {
      const q = p + 1 + b[p];
      const after = q + 1 + b[q];
      if (part !== 1) w.bulkBytes(b, p + 1, q);
      if (part !== 0) w.bulkBytes(b, q + 1, after);
      p = after;
    }
  }

  /** Calls fn for every pair in insertion order; the hash must not be edited meanwhile. */
  forEach(fn: (field: string, value: string) => void): void {
    const big = this.big;
    if (big !== null) {
      for (let id = big.nextLive(0); id >= 0; id = big.nextLive(id + 1)) fn(big.fieldAt(id), big.valueAt(id));
      return;
    }
    const map = this.map;
    if (map !== null) {
      for (const [f, v] of map) fn(f, v);
      return;
    }
    forEachPackedPair(this.mem.buf, this.mem.base, this.mem.base + this.used, fn);
  }

  /**
   * The pairs in insertion order (a FieldTable's: in id order). A hashtable's iterator is its Map's
   * or its FieldTable's: it survives edits and returns every field present from start to end
   * (HSCAN relies on it). A packed hash must not be edited while iterated.
   */
  entries(): IterableIterator<[string, string]> {
    if (this.big !== null) return this.big.entries();
    return this.map !== null ? this.map.entries() : this.packedEntries();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** A uniformly random field (the hash must not be empty). */
  randomField(): string {
    if (this.big !== null) return this.big.randomField();
    let k = Math.floor(Math.random() * this.size);
    if (this.map !== null) {
      // A Map has no random access: walk to the k-th key.
      const it = this.map.keys();
      while (k-- > 0) it.next();
      return it.next().value!;
    }
    const b = this.mem.buf;
    let p = this.mem.base;
    for (; k > 0; k--) {
      const q = p + 1 + b[p];
      p = q + 1 + b[q];
    }
    return latin1(b, p + 1, p + 1 + b[p]);
  }

  /** Bytes writeTo writes: the packed form (listpack encoding only). */
  get packedLength(): number {
    if (!this.packed) throw new RangeError('a hashtable hash has no packed form');
    return this.used;
  }

  /** Writes the packed form (listpack encoding only) at buf[offset]; returns the offset after it. */
  writeTo(buf: Buffer, offset: number): number {
    if (!this.packed) throw new RangeError('a hashtable hash has no packed form');
    this.mem.buf.copy(buf, offset, this.mem.base, this.mem.base + this.used);
    return offset + this.used;
  }

  /** Absolute position in mem.buf of field's pair, or -1. */
  private locate(field: string): number {
    const n = field.length;
    if (n > LISTPACK_VALUE) return -1;
    const b = this.mem.buf;
    const end = this.mem.base + this.used;
    for (let p = this.mem.base; p < end; ) {
      const len = b[p];
      // Fields often share a prefix (user:1, user:2): try the last byte before the rest.
      if (len === n && (n === 0 || b[p + n] === field.charCodeAt(n - 1))) {
        let i = 0;
        while (i < n && b[p + 1 + i] === field.charCodeAt(i)) i++;
        if (i === n) return p;
      }
      const q = p + 1 + len;
      p = q + 1 + b[q];
    }
    return -1;
  }

  private packedSet(field: string, value: string): boolean {
    const p = this.locate(field);
    const vlen = value.length;
    if (p >= 0) {
      // Replace the value's length and bytes; the pair keeps its place (as in a listpack).
      const at = p - this.mem.base + 1 + field.length;
      this.splice(at, 1 + this.mem.buf[p + 1 + field.length], 1 + vlen);
      const b = this.mem.buf;
      const q = this.mem.base + at;
      b[q] = vlen;
      writeLatin1(b, value, q + 1);
      return false;
    }
    const at = this.used;
    const flen = field.length;
    this.splice(at, 0, 2 + flen + vlen);
    const b = this.mem.buf;
    const q = this.mem.base + at;
    b[q] = flen;
    writeLatin1(b, field, q + 1);
    b[q + 1 + flen] = vlen;
    writeLatin1(b, value, q + 2 + flen);
    this.count++;
    return true;
  }

  /**
   * Replaces bytes [at, at + removed) of the packed pairs (offsets from mem.base) with `inserted`
   * bytes of undefined content, for the caller to fill. In place when the hash owns a region with
   * room that is not twice too big; else the pairs move to a region sized for them (copied before
   * the old region is released, as the arena may hand that region straight back).
   */
  private splice(at: number, removed: number, inserted: number): void {
    const m = this.mem;
    const used = this.used;
    const size = used - removed + inserted;
    const cap = m.cap;
    if (size === 0) {
      this.dropMemory();
    } else if (cap > 0 && size <= cap && (size > cap >> 1 || cap <= 16)) {
      if (removed !== inserted) m.buf.copyWithin(m.base + at + inserted, m.base + at + removed, m.base + used);
    } else {
      const oldBuf = m.buf;
      const oldBase = m.base;
      const target = cap > 0 ? m : trackedSlot(this);
      allocate(target, size);
      oldBuf.copy(target.buf, target.base, oldBase, oldBase + at);
      oldBuf.copy(target.buf, target.base + at + inserted, oldBase + at + removed, oldBase + used);
      if (cap > 0) release(oldBuf, oldBase, cap);
      this.mem = target;
    }
    this.used = size;
  }

  /** Releases the region (if owned); the tracked Slot is left empty for the registry to ignore. */
  private dropMemory(): void {
    const m = this.mem;
    if (m.cap > 0) {
      release(m.buf, m.base, m.cap);
      m.buf = EMPTY;
      m.cap = 0;
    }
    this.mem = NO_MEMORY;
  }

  /** Moves the pairs to a Map; `listpack`: Redis would still hold the hash as a listpack. */
  private convert(listpack: boolean): void {
    const pairs: string[] = [];
    this.forEach((f, v) => pairs.push(f, v));
    this.dropMemory();
    this.used = 0;
    this.count = listpack ? 1 : 0;
    this.map = new Map();
    this.tableBytes = TABLE_OVERHEAD;
    for (let i = 0; i < pairs.length; i += 2) this.tableSet(pairs[i], pairs[i + 1]);
  }

  /**
   * Moves the Map's pairs to a FieldTable (see TABLE_FIELDS), sized at once for twice as many:
   * growing from empty doubled its columns and moved its index ten times in this one call.
   */
  private moveToTable(): void {
    const big = new FieldTable();
    big.reserve(2 * this.map!.size);
    for (const [f, v] of this.map!) big.set(f, v);
    this.map = null;
    this.tableBytes = 0;
    this.big = big;
  }

  private tableSet(field: string, value: string): boolean {
    const map = this.map!;
    const old = map.get(field);
    map.set(field, value);
    if (old === undefined) {
      this.tableBytes += tableFieldBytes(field, value);
      return true;
    }
    this.tableBytes += value.length - old.length;
    return false;
  }

  private *packedEntries(): IterableIterator<[string, string]> {
    const b = this.mem.buf;
    const end = this.mem.base + this.used;
    for (let p = this.mem.base; p < end; ) {
      const f = readItem(b, p);
      const v = readItem(b, itemEnd);
      p = itemEnd;
      yield [f, v];
    }
  }
}
