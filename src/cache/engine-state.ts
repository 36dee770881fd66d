// The state under the cache's engine (engine.ts): the options as resolved at creation, the
// mechanisms (breaker, bulkhead, ops, single flight), the in-process bookkeeping (background
// refreshes, error backoffs, tracked tasks, sleepers), and the small helpers every path uses
// (counters and events, option resolution, encoding, timers). engine.ts owns the flow on top.

import type { NearCache } from '../client/near-cache.js';
import type { Clock } from '../util/clock.js';
import { Breaker, type BreakerState } from './breaker.js';
import { Bulkhead } from './bulkhead.js';
import { Codec } from './codec.js';
import { DecodedValues, DEFAULT_FREEZE_MAX_BYTES, NOT_KEPT } from './decoded.js';
import { decodeEnvelope, F_EMPTY, F_JSON, F_NEGATIVE, F_UNDEFINED, type Envelope } from './envelope.js';
import { Emitter, newStats, type CacheStats } from './events.js';
import { CacheOps } from './ops.js';
import { defaultTimers, resolveCall, type CacheClient, type CacheOptions, type CallOptions, type Resolved, type Timers } from './options.js';
import { SingleFlight } from './singleflight.js';

interface Sleeper {
  handle: unknown;
  resolve: () => void;
}

export function noop(): void {}

/** The engine's state and helpers (engine.ts); not used directly. */
export class EngineState {
  readonly stats: CacheStats = newStats();
  protected readonly events = new Emitter();
  protected readonly defaults: CallOptions;
  protected readonly resolvedDefaults: Resolved;
  protected readonly codec: Codec;
  protected readonly prefix: string;
  protected readonly clock: Clock;
  protected readonly timers: Timers;
  protected readonly random: () => number;
  protected readonly breaker: Breaker;
  readonly bulkhead: Bulkhead;
  protected readonly ops: CacheOps;
  protected readonly flights = new SingleFlight<unknown>();
  /** Keys with a background refresh running in this process. */
  protected readonly refreshing = new Set<string>();
  /** errorBackoff: keys whose loader failed recently, until when, and the error. */
  protected readonly backoffs = new Map<string, { until: number; error: unknown }>();
  protected readonly tasks = new Set<Promise<void>>();
  protected readonly controllers = new Set<AbortController>();
  protected readonly sleepers = new Set<Sleeper>();
  protected closed = false;
  /** The client's near-cache, or null. */
  protected readonly near: NearCache | null;
  /** Frozen values kept by key (the freeze option), or null. */
  protected readonly kept: DecodedValues | null;
  /** The client, when getOrLoad may take the hit path (read.ts); else null. */
  protected readonly settling: Required<Pick<CacheClient, 'issueSettling'>> | null;

  constructor(options: CacheOptions) {
    const { client, serializer, prefix, breaker, bulkhead, cacheTimeout, clock, timers, random, freeze, freezeMaxBytes, ...call } = options;
    if (client === undefined || typeof client.sendBuffer !== 'function' || typeof client.cacheGet !== 'function') throw new TypeError('client: a CorralClient is required');
    this.defaults = call;
    this.resolvedDefaults = resolveCall(call, undefined, false);
    this.codec = new Codec(serializer);
    this.prefix = prefix ?? '';
    this.clock = clock ?? { now: Date.now };
    this.timers = timers ?? defaultTimers;
    this.random = random ?? Math.random;
    this.breaker = new Breaker(breaker ?? {}, this.clock, (from, to) => this.onBreaker(from, to));
    this.bulkhead = new Bulkhead(bulkhead);
    if (cacheTimeout !== undefined && !(cacheTimeout >= 0)) throw new TypeError('cacheTimeout must be >= 0');
    const c = client as CacheClient;
    this.ops = new CacheOps(c, this.prefix, cacheTimeout ?? 0, this.timers, this.breaker);
    this.near = c.nearCache ?? null;
    const hitPath = typeof c.issueSettling === 'function' && this.near === null && (cacheTimeout ?? 0) === 0;
    this.settling = hitPath ? (c as Required<Pick<CacheClient, 'issueSettling'>>) : null;
    if (freeze !== undefined && typeof freeze !== 'boolean') throw new TypeError('freeze must be a boolean');
    const maxBytes = freezeMaxBytes ?? DEFAULT_FREEZE_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new TypeError('freezeMaxBytes must be a non-negative integer');
    this.kept = freeze === true ? new DecodedValues(maxBytes) : null;
  }

  /**
   * The value of a usable envelope read for key k: codec.decode(), or with frozen values
   * (decoded.ts) the frozen value already decoded from the same bytes, else the decoded one,
   * frozen and kept. Only JSON payloads are frozen: Buffers and a serializer's values are not.
   */
  protected decodeFor(k: string, env: Envelope): unknown {
    const kept = this.kept;
    if (kept === null || (env.flags & F_JSON) === 0) return this.codec.decode(env);
    const v = kept.lookupBytes(k, env.bytes);
    return v !== NOT_KEPT ? v : kept.keepBytes(k, env.bytes, this.codec.decode(env));
  }

  /** The near-cache's bytes for k if its envelope is still fresh under o (engine.ts, Near-cache). */
  protected nearHit(k: string, o: Resolved): Buffer | undefined {
    const b = this.near!.peek(k);
    if (b === undefined) return undefined;
    const env = decodeEnvelope(b);
    if (env === null || (env.flags & F_EMPTY) !== 0) return undefined;
    const ttl = (env.flags & (F_NEGATIVE | F_UNDEFINED)) !== 0 ? o.negativeTtl : o.ttl;
    if (env.storedAt + ttl * (1 - o.jitter) <= this.clock.now()) return undefined;
    return b;
  }

  // ---- bookkeeping --------------------------------------------------------------------------

  protected encodeFor(value: unknown, o: Resolved, delta: number, versions: string[] | null): Buffer {
    return this.codec.encode(value, {
      storedAt: this.clock.now(),
      delta,
      version: o.version,
      cacheNegative: o.negativeTtl > 0,
      tags: o.tags,
      tagVersions: versions,
    });
  }

  /**
   * The clock for XFetch's test on hits: read once per turn and forgotten when the turn's
   * microtasks run. The client settles every reply of a socket read in one turn, so a batch of
   * hits costs one clock read, not one each; a hit's time is only compared with its value's
   * expiry, whole milliseconds apart, so the microseconds a turn lasts do not matter.
   */
  protected hitClock(): number {
    let now = this.hitNow;
    if (now < 0) {
      now = this.hitNow = this.clock.now();
      queueMicrotask(this.forgetHitNow);
    }
    return now;
  }

  /** hitClock()'s reading in this turn, or -1. */
  private hitNow = -1;
  private readonly forgetHitNow = (): void => {
    this.hitNow = -1;
  };

  protected resolve(opts: CallOptions | undefined, needTtl: boolean): Resolved {
    if (opts === undefined) {
      if (needTtl && Number.isNaN(this.resolvedDefaults.ttl)) throw new TypeError('ttl is required (on createCache or on the call)');
      return this.resolvedDefaults;
    }
    return resolveCall(this.defaults, opts, needTtl);
  }

  protected backoffFor(k: string): { until: number; error: unknown } | undefined {
    if (this.backoffs.size === 0) return undefined;
    const b = this.backoffs.get(k);
    if (b === undefined) return undefined;
    if (this.clock.now() < b.until) return b;
    this.backoffs.delete(k);
    return undefined;
  }

  protected hit(key: string): void {
    this.stats.hits++;
    if (this.events.has('hit')) this.events.emit('hit', { key });
  }

  protected miss(key: string): void {
    this.stats.misses++;
    if (this.events.has('miss')) this.events.emit('miss', { key });
  }

  protected staleServed(key: string, reason: 'grace' | 'soft-timeout' | 'error'): void {
    this.stats.staleServed++;
    if (this.events.has('stale')) this.events.emit('stale', { key, reason });
  }

  protected backgroundError(key: string, error: unknown): void {
    if (this.events.has('backgroundError')) this.events.emit('backgroundError', { key, error });
  }

  protected onBreaker(from: BreakerState, to: BreakerState): void {
    this.stats.breakerState = to;
    if (to === 'open') this.stats.breakerOpened++;
    this.events.emit('breaker', { from, to });
  }

  /** Background work close() and idle() wait for (its errors are handled where it runs). */
  protected track(p: Promise<unknown>): void {
    const t = p.then(noop, noop);
    this.tasks.add(t);
    void t.then(() => this.tasks.delete(t));
  }

  protected sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const s: Sleeper = { handle: undefined, resolve };
      s.handle = this.timers.setTimeout(() => {
        this.sleepers.delete(s);
        resolve();
      }, ms);
      this.sleepers.add(s);
    });
  }
}
