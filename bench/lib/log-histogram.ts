// bench/lib/log-histogram.ts — a small log-linear (HDR-style) histogram of non-negative integer
// values (the latency bench records microseconds). Values below 2^SUB_BITS are counted exactly;
// above, each power-of-two range [2^k, 2^(k+1)) is split into 2^(SUB_BITS-1) equal buckets, so a
// bucket is at most 1/64 (~1.6%) of its values wide with SUB_BITS = 7. Range 0 .. 2^31-1 (values
// above are clamped; the exact max is kept separately). Mergeable across processes via toJSON /
// fromJSON (a plain counts array). Node built-ins only.

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128
const HALF = SUB >> 1; // 64
const MAX_VALUE = 2 ** 31 - 1;
/** Bucket count for values up to 2^31 - 1. */
const BUCKETS = bucketIndex(MAX_VALUE) + 1;

function bucketIndex(v: number): number {
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v) - SUB_BITS + 1; // v >> e lies in [HALF, SUB)
  return e * HALF + (v >>> e);
}

/** Lowest value that falls in bucket `i`. */
function bucketLow(i: number): number {
  if (i < SUB) return i;
  const e = Math.floor(i / HALF) - 1;
  return (i - e * HALF) * 2 ** e;
}

/** Highest value that falls in bucket `i` (what percentiles report: never under-states). */
function bucketHigh(i: number): number {
  return i < SUB ? i : bucketLow(i + 1) - 1;
}

export interface HistogramJSON {
  counts: number[];
  total: number;
  max: number;
  min: number;
  sum: number;
}

export class LogHistogram {
  private counts = new Float64Array(BUCKETS);
  total = 0;
  max = 0;
  min = Infinity;
  sum = 0;

  /** Records one value (rounded up to an integer; negatives count as 0). */
  record(value: number): void {
    let v = Math.ceil(value);
    if (!(v > 0)) v = 0;
    if (v > MAX_VALUE) v = MAX_VALUE;
    this.counts[bucketIndex(v)]!++;
    this.total++;
    this.sum += v;
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
  }

  /** Value at quantile q (0..1): the upper edge of the bucket holding the ceil(q*total)-th value, capped at max. */
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketHigh(i), this.max);
    }
    return this.max;
  }

  mean(): number {
    return this.total === 0 ? NaN : this.sum / this.total;
  }

  /** Count of recorded values strictly above `v` (to bucket precision). */
  countAbove(v: number): number {
    let n = 0;
    for (let i = bucketIndex(Math.min(Math.max(0, Math.ceil(v)), MAX_VALUE)) + 1; i < BUCKETS; i++) n += this.counts[i]!;
    return n;
  }

  merge(o: LogHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += o.counts[i]!;
    this.total += o.total;
    this.sum += o.sum;
    if (o.max > this.max) this.max = o.max;
    if (o.min < this.min) this.min = o.min;
  }

  toJSON(): HistogramJSON {
    // sparse-friendly: trailing zeros trimmed
    let last = BUCKETS - 1;
    while (last >= 0 && this.counts[last] === 0) last--;
    return { counts: Array.from(this.counts.subarray(0, last + 1)), total: this.total, max: this.max, min: this.min, sum: this.sum };
  }

  static fromJSON(j: HistogramJSON): LogHistogram {
    const h = new LogHistogram();
    j.counts.forEach((c, i) => (h.counts[i] = c));
    h.total = j.total;
    h.max = j.max;
    h.min = j.min ?? Infinity;
    h.sum = j.sum;
    return h;
  }
}
