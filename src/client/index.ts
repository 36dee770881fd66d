// The client's public surface: the class, its factory, options and typed errors.

export { CorralClient, createClient, type SetOptions } from './commands.js';
export type { ClientOptions, RetryOptions, Timers } from './options.js';
export type { ClientStats } from './stats.js';
export type { NearCache } from './near-cache.js';
export type { NearCacheOptions } from './near-options.js';
export type { ShardInfo } from './slot-map.js';
export type { WatchState } from './topology-watch.js';
export type { Arg } from './command.js';
export {
  CorralError,
  TimeoutError,
  ConnectionError,
  ReplyError,
  ClusterDownError,
  TooManyRedirectsError,
  OfflineQueueFullError,
  ClientClosedError,
} from './errors.js';
