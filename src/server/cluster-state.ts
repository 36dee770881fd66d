// A node's view of the cluster (cluster-enabled yes): who it is, the topology it last applied,
// and the routing decision taken before every keyed command: serve it here, or reply MOVED,
// CROSSSLOT or CLUSTERDOWN exactly as Redis Cluster's getNodeByQuery does.
//
// Routing order, as Redis: all keys of the command (for EXEC: of every queued command) must hash
// to one slot, else CROSSSLOT, whoever owns it; a command without keys is served anywhere; with
// keys, a cluster that is down (no topology yet, or slots left unassigned) refuses it; then the
// slot's owner serves it and every other node redirects with MOVED.

import { performance } from 'node:perf_hooks';
import { CMD_WRITE, type Command } from '../commands/table.js';
import type { CommandArgs } from '../protocol/request-parser.js';
import { keySlotOf } from '../cluster/slot.js';
import { Topology, UNASSIGNED, nodeIdFor, type TopologyDoc } from '../cluster/topology.js';
import { ownerChanges } from '../cluster/slot-ranges.js';
import type { QueuedCommand } from './client.js';
import type { Logger } from '../util/log.js';

export const ERR_CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";
export const ERR_CLUSTER_DOWN = 'CLUSTERDOWN The cluster is down';
export const ERR_SLOT_UNBOUND = 'CLUSTERDOWN Hash slot not served';

/** slotOfKeys' result for keys that hash to different slots. */
const CROSS_SLOT = -2;
/** slotOfKeys' result for a command without keys. */
const NO_KEYS = -1;

export class ClusterState {
  /** Known once the node listens: derived from the address it announces. */
  myId = '';
  port = 0;
  topology: Topology | null = null;
  /** Index of this node's shard in the topology, or -1 when it is not in it. */
  myShard = -1;
  /** Is this node its shard's primary? */
  isPrimary = false;
  private readonly keyPositions: number[] = [];
  /**
   * Slots whose writes are paused for a move's switch (migration.ts), with the pause's end
   * (performance.now()): such a write waits for the pause to end (migration.ts: hold), then runs
   * here or is redirected; one that cannot wait (a queued EXEC's, an internal client's) gets
   * TRYAGAIN, which clients retry. Reads are served.
   */
  readonly pausedSlots = new Map<number, number>();
  /** The paused slot the last route() or routeTransaction() answered TRYAGAIN for, else -1. */
  pausedHit = -1;
  /**
   * Shards whose primary changed from one applied topology to the next (failovers, automatic or
   * manual, this node has seen; a metric). Topologies this node skipped are not seen.
   */
  primaryChanges = 0;

  constructor(readonly host: string) {}

  /** Called when the node is listening: fixes its address and so its id. */
  listening(port: number): void {
    this.port = port;
    this.myId = nodeIdFor(this.host, port);
  }

  /**
   * Applies a document if its epoch is newer than the current one (or there is none); returns
   * whether it did. The switch is one assignment: a command sees the old table or the new one.
   */
  apply(doc: TopologyDoc): boolean {
    if (this.topology !== null && !this.topology.isNewer(doc)) return false;
    const next = new Topology(doc);
    if (this.topology !== null) {
      const before = this.topology.doc.shards;
      for (const s of doc.shards) if (before.some((b) => b.id === s.id && b.primary !== s.primary)) this.primaryChanges++;
    }
    const shard = next.shardOfNode.get(this.myId);
    this.myShard = shard ?? -1;
    this.isPrimary = shard !== undefined && doc.shards[shard].primary === this.myId;
    this.topology = next;
    return true;
  }

  get epoch(): number {
    return this.topology?.epoch ?? 0;
  }

  /** Cluster state as CLUSTER INFO reports it. */
  get ok(): boolean {
    return this.topology !== null && this.topology.fullCoverage;
  }

  /** The error to reply instead of running the command, or null to run it here. */
  route(cmd: Command, args: CommandArgs, readOk = false): string | null {
    const slot = this.slotOfKeys(cmd, args, NO_KEYS);
    if (slot === NO_KEYS) return null;
    const error = this.decide(slot, readOk);
    if (error === null && this.pausedSlots.size !== 0 && (cmd.flags & CMD_WRITE) !== 0) return this.pausedError(slot);
    return error;
  }

  /** TRYAGAIN while a slot's writes are paused for its switch, else null (and an ended pause is dropped). */
  private pausedError(slot: number): string | null {
    const until = this.pausedSlots.get(slot);
    if (until === undefined) return null;
    if (performance.now() < until) {
      this.pausedHit = slot;
      return `TRYAGAIN Slot ${slot} is moving to another node; try again`;
    }
    this.pausedSlots.delete(slot);
    return null;
  }

  /** As route, for EXEC: the keys of every queued command together. */
  routeTransaction(queued: QueuedCommand[], readOk = false): string | null {
    let slot = NO_KEYS;
    for (let i = 0; i < queued.length && slot !== CROSS_SLOT; i++) slot = this.slotOfKeys(queued[i].cmd, queued[i].args, slot);
    if (slot === NO_KEYS) return null;
    const error = this.decide(slot, readOk);
    if (error === null && this.pausedSlots.size !== 0 && queued.some((q) => (q.cmd.flags & CMD_WRITE) !== 0)) return this.pausedError(slot);
    return error;
  }

  /**
   * For a script's command: the slot its keys hash to (-1: no keys) and why this node cannot
   * serve it (null: it can).
   */
  routeInScript(cmd: Command, args: CommandArgs, readOk: boolean): { error: string | null; slot: number } {
    const slot = this.slotOfKeys(cmd, args, NO_KEYS);
    if (slot === NO_KEYS) return { error: null, slot: -1 };
    return { error: this.decide(slot, readOk), slot };
  }

  /** The error that sends a write of `key` elsewhere (MOVED, CLUSTERDOWN...), or null if this node serves it. */
  redirectForKey(key: string): string | null {
    const b = Buffer.from(key, 'latin1');
    return this.decide(keySlotOf(b, 0, b.length), false);
  }

  /** readOk: a read from a READONLY client, which a replica of the slot's shard serves. */
  private decide(slot: number, readOk: boolean): string | null {
    if (slot === CROSS_SLOT) return ERR_CROSSSLOT;
    const t = this.topology;
    if (t === null || !t.fullCoverage) return ERR_CLUSTER_DOWN;
    const owner = t.slotShard[slot];
    if (owner === UNASSIGNED) return ERR_SLOT_UNBOUND;
    if (owner === this.myShard && (this.isPrimary || readOk)) return null;
    return `MOVED ${slot} ${t.primaryAddress[owner]}`;
  }

  /** The one slot all of a command's keys hash to, combined with `slot` found so far. */
  private slotOfKeys(cmd: Command, args: CommandArgs, slot: number): number {
    if (cmd.firstKey <= 0) return slot;
    const pos = this.keyPositions;
    const n = cmd.keyPositions(args.argc, pos, args);
    for (let i = 0; i < n; i++) {
      const s = keySlotOf(args.buf, args.start[pos[i]], args.end[pos[i]]);
      if (slot === NO_KEYS) slot = s;
      else if (s !== slot) return CROSS_SLOT;
    }
    return slot;
  }
}

/** This node's place in a topology, as it was before a document was applied. */
export interface TopologyPlace {
  topology: Topology | null;
  myShard: number;
  isPrimary: boolean;
}

/**
 * Logs a document just applied (docs/operations.md#logs): topology.changed, and
 * failover.promoted / failover.demoted when it changed this node's role in its shard. Runs on
 * every node at each switch of a slot move, so the slots moved are counted by ranges.
 */
export function logTopologyApplied(logger: Logger, before: TopologyPlace, cluster: ClusterState): void {
  const next = cluster.topology!;
  const prev = before.topology;
  const doc = next.doc;
  const shardId = cluster.myShard >= 0 ? doc.shards[cluster.myShard].id : '';
  const role = cluster.myShard < 0 ? 'none' : cluster.isPrimary ? 'primary' : 'replica';
  let slotsMoved: number | undefined;
  if (prev !== null) {
    slotsMoved = 0;
    for (const [start, end] of ownerChanges(prev.ranges, next.ranges)) slotsMoved += end - start + 1;
  }
  logger.info(
    { event: 'topology.changed', epoch: doc.epoch, previousEpoch: prev?.epoch ?? 0, shards: doc.shards.length, nodes: doc.nodes.length, slotsMoved, role, shard: shardId || undefined },
    `applied topology epoch ${doc.epoch}${prev === null ? '' : ` (was ${prev.epoch})`}: ${doc.shards.length} shards, this node ${role === 'none' ? 'in none' : `${role} of ${shardId}`}`,
  );
  if (prev === null || cluster.myShard < 0) return;
  const me = `${cluster.host}:${cluster.port}`;
  const primary = next.primaryAddress[cluster.myShard];
  const prevPrimary = before.myShard >= 0 ? prev.primaryAddress[before.myShard] : '';
  if (cluster.isPrimary && before.myShard >= 0 && !before.isPrimary) {
    logger.warn({ event: 'failover.promoted', shard: shardId, from: prevPrimary, to: me, epoch: doc.epoch }, `failover: promoted to primary of ${shardId} (was ${prevPrimary}) at epoch ${doc.epoch}`);
  } else if (!cluster.isPrimary && before.isPrimary) {
    logger.warn({ event: 'failover.demoted', shard: shardId, from: me, to: primary, epoch: doc.epoch }, `failover: demoted to replica of ${primary} in ${shardId} at epoch ${doc.epoch}`);
  }
}
