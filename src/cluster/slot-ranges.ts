// Slot tables as lists of ranges: the work a topology change does, in time proportional to the
// ranges of the documents (a few hundred with the ring's virtual nodes), not to the 16384 slots.
//
// Why: every switch of a slot move publishes a document, and every node applies it at the same
// moment: it compares the new slot table with the old one (what moved away from it, who now owns
// it, how many slots changed) and the controller derives the next document from the last. Done
// slot by slot, in code that runs a few times a second and so is rarely optimized by V8, these
// loops cost 1-40 ms each (more while cold), on all nodes at once: requests to every shard waited
// behind them (a reshard's p99, docs/benchmarks.md). A range list has ~140 entries.
//
// A range is inclusive [start, end, owner]; lists given to these functions are sorted by start
// and do not overlap (sortedRanges makes one so); slots in no range have no owner (null).

/** An inclusive run of slots with one owner. */
export type SlotRange<T> = [start: number, end: number, owner: T];

/** A copy of `ranges` sorted by start (overlaps are not checked: see firstOverlap). */
export function sortedRanges<T>(ranges: ReadonlyArray<SlotRange<T>>): Array<SlotRange<T>> {
  const out = ranges.slice();
  for (let i = 1; i < out.length; i++) {
    if (out[i][0] < out[i - 1][0]) return out.sort((a, b) => a[0] - b[0]);
  }
  return out;
}

/** The first slot two ranges of a sorted list share, or -1 when none. */
export function firstOverlap<T>(sorted: ReadonlyArray<SlotRange<T>>): number {
  for (let i = 1; i < sorted.length; i++) if (sorted[i][0] <= sorted[i - 1][1]) return sorted[i][0];
  return -1;
}

/**
 * The runs of slots whose owner (compared with ===: shard ids) differs between two sorted range
 * lists, in slot order, as [start, end, owner before or null, owner after or null].
 */
export function ownerChanges<T>(before: ReadonlyArray<SlotRange<T>>, after: ReadonlyArray<SlotRange<T>>): Array<[number, number, T | null, T | null]> {
  const out: Array<[number, number, T | null, T | null]> = [];
  let i = 0;
  let j = 0;
  let s = 0;
  const END = Number.MAX_SAFE_INTEGER;
  while (i < before.length || j < after.length) {
    // Skip ranges wholly behind s.
    while (i < before.length && before[i][1] < s) i++;
    while (j < after.length && after[j][1] < s) j++;
    if (i >= before.length && j >= after.length) break;
    const bi = i < before.length ? before[i] : null;
    const aj = j < after.length ? after[j] : null;
    // The owner of s on each side, and where that stays true.
    const inB = bi !== null && bi[0] <= s;
    const inA = aj !== null && aj[0] <= s;
    if (!inB && !inA) {
      // Neither side owns s: jump to the next range start.
      s = Math.min(bi === null ? END : bi[0], aj === null ? END : aj[0]);
      continue;
    }
    const endB = inB ? bi![1] : bi === null ? END : bi[0] - 1;
    const endA = inA ? aj![1] : aj === null ? END : aj[0] - 1;
    const end = Math.min(endB, endA);
    const ob = inB ? bi![2] : null;
    const oa = inA ? aj![2] : null;
    if (ob !== oa) {
      const last = out[out.length - 1];
      if (last !== undefined && last[1] === s - 1 && last[2] === ob && last[3] === oa) last[1] = end;
      else out.push([s, end, ob, oa]);
    }
    s = end + 1;
  }
  return out;
}

/**
 * `sorted` with every slot of `slots` (sorted, no repeats) given to `to`, merged into maximal
 * runs; slots in no range are added. The result is sorted.
 */
export function assignSlots<T>(sorted: ReadonlyArray<SlotRange<T>>, slots: readonly number[], to: T): Array<SlotRange<T>> {
  const out: Array<SlotRange<T>> = [];
  const push = (start: number, end: number, owner: T): void => {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === start - 1 && last[2] === owner) last[1] = end;
    else out.push([start, end, owner]);
  };
  let k = 0;
  for (const [start, end, owner] of sorted) {
    // Slots given to `to` before this range, in no range.
    for (; k < slots.length && slots[k] < start; k++) push(slots[k], slots[k], to);
    let s = start;
    for (; k < slots.length && slots[k] <= end; k++) {
      if (slots[k] > s) push(s, slots[k] - 1, owner);
      push(slots[k], slots[k], to);
      s = slots[k] + 1;
    }
    if (s <= end) push(s, end, owner);
  }
  for (; k < slots.length; k++) push(slots[k], slots[k], to);
  return out;
}

/**
 * `ranges` (in any order, kept) without the slots of `slots` (sorted, no repeats): each range
 * split around them.
 */
export function withoutSlots<T>(ranges: ReadonlyArray<SlotRange<T>>, slots: readonly number[]): Array<SlotRange<T>> {
  const out: Array<SlotRange<T>> = [];
  for (const [start, end, owner] of ranges) {
    let k = lowerBound(slots, start);
    let s = start;
    for (; k < slots.length && slots[k] <= end; k++) {
      if (slots[k] > s) out.push([s, slots[k] - 1, owner]);
      s = slots[k] + 1;
    }
    if (s <= end) out.push([s, end, owner]);
  }
  return out;
}

/** Sorted, repeat-free copy of a list of slots. */
export function sortedSlots(slots: readonly number[]): number[] {
  return Array.from(new Set(slots)).sort((a, b) => a - b);
}

/** Index of the first element of `sorted` not below `x`. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
