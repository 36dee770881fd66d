// Applying a configuration parameter to a running node: what a CONFIG SET (and the node's start,
// for APPLIED_AT_START) changes in the store, the ACL, the slowlog, the output limits, TLS...
// The parameters themselves (names, defaults, parsing) are config.ts's; parameters not named
// here are read where they are used (at accept, at startup, per command).

import type { Store, EvictionPolicyName } from '../store/store.js';
import { LIMIT_PARAMS, setEncodingLimit } from '../store/encoding-limits.js';
import { parseMemory, type Config, type ConfigValue } from './config.js';
import { aclFor } from './acl/registry.js';
import { SELECTOR_ALLCHANNELS } from './acl/selector.js';
import { isTlsContextParam } from './tls-config.js';
import type { Slowlog } from './slowlog.js';
import type { Tracking } from './tracking.js';
import type { KeyspaceNotifier } from './keyspace-notify.js';
import type { NodeReplication } from './replication.js';
import type { ClientOutput } from './client-output.js';
import type { PubSub } from './pubsub.js';
import type { Scripting } from './scripting/scripting.js';
import { pinoLevel, type Logger } from '../util/log.js';

/** What applying a parameter reaches on the node (CorralNode implements it). */
export interface ConfigTarget {
  readonly config: Config;
  readonly store: Store;
  readonly slowlog: Slowlog;
  readonly tracking: Tracking;
  readonly keyspaceNotifier: KeyspaceNotifier;
  readonly replication: NodeReplication;
  readonly output: ClientOutput;
  readonly pubsub: PubSub;
  readonly scripting: Scripting | null;
  slowlogThreshold: number;
  minReplicasToWrite: number;
  /** Rebuilds the TLS context from the configuration; null, or why it could not. */
  reloadTls(): string | null;
  logLine(line: string): void;
  /** The node's structured log: CONFIG SET loglevel sets its level. */
  readonly logger: Logger;
}

/** Applied once when the node is made (the others take effect from their defaults, or where read). */
export const APPLIED_AT_START: readonly string[] = ['maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'lfu-log-factor', 'lfu-decay-time', 'slowlog-max-len', 'client-output-buffer-limit', 'proto-max-bulk-len', 'notify-keyspace-events', 'tracking-table-max-keys', 'min-replicas-to-write', ...LIMIT_PARAMS];

/** Applies parameter `name`'s new value to the running node. */
export function applyConfig(node: ConfigTarget, name: string, value: ConfigValue): void {
  if (isTlsContextParam(name)) {
    const err = node.reloadTls();
    if (err !== null) node.logLine(`Failed to reload TLS configuration: ${err}`);
    return;
  }
  switch (name) {
    case 'loglevel':
      node.logger.level = pinoLevel(value as string);
      break;
    case 'requirepass':
      aclFor(node).setRequirepass(value as string);
      break;
    case 'acllog-max-len':
      aclFor(node).log.maxLen = value as number;
      break;
    case 'acl-pubsub-default':
      aclFor(node).pubsubDefault = value === 'allchannels' ? SELECTOR_ALLCHANNELS : 0;
      break;
    case 'maxmemory':
      node.store.maxmemory = value as number;
      // As Redis's CONFIG SET maxmemory: evicts down to the new limit now, not at the next command.
      if (value !== 0) node.store.evictIfNeeded();
      break;
    case 'maxmemory-policy':
      node.store.evictionPolicy = value as EvictionPolicyName;
      break;
    case 'maxmemory-samples':
      node.store.maxmemorySamples = value as number;
      break;
    case 'lfu-log-factor':
      node.store.stats.lfuLogFactor = value as number;
      break;
    case 'lfu-decay-time':
      node.store.stats.lfuDecayTime = value as number;
      break;
    case 'slowlog-log-slower-than':
      node.slowlogThreshold = value as number;
      break;
    case 'lua-memory-limit':
      if (node.scripting !== null) node.scripting.vm.memoryLimit = value as number;
      break;
    case 'hash-max-listpack-entries':
    case 'hash-max-listpack-value':
    case 'zset-max-listpack-entries':
    case 'zset-max-listpack-value':
    case 'set-max-intset-entries':
    case 'stream-node-max-bytes':
    case 'stream-node-max-entries':
      setEncodingLimit(node.store.limits, name, value as number);
      break;
    case 'proto-max-bulk-len':
      node.store.maxStringLength = value as number;
      break;
    case 'slowlog-max-len':
      node.slowlog.maxLen = value as number;
      break;
    case 'min-replicas-to-write':
      node.minReplicasToWrite = value as number;
      break;
    case 'tracking-table-max-keys':
      node.tracking.maxKeys = value as number;
      break;
    case 'notify-keyspace-events':
      node.keyspaceNotifier.configure(value as string);
      break;
    case 'repl-backlog-size':
      node.replication?.resizeBacklog(value as number);
      break;
    case 'client-output-buffer-limit': {
      const m = /normal (\d+)/.exec(String(value));
      node.output.limit = m === null ? 0 : Number(m[1]);
      const p = /pubsub (\S+) (\S+) (\d+)/i.exec(String(value));
      if (p !== null) node.pubsub.limit = { hard: parseMemory(p[1]) ?? 0, soft: parseMemory(p[2]) ?? 0, softSeconds: Number(p[3]) };
      break;
    }
  }
}
