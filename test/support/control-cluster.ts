// Test support: a cluster of in-process nodes under a real control plane — the local coordinator
// server, a topology of S shards with R replicas each written to it, nodes that elect a
// controller and renew write leases — where chosen nodes reach the control plane and their
// primaries through fault-injecting proxies (fault-proxy.ts), so a test can partition one node
// from the control plane, or a replica from its primary, while clients still reach it.

import { CorralNode } from '../../src/server/node.js';
import { LocalCoordinatorServer } from '../../src/control/local-coordinator-server.js';
import { LocalCoordinator } from '../../src/control/local-coordinator.js';
import { planTopology } from '../../src/cluster/plan.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import { FaultProxy } from './fault-proxy.js';
import { freeRun } from './corral-up.js';

export interface ControlCluster {
  coordinator: LocalCoordinatorServer;
  /** "127.0.0.1:port" of the coordinator. */
  coordinatorAddress: string;
  nodes: CorralNode[];
  ports: number[];
  topology: TopologyDoc;
  /** Proxies a node's outgoing links go through, by node port then by target port. */
  proxies: Map<number, Map<number, FaultProxy>>;
  /** The proxy node `from` uses to reach `toPort` (made on first use: before starting). */
  log: string[];
  /** Current doc as a node sees it. */
  docOf(node: CorralNode): TopologyDoc | null;
  /** The node hosting the controller, or null. */
  controllerNode(): CorralNode | null;
  close(): Promise<void>;
}

export interface ControlClusterOptions {
  shards: number;
  replicas: number;
  /** Indices of nodes whose outgoing control-plane and replication links go through proxies. */
  proxied?: number[];
  config?: Record<string, string>;
}

/** Starts the coordinator and the nodes (primaries first, then replicas), and waits until whole. */
export async function startControlCluster(o: ControlClusterOptions): Promise<ControlCluster> {
  const coordinator = new LocalCoordinatorServer();
  const cport = await coordinator.start('127.0.0.1', 0);
  const coordinatorAddress = `127.0.0.1:${cport}`;
  const count = o.shards * (1 + o.replicas);
  const base = await freeRun(count);
  const ports = Array.from({ length: count }, (_, i) => base + i);
  const plan = Array.from({ length: o.shards }, (_, i) => ({
    nodes: [{ host: '127.0.0.1', port: base + i }, ...Array.from({ length: o.replicas }, (_, r) => ({ host: '127.0.0.1', port: base + o.shards + r * o.shards + i }))],
  }));
  const topology = planTopology(plan, { epoch: 1 });
  const c = new LocalCoordinator(coordinatorAddress);
  await c.casTopology(0, topology);
  await c.close();
  const proxies = new Map<number, Map<number, FaultProxy>>();
  const log: string[] = [];
  // Proxies to every other node and to the coordinator, made before the nodes start.
  for (const i of o.proxied ?? []) {
    const mine = new Map<number, FaultProxy>();
    for (const target of [cport, ...ports]) {
      if (target === ports[i]) continue;
      mine.set(target, await FaultProxy.start({ target: { host: '127.0.0.1', port: target } }));
    }
    proxies.set(ports[i], mine);
  }
  const nodes: CorralNode[] = [];
  for (let i = 0; i < count; i++) {
    const port = ports[i];
    const mine = proxies.get(port);
    const node = new CorralNode({
      config: {
        port: String(port),
        'cluster-enabled': 'yes',
        coordinator: `local:${coordinatorAddress}`,
        'cluster-shards': String(o.shards),
        ...o.config,
      },
      log: (line) => log.push(`[${port}] ${line}`),
      dial: mine === undefined ? undefined : (host, p) => {
        const proxy = mine.get(p);
        return proxy === undefined ? { host, port: p } : { host: '127.0.0.1', port: proxy.port };
      },
    });
    await node.listen();
    nodes.push(node);
  }
  const cluster: ControlCluster = {
    coordinator,
    coordinatorAddress,
    nodes,
    ports,
    topology,
    proxies,
    log,
    docOf: (node) => node.cluster?.topology?.doc ?? null,
    controllerNode: () => nodes.find((n) => n.agent?.controller != null) ?? null,
    close: async () => {
      await Promise.all(nodes.map((n) => n.close()));
      for (const m of proxies.values()) for (const p of m.values()) await p.close();
      await coordinator.close();
    },
  };
  return cluster;
}
