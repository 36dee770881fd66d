// What server-level command handlers (server/commands/*) and the INFO and CLIENT LIST reports
// (server/info.ts) see of their node, as the ServerApi interface: ServerCore (server-core.ts:
// data, config, clock, clients, propagation, counters, log) and the node's rooms, grouped below.
// CorralNode implements it; handlers get it from their context with serverOf (commands/util.ts).
//
// Nothing here, nor anything it imports, imports node.ts: the rooms that need their node take a
// host interface of their own (ReplicationHost, ServerCore), so the node and its commands form
// no import circle (.dependency-cruiser.cjs checks it).

import type { TopologyDoc } from '../cluster/topology.js';
import type { ConfigValue } from './config.js';
import type { NodeAgent } from '../control/agent.js';
import type { Blocking } from './blocking.js';
import type { Client } from './client.js';
import type { NodeMigration } from './migration.js';
import type { PubSubBus } from './pubsub-bus.js';
import type { PubSub } from './pubsub.js';
import type { NodeReplication } from './replication.js';
import type { Functions } from './scripting/functions.js';
import type { LatencyMonitor } from './latency-monitor.js';
import type { Scripting } from './scripting/scripting.js';
import type { ServerCore } from './server-core.js';
import type { Slowlog } from './slowlog.js';
import type { Tracking } from './tracking.js';
import type { WatchRegistry } from './watch.js';

/** Who the node is, and its life. */
export interface ServerIdentity {
  readonly runId: string;
  /** The port peers and clients reach the node at (the configured one before listening). */
  readonly port: number;
  /** The plain TCP port (0: none). */
  readonly plainPort: number;
  /** Before CONFIG SET applies tls-* changes: null if the TLS context builds with them, else why not. */
  tlsChangeError(proposed: Map<string, ConfigValue>): string | null;
  /** Resolves when the node has stopped (SHUTDOWN or close()). */
  readonly stopped: Promise<void>;
  /** Graceful stop: stop accepting, let replies already written reach their clients, close. */
  close(): Promise<void>;
}

/** Replication: the role, source and link, and how a command's write reaches the replicas. */
export interface ServerReplicationApi {
  readonly replication: NodeReplication;
  /** Set by a command that changes nothing but must reach the replicas (PUBLISH): see dispatch.call. */
  forcePropagation: boolean;
  /** Replicate the running command as these words instead (a blocking pop as the plain pop). */
  propagateInstead(words: string[]): void;
}

/** Cluster mode: slot moves, the control plane, its write fence and the topology. */
export interface ServerClusterApi {
  /** Slot moves (cluster mode only). */
  readonly migration: NodeMigration | null;
  /** The control-plane agent, or null without a coordinator. */
  readonly agent: NodeAgent | null;
  /** performance.now() after which writes are refused; 0 when nothing fences this node. */
  readonly writeFence: number;
  /** Connections that asked to be told of topology changes (CORRAL WATCHTOPOLOGY). */
  readonly topologyWatchers: Set<Client>;
  /** Applies a topology document (if newer) and takes the role it gives this node. */
  applyTopology(doc: TopologyDoc): boolean;
  /** CORRAL JOIN: starts the control plane with a coordinator; null, or why not. */
  joinControlPlane(spec: string, clusterName: string): string | null;
  /** Refuses writes for ms (a manual failover's pause; 0 resumes). Returns the offset reached. */
  pauseWrites(ms: number): number;
}

/** What clients wait on or subscribe to: WATCH, pub/sub, tracking, keys (blocking pops). */
export interface ServerClientStateApi {
  readonly watches: WatchRegistry;
  readonly pubsub: PubSub;
  /** In cluster mode, the pub/sub bus to the other nodes. */
  readonly pubsubBus: PubSubBus | null;
  readonly tracking: Tracking;
  readonly blocking: Blocking;
}

/** The Lua engine (EVAL, SCRIPT) and FUNCTION libraries, both null until the node listens. */
export interface ServerScriptingApi {
  readonly scripting: Scripting | null;
  readonly functions: Functions | null;
}

/** What the introspection commands report beyond ServerCore's counters. */
export interface ServerIntrospectionApi {
  readonly slowlog: Slowlog;
  /** The latency monitor's events and the latency-tracking settings (server/latency-monitor.ts). */
  readonly latency: LatencyMonitor;
  /** instantaneous_ops_per_sec over the recent cron samples. */
  readonly opsPerSecond: number;
}

/** Switches DEBUG flips. */
export interface ServerDebugSwitches {
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns the cron's active expiry off. */
  activeExpireEnabled: boolean;
  /** DEBUG PAUSE-CRON 1 turns the whole cron off. */
  cronPaused: boolean;
  /** DEBUG SET-DISABLE-DENY-SCRIPTS 1: scripts may call commands flagged noscript. */
  scriptDenyDisabled: boolean;
}

export interface ServerApi
  extends ServerCore,
    ServerIdentity,
    ServerReplicationApi,
    ServerClusterApi,
    ServerClientStateApi,
    ServerScriptingApi,
    ServerIntrospectionApi,
    ServerDebugSwitches {}
