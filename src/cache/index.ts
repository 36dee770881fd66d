// The cache-aside SDK's public surface: the factory, the class, its options, stats, events and
// typed errors.

export { Cache, createCache, type Loader, type LoaderContext } from './cache.js';
export type { CacheOptions, CallOptions, CacheClient, Serializer, WaitPollOptions } from './options.js';
export type { BreakerOptions, BreakerState } from './breaker.js';
export type { BulkheadOptions } from './bulkhead.js';
export type { MetricsRegistry } from './metrics.js';
export type { CacheStats, CacheEvents, CacheEvent } from './events.js';
export { LoaderTimeoutError, BulkheadFullError, CacheClosedError } from './errors.js';
