// The near-cache's options (createClient's nearCache: defaults and validation), the per-key
// read counter behind keys 'hot' (two one-second buckets, the older weighted down as the window
// slides, at most 10,000 keys counted per bucket), and which GET arguments it caches.

import type { Arg } from './command.js';

/** Most keys counted per one-second bucket (keys 'hot'). */
const MAX_COUNTED = 10_000;

export interface NearCacheOptions {
  /** Bytes of keys and values held (approximate: + 96 per entry), default 16 MiB. */
  maxBytes?: number;
  /** Which keys are cached: 'hot' (default), 'all', or a predicate. */
  keys?: 'hot' | 'all' | ((key: string) => boolean);
  /** Longest an entry is kept, ms (capped per entry by the key's TTL on the node), default 60000. */
  ttl?: number;
  /** keys 'hot': reads per second that make a key hot in this process (default 10). */
  hotReads?: number;
  /** PING period on each invalidation connection, ms (default 1000); see the staleness bound. */
  heartbeatMs?: number;
}

export interface NearResolved {
  maxBytes: number;
  keys: 'hot' | 'all' | ((key: string) => boolean);
  ttl: number;
  hotReads: number;
  heartbeatMs: number;
}

export function resolveNear(o: NearCacheOptions): NearResolved {
  const num = (name: string, v: number | undefined, d: number, min: number): number => {
    if (v === undefined) return d;
    if (typeof v !== 'number' || !(v >= min)) throw new TypeError(`nearCache.${name} must be a number >= ${min}`);
    return v;
  };
  const keys = o.keys ?? 'hot';
  if (keys !== 'hot' && keys !== 'all' && typeof keys !== 'function') throw new TypeError(`nearCache.keys must be 'hot', 'all' or a function`);
  return {
    maxBytes: num('maxBytes', o.maxBytes, 16 * 1024 * 1024, 1),
    keys,
    ttl: num('ttl', o.ttl, 60_000, 1),
    hotReads: num('hotReads', o.hotReads, 10, 1),
    heartbeatMs: num('heartbeatMs', o.heartbeatMs, 1000, 10),
  };
}

/** Per-key read counts over a sliding second (two buckets). */
export class HotCounter {
  private cur = new Map<string, number>();
  private prev = new Map<string, number>();
  private start = 0;
  constructor(private readonly windowMs = 1000) {}

  /** Counts one read (if `count`) and returns the estimated reads in the last window. */
  rate(key: string, now: number, count: boolean): number {
    if (now - this.start >= this.windowMs) {
      this.prev = now - this.start >= 2 * this.windowMs ? new Map() : this.cur;
      this.cur = new Map();
      this.start = now - ((now - this.start) % this.windowMs);
    }
    let c = this.cur.get(key);
    if (count) {
      if (c !== undefined) this.cur.set(key, ++c);
      else if (this.cur.size < MAX_COUNTED) this.cur.set(key, (c = 1));
    }
    const p = this.prev.get(key) ?? 0;
    return (c ?? 0) + p * (1 - (now - this.start) / this.windowMs);
  }

  get size(): number {
    return this.cur.size + this.prev.size;
  }
}

/** The near-cache key of a GET argument, or null for keys it does not cache (Buffers). */
export function nearKey(key: Arg): string | null {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return String(key);
  return null;
}
