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
// Interface: the policy keeps its per-key state in columns indexed by the key's own id in its
// database (the key table's numbering, so no slot of its own and no map from id to slot), one set
// of columns per database, sized by columns() as the key table grows. The lists link keys of every
// database, by handle: id << dbBits | database. The key's hash is read from the key table's own
// hash column (passed to columns()), not copied. The engine reports a key added (add), taken over
// on a policy switch (adopt), accessed, resized and removed, by database and id; pickVictim()
// names the next key to evict as a handle. The creating write of a key is part of add(): the
// engine must not also call onAccess() for it.
//
// Memory: 13 bytes per id of the key table's capacity: prev and next links (4 + 4), bytes
// charged (4), segment (1). Plus the sketch, 8 bytes per tracked key rounded up to a power of
// two. `bytes` totals them. (The first version kept a slot space of its own: 24 bytes a slot
// with up to 1.5x slack, plus a 4-byte slot column per id: 38-46 bytes per key.)

import { DEFAULT_CLIMBER, HillClimber, type ClimberOptions } from './tinylfu-climber.js';
import { DEFAULT_SKETCH, FrequencySketch, type SketchOptions } from './tinylfu-sketch.js';

export { FrequencySketch } from './tinylfu-sketch.js';
export { HillClimber, type ClimberOptions } from './tinylfu-climber.js';

const NIL = -1;
export const SEG_WINDOW = 1;
export const SEG_PROBATION = 2;
export const SEG_PROTECTED = 3;

/** Bytes of column state per id of capacity (the sketch's 8 per key come on top). */
export const ID_BYTES = 13;
/** Database bits in a handle by default (16 databases, Redis's default count). */
export const DEFAULT_DB_BITS = 4;
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
  /** Per database, by id: links (handles), bytes charged, segment (0: not tracked). */
  private prevCols: Int32Array[] = [];
  private nextCols: Int32Array[] = [];
  private chargedCols: Uint32Array[] = [];
  private segCols: Uint8Array[] = [];
  /** Per database: the key table's hash column (read only). */
  private hashCols: (Int32Array | Uint32Array)[] = [];
  private readonly dbBits: number;
  private readonly dbMask: number;
  /** Ids per database a handle can name. */
  readonly maxIds: number;
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

  constructor(options: Partial<TinyLfuOptions> = {}, dbBits = DEFAULT_DB_BITS) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.share = this.options.windowShare;
    this.climber = new HillClimber(this.options.climber);
    this.sketch = new FrequencySketch(16, this.options.sketch);
    this.dbBits = dbBits;
    this.dbMask = (1 << dbBits) - 1;
    this.maxIds = 2 ** (31 - dbBits);
  }

  /** Bytes of the columns and the sketch, for used_memory. */
  get bytes(): number {
    let n = this.sketch.bytes;
    for (const c of this.segCols) if (c !== undefined) n += c.length * ID_BYTES;
    return n;
  }

  /** The window's current share of maxmemory. */
  get windowShare(): number {
    return this.share;
  }

  /**
   * Gives database `db` columns for ids below `capacity` (keeping what they hold: call it again
   * when the key table grows or shrinks; shrinking only when the database holds no key), and
   * names the key table's hash column the sketch reads.
   */
  columns(db: number, capacity: number, hash: Int32Array | Uint32Array): void {
    if (db > this.dbMask) throw new RangeError(`allkeys-tinylfu: database ${db} beyond ${this.dbMask}`);
    if (capacity > this.maxIds) throw new RangeError(`allkeys-tinylfu tracks at most ${this.maxIds} keys per database`);
    this.hashCols[db] = hash;
    const old = this.segCols[db];
    if (old !== undefined && old.length === capacity) return;
    const keep = old === undefined ? 0 : Math.min(old.length, capacity);
    this.prevCols[db] = resized(new Int32Array(capacity), this.prevCols[db], keep);
    this.nextCols[db] = resized(new Int32Array(capacity), this.nextCols[db], keep);
    this.chargedCols[db] = resized(new Uint32Array(capacity), this.chargedCols[db], keep);
    this.segCols[db] = resized(new Uint8Array(capacity), old, keep);
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

  /** A new key: enters the window's MRU end; counts as one access to it and as a miss for the climber. */
  add(db: number, id: number, bytes: number): void {
    // Candidates are the keys drained since the store went over its budget: if it is within it,
    // keys drained earlier are plain probation members (as in Caffeine, where a maintenance run's
    // candidates are only the keys that run moved out of the window).
    if (this.segBytes[SEG_WINDOW] + this.segBytes[SEG_PROBATION] + this.segBytes[SEG_PROTECTED] <= this.maxBytes) this.candidate = NIL;
    const h = this.track(db, id, bytes, SEG_WINDOW);
    this.linkTail(SEG_WINDOW, h);
    this.sketch.increment(this.hashCols[db][id]);
    this.climber.misses++;
    this.drainWindow();
    if (this.climber.events >= this.batchSize) this.endBatch();
  }

  /** A key taken over on a policy switch: enters probation, with no access counted. */
  adopt(db: number, id: number, bytes: number): void {
    this.linkTail(SEG_PROBATION, this.track(db, id, bytes, SEG_PROBATION));
  }

  /** An access (read or write) to a tracked key: a hit for the climber. */
  onAccess(db: number, id: number): void {
    this.sketch.increment(this.hashCols[db][id]);
    this.climber.hits++;
    const seg = this.segCols[db][id];
    const h = (id << this.dbBits) | db;
    if (seg === SEG_PROBATION) {
      this.move(h, SEG_PROTECTED);
      this.demoteProtected();
    } else if (this.tail[seg] !== h) {
      this.move(h, seg);
    }
    if (this.climber.events >= this.batchSize) this.endBatch();
  }

  /** A tracked key's byte size changed. */
  resize(db: number, id: number, bytes: number): void {
    const b = Math.min(bytes, 0xffffffff);
    const charged = this.chargedCols[db];
    this.segBytes[this.segCols[db][id]] += b - charged[id];
    charged[id] = b;
  }

  /** Stops tracking a key (deleted, expired, evicted, flushed). */
  remove(db: number, id: number): void {
    const h = (id << this.dbBits) | db;
    this.unlink(h);
    const seg = this.segCols[db];
    this.segBytes[seg[id]] -= this.chargedCols[db][id];
    seg[id] = 0;
    this.count--;
  }

  /** A handle's database. */
  handleDb(h: number): number {
    return h & this.dbMask;
  }

  /** A handle's id in its database. */
  handleId(h: number): number {
    return h >>> this.dbBits;
  }

  /** The sketch's estimate of a tracked key's frequency (OBJECT FREQ), 0-15; 0 if untracked. */
  frequencyOf(db: number, id: number): number {
    const seg = this.segCols[db];
    return seg === undefined || id >= seg.length || seg[id] === 0 ? 0 : this.sketch.frequency(this.hashCols[db][id]);
  }

  /** Which segment holds a key (SEG_*), 0 if untracked. */
  segmentOf(db: number, id: number): number {
    const seg = this.segCols[db];
    return seg === undefined || id >= seg.length ? 0 : seg[id];
  }

  /**
   * The next key to evict as a handle, or -1 when nothing is tracked: the loser of the oldest
   * candidate's duel with probation's LRU key, else probation's LRU key, else protected's, else
   * the window's. The caller removes it. Called only while over budget: the first call starts
   * the climber.
   */
  pickVictim(): number {
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
    return this.admit(this.hashOf(cand), this.hashOf(victim)) ? victim : cand;
  }

  private hashOf(h: number): number {
    return this.hashCols[h & this.dbMask][h >>> this.dbBits];
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
      const h = this.head[SEG_WINDOW];
      this.move(h, SEG_PROBATION);
      if (this.candidate === NIL) this.candidate = h;
    }
  }

  /** Protected overflow goes back to probation (keeping at least protected's MRU key). */
  private demoteProtected(): void {
    for (let n = 0; n < MAX_TRANSFER && this.segBytes[SEG_PROTECTED] > this.protectedMax && this.head[SEG_PROTECTED] !== this.tail[SEG_PROTECTED]; n++) {
      this.move(this.head[SEG_PROTECTED], SEG_PROBATION);
    }
  }

  private track(db: number, id: number, bytes: number, seg: number): number {
    const b = Math.min(bytes, 0xffffffff);
    this.chargedCols[db][id] = b;
    this.segCols[db][id] = seg;
    this.segBytes[seg] += b;
    this.count++;
    this.sketch.ensureCapacity(this.count);
    return (id << this.dbBits) | db;
  }

  /** Unlinks and relinks at segment `seg`'s MRU end, moving the bytes with it. */
  private move(h: number, seg: number): void {
    const db = h & this.dbMask;
    const id = h >>> this.dbBits;
    const segs = this.segCols[db];
    const from = segs[id];
    this.unlink(h);
    const b = this.chargedCols[db][id];
    this.segBytes[from] -= b;
    this.segBytes[seg] += b;
    segs[id] = seg;
    this.linkTail(seg, h);
  }

  private unlink(h: number): void {
    const db = h & this.dbMask;
    const id = h >>> this.dbBits;
    const seg = this.segCols[db][id];
    const p = this.prevCols[db][id];
    const n = this.nextCols[db][id];
    if (h === this.candidate) this.candidate = n;
    if (p === NIL) this.head[seg] = n;
    else this.nextCols[p & this.dbMask][p >>> this.dbBits] = n;
    if (n === NIL) this.tail[seg] = p;
    else this.prevCols[n & this.dbMask][n >>> this.dbBits] = p;
  }

  private linkTail(seg: number, h: number): void {
    const db = h & this.dbMask;
    const id = h >>> this.dbBits;
    const t = this.tail[seg];
    this.prevCols[db][id] = t;
    this.nextCols[db][id] = NIL;
    if (t === NIL) this.head[seg] = h;
    else this.nextCols[t & this.dbMask][t >>> this.dbBits] = h;
    this.tail[seg] = h;
  }
}

function resized<T extends Int32Array | Uint32Array | Uint8Array>(to: T, from: T | undefined, keep: number): T {
  if (from !== undefined && keep > 0) to.set(from.subarray(0, keep) as never);
  return to;
}
