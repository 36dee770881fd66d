// Resharding plans as edits of the topology document (docs/resharding.md): what `corral cluster
// add-shard / remove-shard / rebalance / migrations ...` ask the controller for, each a pure
// function from the current document to the next one (epoch + 1) or a reason to refuse.
//
// Where slots go is the consistent-hash ring's answer (cluster/ring.ts rebalanceSlotTable): from
// the current slot table and shard set to the next shard set, moving only what the new quotas
// require — with equal weights, slots move only to an added shard or away from a removed one.
// The plan lists those slots with their target shard; a slot's source is always its current owner
// in the document, so the plan never disagrees with the slot table about who holds a slot.

import { rebalanceSlotTable, type Shard } from '../cluster/ring.js';
import { SLOT_COUNT } from '../cluster/slot.js';
import { assignSlots, sortedRanges, sortedSlots, withoutSlots } from '../cluster/slot-ranges.js';
import { Topology, nodeIdFor, parseTopology, UNASSIGNED, type ReshardPlanDoc, type TopologyDoc } from '../cluster/topology.js';
import { nextDocDraft } from './decisions-view.js';

export type PlanEdit = { doc: TopologyDoc; plan: ReshardPlanDoc | null } | { error: string };

export interface ReshardRequest {
  /** The plan's id (unique: the CLI follows the plan by it). */
  id: string;
  /** Wall-clock ms (the plan's startedAt). */
  now: number;
  /** Bytes per second per source node (0: no limit). */
  rate: number;
}

/** The current slot table as shard indices, or an error when some slot has no owner. */
function currentTable(doc: TopologyDoc): Uint16Array | string {
  const t = new Topology(doc);
  for (let s = 0; s < SLOT_COUNT; s++) if (t.slotShard[s] === UNASSIGNED) return `slot ${s} has no owner: the cluster must cover every slot to reshard`;
  return t.slotShard;
}

/** Slots whose owner differs between two tables, as [start, end, target shard id] runs. */
function movesBetween(prev: Uint16Array, prevShards: readonly Shard[], next: Uint16Array, nextShards: readonly Shard[]): Array<[number, number, string]> {
  const moves: Array<[number, number, string]> = [];
  for (let s = 0; s < SLOT_COUNT; s++) {
    const to = nextShards[next[s]].id;
    if (prevShards[prev[s]].id === to) continue;
    const last = moves[moves.length - 1];
    if (last !== undefined && last[1] === s - 1 && last[2] === to) last[1] = s;
    else moves.push([s, s, to]);
  }
  return moves;
}

function slotCount(moves: ReadonlyArray<[number, number, string]>): number {
  return moves.reduce((n, [a, b]) => n + b - a + 1, 0);
}

function busy(doc: TopologyDoc): string | null {
  return doc.plan === undefined ? null : `resharding plan ${doc.plan.id} is in progress (corral cluster migrations status|cancel)`;
}

/** Puts a plan moving the draft's slots to `nextShards` into the draft; null when nothing moves. */
function withPlan(draft: TopologyDoc, prev: Uint16Array, nextShards: Shard[], kind: ReshardPlanDoc['kind'], req: ReshardRequest, retire?: string): ReshardPlanDoc | null {
  const prevShards = draft.shards.map((s) => ({ id: s.id, weight: s.weight }));
  // Shards added by this edit hold no slots yet: they are in nextShards, not in prev's indices.
  const next = rebalanceSlotTable(prev, prevShards, nextShards);
  const moves = movesBetween(prev, prevShards, next, nextShards);
  if (moves.length === 0 && retire === undefined) return null;
  const plan: ReshardPlanDoc = { id: req.id, kind, paused: false, rate: req.rate, moves, total: slotCount(moves), startedAt: req.now };
  if (retire !== undefined) plan.retire = retire;
  draft.plan = plan;
  return plan;
}

/** add-shard: `host:port` becomes the primary of a new shard, and about 1/(N+1) of the slots move to it. */
export function planAddShard(doc: TopologyDoc, host: string, port: number, weight: number, req: ReshardRequest): PlanEdit {
  const why = busy(doc);
  if (why !== null) return { error: why };
  if (!(weight > 0) || !Number.isFinite(weight)) return { error: 'the weight must be a positive number' };
  const prev = currentTable(doc);
  if (typeof prev === 'string') return { error: prev };
  const id = nodeIdFor(host, port);
  if (doc.shards.some((s) => s.primary === id)) return { error: `${host}:${port} is already the primary of a shard` };
  const shardId = `${host}:${port}`;
  if (doc.shards.some((s) => s.id === shardId)) return { error: `a shard named ${shardId} exists already` };
  const draft = nextDocDraft(doc);
  // A node placed as a replica (started with the coordinator, it joined as one) leaves its shard;
  // the keys it copied there are not its new shard's, and are removed when it becomes primary.
  for (const s of draft.shards) s.replicas = s.replicas.filter((r) => r !== id);
  const node = draft.nodes.find((n) => n.id === id);
  if (node === undefined) draft.nodes.push({ id, host, port });
  else delete node.failed;
  if (draft.retired !== undefined) {
    draft.retired = draft.retired.filter((r) => r !== id);
    if (draft.retired.length === 0) delete draft.retired;
  }
  const nextShards = [...draft.shards.map((s) => ({ id: s.id, weight: s.weight })), { id: shardId, weight }];
  const plan = withPlan(draft, prev, nextShards, 'add-shard', req);
  draft.shards.push({ id: shardId, weight, primary: id, replicas: [] });
  return { doc: parseTopology(draft), plan };
}

/** remove-shard: the slots of the shard whose primary is `host:port` move to the others; then it leaves. */
export function planRemoveShard(doc: TopologyDoc, host: string, port: number, req: ReshardRequest): PlanEdit {
  const why = busy(doc);
  if (why !== null) return { error: why };
  const prev = currentTable(doc);
  if (typeof prev === 'string') return { error: prev };
  const id = nodeIdFor(host, port);
  const shard = doc.shards.find((s) => s.primary === id);
  if (shard === undefined) return { error: `${host}:${port} is not the primary of a shard` };
  if (doc.shards.length === 1) return { error: 'the last shard cannot be removed' };
  const draft = nextDocDraft(doc);
  const nextShards = draft.shards.filter((s) => s.id !== shard.id).map((s) => ({ id: s.id, weight: s.weight }));
  const plan = withPlan(draft, prev, nextShards, 'remove-shard', req, shard.id);
  // A shard that owns no slot leaves at once.
  return { doc: finishPlan(draft), plan };
}

/**
 * rebalance: sets the weights given (by shard id, or by the address of a shard's primary), then
 * moves the slots the new quotas require. With no change of weight it still evens out a table
 * that drifted from its quotas. Refused when nothing would change.
 */
export function planRebalance(doc: TopologyDoc, weights: ReadonlyMap<string, number>, req: ReshardRequest): PlanEdit {
  const why = busy(doc);
  if (why !== null) return { error: why };
  const prev = currentTable(doc);
  if (typeof prev === 'string') return { error: prev };
  const draft = nextDocDraft(doc);
  let changed = false;
  for (const [name, w] of weights) {
    if (!(w > 0) || !Number.isFinite(w)) return { error: `the weight of ${name} must be a positive number` };
    const shard = draft.shards.find((s) => s.id === name || draft.nodes.some((n) => n.id === s.primary && `${n.host}:${n.port}` === name));
    if (shard === undefined) return { error: `no shard ${name}` };
    if (shard.weight !== w) changed = true;
    shard.weight = w;
  }
  const nextShards = draft.shards.map((s) => ({ id: s.id, weight: s.weight }));
  const plan = withPlan(draft, prev, nextShards, 'rebalance', req);
  if (plan === null && !changed) return { error: 'the slots are already where the weights put them' };
  return { doc: parseTopology(draft), plan };
}

/** pause / resume / cancel / rate of the plan in progress. */
export function editPlan(doc: TopologyDoc, edit: { kind: 'pause' } | { kind: 'resume' } | { kind: 'cancel' } | { kind: 'rate'; rate: number }): PlanEdit {
  if (doc.plan === undefined) return { error: 'no resharding plan is in progress' };
  const draft = nextDocDraft(doc);
  const plan = draft.plan!;
  switch (edit.kind) {
    case 'pause':
      if (plan.paused) return { error: `plan ${plan.id} is paused already` };
      plan.paused = true;
      break;
    case 'resume':
      if (!plan.paused) return { error: `plan ${plan.id} is not paused` };
      plan.paused = false;
      break;
    case 'cancel':
      // What moved stays moved (a rebalance can even it out); nothing else moves.
      delete draft.plan;
      return { doc: parseTopology(draft), plan: null };
    case 'rate':
      if (!Number.isSafeInteger(edit.rate) || edit.rate < 0) return { error: 'the rate must be a non-negative number of bytes per second' };
      plan.rate = edit.rate;
      break;
  }
  return { doc: parseTopology(draft), plan };
}

/**
 * The switch of a batch: `slots` now belong to shard `to`, and leave the plan. When the plan has
 * nothing left it ends, and a shard it retires (which by then owns no slot) leaves the document
 * with its nodes, which are remembered as retired so that the controller does not place them
 * again.
 */
export function switchSlots(doc: TopologyDoc, slots: readonly number[], to: string | null): TopologyDoc {
  const draft = nextDocDraft(doc);
  // By ranges (cluster/slot-ranges.ts): the controller runs this at every switch, a few a second.
  const moving = sortedSlots(slots);
  // to null: the slots are already where the plan sends them; they only leave the plan (the
  // ranges are still merged into maximal runs).
  draft.slots = assignSlots(sortedRanges(draft.slots), to === null ? [] : moving, to ?? '');
  if (draft.plan !== undefined) draft.plan.moves = withoutSlots(draft.plan.moves, moving);
  return finishPlan(draft);
}

/** Ends a draft's plan when nothing is left to move, retiring its shard if it owns no slot. */
export function finishPlan(draft: TopologyDoc): TopologyDoc {
  const plan = draft.plan;
  if (plan === undefined || plan.moves.length > 0) return parseTopology(draft);
  delete draft.plan;
  const retire = plan.retire;
  if (retire !== undefined && !draft.slots.some((r) => r[2] === retire)) {
    const shard = draft.shards.find((s) => s.id === retire);
    if (shard !== undefined) {
      const leaving = new Set([shard.primary, ...shard.replicas]);
      draft.shards = draft.shards.filter((s) => s.id !== retire);
      draft.nodes = draft.nodes.filter((n) => !leaving.has(n.id));
      draft.retired = [...new Set([...(draft.retired ?? []), ...leaving])];
    }
  }
  return parseTopology(draft);
}
