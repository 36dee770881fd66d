// Calling the application's loader: its context (key, AbortSignal, the stale value it
// refreshes), the hard timeout (reject with LoaderTimeoutError and abort the signal with it),
// and a synchronous throw or a non-promise return treated like an async one.

import { LoaderTimeoutError } from './errors.js';
import type { Timers } from './options.js';

export interface LoaderContext<T = unknown> {
  /** The key as the caller gave it (without the cache's prefix). */
  key: string;
  /** Aborted at hardTimeout (reason: LoaderTimeoutError) or by close() (CacheClosedError). */
  signal: AbortSignal;
  /** The stale value this load refreshes, if any. */
  stale: T | null | undefined;
  /** True for refreshes nobody waits for (STALE_WON, XFetch). */
  background: boolean;
}

export type Loader<T> = (ctx: LoaderContext<T>) => Promise<T> | T;

/**
 * Runs `loader`; rejects LoaderTimeoutError after hardTimeout ms (0: never). `controllers` holds
 * the AbortController while it runs (close() aborts them all).
 */
export async function runLoader(
  loader: Loader<unknown>,
  ctx: Omit<LoaderContext, 'signal'>,
  hardTimeout: number,
  timers: Timers,
  controllers: Set<AbortController>,
): Promise<unknown> {
  const ac = new AbortController();
  controllers.add(ac);
  const full: LoaderContext = { key: ctx.key, signal: ac.signal, stale: ctx.stale, background: ctx.background };
  try {
    return await new Promise((resolve, reject) => {
      let timer: unknown;
      if (hardTimeout > 0) {
        timer = timers.setTimeout(() => {
          const e = new LoaderTimeoutError(ctx.key, hardTimeout);
          ac.abort(e);
          reject(e);
        }, hardTimeout);
      }
      const settle = (ok: boolean, v: unknown): void => {
        if (timer !== undefined) timers.clearTimeout(timer);
        if (ok) resolve(v);
        else reject(v);
      };
      let p: unknown;
      try {
        p = loader(full);
      } catch (e) {
        settle(false, e);
        return;
      }
      Promise.resolve(p).then(
        (v) => settle(true, v),
        (e) => settle(false, e),
      );
    });
  } finally {
    controllers.delete(ac);
  }
}
