// Closing: a client's connection, after which the node and each of its rooms forget the client
// (its WATCHed keys, subscriptions, tracking, blocked wait, replica stream, slot export, topology
// watch); and the node's graceful stop once its cron is stopped: replication's link and timers,
// the pub/sub bus and the control plane stop, the listeners close, and every client's socket
// ends once the replies already written reach it (or is destroyed two seconds later if the
// client does not read them).

import type { Blocking } from './blocking.js';
import type { Client } from './client.js';
import type { NodeControlPlane } from './control-plane.js';
import type { Listeners } from './listeners.js';
import type { NodeMigration } from './migration.js';
import type { PubSub } from './pubsub.js';
import type { PubSubBus } from './pubsub-bus.js';
import type { NodeReplication } from './replication.js';
import type { Tracking } from './tracking.js';
import type { WatchRegistry } from './watch.js';

/** The node's clients and the rooms that keep state per client. */
export interface ClientRooms {
  readonly clients: Map<number, Client>;
  readonly watches: WatchRegistry;
  readonly pubsub: PubSub;
  readonly tracking: Tracking;
  readonly blocking: Blocking;
  readonly replication: NodeReplication;
  readonly migration: NodeMigration | null;
  readonly topologyWatchers: Set<Client>;
}

/** A client's connection is gone (or going): the node and its rooms forget it, once. */
export function clientClosed(node: ClientRooms, client: Client): void {
  if (client.closed) return;
  client.closed = true;
  node.clients.delete(client.id);
  node.watches.unwatchAll(client);
  node.pubsub.dropClient(client);
  node.tracking.disable(client);
  node.blocking.clientGone(client);
  if (client.replica) node.replication.replicaGone(client);
  if (client.exportSlot >= 0) node.migration?.clientGone(client);
  node.topologyWatchers.delete(client);
}

/** What stopping reads on the node. */
export interface ShutdownHost {
  readonly replication: { close(): void };
  readonly pubsubBus: PubSubBus | null;
  readonly control: NodeControlPlane | null;
  readonly clients: ReadonlyMap<number, Client>;
}

/** A client closed once its reply is out (QUIT, a protocol error, CLIENT KILL of itself). */
export function closeAfterReply(node: ClientRooms, client: Client): void {
  // Closed both ways once the reply is out, as Redis closes the socket: a half-close would
  // leave a client that keeps sending (after a protocol error) writing into a connection
  // no one reads.
  client.socket.destroySoon();
  clientClosed(node, client);
}

/** Resolves when the listeners are closed and every client's socket has ended. */
export async function stopServing(node: ShutdownHost, listeners: Listeners): Promise<void> {
  node.replication.close();
  node.pubsubBus?.close();
  if (node.control !== null) await node.control.stop();
  const closed = listeners.close();
  for (const c of node.clients.values()) {
    c.socket.end();
    // A client that does not read its last replies must not hold the shutdown forever.
    setTimeout(() => c.socket.destroy(), 2000).unref();
  }
  await closed;
}
