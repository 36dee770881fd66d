// The sorted set value (ZADD ... ZPOPMIN): member -> score Map plus the members ordered by
// (score, member bytes), with the byte estimate and the encoding Redis 7.0 would report: a
// listpack until a member is added past zset-max-listpack-entries or longer than
// zset-max-listpack-value (the limits given to set), then a skiplist for good.
//
// Order structure: a list of sorted chunks (each at most CHUNK items), i.e. a one-level B-tree.
// Finding a position is a binary search over the chunks' last items and then inside one chunk;
// inserting or deleting moves at most CHUNK items; ranks sum chunk sizes, kept in a prefix array
// that is rebuilt lazily from the first chunk that changed. ZADD of 100k members stays ~O(log n).
// Members are latin1 strings (one char per byte), so JS's `<` on them is memcmp with the shorter
// string first on a common prefix: exactly Redis's member order. Also here: the score and range
// syntax (strtod as string2d and zslParseRange use it).

import type { CollectionValue } from './entry.js';
import { DEFAULT_LIMITS, type EncodingLimits } from './encoding-limits.js';

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?$/;
const INF = /^([+-]?)inf(?:inity)?$/i;

/**
 * C's strtod over the whole of s (no leading space, no trailing text); undefined when invalid.
 * strict (Redis's string2d) also refuses overflow to inf and underflow to 0 (errno ERANGE).
 */
export function parseDouble(s: string, strict: boolean): number | undefined {
  let rangeError = false;
  if (DECIMAL.test(s)) {
    const v = Number(s);
    if (!Number.isFinite(v)) rangeError = true;
    else if (v === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ''))) rangeError = true;
    return rangeError && strict ? undefined : v;
  }
  const inf = INF.exec(s);
  if (inf !== null) return inf[1] === '-' ? -Infinity : Infinity;
  const hex = HEX.exec(s);
  if (hex === null || hex[2].length + (hex[3]?.length ?? 0) === 0) return undefined;
  const frac = hex[3] ?? '';
  let v = Number(BigInt('0x' + (hex[2] + frac || '0')));
  let exp = (hex[4] === undefined ? 0 : Number(hex[4])) - 4 * frac.length;
  for (; exp > 1000 && Number.isFinite(v) && v !== 0; exp -= 1000) v *= 2 ** 1000;
  for (; exp < -1000 && v !== 0; exp += 1000) v *= 2 ** -1000;
  v *= 2 ** exp;
  if (!Number.isFinite(v) || (v === 0 && /[1-9a-fA-F]/.test(hex[2] + frac))) rangeError = true;
  if (rangeError && strict) return undefined;
  return hex[1] === '-' ? -v : v;
}

/** One end of a score range as zslParseRange reads it (strtod up to the first NUL). */
export interface ScoreBound {
  value: number;
  exclusive: boolean;
}

export function parseBound(s: string): ScoreBound | undefined {
  let exclusive = false;
  if (s.charCodeAt(0) === 40) {
    exclusive = true;
    s = s.slice(1);
  }
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  if (s === '') return { value: 0, exclusive };
  const value = parseDouble(s.replace(/^[ \t\n\v\f\r]+/, ''), false);
  if (value === undefined || Number.isNaN(value)) return undefined;
  return { value, exclusive };
}

/** One end of a lex range: '-' / '+' (infinite: member null with inf set), '[x' or '(x'. */
export interface LexBound {
  member: string;
  exclusive: boolean;
  /** -1 for '-', 1 for '+', 0 for a member. */
  inf: number;
}

export function parseLex(s: string): LexBound | undefined {
  const first = s.charCodeAt(0);
  if (first === 43 || first === 45) {
    if (s.length > 1 && s.charCodeAt(1) !== 0) return undefined;
    return { member: '', exclusive: true, inf: first === 43 ? 1 : -1 };
  }
  if (first === 40 || first === 91) return { member: s.slice(1), exclusive: first === 40, inf: 0 };
  return undefined;
}

export interface ZItem {
  readonly member: string;
  readonly score: number;
}

const CHUNK = 256;
/** The Map and chunk list themselves. */
export const ZSET_OVERHEAD = 160;
/** Per member: the Map slot, the item record, its chunk slot and the string header. */
export const ZMEMBER_OVERHEAD = 88;

/** (score, member) order: negative when a sorts first. */
export function compareItems(aScore: number, aMember: string, b: ZItem): number {
  if (aScore < b.score) return -1;
  if (aScore > b.score) return 1;
  if (aMember === b.member) return 0;
  return aMember < b.member ? -1 : 1;
}

export function memberBytes(member: string): number {
  return ZMEMBER_OVERHEAD + member.length;
}

export class SortedSet implements CollectionValue {
  private readonly scores = new Map<string, number>();
  private chunks: ZItem[][] = [];
  /** prefix[i] = items in chunks before i; valid for i < prefixValid. */
  private prefix: number[] = [];
  private prefixValid = 0;
  /** Redis never converts a skiplist back to a listpack, so once large, always reported large. */
  private large = false;
  bytes = ZSET_OVERHEAD;

  get size(): number {
    return this.scores.size;
  }

  /**
   * Member -> score in insertion order: what a cursor (ZSCAN) walks, since a Map iterator
   * survives every change while rank order moves under ZADD and ZINCRBY.
   */
  get scoreMap(): ReadonlyMap<string, number> {
    return this.scores;
  }

  encoding(): string {
    return this.large ? 'skiplist' : 'listpack';
  }

  /** Redis's zsetConvert to a skiplist (SORT does it to any sorted set it sorts); never undone. */
  convertToSkiplist(): void {
    this.large = true;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  has(member: string): boolean {
    return this.scores.has(member);
  }

  /**
   * Sets member's score (adding it if new); returns the byte delta. A new member converts a
   * listpack as Redis's zsetAdd does under `limits`. A listpack stores scores as text where -0
   * prints as 0, so a small set keeps -0 as 0 (as Redis's ZSCORE then shows).
   */
  set(member: string, score: number, limits: Readonly<EncodingLimits> = DEFAULT_LIMITS): number {
    const old = this.scores.get(member);
    if (old !== undefined) {
      // Redis compares with ==, so 0 and -0 count as the same score and the old one stays.
      if (old === score) return 0;
      this.removeItem(old, member);
    } else if (!this.large && (this.scores.size + 1 > limits.zsetEntries || member.length > limits.zsetValue)) {
      this.large = true;
    }
    if (score === 0 && !this.large) score = 0;
    this.scores.set(member, score);
    this.insertItem({ member, score });
    if (old !== undefined) return 0;
    const delta = memberBytes(member);
    this.bytes += delta;
    return delta;
  }

  /** Removes member; returns the byte delta (0 when it was absent). */
  delete(member: string): number {
    const old = this.scores.get(member);
    if (old === undefined) return 0;
    this.scores.delete(member);
    this.removeItem(old, member);
    const delta = memberBytes(member);
    this.bytes -= delta;
    return -delta;
  }

  /** 0-based ascending rank of member, or undefined. */
  rank(member: string): number | undefined {
    const score = this.scores.get(member);
    if (score === undefined) return undefined;
    const ci = this.chunkFor(score, member);
    return this.before(ci) + lowerBound(this.chunks[ci], score, member, false);
  }

  /** The item at ascending rank i (0 <= i < size). */
  at(i: number): ZItem {
    const ci = this.chunkAtRank(i);
    return this.chunks[ci][i - this.before(ci)];
  }

  /** Items with ascending ranks start..end inclusive (clamped by the caller), in that order. */
  slice(start: number, end: number): ZItem[] {
    const out: ZItem[] = [];
    if (start > end) return out;
    let ci = this.chunkAtRank(start);
    let k = start - this.before(ci);
    for (let n = end - start + 1; n > 0; n--) {
      if (k === this.chunks[ci].length) {
        ci++;
        k = 0;
      }
      out.push(this.chunks[ci][k++]);
    }
    return out;
  }

  /** Rank of the first item whose score is > score (exclusive) or >= score. */
  rankOfScore(score: number, exclusive: boolean): number {
    return this.rankOf(score, exclusive ? '\uffff' : '', exclusive);
  }

  /** Rank of the first item with the same-score member order >= member (> if exclusive). */
  rankOfMember(score: number, member: string, exclusive: boolean): number {
    return this.rankOf(score, member, exclusive);
  }

  /**
   * Removes and returns up to count items from the low (min) or high end, in pop order. Bytes
   * are updated here; the caller reads the delta from `bytes`.
   */
  pop(count: number, max: boolean): ZItem[] {
    const n = Math.min(count, this.size);
    const out: ZItem[] = [];
    for (let i = 0; i < n; i++) {
      const ci = max ? this.chunks.length - 1 : 0;
      const chunk = this.chunks[ci];
      const item = max ? chunk.pop()! : chunk.shift()!;
      if (chunk.length === 0) this.chunks.splice(ci, 1);
      this.scores.delete(item.member);
      this.bytes -= memberBytes(item.member);
      out.push(item);
    }
    if (n > 0) this.prefixValid = 0;
    return out;
  }

  clone(): SortedSet {
    const copy = new SortedSet();
    for (const [m, s] of this.scores) copy.scores.set(m, s);
    copy.chunks = this.chunks.map((c) => c.slice());
    copy.large = this.large;
    copy.bytes = this.bytes;
    return copy;
  }

  /** All items in ascending order (tests, debugging). */
  toArray(): ZItem[] {
    return this.size === 0 ? [] : this.slice(0, this.size - 1);
  }

  private rankOf(score: number, member: string, exclusive: boolean): number {
    const chunks = this.chunks;
    // First chunk whose last item is not below the probe.
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const last = chunks[mid][chunks[mid].length - 1];
      const c = compareItems(score, member, last);
      if (c > 0 || (c === 0 && exclusive)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return this.size;
    return this.before(lo) + lowerBound(chunks[lo], score, member, exclusive);
  }

  /** Index of the chunk where (score, member) is or would be inserted. */
  private chunkFor(score: number, member: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const last = chunks[mid][chunks[mid].length - 1];
      if (compareItems(score, member, last) > 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertItem(item: ZItem): void {
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      this.prefixValid = 0;
      return;
    }
    const ci = this.chunkFor(item.score, item.member);
    const chunk = this.chunks[ci];
    chunk.splice(lowerBound(chunk, item.score, item.member, false), 0, item);
    if (chunk.length > CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(CHUNK >> 1));
    if (this.prefixValid > ci + 1) this.prefixValid = ci + 1;
  }

  private removeItem(score: number, member: string): void {
    const ci = this.chunkFor(score, member);
    const chunk = this.chunks[ci];
    chunk.splice(lowerBound(chunk, score, member, false), 1);
    if (chunk.length === 0) {
      this.chunks.splice(ci, 1);
      if (this.prefixValid > ci) this.prefixValid = ci;
    } else if (this.prefixValid > ci + 1) {
      this.prefixValid = ci + 1;
    }
  }

  /** Items in chunks before chunk ci (extends the lazily rebuilt prefix sums). */
  private before(ci: number): number {
    const prefix = this.prefix;
    if (this.prefixValid === 0) {
      prefix[0] = 0;
      this.prefixValid = 1;
    }
    for (let i = this.prefixValid; i <= ci; i++) prefix[i] = prefix[i - 1] + this.chunks[i - 1].length;
    if (ci >= this.prefixValid) this.prefixValid = ci + 1;
    return prefix[ci];
  }

  /** The chunk holding ascending rank i. */
  private chunkAtRank(i: number): number {
    const last = this.chunks.length - 1;
    this.before(last);
    const prefix = this.prefix;
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (prefix[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** First index in chunk whose item is >= (score, member), or > it if exclusive. */
function lowerBound(chunk: ZItem[], score: number, member: string, exclusive: boolean): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareItems(score, member, chunk[mid]);
    if (c > 0 || (c === 0 && exclusive)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
