// A clustered node taking a topology document: applying it if newer (ClusterState), taking the
// role it gives (primary, or replica of its shard's primary), telling the rooms that depend on it
// (slot moves, the pub/sub bus, blocked clients, shard channels), and pushing `topology <epoch>`
// to the connections that watch for changes (CORRAL WATCHTOPOLOGY).

import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { TopologyDoc } from '../cluster/topology.js';
import type { Logger } from '../util/log.js';
import type { Blocking } from './blocking.js';
import type { Client } from './client.js';
import type { ClientOutput } from './client-output.js';
import { logTopologyApplied, type ClusterState } from './cluster-state.js';
import type { NodeMigration } from './migration.js';
import type { PubSub } from './pubsub.js';
import type { PubSubBus } from './pubsub-bus.js';
import type { NodeReplication } from './replication.js';
import { writeTopologyFrame } from './commands/control.js';

/** What applying a topology reads and tells on its node. */
export interface TopologyHost {
  readonly cluster: ClusterState | null;
  readonly logger: Logger;
  readonly replication: NodeReplication;
  readonly migration: NodeMigration | null;
  readonly pubsubBus: PubSubBus | null;
  readonly blocking: Blocking;
  readonly pubsub: PubSub;
  readonly topologyWatchers: Set<Client>;
  readonly writer: ReplyWriter;
  readonly output: ClientOutput;
}

/** Applies a topology document (if newer) and takes the role it gives the node. */
export function applyTopology(host: TopologyHost, doc: TopologyDoc): boolean {
  const cluster = host.cluster;
  const before = cluster === null ? null : { topology: cluster.topology, myShard: cluster.myShard, isPrimary: cluster.isPrimary };
  if (cluster === null || !cluster.apply(doc)) return false;
  logTopologyApplied(host.logger, before!, cluster);
  const t = cluster.topology!;
  if (cluster.myShard >= 0) {
    if (cluster.isPrimary) host.replication.becomePrimary();
    else {
      const [hostName, port] = splitAddress(t.primaryAddress[cluster.myShard]);
      host.replication.becomeReplicaOf(hostName, port);
    }
  }
  host.migration?.topologyApplied();
  host.pubsubBus?.topologyApplied();
  if (host.blocking.active) host.blocking.topologyChanged();
  host.pubsub.keepShardChannels(t, cluster.myShard);
  // Not now: a command (CORRAL SETTOPOLOGY) may be writing its client's replies.
  if (host.topologyWatchers.size !== 0) setImmediate(() => pushTopology(host, cluster.epoch));
  return true;
}

/** Pushes `topology <epoch>` to every watching connection. */
function pushTopology(host: TopologyHost, epoch: number): void {
  const w = host.writer;
  for (const c of host.topologyWatchers) {
    if (c.closed) {
      host.topologyWatchers.delete(c);
      continue;
    }
    w.begin();
    w.resp = c.resp;
    writeTopologyFrame(w, epoch);
    const out = w.take();
    if (out !== null) host.output.write(c, Buffer.from(out));
  }
}

function splitAddress(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}
