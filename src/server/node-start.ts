// A node's start: the ACL check before it listens, then the place it takes once it listens: in
// cluster mode the port it announces, a static topology (cluster-nodes) and the control plane
// when it was started with a coordinator; in standalone mode its primary (replicaof). Also
// CORRAL JOIN, which gives a clustered node a coordinator at run time and starts the control
// plane with it.

import { planTopology, type ShardPlan } from '../cluster/plan.js';
import { aclFor, type AclConfigSource } from './acl/registry.js';
import { ConfigError } from './config.js';
import { NodeControlPlane, type ControlPlaneHost } from './control-plane.js';

/** What taking its place reads and sets on the node. */
export interface JoinHost extends ControlPlaneHost {
  /** The node's seat in the control plane, set when it starts. */
  control: NodeControlPlane | null;
  readonly shuttingDown: boolean;
}

/** As redis-server, a node whose aclfile cannot be loaded does not start (ACLLoadUsersAtStartup). */
export function checkAclAtStartup(node: AclConfigSource): void {
  const aclError = aclFor(node).startupError;
  if (aclError !== null) throw new ConfigError(`Aborting startup because of ACL errors: ${aclError}`);
}

/** Just after the node started listening: the roles its configuration gives it. */
export function takeStartupRoles(node: JoinHost, staticShards: ShardPlan[] | null): void {
  if (node.cluster !== null) {
    node.cluster.listening(node.port);
    if (staticShards !== null) node.applyTopology(planTopology(staticShards));
  }
  if (node.cluster !== null && node.config.str('coordinator') !== '') startControlPlane(node);
  const replicaof = node.config.str('replicaof').trim().split(/\s+/);
  if (replicaof.length === 2 && node.cluster === null) node.replication.becomeReplicaOf(replicaof[0], Number(replicaof[1]));
}

function startControlPlane(node: JoinHost): void {
  node.control = new NodeControlPlane(node);
  node.control.start();
}

/**
 * CORRAL JOIN: takes a coordinator at run time (the node was started in cluster mode without
 * one) and starts the control plane with it. The immutable `coordinator` and `cluster-name`
 * settings are set as at startup, so CONFIG GET and CORRAL CONTROL show them. Returns null, or
 * why not (joining the coordinator already in use, under the same name, is not an error).
 */
export function joinControlPlane(node: JoinHost, listeners: { readonly listening: boolean }, spec: string, clusterName: string): string | null {
  if (node.cluster === null) return 'this node was started without cluster mode (cluster-enabled no)';
  if (spec === '') return 'the coordinator spec is empty';
  if (clusterName === '') return 'the cluster name is empty';
  const current = node.config.str('coordinator');
  if (current !== '') {
    if (current !== spec) return `this node already has a coordinator (${current})`;
    const name = node.config.str('cluster-name');
    return name === clusterName ? null : `this node is already in cluster '${name}' of that coordinator`;
  }
  if (node.config.str('cluster-nodes') !== '') return 'this node follows a static topology (cluster-nodes)';
  if (!listeners.listening || node.shuttingDown) return 'this node is not serving';
  node.config.setFromText('coordinator', spec, true);
  node.config.setFromText('cluster-name', clusterName, true);
  startControlPlane(node);
  return null;
}
