// A small log-linear latency histogram (the HDR histogram idea, by hand, no dependency): exact
// below 128 and within 0.8% above (a bucket's middle vs any value in it), in a fixed array of
// counters, so recording is O(1) and allocation-free, and histograms from several processes
// merge by adding counters. The demo and the stampede benchmark record microseconds; values are
// clamped to [0, 2^31).
//
// Bucket layout: values 0..127 have one bucket each. Above, each power of two [2^e, 2^(e+1)) is
// split into 64 equal sub-buckets: `shift = e - 6` makes `v >> shift` land in [64, 128), and the
// bucket index is `(shift + 1) * 64 + (v >> shift) - 64`. Consecutive powers of two therefore
// take consecutive runs of 64 indices, so the array is dense and ordered by value.

const SUB = 64;
const LINEAR = 2 * SUB; // values below this are exact
const MAX_VALUE = 2 ** 31 - 1;
const BUCKETS = (31 - 6 + 1) * SUB + SUB; // the top power of two (e = 30) ends below this

function indexOf(value: number): number {
  let v = Math.floor(value);
  if (!(v > 0)) return 0;
  if (v > MAX_VALUE) v = MAX_VALUE;
  if (v < LINEAR) return v;
  const e = 31 - Math.clz32(v);
  const shift = e - 6;
  return (shift + 1) * SUB + (v >>> shift) - SUB;
}

/** The smallest value that falls in bucket `i`, and the bucket's width. */
function bucketBounds(i: number): [low: number, width: number] {
  if (i < LINEAR) return [i, 1];
  const shift = Math.floor(i / SUB) - 1;
  const sub = (i % SUB) + SUB;
  return [sub * 2 ** shift, 2 ** shift];
}

/** The sparse form sent between processes: [bucket index, count] pairs. */
export type HistogramJson = Array<[number, number]>;

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private maxSeen = 0;

  record(value: number): void {
    this.counts[indexOf(value)]! += 1;
    this.n++;
    if (value > this.maxSeen) this.maxSeen = value;
  }

  get count(): number {
    return this.n;
  }

  get max(): number {
    return this.maxSeen;
  }

  /**
   * The value at quantile q (0..1): the middle of the bucket holding the ceil(q * n)-th smallest
   * value (so p100 is within a bucket of the max). NaN when empty.
   */
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const [low, width] = bucketBounds(i);
        return Math.min(width === 1 ? low : low + width / 2, this.maxSeen);
      }
    }
    return this.maxSeen;
  }

  mean(): number {
    if (this.n === 0) return NaN;
    let sum = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      const [low, width] = bucketBounds(i);
      sum += c * (width === 1 ? low : low + width / 2);
    }
    return sum / this.n;
  }

  add(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.n += other.n;
    if (other.maxSeen > this.maxSeen) this.maxSeen = other.maxSeen;
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.maxSeen = 0;
  }

  toJSON(): { buckets: HistogramJson; max: number } {
    const buckets: HistogramJson = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! !== 0) buckets.push([i, this.counts[i]!]);
    return { buckets, max: this.maxSeen };
  }

  static fromJSON(json: { buckets: HistogramJson; max: number }): Histogram {
    const h = new Histogram();
    for (const [i, c] of json.buckets) {
      if (i >= 0 && i < BUCKETS) {
        h.counts[i]! += c;
        h.n += c;
      }
    }
    h.maxSeen = json.max;
    return h;
  }
}
