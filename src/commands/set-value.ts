// The set value (SetValue) the set commands (sets.ts) and others (SINTERCARD, SORT, DUMP, SSCAN)
// work on, its byte estimate, and the integer-member tests behind its intset encoding.
//
// A set is a dense array of members plus a Map member -> index, so SPOP/SRANDMEMBER pick in O(1)
// and removal is a swap with the last member. Redis 7.0 keeps a set as an intset while every
// member is an integer and there are at most set-max-intset-entries (the store's limits), and
// never converts back; an intset iterates in numeric order, which we reproduce for SMEMBERS and whole-set
// replies so small integer sets reply byte for byte as Redis. Hashtable order is random in Redis.

import { STRING_OVERHEAD, type CollectionValue } from '../store/entry.js';
import { parseInt64String } from '../util/bytes.js';
import { DEFAULT_LIMITS, type EncodingLimits } from '../store/encoding-limits.js';

/** The set object (record, array and Map headers). */
export const SET_OVERHEAD = 160;
/** Per member: an array slot, a Map entry and the string header. */
export const SET_MEMBER_OVERHEAD = 48 + STRING_OVERHEAD;

/** Whether Redis would store s in an intset (string2ll accepts it). */
export function isIntMember(s: string): boolean {
  const len = s.length;
  if (len === 0 || len > 20) return false;
  if (len < 16) {
    let i = s.charCodeAt(0) === 45 ? 1 : 0;
    if (i === len) return false;
    const first = s.charCodeAt(i);
    if (first === 48) return len === 1;
    for (; i < len; i++) {
      const d = s.charCodeAt(i);
      if (d < 48 || d > 57) return false;
    }
    return true;
  }
  return parseInt64String(s) !== undefined;
}

/** Numeric order of two canonical integer strings, without converting them. */
export function compareIntStrings(a: string, b: string): number {
  const na = a.charCodeAt(0) === 45;
  const nb = b.charCodeAt(0) === 45;
  if (na !== nb) return na ? -1 : 1;
  let r = a.length - b.length;
  if (r === 0) r = a < b ? -1 : a > b ? 1 : 0;
  return na ? 0 - r : r; // 0 - r: equal negatives compare as +0, not -0
}

export class SetValue implements CollectionValue {
  private items: string[] = [];
  private index = new Map<string, number>();
  /** Whether Redis would still hold this set as an intset. */
  intset = true;
  bytes = SET_OVERHEAD;

  get size(): number {
    return this.items.length;
  }

  encoding(): string {
    return this.intset ? 'intset' : 'hashtable';
  }

  clone(): SetValue {
    const s = new SetValue();
    for (const m of this.items) s.add(m);
    s.intset = this.intset;
    return s;
  }

  has(m: string): boolean {
    return this.index.has(m);
  }

  add(m: string, limits: Readonly<EncodingLimits> = DEFAULT_LIMITS): boolean {
    if (this.index.has(m)) return false;
    this.index.set(m, this.items.length);
    this.items.push(m);
    this.bytes += SET_MEMBER_OVERHEAD + m.length;
    if (this.intset && (this.items.length > limits.intsetEntries || !isIntMember(m))) this.intset = false;
    return true;
  }

  remove(m: string): boolean {
    const i = this.index.get(m);
    if (i === undefined) return false;
    this.removeAt(i);
    return true;
  }

  /** Removes and returns a uniformly random member (the set must not be empty). */
  popRandom(): string {
    return this.removeAt((Math.random() * this.items.length) | 0);
  }

  randomMember(): string {
    return this.items[(Math.random() * this.items.length) | 0];
  }

  /** Members in Redis's iteration order where it is deterministic (intset: numeric). */
  members(): readonly string[] {
    return this.intset ? this.items.slice().sort(compareIntStrings) : this.items;
  }

  /** Recomputes the encoding as Redis does when it rebuilds a set from scratch (SPOP case 3). */
  reencode(limits: Readonly<EncodingLimits>): void {
    this.intset = this.items.length <= limits.intsetEntries && this.items.every(isIntMember);
  }

  private removeAt(i: number): string {
    const m = this.items[i];
    const last = this.items.pop()!;
    if (last !== m) {
      this.items[i] = last;
      this.index.set(last, i);
    }
    this.index.delete(m);
    this.bytes -= SET_MEMBER_OVERHEAD + m.length;
    return m;
  }
}
