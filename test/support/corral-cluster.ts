// Test support: a corral cluster of in-process nodes (cluster-enabled, ephemeral ports) given a
// topology planned by the ring through CORRAL SETTOPOLOGY, as `corral up` does across processes.

import { CorralNode } from '../../src/server/node.js';
import { planTopology } from '../../src/cluster/plan.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import { RawConnection } from './servers.js';

export interface CorralCluster {
  nodes: CorralNode[];
  ports: number[];
  topology: TopologyDoc;
  /** Hands every node a document (through the command a coordinator uses). */
  publish(doc: TopologyDoc): Promise<void>;
  close(): Promise<void>;
}

export async function startCorralCluster(shards = 3, config: Record<string, string> = {}): Promise<CorralCluster> {
  const nodes: CorralNode[] = [];
  const ports: number[] = [];
  for (let i = 0; i < shards; i++) {
    const node = new CorralNode({ config: { port: '0', 'cluster-enabled': 'yes', ...config } });
    ports.push(await node.listen());
    nodes.push(node);
  }
  const publish = async (doc: TopologyDoc): Promise<void> => {
    for (const port of ports) {
      const c = await RawConnection.connect(port);
      const r = await c.call('CORRAL', 'SETTOPOLOGY', JSON.stringify(doc));
      c.close();
      if (r !== 1 && r !== 0) throw new Error(`node ${port} refused the topology: ${JSON.stringify(r)}`);
    }
  };
  const topology = planTopology(ports.map((port) => ({ nodes: [{ host: '127.0.0.1', port }] })));
  await publish(topology);
  return { nodes, ports, topology, publish, close: async () => void (await Promise.all(nodes.map((n) => n.close()))) };
}
