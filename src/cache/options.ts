// Cache options: what createCache and each call accept, the defaults, validation, the per-call
// merge (call options override the cache's defaults field by field), and TTL jitter. The clock,
// timers and randomness are injectable, as in the client (src/client/options.ts), so tests move
// time by hand instead of sleeping.
//
// Defaults chosen where the spec left it open (all times in ms):
//   ttl            required (on createCache or on the call)
//   jitter         0.1: the ttl written is ttl * (1 + U(-0.1, +0.1)), so keys loaded together
//                  do not all expire together
//   grace          0: no stale-while-revalidate window unless asked for. Hot keys are kept warm
//                  by XFetch instead; with a grace, expired keys are served stale while one
//                  caller refreshes them
//   leaseMs        5000: longer than a load should ever take (a load past it cannot be written)
//   beta           1 (XFetch; 0 disables early refresh)
//   softTimeout    0: a stale value at hand (STALE_WON) is returned at once and refreshed in the
//                  background. With N > 0 the refresh is awaited up to N ms first
//   hardTimeout    0: no limit (the lease still bounds how long others wait for it)
//   negativeTtl    min(ttl, 5000); 0 = "not found" is not cached
//   staleOnError   true; errorBackoff 0 (off)
//   waitPoll       { minDelay: 5, maxDelay: 50, timeout: leaseMs }
//   breaker        { failureThreshold: 5, resetAfter: 5000, halfOpenProbes: 1, successThreshold: 1 }
//   bulkhead       { perKey: 1, total: 16, queue: 256 }
//   cacheTimeout   none: the client's commandTimeout bounds every cache command

import type { CorralClient } from '../client/index.js';
import type { Timers } from '../client/options.js';
import type { Clock } from '../util/clock.js';
import type { BreakerOptions } from './breaker.js';
import type { BulkheadOptions } from './bulkhead.js';
import type { MetricsRegistry } from './metrics.js';

export type { Timers };

/** Turns values into bytes and back. Buffers bypass it (stored and returned untouched). */
export interface Serializer {
  serialize(value: unknown): Buffer | string;
  deserialize(bytes: Buffer): unknown;
}

export const jsonSerializer: Serializer = {
  serialize: (v) => {
    const s = JSON.stringify(v);
    if (s === undefined) throw new TypeError('value is not JSON-serializable');
    return s;
  },
  deserialize: (b) => JSON.parse(b.toString('utf8')),
};

/** How a caller that finds another caller's lease (MISS_WAIT) polls for its value. */
export interface WaitPollOptions {
  /** First poll delay; doubles per poll up to maxDelay; each delay is jittered by ±50% (5). */
  minDelay?: number;
  maxDelay?: number;
  /**
   * Total wait before this caller loads the value itself, without a lease (so without writing
   * it). Default: leaseMs, the longest a live lease holder can take.
   */
  timeout?: number;
}

/** Options of one call, and the cache-wide defaults they override. */
export interface CallOptions {
  ttl?: number;
  jitter?: number;
  grace?: number;
  leaseMs?: number;
  beta?: number;
  softTimeout?: number;
  hardTimeout?: number;
  negativeTtl?: number;
  tags?: readonly string[];
  /** A version stamp: a cached value stored under another version is a miss. */
  version?: string | number;
  staleOnError?: boolean;
  errorBackoff?: number;
  waitPoll?: WaitPollOptions;
}

/**
 * The commands the SDK sends: the smart client, or anything with the same methods
 * (issueSettling, optional, lets getOrLoad take the hit path of read.ts).
 */
export type CacheClient = Pick<CorralClient, 'send' | 'sendBuffer' | 'cacheGet'> & Partial<Pick<CorralClient, 'nearCache' | 'issueSettling'>>;

export interface CacheOptions extends CallOptions {
  client: CacheClient;
  serializer?: Serializer;
  /** Prepended to every key and tag key (namespacing), default ''. */
  prefix?: string;
  breaker?: BreakerOptions;
  bulkhead?: BulkheadOptions;
  /** Per cache command, ms; past it the call fails open. Default: the client's commandTimeout. */
  cacheTimeout?: number;
  clock?: Clock;
  timers?: Timers;
  random?: () => number;
  /**
   * The application's prom-client Registry: the cache registers its series there (metrics.ts;
   * prom-client is loaded only when this is given). Default: none.
   */
  metrics?: MetricsRegistry;
  /** The `cache` label of this cache's series (default 'default'); unique per registry. */
  metricsName?: string;
  /**
   * Frozen values (default false; src/cache/decoded.ts, docs/cache.md). When true, a JSON value
   * read from the cache (getOrLoad's and get()'s hits, stale values) is deep-frozen, and a hit
   * whose stored bytes are the ones last decoded for that key returns that same frozen object
   * without parsing it again. Values returned by the loader are returned as they are.
   */
  freeze?: boolean;
  /** With freeze: the most bytes of stored values kept for reuse, oldest out first (16 MiB). */
  freezeMaxBytes?: number;
}

/** A call's options with every default applied. */
export interface Resolved {
  ttl: number;
  jitter: number;
  grace: number;
  leaseMs: number;
  beta: number;
  softTimeout: number;
  hardTimeout: number;
  negativeTtl: number;
  tags: readonly string[];
  version: string | undefined;
  staleOnError: boolean;
  errorBackoff: number;
  waitMin: number;
  waitMax: number;
  waitTimeout: number;
}

export const defaultTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

const NO_TAGS: readonly string[] = Object.freeze([]);
export const MAX_TAGS = 255;

function num(name: string, v: number | undefined, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v >= min) || v === Infinity) throw new TypeError(`${name} must be a number >= ${min}`);
  return v;
}

/** a unless undefined, else b: a call option over the cache's default. */
function or<T>(a: T | undefined, b: T | undefined): T | undefined {
  return a !== undefined ? a : b;
}

const NO_CALL: CallOptions = Object.freeze({});

/**
 * Merges call options over the defaults, field by field (a field left out or undefined takes
 * the default). Without a ttl anywhere it throws only when `needTtl` (a read alone does not need
 * one). No object spread: getOrLoad resolves per-call options on every call, and spreading them
 * cost microseconds (measured, Node 20).
 */
export function resolveCall(defaults: CallOptions, call: CallOptions | undefined, needTtl: boolean): Resolved {
  const d = defaults;
  const c = call ?? NO_CALL;
  const ttlIn = or(c.ttl, d.ttl);
  const ttl = ttlIn === undefined ? NaN : num('ttl', ttlIn, 0, 1);
  if (needTtl && Number.isNaN(ttl)) throw new TypeError('ttl is required (on createCache or on the call)');
  const jitter = num('jitter', or(c.jitter, d.jitter), 0.1);
  if (jitter >= 1) throw new TypeError('jitter must be below 1');
  const leaseMs = Math.round(num('leaseMs', or(c.leaseMs, d.leaseMs), 5000, 1));
  if (leaseMs > 86_400_000) throw new TypeError('leaseMs must be at most 86400000');
  const tagsIn = or(c.tags, d.tags);
  const tags = tagsIn === undefined || tagsIn.length === 0 ? NO_TAGS : tagsIn;
  if (tags.length > MAX_TAGS) throw new TypeError(`at most ${MAX_TAGS} tags per key`);
  for (const t of tags) if (typeof t !== 'string' || t.length === 0) throw new TypeError('tags must be non-empty strings');
  const cw = c.waitPoll;
  const dw = d.waitPoll;
  const waitMin = num('waitPoll.minDelay', or(cw?.minDelay, dw?.minDelay), 5, 1);
  const version = or(c.version, d.version);
  return {
    ttl,
    jitter,
    grace: Math.round(num('grace', or(c.grace, d.grace), 0)),
    leaseMs,
    beta: num('beta', or(c.beta, d.beta), 1),
    softTimeout: num('softTimeout', or(c.softTimeout, d.softTimeout), 0),
    hardTimeout: num('hardTimeout', or(c.hardTimeout, d.hardTimeout), 0),
    negativeTtl: Math.round(num('negativeTtl', or(c.negativeTtl, d.negativeTtl), Number.isNaN(ttl) ? 5000 : Math.min(ttl, 5000))),
    tags,
    version: version === undefined ? undefined : String(version),
    staleOnError: or(c.staleOnError, d.staleOnError) ?? true,
    errorBackoff: num('errorBackoff', or(c.errorBackoff, d.errorBackoff), 0),
    waitMin,
    waitMax: Math.max(waitMin, num('waitPoll.maxDelay', or(cw?.maxDelay, dw?.maxDelay), 50, 1)),
    waitTimeout: num('waitPoll.timeout', or(cw?.timeout, dw?.timeout), leaseMs),
  };
}

/** ttl spread uniformly over ±jitter of itself, at least 1 ms. */
export function jitterTtl(ttl: number, jitter: number, random: () => number): number {
  if (jitter === 0) return Math.max(1, Math.round(ttl));
  return Math.max(1, Math.round(ttl * (1 + jitter * (2 * random() - 1))));
}
