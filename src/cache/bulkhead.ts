// The bulkhead: caps loader calls that run while the cache is unavailable (breaker open, or a
// cache command failed). With the cache up, leases already allow one load per key across every
// process; with it down, every process would hit the database for every request. The bulkhead
// bounds that per process: at most `perKey` loads of one key and `total` loads in all run at
// once; up to `queue` more wait (FIFO, skipping entries whose key is at its perKey limit), and
// beyond that calls are rejected at once with BulkheadFullError (shedding load rather than
// queueing without bound while the database is also struggling).

import { BulkheadFullError, CacheClosedError } from './errors.js';

export interface BulkheadOptions {
  /** Concurrent loads of one key (1). */
  perKey?: number;
  /** Concurrent loads in all (16). */
  total?: number;
  /** Loads waiting for a slot (256); 0 = reject when full. */
  queue?: number;
}

interface Waiter {
  key: string;
  resolve: (release: () => void) => void;
  reject: (e: Error) => void;
}

export class Bulkhead {
  readonly perKey: number;
  readonly total: number;
  readonly queueLimit: number;
  private running = 0;
  private readonly byKey = new Map<string, number>();
  private waiting: Waiter[] = [];
  /** Highest number of loads that ran at once. */
  peak = 0;

  constructor(options: BulkheadOptions = {}) {
    this.perKey = limit('bulkhead.perKey', options.perKey, 1, 1);
    this.total = limit('bulkhead.total', options.total, 16, 1);
    this.queueLimit = limit('bulkhead.queue', options.queue, 256, 0);
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves a release function once a slot is free; rejects BulkheadFullError if the queue is full. */
  acquire(key: string): Promise<() => void> {
    // A waiter is only ever blocked by its key's limit when a total slot is free (release()
    // hands out every slot it can), so a call that fits now overtakes no one who could run.
    if (this.fits(key)) return Promise.resolve(this.take(key));
    if (this.waiting.length >= this.queueLimit) {
      return Promise.reject(new BulkheadFullError(key, this.running, this.waiting.length));
    }
    return new Promise((resolve, reject) => this.waiting.push({ key, resolve, reject }));
  }

  /** Rejects every queued call (on close). */
  rejectAll(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const x of w) x.reject(new CacheClosedError());
  }

  private fits(key: string): boolean {
    return this.running < this.total && (this.byKey.get(key) ?? 0) < this.perKey;
  }

  private take(key: string): () => void {
    this.running++;
    if (this.running > this.peak) this.peak = this.running;
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(key);
    };
  }

  private release(key: string): void {
    this.running--;
    const n = this.byKey.get(key)! - 1;
    if (n === 0) this.byKey.delete(key);
    else this.byKey.set(key, n);
    // Hand freed slots to the oldest waiters that fit.
    for (let i = 0; i < this.waiting.length && this.running < this.total; ) {
      const w = this.waiting[i];
      if (this.fits(w.key)) {
        this.waiting.splice(i, 1);
        w.resolve(this.take(w.key));
      } else {
        i++;
      }
    }
  }
}

function limit(name: string, v: number | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!(v >= min)) throw new TypeError(`${name} must be >= ${min}`);
  return v;
}
