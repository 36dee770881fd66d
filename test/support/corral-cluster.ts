// Test support: a corral cluster of in-process nodes (cluster-enabled, ephemeral ports) given a
// topology planned by the ring through CORRAL SETTOPOLOGY, as `corral up` does across processes.
//
// With `replicas: n`, every shard gets n more nodes listed as its replicas in the document; a node
// takes its role from the topology it applies (a replica starts replicating from its primary by
// itself), so nothing else is needed to get a replicated cluster. `waitForReplicas()` waits until
// every replica has caught up with its primary.

import { CorralNode } from '../../src/server/node.js';
import { planTopology } from '../../src/cluster/plan.js';
import { nodeIdFor, type TopologyDoc } from '../../src/cluster/topology.js';
import { RawConnection } from './servers.js';

export interface CorralShard {
  /** Indices into nodes/ports: the primary, then the replicas (as in the current topology). */
  primary: number;
  replicas: number[];
}

export interface CorralCluster {
  nodes: CorralNode[];
  ports: number[];
  /** The initial topology (epoch 1). */
  topology: TopologyDoc;
  /** The topology last published through publish(). */
  current: TopologyDoc;
  /** Shard i's nodes by index, as the initial topology placed them (shard order = topology.shards). */
  shards: CorralShard[];
  /**
   * Hands every node a document (through the command a coordinator uses), one node after the
   * other in `order` (node indices; default: all, in index order).
   */
  publish(doc: TopologyDoc, order?: number[]): Promise<void>;
  /** Index of the node with this node id (as topology documents name nodes). */
  indexOfId(id: string): number;
  /** Resolves once every replica's link is up and its applied offset equals its primary's. */
  waitForReplicas(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface CorralClusterOptions {
  /** Replicas per shard (default 0). */
  replicas?: number;
}

export async function startCorralCluster(
  shards = 3,
  config: Record<string, string> = {},
  options: CorralClusterOptions = {},
): Promise<CorralCluster> {
  const perShard = 1 + (options.replicas ?? 0);
  const nodes: CorralNode[] = [];
  const ports: number[] = [];
  const shardNodes: CorralShard[] = [];
  for (let s = 0; s < shards; s++) {
    const idx: number[] = [];
    for (let r = 0; r < perShard; r++) {
      const node = new CorralNode({ config: { port: '0', 'cluster-enabled': 'yes', ...config } });
      ports.push(await node.listen());
      idx.push(nodes.length);
      nodes.push(node);
    }
    shardNodes.push({ primary: idx[0], replicas: idx.slice(1) });
  }
  const ids = ports.map((port) => nodeIdFor('127.0.0.1', port));
  const cluster: CorralCluster = {
    nodes,
    ports,
    topology: undefined as unknown as TopologyDoc,
    current: undefined as unknown as TopologyDoc,
    shards: shardNodes,
    async publish(doc: TopologyDoc, order?: number[]): Promise<void> {
      for (const i of order ?? ports.map((_, k) => k)) {
        const c = await RawConnection.connect(ports[i]);
        const r = await c.call('CORRAL', 'SETTOPOLOGY', JSON.stringify(doc));
        c.close();
        if (r !== 1 && r !== 0) throw new Error(`node ${ports[i]} refused the topology: ${JSON.stringify(r)}`);
      }
      cluster.current = doc;
    },
    indexOfId(id: string): number {
      return ids.indexOf(id);
    },
    async waitForReplicas(timeoutMs = 5000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lagging = cluster.current.shards.flatMap((s) => {
          const p = nodes[cluster.indexOfId(s.primary)].replication;
          p.source?.flush();
          return s.replicas
            .map((id) => nodes[cluster.indexOfId(id)].replication)
            .filter((r) => r.role !== 'slave' || r.link === null || r.link.state !== 'connected' || r.offset !== p.offset);
        });
        if (lagging.length === 0) return;
        if (Date.now() > deadline) throw new Error(`${lagging.length} replica(s) still behind after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: async () => void (await Promise.all(nodes.map((n) => n.close()))),
  };
  const topology = planTopology(
    shardNodes.map((s) => ({ nodes: [s.primary, ...s.replicas].map((i) => ({ host: '127.0.0.1', port: ports[i] })) })),
  );
  cluster.topology = topology;
  await cluster.publish(topology);
  return cluster;
}
