// Cluster commands in Redis Cluster's formats: CLUSTER SLOTS, SHARDS, NODES, MYID, INFO, KEYSLOT,
// COUNTKEYSINSLOT, GETKEYSINSLOT, LINKS and HELP; READONLY, READWRITE and ASKING; and corral's
// own CORRAL TOPOLOGY / SETTOPOLOGY, through which a coordinator hands a node the topology
// document (a node has no cluster bus: the document is the whole truth).

import type { CommandContext } from '../../commands/context.js';
import { CMD_ADMIN, CMD_FAST, CMD_LOADING, CMD_NOSCRIPT, CMD_STALE, type CommandDef } from '../../commands/table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../commands/errors.js';
import { SLOT_COUNT, keySlot } from '../../cluster/slot.js';
import { TopologyError, parseTopology, type Topology, type TopologyNodeDoc } from '../../cluster/topology.js';
import type { ClusterState } from '../cluster-state.js';
import { writeHelp } from './connection.js';
import { corralReplicationCommands } from './replication.js';
import { clusterFailoverCommand, corralControlCommands } from './control.js';
import { corralMigrationCommands } from './migration.js';
import { corralReshardCommands } from './reshard.js';
import { corralPubsubCommands } from './pubsub.js';
import { corralHotkeysCommands } from './hotkeys.js';
import { corralDumpCommands } from '../../commands/dump.js';
import { clientOf, serverOf } from './util.js';

const ERR_DISABLED = 'ERR This instance has cluster support disabled';

/** The node's cluster state, or null after replying that cluster support is disabled. */
function clusterOf(c: CommandContext): ClusterState | null {
  const cluster = serverOf(c).cluster;
  if (cluster === null) c.w.error(ERR_DISABLED);
  return cluster;
}

/** The bus port Redis would print after '@' (corral has no bus; tools expect the field). */
function busPort(port: number): number {
  return port + 10000 <= 65535 ? port + 10000 : port;
}

/** The applied topology, or null after replying (an error, or an empty array before the first). */
function topologyOrEmpty(c: CommandContext): Topology | null {
  const cluster = clusterOf(c);
  if (cluster === null) return null;
  if (cluster.topology === null) c.w.array(0);
  return cluster.topology;
}

/**
 * Encoded CLUSTER SLOTS replies of a topology, RESP2 and RESP3 (they differ in one map header
 * per node). An applied topology never changes (a new document is a new Topology), and every
 * client asks for this reply after every MOVED: during a move, all of a cluster's clients at
 * each slot switch. Built once (a few hundred ranges on a ring with virtual nodes: ~0.25 ms),
 * copied after (a few µs).
 */
const slotsReplies = new WeakMap<Topology, { resp2?: Buffer; resp3?: Buffer }>();

function slotsCommand(c: CommandContext): void {
  const t = topologyOrEmpty(c);
  if (t === null) return;
  let cached = slotsReplies.get(t);
  // Both fields from the start: one object shape (an empty object that gains them deoptimized
  // this function in a move: --log-deopt, docs/benchmarks.md).
  if (cached === undefined) slotsReplies.set(t, (cached = { resp2: undefined, resp3: undefined }));
  const hit = c.w.resp === 3 ? cached.resp3 : cached.resp2;
  if (hit !== undefined) {
    c.w.raw(hit);
    return;
  }
  const at = c.w.pendingBytes;
  writeSlots(c, t);
  const bytes = Buffer.from(c.w.since(at));
  if (c.w.resp === 3) cached.resp3 = bytes;
  else cached.resp2 = bytes;
}

function writeSlots(c: CommandContext, t: Topology): void {
  const ranges = t.slotRanges();
  c.w.array(ranges.length);
  for (const [start, end, shard] of ranges) {
    // As Redis: a replica marked failed is left out.
    const nodes = t.shardNodes(shard).filter((n, i) => i === 0 || n.failed !== true);
    c.w.array(2 + nodes.length);
    c.w.integer(start);
    c.w.integer(end);
    for (const n of nodes) {
      c.w.array(4);
      c.w.bulk(n.host);
      c.w.integer(n.port);
      c.w.bulk(n.id);
      c.w.map(0);
    }
  }
}

function shardsCommand(c: CommandContext): void {
  const t = topologyOrEmpty(c);
  if (t === null) return;
  const node = serverOf(c);
  const myId = node.cluster!.myId;
  const rangesByShard: Array<Array<[number, number]>> = t.doc.shards.map(() => []);
  for (const [start, end, shard] of t.slotRanges()) rangesByShard[shard].push([start, end]);
  c.w.array(t.doc.shards.length);
  t.doc.shards.forEach((shard, i) => {
    c.w.map(2);
    c.w.bulk('slots');
    c.w.array(rangesByShard[i].length * 2);
    for (const [start, end] of rangesByShard[i]) {
      c.w.integer(start);
      c.w.integer(end);
    }
    c.w.bulk('nodes');
    const nodes = t.shardNodes(i);
    c.w.array(nodes.length);
    for (const n of nodes) {
      c.w.map(7);
      c.w.bulk('id');
      c.w.bulk(n.id);
      c.w.bulk('port');
      c.w.integer(n.port);
      c.w.bulk('ip');
      c.w.bulk(n.host);
      c.w.bulk('endpoint');
      c.w.bulk(n.host);
      c.w.bulk('role');
      c.w.bulk(n.id === shard.primary ? 'master' : 'replica');
      // Offsets are not gossiped (no cluster bus): a node knows its own; `corral cluster status` asks each.
      c.w.bulk('replication-offset');
      c.w.integer(n.id === myId ? node.replication.offset : 0);
      c.w.bulk('health');
      c.w.bulk(n.failed === true ? 'failed' : n.id === myId && node.replication.loading ? 'loading' : 'online');
    }
  });
}

/** CLUSTER NODES text: one line per node, as Redis's clusterGenNodesDescription. */
export function nodesText(cluster: ClusterState, now: number): string {
  const t = cluster.topology;
  if (t === null) return `${cluster.myId} ${cluster.host}:${cluster.port}@${busPort(cluster.port)} myself,master - 0 0 0 connected\n`;
  const slotsOf: string[][] = t.doc.shards.map(() => []);
  for (const [start, end, shard] of t.slotRanges()) slotsOf[shard].push(start === end ? `${start}` : `${start}-${end}`);
  let out = '';
  const seen = new Set<string>();
  const line = (n: TopologyNodeDoc, shard: number) => {
    seen.add(n.id);
    const isPrimary = shard >= 0 && t.doc.shards[shard].primary === n.id;
    const me = n.id === cluster.myId;
    const flags = `${me ? 'myself,' : ''}${isPrimary || shard < 0 ? 'master' : 'slave'}${n.failed === true ? ',fail' : ''}`;
    const master = isPrimary || shard < 0 ? '-' : t.doc.shards[shard].primary;
    const slots = isPrimary ? slotsOf[shard] : [];
    out += `${n.id} ${n.host}:${n.port}@${busPort(n.port)} ${flags} ${master} 0 ${me ? 0 : now} ${t.epoch} ${n.failed === true ? 'disconnected' : 'connected'}`;
    out += slots.length > 0 ? ` ${slots.join(' ')}\n` : '\n';
  };
  t.doc.shards.forEach((_, i) => {
    for (const n of t.shardNodes(i)) line(n, i);
  });
  for (const n of t.doc.nodes) if (!seen.has(n.id)) line(n, -1);
  if (!seen.has(cluster.myId)) out += `${cluster.myId} ${cluster.host}:${cluster.port}@${busPort(cluster.port)} myself,master - 0 0 ${t.epoch} connected\n`;
  return out;
}

function nodesCommand(c: CommandContext): void {
  const cluster = clusterOf(c);
  if (cluster === null) return;
  c.w.verbatim(nodesText(cluster, serverOf(c).clock.now()));
}

function infoText(cluster: ClusterState): string {
  const t: Topology | null = cluster.topology;
  const assigned = t?.assignedSlots ?? 0;
  const size = t === null ? 0 : new Set(t.slotShard.filter((s) => s < t.doc.shards.length)).size;
  const fields: Array<[string, string | number]> = [
    ['cluster_state', cluster.ok ? 'ok' : 'fail'],
    ['cluster_slots_assigned', assigned],
    ['cluster_slots_ok', assigned],
    ['cluster_slots_pfail', 0],
    ['cluster_slots_fail', 0],
    ['cluster_known_nodes', t === null ? 1 : t.doc.nodes.length],
    ['cluster_size', size],
    ['cluster_current_epoch', cluster.epoch],
    ['cluster_my_epoch', cluster.epoch],
    ['cluster_stats_messages_sent', 0],
    ['cluster_stats_messages_received', 0],
    ['total_cluster_links_buffer_limit_exceeded', 0],
  ];
  return fields.map(([k, v]) => `${k}:${v}\r\n`).join('');
}

function infoCommand(c: CommandContext): void {
  const cluster = clusterOf(c);
  if (cluster !== null) c.w.verbatim(infoText(cluster));
}

function myidCommand(c: CommandContext): void {
  const cluster = clusterOf(c);
  if (cluster !== null) c.w.bulk(cluster.myId);
}

function keyslotCommand(c: CommandContext): void {
  if (clusterOf(c) !== null) c.w.integer(keySlot(c.bytes(2)));
}

/** Argument i as a slot number: the error (already replied) for non-integers, else the number. */
function slotArg(c: CommandContext, i: number): number | undefined {
  const n = c.int(i);
  if (n === undefined) c.w.error(ERR_NOT_INTEGER);
  return n;
}

/**
 * CLUSTER RESET [HARD|SOFT]: Redis's argument checks; a corral cluster's membership and slots are
 * its control plane's (corral cluster add-shard / remove-shard), so a node does not reset itself.
 */
function resetCommand(c: CommandContext): void {
  if (c.argc > 3) {
    c.w.error(`ERR unknown subcommand or wrong number of arguments for '${c.str(1)}'. Try CLUSTER HELP.`);
    return;
  }
  if (clusterOf(c) === null) return;
  if (c.argc === 3 && !c.is(2, 'hard') && !c.is(2, 'soft')) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  c.w.error("ERR CLUSTER RESET is not supported: a corral cluster's nodes and slots are set by its control plane (corral cluster remove-shard)");
}

function countkeysinslotCommand(c: CommandContext): void {
  if (clusterOf(c) === null) return;
  const slot = slotArg(c, 2);
  if (slot === undefined) return;
  if (slot < 0 || slot >= SLOT_COUNT) {
    c.w.error('ERR Invalid slot');
    return;
  }
  c.w.integer(c.store.dbs[0].countInSlot(slot));
}

function getkeysinslotCommand(c: CommandContext): void {
  if (clusterOf(c) === null) return;
  const slot = slotArg(c, 2);
  if (slot === undefined) return;
  const count = slotArg(c, 3);
  if (count === undefined) return;
  if (slot < 0 || slot >= SLOT_COUNT || count < 0) {
    c.w.error('ERR Invalid slot or number of keys');
    return;
  }
  const keys = c.store.dbs[0].keysInSlot(slot, count);
  c.w.array(keys.length);
  for (const k of keys) c.w.bulk(k);
}

function linksCommand(c: CommandContext): void {
  // No cluster bus: nodes hold no links to each other (the coordinator pushes the topology).
  if (clusterOf(c) !== null) c.w.array(0);
}

const CLUSTER_HELP = [
  'CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'COUNTKEYSINSLOT <slot>',
  '    Return the number of keys in <slot>.',
  'GETKEYSINSLOT <slot> <count>',
  '    Return key names stored by current node in a slot.',
  'INFO',
  '    Return information about the cluster.',
  'KEYSLOT <key>',
  '    Return the hash slot for <key>.',
  'MYID',
  '    Return the node id.',
  'NODES',
  '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'SLOTS',
  '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'SHARDS',
  '    Return information about slot range mappings and the nodes associated with them.',
  'LINKS',
  '    Return information about all network links between this node and its peers.',
  '    Output format is an array where each array element is a map containing attributes of a link',
  'HELP',
  '    Prints this help.',
];

function clusterHelpCommand(c: CommandContext): void {
  if (clusterOf(c) !== null) writeHelp(c, CLUSTER_HELP);
}

/** READONLY / READWRITE: whether this connection's reads may be served by a replica of the slot. */
function readModeCommand(c: CommandContext): void {
  if (clusterOf(c) === null) return;
  clientOf(c).readonlyMode = c.name === 'readonly';
  c.w.ok();
}

/** ASKING: accepted; slot migration (a later stage) is what gives it an effect. */
function askingCommand(c: CommandContext): void {
  if (clusterOf(c) !== null) c.w.ok();
}

function topologyCommand(c: CommandContext): void {
  const cluster = clusterOf(c);
  if (cluster === null) return;
  c.w.bulkOrNull(cluster.topology === null ? null : JSON.stringify(cluster.topology.doc));
}

/** CORRAL SETTOPOLOGY <json>: 1 if applied, 0 if ignored because its epoch is not newer. */
function setTopologyCommand(c: CommandContext): void {
  const cluster = clusterOf(c);
  if (cluster === null) return;
  try {
    const doc = parseTopology(c.bytes(2).toString('utf8'));
    c.w.integer(serverOf(c).applyTopology(doc) ? 1 : 0);
  } catch (err) {
    if (!(err instanceof TopologyError)) throw err;
    c.w.error(`ERR ${err.message}`);
  }
}

const CORRAL_HELP = [
  'CORRAL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'TOPOLOGY',
  '    Return the topology document this node applied, as JSON (nil before the first).',
  'SETTOPOLOGY <json>',
  '    Apply a topology document if its epoch is newer than the current one: 1 applied, 0 ignored.',
  'DUMP <key>',
  "    Return the key serialized in corral's own format (encoding and stale time included); RESTORE takes it.",
  'PUBLISH|SPUBLISH <channel> <message>',
  "    Deliver a message published on another node of the cluster to this node's subscribers.",
  'HOTKEYS [COUNT <n>]',
  "    Return this node's keys with the highest access rate over the last seconds, as key, ops/s pairs (default 10).",
  'HELP',
  '    Prints this help.',
];

const S = CMD_STALE;
export const clusterCommands: CommandDef[] = [
  {
    name: 'cluster',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'countkeysinslot', arity: 3, flags: S, handler: countkeysinslotCommand },
      { name: 'failover', arity: -2, flags: CMD_ADMIN | CMD_STALE, handler: clusterFailoverCommand },
      { name: 'getkeysinslot', arity: 4, flags: S, handler: getkeysinslotCommand },
      { name: 'help', arity: 2, flags: S | CMD_LOADING, handler: clusterHelpCommand },
      { name: 'info', arity: 2, flags: S, handler: infoCommand },
      { name: 'keyslot', arity: 3, flags: S, handler: keyslotCommand },
      { name: 'links', arity: 2, flags: S, handler: linksCommand },
      { name: 'myid', arity: 2, flags: S, handler: myidCommand },
      { name: 'nodes', arity: 2, flags: S, handler: nodesCommand },
      { name: 'reset', arity: -2, flags: CMD_ADMIN | CMD_NOSCRIPT | S, handler: resetCommand },
      { name: 'shards', arity: 2, flags: S, handler: shardsCommand },
      { name: 'slots', arity: 2, flags: S, handler: slotsCommand },
    ],
  },
  { name: 'readonly', arity: 1, flags: CMD_FAST | S | CMD_LOADING, handler: readModeCommand },
  { name: 'readwrite', arity: 1, flags: CMD_FAST | S | CMD_LOADING, handler: readModeCommand },
  { name: 'asking', arity: 1, flags: CMD_FAST, handler: askingCommand },
];

/** corral's own commands (no Redis counterpart, so not checked against Redis metadata). */
export const corralCommands: CommandDef[] = [
  {
    name: 'corral',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'topology', arity: 2, flags: CMD_ADMIN | S, handler: topologyCommand },
      { name: 'settopology', arity: 3, flags: CMD_ADMIN | S, handler: setTopologyCommand },
      { name: 'help', arity: 2, flags: S | CMD_LOADING, handler: (c) => writeHelp(c, CORRAL_HELP) },
      ...corralReplicationCommands,
      ...corralControlCommands,
      ...corralMigrationCommands,
      ...corralReshardCommands,
      ...corralPubsubCommands,
      ...corralDumpCommands,
      ...corralHotkeysCommands,
    ],
  },
];

