// A node's seat in the control plane (docs/replication.md): the agent (control/agent.ts) wired to
// this node — its identity, the topology it applies, the report its lease renewals carry — and
// the write fence that the controller's grants and a manual failover's pauses set. The fence
// itself is a field of the node (CorralNode.writeFence), read by the dispatcher on every write.

import { performance } from 'node:perf_hooks';
import { nodeIdFor } from '../cluster/topology.js';
import { NodeAgent } from '../control/agent.js';
import type { CorralNode } from './node.js';

export class NodeControlPlane {
  readonly agent: NodeAgent;
  /** The write lease's end (performance.now()), and a manual failover's pause. */
  private leaseFence = 0;
  private pausedUntil = 0;
  private pauseTimer: NodeJS.Timeout | null = null;

  constructor(private readonly node: CorralNode) {
    const cluster = node.cluster!;
    const config = node.config;
    this.agent = new NodeAgent(
      {
        member: { id: nodeIdFor(cluster.host, node.port), host: cluster.host, port: node.port, runId: node.runId, since: Date.now() },
        applyTopology: (doc) => node.applyTopology(doc),
        topology: () => cluster.topology?.doc ?? null,
        report: () => {
          const r = node.replication;
          return {
            epoch: cluster.epoch,
            role: cluster.myShard < 0 ? 'none' : r.role === 'master' ? 'primary' : 'replica',
            replid: r.replid,
            offset: r.offset,
            masterLinkUp: r.link?.up ?? false,
            fresh: !r.hasData,
          };
        },
        setWriteFence: (until) => this.setLeaseFence(until),
        log: (line) => node.logLine(line),
      },
      {
        dial: node.dial,
        coordinator: config.str('coordinator'),
        clusterName: config.str('cluster-name'),
        desiredShards: config.int('cluster-shards'),
        leaseMs: config.int('cluster-lease-ms'),
        controllerLeaseMs: config.int('controller-lease-ms'),
      },
    );
  }

  start(): void {
    void this.agent.start().catch((err: Error) => this.node.logLine(`control plane: ${err.message}`));
  }

  private setLeaseFence(until: number): void {
    const node = this.node;
    this.leaseFence = until;
    // Trusted as the shard's primary only once the node applied a document naming it so.
    if (node.replication.role === 'master' && node.cluster?.isPrimary === true) node.replication.confirmed = node.replication.hasData = true;
    node.writeFence = this.pausedUntil > performance.now() ? 1 : until;
  }

  /** Refuses writes for ms (a manual failover's pause; 0 resumes). Returns the offset reached. */
  pauseWrites(ms: number): number {
    const node = this.node;
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    node.replication.source?.flush();
    if (ms <= 0) {
      this.pausedUntil = 0;
      node.writeFence = this.leaseFence;
    } else {
      this.pausedUntil = performance.now() + ms;
      node.writeFence = 1;
      this.pauseTimer = setTimeout(() => this.pauseWrites(0), ms);
      this.pauseTimer.unref();
    }
    return node.replication.offset;
  }

  async stop(): Promise<void> {
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    await this.agent.stop();
  }
}
