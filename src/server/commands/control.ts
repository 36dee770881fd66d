// Control-plane commands a node serves (docs/replication.md): CORRAL LEASE (a node's write-lease
// renewal, answered only by the controller), CORRAL WHOAMI (the probe that tells a live process
// from a restarted or dead one), CORRAL PAUSEWRITES (a manual failover's pause), CORRAL FAILOVER
// (asks the controller for a manual failover), CORRAL CONTROL (what this node knows of the
// control plane, for `corral cluster status`) and CORRAL JOIN (a node started without a
// coordinator joins one: `corral cluster add-shard`); and Redis's CLUSTER FAILOVER, sent to a
// replica.

import { performance } from 'node:perf_hooks';
import type { CommandContext } from '../../commands/context.js';
import { CMD_ADMIN, CMD_FAST, CMD_LOADING, CMD_STALE, type CommandDef } from '../../commands/table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../commands/errors.js';
import { clientOf, serverOf } from './util.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';

const S = CMD_LOADING | CMD_STALE;

function leaseCommand(c: CommandContext): void {
  const agent = serverOf(c).agent;
  const epoch = c.int(4);
  const offset = c.int(7);
  const role = c.str(5);
  if (epoch === undefined || offset === undefined || (role !== 'primary' && role !== 'replica' && role !== 'none')) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  const fresh = c.argc > 9 && c.is(9, '1');
  const granted = agent?.renewFrom({ id: c.str(2), runId: c.str(3), epoch, role, replid: c.str(6), offset, masterLinkUp: c.is(8, '1'), fresh }) ?? null;
  if (granted === null) c.w.error('NOTCONTROLLER this node is not the controller');
  else c.w.integer(granted);
}

function whoamiCommand(c: CommandContext): void {
  const node = serverOf(c);
  c.w.array(2);
  c.w.bulk(node.cluster?.myId ?? '');
  c.w.bulk(node.runId);
}

function pauseWritesCommand(c: CommandContext): void {
  const ms = c.int(2);
  if (ms === undefined || ms < 0) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  c.w.integer(serverOf(c).pauseWrites(ms));
}

/** CORRAL FAILOVER <replica-id>: served by the controller. */
function failoverCommand(c: CommandContext): void {
  const ctl = serverOf(c).agent?.controller ?? null;
  if (ctl === null) {
    c.w.error('NOTCONTROLLER this node is not the controller');
    return;
  }
  const why = ctl.requestFailover(c.str(2));
  if (why === null) c.w.ok();
  else c.w.error(`ERR ${why}`);
}

/** CORRAL CONTROL: this node's view of the control plane, as field/value pairs. */
function controlCommand(c: CommandContext): void {
  const node = serverOf(c);
  const agent = node.agent;
  const rec = agent?.controllerRecord ?? null;
  const now = performance.now();
  const fields: Array<[string, string | number]> = [
    ['coordinator', agent?.coordinatorDescription ?? ''],
    // The raw `coordinator` setting (what CORRAL JOIN takes) and the cluster's name there.
    ['coordinator_spec', node.config.str('coordinator')],
    ['cluster_name', node.config.str('cluster-name')],
    ['controller', rec === null ? '' : `${rec.host}:${rec.port}`],
    ['is_controller', agent?.controller != null ? 1 : 0],
    ['epoch', node.cluster?.epoch ?? 0],
    ['lease_ms_left', node.writeFence <= 1 ? 0 : Math.max(0, Math.round(node.writeFence - now))],
    ['role', node.replication.role === 'master' ? 'primary' : 'replica'],
    ['replid', node.replication.replid],
    ['offset', node.replication.offset],
  ];
  c.w.array(fields.length * 2);
  for (const [k, v] of fields) {
    c.w.bulk(k);
    c.w.bulk(String(v));
  }
}

/**
 * CORRAL JOIN <coordinator-spec> <cluster-name>: a node started in cluster mode without a
 * coordinator starts its control plane with this one, as if started with --coordinator. +OK, also
 * when it already uses the same coordinator and name; an error when it has another, or none can
 * be taken (cluster mode off, an empty spec, a static topology).
 */
function joinCommand(c: CommandContext): void {
  const why = serverOf(c).joinControlPlane(c.str(2).trim(), c.str(3));
  if (why === null) c.w.ok();
  else c.w.error(`ERR ${why}`);
}

/**
 * CLUSTER FAILOVER on a replica: asks the controller to hand this replica its shard, without
 * losing writes (the primary pauses, this replica catches up, then the switch). FORCE and
 * TAKEOVER are accepted and mean the same here: the controller never promotes without fencing.
 */
export function clusterFailoverCommand(c: CommandContext): void {
  const node = serverOf(c);
  if (c.argc > 3 || (c.argc === 3 && !c.is(2, 'force') && !c.is(2, 'takeover'))) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  if (node.replication.role === 'master') {
    c.w.error('ERR You should send CLUSTER FAILOVER to a replica');
    return;
  }
  const agent = node.agent;
  const rec = agent?.controllerRecord ?? null;
  if (agent === null || rec === null) {
    c.w.error('ERR no controller: this cluster has no control plane to fail over with');
    return;
  }
  const myId = node.cluster!.myId;
  if (agent.controller !== null) {
    const why = agent.controller.requestFailover(myId);
    if (why === null) c.w.ok();
    else c.w.error(`ERR ${why}`);
    return;
  }
  // Asynchronous: OK means the request was made, as Redis's reply does.
  const link = agent.linkTo(rec.host, rec.port);
  void link
    .call(['CORRAL', 'FAILOVER', myId], 2000)
    .then((r) => {
      if (typeof r === 'object' && r !== null && 'error' in r) node.logLine(`CLUSTER FAILOVER: the controller refused: ${r.error}`);
    }, (err: Error) => node.logLine(`CLUSTER FAILOVER: ${err.message}`))
    .finally(() => link.close());
  c.w.ok();
}

/**
 * CORRAL WATCHTOPOLOGY: this connection is told of every topology this node applies from now on,
 * as `topology <epoch>` frames (RESP3 pushes; arrays in RESP2, like pub/sub messages), starting
 * with the current one. Clients refresh their slot maps on it instead of polling.
 */
function watchTopologyCommand(c: CommandContext): void {
  const node = serverOf(c);
  const client = clientOf(c);
  node.topologyWatchers.add(client);
  writeTopologyFrame(c.w, node.cluster?.epoch ?? 0);
}

export function writeTopologyFrame(w: ReplyWriter, epoch: number): void {
  w.push(2);
  w.bulk('topology');
  w.integer(epoch);
}

export const corralControlCommands: CommandDef[] = [
  { name: 'watchtopology', arity: 2, flags: CMD_FAST | S, handler: watchTopologyCommand },
  { name: 'lease', arity: -9, flags: CMD_FAST | S, handler: leaseCommand },
  { name: 'whoami', arity: 2, flags: CMD_FAST | S, handler: whoamiCommand },
  { name: 'pausewrites', arity: 3, flags: CMD_ADMIN | S, handler: pauseWritesCommand },
  { name: 'failover', arity: 3, flags: CMD_ADMIN | S, handler: failoverCommand },
  { name: 'control', arity: 2, flags: S, handler: controlCommand },
  { name: 'join', arity: 4, flags: CMD_ADMIN | S, handler: joinCommand },
];
