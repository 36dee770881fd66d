// The local coordinator behind `corral up`: runs a whole cluster on one machine. It starts one
// node per shard as a separate OS process on consecutive ports, plans the topology (ring ->
// slot table, epoch 1), hands it to every node, reports a node that dies, and stops them all.
//
// It is the single writer of the topology document for its cluster, so it needs no election:
// later stages (failover, rebalancing) write epoch + 1 documents through the same push.

import { spawn, type ChildProcess } from 'node:child_process';
import { planTopology } from '../cluster/plan.js';
import type { TopologyDoc } from '../cluster/topology.js';
import { callNode, waitForNode } from './node-link.js';
import { reachableHost } from '../util/address.js';

export interface LocalClusterOptions {
  shards: number;
  /** Port of the first node; the others follow consecutively. */
  port: number;
  host: string;
  /** How to start a node: the executable and the arguments before node flags (`server`). */
  nodeCommand: { file: string; args: string[] };
  /** Extra `--name value` flags for every node (maxmemory, policy...). */
  nodeFlags?: string[];
  vnodes?: number;
  log: (line: string) => void;
}

export interface LocalNodeProcess {
  /** The address the node announces (and is reached at): the bind address, or loopback for a wildcard bind. */
  host: string;
  port: number;
  child: ChildProcess;
  exited: boolean;
}

export class LocalCluster {
  readonly nodes: LocalNodeProcess[] = [];
  topology: TopologyDoc | null = null;
  private stopping = false;
  /** Called when a node process exits while the cluster is meant to be running. */
  onNodeExit: ((node: LocalNodeProcess, code: number | null, signal: string | null) => void) | null = null;

  constructor(private readonly options: LocalClusterOptions) {
    if (!Number.isInteger(options.shards) || options.shards < 1 || options.shards > 1000) throw new RangeError('shards must be an integer from 1 to 1000');
    if (!Number.isInteger(options.port) || options.port < 1 || options.port + options.shards - 1 > 65535) throw new RangeError('ports must lie between 1 and 65535');
  }

  /** Starts every node, waits for each to answer, then gives all of them the topology. */
  async start(): Promise<TopologyDoc> {
    const { shards, port, host } = this.options;
    for (let i = 0; i < shards; i++) this.spawnNode(host, reachableHost(host), port + i);
    await Promise.all(this.nodes.map((n) => waitForNode(n.host, n.port)));
    const doc = planTopology(
      this.nodes.map((n) => ({ nodes: [{ host: n.host, port: n.port }] })),
      { epoch: 1, vnodes: this.options.vnodes },
    );
    await this.publish(doc);
    return doc;
  }

  /** Hands a topology document to every live node; fails if a live node refuses it. */
  async publish(doc: TopologyDoc): Promise<void> {
    const json = JSON.stringify(doc);
    await Promise.all(
      this.nodes
        .filter((n) => !n.exited)
        .map(async (n) => {
          const r = await callNode(n.host, n.port, ['CORRAL', 'SETTOPOLOGY', json], 5000);
          if (typeof r === 'object' && r !== null && 'error' in r) throw new Error(`${n.host}:${n.port} refused the topology: ${r.error}`);
        }),
    );
    this.topology = doc;
  }

  private spawnNode(bind: string, host: string, port: number): void {
    const { nodeCommand, nodeFlags = [] } = this.options;
    const args = [...nodeCommand.args, '--bind', bind, '--cluster-announce-ip', host, '--port', String(port), '--cluster-enabled', 'yes', ...nodeFlags];
    const child = spawn(nodeCommand.file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const node: LocalNodeProcess = { host, port, child, exited: false };
    this.nodes.push(node);
    const prefix = `[${port}] `;
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') this.options.log(prefix + line);
    };
    child.stdout!.on('data', forward);
    child.stderr!.on('data', forward);
    child.once('exit', (code, signal) => {
      node.exited = true;
      if (!this.stopping && this.onNodeExit !== null) this.onNodeExit(node, code, signal);
    });
  }

  /** Stops every node (SIGTERM, then SIGKILL after a grace period) and waits for them to exit. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (n.exited || n.child.exitCode !== null) return resolve();
            const timer = setTimeout(() => n.child.kill('SIGKILL'), graceMs);
            n.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            n.child.kill('SIGTERM');
          }),
      ),
    );
  }
}
