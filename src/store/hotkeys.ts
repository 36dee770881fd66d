// Hot-key detection: the keys with the highest access rate over a sliding window, for CORRAL
// HOTKEYS, INFO hotkeys and `corral cluster hotkeys` (docs/operations.md, "Hot keys").
//
// Feeding it. The keyspace counts `skip` down on every key access (KeyspaceCore.touch and added,
// and the misses of Keyspace.findRead and lookupRead: reads, hits or misses, and writes by
// commands; on a replica also the writes it applies from its primary) and calls
// `record(key)` only when it reaches zero: one field decrement per access, no allocation, no clock
// read. `record` then sets the next gap to a pseudo-random integer uniform in [1, 2N - 1] (mean N,
// the sample period), so accesses are sampled at rate 1/N whatever their order; a fixed gap
// would alias with a client that cycles through N keys and always sample the same one.
//
// The summary. Each epoch (epochMs, rotated on the next record or query after it ends) has a
// Space-Saving table of `capacity` (m) counters (Metwally et al. 2005): a sampled key already in
// the table gets +1; a new key takes a free counter, or, when the table is full, replaces the
// key with the smallest count c_min and starts from c_min + 1. A min-heap keeps c_min at the
// root, so a sample costs O(log m). The window is the previous epoch plus the current one, so
// a key is forgotten between one and two epochs after its accesses stop.
//
// Error bound. In one epoch with S samples, Space-Saving guarantees for every key x with true
// sampled count f(x): f(x) <= count(x) <= f(x) + S/m when x is in the table, and f(x) <= c_min <=
// S/m when it is not (so every key with f(x) > S/m is present). The estimate adds the two
// epochs' counts (0 when absent), so its error is at most (S_prev + S_cur)/m sampled accesses,
// either way. In rates: with R the node's total sampled-and-scaled access rate over the window,
//
//     |estimated ops/s - sampled ops/s of x| <= R / m
//
// (with the defaults, m = 64: within 1/64 of the node's whole access rate), and every key whose
// rate exceeds R/m is listed. Sampling adds a relative error of about sqrt(N / c) for a key
// accessed c times in the window (c >= 10,000 at N = 16 gives under 4%); with N = 1 there is
// none. Rates are counts x N over the window's length (at least one second while the node is
// younger than an epoch, so a first burst does not read as an enormous rate).
//
// Memory is bounded: 2 tables of m entries, each a key of at most MAX_KEY_CHARS characters (a
// longer key is tracked as its first MAX_KEY_CHARS characters plus its length, so two keys that
// share both merge). Keys are tracked by name across databases (db 0 and db 1's "x" count
// together): cluster mode has only database 0.
//
// Load per slot range. In cluster mode (the store is given the cluster's slot function) every
// sampled access is also counted into a fixed array of SLOT_RANGES ranges of slots, by its key's
// slot: the count times the sample period estimates the accesses to each range, so per-shard
// imbalance and a hot range are queries on the node's metrics. It costs a sampled access (one in
// N) a CRC16 of its key through a reused scratch buffer and one array increment; nothing for the
// others.
//
// Why not W-TinyLFU's count-min sketch (eviction/tinylfu-sketch.ts): it exists only under allkeys-tinylfu
// with maxmemory set, holds hashes rather than key names (a top-k must name its keys), and ages
// by halving after a number of accesses rather than by time, so it gives no rate per second.
// Space-Saving needs no sketch: its table is both the counter and the list of candidates.

import type { Clock } from '../util/clock.js';
import { hashString } from './key-table.js';

export interface HotKeysOptions {
  /** Counters per epoch table (m): the error bound is R / m. */
  capacity?: number;
  /** Epoch length; the window is one to two epochs. */
  epochMs?: number;
  /** Sample one access in N on average (1: every access). */
  samplePeriod?: number;
  /** Seed of the sampling gaps' generator (tests fix it). */
  seed?: number;
  /** The cluster hash slot of key bytes (cluster mode): sampled accesses are then counted per slot range. */
  slotOf?: (buf: Buffer, start: number, end: number) => number;
}

export interface HotKey {
  key: string;
  /** Estimated accesses per second over the window. */
  opsPerSec: number;
}

export const DEFAULT_HOTKEY_CAPACITY = 64;
export const DEFAULT_HOTKEY_EPOCH_MS = 3000;
export const DEFAULT_HOTKEY_SAMPLE_PERIOD = 16;
/** Keys are tracked by at most this many characters (see the file comment). */
export const MAX_KEY_CHARS = 1024;
/** Slot ranges sampled accesses are counted in (cluster mode), each SLOTS_PER_RANGE slots wide. */
export const SLOT_RANGES = 16;
export const SLOTS_PER_RANGE = 16384 / SLOT_RANGES;

/**
 * One epoch's Space-Saving table. Each counter has a stable slot (its key and count stay in that
 * slot for as long as the key holds it); a min-heap of slots orders them by count (each slot's
 * heap position in `posOf`), and a small open-addressing index finds a key's slot by its hash.
 * At 100,000 keys nearly every sample is a newcomer that replaces the root, so the index sees a
 * delete and an insert per sample: a JS Map (a set per heap swap, and deleted entries piling up
 * until it rebuilt its table) made the sampler cost ~120 ns per access there, in the store's
 * GET and SET (docs/benchmarks.md); this index deletes by shifting its probe run back (no
 * tombstones), a heap step moves two integers, and nothing is allocated: ~15 ns per access.
 */
export class SpaceSaving {
  private readonly keyOf: string[] = [];
  private readonly countOf: Float64Array;
  /** Heap of slots, least count at [0]. */
  private readonly heap: Int32Array;
  private readonly posOf: Int32Array;
  private readonly hashOf: Int32Array;
  /** Linear-probing index: slot + 1 per bucket, 0 empty; at most a quarter full. */
  private readonly buckets: Int32Array;
  private readonly mask: number;
  private used = 0;
  /** Samples this table has taken. */
  total = 0;

  constructor(readonly capacity: number) {
    this.countOf = new Float64Array(capacity);
    this.heap = new Int32Array(capacity);
    this.posOf = new Int32Array(capacity);
    this.hashOf = new Int32Array(capacity);
    let n = 4;
    while (n < capacity * 4) n *= 2;
    this.buckets = new Int32Array(n);
    this.mask = n - 1;
  }

  get size(): number {
    return this.used;
  }

  /** One sample of `key`; `h` is hashString(key) (the key table's hash of its bytes). */
  add(key: string, h: number = hashString(key)): void {
    this.total++;
    const at = this.find(key, h);
    if (at >= 0) {
      this.countOf[at]++;
      this.siftDown(this.posOf[at]);
      return;
    }
    if (this.used < this.capacity) {
      // A new key starts at 1, which is at most every other count: it rises to its place.
      const slot = this.used++;
      this.keyOf[slot] = key;
      this.countOf[slot] = 1;
      this.heap[slot] = slot;
      this.posOf[slot] = slot;
      this.index(slot, h);
      this.siftUp(slot);
      return;
    }
    // Full: the key with the least count gives its counter up; the newcomer inherits the count
    // (it may have been seen up to that many times while absent), plus this sample.
    const slot = this.heap[0];
    this.unindex(slot);
    this.keyOf[slot] = key;
    this.countOf[slot]++;
    this.index(slot, h);
    this.siftDown(0);
  }

  /** The key's count, 0 when absent. */
  count(key: string): number {
    const at = this.find(key, hashString(key));
    return at < 0 ? 0 : this.countOf[at];
  }

  /** The smallest count while full (the most an absent key can have been seen), else 0. */
  get minCount(): number {
    return this.used < this.capacity ? 0 : this.countOf[this.heap[0]];
  }

  *entries(): IterableIterator<[string, number]> {
    for (let i = 0; i < this.used; i++) yield [this.keyOf[i], this.countOf[i]];
  }

  clear(): void {
    this.keyOf.length = 0;
    this.used = 0;
    this.buckets.fill(0);
    this.total = 0;
  }

  /** The key's slot, or -1. */
  private find(key: string, h: number): number {
    const buckets = this.buckets;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const b = buckets[i];
      if (b === 0) return -1;
      const slot = b - 1;
      if (this.hashOf[slot] === h && this.keyOf[slot] === key) return slot;
    }
  }

  private index(slot: number, h: number): void {
    this.hashOf[slot] = h;
    const buckets = this.buckets;
    const mask = this.mask;
    let i = h & mask;
    while (buckets[i] !== 0) i = (i + 1) & mask;
    buckets[i] = slot + 1;
  }

  /** Removes a slot from the index, shifting later members of its probe run back into the hole. */
  private unindex(slot: number): void {
    const buckets = this.buckets;
    const mask = this.mask;
    let hole = this.hashOf[slot] & mask;
    while (buckets[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; buckets[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashOf[buckets[j] - 1] & mask;
      // Move j's member into the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      buckets[hole] = buckets[j];
      hole = j;
    }
    buckets[hole] = 0;
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const counts = this.countOf;
    const slot = heap[i];
    const c = counts[slot];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (counts[heap[parent]] <= c) break;
      this.place(heap[parent], i);
      i = parent;
    }
    this.place(slot, i);
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const counts = this.countOf;
    const n = this.used;
    const slot = heap[i];
    const c = counts[slot];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const least = r < n && counts[heap[r]] < counts[heap[l]] ? r : l;
      if (c <= counts[heap[least]]) break;
      this.place(heap[least], i);
      i = least;
    }
    this.place(slot, i);
  }

  private place(slot: number, i: number): void {
    this.heap[i] = slot;
    this.posOf[slot] = i;
  }
}

export class HotKeys {
  /**
   * Accesses left before the next sample: the keyspace decrements it on every access and calls
   * record() when it reaches 0.
   */
  skip: number;
  readonly capacity: number;
  readonly epochMs: number;
  readonly samplePeriod: number;
  /**
   * Sampled accesses per slot range (range i: slots i * SLOTS_PER_RANGE ...), null outside
   * cluster mode; times samplePeriod estimates the accesses. Never reset: a Prometheus counter.
   */
  readonly slotRangeSamples: Float64Array | null;
  private readonly slotOf: ((buf: Buffer, start: number, end: number) => number) | null;
  private slotScratch: Buffer | null = null;
  private current: SpaceSaving;
  private previous: SpaceSaving;
  /** Whether `previous` covers a whole epoch (false until the first rotation, and after a gap). */
  private previousValid = false;
  private epochStart: number;
  private rng: number;

  constructor(
    private readonly clock: Clock,
    options: HotKeysOptions = {},
  ) {
    this.capacity = Math.max(1, Math.floor(options.capacity ?? DEFAULT_HOTKEY_CAPACITY));
    this.epochMs = Math.max(1, options.epochMs ?? DEFAULT_HOTKEY_EPOCH_MS);
    this.samplePeriod = Math.max(1, Math.floor(options.samplePeriod ?? DEFAULT_HOTKEY_SAMPLE_PERIOD));
    this.current = new SpaceSaving(this.capacity);
    this.previous = new SpaceSaving(this.capacity);
    this.epochStart = clock.now();
    this.rng = (options.seed ?? 0x9e3779b9) | 0 || 1;
    this.skip = this.nextGap();
    this.slotOf = options.slotOf ?? null;
    this.slotRangeSamples = this.slotOf === null ? null : new Float64Array(SLOT_RANGES);
  }

  /**
   * A sampled access of `key` (the keyspace calls it when `skip` reaches 0); `hash`, when the
   * caller has it, is the key table's hash of the key's bytes (hashString of the latin1 key).
   */
  record(key: string, hash?: number): void {
    this.skip = this.nextGap();
    this.rotate(this.clock.now());
    if (key.length > MAX_KEY_CHARS) this.current.add(`${key.slice(0, MAX_KEY_CHARS)}...(${key.length} bytes)`);
    else this.current.add(key, hash);
    if (this.slotRangeSamples !== null) this.slotRangeSamples[(this.slotOfKey(key) / SLOTS_PER_RANGE) | 0]++;
  }

  /** The slot of a latin1 key, through a scratch buffer reused across samples (grown for a longer key). */
  private slotOfKey(key: string): number {
    let b = this.slotScratch;
    if (b === null || b.length < key.length) b = this.slotScratch = Buffer.allocUnsafe(Math.max(256, key.length));
    const n = b.write(key, 0, 'latin1');
    return this.slotOf!(b, 0, n);
  }

  /** The `count` keys with the highest estimated rate, highest first (ties by key). */
  top(count: number): HotKey[] {
    const now = this.clock.now();
    this.rotate(now);
    const windowMs = this.windowMs(now);
    const scale = (this.samplePeriod * 1000) / windowMs;
    const seen = new Set<string>();
    const out: HotKey[] = [];
    for (const table of [this.current, this.previous]) {
      if (table === this.previous && !this.previousValid) continue;
      for (const [key] of table.entries()) {
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ key, opsPerSec: this.sampledCount(key) * scale });
      }
    }
    out.sort((a, b) => b.opsPerSec - a.opsPerSec || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (out.length > count) out.length = Math.max(0, count);
    return out;
  }

  /** The error bound of top()'s rates right now, in ops/s: R / m (see the file comment). */
  errorBound(): number {
    const now = this.clock.now();
    this.rotate(now);
    const samples = this.current.total + (this.previousValid ? this.previous.total : 0);
    return (samples * this.samplePeriod * 1000) / this.windowMs(now) / this.capacity;
  }

  /** Forgets everything (CONFIG RESETSTAT). */
  reset(): void {
    this.current.clear();
    this.previous.clear();
    this.previousValid = false;
    this.epochStart = this.clock.now();
  }

  private sampledCount(key: string): number {
    return this.current.count(key) + (this.previousValid ? this.previous.count(key) : 0);
  }

  /** The window's length: the previous epoch (when valid) and the current one so far; >= 1 s. */
  private windowMs(now: number): number {
    const ms = (this.previousValid ? this.epochMs : 0) + Math.max(0, now - this.epochStart);
    return Math.max(ms, Math.min(1000, this.epochMs));
  }

  /** Moves to the epoch `now` falls in: one step keeps the last epoch, two or more clear both. */
  private rotate(now: number): void {
    const elapsed = now - this.epochStart;
    if (elapsed < this.epochMs) return;
    const spare = this.previous;
    spare.clear();
    if (elapsed < 2 * this.epochMs) {
      this.previous = this.current;
      this.current = spare;
      this.previousValid = true;
      this.epochStart += this.epochMs;
    } else {
      // Nothing was recorded for a whole epoch or more: both tables are out of the window, and
      // the epoch before the new one saw no access (any would have rotated): valid and empty.
      this.current.clear();
      this.previousValid = true;
      this.epochStart += Math.floor(elapsed / this.epochMs) * this.epochMs;
    }
  }

  /** Uniform in [1, 2N - 1] (xorshift32): mean N. */
  private nextGap(): number {
    const n = this.samplePeriod;
    if (n === 1) return 1;
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    return 1 + ((x >>> 0) % (2 * n - 1));
  }
}
