// The injectable clock: everything time-dependent (expiry, idle timeouts, stats) reads time from
// a Clock, so tests advance a ManualClock instead of sleeping.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: Date.now };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private current = 1_700_000_000_000) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

/**
 * A clock read once per event-loop turn: `now()` returns the time of the last `refresh()`. The
 * node refreshes it before running a batch of commands, as Redis caches mstime per command, so
 * the hot path reads a field instead of calling into the runtime for every key it touches.
 */
export class CachedClock implements Clock {
  private cached: number;
  constructor(readonly source: Clock) {
    this.cached = source.now();
  }
  now(): number {
    return this.cached;
  }
  refresh(): number {
    return (this.cached = this.source.now());
  }
}
