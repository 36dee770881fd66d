// The node as some of its rooms see it, wired once at construction (as script-host.ts and
// blocking-host.ts do for the scripting engine and blocked clients): CLIENT TRACKING's clients
// and delivery, pub/sub's delivery and output limit, the cluster pub/sub bus's topology and
// links, the write fence's replication offset and the cron's switches. Also the store's
// key-modified hook, and the configuration applied at start and on every CONFIG SET.

import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { CachedClock } from '../util/clock.js';
import type { LinkSecurity } from '../util/link-security.js';
import type { Blocking } from './blocking.js';
import type { Client } from './client.js';
import type { ClientEvents } from './client-events.js';
import type { ClientOutput } from './client-output.js';
import type { ClusterState } from './cluster-state.js';
import { APPLIED_AT_START, applyConfig, type ConfigTarget } from './config-apply.js';
import type { LatencyMonitor } from './latency-monitor.js';
import type { CronHost } from './node-cron.js';
import type { PubSubHost } from './pubsub.js';
import type { PubSubBusHost } from './pubsub-bus.js';
import type { NodeReplication } from './replication.js';
import type { Scripting } from './scripting/scripting.js';
import type { Tracking, TrackingHost } from './tracking.js';
import type { WatchRegistry } from './watch.js';
import type { FenceHost } from './write-fence.js';

/** Where frames for other clients go, and the node's clients. */
export interface DeliveryNode {
  readonly clients: ReadonlyMap<number, Client>;
  readonly output: ClientOutput;
  readonly writer: ReplyWriter;
  readonly clock: CachedClock;
  closeClient(client: Client): void;
}

export function trackingHostFor(node: DeliveryNode): TrackingHost {
  return {
    clientById: (id) => node.clients.get(id),
    deliver: (client, frame) => node.output.deliver(client, frame),
    writer: () => node.writer,
    clients: () => node.clients.values(),
  };
}

export function pubSubHostFor(node: DeliveryNode, clientEvents: ClientEvents): PubSubHost {
  return {
    deliver: (client, frame) => node.output.deliver(client, frame),
    closeForOutputLimit: (client) => {
      clientEvents.log(client, 'output-buffer');
      node.closeClient(client);
    },
    now: () => node.clock.now(),
  };
}

/** A clustered node (cluster not null) and its links to the other nodes. */
export interface BusNode {
  readonly cluster: ClusterState | null;
  linkSecurity(kind: 'cluster'): LinkSecurity;
}

export function pubSubBusHostFor(node: BusNode, log: (line: string) => void): PubSubBusHost {
  return {
    topology: () => node.cluster!.topology,
    myId: () => node.cluster!.myId,
    security: () => node.linkSecurity('cluster'),
    log: (line) => log(line),
  };
}

/** The fence sets the node's writeFence (read by dispatch per write command). */
export function fenceHostFor(node: { writeFence: number; readonly replication: NodeReplication }): FenceHost {
  return {
    get writeFence() {
      return node.writeFence;
    },
    set writeFence(until: number) {
      node.writeFence = until;
    },
    flushReplication: () => node.replication.source?.flush(),
    get replicationOffset() {
      return node.replication.offset;
    },
  };
}

/**
 * The store's key-modified hook, installed only while some key is WATCHed, some client tracks
 * keys or some client is blocked on keys (CorralNode.refreshKeyHook).
 */
export function keyModifiedHook(node: { readonly watches: WatchRegistry; readonly tracking: Tracking; readonly blocking: Blocking }): (db: number, key: string) => void {
  return (db, key) => {
    node.watches.touched(db, key);
    node.tracking.keyChanged(key);
    if (node.blocking.active) node.blocking.keyModified(db, key);
  };
}

/** What the cron reads of the node: its CronHost but for what this adapter derives. */
export type CronNode = Omit<CronHost, 'scriptBusy' | 'limitTracking'> & {
  readonly scripting: Scripting | null;
  readonly tracking: Tracking;
};

export function cronHostFor(node: CronNode): CronHost {
  return {
    clock: node.clock,
    store: node.store,
    config: node.config,
    stats: node.stats,
    latency: node.latency,
    clients: node.clients,
    get activeExpireEnabled() {
      return node.activeExpireEnabled;
    },
    get cronPaused() {
      return node.cronPaused;
    },
    get scriptBusy() {
      return node.scripting !== null && node.scripting.busy;
    },
    get shuttingDown() {
      return node.shuttingDown;
    },
    limitTracking: () => {
      if (node.tracking.active) node.tracking.limitTable();
    },
    closeClient: (client) => node.closeClient(client),
  };
}

/** Applies the parameters applied at start, then each change CONFIG SET makes (config-apply.ts). */
export function followConfig(node: ConfigTarget & { readonly latency: LatencyMonitor }): void {
  for (const name of APPLIED_AT_START) applyConfig(node, name, node.config.get(name));
  node.config.onChange = (name, value) => {
    applyConfig(node, name, value);
    node.latency.configure(name, value);
  };
}
