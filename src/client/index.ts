// The client's public surface: the class, its factory, options and typed errors.

export { CorralClient, createClient, type SetOptions } from './commands.js';
export type { ClientOptions, RetryOptions, Timers } from './options.js';
export type { ClientStats } from './cluster-client.js';
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
