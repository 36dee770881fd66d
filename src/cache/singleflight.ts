// In-process single-flight: concurrent calls for one key share the first caller's promise, so a
// burst of getOrLoad(k) in one process costs one CACHE.GET and at most one loader call. The
// entry is removed when the shared promise settles; a call after that starts a new flight (it
// then finds the value in the cache). Cross-process deduplication is the server's lease.

/**
 * Keys of finished flights kept mapped to `undefined` before the map is trimmed. Deleting a
 * key and adding it again costs a V8 Map several times what overwriting its value does (about
 * 0.2 µs per hit on a hot key, measured), so a finished flight only clears its value; the keys
 * are dropped all at once when no flight is in progress, or one by one past twice this bound.
 */
const IDLE_KEYS = 4096;

export class SingleFlight<V> {
  private readonly flights = new Map<string, Promise<V> | undefined>();
  /** Flights in progress (the map also holds finished flights' keys). */
  private live = 0;
  /** Calls that joined a flight already in progress. */
  joined = 0;

  /** The flight in progress for `key` (counted as a join), if any. */
  join(key: string): Promise<V> | undefined {
    const current = this.flights.get(key);
    if (current !== undefined) this.joined++;
    return current;
  }

  /**
   * Registers a flight whose owner calls end(key) when it settles (the cache's flow does, in a
   * `finally` that always runs at least one tick later), saving do()'s wrapping promise on the
   * hot path.
   */
  start(key: string, flight: Promise<V>): void {
    this.flights.set(key, flight);
    this.live++;
  }

  end(key: string): void {
    this.live--;
    const size = this.flights.size;
    if (size <= IDLE_KEYS) this.flights.set(key, undefined);
    else if (this.live === 0) this.flights.clear();
    else if (size > 2 * IDLE_KEYS) this.flights.delete(key);
    else this.flights.set(key, undefined);
  }

  /** The flight for `key`, started with fn() if none is in progress. */
  do(key: string, fn: () => Promise<V>): Promise<V> {
    const current = this.flights.get(key);
    if (current !== undefined) {
      this.joined++;
      return current;
    }
    let started: Promise<V>;
    try {
      started = fn();
    } catch (e) {
      return Promise.reject(e);
    }
    // track() awaits before its `finally`, so the delete always runs after the set below, even
    // when `started` is already settled.
    const flight = this.track(key, started);
    this.start(key, flight);
    return flight;
  }

  /** Flights in progress. */
  get size(): number {
    return this.live;
  }

  has(key: string): boolean {
    return this.flights.get(key) !== undefined;
  }

  /** Keys the map holds, finished flights' included (bounded: see IDLE_KEYS). */
  get keysHeld(): number {
    return this.flights.size;
  }

  private async track(key: string, p: Promise<V>): Promise<V> {
    try {
      return await p;
    } finally {
      this.end(key);
    }
  }
}
