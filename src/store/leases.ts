// Leases on keys (docs/leases.md): at most one per key, a token and an expiry. The cluster-wide
// single-flight of cache-aside: whoever holds a key's lease loads it; a set carrying the token
// succeeds only while the lease is current, and any other write to the key voids it.
//
// Expired leases are dropped when their key is next asked about, and by `sweep`, which walks the
// table in grant order (a Map iterates in insertion order, so the oldest leases come first) and
// stops at the first live one or after a budget: bounded work per call, and a table that never
// holds more than one small record per key asked about within its lease time.

import type { Clock } from '../util/clock.js';
import type { StoreStats } from './stats.js';

interface Lease {
  token: string;
  expiresAt: number;
}

/** Bytes charged to used_memory per lease: the Map slot, this record, its token and key strings. */
const LEASE_OVERHEAD = 128;

export class LeaseTable {
  private readonly leases = new Map<string, Lease>();
  /** Next token: a counter from a random 48-bit start, so a restarted node's tokens do not repeat. */
  private next = Math.floor(Math.random() * 2 ** 48);

  constructor(
    private readonly clock: Clock,
    private readonly stats: StoreStats,
  ) {}

  get size(): number {
    return this.leases.size;
  }

  /** The unexpired lease on key, if any (an expired one is dropped). */
  private live(key: string): Lease | undefined {
    const lease = this.leases.get(key);
    if (lease === undefined) return undefined;
    if (lease.expiresAt > this.clock.now()) return lease;
    this.drop(key);
    return undefined;
  }

  /** Grants the lease on key for ms, or returns null when another lease is out. */
  grant(key: string, ms: number): string | null {
    if (this.live(key) !== undefined) return null;
    const token = String(this.next++);
    this.leases.set(key, { token, expiresAt: this.clock.now() + ms });
    this.stats.usedBytes += LEASE_OVERHEAD + key.length;
    this.stats.leasesGranted++;
    return token;
  }

  /** Milliseconds until the current lease on key expires, or 0 when none is out. */
  remaining(key: string): number {
    const lease = this.live(key);
    return lease === undefined ? 0 : lease.expiresAt - this.clock.now();
  }

  /** Ends the lease if `token` is its current token; returns whether it was. */
  release(key: string, token: string): boolean {
    const lease = this.live(key);
    if (lease === undefined || lease.token !== token) return false;
    this.drop(key);
    return true;
  }

  /** Voids any lease on key (a write to the key other than the set that carries it). */
  void(key: string): void {
    if (this.leases.has(key)) this.drop(key);
  }

  /** Drops expired leases, oldest first, looking at most at `budget` of them. */
  sweep(budget: number): void {
    const now = this.clock.now();
    for (const [key, lease] of this.leases) {
      if (budget-- <= 0 || lease.expiresAt > now) return;
      this.drop(key);
    }
  }

  clear(): void {
    for (const key of this.leases.keys()) this.stats.usedBytes -= LEASE_OVERHEAD + key.length;
    this.leases.clear();
  }

  private drop(key: string): void {
    this.leases.delete(key);
    this.stats.usedBytes -= LEASE_OVERHEAD + key.length;
  }
}
