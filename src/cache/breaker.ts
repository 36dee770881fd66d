// The circuit breaker around cache commands. When the cache is down or slow, every call would
// otherwise wait for a command timeout before failing open; once `failureThreshold`
// consecutive cache commands have failed, the breaker opens and calls skip the cache entirely
// (straight to the loader, through the bulkhead) for `resetAfter` ms. Then it is half-open:
// up to `halfOpenProbes` calls at a time may try the cache again; `successThreshold` successes
// close it, one failure reopens it (for another resetAfter).
//
//   closed --(threshold consecutive failures)--> open --(resetAfter)--> half-open
//   half-open --(successThreshold successes)--> closed;  half-open --(a failure)--> open
//
// Only infrastructure failures count (timeouts, connection errors, a closed client, cluster
// down): a server error reply such as WRONGTYPE is about one key, not about the cache's health.
// The caller decides that (cache.ts): this module only counts what it is told.

import type { Clock } from '../util/clock.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker (5). */
  failureThreshold?: number;
  /** ms the breaker stays open before probing (5000). */
  resetAfter?: number;
  /** Calls allowed through at once while half-open (1). */
  halfOpenProbes?: number;
  /** Successes while half-open that close it (1). */
  successThreshold?: number;
}

export class Breaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probes = 0;
  private successes = 0;
  private readonly threshold: number;
  private readonly resetAfter: number;
  private readonly maxProbes: number;
  private readonly successThreshold: number;

  constructor(
    options: BreakerOptions,
    private readonly clock: Clock,
    private readonly onChange: (from: BreakerState, to: BreakerState) => void = () => {},
  ) {
    this.threshold = positive('breaker.failureThreshold', options.failureThreshold, 5);
    this.resetAfter = nonNegative('breaker.resetAfter', options.resetAfter, 5000);
    this.maxProbes = positive('breaker.halfOpenProbes', options.halfOpenProbes, 1);
    this.successThreshold = positive('breaker.successThreshold', options.successThreshold, 1);
  }

  get state(): BreakerState {
    return this.current;
  }

  /** May this call use the cache? (Half-open: takes one probe slot, given back by the result.) */
  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (this.clock.now() - this.openedAt < this.resetAfter) return false;
      this.to('half-open');
    }
    if (this.probes >= this.maxProbes) return false;
    this.probes++;
    return true;
  }

  success(): void {
    if (this.current === 'closed') {
      this.failures = 0;
    } else if (this.current === 'half-open') {
      if (this.probes > 0) this.probes--;
      if (++this.successes >= this.successThreshold) this.to('closed');
    }
    // open: a late reply from before it opened; the probe decides.
  }

  failure(): void {
    if (this.current === 'closed') {
      if (++this.failures >= this.threshold) this.to('open');
    } else if (this.current === 'half-open') {
      this.to('open');
    }
  }

  private to(next: BreakerState): void {
    const from = this.current;
    this.current = next;
    this.failures = 0;
    this.probes = 0;
    this.successes = 0;
    if (next === 'open') this.openedAt = this.clock.now();
    this.onChange(from, next);
  }
}

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!(v >= 1)) throw new TypeError(`${name} must be >= 1`);
  return v;
}

function nonNegative(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!(v >= 0)) throw new TypeError(`${name} must be >= 0`);
  return v;
}
