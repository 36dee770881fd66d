// SORT and SORT_RO as Redis 7.0.15's sort.c runs them: a list, set or sorted set sorted by number
// (strtod's rules) or byte-wise (ALPHA), by the elements or by weights read through a BY pattern,
// with LIMIT, GET patterns and STORE into a list. This file owns the pattern lookup
// (lookupKeyByPattern), score parsing and SORT's key finder (STORE names a second key anywhere in
// the arguments); BY with a LIMIT orders with Redis's partial quicksort (pqsort.ts).
//
// Order of checks, as Redis: in cluster mode a STORE key of another slot (CROSSSLOT, as routing
// would), then options left to right (the first bad one replies), then the key's type, then the
// scores (an unparsable one replies an error after every weight was read).

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_MOVABLE_KEYS, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import type { SetValue } from './sets.js';
import type { CommandArgs } from '../protocol/request-parser.js';
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STRING, TYPE_ZSET } from '../store/entry.js';
import { Deque } from '../store/deque.js';
import { NOTIFY_GENERIC, NOTIFY_LIST } from './keyspace-events.js';
import type { HashValue } from '../store/hash-value.js';
import type { SortedSet } from '../store/sorted-set.js';
import { pqsort } from './pqsort.js';

const ERR_SCORES = "ERR One or more scores can't be converted into double";
const ERR_BY_CLUSTER = 'ERR BY option of SORT denied in Cluster mode.';
const ERR_GET_CLUSTER = 'ERR GET option of SORT denied in Cluster mode.';
const ERR_BY_ACL = 'ERR BY option of SORT denied due to insufficient ACL permissions.';
const ERR_GET_ACL = 'ERR GET option of SORT denied due to insufficient ACL permissions.';
const ERR_CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";

/** One element being sorted: its score (numeric sort) or its comparison bytes (ALPHA). */
interface SortItem {
  element: string;
  score: number;
  /** ALPHA: the bytes compared (the BY weight, else the element); null when BY found nothing. */
  weight: string | null;
}

type Compare = (a: SortItem, b: SortItem) => number;

/** Where C's string functions stop reading s: its first NUL byte, or its end. */
function cLength(s: string): number {
  const nul = s.indexOf('\0');
  return nul < 0 ? s.length : nul;
}

function binaryCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is replaced by the
 * element and that key read as a string or, with "->field" after the '*', as a hash field. A
 * pattern without '*' names no key, and a key of another type reads as missing (null). Redis
 * scans the pattern with C string functions, so '#', '*' and "->" count only before a NUL byte.
 */
function lookupByPattern(c: CommandContext, pattern: string, element: string): string | null {
  const clen = cLength(pattern);
  if (clen === 1 && pattern.charCodeAt(0) === 35 /* '#' */) return element;
  const star = pattern.indexOf('*');
  if (star < 0 || star >= clen) return null;
  const arrow = pattern.indexOf('->', star + 1);
  // "->" with nothing after it is part of the key name.
  const hasField = arrow >= 0 && arrow + 2 < clen;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const e = c.db.lookupRead(key);
  if (e === undefined) return null;
  if (hasField) return e.type === TYPE_HASH ? ((e.value as HashValue).get(pattern.slice(arrow + 2)) ?? null) : null;
  return e.type === TYPE_STRING ? (e.value as string) : null;
}

const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const SPACE = /^[ \t\n\v\f\r]*/;
const DBL_MIN = 2.2250738585072014e-308;

/**
 * A score as sort.c takes it from strtod: undefined when the text does not parse to its end,
 * is NaN, or sets ERANGE (overflow; underflow to zero or to an inexact subnormal, as glibc).
 * strtod stops at a NUL and skips leading white space; an empty string converts nothing, so
 * its end is reached at once and it scores 0. Hex floats ("0x1p3") are accepted, as glibc does.
 */
export function parseSortScore(text: string): number | undefined {
  const s = text.slice(0, cLength(text));
  if (s.length === 0) return 0;
  let i = SPACE.exec(s)![0].length;
  let negative = false;
  if (s.charCodeAt(i) === 45 || s.charCodeAt(i) === 43) negative = s.charCodeAt(i++) === 45;
  const body = s.slice(i);
  const v = DECIMAL.test(body) ? decimalValue(body) : hexOrInfinity(body);
  return v === undefined || !negative ? v : -v;
}

/** An unsigned decimal's value; undefined on ERANGE (assumes a subnormal is inexact). */
function decimalValue(body: string): number | undefined {
  const v = Number(body);
  const nonZero = /[1-9]/.test(body.replace(/[eE].*/, ''));
  return v === Infinity || (v < DBL_MIN && nonZero) ? undefined : v;
}

function hexOrInfinity(body: string): number | undefined {
  const lower = body.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  const hex = HEX.exec(body);
  if (hex === null) return undefined;
  const fraction = hex[2] ?? '';
  if (hex[1].length + fraction.length === 0) return undefined;
  return hexValue(hex[1] + fraction, Number(hex[3] ?? '0') - 4 * fraction.length);
}

/** digits (hex) x 2^exp2 rounded to a double as strtod does; undefined on ERANGE. */
function hexValue(digits: string, exp2: number): number | undefined {
  const mantissa = BigInt('0x' + digits);
  if (mantissa === 0n) return 0;
  const bitLength = mantissa.toString(2).length;
  // The weight of the result's last bit: 53 significant bits, fewer once subnormal.
  const unit = Math.max(bitLength - 1 + exp2 - 52, -1074);
  let q = mantissa;
  let inexact = false;
  const drop = unit - exp2;
  if (drop >= bitLength) return undefined; // rounds to 0 or to the least subnormal, inexactly
  if (drop > 0) {
    const bits = BigInt(drop);
    const rest = mantissa & ((1n << bits) - 1n);
    const half = 1n << (bits - 1n);
    q = mantissa >> bits;
    if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
    inexact = rest !== 0n;
  }
  const v = drop > 0 ? Number(q) * 2 ** unit : Number(mantissa) * 2 ** exp2;
  if (v === Infinity || v === 0 || (v < DBL_MIN && inexact)) return undefined;
  return v;
}

/**
 * sortCompare. Numeric: by score, equal scores by the elements' bytes (so the order is total).
 * ALPHA: by the weights (BY) or the elements, a missing weight first; Redis compares with
 * strcoll unless storing, and under the C locale it runs in strcoll is strcmp, which stops at a
 * NUL: the weights are cut there beforehand (see loadWeights). DESC reverses every comparison.
 */
function comparator(alpha: boolean, desc: boolean): Compare {
  const sign = desc ? -1 : 1;
  if (!alpha) return (a, b) => sign * (a.score > b.score ? 1 : a.score < b.score ? -1 : binaryCompare(a.element, b.element));
  return (a, b) => {
    if (a.weight === null || b.weight === null) return sign * (a.weight === b.weight ? 0 : a.weight === null ? -1 : 1);
    return sign * binaryCompare(a.weight, b.weight);
  };
}

/**
 * SORT's key finder (sortGetKeys): the sorted key, and the key after the last STORE. Like Redis
 * it skips LIMIT's, GET's and BY's arguments and takes any other word as an argument-less
 * option, so it finds the STORE key even in a call that SORT itself will refuse.
 */
export function sortKeys(args: CommandArgs, out: number[]): number {
  out[0] = 1;
  let found = 0;
  for (let i = 2; i < args.argc; i++) {
    if (isOption(args, i, 'limit')) i += 2;
    else if (isOption(args, i, 'get') || isOption(args, i, 'by')) i += 1;
    else if (isOption(args, i, 'store') && i + 1 < args.argc) {
      out[1] = i + 1;
      found = 1;
    }
  }
  return 1 + found;
}

/**
 * Whether argument i is the option word (any letter case). Redis compares with strcasecmp, which
 * stops at a NUL, so "ALPHA\0anything" is ALPHA too.
 */
function isOption(args: CommandArgs, i: number, lowerWord: string): boolean {
  const start = args.start[i];
  const len = args.end[i] - start;
  const n = lowerWord.length;
  if (len < n || (len > n && args.buf[start + n] !== 0)) return false;
  for (let k = 0; k < n; k++) if ((args.buf[start + k] | 0x20) !== lowerWord.charCodeAt(k)) return false;
  return true;
}

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  /** BY with a pattern without '*': keep the stored order (sticky, even if a later BY has one). */
  dontSort: boolean;
  by: string | null;
  gets: string[];
  store: string | null;
}

/** Parses the options after the key; replies and returns null on the first bad one. */
function parseOptions(c: CommandContext, readonly: boolean): SortOptions | null {
  const o: SortOptions = { desc: false, alpha: false, limitStart: 0, limitCount: -1, dontSort: false, by: null, gets: [], store: null };
  const cluster = c.store.options.slotOf !== undefined;
  const a = c.args;
  // Asked once, before the options, as Redis's sortCommandGeneric does.
  const fullKeyAccess = c.client.fullKeyAccess?.(c.name, a) ?? true;
  const argc = c.argc;
  for (let j = 2; j < argc; j++) {
    const left = argc - j - 1;
    if (isOption(a, j, 'asc')) o.desc = false;
    else if (isOption(a, j, 'desc')) o.desc = true;
    else if (isOption(a, j, 'alpha')) o.alpha = true;
    else if (isOption(a, j, 'limit') && left >= 2) {
      const start = c.int(j + 1);
      const count = start === undefined ? undefined : c.int(j + 2);
      if (start === undefined || count === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return null;
      }
      o.limitStart = start;
      o.limitCount = count;
      j += 2;
    } else if (!readonly && isOption(a, j, 'store') && left >= 1) {
      o.store = c.str(++j);
    } else if (isOption(a, j, 'by') && left >= 1) {
      o.by = c.str(++j);
      const star = o.by.indexOf('*');
      if (star < 0 || star >= cLength(o.by)) o.dontSort = true;
      else if (cluster) {
        // Weight keys could live in any slot. (Later Redis versions allow a hash-tagged pattern.)
        c.w.error(ERR_BY_CLUSTER);
        return null;
      } else if (!fullKeyAccess) {
        c.w.error(ERR_BY_ACL);
        return null;
      }
    } else if (isOption(a, j, 'get') && left >= 1) {
      // Redis 7.0 refuses every GET in cluster mode, even GET #.
      if (cluster) {
        c.w.error(ERR_GET_CLUSTER);
        return null;
      }
      if (!fullKeyAccess) {
        c.w.error(ERR_GET_ACL);
        return null;
      }
      o.gets.push(c.str(++j));
    } else {
      c.w.error(ERR_SYNTAX);
      return null;
    }
  }
  return o;
}

/** SORT_RO's handler too (readonly: STORE is a syntax error). */
function sortGeneric(c: CommandContext, readonly: boolean): void {
  if (!readonly && crossSlotStore(c)) return;
  const o = parseOptions(c, readonly);
  if (o === null) return;
  const e = c.db.lookupRead(c.str(1));
  if (e !== undefined && e.type !== TYPE_LIST && e.type !== TYPE_SET && e.type !== TYPE_ZSET) {
    c.w.error(ERR_WRONGTYPE);
    return;
  }
  const type = e === undefined ? TYPE_LIST : e.type;
  // With STORE or in a script, a set's elements are sorted even under BY nosort: its iteration
  // order is random, and the stored list (or what the script does with the reply) must be the
  // same on replicas (Redis: ALPHA, no BY).
  if (o.dontSort && type === TYPE_SET && (o.store !== null || c.client.inScript === true)) {
    o.dontSort = false;
    o.alpha = true;
    o.by = null;
  }
  // Redis converts a small sorted set to a skiplist for SORT, and it never converts back.
  if (type === TYPE_ZSET) {
    const zs = e!.value as SortedSet;
    zs.convertToSkiplist();
  }
  const size = e === undefined ? 0 : (e.value as Deque | SetValue | SortedSet).size;
  // LIMIT clamped as sort.c does; an offset past the end leaves end = start - 1 (nothing).
  let start = Math.min(Math.max(o.limitStart, 0), size);
  const count = Math.min(Math.max(o.limitCount, -1), size);
  let end = count < 0 ? size - 1 : start + count - 1;
  if (start >= size) {
    start = size - 1;
    end = size - 2;
  }
  if (end >= size) end = size - 1;

  let vector: SortItem[];
  if (e === undefined) vector = [];
  else if (o.dontSort && type !== TYPE_SET) {
    // Lists and sorted sets keep their order under BY nosort (DESC walks it backwards), and
    // only the LIMIT range is read.
    const from = o.desc ? size - 1 - start : start;
    const n = Math.max(end - start + 1, 0);
    vector = type === TYPE_LIST ? listRange(e.value as Deque, from, n, o.desc) : zsetRange(e.value as SortedSet, from, n, o.desc);
    end -= start;
    start = 0;
  } else if (type === TYPE_LIST) vector = items((e.value as Deque).toArray());
  else if (type === TYPE_SET) vector = items((e.value as SetValue).members());
  else vector = items((e.value as SortedSet).toArray().map((z) => z.member));

  if (!o.dontSort) {
    if (!loadWeights(c, vector, o)) return;
    const cmp = comparator(o.alpha, o.desc);
    if (o.by !== null && (start !== 0 || end !== vector.length - 1)) pqsort(vector, 0, vector.length, cmp, start, end);
    else vector.sort(cmp);
  }
  reply(c, vector, start, end, o);
}

/** In cluster mode, refuses a STORE key in another slot than the sorted key (see file end). */
function crossSlotStore(c: CommandContext): boolean {
  const slotOf = c.store.options.slotOf;
  if (slotOf === undefined) return false;
  const positions: number[] = [];
  if (sortKeys(c.args, positions) < 2) return false;
  const a = c.args;
  const [src, dst] = positions;
  if (slotOf(a.buf, a.start[src], a.end[src]) === slotOf(a.buf, a.start[dst], a.end[dst])) return false;
  c.w.error(ERR_CROSSSLOT);
  return true;
}

function items(elements: readonly string[]): SortItem[] {
  return elements.map((element) => ({ element, score: 0, weight: null }));
}

function listRange(d: Deque, from: number, n: number, backwards: boolean): SortItem[] {
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(d.get(backwards ? from - k : from + k)!);
  return items(out);
}

function zsetRange(zs: SortedSet, from: number, n: number, backwards: boolean): SortItem[] {
  if (n === 0) return [];
  const range = backwards ? zs.slice(from - n + 1, from).reverse() : zs.slice(from, from + n - 1);
  return items(range.map((z) => z.member));
}

/**
 * Reads every item's weight (BY, else the element): a score for a numeric sort, the bytes for
 * ALPHA. A missing BY key scores 0 (numeric) or sorts first (ALPHA). Replies the score error
 * and returns false when a weight is not a number, after reading them all as Redis does.
 */
function loadWeights(c: CommandContext, vector: SortItem[], o: SortOptions): boolean {
  let bad = false;
  for (const item of vector) {
    const weight = o.by === null ? item.element : lookupByPattern(c, o.by, item.element);
    if (weight === null) continue;
    if (o.alpha) {
      item.weight = o.store !== null ? weight : weight.slice(0, cLength(weight));
    } else {
      const score = parseSortScore(weight);
      if (score === undefined) bad = true;
      else item.score = score;
    }
  }
  if (bad) c.w.error(ERR_SCORES);
  return !bad;
}

/** The items start..end, or what their GET patterns read, as the reply or into the STORE list. */
function reply(c: CommandContext, vector: SortItem[], start: number, end: number, o: SortOptions): void {
  const gets = o.gets;
  const count = end - start + 1;
  const outputLength = gets.length > 0 ? gets.length * count : count;
  if (o.store === null) {
    c.w.array(outputLength);
    for (let j = start; j <= end; j++) {
      if (gets.length === 0) c.w.bulk(vector[j].element);
      for (const pattern of gets) c.w.bulkOrNull(lookupByPattern(c, pattern, vector[j].element));
    }
    return;
  }
  const out: string[] = [];
  for (let j = start; j <= end; j++) {
    if (gets.length === 0) out.push(vector[j].element);
    // A missing GET value is stored as an empty string.
    for (const pattern of gets) out.push(lookupByPattern(c, pattern, vector[j].element) ?? '');
  }
  if (outputLength > 0) {
    // Replaces whatever the key held (any type, its TTL gone), as SET does.
    c.db.create(o.store, TYPE_LIST, Deque.from(out));
    c.db.modified(o.store);
    c.notify(NOTIFY_LIST, 'sortstore', o.store);
  } else if (c.db.delete(o.store)) {
    c.notify(NOTIFY_GENERIC, 'del', o.store);
  }
  c.w.integer(outputLength);
}

function sortCommand(c: CommandContext): void {
  sortGeneric(c, false);
}

function sortRoCommand(c: CommandContext): void {
  sortGeneric(c, true);
}

// SORT's keys are found by sortKeys when the caller passes the arguments to keyPositions. A
// router that asks with argc alone sees only the sorted key; crossSlotStore then still keeps a
// STORE from writing a key of another slot, replying the CROSSSLOT error Redis would.
export const sortCommands: CommandDef[] = [
  { name: 'sort', arity: -2, flags: CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, firstKey: 1, keys: sortKeys, handler: sortCommand },
  { name: 'sort_ro', arity: -2, flags: CMD_READONLY | CMD_MOVABLE_KEYS, firstKey: 1, handler: sortRoCommand },
];
