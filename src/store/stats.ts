// Counters shared by all databases of a store (bytes held, hits, misses, expired and evicted
// keys, changes to the dataset) and the per-access bookkeeping that LRU and LFU eviction read.
//
// LFU follows Redis (evict.c): an 8-bit logarithmic counter. An access increments it with
// probability 1 / ((counter - 5) * lfu-log-factor + 1), so about a million hits saturate it at
// 255 with the default factor 10; it decays by one per lfu-decay-time minutes without access.

import type { Clock } from '../util/clock.js';

export const LFU_INIT_VAL = 5;

export class StoreStats {
  /** Bytes held outside the databases' own accounting (leases). */
  usedBytes = 0;
  hits = 0;
  misses = 0;
  expiredKeys = 0;
  evictedKeys = 0;
  /** Cache-aside leases (docs/leases.md): granted; CACHE.GET callers told MISS_WAIT; stale values served (STALE, STALE_WON). */
  leasesGranted = 0;
  leaseWaits = 0;
  leaseStaleServed = 0;
  /**
   * Changes made to the dataset by commands (Redis's server.dirty): moved by every write that
   * changes a key, its TTL or a whole database; never by expiry or eviction, and not reset by
   * CONFIG RESETSTAT. The node compares it before and after a command to decide whether to
   * propagate it. Only its movement is meaningful, not the exact count.
   */
  dirty = 0;
  lfuLogFactor = 10;
  lfuDecayTime = 1;

  constructor(readonly clock: Clock) {}

  /** An LFU counter after decay for `idleMs` without access. */
  lfuDecayed(counter: number, idleMs: number): number {
    if (this.lfuDecayTime <= 0) return counter;
    const periods = Math.floor(idleMs / 60000 / this.lfuDecayTime);
    if (periods <= 0) return counter;
    return periods > counter ? 0 : counter - periods;
  }

  /** Redis's probabilistic logarithmic increment. */
  lfuIncrement(counter: number): number {
    if (counter >= 255) return 255;
    const base = counter - LFU_INIT_VAL;
    const p = 1 / ((base < 0 ? 0 : base) * this.lfuLogFactor + 1);
    return Math.random() < p ? counter + 1 : counter;
  }

  resetCounters(): void {
    this.hits = 0;
    this.misses = 0;
    this.expiredKeys = 0;
    this.evictedKeys = 0;
    this.leasesGranted = 0;
    this.leaseWaits = 0;
    this.leaseStaleServed = 0;
  }
}
