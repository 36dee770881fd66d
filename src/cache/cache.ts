// The cache-aside SDK's public class: getOrLoad (the flow is engine.ts's), get (no load, no
// lease), set (a direct write that voids leases), invalidate / invalidateTags, events, stats and
// close. createCache({ client, ...defaults }) builds one over a corral client; every option
// but the client, serializer, prefix, breaker, bulkhead, cacheTimeout and the clock/timers/random
// can also be given per call (options.ts lists them and their defaults). With `metrics`, its
// series go to the application's prom-client registry (metrics.ts).

import { Engine, type Loader } from './engine.js';
import { decodeEnvelope } from './envelope.js';
import { CacheClosedError } from './errors.js';
import type { CacheEvent, CacheEvents } from './events.js';
import type { BreakerState } from './breaker.js';
import { jitterTtl, type CacheOptions, type CallOptions, type Resolved } from './options.js';
import { registerCacheMetrics } from './metrics.js';

export type { Loader, LoaderContext } from './engine.js';

type AnyLoader = Loader<unknown>;

export class Cache extends Engine {
  /** Removes this cache's series from the metrics registry (options.metrics), on close. */
  private readonly unregisterMetrics: (() => void) | null = null;

  constructor(options: CacheOptions) {
    super(options);
    if (options.metrics !== undefined) this.unregisterMetrics = registerCacheMetrics(this, options.metrics, options.metricsName ?? 'default', options.client);
  }

  /** The cached value, or the loader's (stored for the next callers). See the header. */
  getOrLoad<T>(key: string, loader: Loader<T>, opts?: CallOptions): Promise<T> {
    if (this.closed) return Promise.reject(new CacheClosedError());
    let o: Resolved;
    try {
      o = this.resolve(opts, true);
    } catch (e) {
      return Promise.reject(e);
    }
    const k = this.prefix === '' ? key : this.prefix + key;
    const current = this.flights.join(k);
    if (current !== undefined) {
      this.stats.joined++;
      return current as Promise<T>;
    }
    let p: Promise<unknown>;
    try {
      p = this.startFlight(k, key, loader as AnyLoader, o);
    } catch (e) {
      return Promise.reject(e);
    }
    this.flights.start(k, p);
    return p as Promise<T>;
  }

  /** The cached value (fresh or stale), or null; never loads, takes no lease. */
  async get<T>(key: string, opts?: CallOptions): Promise<T | null> {
    if (this.closed) throw new CacheClosedError();
    const o = this.resolve(opts, false);
    const k = this.prefix + key;
    if (!this.breaker.allow()) return null;
    let b: Buffer | null;
    try {
      b = await this.ops.getRaw(k);
    } catch {
      return null;
    }
    const env = b === null ? null : decodeEnvelope(b);
    let ok = this.usable(env, o, null);
    if (typeof ok !== 'boolean') ok = await ok;
    if (ok) {
      try {
        const v = this.decodeFor(k, env!) as T | null;
        this.hit(key);
        return v;
      } catch {
        // not decodable: a miss
      }
    }
    this.miss(key);
    return null;
  }

  /** Writes a value directly (plain SET: voids any lease, so an in-flight load cannot overwrite it). */
  async set(key: string, value: unknown, opts?: CallOptions): Promise<void> {
    if (this.closed) throw new CacheClosedError();
    const o = this.resolve(opts, true);
    const k = this.prefix + key;
    const negative = value === null || value === undefined;
    if (negative && o.negativeTtl === 0) {
      await this.ops.invalidate(k, 0);
      return;
    }
    const versions = o.tags.length === 0 ? null : await this.ops.ensureTagVersions(o.tags, o.tags.map(() => null), this.random);
    const buf = this.encodeFor(value, o, 0, versions);
    if (negative) await this.ops.setRaw(k, buf, jitterTtl(o.negativeTtl, o.jitter, this.random), 0, o.leaseMs);
    else await this.ops.setRaw(k, buf, jitterTtl(o.ttl, o.jitter, this.random), o.grace, o.leaseMs);
  }

  /**
   * CACHE.INVALIDATE: deletes the key (or, with a grace, keeps it readable as stale for that
   * long while one caller refreshes it) and voids its lease. True if the key existed.
   */
  invalidate(key: string, opts?: { grace?: number }): Promise<boolean> {
    if (this.closed) return Promise.reject(new CacheClosedError());
    const grace = opts?.grace ?? 0;
    if (!(grace >= 0)) return Promise.reject(new TypeError('grace must be >= 0'));
    return this.ops.invalidate(this.prefix + key, Math.round(grace));
  }

  /** Every key stored with one of these tags reloads on its next read (in-flight loads included). */
  invalidateTags(tags: readonly string[]): Promise<void> {
    if (this.closed) return Promise.reject(new CacheClosedError());
    for (const t of tags) if (typeof t !== 'string' || t.length === 0) return Promise.reject(new TypeError('tags must be non-empty strings'));
    return this.ops.bumpTags(tags);
  }

  on<E extends CacheEvent>(event: E, fn: (payload: CacheEvents[E]) => void): this {
    this.events.on(event, fn);
    return this;
  }

  off<E extends CacheEvent>(event: E, fn: (payload: CacheEvents[E]) => void): this {
    this.events.off(event, fn);
    return this;
  }

  /**
   * With `freeze`: hits that returned an object already decoded (a JSON.parse saved each), and
   * the values kept for that (entries, and the stored bytes they count); null without `freeze`.
   */
  get frozen(): { reused: number; entries: number; bytes: number } | null {
    const k = this.kept;
    return k === null ? null : { reused: k.reused, ...k.size };
  }

  get breakerState(): BreakerState {
    return this.breaker.state;
  }

  /**
   * Stops: loaders' signals are aborted, waits end (their calls reject CacheClosedError), queued
   * fail-open loads are rejected, and background work is awaited. The client is not closed
   * (it belongs to the caller).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.kept?.clear();
    this.unregisterMetrics?.();
    for (const ac of this.controllers) ac.abort(new CacheClosedError());
    for (const s of this.sleepers) {
      this.timers.clearTimeout(s.handle);
      s.resolve();
    }
    this.sleepers.clear();
    this.bulkhead.rejectAll();
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
  }

  /** Resolves when the background work started so far (refreshes, writes) has settled. For tests. */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
  }
}

/** A cache-aside layer over a corral client (see the header of cache.ts). */
export function createCache(options: CacheOptions): Cache {
  return new Cache(options);
}
