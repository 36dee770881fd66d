// A promise raced against a timer on the cache's injectable timers: the soft loader timeout and
// the cache-operation timeout both use it.

import type { Timers } from './options.js';

/**
 * Settles as `p` does, unless `ms` pass first: then with `onTimeout()`'s value, or its throw as
 * the rejection. The timer is cleared as soon as `p` settles.
 */
export function raceTimeout(timers: Timers, p: Promise<unknown>, ms: number, onTimeout: () => unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const t = timers.setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (e) {
        reject(e);
      }
    }, ms);
    p.then(
      (v) => {
        timers.clearTimeout(t);
        resolve(v);
      },
      (e) => {
        timers.clearTimeout(t);
        reject(e);
      },
    );
  });
}
