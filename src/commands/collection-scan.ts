// SSCAN and ZSCAN as Redis 7.0 replies them, plus the parts of a key's collection scan that HSCAN
// shares with them: the cursor and option parsing of scanGenericCommand, the cursor walk over a
// Map (scanMapStep) and the [cursor, items] reply with MATCH applied.
//
// Redis's order of checks: the cursor (ERR invalid cursor), then the key (missing: ["0", []]
// whatever the options; another type: WRONGTYPE), then the options. A small value is replied whole
// in its own order with cursor 0, whatever the cursor and COUNT: an intset set (numeric order), a
// listpack sorted set (score order, member then score). A larger one is walked by cursor, COUNT
// members per call, and MATCH filters what the step collected (so a step may return nothing).
// Scores are bulk strings in RESP3 too, as the encoding prints them, which is not always as
// ZSCORE does: see listpackScoreText.

import type { CommandContext } from './context.js';
import { CMD_READONLY, type CommandDef } from './table.js';
import { ERR_CURSOR, ERR_NOT_INTEGER, ERR_SYNTAX } from './errors.js';
import { optIs } from './strings.js';
import type { SetValue } from './sets.js';
import { TYPE_SET, TYPE_ZSET } from '../store/entry.js';
import type { SortedSet } from '../store/sorted-set.js';
import { formatDouble } from '../protocol/reply-writer.js';
import { globMatch } from '../util/glob.js';

const ULONG_MAX = 18446744073709551615n;

/**
 * The cursor as parseScanCursorOrReply reads it (strtoul on a C string, so it ends at a NUL; no
 * leading space; "" is 0): -1 when invalid. Negative cursors wrap in strtoul to 2^64 - n, past
 * any position: they come back as MAX_SAFE_INTEGER, as do values past 2^53.
 */
export function parseScanCursor(s: string): number {
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.substring(0, nul);
  if (s.length === 0) return 0;
  const m = /^([+-]?)(\d+)$/.exec(s);
  if (m === null) return -1;
  if (m[2].length < 16) return m[1] === '-' && Number(m[2]) !== 0 ? Number.MAX_SAFE_INTEGER : Number(m[2]);
  const v = BigInt(m[2]);
  if (v > ULONG_MAX) return -1;
  if (m[1] === '-' && v !== 0n) return Number.MAX_SAFE_INTEGER;
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** COUNT and MATCH of one scan call (a single instance: one command runs at a time). */
export interface ScanOptions {
  count: number;
  /** null when there is no pattern, or it is "*" (Redis's match-everything shortcut). */
  pattern: string | null;
}
const scanOptions: ScanOptions = { count: 10, pattern: null };

/**
 * [MATCH pattern] [COUNT count] from argument `first` on, left to right as Redis parses them (a
 * later option overrides an earlier one; the first bad one is the error): null after replying
 * the error. Option words compare as C strings ("count\0x" is COUNT); COUNT below 1 is a syntax
 * error, not a range error.
 */
export function parseScanOptions(c: CommandContext, first: number): ScanOptions | null {
  const opts = scanOptions;
  opts.count = 10;
  opts.pattern = null;
  const argc = c.argc;
  for (let i = first; i < argc; i += 2) {
    const hasArg = i + 1 < argc;
    if (hasArg && optIs(c, i, 'count')) {
      const n = c.int(i + 1);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return null;
      }
      if (n < 1) {
        c.w.error(ERR_SYNTAX);
        return null;
      }
      opts.count = n;
    } else if (hasArg && optIs(c, i, 'match')) {
      const pattern = c.str(i + 1);
      opts.pattern = pattern === '*' ? null : pattern;
    } else {
      c.w.error(ERR_SYNTAX);
      return null;
    }
  }
  return opts;
}

/** The Map-like values scanMapStep walks: a Map, or a HashValue past its listpack form. */
export interface ScannableMap<V> {
  entries(): IterableIterator<[string, V]>;
  get(key: string): V | undefined;
}

/** A walk in progress over one Map: its live iterator, parked at the cursor handed out. */
interface MapScanState {
  it: IterableIterator<[string, unknown]>;
  /** The next key to return, read ahead to know whether the walk is over. */
  pending: string;
}
const mapScans = new WeakMap<object, Map<number, MapScanState>>();
/** Walks remembered per value; the oldest is dropped past this (its cursor still works, slower). */
const MAX_SCANS_PER_VALUE = 8;

/**
 * One step of a walk over a Map: pushes up to count [key, value] pairs onto out and returns the
 * next cursor (0 when done). The cursor is a position in insertion order. The live iterator left
 * at that position is resumed when remembered: Map iterators survive inserts and deletes, so
 * every key present for the whole walk is returned exactly once. An unknown cursor (forgotten,
 * or made up by the client) re-walks from the start to that position; a delete behind it may
 * then hide a key, as a shrinking dict can in Redis. State is bounded: MAX_SCANS_PER_VALUE
 * iterators per value, in a WeakMap that goes with the value.
 */
export function scanMapStep<V>(map: ScannableMap<V>, cursor: number, count: number, out: Array<string | V>): number {
  let byCursor = mapScans.get(map);
  let state = cursor === 0 ? undefined : byCursor?.get(cursor);
  if (state !== undefined) {
    byCursor!.delete(cursor);
  } else {
    const it = map.entries();
    let r = it.next();
    for (let skip = 0; skip < cursor && !r.done; skip++) r = it.next();
    if (r.done) return 0;
    state = { it, pending: r.value[0] };
  }
  let pos = cursor;
  let key: string | undefined = state.pending;
  for (let taken = 0; taken < count && key !== undefined; taken++) {
    // The read-ahead key may have been deleted since the last call.
    const value = map.get(key);
    if (value !== undefined) out.push(key, value);
    pos++;
    const r = state.it.next();
    key = r.done ? undefined : (r.value[0] as string);
  }
  if (key === undefined) return 0;
  state.pending = key;
  if (byCursor === undefined) mapScans.set(map, (byCursor = new Map()));
  byCursor.set(pos, state);
  if (byCursor.size > MAX_SCANS_PER_VALUE) byCursor.delete(byCursor.keys().next().value!);
  return pos;
}

/** Keeps, in place, the items of out (pairs when `step` is 2) whose first item matches pattern; returns the new length. */
export function filterScanItems(out: unknown[], pattern: string | null, step: 1 | 2): number {
  if (pattern === null) return out.length;
  let n = 0;
  for (let i = 0; i < out.length; i += step) {
    if (!globMatch(pattern, out[i] as string)) continue;
    out[n++] = out[i];
    if (step === 2) out[n++] = out[i + 1];
  }
  return n;
}

/** The reply's frame: [cursor, array of n items], the items to be written by the caller. */
export function writeScanHeader(c: CommandContext, next: number, n: number): void {
  c.w.array(2);
  c.w.bulk(String(next));
  c.w.array(n);
}

/** The emptyscan reply of a missing key. */
function writeEmptyScan(c: CommandContext): void {
  writeScanHeader(c, 0, 0);
}

/** Items collected by the current SSCAN/ZSCAN step, reused across calls and emptied after each. */
const found: Array<string | number> = [];

/**
 * One step over a hashtable set, walking its dense member array from the top down; the cursor
 * is how many slots are left to visit. SetValue removes by moving its last member into the hole
 * and appends new members, so a member not yet visited only moves when it is the last one, and
 * then to a lower slot: still below the cursor. Every member present for the whole scan is
 * returned, with no state kept between calls, for any cursor (one past the end is clamped).
 */
function scanSetStep(s: SetValue, cursor: number, count: number, out: Array<string | number>): number {
  // members() of a hashtable set is its live array (no copy), so this is O(count).
  const members = s.members();
  let pos = cursor === 0 || cursor > members.length ? members.length : cursor;
  const stop = pos > count ? pos - count : 0;
  while (pos > stop) out.push(members[--pos]);
  return pos;
}

function sscanCommand(c: CommandContext): void {
  const cursor = parseScanCursor(c.str(2));
  if (cursor < 0) return c.w.error(ERR_CURSOR);
  const e = c.readTyped(c.str(1), TYPE_SET);
  if (e === null) return;
  if (e === undefined) return writeEmptyScan(c);
  const opts = parseScanOptions(c, 3);
  if (opts === null) return;
  const s = e.value as SetValue;
  const out = found;
  let next = 0;
  if (s.intset) {
    const all = s.members();
    for (let i = 0; i < all.length; i++) out.push(all[i]);
  } else {
    next = scanSetStep(s, cursor, opts.count, out);
  }
  const n = filterScanItems(out, opts.pattern, 1);
  writeScanHeader(c, next, n);
  for (let i = 0; i < n; i++) c.w.bulk(out[i] as string);
  out.length = 0;
}

/** double2ll's range: integral scores within it are stored in a listpack as integers. */
const LISTPACK_INT_SCORE_MAX = 2 ** 62;

/**
 * A score as a listpack holds it (d2string): an integral score within +-2^62 in full digits
 * (1e17 is "100000000000000000"), anything else by %.17g ("-0", "inf", "1e+19"). ZSCAN replies
 * this text while ZSCORE formats the same double by %.17g ("1e+17").
 */
function listpackScoreText(d: number): string {
  if (d !== 0 && Number.isInteger(d) && d >= -LISTPACK_INT_SCORE_MAX && d <= LISTPACK_INT_SCORE_MAX) {
    return d > -1e15 && d < 1e15 ? String(d) : BigInt(d).toString();
  }
  return formatDouble(d);
}

/** A skiplist's score as ZSCAN replies it: ld2string's %.17Lg, the same text as %.17g of a double. */
function skiplistScoreText(d: number): string {
  if (Number.isInteger(d) && d < 1e15 && d > -1e15 && !Object.is(d, -0)) return String(d);
  return formatDouble(d);
}

function zscanCommand(c: CommandContext): void {
  const cursor = parseScanCursor(c.str(2));
  if (cursor < 0) return c.w.error(ERR_CURSOR);
  const e = c.readTyped(c.str(1), TYPE_ZSET);
  if (e === null) return;
  if (e === undefined) return writeEmptyScan(c);
  const opts = parseScanOptions(c, 3);
  if (opts === null) return;
  const zs = e.value as SortedSet;
  const out = found;
  let next = 0;
  const listpack = zs.encoding() === 'listpack';
  if (listpack) {
    // At most 128 items: the whole set in score order.
    for (const item of zs.toArray()) out.push(item.member, item.score);
  } else {
    next = scanMapStep(zs.scoreMap, cursor, opts.count, out);
  }
  const n = filterScanItems(out, opts.pattern, 2);
  writeScanHeader(c, next, n);
  for (let i = 0; i < n; i += 2) {
    c.w.bulk(out[i] as string);
    const score = out[i + 1] as number;
    c.w.bulk(listpack ? listpackScoreText(score) : skiplistScoreText(score));
  }
  out.length = 0;
}

export const collectionScanCommands: CommandDef[] = [
  { name: 'sscan', arity: -3, flags: CMD_READONLY, firstKey: 1, handler: sscanCommand },
  { name: 'zscan', arity: -3, flags: CMD_READONLY, firstKey: 1, handler: zscanCommand },
];
