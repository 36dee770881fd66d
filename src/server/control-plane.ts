// A node's seat in the control plane (docs/replication.md): the agent (control/agent.ts) wired to
// this node — its identity, the topology it applies, the report its lease renewals carry — and
// the write fence that the controller's grants set (ControlPlaneHost.setLeaseFence; the node keeps the
// fence, read by the dispatcher on every write, and a manual failover's pauses).

import { nodeIdFor } from '../cluster/topology.js';
import { NodeAgent } from '../control/agent.js';
import type { Dialer } from '../control/agent.js';
import type { ServerApi } from './server-api.js';
import type { LinkSecurity } from '../util/link-security.js';

/** What the control plane needs of its node (CorralNode implements it). */
export interface ControlPlaneHost extends ServerApi {
  readonly dial: Dialer | undefined;
  /** A grant from the controller: writes are taken until `until` (performance.now()). */
  setLeaseFence(until: number): void;
  /** How the node's links authenticate and whether they are TLS (control links: 'cluster'). */
  linkSecurity(kind: 'replication' | 'cluster'): LinkSecurity;
}

export class NodeControlPlane {
  readonly agent: NodeAgent;

  constructor(private readonly node: ControlPlaneHost) {
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
        logger: node.logger,
      },
      {
        dial: node.dial,
        coordinator: config.str('coordinator'),
        clusterName: config.str('cluster-name'),
        desiredShards: config.int('cluster-shards'),
        leaseMs: config.int('cluster-lease-ms'),
        controllerLeaseMs: config.int('controller-lease-ms'),
        security: () => node.linkSecurity('cluster'),
      },
    );
  }

  start(): void {
    void this.agent.start().catch((err: Error) => this.node.logger.error({ event: 'control.error', error: err.message }, `control plane: ${err.message}`));
  }

  private setLeaseFence(until: number): void {
    const node = this.node;
    // Trusted as the shard's primary only once the node applied a document naming it so.
    if (node.replication.role === 'master' && node.cluster?.isPrimary === true) node.replication.confirmed = node.replication.hasData = true;
    node.setLeaseFence(until);
  }

  async stop(): Promise<void> {
    await this.agent.stop();
  }
}
