// The flash-sale workload, shared by the demo's main process and its workers: the settings of a
// run, the IPC messages between them, the request mix (one hot product, a Zipf-distributed tail
// of cold ones), the cache keys, and the two read paths compared:
//
// - naive cache-aside: GET; on a miss SELECT and SET with a TTL. Every caller that misses in the
//   window between the key expiring and the first reload's SET queries the database, so a hot
//   key's expiry sends (request rate x load time) queries at once: the stampede.
// - the SDK: cache.getOrLoad, where the node's lease makes one caller in the whole cluster load
//   while the others wait for its value or are served the stale one.

import type { CorralClient } from '../client/index.js';
import type { HistogramJson } from './histogram.js';
import type { Product } from './db.js';

/** naive cache-aside, the SDK's getOrLoad, and getOrLoad on a client with a near-cache. */
export type Mode = 'naive' | 'sdk' | 'near';

export interface WorkloadSettings {
  nodes: string[];
  /** Product ids are 1..products; id 1 is the hot one. */
  products: number;
  hotProbability: number;
  /** Zipf exponent of the cold products' popularity. */
  zipf: number;
  /** TTL of the hot product and of the cold ones, ms. */
  hotTtlMs: number;
  coldTtlMs: number;
  /** The SDK's stale-while-revalidate window after the TTL, ms. */
  graceMs: number;
  /** Concurrent request loops per worker. */
  concurrency: number;
  /** Pause of each loop between two requests, ms (so both runs are offered the same load). */
  thinkMs: number;
  /** Width of one time slot of the figures, ms. */
  binMs: number;
}

export const HOT_ID = 1;

export function naiveKey(id: number): string {
  return `naive:product:${id}`;
}

export function sdkKey(id: number): string {
  return `product:${id}`;
}

// ---- IPC ----------------------------------------------------------------------------------------

/** What one worker measured in one time slot. */
export interface WorkerBin {
  requests: number;
  /** Requests that ran a database read themselves (the naive miss path, or the SDK's loader). */
  loads: number;
  errors: number;
  latencyUs: { buckets: HistogramJson; max: number };
}

export type ToWorker =
  | { type: 'phase'; mode: Mode; startAt: number; durationMs: number }
  | { type: 'row'; seq: number; row: Product | null; error?: string }
  | { type: 'exit' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'query'; seq: number; id: number }
  | { type: 'result'; mode: Mode; bins: WorkerBin[]; firstError: string | null; nearHits: number; nearMisses: number }
  | { type: 'fatal'; error: string };

// ---- the request mix ----------------------------------------------------------------------------

/**
 * Draws product ids: HOT_ID with probability hotProbability, else a cold id 2..products with
 * P(rank r) proportional to 1 / r^s (Zipf), by binary search in the precomputed CDF.
 */
export class ProductPicker {
  private readonly cdf: Float64Array;

  constructor(
    products: number,
    private readonly hotProbability: number,
    s: number,
    private readonly random: () => number = Math.random,
  ) {
    const n = Math.max(1, products - 1);
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let r = 1; r <= n; r++) this.cdf[r - 1] = sum += 1 / r ** s;
    for (let i = 0; i < n; i++) this.cdf[i]! /= sum;
  }

  /** P(a request is for `id`). */
  probability(id: number): number {
    if (id === HOT_ID) return this.hotProbability;
    const i = id - 2;
    if (i < 0 || i >= this.cdf.length) return 0;
    return (1 - this.hotProbability) * (this.cdf[i]! - (i === 0 ? 0 : this.cdf[i - 1]!));
  }

  next(): number {
    if (this.random() < this.hotProbability) return HOT_ID;
    const u = this.random();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 2;
  }
}

export function ttlFor(id: number, s: Pick<WorkloadSettings, 'hotTtlMs' | 'coldTtlMs'>): number {
  return id === HOT_ID ? s.hotTtlMs : s.coldTtlMs;
}

// ---- naive cache-aside ----------------------------------------------------------------------------

export interface NaiveResult {
  product: Product | null;
  /** True if this call read the database. */
  loaded: boolean;
}

/**
 * The textbook cache-aside read: GET, and on a miss read the database and SET the row with a
 * TTL. No coordination: concurrent missers all read, and a slow reader can write an old row
 * back after a newer one (the race leases close, docs/leases.md).
 */
export async function naiveRead(
  client: CorralClient,
  id: number,
  ttlMs: number,
  load: (id: number) => Promise<Product | null>,
): Promise<NaiveResult> {
  const cached = await client.get(naiveKey(id));
  if (cached !== null) return { product: JSON.parse(cached) as Product, loaded: false };
  const product = await load(id);
  if (product !== null) await client.set(naiveKey(id), JSON.stringify(product), { px: ttlMs });
  return { product, loaded: true };
}
