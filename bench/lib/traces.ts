// bench/lib/traces.ts — deterministic request traces for the hit-ratio benchmark: a seeded PRNG
// (sfc32 seeded through splitmix32), a seeded permutation of key ids (so popularity rank and key
// id are unrelated), Zipf samples by a precomputed CDF and binary search, Zipf polluted by
// sequential scans, a loop, and the static optimum (share of requests on the top-K keys).
// Node 20 built-ins only.

/** sfc32, seeded from a string through splitmix32. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    let h = 0x9e3779b9;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x85ebca6b) ^ (h >>> 13);
    const next = (): number => {
      h = (h + 0x9e3779b9) | 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
}

/** A seeded random permutation of 0..n-1 (rank -> key id). */
export function permutation(n: number, seed: string): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Zipf over ranks 0..n-1 (P(rank r) ~ 1/(r+1)^alpha): CDF + binary search. */
export class Zipf {
  private readonly cdf: Float64Array;

  constructor(readonly n: number, readonly alpha: number) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let r = 0; r < n; r++) {
      sum += Math.pow(r + 1, -alpha);
      this.cdf[r] = sum;
    }
    for (let r = 0; r < n; r++) this.cdf[r]! /= sum;
    this.cdf[n - 1] = 1;
  }

  /** The rank for a uniform u in [0, 1): the first r with cdf[r] > u. */
  rank(u: number): number {
    const cdf = this.cdf;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Probability of the top k ranks together. */
  topMass(k: number): number {
    return k <= 0 ? 0 : this.cdf[Math.min(k, this.n) - 1]!;
  }
}

export interface TraceSpec {
  /** e.g. "zipf-0.8", "scan", "loop" */
  name: string;
  kind: 'zipf' | 'scan' | 'loop';
  alpha: number;
  /** scan: keys per scan; loop: loop length (keys). */
  span: number;
  /** scan: Zipf requests between scans. */
  gap: number;
}

/** Builds a trace of `length` key ids over keys 0..n-1. */
export function buildTrace(spec: TraceSpec, n: number, length: number, perm: Uint32Array, seed: string): Uint32Array {
  const out = new Uint32Array(length);
  const rng = new Rng(`${seed}/${spec.name}/${spec.span}/${spec.gap}`);
  if (spec.kind === 'loop') {
    for (let i = 0; i < length; i++) out[i] = perm[i % spec.span]!;
    return out;
  }
  const z = new Zipf(n, spec.alpha);
  if (spec.kind === 'zipf') {
    for (let i = 0; i < length; i++) out[i] = perm[z.rank(rng.float())]!;
    return out;
  }
  // scan: `gap` Zipf requests, then `span` consecutive key ids (a cursor that walks the whole key
  // space and wraps), repeated.
  let cursor = 0;
  let i = 0;
  while (i < length) {
    for (let k = 0; k < spec.gap && i < length; k++) out[i++] = perm[z.rank(rng.float())]!;
    for (let k = 0; k < spec.span && i < length; k++) {
      out[i++] = cursor;
      cursor = cursor + 1 === n ? 0 : cursor + 1;
    }
  }
  return out;
}

/**
 * Per-key request counts over trace[from..to), sorted descending, as a prefix sum:
 * result[k] = requests on the k most requested keys.
 */
export function topKPrefix(trace: Uint32Array, from: number, to: number, n: number): Float64Array {
  const counts = new Uint32Array(n);
  for (let i = from; i < to; i++) counts[trace[i]!]!++;
  counts.sort();
  const prefix = new Float64Array(n + 1);
  for (let k = 1; k <= n; k++) prefix[k] = prefix[k - 1]! + counts[n - k]!;
  return prefix;
}
