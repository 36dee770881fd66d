// The allkeys-tinylfu eviction policy: W-TinyLFU (Caffeine's design, Einziger, Friedman & Manes,
// "TinyLFU: A Highly Efficient Cache Admission Policy"), adapted to a byte budget, on integer slots.
//
// - A count-min sketch (tinylfu-sketch.ts) estimates every key's recent access frequency, for
//   keys held and keys recently evicted alike. No doorkeeper.
// - A window LRU takes every new key. Its share of maxmemory starts at 1% and is adapted by a hill
//   climber (tinylfu-climber.ts) that compares the policy's hit rate sample after sample: hits are
//   onAccess() calls, misses add() calls, a sample is 10 x the keys tracked of them (in 20 batches
//   for its noise estimate), counted from the first eviction after a budget is set.
// - The main space (the rest) is a segmented LRU: probation (20% of it) and protected (80%). A hit
//   in probation promotes to protected; protected overflow is demoted to probation's MRU end.
// - Admission: keys pushed out of the window enter probation's MRU end as candidates; while the
//   store is over maxmemory, the oldest candidate duels probation's LRU victim, and the one with
//   the lower sketch frequency is evicted (the candidate on a tie; a warm candidate, frequency
//   >= 6, is admitted anyway with probability 1/128, Caffeine's defence against hash flooding). A
//   candidate that wins stays the candidate while more room is needed, so every eviction is the
//   loser of a duel. A burst of one-hit keys (a scan) thus loses every duel and never displaces
//   the hot set.
//
// Budgets are in bytes (each key's byte size, as used_memory counts them); with maxmemory 0 the
// segments are unbounded (everything stays in the window, in LRU order) until a limit is set.
//
// Interface: the engine tracks each key by a slot this class hands out (add/adopt), passing the
// key's database, its integer id in that database, a 32-bit hash of its bytes and its byte size,
// and reports accesses, size changes and removals by slot; pickVictimSlot() names the next key to
// evict. The creating write of a key is part of add(): the engine must not also call onAccess()
// for it.
//
// Memory: per-slot state is a struct of typed arrays, 24 bytes a slot: prev and next links (4 + 4;
// a free slot's next links the free list), key hash (4), bytes charged (4), database and segment
// (4), key id (4). The arrays grow by half when full (so up to 1.5x the keys tracked) and never
// shrink. Plus the sketch, 8 bytes per tracked key rounded up to a power of two. `bytes` totals
// them: 38-46 bytes per tracked key from 10K to 5M keys.

import { DEFAULT_CLIMBER, HillClimber, type ClimberOptions } from './tinylfu-climber.js';
import { DEFAULT_SKETCH, FrequencySketch, type SketchOptions } from './tinylfu-sketch.js';

export { FrequencySketch } from './tinylfu-sketch.js';
export { HillClimber, type ClimberOptions } from './tinylfu-climber.js';

const NIL = -1;
export const SEG_WINDOW = 1;
export const SEG_PROBATION = 2;
export const SEG_PROTECTED = 3;

/** Bytes of typed-array state per slot (the sketch's 8 per key of capacity come on top). */
export const SLOT_BYTES = 24;
/** Protected share of the main space. */
export const PROTECTED_SHARE = 0.8;
/** A candidate at least this frequent is admitted on a lost duel with probability 1/128. */
const ADMIT_HASHDOS_THRESHOLD = 6;
/** A budget change beyond this share of the budget restarts the climber. */
const BUDGET_RESTART = 0.1;
/** At most this many keys change segment per call (window drain, protected demotion), as Caffeine. */
const MAX_TRANSFER = 1000;

export interface TinyLfuOptions {
  /** Initial window share of maxmemory (Caffeine: 1%). */
  windowShare: number;
  /** Whether the hill climber adapts the window share. */
  adaptive: boolean;
  /** Sample length, in events per tracked key (Caffeine: 10, its sketch's aging period). */
  sampleFactor: number;
  /** Sample length floor, in events. */
  minSample: number;
  /** Largest window share the climber may reach (the main space keeps the rest). */
  maxWindowShare: number;
  climber: ClimberOptions;
  sketch: SketchOptions;
}

export const DEFAULT_OPTIONS: TinyLfuOptions = {
  windowShare: 0.01,
  adaptive: true,
  sampleFactor: 10,
  minSample: 1000,
  maxWindowShare: 0.99,
  climber: DEFAULT_CLIMBER,
  sketch: DEFAULT_SKETCH,
};

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

export class TinyLfu {
  readonly sketch: FrequencySketch;
  readonly climber: HillClimber;
  readonly options: TinyLfuOptions;
  /** Keys tracked. */
  count = 0;
  /** For admission's 1/128 coin (injectable for tests). */
  random: () => number = Math.random;
  /** Bytes per segment (index by SEG_*). */
  readonly segBytes = [0, 0, 0, 0];
  private prev = new Int32Array(16);
  private next = new Int32Array(16);
  private hash = new Uint32Array(16);
  private charged = new Uint32Array(16);
  /** db << 2 | segment; 0 for a free slot. */
  private meta = new Uint32Array(16);
  private ids = new Uint32Array(16);
  /** Slots ever handed out; slots below it are tracked or on the free list. */
  private highWater = 0;
  private freeHead = NIL;
  private readonly head = [NIL, NIL, NIL, NIL];
  private readonly tail = [NIL, NIL, NIL, NIL];
  /** The oldest window key moved to probation and not yet admitted or rejected, or NIL. */
  private candidate = NIL;
  private maxBytes = Infinity;
  private share: number;
  private windowMax = Infinity;
  private protectedMax = Infinity;
  /** Events per climber batch; Infinity until the budget is first reached. */
  private batchSize = Infinity;
  /** Whether the climber is counting (the budget has been reached since it was set). */
  private sampling = false;

  constructor(options: Partial<TinyLfuOptions> = {}) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.share = this.options.windowShare;
    this.climber = new HillClimber(this.options.climber);
    this.sketch = new FrequencySketch(16, this.options.sketch);
  }

  /** Typed-array bytes held (slot columns and sketch), for used_memory. */
  get bytes(): number {
    return this.prev.byteLength + this.next.byteLength + this.hash.byteLength + this.charged.byteLength +
      this.meta.byteLength + this.ids.byteLength + this.sketch.bytes;
  }

  /** The window's current share of maxmemory. */
  get windowShare(): number {
    return this.share;
  }

  /**
   * Sizes the segments for a byte budget (0: unbounded). The store calls it whenever its own
   * overhead moves the budget, so the climber starts over only when the budget becomes bounded or
   * unbounded or moves by more than a tenth; smaller changes just rescale the segments.
   */
  setMaxBytes(max: number): void {
    const prev = this.maxBytes;
    this.maxBytes = max <= 0 ? Infinity : max;
    if (prev === Infinity || this.maxBytes === Infinity || Math.abs(this.maxBytes - prev) > prev * BUDGET_RESTART) {
      this.sampling = false;
      this.batchSize = Infinity;
      this.climber.restart();
    }
    this.applyShare();
  }

  /**
   * A new key: enters the window's MRU end; counts as one access to it and as a miss for the
   * climber. `keyHash` is any 32-bit hash of the key (signed or not). Returns its slot.
   */
  add(db: number, id: number, keyHash: number, bytes: number): number {
    // Candidates are the keys drained since the store went over its budget: if it is within it,
    // keys drained earlier are plain probation members (as in Caffeine, where a maintenance run's
    // candidates are only the keys that run moved out of the window).
    if (this.segBytes[SEG_WINDOW] + this.segBytes[SEG_PROBATION] + this.segBytes[SEG_PROTECTED] <= this.maxBytes) this.candidate = NIL;
    const slot = this.track(db, id, keyHash, bytes, SEG_WINDOW);
    this.linkTail(SEG_WINDOW, slot);
    this.sketch.increment(this.hash[slot]);
    this.climber.misses++;
    this.drainWindow();
    if (this.climber.events >= this.batchSize) this.endBatch();
    return slot;
  }

  /** A key taken over on a policy switch: enters probation, with no access counted. */
  adopt(db: number, id: number, keyHash: number, bytes: number): number {
    const slot = this.track(db, id, keyHash, bytes, SEG_PROBATION);
    this.linkTail(SEG_PROBATION, slot);
    return slot;
  }

  /** An access (read or write) to a tracked key: a hit for the climber. */
  onAccess(a: number): void {
    this.sketch.increment(this.hash[a]);
    this.climber.hits++;
    const seg = this.meta[a] & 3;
    if (seg === SEG_PROBATION) {
      this.move(a, SEG_PROTECTED);
      this.demoteProtected();
    } else if (this.tail[seg] !== a) {
      this.move(a, seg);
    }
    if (this.climber.events >= this.batchSize) this.endBatch();
  }

  /** A tracked key's byte size changed. */
  resize(slot: number, bytes: number): void {
    const b = Math.min(bytes, 0xffffffff);
    this.segBytes[this.meta[slot] & 3] += b - this.charged[slot];
    this.charged[slot] = b;
  }

  /** Stops tracking a key (deleted, expired, evicted, flushed); its slot is reused. */
  remove(a: number): void {
    this.unlink(a);
    this.segBytes[this.meta[a] & 3] -= this.charged[a];
    this.meta[a] = 0;
    this.next[a] = this.freeHead;
    this.freeHead = a;
    this.count--;
  }

  slotDb(slot: number): number {
    return this.meta[slot] >>> 2;
  }

  slotId(slot: number): number {
    return this.ids[slot];
  }

  /** The sketch's estimate of a tracked key's frequency (OBJECT FREQ), 0-15; 0 for slot < 0. */
  frequencyOfSlot(slot: number): number {
    return slot < 0 ? 0 : this.sketch.frequency(this.hash[slot]);
  }

  /** Which segment holds a key (SEG_*), 0 if untracked (slot < 0 or free). */
  segmentOfSlot(slot: number): number {
    return slot < 0 ? 0 : this.meta[slot] & 3;
  }

  /**
   * The next key to evict, or -1 when nothing is tracked: the loser of the oldest candidate's
   * duel with probation's LRU key, else probation's LRU key, else protected's, else the window's.
   * The caller removes it. Called only while over budget: the first call starts the climber.
   */
  pickVictimSlot(): number {
    if (!this.sampling && this.maxBytes !== Infinity && this.options.adaptive) {
      this.sampling = true;
      this.climber.restart();
      this.nextSample();
    }
    this.drainWindow();
    const victim = this.head[SEG_PROBATION];
    if (victim === NIL) {
      return this.head[SEG_PROTECTED] !== NIL ? this.head[SEG_PROTECTED] : this.head[SEG_WINDOW];
    }
    const cand = this.candidate;
    if (cand === NIL || cand === victim) return victim;
    return this.admit(this.hash[cand], this.hash[victim]) ? victim : cand;
  }

  private admit(candidateHash: number, victimHash: number): boolean {
    const candidateFreq = this.sketch.frequency(candidateHash);
    const victimFreq = this.sketch.frequency(victimHash);
    if (candidateFreq > victimFreq) return true;
    return candidateFreq >= ADMIT_HASHDOS_THRESHOLD && this.random() < 1 / 128;
  }

  /** Sizes the next sample's batches from the keys tracked now. */
  private nextSample(): void {
    const o = this.options;
    this.batchSize = Math.max(1, Math.round(Math.max(o.minSample, o.sampleFactor * this.count) / o.climber.batches));
  }

  private endBatch(): void {
    if (this.climber.endBatch()) this.climb();
  }

  /** A sample is complete: moves the window share as the climber says. */
  private climb(): void {
    const move = this.climber.adjust();
    this.nextSample();
    const share = Math.min(this.options.maxWindowShare, Math.max(0, this.share + move));
    if (share === this.share) return;
    this.share = share;
    this.applyShare();
    this.demoteProtected();
    this.drainWindow();
  }

  private applyShare(): void {
    if (this.maxBytes === Infinity) {
      this.windowMax = Infinity;
      this.protectedMax = Infinity;
    } else {
      this.windowMax = this.maxBytes * this.share;
      this.protectedMax = (this.maxBytes - this.windowMax) * PROTECTED_SHARE;
    }
  }

  /** Moves window overflow (all but the MRU key) to probation's MRU end, as candidates. */
  private drainWindow(): void {
    for (let n = 0; n < MAX_TRANSFER && this.segBytes[SEG_WINDOW] > this.windowMax && this.head[SEG_WINDOW] !== this.tail[SEG_WINDOW]; n++) {
      const slot = this.head[SEG_WINDOW];
      this.move(slot, SEG_PROBATION);
      if (this.candidate === NIL) this.candidate = slot;
    }
  }

  /** Protected overflow goes back to probation (keeping at least protected's MRU key). */
  private demoteProtected(): void {
    for (let n = 0; n < MAX_TRANSFER && this.segBytes[SEG_PROTECTED] > this.protectedMax && this.head[SEG_PROTECTED] !== this.tail[SEG_PROTECTED]; n++) {
      this.move(this.head[SEG_PROTECTED], SEG_PROBATION);
    }
  }

  private track(db: number, id: number, keyHash: number, bytes: number, seg: number): number {
    let slot = this.freeHead;
    if (slot !== NIL) {
      this.freeHead = this.next[slot];
    } else {
      slot = this.highWater++;
      if (slot >= this.prev.length) this.grow();
    }
    this.hash[slot] = keyHash >>> 0;
    this.ids[slot] = id >>> 0;
    this.charged[slot] = Math.min(bytes, 0xffffffff);
    this.meta[slot] = (db << 2) | seg;
    this.segBytes[seg] += this.charged[slot];
    this.count++;
    this.sketch.ensureCapacity(this.count);
    return slot;
  }

  private grow(): void {
    const n = this.prev.length + (this.prev.length >>> 1);
    const g = <T extends Int32Array | Uint32Array>(a: T, b: T): T => (b.set(a), b);
    this.prev = g(this.prev, new Int32Array(n));
    this.next = g(this.next, new Int32Array(n));
    this.hash = g(this.hash, new Uint32Array(n));
    this.charged = g(this.charged, new Uint32Array(n));
    this.meta = g(this.meta, new Uint32Array(n));
    this.ids = g(this.ids, new Uint32Array(n));
  }

  /** Unlinks and relinks at segment `seg`'s MRU end, moving the bytes with it. */
  private move(slot: number, seg: number): void {
    const from = this.meta[slot] & 3;
    this.unlink(slot);
    this.segBytes[from] -= this.charged[slot];
    this.segBytes[seg] += this.charged[slot];
    this.meta[slot] = (this.meta[slot] & ~3) | seg;
    this.linkTail(seg, slot);
  }

  private unlink(slot: number): void {
    const seg = this.meta[slot] & 3;
    const p = this.prev[slot];
    const n = this.next[slot];
    if (slot === this.candidate) this.candidate = n;
    if (p === NIL) this.head[seg] = n;
    else this.next[p] = n;
    if (n === NIL) this.tail[seg] = p;
    else this.prev[n] = p;
  }

  private linkTail(seg: number, slot: number): void {
    const t = this.tail[seg];
    this.prev[slot] = t;
    this.next[slot] = NIL;
    if (t === NIL) this.head[seg] = slot;
    else this.next[t] = slot;
    this.tail[seg] = slot;
  }
}
