// Counters shared by all databases of a store (bytes held, hits, misses, expired and evicted
// keys) and the per-access bookkeeping that LRU and LFU eviction read.
//
// LFU follows Redis (evict.c): an 8-bit logarithmic counter. An access increments it with
// probability 1 / ((counter - 5) * lfu-log-factor + 1), so about a million hits saturate it at
// 255 with the default factor 10; it decays by one per lfu-decay-time minutes without access.

import type { Clock } from '../util/clock.js';
import type { Entry } from './entry.js';
import type { TinyLfu } from './tinylfu.js';

export const LFU_INIT_VAL = 5;

export class StoreStats {
  usedBytes = 0;
  hits = 0;
  misses = 0;
  expiredKeys = 0;
  evictedKeys = 0;
  /** Whether an LFU policy is active (accesses then bump the counter instead of only the time). */
  lfuMode = false;
  lfuLogFactor = 10;
  lfuDecayTime = 1;
  /** The W-TinyLFU state while allkeys-tinylfu is the policy, else null. */
  tinylfu: TinyLfu | null = null;

  constructor(private readonly clock: Clock) {}

  touch(e: Entry): void {
    const now = this.clock.now();
    if (this.lfuMode) e.lfu = lfuIncrement(this.lfuDecayed(e, now), this.lfuLogFactor);
    e.lastAccess = now;
    if (this.tinylfu !== null) this.tinylfu.onAccess(e);
  }

  /** The entry's LFU counter after decay for the minutes it went unaccessed. */
  lfuDecayed(e: Entry, now = this.clock.now()): number {
    if (this.lfuDecayTime <= 0) return e.lfu;
    const periods = Math.floor((now - e.lastAccess) / 60000 / this.lfuDecayTime);
    if (periods <= 0) return e.lfu;
    return periods > e.lfu ? 0 : e.lfu - periods;
  }

  resetCounters(): void {
    this.hits = 0;
    this.misses = 0;
    this.expiredKeys = 0;
    this.evictedKeys = 0;
  }
}

function lfuIncrement(counter: number, logFactor: number): number {
  if (counter >= 255) return 255;
  const base = counter - LFU_INIT_VAL;
  const p = 1 / ((base < 0 ? 0 : base) * logFactor + 1);
  return Math.random() < p ? counter + 1 : counter;
}
