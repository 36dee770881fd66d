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

/** One epoch's Space-Saving table: a min-heap of counters by count, and each key's heap slot. */
export class SpaceSaving {
  private readonly keys: string[] = [];
  private readonly counts: number[] = [];
  private readonly slotOf = new Map<string, number>();
  /** Samples this table has taken. */
  total = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.keys.length;
  }

  add(key: string): void {
    this.total++;
    const at = this.slotOf.get(key);
    if (at !== undefined) {
      this.counts[at]++;
      this.siftDown(at);
      return;
    }
    if (this.keys.length < this.capacity) {
      // A new key starts at 1, which is at most every other count: it rises to its place.
      const i = this.keys.length;
      this.keys.push(key);
      this.counts.push(1);
      this.slotOf.set(key, i);
      this.siftUp(i);
      return;
    }
    // Full: the key with the least count gives its counter up; the newcomer inherits the count
    // (it may have been seen up to that many times while absent), plus this sample.
    this.slotOf.delete(this.keys[0]);
    this.keys[0] = key;
    this.counts[0]++;
    this.slotOf.set(key, 0);
    this.siftDown(0);
  }

  /** The key's count, 0 when absent. */
  count(key: string): number {
    const at = this.slotOf.get(key);
    return at === undefined ? 0 : this.counts[at];
  }

  /** The smallest count while full (the most an absent key can have been seen), else 0. */
  get minCount(): number {
    return this.keys.length < this.capacity ? 0 : this.counts[0];
  }

  *entries(): IterableIterator<[string, number]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i], this.counts[i]];
  }

  clear(): void {
    this.keys.length = 0;
    this.counts.length = 0;
    this.slotOf.clear();
    this.total = 0;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.counts[parent] <= this.counts[i]) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const least = r < n && this.counts[r] < this.counts[l] ? r : l;
      if (this.counts[i] <= this.counts[least]) return;
      this.swap(i, least);
      i = least;
    }
  }

  private swap(a: number, b: number): void {
    const k = this.keys[a];
    const c = this.counts[a];
    this.keys[a] = this.keys[b];
    this.counts[a] = this.counts[b];
    this.keys[b] = k;
    this.counts[b] = c;
    this.slotOf.set(this.keys[a], a);
    this.slotOf.set(k, b);
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

  /** A sampled access of `key` (the keyspace calls it when `skip` reaches 0). */
  record(key: string): void {
    this.skip = this.nextGap();
    this.rotate(this.clock.now());
    this.current.add(key.length > MAX_KEY_CHARS ? `${key.slice(0, MAX_KEY_CHARS)}...(${key.length} bytes)` : key);
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
