// A byte-rate limit shared by every slot export of a node (docs/resharding.md, "throttle"): a
// token bucket refilled at `rate` bytes per second, holding at most BURST_MS of it. Exports ask
// `allows()` before each copy step and `spend()` what they wrote; the bucket may go negative by
// one step's bytes, which the next refills pay back. Forwarded writes are not throttled (they
// must keep up with the slot's traffic); only the copy is.

import { performance } from 'node:perf_hooks';

/** The bucket holds this much time's worth of bytes (and at least MIN_BURST). */
const BURST_MS = 20;
const MIN_BURST = 64 * 1024;

export class ByteThrottle {
  /** Bytes per second; 0 means no limit. */
  private bytesPerSec = 0;
  private tokens = 0;
  private last = performance.now();

  /** Where the rate comes from, read at every step (a config parameter that may change). */
  constructor(private readonly readRate: (() => number) | null = null) {}

  get rate(): number {
    return this.bytesPerSec;
  }

  set rate(bytesPerSec: number) {
    if (!(bytesPerSec >= 0) || !Number.isFinite(bytesPerSec)) throw new RangeError('rate must be a non-negative number of bytes per second');
    this.refill(performance.now());
    this.bytesPerSec = bytesPerSec;
    this.tokens = Math.min(this.tokens, this.burst);
  }

  private get burst(): number {
    return Math.max(MIN_BURST, (this.bytesPerSec * BURST_MS) / 1000);
  }

  /** Whether a copy step may run now (`now`: performance.now()). */
  allows(now = performance.now()): boolean {
    if (this.readRate !== null) {
      const r = this.readRate();
      if (r !== this.bytesPerSec) this.rate = r;
    }
    if (this.bytesPerSec === 0) return true;
    this.refill(now);
    return this.tokens > 0;
  }

  /** Milliseconds until allows() can be true again (0: it is now). */
  waitMs(now = performance.now()): number {
    if (this.bytesPerSec === 0) return 0;
    this.refill(now);
    return this.tokens > 0 ? 0 : ((1 - this.tokens) * 1000) / this.bytesPerSec;
  }

  /** Bytes a copy step wrote. */
  spend(bytes: number): void {
    if (this.bytesPerSec !== 0) this.tokens -= bytes;
  }

  private refill(now: number): void {
    const elapsed = now - this.last;
    this.last = now;
    if (this.bytesPerSec === 0 || elapsed <= 0) return;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.bytesPerSec) / 1000);
  }
}
