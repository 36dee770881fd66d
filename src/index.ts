// corral's public API: the node (to embed one in a process), its configuration, and the typed
// errors. Nothing else lives here.

export { CorralNode, type NodeOptions } from './server/node.js';
export { Config, ConfigError, parseConfigFile, PARAMS } from './server/config.js';
export { ManualClock, systemClock, type Clock } from './util/clock.js';
