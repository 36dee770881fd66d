// The allkeys-tinylfu eviction policy: W-TinyLFU (Caffeine's design, Einziger, Friedman & Manes,
// "TinyLFU: A Highly Efficient Cache Admission Policy"), adapted to a byte budget.
//
// - A count-min sketch of 4-bit counters (4 rows) estimates every key's recent access frequency,
//   for keys held and keys recently evicted alike (it stores hashes, not keys). After
//   10 x capacity increments every counter is halved ("aging"), so old popularity fades.
//   No doorkeeper.
// - A window LRU of 1% of maxmemory (bytes) takes every new key; a fixed size, no hill climbing.
// - The main space (99%) is a segmented LRU: probation (20% of it) and protected (80%). A hit in
//   probation promotes to protected; protected overflow is demoted to probation's MRU end.
// - Admission: keys pushed out of the window enter probation's MRU end as candidates; while the
//   store is over maxmemory, the oldest candidate duels probation's LRU victim, and the one with
//   the lower sketch frequency is evicted (the candidate on a tie; a warm candidate, frequency
//   >= 6, is admitted anyway with probability 1/128, Caffeine's defence against hash flooding).
//   A burst of one-hit keys (a scan) thus loses every duel and never displaces the hot set.
//
// Budgets are in bytes (each entry's `bytes`, as used_memory counts them); with maxmemory 0 the
// segments are unbounded (everything stays in the window, in LRU order) until a limit is set.
//
// Memory: per-entry state lives in typed arrays indexed by a slot id (struct of arrays), so the
// Entry only carries `slot` (one 8-byte field, present whatever the policy). While the policy is
// active a tracked entry costs 28 bytes here: the Entry reference (8), prev and next links (4 + 4),
// the key's 32-bit hash (4, so the sketch never rehashes the key on an access), the bytes charged
// to its segment (4) and its segment and database (4); plus the sketch, 8 bytes per entry of
// capacity (rounded up to a power of two), and the arrays' doubling slack. None of it is counted
// in used_memory (as Redis does not count its eviction pool).

import type { Entry } from './entry.js';

const NIL = -1;
export const SEG_WINDOW = 1;
export const SEG_PROBATION = 2;
export const SEG_PROTECTED = 3;

/** Window share of maxmemory (fixed: no adaptive hill climbing yet). */
export const WINDOW_SHARE = 0.01;
/** Protected share of the main space. */
export const PROTECTED_SHARE = 0.8;
/** A candidate at least this frequent is admitted on a lost duel with probability 1/128. */
const ADMIT_HASHDOS_THRESHOLD = 6;

const SEEDS = [0x97cb3127, 0x9d2c5680, 0x5bd1e995, 0x68b3c2f1];

/** FNV-1a over the key's chars (latin1: one byte each), then murmur3's finalizer. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Count-min sketch of 4-bit counters: 4 rows in one table of 32-bit words (8 counters each;
 * row i uses counters 2i and 2i+1 of the word its hash picks), 2 words per entry of capacity.
 */
export class FrequencySketch {
  private table: Uint32Array;
  private mask: number;
  private sampleSize: number;
  private additions = 0;

  constructor(capacity = 16) {
    this.table = new Uint32Array(0);
    this.mask = 0;
    this.sampleSize = 0;
    this.resize(capacity);
  }

  /** Grows the table for `capacity` entries (the counts restart, as Caffeine's do). */
  ensureCapacity(capacity: number): void {
    if (capacity * 2 > this.table.length) this.resize(capacity);
  }

  private resize(capacity: number): void {
    let n = 16;
    while (n < capacity) n *= 2;
    this.table = new Uint32Array(n * 2);
    this.mask = n * 2 - 1;
    this.sampleSize = 10 * n;
    this.additions = 0;
  }

  frequency(hash: number): number {
    let min = 15;
    for (let i = 0; i < 4; i++) {
      const x = rowHash(hash, i);
      const v = (this.table[x & this.mask] >>> (((i << 1) | (x >>> 31)) << 2)) & 15;
      if (v < min) min = v;
    }
    return min;
  }

  increment(hash: number): void {
    let added = false;
    const t = this.table;
    for (let i = 0; i < 4; i++) {
      const x = rowHash(hash, i);
      const w = x & this.mask;
      const shift = ((i << 1) | (x >>> 31)) << 2;
      if (((t[w] >>> shift) & 15) < 15) {
        t[w] += 1 << shift;
        added = true;
      }
    }
    if (added && ++this.additions >= this.sampleSize) this.reset();
  }

  /** Aging: halves every counter (and the addition count, less the truncation error). */
  private reset(): void {
    const t = this.table;
    let odd = 0;
    for (let i = 0; i < t.length; i++) {
      odd += popcount(t[i] & 0x11111111);
      t[i] = (t[i] >>> 1) & 0x77777777;
    }
    this.additions = (this.additions - (odd >>> 2)) >>> 1;
  }
}

function rowHash(hash: number, i: number): number {
  let x = Math.imul((hash + SEEDS[i]) | 0, 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  return (x ^ (x >>> 13)) >>> 0;
}

function popcount(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export class TinyLfu {
  readonly sketch = new FrequencySketch();
  /** Entries tracked. */
  count = 0;
  /** For admission's 1/128 coin (injectable for tests). */
  random: () => number = Math.random;
  private entries: (Entry | undefined)[] = [];
  private prev = new Int32Array(16);
  private next = new Int32Array(16);
  private hash = new Uint32Array(16);
  private charged = new Uint32Array(16);
  /** db << 2 | segment. */
  private meta = new Uint32Array(16);
  private freeSlots: number[] = [];
  private readonly head = [NIL, NIL, NIL, NIL];
  private readonly tail = [NIL, NIL, NIL, NIL];
  /** Bytes per segment (index by SEG_*). */
  readonly segBytes = [0, 0, 0, 0];
  /** The oldest window key moved to probation and not yet admitted or rejected, or NIL. */
  private candidate = NIL;
  private maxBytes = Infinity;
  private windowMax = Infinity;
  private protectedMax = Infinity;

  /** Sizes the segments for a byte budget (0: unbounded). */
  setMaxBytes(max: number): void {
    this.maxBytes = max <= 0 ? Infinity : max;
    if (max <= 0) {
      this.windowMax = Infinity;
      this.protectedMax = Infinity;
    } else {
      this.windowMax = max * WINDOW_SHARE;
      this.protectedMax = (max - this.windowMax) * PROTECTED_SHARE;
    }
  }

  /** A new key of database `db`: enters the window's MRU end. Its bytes must be set. */
  add(e: Entry, db: number): void {
    // Candidates are the keys drained since the store went over its budget: if it is within it,
    // keys drained earlier are plain probation members (as in Caffeine, where a maintenance run's
    // candidates are only the keys that run moved out of the window).
    if (this.segBytes[SEG_WINDOW] + this.segBytes[SEG_PROBATION] + this.segBytes[SEG_PROTECTED] <= this.maxBytes) this.candidate = NIL;
    const id = this.track(e, db, SEG_WINDOW);
    this.linkTail(SEG_WINDOW, id);
    this.drainWindow();
  }

  /** An existing key taken over on a policy switch: enters probation, with no frequency yet. */
  adopt(e: Entry, db: number): void {
    this.linkTail(SEG_PROBATION, this.track(e, db, SEG_PROBATION));
  }

  /** An access (read or write) to a tracked entry. */
  onAccess(e: Entry): void {
    const id = e.slot;
    this.sketch.increment(this.hash[id]);
    const seg = this.meta[id] & 3;
    const bytes = Math.min(e.bytes, 0xffffffff);
    if (bytes !== this.charged[id]) {
      this.segBytes[seg] += bytes - this.charged[id];
      this.charged[id] = bytes;
    }
    if (seg === SEG_PROBATION) {
      this.move(id, SEG_PROTECTED);
      // Protected overflow goes back to probation (keeping at least the key just promoted).
      while (this.segBytes[SEG_PROTECTED] > this.protectedMax && this.head[SEG_PROTECTED] !== this.tail[SEG_PROTECTED]) {
        this.move(this.head[SEG_PROTECTED], SEG_PROBATION);
      }
    } else if (this.tail[seg] !== id) {
      this.move(id, seg);
    }
  }

  /** Stops tracking an entry (deleted, expired, evicted, flushed). */
  remove(e: Entry): void {
    const id = e.slot;
    this.unlink(id);
    this.segBytes[this.meta[id] & 3] -= this.charged[id];
    this.entries[id] = undefined;
    this.freeSlots.push(id);
    e.slot = -1;
    this.count--;
  }

  /** The sketch's estimate of a tracked entry's frequency (OBJECT FREQ), 0-15. */
  frequencyOf(e: Entry): number {
    return e.slot < 0 ? 0 : this.sketch.frequency(this.hash[e.slot]);
  }

  /** Which segment holds an entry (SEG_*), 0 if untracked. */
  segmentOf(e: Entry): number {
    return e.slot < 0 ? 0 : this.meta[e.slot] & 3;
  }

  /**
   * The next entry to evict, with its database, or undefined when nothing is tracked: the loser
   * of the oldest candidate's duel with probation's LRU key, else probation's LRU key, else
   * protected's, else the window's. The caller removes it (which calls remove()).
   */
  pickVictim(): { db: number; entry: Entry } | undefined {
    this.drainWindow();
    let id = this.head[SEG_PROBATION];
    if (id === NIL) {
      id = this.head[SEG_PROTECTED] !== NIL ? this.head[SEG_PROTECTED] : this.head[SEG_WINDOW];
      if (id === NIL) return undefined;
    } else {
      const cand = this.candidate;
      if (cand !== NIL && cand !== id && !this.admit(this.hash[cand], this.hash[id])) id = cand;
    }
    return { db: this.meta[id] >>> 2, entry: this.entries[id]! };
  }

  private admit(candidateHash: number, victimHash: number): boolean {
    const candidateFreq = this.sketch.frequency(candidateHash);
    const victimFreq = this.sketch.frequency(victimHash);
    if (candidateFreq > victimFreq) return true;
    return candidateFreq >= ADMIT_HASHDOS_THRESHOLD && this.random() < 1 / 128;
  }

  /** Moves window overflow (all but the MRU key) to probation's MRU end, as candidates. */
  private drainWindow(): void {
    while (this.segBytes[SEG_WINDOW] > this.windowMax && this.head[SEG_WINDOW] !== this.tail[SEG_WINDOW]) {
      const id = this.head[SEG_WINDOW];
      this.move(id, SEG_PROBATION);
      if (this.candidate === NIL) this.candidate = id;
    }
  }

  private track(e: Entry, db: number, seg: number): number {
    let id = this.freeSlots.pop();
    if (id === undefined) {
      id = this.entries.length;
      this.entries.push(e);
      if (id >= this.prev.length) this.grow();
    } else {
      this.entries[id] = e;
    }
    e.slot = id;
    this.hash[id] = hashKey(e.key);
    this.charged[id] = Math.min(e.bytes, 0xffffffff);
    this.meta[id] = (db << 2) | seg;
    this.segBytes[seg] += this.charged[id];
    this.count++;
    this.sketch.ensureCapacity(this.count);
    return id;
  }

  private grow(): void {
    const n = this.prev.length * 2;
    const g = <T extends Int32Array | Uint32Array>(a: T, b: T): T => (b.set(a), b);
    this.prev = g(this.prev, new Int32Array(n));
    this.next = g(this.next, new Int32Array(n));
    this.hash = g(this.hash, new Uint32Array(n));
    this.charged = g(this.charged, new Uint32Array(n));
    this.meta = g(this.meta, new Uint32Array(n));
  }

  /** Unlinks and relinks at segment `seg`'s MRU end, moving the bytes with it. */
  private move(id: number, seg: number): void {
    const from = this.meta[id] & 3;
    this.unlink(id);
    this.segBytes[from] -= this.charged[id];
    this.segBytes[seg] += this.charged[id];
    this.meta[id] = (this.meta[id] & ~3) | seg;
    this.linkTail(seg, id);
  }

  private unlink(id: number): void {
    const seg = this.meta[id] & 3;
    const p = this.prev[id];
    const n = this.next[id];
    if (id === this.candidate) this.candidate = n;
    if (p === NIL) this.head[seg] = n;
    else this.next[p] = n;
    if (n === NIL) this.tail[seg] = p;
    else this.prev[n] = p;
  }

  private linkTail(seg: number, id: number): void {
    const t = this.tail[seg];
    this.prev[id] = t;
    this.next[id] = NIL;
    if (t === NIL) this.head[seg] = id;
    else this.next[t] = id;
    this.tail[seg] = id;
  }
}
