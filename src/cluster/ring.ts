// Slot placement: which shard owns each of the 16384 slots. A consistent-hash ring with virtual
// nodes and weights proposes owners; a balancing pass turns that into the slot table a cluster
// stores (a Uint16Array of shard indices), built from scratch or changed incrementally.
//
// THE RING. Each shard puts round(vnodes * weight) points on a 32-bit circle, at
// hash(`${shardId}#${i}`) (murmur3_32 unless a hash is injected). Slots sit at evenly spaced
// points, slot s at s * 2^18, and a slot's ring owner is the shard of the first vnode clockwise
// from it (a vnode exactly at the slot's point counts). Evenly spaced slot points, rather than
// hashed ones, make every vnode own a contiguous run of slots, so the table is a few hundred to a
// few thousand ranges (what the topology document and CLUSTER SLOTS carry) instead of ~16384
// single slots, and they remove the binomial noise of hashing 16384 slots into arcs. Equal points
// are ordered by shard id, so the placement never depends on the order shards are listed in.
// A slot's ring walk is the sequence of distinct shards met going clockwise from its point: the
// owner first (depth 0), then the shard it would fall to if the owner left (depth 1), and so on.
//
// WHY A BALANCING PASS. The arcs a shard's vnodes own vary in length: with V vnodes a shard's
// share has a relative spread of about 1/sqrt(V), so the largest of N shards sits 2-3 spreads
// above the mean. Measured below, max/mean is still 1.18 at 512 vnodes (by that spread, 1.05
// would take a few thousand), and that many vnodes cut the table into as many ranges as there
// are slots. So the ring only proposes, and integer quotas decide: quota_i is 16384 * weight_i /
// total weight, rounded by largest remainder (ties by id) so the quotas sum to 16384 and each is
// within one slot of exact.
//
// SETTLING TO QUOTAS (shared by build and rebalance). Donors are shards holding more than their
// quota, receivers shards holding less; a donor gives exactly its excess and a receiver takes
// exactly its deficit, so the slots moved are the least the quotas require. Which slots move:
// in rounds by walk depth d = 0, 1, 2, ...; in round d every slot of a donor still over quota
// looks at the d-th shard of its walk, and if that shard is a receiver still under quota the
// slot is a candidate. A round's candidates go in order of clockwise distance from the slot to
// the receiver's vnode, and each is moved while its donor is over and its receiver under quota.
// Nearest first means a receiver's arc grows backwards into the arc before it, one contiguous
// run at a time, so balancing keeps the table in few ranges. The walk gets deeper until every
// deficit is met; it always ends, because a receiver still short at the end would have been
// offered every remaining slot of every donor still over quota (each walk reaches every shard).
//
// FROM SCRATCH (buildSlotTable): every slot starts at its ring owner, then settles. Its own owner
// is never a receiver (owners with slots to give are over quota), so depth 0 moves nothing.
//
// INCREMENTAL (rebalanceSlotTable): shards present before and after keep their slots; removed
// shards become donors with quota 0 (all their slots must go); then everything settles on the
// new ring. Depth 0 is where the new ring matters: an added shard first takes slots it owns on
// the new ring (from donors above their new quota only), a removed shard's slot first goes to its
// new ring owner if that one has room, and deeper rounds follow the walk. Every donor gives
// exactly its excess whichever donor goes first, so the order among donors is the ring's, not
// "most over quota first". Which shards round up is chosen to avoid movement: seats go first to
// shards already holding more than their floor (no move), then to shards that are receivers
// anyway, last to shards that would become receivers only for that seat. The result, with equal
// weights: adding shards moves slots only to the added shards, exactly their quotas (1/(N+1) of
// the slots for one more shard); removing shards moves only the removed shards' slots; both at
// once move only slots of removed shards or to added ones. With unequal (unchanged) weights the
// same holds up to rounding: a kept shard's share shrinks on add and grows on remove, but its
// quota is a floor or ceiling, so it can still need one slot more (add) or one fewer (remove),
// e.g. shares 16.82 x 7 and 16266.29, one light shard removed: the six kept light shards held
// 17 each but now total 6 x 16.83 = 101, so one of them hands a slot to the heavy one. So at most
// one slot per kept shard moves between kept shards, and none with equal weights. When weights
// change, kept shards also give or take the difference between their counts and new quotas.
//
// VNODES, measured (N = 3..64 shards of weight 1, ids shard-0.., murmur3). "Balancing moves":
// slots the balancing pass takes from their ring owner. "Ranges": maximal runs in the balanced
// table, built at N, or grown 3 -> 64 one shard at a time with rebalanceSlotTable. "Rebuild
// extra": slots a from-scratch rebuild at N+1 moves beyond the 1/(N+1) the incremental path moves.
// "Build": buildSlotTable at N=64, median of 7 runs on a shared 2-CPU machine (noisy, +-2x).
//
//   vnodes | ring-only max/mean   | balancing moves | ranges in the table       | rebuild extra | build
//          | median  worst  N=64  | mean    worst   |  N=16    N=64   grown 64  | median  worst | N=64
//   -------+----------------------+-----------------+---------------------------+---------------+-------
//       16 | 1.457   1.694  1.547 |  8.6%   12.8%   |   241     946     2390    |  3.7%   8.1%  | 1.6 ms
//       40 | 1.338   1.497  1.305 |  6.2%    8.2%   |   565    2287     3528    |  2.5%   6.6%  | 1.6 ms
//       64 | 1.239   1.332  1.332 |  4.5%    5.6%   |   902    3500     4522    |  2.1%   5.3%  | 2.1 ms
//      100 | 1.206   1.271  1.215 |  4.1%    6.2%   |  1407    5289     6012    |  1.6%   3.9%  | 2.4 ms
//      160 | 1.149   1.243  1.156 |  3.0%    3.8%   |  2202    7592     8214    |  1.3%   2.4%  | 3.4 ms
//      256 | 1.115   1.174  1.172 |  2.5%    3.5%   |  3421   10302    10794    |  1.1%   3.5%  | 4.9 ms
//      512 | 1.100   1.176  1.176 |  1.8%    2.3%   |  6214   14004    14209    |  0.8%   1.6%  | 10.5 ms
//
// (Hashed slot points, hash(`slot:${s}`), at 160 vnodes: ring-only max/mean median 1.177, worst
// 1.255, and 16152 ranges at N=64 before any balancing: nearly every slot its own range.)
//
// DEFAULT_VNODES = 64. Every vnode count gives exact quotas after balancing, and adding a shard
// moves exactly its quota whatever the count, so vnodes only trade how closely the table follows
// the pure ring (balancing moves, rebuild extra) against how many ranges it falls into (the size
// of the topology document and of every CLUSTER SLOTS / CLUSTER SHARDS reply). 64 keeps the
// balancing pass under 6% of the slots at every N with under half the ranges of 160; below 64
// the balancing pass overrides the ring for 8-13% of the slots and rebuilds stray further.

import { murmur3_32 } from './hash.js';
import { SLOT_COUNT } from './slot.js';

export interface Shard {
  readonly id: string;
  /** Relative share of the slots, >= 0 (0 drains the shard); default 1. */
  readonly weight?: number;
}

export interface RingOptions {
  /** Vnodes per unit of weight; a shard gets round(vnodes * weight), at least 1 if weight > 0. */
  readonly vnodes?: number;
  /** 32-bit hash of a vnode's name `${shardId}#${i}`; default murmur3_32. */
  readonly hash?: (s: string) => number;
}

export const DEFAULT_VNODES = 64;

/** The most vnodes a ring may have in all (sum over shards of round(vnodes * weight)). */
export const MAX_VNODES = 1 << 22;

/** Distance between consecutive slots' points on the ring: 2^32 / 16384. */
export const SLOT_SPACING = 2 ** 32 / SLOT_COUNT;

/** Where slot `slot` sits on the ring. */
export function slotPoint(slot: number): number {
  return slot * SLOT_SPACING;
}

interface Ring {
  /** Vnode points, ascending. */
  readonly points: Uint32Array;
  /** Shard index of each point. */
  readonly owners: Int32Array;
  /** Per slot, the index of the first point clockwise from the slot's point. */
  readonly firstVnode: Int32Array;
  /** Shards with at least one vnode. */
  readonly shardsOnRing: number;
}

function weightOf(shard: Shard): number {
  return shard.weight ?? 1;
}

function checkShards(shards: readonly Shard[], what: string): void {
  if (shards.length === 0) throw new RangeError(`${what}: at least one shard is needed`);
  if (shards.length > SLOT_COUNT) throw new RangeError(`${what}: more shards than slots`);
  const ids = new Set<string>();
  let total = 0;
  for (const shard of shards) {
    if (typeof shard.id !== 'string' || shard.id === '') throw new RangeError(`${what}: shard ids must be non-empty strings`);
    if (ids.has(shard.id)) throw new RangeError(`${what}: duplicate shard id ${JSON.stringify(shard.id)}`);
    ids.add(shard.id);
    const w = weightOf(shard);
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`${what}: weight of ${JSON.stringify(shard.id)} must be a finite number >= 0`);
    total += w;
  }
  if (!(total > 0)) throw new RangeError(`${what}: the total weight must be positive`);
}

/** Rank of each shard when sorted by id: the tie-break that keeps results order-independent. */
function idRanks(shards: readonly Shard[]): Int32Array {
  const order = shards.map((_, i) => i).sort((a, b) => (shards[a].id < shards[b].id ? -1 : 1));
  const rank = new Int32Array(shards.length);
  order.forEach((shard, r) => (rank[shard] = r));
  return rank;
}

function vnodeCount(shard: Shard, vnodes: number): number {
  const w = weightOf(shard);
  return w === 0 ? 0 : Math.max(1, Math.round(vnodes * w));
}

function buildRing(shards: readonly Shard[], opts: RingOptions | undefined): Ring {
  const vnodes = opts?.vnodes ?? DEFAULT_VNODES;
  if (!Number.isInteger(vnodes) || vnodes < 1) throw new RangeError('vnodes must be an integer >= 1');
  const hash = opts?.hash ?? murmur3_32;
  const rank = idRanks(shards);
  let total = 0;
  for (const shard of shards) total += vnodeCount(shard, vnodes);
  if (total > MAX_VNODES) throw new RangeError(`${total} vnodes in all: more than ${MAX_VNODES} (lower vnodes or the weights)`);
  const rawPoints = new Uint32Array(total);
  const rawOwners = new Int32Array(total);
  const rawIndex = new Int32Array(total);
  let k = 0;
  shards.forEach((shard, owner) => {
    const count = vnodeCount(shard, vnodes);
    for (let i = 0; i < count; i++, k++) {
      rawPoints[k] = hash(`${shard.id}#${i}`) >>> 0;
      rawOwners[k] = owner;
      rawIndex[k] = i;
    }
  });
  const order = new Uint32Array(total).map((_, i) => i);
  order.sort(
    (a, b) => rawPoints[a] - rawPoints[b] || rank[rawOwners[a]] - rank[rawOwners[b]] || rawIndex[a] - rawIndex[b],
  );
  const points = new Uint32Array(total);
  const owners = new Int32Array(total);
  for (let i = 0; i < total; i++) {
    points[i] = rawPoints[order[i]];
    owners[i] = rawOwners[order[i]];
  }
  // Slot points ascend too, so one merge-like sweep finds each slot's first vnode clockwise.
  const firstVnode = new Int32Array(SLOT_COUNT);
  for (let s = 0, j = 0; s < SLOT_COUNT; s++) {
    const p = slotPoint(s);
    while (j < total && points[j] < p) j++;
    firstVnode[s] = j === total ? 0 : j;
  }
  return { points, owners, firstVnode, shardsOnRing: shards.filter((shard) => weightOf(shard) > 0).length };
}

/**
 * Integer quotas summing to SLOT_COUNT, each the floor or ceiling of the shard's exact share.
 * Without `held`, the seats left after the floors go by largest remainder, ties by id. With
 * `held` (slots each shard holds now), seats go first to shards holding more than their floor,
 * then to shards below their floor, then to the rest, by largest remainder within each class.
 * A shard whose exact share is an integer never takes a seat, so every quota is strictly within
 * one slot of exact (there are always more shards with a remainder than seats: their sum).
 */
function quotasOf(shards: readonly Shard[], held?: Int32Array): Int32Array {
  const n = shards.length;
  const rank = idRanks(shards);
  const byId = shards.map((_, i) => i).sort((a, b) => rank[a] - rank[b]);
  let total = 0;
  for (const i of byId) total += weightOf(shards[i]);
  const quota = new Int32Array(n);
  const remainder = new Float64Array(n);
  let seats = SLOT_COUNT;
  for (let i = 0; i < n; i++) {
    const exact = (SLOT_COUNT * weightOf(shards[i])) / total;
    quota[i] = Math.floor(exact);
    remainder[i] = exact - quota[i];
    seats -= quota[i];
  }
  const seatClass = (i: number): number => {
    if (remainder[i] === 0) return 3; // an exact share never rounds up (this covers weight 0)
    if (!held) return 0;
    return held[i] > quota[i] ? 0 : held[i] < quota[i] ? 1 : 2;
  };
  const order = byId.slice().sort((a, b) => seatClass(a) - seatClass(b) || remainder[b] - remainder[a] || rank[a] - rank[b]);
  // Hand out the seats the floors leave, in that order. (Rounding of the shares could in theory
  // make the floors overshoot by a seat; the second loop takes it back from the end of the order.)
  for (let k = 0; seats > 0; k = (k + 1) % n, seats--) quota[order[k]]++;
  for (let k = n - 1; seats < 0; k = (k + n - 1) % n) {
    if (quota[order[k]] > 0) {
      quota[order[k]]--;
      seats++;
    }
  }
  return quota;
}

/** Each shard's quota of slots when built from scratch (largest remainder, ties by id). */
export function slotQuotas(shards: readonly Shard[]): number[] {
  checkShards(shards, 'slotQuotas');
  return Array.from(quotasOf(shards));
}

/**
 * Moves slots from shards over their quota to shards under it (algorithm in the file header):
 * rounds by ring-walk depth, nearest candidates first. `owner` may hold indices past the ring's
 * shards (removed shards, quota 0). Returns the number of slots moved.
 */
function settle(owner: Int32Array, quota: Int32Array, ring: Ring): number {
  const count = new Int32Array(quota.length);
  for (let s = 0; s < SLOT_COUNT; s++) count[owner[s]]++;
  let deficit = 0;
  for (let i = 0; i < quota.length; i++) if (count[i] < quota[i]) deficit += quota[i] - count[i];
  if (deficit === 0) return 0;

  // Walk j is the walk of slot slots[j]; walks[d][j] is its d-th shard, at ring index at[j].
  // `live` lists the walks whose donor is still over quota, in slot order.
  const { points, owners } = ring;
  const length = points.length;
  let over = 0;
  for (let s = 0; s < SLOT_COUNT; s++) if (count[owner[s]] > quota[owner[s]]) over++;
  const slots = new Int32Array(over);
  for (let s = 0, j = 0; s < SLOT_COUNT; s++) if (count[owner[s]] > quota[owner[s]]) slots[j++] = s;
  const walks: Int32Array[] = [];
  const at = new Int32Array(slots.length);
  const live = new Int32Array(slots.length);
  for (let j = 0; j < live.length; j++) live[j] = j;
  const candidates = new Float64Array(slots.length);
  let liveCount = live.length;
  let moved = 0;
  for (let depth = 0; deficit > 0; depth++) {
    if (liveCount === 0 || depth === ring.shardsOnRing) throw new Error('settle: deficits left with no slot to give (cannot happen)');
    const shardAt = new Int32Array(slots.length);
    walks.push(shardAt);
    let kept = 0;
    let found = 0;
    for (let k = 0; k < liveCount; k++) {
      const j = live[k];
      const s = slots[j];
      const donor = owner[s];
      if (count[donor] <= quota[donor]) continue;
      let p: number;
      if (depth === 0) {
        p = ring.firstVnode[s];
      } else {
        p = at[j];
        for (let seen = true; seen; ) {
          p = p + 1 === length ? 0 : p + 1;
          seen = false;
          for (let d = 0; d < depth && !seen; d++) seen = walks[d][j] === owners[p];
        }
      }
      at[j] = p;
      const receiver = (shardAt[j] = owners[p]);
      live[kept++] = j;
      if (count[receiver] < quota[receiver]) {
        const distance = (points[p] - slotPoint(s)) >>> 0;
        candidates[found++] = distance * SLOT_COUNT + j; // exact in a double: < 2^46
      }
    }
    liveCount = kept;
    const sorted = candidates.subarray(0, found).sort();
    for (let c = 0; c < found; c++) {
      const key = sorted[c];
      const j = key % SLOT_COUNT;
      const s = slots[j];
      const donor = owner[s];
      const receiver = shardAt[j];
      if (count[donor] > quota[donor] && count[receiver] < quota[receiver]) {
        owner[s] = receiver;
        count[donor]--;
        count[receiver]++;
        deficit--;
        moved++;
      }
    }
  }
  return moved;
}

/** The pure ring's owner for every slot, without balancing (for measurement and tests). */
export function ringOwnerTable(shards: readonly Shard[], opts?: RingOptions): Uint16Array {
  checkShards(shards, 'ringOwnerTable');
  const ring = buildRing(shards, opts);
  const table = new Uint16Array(SLOT_COUNT);
  for (let s = 0; s < SLOT_COUNT; s++) table[s] = ring.owners[ring.firstVnode[s]];
  return table;
}

/**
 * The slot table for `shards` from scratch: slot -> index into `shards`, every shard holding
 * exactly its `slotQuotas` share. Deterministic, and the same slot -> shard id assignment
 * whatever order the shards are listed in.
 */
export function buildSlotTable(shards: readonly Shard[], opts?: RingOptions): Uint16Array {
  checkShards(shards, 'buildSlotTable');
  const ring = buildRing(shards, opts);
  const owner = new Int32Array(SLOT_COUNT);
  for (let s = 0; s < SLOT_COUNT; s++) owner[s] = ring.owners[ring.firstVnode[s]];
  settle(owner, quotasOf(shards), ring);
  return new Uint16Array(owner);
}

/**
 * The slot table after the shard set changes from `prevShards` (which `prevTable` indexes) to
 * `nextShards` (which the result indexes), matched by id. Moves only what the new quotas
 * require, no shard both giving and taking: with equal weights, slots move only to added shards
 * and from removed ones; with unequal ones, rounding adds at most one slot per kept shard (see
 * the file header). Weights of `prevShards` are not used; `prevTable` need not be balanced (the
 * bounds assume it is: each shard within one slot of its share).
 */
export function rebalanceSlotTable(
  prevTable: Uint16Array,
  prevShards: readonly Shard[],
  nextShards: readonly Shard[],
  opts?: RingOptions,
): Uint16Array {
  checkShards(prevShards, 'rebalanceSlotTable (previous shards)');
  checkShards(nextShards, 'rebalanceSlotTable (next shards)');
  if (prevTable.length !== SLOT_COUNT) throw new RangeError(`rebalanceSlotTable: the table must have ${SLOT_COUNT} slots`);
  const n = nextShards.length;
  const nextIndex = new Map(nextShards.map((shard, i) => [shard.id, i]));
  // Removed shards get indices n, n+1, ...: donors with quota 0 and no vnodes.
  let removed = 0;
  const toNext = prevShards.map((shard) => nextIndex.get(shard.id) ?? n + removed++);
  const owner = new Int32Array(SLOT_COUNT);
  const held = new Int32Array(n);
  for (let s = 0; s < SLOT_COUNT; s++) {
    const prev = prevTable[s];
    if (prev >= prevShards.length) throw new RangeError(`rebalanceSlotTable: slot ${s} names shard ${prev} of ${prevShards.length}`);
    owner[s] = toNext[prev];
    if (owner[s] < n) held[owner[s]]++;
  }
  const quota = new Int32Array(n + removed);
  quota.set(quotasOf(nextShards, held));
  settle(owner, quota, buildRing(nextShards, opts));
  return new Uint16Array(owner);
}

/** Slots held by each of the n shards a table indexes. */
export function slotsPerShard(table: Uint16Array, n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (const shard of table) {
    if (shard >= n) throw new RangeError(`slotsPerShard: table names shard ${shard} of ${n}`);
    counts[shard]++;
  }
  return counts;
}

/** The table as maximal runs of one shard: [first slot, last slot (inclusive), shard index]. */
export function slotRanges(table: Uint16Array): Array<[number, number, number]> {
  const ranges: Array<[number, number, number]> = [];
  for (let s = 0; s < table.length; ) {
    let end = s;
    while (end + 1 < table.length && table[end + 1] === table[s]) end++;
    ranges.push([s, end, table[s]]);
    s = end + 1;
  }
  return ranges;
}
