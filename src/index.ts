// corral's public API: the node (to embed one in a process), its configuration, the smart client,
// the cache-aside SDK, key-to-slot and topology planning, and the typed errors. Nothing else lives here.

export { CorralNode, type NodeOptions } from './server/node.js';
export { Config, ConfigError, parseConfigFile, PARAMS } from './server/config.js';
export { ManualClock, systemClock, type Clock } from './util/clock.js';
export {
  CorralClient,
  createClient,
  type SetOptions,
  type ClientOptions,
  type RetryOptions,
  type Timers,
  type ClientStats,
  type ShardInfo,
  type WatchState,
  type Arg,
  CorralError,
  TimeoutError,
  ConnectionError,
  ReplyError,
  ClusterDownError,
  TooManyRedirectsError,
  OfflineQueueFullError,
  ClientClosedError,
} from './client/index.js';
export { TopologyError, type TopologyDoc } from './cluster/topology.js';
export { RestoreError, DumpPayloadError, DumpFormatError, BusyKeyError } from './store/dump.js';
export { CoordinatorError, type CoordinatorErrorCode } from './control/coordinator-shared.js';
export { ControlLinkError } from './control/control-link.js';
export type { Coordinator, MemberRecord } from './control/coordinator.js';
export { planTopology, type ShardPlan } from './cluster/plan.js';
export { keySlot } from './cluster/slot.js';
export {
  Cache,
  createCache,
  LoaderTimeoutError,
  BulkheadFullError,
  CacheClosedError,
  type Loader,
  type LoaderContext,
  type CacheOptions,
  type CallOptions,
  type CacheClient,
  type Serializer,
  type WaitPollOptions,
  type BreakerOptions,
  type BreakerState,
  type BulkheadOptions,
  type CacheStats,
  type CacheEvents,
  type CacheEvent,
} from './cache/index.js';
