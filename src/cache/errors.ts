// The cache-aside SDK's typed errors. Like the client's (src/client/errors.ts) every one is a
// CorralError with a stable `code`: switch on the code, not on the class or message.
//
// What a caller of getOrLoad can see:
// - the loader's own error, as it was thrown (not wrapped: code that catches its database's
//   errors keeps working with the cache in front of it);
// - LoaderTimeoutError (E_LOADER_TIMEOUT) when the loader ran past `hardTimeout`;
// - BulkheadFullError (E_BULKHEAD_FULL) when the cache is unavailable and too many loads are
//   already running or queued;
// - CacheClosedError (E_CACHE_CLOSED) after close().
// Cache failures themselves never surface: a miss is null, and an unreachable cache "fails open"
// (the loader is called directly, through the bulkhead).

import { CorralError } from '../client/errors.js';

/** The loader ran past hardTimeout; its AbortSignal was aborted with this error. */
export class LoaderTimeoutError extends CorralError {
  constructor(
    readonly key: string,
    readonly timeoutMs: number,
  ) {
    super('E_LOADER_TIMEOUT', `loader for "${key}" did not finish within ${timeoutMs} ms`);
  }
}

/** The cache is unavailable and the bulkhead's running and queued loads are at their limits. */
export class BulkheadFullError extends CorralError {
  constructor(
    readonly key: string,
    readonly running: number,
    readonly queued: number,
  ) {
    super('E_BULKHEAD_FULL', `too many loads while the cache is unavailable (${running} running, ${queued} queued): "${key}" rejected`);
  }
}

/** The cache was closed (before or while the call was pending). */
export class CacheClosedError extends CorralError {
  constructor() {
    super('E_CACHE_CLOSED', 'the cache is closed');
  }
}

/** A cache command took longer than `cacheTimeout` (internal: the call fails open instead). */
export class CacheTimeoutError extends CorralError {
  constructor(readonly command: string, timeoutMs: number) {
    super('E_CACHE_TIMEOUT', `${command} got no reply within ${timeoutMs} ms`);
  }
}
