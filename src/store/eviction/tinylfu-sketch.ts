// allkeys-tinylfu's frequency sketch: a count-min sketch of 4-bit counters with periodic halving
// ("aging"), as in Caffeine's FrequencySketch. It stores hashes, not keys, so it remembers keys
// recently evicted as well as keys held.

const SEEDS = [0x97cb3127, 0x9d2c5680, 0x5bd1e995, 0x68b3c2f1];

/**
 * Count-min sketch of 4-bit counters: 4 rows in one table of 32-bit words (8 counters each;
 * row i uses counters 2i and 2i+1 of the word its hash picks), by default 2 words (8 bytes) per
 * entry of capacity, capacity rounded up to a power of two. After 10 x capacity increments every
 * counter is halved, so popularity fades with a half-life of about that many accesses. (Measured
 * in bench/tinylfu-sim.ts: a 20x period gains 0.3-0.5 points on Zipf but loses 2-4 when
 * popularity shifts; conservative update was mixed. Neither is the default.)
 */
export interface SketchOptions {
  /** 32-bit words per key of capacity (8 counters each). */
  wordsPerKey: number;
  /** Increments between halvings, per key of capacity (Caffeine: 10). */
  periodFactor: number;
}

export const DEFAULT_SKETCH: SketchOptions = { wordsPerKey: 2, periodFactor: 10 };

export class FrequencySketch {
  private table: Uint32Array;
  private mask: number;
  /** Increments between halvings. */
  sampleSize: number;
  private additions = 0;

  constructor(capacity = 16, readonly options: SketchOptions = DEFAULT_SKETCH) {
    this.table = new Uint32Array(0);
    this.mask = 0;
    this.sampleSize = 0;
    this.resize(capacity);
  }

  /** The table's size in bytes. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /** Grows the table for `capacity` entries (the counts restart, as Caffeine's do). */
  ensureCapacity(capacity: number): void {
    if (capacity * this.options.wordsPerKey > this.table.length) this.resize(capacity);
  }

  private resize(capacity: number): void {
    let n = 16;
    while (n < capacity) n *= 2;
    let words = 16;
    while (words < n * this.options.wordsPerKey) words *= 2;
    this.table = new Uint32Array(words);
    this.mask = words - 1;
    this.sampleSize = this.options.periodFactor * n;
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
