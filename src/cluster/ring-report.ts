// The figures behind `corral ring --shards N [--vnodes K]`: how evenly N shards split the slots
// and what growing to N+1 shards moves, for the ring alone, the balanced table (grown
// incrementally, or rebuilt from scratch) and naive `hash % N` placement. Pure: `ringFigures`
// computes the numbers, `ringReport` lays them out as aligned text.

import { murmur3_32 } from './hash.js';
import { buildSlotTable, DEFAULT_VNODES, rebalanceSlotTable, ringOwnerTable, slotRanges, type Shard } from './ring.js';
import { keySlot, SLOT_COUNT } from './slot.js';

export interface RingReportOptions {
  /** Shards before growing, >= 1 (all of weight 1, ids shard-0 .. shard-(N-1)). */
  readonly shards: number;
  /** Vnodes per shard; default DEFAULT_VNODES. */
  readonly vnodes?: number;
  /** Keys key:0 .. key:(K-1) used to measure key movement; default 100000. */
  readonly sampleKeys?: number;
}

export interface Balance {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly maxOverMean: number;
  /** Maximal runs of slots on one shard (what CLUSTER SLOTS lists). */
  readonly ranges: number;
}

export interface Movement {
  readonly slotsMoved: number;
  /** slotsMoved / 16384. */
  readonly slotShare: number;
  readonly keysMoved: number;
  /** keysMoved / sampleKeys. */
  readonly keyShare: number;
  /** Every moved slot and key went to the new shard. */
  readonly allToNewShard: boolean;
}

export type Placement = 'ring' | 'balanced' | 'rebuilt' | 'modulo';

export interface RingFigures {
  readonly shards: number;
  readonly vnodes: number;
  readonly sampleKeys: number;
  /** Slots per shard at N shards ('rebuilt' is the same table as 'balanced' at N, so absent). */
  readonly balance: Readonly<Record<Exclude<Placement, 'rebuilt'>, Balance>>;
  /** Slots the balancing pass took from their ring owner at N shards. */
  readonly balancingMoves: number;
  /** 1 / (N + 1): the least share that growing to N+1 equal shards can move. */
  readonly idealShare: number;
  /** Growing from N to N+1 shards. */
  readonly growth: Readonly<Record<Placement, Movement>>;
}

const PLACEMENT_LABELS: Record<Placement, string> = {
  ring: 'ring only',
  balanced: 'ring + balancing',
  rebuilt: 'balanced, rebuilt',
  modulo: 'hash % N',
};

function shardList(n: number): Shard[] {
  return Array.from({ length: n }, (_, i) => ({ id: `shard-${i}` }));
}

function balanceOf(table: Uint16Array, n: number): Balance {
  const counts = new Array<number>(n).fill(0);
  for (const shard of table) counts[shard]++;
  const mean = table.length / n;
  const max = Math.max(...counts);
  return { min: Math.min(...counts), max, mean, maxOverMean: max / mean, ranges: slotRanges(table).length };
}

/**
 * Movement between two placements of the same slots and keys, where the new shard is index
 * `newShard` and every other index names the same shard before and after.
 */
function movementOf(
  slotsBefore: ArrayLike<number>,
  slotsAfter: ArrayLike<number>,
  keysBefore: ArrayLike<number>,
  keysAfter: ArrayLike<number>,
  newShard: number,
): Movement {
  let slotsMoved = 0;
  let keysMoved = 0;
  let allToNewShard = true;
  for (let s = 0; s < slotsBefore.length; s++) {
    if (slotsBefore[s] === slotsAfter[s]) continue;
    slotsMoved++;
    if (slotsAfter[s] !== newShard) allToNewShard = false;
  }
  for (let k = 0; k < keysBefore.length; k++) {
    if (keysBefore[k] === keysAfter[k]) continue;
    keysMoved++;
    if (keysAfter[k] !== newShard) allToNewShard = false;
  }
  return {
    slotsMoved,
    slotShare: slotsMoved / slotsBefore.length,
    keysMoved,
    keyShare: keysBefore.length === 0 ? 0 : keysMoved / keysBefore.length,
    allToNewShard,
  };
}

/** Keys placed by their slot's owner in `table`. */
function keysByTable(keySlots: Uint16Array, table: Uint16Array): Uint16Array {
  return keySlots.map((slot) => table[slot]);
}

/**
 * The numbers of the ring report. `hash % N` places slot s on shard s % N (the slot number is
 * already a hash of the key) and key k on murmur3_32(k) % N.
 */
export function ringFigures(opts: RingReportOptions): RingFigures {
  const n = opts.shards;
  const vnodes = opts.vnodes ?? DEFAULT_VNODES;
  const sampleKeys = opts.sampleKeys ?? 100_000;
  if (!Number.isInteger(n) || n < 1 || n >= SLOT_COUNT) throw new RangeError(`shards must be an integer from 1 to ${SLOT_COUNT - 1}`);
  if (!Number.isInteger(vnodes) || vnodes < 1) throw new RangeError('vnodes must be an integer >= 1');
  if (!Number.isInteger(sampleKeys) || sampleKeys < 0) throw new RangeError('sampleKeys must be an integer >= 0');

  const before = shardList(n);
  const after = shardList(n + 1);
  const ring = { vnodes };
  const keySlots = new Uint16Array(sampleKeys);
  const keyHashes = new Uint32Array(sampleKeys);
  for (let k = 0; k < sampleKeys; k++) {
    const key = `key:${k}`;
    keySlots[k] = keySlot(key);
    keyHashes[k] = murmur3_32(key);
  }

  const ringBefore = ringOwnerTable(before, ring);
  const ringAfter = ringOwnerTable(after, ring);
  const balancedBefore = buildSlotTable(before, ring);
  const balancedAfter = rebalanceSlotTable(balancedBefore, before, after, ring);
  const rebuiltAfter = buildSlotTable(after, ring);
  const moduloBefore = new Uint16Array(SLOT_COUNT).map((_, s) => s % n);
  const moduloAfter = new Uint16Array(SLOT_COUNT).map((_, s) => s % (n + 1));

  let balancingMoves = 0;
  for (let s = 0; s < SLOT_COUNT; s++) if (ringBefore[s] !== balancedBefore[s]) balancingMoves++;

  const byTables = (t0: Uint16Array, t1: Uint16Array): Movement =>
    movementOf(t0, t1, keysByTable(keySlots, t0), keysByTable(keySlots, t1), n);
  return {
    shards: n,
    vnodes,
    sampleKeys,
    balance: {
      ring: balanceOf(ringBefore, n),
      balanced: balanceOf(balancedBefore, n),
      modulo: balanceOf(moduloBefore, n),
    },
    balancingMoves,
    idealShare: 1 / (n + 1),
    growth: {
      ring: byTables(ringBefore, ringAfter),
      balanced: byTables(balancedBefore, balancedAfter),
      rebuilt: byTables(balancedBefore, rebuiltAfter),
      modulo: movementOf(
        moduloBefore,
        moduloAfter,
        keyHashes.map((h) => h % n),
        keyHashes.map((h) => h % (n + 1)),
        n,
      ),
    },
  };
}

/** Rows of cells as text: the first column left-aligned, the others right-aligned. */
function columns(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ').trimEnd());
}

function percent(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}

/** Text for `corral ring`: the figures of `ringFigures` in two aligned tables. */
export function ringReport(opts: RingReportOptions): string {
  const f = ringFigures(opts);
  const n = f.shards;
  const lines: string[] = [];
  lines.push(`corral ring: ${n} shard${n === 1 ? '' : 's'} of weight 1, ${f.vnodes} vnodes each, ${SLOT_COUNT} slots, ${f.sampleKeys} sample keys (key:0 ..)`);
  lines.push('');
  lines.push(`Slots per shard at ${n} shards`);
  const balanceRows: string[][] = [['placement', 'min', 'max', 'mean', 'max/mean', 'ranges']];
  for (const p of ['ring', 'balanced', 'modulo'] as const) {
    const b = f.balance[p];
    balanceRows.push([PLACEMENT_LABELS[p], String(b.min), String(b.max), b.mean.toFixed(1), b.maxOverMean.toFixed(3), String(b.ranges)]);
  }
  lines.push(...columns(balanceRows));
  lines.push(`  (the balancing pass reassigned ${f.balancingMoves} slots, ${percent(f.balancingMoves / SLOT_COUNT)}, away from their ring owner)`);
  lines.push('');
  lines.push(`Growing from ${n} to ${n + 1} shards (the least that can move: 1/${n + 1} = ${percent(f.idealShare)})`);
  const growthRows: string[][] = [['placement', 'slots moved', 'share', 'keys moved', 'share', 'all to the new shard']];
  for (const p of ['ring', 'balanced', 'rebuilt', 'modulo'] as const) {
    const m = f.growth[p];
    growthRows.push([PLACEMENT_LABELS[p], String(m.slotsMoved), percent(m.slotShare), String(m.keysMoved), percent(m.keyShare), m.allToNewShard ? 'yes' : 'no']);
  }
  lines.push(...columns(growthRows));
  lines.push('');
  lines.push('  ring + balancing grows incrementally (rebalanceSlotTable), as a cluster does; "rebuilt" computes');
  lines.push('  the table for N+1 from scratch. hash % N places slot s on s % N and key k on murmur3(k) % N.');
  return lines.join('\n');
}
