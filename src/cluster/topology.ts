// The topology document: the cluster's whole shape as one versioned value (architecture brief,
// "control plane"): its epoch, the shards (a primary, replicas, a weight), the nodes' addresses,
// the slot-to-shard table and the slots in migration. This module parses and validates the JSON
// form and compiles it into the lookup tables a node consults on every keyed command.
//
// A node replaces its topology only with a document of a higher epoch (`isNewer`), so an old
// document arriving late from any source can never undo a newer one.

import { createHash } from 'node:crypto';
import { SLOT_COUNT } from './slot.js';
import { firstOverlap, sortedRanges, type SlotRange } from './slot-ranges.js';

export interface TopologyNodeDoc {
  /** 40 hex characters, as Redis Cluster node ids (see nodeIdFor). */
  id: string;
  host: string;
  port: number;
  /**
   * Set by the controller when the node is believed down (CLUSTER NODES shows `fail`, CLUSTER
   * SLOTS leaves a failed replica out, as Redis does); absent or false when healthy.
   */
  failed?: boolean;
}

export interface TopologyShardDoc {
  id: string;
  weight: number;
  /** Node id of the shard's primary. */
  primary: string;
  replicas: string[];
}

export interface SlotMigrationDoc {
  slot: number;
  from: string;
  to: string;
}

/**
 * A resharding plan (docs/resharding.md): the slots still to move and where, stored in the
 * document so that it survives the controller that drives it. A slot's source is its current
 * owner in `slots`; each switch publishes a document with the moved slots on their new shard and
 * out of `moves`; the plan is removed when `moves` is empty (and `retire`'s shard with it).
 */
export interface ReshardPlanDoc {
  /** Unique per plan (the CLI follows it by id). */
  id: string;
  kind: 'add-shard' | 'remove-shard' | 'rebalance';
  /** Paused plans move nothing until resumed. */
  paused: boolean;
  /** Bytes per second each source node sends at most (0: no limit). */
  rate: number;
  /** Slots still to move: inclusive [start, end, target shard id], in the order they move. */
  moves: Array<[number, number, string]>;
  /** Slots in the plan when it began. */
  total: number;
  /** A shard taken out of the document once it owns no slot (remove-shard). */
  retire?: string;
  /** Wall-clock ms when the plan began. */
  startedAt: number;
}

export interface TopologyDoc {
  epoch: number;
  shards: TopologyShardDoc[];
  nodes: TopologyNodeDoc[];
  /** Inclusive ranges [start, end, shardId]. Slots in no range are unassigned. */
  slots: Array<[number, number, string]>;
  migrating: SlotMigrationDoc[];
  /** The resharding plan in progress, if any. */
  plan?: ReshardPlanDoc;
  /**
   * Nodes taken out of the cluster by remove-shard: registered members the controller does not
   * place again (until an add-shard names them).
   */
  retired?: string[];
}

export class TopologyError extends Error {
  readonly code = 'E_TOPOLOGY';
}

/** No shard owns the slot. */
export const UNASSIGNED = 0xffff;

/** Ids computed (the controller asks for every member's on each 25 ms tick); bounded. */
const nodeIds = new Map<string, string>();
const NODE_ID_CACHE = 4096;

/** A node id derived from its address, so that every node and tool computes the same one. */
export function nodeIdFor(host: string, port: number): string {
  const address = `${host}:${port}`;
  let id = nodeIds.get(address);
  if (id === undefined) {
    id = createHash('sha1').update(`corral-node ${address}`).digest('hex');
    if (nodeIds.size >= NODE_ID_CACHE) nodeIds.clear();
    nodeIds.set(address, id);
  }
  return id;
}

const ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/** Validates an untrusted value (parsed JSON) as a topology document. */
export function parseTopology(input: unknown): TopologyDoc {
  const doc = typeof input === 'string' ? parseJson(input) : input;
  const fail = (why: string): never => {
    throw new TopologyError(`invalid topology: ${why}`);
  };
  if (typeof doc !== 'object' || doc === null) fail('not an object');
  const d = doc as Record<string, unknown>;
  if (!Number.isSafeInteger(d.epoch) || (d.epoch as number) < 0) fail('epoch must be a non-negative integer');
  if (!Array.isArray(d.nodes) || !Array.isArray(d.shards) || !Array.isArray(d.slots)) fail('nodes, shards and slots must be arrays');
  // Shard indices live in a Uint16Array beside UNASSIGNED; no cluster has more shards than slots.
  if ((d.shards as unknown[]).length > SLOT_COUNT) fail(`at most ${SLOT_COUNT} shards`);
  const nodes: TopologyNodeDoc[] = [];
  const nodeIds = new Set<string>();
  for (const n of d.nodes as unknown[]) {
    const o = n as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.id !== 'string' || !ID_RE.test(o.id)) fail('a node needs an id of 1-64 letters, digits or ._:-');
    if (typeof o.host !== 'string' || o.host === '' || /\s/.test(o.host)) fail(`node ${o.id}: bad host`);
    if (!Number.isInteger(o.port) || (o.port as number) < 1 || (o.port as number) > 65535) fail(`node ${o.id}: bad port`);
    if (nodeIds.has(o.id as string)) fail(`duplicate node ${o.id}`);
    nodeIds.add(o.id as string);
    if (o.failed !== undefined && typeof o.failed !== 'boolean') fail(`node ${o.id}: failed must be a boolean`);
    nodes.push(o.failed === true ? { id: o.id as string, host: o.host as string, port: o.port as number, failed: true } : { id: o.id as string, host: o.host as string, port: o.port as number });
  }
  const shards: TopologyShardDoc[] = [];
  const shardIds = new Set<string>();
  const placed = new Set<string>();
  for (const s of d.shards as unknown[]) {
    const o = s as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.id !== 'string' || !ID_RE.test(o.id)) fail('a shard needs an id');
    if (shardIds.has(o.id as string)) fail(`duplicate shard ${o.id}`);
    shardIds.add(o.id as string);
    const weight = o.weight === undefined ? 1 : o.weight;
    if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) fail(`shard ${o.id}: weight must be a positive number`);
    const replicas = o.replicas === undefined ? [] : o.replicas;
    if (!Array.isArray(replicas)) fail(`shard ${o.id}: replicas must be an array`);
    for (const member of [o.primary, ...(replicas as unknown[])]) {
      if (typeof member !== 'string' || !nodeIds.has(member)) fail(`shard ${o.id}: unknown node ${String(member)}`);
      if (placed.has(member as string)) fail(`node ${member} is in two shards`);
      placed.add(member as string);
    }
    shards.push({ id: o.id as string, weight: weight as number, primary: o.primary as string, replicas: replicas as string[] });
  }
  const slots: Array<[number, number, string]> = [];
  for (const r of d.slots as unknown[]) {
    if (!Array.isArray(r) || r.length !== 3) fail('a slot range is [start, end, shardId]');
    const [start, end, shard] = r as unknown[];
    if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (end as number) >= SLOT_COUNT || (start as number) > (end as number)) {
      fail(`bad slot range ${JSON.stringify(r)}`);
    }
    if (typeof shard !== 'string' || !shardIds.has(shard)) fail(`slot range ${JSON.stringify(r)}: unknown shard`);
    slots.push([start as number, end as number, shard as string]);
  }
  // Overlaps by ranges, not slot by slot (cluster/slot-ranges.ts says why).
  const twice = firstOverlap(sortedRanges(slots));
  if (twice >= 0) fail(`slot ${twice} is assigned twice`);
  const migrating: SlotMigrationDoc[] = [];
  for (const m of (d.migrating ?? []) as unknown[]) {
    const o = m as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || !Number.isInteger(o.slot) || (o.slot as number) < 0 || (o.slot as number) >= SLOT_COUNT) fail('a migration needs a slot');
    if (typeof o.from !== 'string' || !shardIds.has(o.from) || typeof o.to !== 'string' || !shardIds.has(o.to)) fail(`migration of slot ${o.slot}: unknown shard`);
    migrating.push({ slot: o.slot as number, from: o.from as string, to: o.to as string });
  }
  const out: TopologyDoc = { epoch: d.epoch as number, shards, nodes, slots, migrating };
  if (d.plan !== undefined && d.plan !== null) out.plan = parsePlan(d.plan, shardIds, fail);
  if (d.retired !== undefined) {
    if (!Array.isArray(d.retired) || d.retired.some((id) => typeof id !== 'string' || !ID_RE.test(id))) fail('retired must be an array of node ids');
    if ((d.retired as string[]).length > 0) out.retired = [...(d.retired as string[])];
  }
  return out;
}

function parsePlan(input: unknown, shardIds: ReadonlySet<string>, fail: (why: string) => never): ReshardPlanDoc {
  const o = input as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || typeof o.id !== 'string' || !ID_RE.test(o.id)) fail('a plan needs an id');
  if (o.kind !== 'add-shard' && o.kind !== 'remove-shard' && o.kind !== 'rebalance') fail('plan: bad kind');
  if (typeof o.paused !== 'boolean') fail('plan: paused must be a boolean');
  if (!Number.isSafeInteger(o.rate) || (o.rate as number) < 0) fail('plan: rate must be a non-negative integer');
  if (!Number.isSafeInteger(o.total) || (o.total as number) < 0 || (o.total as number) > SLOT_COUNT) fail('plan: bad total');
  if (!Number.isFinite(o.startedAt)) fail('plan: bad startedAt');
  if (!Array.isArray(o.moves)) fail('plan: moves must be an array');
  const moves: Array<[number, number, string]> = [];
  for (const r of o.moves as unknown[]) {
    if (!Array.isArray(r) || r.length !== 3) fail('plan: a move is [start, end, shardId]');
    const [start, end, shard] = r as unknown[];
    if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (end as number) >= SLOT_COUNT || (start as number) > (end as number)) fail(`plan: bad move ${JSON.stringify(r)}`);
    if (typeof shard !== 'string' || !shardIds.has(shard)) fail(`plan: move ${JSON.stringify(r)} names an unknown shard`);
    moves.push([start as number, end as number, shard as string]);
  }
  const twice = firstOverlap(sortedRanges(moves));
  if (twice >= 0) fail(`plan: slot ${twice} moves twice`);
  if (o.retire !== undefined && (typeof o.retire !== 'string' || !shardIds.has(o.retire))) fail('plan: retire names an unknown shard');
  const plan: ReshardPlanDoc = { id: o.id as string, kind: o.kind as ReshardPlanDoc['kind'], paused: o.paused as boolean, rate: o.rate as number, moves, total: o.total as number, startedAt: o.startedAt as number };
  if (o.retire !== undefined) plan.retire = o.retire as string;
  return plan;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TopologyError(`invalid topology: ${(err as Error).message}`);
  }
}

/** A topology document compiled for lookups: slot -> shard index, shard -> primary address. */
export class Topology {
  readonly epoch: number;
  /** Shard index of every slot, or UNASSIGNED. */
  readonly slotShard = new Uint16Array(SLOT_COUNT).fill(UNASSIGNED);
  /** "host:port" of each shard's primary, as MOVED and ASK name it. */
  readonly primaryAddress: string[];
  readonly nodeById = new Map<string, TopologyNodeDoc>();
  /** Index of the shard a node belongs to. */
  readonly shardOfNode = new Map<string, number>();
  readonly assignedSlots: number;
  private indexRanges: Array<[number, number, number]> | null = null;
  /** The document's slot ranges sorted by start, owners by shard id (cluster/slot-ranges.ts). */
  readonly ranges: Array<SlotRange<string>>;

  constructor(readonly doc: TopologyDoc) {
    this.epoch = doc.epoch;
    for (const n of doc.nodes) this.nodeById.set(n.id, n);
    const shardIndex = new Map<string, number>();
    doc.shards.forEach((s, i) => {
      shardIndex.set(s.id, i);
      this.shardOfNode.set(s.primary, i);
      for (const r of s.replicas) this.shardOfNode.set(r, i);
    });
    this.primaryAddress = doc.shards.map((s) => {
      const n = this.nodeById.get(s.primary)!;
      return `${n.host}:${n.port}`;
    });
    let assigned = 0;
    for (const [start, end, shard] of doc.slots) {
      this.slotShard.fill(shardIndex.get(shard)!, start, end + 1);
      assigned += end - start + 1;
    }
    this.assignedSlots = assigned;
    this.ranges = sortedRanges(doc.slots);
  }

  get fullCoverage(): boolean {
    return this.assignedSlots === SLOT_COUNT;
  }

  /** Whether `doc` should replace this topology. */
  isNewer(doc: TopologyDoc): boolean {
    return doc.epoch > this.epoch;
  }

  /** Contiguous runs of slots with one owner, in slot order: [start, end, shardIndex]. */
  slotRanges(): ReadonlyArray<readonly [number, number, number]> {
    // Once per topology: CLUSTER SLOTS / SHARDS / NODES ask for it, clients after every MOVED.
    if (this.indexRanges !== null) return this.indexRanges;
    const out: Array<[number, number, number]> = [];
    const t = this.slotShard;
    let start = 0;
    for (let i = 1; i <= SLOT_COUNT; i++) {
      if (i === SLOT_COUNT || t[i] !== t[start]) {
        if (t[start] !== UNASSIGNED) out.push([start, i - 1, t[start]]);
        start = i;
      }
    }
    this.indexRanges = out;
    return out;
  }

  /** The nodes of a shard, primary first. */
  shardNodes(index: number): TopologyNodeDoc[] {
    const s = this.doc.shards[index];
    return [s.primary, ...s.replicas].map((id) => this.nodeById.get(id)!);
  }
}
