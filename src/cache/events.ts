// The cache's counters and events. Counters are plain numbers on one object (`cache.stats`),
// bumped on the hot path; events are delivered only when someone listens, so a hit with no
// 'hit' listener costs a property read, not an object allocation. A listener that throws is
// ignored: observability must not break the cache.

import type { BreakerState } from './breaker.js';

export interface CacheStats {
  /** Fresh values served from the cache. */
  hits: number;
  /** Calls that found nothing usable (missing, expired, other version, invalidated tag). */
  misses: number;
  /** Stale values served (grace window, soft timeout, loader error). */
  staleServed: number;
  /** Loader calls (foreground, background and fail-open). */
  loads: number;
  loadErrors: number;
  /** Calls that found another caller's lease and waited for its value. */
  leaseWaits: number;
  /** Waits that ran out (waitPoll.timeout) and loaded without a lease. */
  waitTimeouts: number;
  /** XFetch early refreshes started (lease granted). */
  earlyRefreshes: number;
  /** Background refreshes started (STALE_WON, XFetch, soft timeout). */
  backgroundRefreshes: number;
  /** Writes refused by the node (the lease was voided, e.g. by an invalidation during the load). */
  setsRefused: number;
  /** Loads that ran without the cache (breaker open, or a cache command failed). */
  failOpenLoads: number;
  bulkheadRejected: number;
  /** Calls that joined a getOrLoad already in flight in this process. */
  joined: number;
  breakerState: BreakerState;
  breakerOpened: number;
}

export function newStats(): CacheStats {
  return {
    hits: 0,
    misses: 0,
    staleServed: 0,
    loads: 0,
    loadErrors: 0,
    leaseWaits: 0,
    waitTimeouts: 0,
    earlyRefreshes: 0,
    backgroundRefreshes: 0,
    setsRefused: 0,
    failOpenLoads: 0,
    bulkheadRejected: 0,
    joined: 0,
    breakerState: 'closed',
    breakerOpened: 0,
  };
}

export interface CacheEvents {
  hit: { key: string };
  miss: { key: string };
  stale: { key: string; reason: 'grace' | 'soft-timeout' | 'error' };
  load: { key: string; duration: number; background: boolean };
  loadError: { key: string; error: unknown; background: boolean };
  leaseWait: { key: string };
  earlyRefresh: { key: string };
  setRefused: { key: string };
  failOpen: { key: string; error: unknown };
  bulkheadRejected: { key: string };
  breaker: { from: BreakerState; to: BreakerState };
  /** A cache command of a background task failed (the caller was already answered). */
  backgroundError: { key: string; error: unknown };
}

export type CacheEvent = keyof CacheEvents;
type Listener<E extends CacheEvent> = (payload: CacheEvents[E]) => void;

export class Emitter {
  private readonly listeners: { [E in CacheEvent]?: Array<Listener<E>> } = {};

  on<E extends CacheEvent>(event: E, fn: Listener<E>): void {
    const list = (this.listeners[event] ??= []) as Array<Listener<E>>;
    list.push(fn);
  }

  off<E extends CacheEvent>(event: E, fn: Listener<E>): void {
    const list = this.listeners[event] as Array<Listener<E>> | undefined;
    if (list === undefined) return;
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) delete this.listeners[event];
  }

  /** True if `event` has listeners: check before building its payload on a hot path. */
  has(event: CacheEvent): boolean {
    return this.listeners[event] !== undefined;
  }

  emit<E extends CacheEvent>(event: E, payload: CacheEvents[E]): void {
    const list = this.listeners[event] as Array<Listener<E>> | undefined;
    if (list === undefined) return;
    for (const fn of list.slice()) {
      try {
        fn(payload);
      } catch {
        // ignored (see the header)
      }
    }
  }
}
