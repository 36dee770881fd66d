// The engine under the cache's public API (cache.ts): getOrLoad's decisions on top of the lease
// commands (docs/leases.md), and the state they share (flights, background work, backoffs).
// ops.ts sends the commands, envelope.ts shapes the bytes, singleflight.ts, breaker.ts,
// bulkhead.ts and xfetch.ts own one mechanism each; this module owns the flow.
//
// getOrLoad(key) in one process is a single flight: concurrent callers share one CACHE.GET and
// at most one loader call (and so share the value object returned: do not mutate it). Across
// processes the node's lease makes one caller per key the loader:
//
//   CACHE.GET key lease-ms
//     HIT        usable -> return it; XFetch may decide to refresh early: CACHE.LEASE, and if
//                granted, reload in the background (the caller already has its value)
//                unusable (other version, tag invalidated, not an envelope) -> CACHE.LEASE:
//                granted -> load; refused -> wait as for MISS_WAIT
//     MISS_WON   load, CACHE.SET with the token, return the value
//     MISS_WAIT  poll CACHE.GET with short jittered delays (waitPoll) until the value lands,
//                the lease passes to us (the holder died: MISS_WON), or waitPoll.timeout runs
//                out: then load without a lease and return the value without writing it
//     STALE_WON  return the stale value and refresh in the background (with softTimeout > 0:
//                wait up to softTimeout for the fresh value first)
//     STALE      return the stale value
//
// Why a voided lease keeps old data out (the node's side of it, docs/leases.md): a load that
// started before an invalidation may read the old row; the invalidation voids its token, so its
// CACHE.SET is refused (stats.setsRefused) and the next read reloads.
//
// Tags. A key may carry tags; invalidateTags(tags) must make every key with one of them
// reload, including keys whose load is in flight. A node cannot void the leases of "every key
// with tag t" (it does not know them, and they live on other nodes), so tags are versions:
// `corral:tag:{t}` holds a counter; invalidateTags INCRs it; an entry stores the versions of
// its tags; a hit whose stored versions differ from the current ones is unusable. The race is
// in *when* the versions stored are read:
//
//   loader A                             writer B
//   read tag version -> 7
//   SELECT (old row)
//                                        UPDATE row; commit; INCR tag -> 8
//   CACHE.SET value(old, tag=7)          (the token is still valid: B voided no lease)
//   next read: tag is 8, entry says 7 -> unusable -> reload: correct
//
// Had A read the tag version after its SELECT (8), the old row would be stored as current. So
// the versions stored are the ones read with the CACHE.GET, in the same turn, before the loader
// is called. A tag key that does not exist is created (SET NX of a random start) before the
// load, never recorded as "absent" (ops.ts ensureTagVersions).
//
// Failing open. When the breaker is open, or a cache command fails, the call loads without the
// cache, through the bulkhead (a cap on concurrent loads per key and in total). Error replies
// (WRONGTYPE...) fail that call open too but do not count against the breaker. Writes and
// invalidations (set, invalidate, invalidateTags) do not fail open: they reject with the
// client's error, since silently skipping one would leave stale data behind.
//
// Near-cache. When the client has one (createClient's nearCache option), getOrLoad first looks
// the key up there: an entry whose envelope is still fresh by the caller's options (stored-at +
// ttl x (1 - jitter) in the future: the earliest the node could have turned it stale, since a
// key's going stale is not a write and sends no invalidation) is served as a HIT with no round
// trip; anything else goes to CACHE.GET as before. A CACHE.GET hit asks the near-cache to fetch
// the key in the background (a tracked GET: CACHE.GET is a write, which CLIENT TRACKING does not
// remember) when its key policy wants it. Plain get() and the tag version GETs go through the
// near-cache by themselves. Its staleness bound (docs/cache.md, Near-cache) then applies to
// hits: an invalidate() or invalidateTags() elsewhere reaches this process within the
// invalidation delivery time.
//
// The hit path (read.ts). When nothing needs a turn before the decision (the common case: breaker
// closed, no cacheTimeout, no near-cache, no tags), getOrLoad sends CACHE.GET as a record the
// client settles through settleRead() in the reply's turn, and returns the client's promise: a
// hit is decoded there and resolves it directly; anything else is decided there too and the
// client's promise adopts the resulting promise. The flight ends where flow()'s `finally` would.
//
// Loader errors are rethrown as they are (not wrapped). With staleOnError and a stale value at
// hand, the stale value is returned instead. After a failed load of a key with no stale copy, its
// lease is released at once (a 1 ms placeholder written with the token) so the callers waiting
// in other processes retry now rather than when the lease expires; unless errorBackoff > 0: then
// for that long this process does not call the loader for the key (it serves stale copies and
// otherwise rethrows the last error), and the lease is left to expire, holding other processes
// back too.

import type { Arg } from '../client/command.js';
import { decodeEnvelope, F_EMPTY, F_JSON, F_NEGATIVE, F_UNDEFINED, type Envelope } from './envelope.js';
import { EngineState, noop } from './engine-state.js';
import { BulkheadFullError, CacheClosedError } from './errors.js';
import { isInfraFailure, parseRead, Status, type Read } from './ops.js';
import { raceTimeout } from './race.js';
import { jitterTtl, type Resolved } from './options.js';
import { CacheRead, deltaOfText, NOT_PLAIN, plainHit, plainHitKept, replyBytes, storedAtOfText, type ReadHost } from './read.js';
import { runLoader, type Loader } from './run-loader.js';
import { shouldRefreshEarly } from './xfetch.js';

export type { Loader, LoaderContext } from './run-loader.js';

/** decide(): the caller must wait for another caller's lease. */
const WAIT: unique symbol = Symbol('wait');
/** raceSoft(): the soft timeout fired first. */
const SOFT: unique symbol = Symbol('soft');

type AnyLoader = Loader<unknown>;
/** A stale value at hand (boxed: the value itself may be null or undefined). */
type StaleRef = { value: unknown } | null;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameVersions(stored: readonly string[], current: ReadonlyArray<string | null>): boolean {
  for (let i = 0; i < stored.length; i++) if (stored[i] !== current[i]) return false;
  return true;
}

/** The flow shared by the public methods (cache.ts); not used directly. */
export class Engine extends EngineState implements ReadHost {
  // ---- the flow -----------------------------------------------------------------------------

  /** One getOrLoad flight: the hit path (read.ts) when it applies, else flow(). */
  protected startFlight(k: string, key: string, loader: AnyLoader, o: Resolved): Promise<unknown> {
    const client = this.settling;
    if (client === null || o.tags.length > 0 || this.breaker.state !== 'closed') return this.flow(k, key, loader, o);
    return client.issueSettling(new CacheRead(this, k, key, loader, o));
  }

  /** CacheRead's reply, in the reply's turn: the value of a plain fresh hit, else decide(). */
  settleRead(c: CacheRead, reply: unknown): unknown {
    const k = c.k;
    try {
      this.breaker.success();
      if (typeof reply === 'string') {
        const o = c.o;
        const kept = this.kept;
        const value = kept === null ? plainHit(reply, o) : plainHitKept(reply, o, k, kept);
        if (value !== NOT_PLAIN) {
          this.hit(c.key);
          if (o.beta > 0) this.maybeRefreshEarly(k, c.key, c.loader, o, null, F_JSON, storedAtOfText(reply), deltaOfText(reply), value);
          this.flights.end(k);
          return value;
        }
      }
    } catch (e) {
      this.flights.end(k);
      throw e;
    }
    return this.decideRead(c, replyBytes(reply));
  }

  /** CacheRead failed (connection, timeout, error reply): as flow() does, fail open. */
  readFailed(c: CacheRead, error: Error): unknown {
    if (isInfraFailure(error)) this.breaker.failure();
    return this.ending(c.k, this.failOpen(c.k, c.key, c.loader, c.o, error));
  }

  /** The rest of flow() after its read, for a CacheRead reply that is not a plain hit. */
  protected decideRead(c: CacheRead, reply: unknown): unknown {
    const { k, key, loader, o } = c;
    let r: Read;
    try {
      r = parseRead(reply);
    } catch (e) {
      return this.ending(k, this.failOpen(k, key, loader, o, e));
    }
    let out: unknown;
    try {
      out = this.decide(k, key, loader, o, r, true);
    } catch (e) {
      this.flights.end(k);
      throw e;
    }
    if (out instanceof Promise) return this.ending(k, out.then((x) => (x === WAIT ? this.waitForLease(k, key, loader, o) : x)));
    if (out === WAIT) return this.ending(k, this.waitForLease(k, key, loader, o));
    this.flights.end(k);
    return out;
  }

  /** p, ending k's flight when it settles (always a turn after the flight was registered). */
  protected async ending(k: string, p: Promise<unknown>): Promise<unknown> {
    try {
      return await p;
    } finally {
      this.flights.end(k);
    }
  }

  /**
   * One getOrLoad flight. It ends its single-flight entry itself: every path awaits at least
   * once before the `finally` (hence `return await`), so the entry getOrLoad registers right
   * after calling flow() is always in place before it is removed.
   */
  protected async flow(k: string, key: string, loader: AnyLoader, o: Resolved): Promise<unknown> {
    try {
      if (!this.breaker.allow()) return await this.failOpen(k, key, loader, o, undefined);
      let r: Read;
      try {
        const near = this.near === null ? undefined : this.nearHit(k, o);
        if (near !== undefined) {
          // Awaited even when not a promise: flow() must await before its `finally` (see above).
          r = await this.ops.nearRead(near, o.tags);
        } else {
          r = await this.ops.read(k, o.leaseMs, o.tags);
          if (this.near !== null && r.status === Status.Hit) this.near.prefetch(k);
        }
      } catch (e) {
        return await this.failOpen(k, key, loader, o, e);
      }
      let out = this.decide(k, key, loader, o, r, true);
      if (out instanceof Promise) out = await out;
      if (out !== WAIT) return out;
      return await this.waitForLease(k, key, loader, o);
    } finally {
      this.flights.end(k);
    }
  }

  /** What one CACHE.GET reply means: a value, a load (a promise), or WAIT. */
  protected decide(k: string, key: string, loader: AnyLoader, o: Resolved, r: Read, first: boolean): unknown {
    const status = r.status;
    if (status === Status.MissWon) {
      if (first) this.miss(key);
      return this.loadNow(k, key, loader, o, r.token!, r.tagVersions);
    }
    if (status === Status.MissWait) {
      if (first) this.miss(key);
      return WAIT;
    }
    const env = r.value === null ? null : decodeEnvelope(r.value);
    const ok = this.usable(env, o, r.tagVersions);
    if (ok === true) return this.serve(k, key, loader, o, r, env!, first);
    if (ok === false) return this.unusable(k, key, loader, o, r, first);
    return ok.then((yes) => (yes ? this.serve(k, key, loader, o, r, env!, first) : this.unusable(k, key, loader, o, r, first)));
  }

  /** A usable value from HIT / STALE_WON / STALE. */
  protected serve(k: string, key: string, loader: AnyLoader, o: Resolved, r: Read, env: Envelope, first: boolean): unknown {
    let value: unknown;
    try {
      value = this.decodeFor(k, env);
    } catch {
      return this.unusable(k, key, loader, o, r, first);
    }
    if (r.status === Status.Hit) {
      this.hit(key);
      if (o.beta > 0) this.maybeRefreshEarly(k, key, loader, o, r.tagVersions, env.flags, env.storedAt, env.delta, value);
      return value;
    }
    if (r.status === Status.StaleWon && this.backoffFor(k) === undefined) {
      if (o.softTimeout > 0) return this.loadSoft(k, key, loader, o, r.token!, r.tagVersions, { value });
      this.refreshInBackground(k, key, loader, o, r.token!, r.tagVersions, value);
    }
    this.staleServed(key, 'grace');
    return value;
  }

  /** Nothing usable came back: load if we hold (or can get) the lease, else wait. */
  protected unusable(k: string, key: string, loader: AnyLoader, o: Resolved, r: Read, first: boolean): unknown {
    if (first) this.miss(key);
    if (r.status === Status.StaleWon) return this.loadNow(k, key, loader, o, r.token!, r.tagVersions);
    if (r.status === Status.Stale) return WAIT;
    return this.ops.lease(k, o.leaseMs).then(
      (token) => (token === null ? WAIT : this.loadNow(k, key, loader, o, token, r.tagVersions)),
      (e) => this.failOpen(k, key, loader, o, e),
    );
  }

  /**
   * Is the envelope's value servable under these options? Version stamp, then tags: the stored
   * tag versions against the current ones (read with the CACHE.GET when the caller's tags are
   * the stored ones; otherwise fetched now, one more round trip). The stored tags decide: an
   * entry stored without tags is usable whatever tags the caller passes now (its next load
   * stores them).
   */
  protected usable(env: Envelope | null, o: Resolved, current: Array<string | null> | null): boolean | Promise<boolean> {
    if (env === null || (env.flags & F_EMPTY) !== 0) return false;
    if (o.version !== undefined && env.version !== o.version) return false;
    const stored = env.tags;
    if (stored.length === 0) return true;
    if (current !== null && sameList(stored, o.tags)) return sameVersions(env.tagVersions, current);
    return this.ops.tagVersions(stored).then(
      (v) => sameVersions(env.tagVersions, v),
      () => false,
    );
  }

  /** Poll for another caller's value (MISS_WAIT, or STALE/HIT with an unusable value). */
  protected async waitForLease(k: string, key: string, loader: AnyLoader, o: Resolved): Promise<unknown> {
    this.stats.leaseWaits++;
    if (this.events.has('leaseWait')) this.events.emit('leaseWait', { key });
    const deadline = this.clock.now() + o.waitTimeout;
    let delay = o.waitMin;
    for (;;) {
      const left = deadline - this.clock.now();
      if (left <= 0) break;
      await this.sleep(Math.min(left, delay * (0.5 + this.random())));
      if (this.closed) throw new CacheClosedError();
      delay = Math.min(delay * 2, o.waitMax);
      if (!this.breaker.allow()) return this.failOpen(k, key, loader, o, undefined);
      let r: Read;
      try {
        r = await this.ops.read(k, o.leaseMs, o.tags);
      } catch (e) {
        return this.failOpen(k, key, loader, o, e);
      }
      let out = this.decide(k, key, loader, o, r, false);
      if (out instanceof Promise) out = await out;
      if (out !== WAIT) return out;
    }
    this.stats.waitTimeouts++;
    return this.loadTask(k, key, loader, o, null, null, null, false);
  }

  // ---- loads --------------------------------------------------------------------------------

  /** A foreground load with the lease (unless this key is in its error backoff). */
  protected loadNow(k: string, key: string, loader: AnyLoader, o: Resolved, token: Arg, tagVersions: Array<string | null> | null): Promise<unknown> {
    const b = this.backoffFor(k);
    if (b !== undefined) return Promise.reject(b.error);
    return this.loadTask(k, key, loader, o, token, tagVersions, null, false);
  }

  /** STALE_WON with softTimeout: wait that long for the fresh value, else serve the stale one. */
  protected async loadSoft(k: string, key: string, loader: AnyLoader, o: Resolved, token: Arg, tagVersions: Array<string | null> | null, stale: { value: unknown }): Promise<unknown> {
    const task = this.loadTask(k, key, loader, o, token, tagVersions, stale, false);
    this.track(task);
    try {
      const out = await this.raceSoft(task, o.softTimeout);
      if (out !== SOFT) return out;
      this.stats.backgroundRefreshes++;
      this.staleServed(key, 'soft-timeout');
      return stale.value;
    } catch (e) {
      if (!o.staleOnError) throw e;
      this.staleServed(key, 'error');
      return stale.value;
    }
  }

  protected raceSoft(task: Promise<unknown>, ms: number): Promise<unknown> {
    return raceTimeout(this.timers, task, ms, () => SOFT);
  }


  /** STALE_WON: the caller is served the stale value; one refresh runs behind it. */
  protected refreshInBackground(k: string, key: string, loader: AnyLoader, o: Resolved, token: Arg, tagVersions: Array<string | null> | null, stale: unknown): void {
    if (this.refreshing.has(k) || this.closed) return;
    this.refreshing.add(k);
    this.stats.backgroundRefreshes++;
    const t = this.loadTask(k, key, loader, o, token, tagVersions, { value: stale }, true).finally(() => this.refreshing.delete(k));
    this.track(t);
  }

  /** XFetch on a hit: maybe take the lease and refresh before the value goes stale. */
  protected maybeRefreshEarly(
    k: string,
    key: string,
    loader: AnyLoader,
    o: Resolved,
    tagVersions: Array<string | null> | null,
    flags: number,
    storedAt: number,
    delta: number,
    value: unknown,
  ): void {
    if (delta <= 0) return;
    // A hit carries no expiry (the node replies the bare value): the time left is reckoned from
    // when the value was stored and the TTL it was stored for (before jitter: an estimate, and
    // if the value goes stale first, STALE_WON or the miss lease still gives one refresher).
    const ttl = (flags & (F_NEGATIVE | F_UNDEFINED)) !== 0 ? o.negativeTtl : o.ttl;
    const remaining = storedAt + ttl - this.hitClock();
    // Far from expiry the chance is below exp(-30) (~1e-13): skip the draw (most hits).
    if (remaining > 30 * delta * o.beta || this.closed || this.refreshing.has(k)) return;
    if (!shouldRefreshEarly(Math.max(0, remaining), delta, o.beta, this.random)) return;
    if (this.backoffs.size > 0 && this.backoffFor(k) !== undefined) return;
    this.refreshing.add(k);
    const t = this.ops
      .lease(k, o.leaseMs)
      .then((token) => {
        if (token === null || this.closed) return;
        this.stats.earlyRefreshes++;
        this.stats.backgroundRefreshes++;
        if (this.events.has('earlyRefresh')) this.events.emit('earlyRefresh', { key });
        return this.loadTask(k, key, loader, o, token, tagVersions, { value }, true);
      })
      .finally(() => this.refreshing.delete(k));
    this.track(t);
  }

  /** The cache is unavailable for this call: load directly, within the bulkhead's limits. */
  protected async failOpen(k: string, key: string, loader: AnyLoader, o: Resolved, error: unknown): Promise<unknown> {
    if (this.closed) throw new CacheClosedError();
    this.stats.failOpenLoads++;
    if (this.events.has('failOpen')) this.events.emit('failOpen', { key, error });
    let release: () => void;
    try {
      release = await this.bulkhead.acquire(k);
    } catch (e) {
      if (e instanceof BulkheadFullError) {
        this.stats.bulkheadRejected++;
        if (this.events.has('bulkheadRejected')) this.events.emit('bulkheadRejected', { key });
      }
      throw e;
    }
    try {
      return await this.loadTask(k, key, loader, o, null, null, null, false);
    } finally {
      release();
    }
  }

  /**
   * One loader call and, with a token, the write. Tag versions are completed (missing tag keys
   * created) before the loader runs; see the header for why they must be read before it.
   */
  protected async loadTask(
    k: string,
    key: string,
    loader: AnyLoader,
    o: Resolved,
    token: Arg | null,
    tagVersions: Array<string | null> | null,
    stale: StaleRef,
    background: boolean,
  ): Promise<unknown> {
    let writable = token !== null;
    let versions: string[] | null = null;
    if (writable && o.tags.length > 0) {
      try {
        versions = await this.ops.ensureTagVersions(o.tags, tagVersions ?? o.tags.map(() => null), this.random);
      } catch (e) {
        writable = false; // without the versions the entry could not be invalidated by its tags
        this.backgroundError(key, e);
      }
    }
    const start = this.clock.now();
    this.stats.loads++;
    let value: unknown;
    let buf: Buffer | null = null;
    let duration: number;
    try {
      value = await runLoader(loader, { key, stale: stale?.value, background }, o.hardTimeout, this.timers, this.controllers);
      duration = this.clock.now() - start;
      if (writable) buf = this.encodeFor(value, o, Math.max(1, duration), versions);
    } catch (e) {
      this.stats.loadErrors++;
      if (this.events.has('loadError')) this.events.emit('loadError', { key, error: e, background });
      if (o.errorBackoff > 0) this.backoffs.set(k, { until: this.clock.now() + o.errorBackoff, error: e });
      else if (writable && stale === null) this.releaseLease(k, key, token!);
      throw e;
    }
    if (this.backoffs.size > 0) this.backoffs.delete(k);
    if (this.events.has('load')) this.events.emit('load', { key, duration, background });
    if (buf !== null) await this.store(k, key, value, o, token!, buf);
    return value;
  }

  /** CACHE.SET with the token. A refusal means the lease was voided: the value is not kept. */
  protected async store(k: string, key: string, value: unknown, o: Resolved, token: Arg, buf: Buffer): Promise<void> {
    if (this.closed) return;
    const negative = value === null || value === undefined;
    let ttl: number;
    let grace = 0;
    if (!negative) {
      ttl = jitterTtl(o.ttl, o.jitter, this.random);
      grace = o.grace;
    } else {
      ttl = o.negativeTtl > 0 ? jitterTtl(o.negativeTtl, o.jitter, this.random) : 1;
    }
    let stored: boolean;
    try {
      stored = await this.ops.cacheSet(k, buf, token, ttl, grace);
    } catch (e) {
      this.backgroundError(key, e);
      return;
    }
    if (!stored) {
      this.stats.setsRefused++;
      if (this.events.has('setRefused')) this.events.emit('setRefused', { key });
    }
  }

  /** Gives the lease back after a failed load: a 1 ms EMPTY placeholder written with the token. */
  protected releaseLease(k: string, key: string, token: Arg): void {
    if (this.closed) return;
    const buf = this.codec.empty(this.clock.now());
    const t = this.ops.cacheSet(k, buf, token, 1, 0).then(noop, (e) => this.backgroundError(key, e));
    this.track(t);
  }
}
