// Sorted-set algebra and the remaining multi-key / random sorted-set reads, as Redis 7.0.15's
// t_zset.c runs them: ZUNION ZINTER ZDIFF and their STORE forms plus ZINTERCARD
// (zunionInterDiffGenericCommand), ZRANGESTORE and ZRANDMEMBER. Also owns the key finders of
// numkeys commands (`numkeys key [key ...]`), which SINTERCARD (set-card.ts) shares.
//
// Inputs may be sorted sets or plain sets (every set member scores 1). As in Redis:
// - every source key is looked up and type-checked before the options are parsed, so WRONGTYPE
//   wins over a syntax error after it;
// - ZUNION/ZINTER visit the inputs from the smallest to the largest (a stable sort, as glibc's
//   qsort is), which fixes the order scores are added in and so the rounding of a SUM;
// - weight * score that is NaN (0 * inf) counts as 0 when a member is first scored, and a SUM that
//   becomes NaN (inf + -inf) is reset to 0. ZINTER does not clean the weighted score of the later
//   inputs before aggregating it: under SUM a NaN there resets the running score to 0, under
//   MIN/MAX it is ignored (NaN compares false);
// - results are ordered by (score, member bytes), as the skiplist Redis builds them in.
// A *STORE result is stored as Redis's zsetConvertToListpackIfNeeded leaves it: a listpack (-0
// scores read back as 0) within zset-max-listpack-entries / -value (store.limits), else a skiplist.

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_MOVABLE_KEYS, CMD_READONLY, CMD_WRITE, keysAfterCount, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import { SetValue } from './sets.js';
import { int64Arg, optIs } from './strings.js';
import { ERR_LEX, ERR_LIMIT, ERR_MINMAX, lexSpan, scoreSpan, writeItems, writeScore } from './zsets.js';
import { NOTIFY_GENERIC, NOTIFY_ZSET } from './keyspace-events.js';
import type { CommandArgs } from '../protocol/request-parser.js';
import { TYPE_SET, TYPE_ZSET } from '../store/entry.js';
import { SortedSet, compareItems, parseBound, parseDouble, parseLex, type ZItem } from '../store/sorted-set.js';
import { parseInteger } from '../util/bytes.js';

const ERR_WEIGHT = 'ERR weight value is not a float';
const ERR_LIMIT_NEGATIVE = "ERR LIMIT can't be negative";
const ERR_RANGE = 'ERR value is out of range';
const ERR_COUNT_RANGE = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';

/** ZRANDMEMBER_SUB_STRATEGY_MUL: below count * 3 members, Redis copies the set and removes from it. */
const SUB_STRATEGY_MUL = 3;
/** LONG_MAX / 2: the largest |count| ZRANDMEMBER takes WITHSCORES. */
const HALF_LONG_MAX = 4611686018427387903n;
/**
 * corral's, not Redis's: ZRANDMEMBER with a negative count repeats members, so its reply has no
 * bound but the count. Past this many, corral replies "value is out of range" (as SRANDMEMBER).
 */
const MAX_RANDOM_REPLY = 10_000_000;

// ---- key finders ---------------------------------------------------------------------------

/**
 * Writes to out, from index n, the key positions of `numkeys key [key ...] ...` with numkeys at
 * argument `countIdx`, and returns the new count. Adds nothing when numkeys is not an integer in
 * [1, keys given] (Redis's genericGetKeys: the call will reply an error and touches no key).
 */
function countedKeys(args: CommandArgs, countIdx: number, out: number[], n: number): number {
  const count = countIdx < args.argc ? parseInteger(args.buf, args.start[countIdx], args.end[countIdx]) : undefined;
  if (count === undefined || count < 1 || count > args.argc - countIdx - 1) return n;
  for (let i = 0; i < count; i++) out[n++] = countIdx + 1 + i;
  return n;
}

/** ZUNION ZINTER ZDIFF ZINTERCARD SINTERCARD: `numkeys key [key ...]`. */
export const numkeysKeys = keysAfterCount(1);

/** The *STORE forms: `destination numkeys key [key ...]`, destination first (as the key specs). */
function storeNumkeysKeys(args: CommandArgs, out: number[]): number {
  out[0] = 1;
  const n = countedKeys(args, 2, out, 1);
  // numkeys 0 still names the destination by the key specs; a bad numkeys names nothing.
  return n > 1 || (args.argc > 2 && parseInteger(args.buf, args.start[2], args.end[2]) === 0) ? n : 0;
}

// ---- ZUNION / ZINTER / ZDIFF / ZINTERCARD ----------------------------------------------------

const OP_UNION = 0;
const OP_INTER = 1;
const OP_DIFF = 2;

const AGG_SUM = 0;
const AGG_MIN = 1;
const AGG_MAX = 2;

/** One input: its value (null for a missing key), weight and size (Redis's zsetopsrc). */
interface Source {
  value: SortedSet | SetValue | null;
  weight: number;
  size: number;
}

function bySize(a: Source, b: Source): number {
  return a.size - b.size;
}

function byScoreThenMember(a: ZItem, b: ZItem): number {
  return compareItems(a.score, a.member, b);
}

/** zunionInterAggregate. */
function aggregate(target: number, value: number, agg: number): number {
  if (agg === AGG_SUM) {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (agg === AGG_MIN) return value < target ? value : target;
  return value > target ? value : target;
}

/** member's score in v (1 for a set member), or undefined. */
function scoreIn(v: SortedSet | SetValue | null, member: string): number | undefined {
  if (v === null) return undefined;
  if (v instanceof SortedSet) return v.score(member);
  return v.has(member) ? 1 : undefined;
}

/** Adds one weighted occurrence of member to the union being accumulated. */
function accumulate(acc: Map<string, number>, member: string, score: number, weight: number, agg: number): void {
  let s = weight * score;
  if (Number.isNaN(s)) s = 0;
  const cur = acc.get(member);
  acc.set(member, cur === undefined ? s : aggregate(cur, s, agg));
}

/**
 * The ZINTER score of member (score `score` in the smallest input, srcs[0]), or NaN when some
 * input lacks it (a final score is never NaN, see the file comment).
 */
function interScore(srcs: Source[], member: string, score: number, agg: number): number {
  let s = srcs[0].weight * score;
  if (Number.isNaN(s)) s = 0;
  for (let j = 1; j < srcs.length; j++) {
    const v = scoreIn(srcs[j].value, member);
    if (v === undefined) return NaN;
    s = aggregate(s, v * srcs[j].weight, agg);
  }
  return s;
}

/** Whether any input after the first holds member (ZDIFF). */
function inLater(srcs: Source[], member: string): boolean {
  for (let j = 1; j < srcs.length; j++) if (scoreIn(srcs[j].value, member) !== undefined) return true;
  return false;
}

function union(srcs: Source[], agg: number): ZItem[] {
  const acc = new Map<string, number>();
  for (const src of srcs) {
    const v = src.value;
    if (v === null || v.size === 0) continue;
    if (v instanceof SortedSet) for (const [m, s] of v.scoreMap) accumulate(acc, m, s, src.weight, agg);
    else for (const m of v.members()) accumulate(acc, m, 1, src.weight, agg);
  }
  const items: ZItem[] = [];
  for (const [member, score] of acc) items.push({ member, score });
  return items;
}

/** ZINTER's members (or, with cardOnly, only their count up to limit: 0 = no limit). */
function intersection(srcs: Source[], agg: number, cardOnly: boolean, limit: number): ZItem[] | number {
  const items: ZItem[] = [];
  let count = 0;
  const v = srcs[0].value;
  // Sorted by size, so when the smallest input is empty or missing nothing can match.
  if (v === null || v.size === 0) return cardOnly ? 0 : items;
  const zs = v instanceof SortedSet ? v : null;
  const members: Iterable<string> = zs !== null ? zs.scoreMap.keys() : (v as SetValue).members();
  for (const member of members) {
    const s = interScore(srcs, member, zs !== null ? zs.score(member)! : 1, agg);
    if (Number.isNaN(s)) continue;
    if (!cardOnly) items.push({ member, score: s });
    else if (++count === limit) break;
  }
  return cardOnly ? count : items;
}

/** zdiff: the first input's members (and scores) that no later input has. */
function difference(srcs: Source[]): ZItem[] {
  const items: ZItem[] = [];
  const v = srcs[0].value;
  if (v === null || v.size === 0) return items;
  // The first key named again: everything is subtracted.
  for (let j = 1; j < srcs.length; j++) if (srcs[j].value === v) return items;
  if (v instanceof SortedSet) {
    for (const [m, s] of v.scoreMap) if (!inLater(srcs, m)) items.push({ member: m, score: s });
  } else {
    for (const m of v.members()) if (!inLater(srcs, m)) items.push({ member: m, score: 1 });
  }
  return items;
}

/**
 * Stores items (sorted) at key as a new sorted set, replacing any value and TTL, and notifies
 * `event`; or, when there are none, deletes the key (notifying "del" if it existed). Replies the
 * count. `skiplist`: built as a skiplist from the start (no listpack, so -0 scores stay -0).
 */
export function storeItems(c: CommandContext, key: string, items: ZItem[], skiplist: boolean, event: string): void {
  if (items.length === 0) {
    if (c.db.delete(key)) c.notify(NOTIFY_GENERIC, 'del', key);
    c.w.integer(0);
    return;
  }
  const zs = new SortedSet();
  if (skiplist) zs.convertToSkiplist();
  for (const item of items) zs.set(item.member, item.score, c.store.limits);
  c.db.create(key, TYPE_ZSET, zs);
  c.db.modified(key);
  c.w.integer(zs.size);
  c.notify(NOTIFY_ZSET, event, key);
}

/** zunionInterDiffGenericCommand: `store` reads the destination at argument 1. */
function zsetOperation(c: CommandContext, op: number, store: boolean, cardOnly: boolean): void {
  const argc = c.argc;
  const countIdx = store ? 2 : 1;
  const setnum = c.int(countIdx);
  if (setnum === undefined) return c.w.error(ERR_NOT_INTEGER);
  if (setnum < 1) return c.w.error(`ERR at least 1 input key is needed for '${c.name}' command`);
  if (setnum > argc - countIdx - 1) return c.w.error(ERR_SYNTAX);

  const srcs: Source[] = [];
  let j = countIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const e = c.db.lookupRead(c.str(j));
    let value: SortedSet | SetValue | null = null;
    if (e !== undefined) {
      if (e.type !== TYPE_ZSET && e.type !== TYPE_SET) return c.w.error(ERR_WRONGTYPE);
      value = e.value as SortedSet | SetValue;
    }
    srcs.push({ value, weight: 1, size: value === null ? 0 : value.size });
  }

  let agg = AGG_SUM;
  let withScores = false;
  let limit = 0;
  const algebra = op !== OP_DIFF && !cardOnly;
  while (j < argc) {
    const remaining = argc - j;
    if (algebra && remaining >= setnum + 1 && optIs(c, j, 'weights')) {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = parseDouble(c.str(j), true);
        if (w === undefined) return c.w.error(ERR_WEIGHT);
        srcs[i].weight = w;
      }
    } else if (algebra && remaining >= 2 && optIs(c, j, 'aggregate')) {
      j++;
      if (optIs(c, j, 'sum')) agg = AGG_SUM;
      else if (optIs(c, j, 'min')) agg = AGG_MIN;
      else if (optIs(c, j, 'max')) agg = AGG_MAX;
      else return c.w.error(ERR_SYNTAX);
      j++;
    } else if (!store && !cardOnly && optIs(c, j, 'withscores')) {
      j++;
      withScores = true;
    } else if (cardOnly && remaining >= 2 && optIs(c, j, 'limit')) {
      const l = c.int(j + 1);
      if (l === undefined || l < 0) return c.w.error(ERR_LIMIT_NEGATIVE);
      limit = l;
      j += 2;
    } else {
      return c.w.error(ERR_SYNTAX);
    }
  }

  if (op !== OP_DIFF) srcs.sort(bySize);
  let items: ZItem[];
  if (op === OP_INTER) {
    const r = intersection(srcs, agg, cardOnly, limit);
    if (typeof r === 'number') return c.w.integer(r);
    items = r;
  } else {
    items = op === OP_UNION ? union(srcs, agg) : difference(srcs);
  }
  items.sort(byScoreThenMember);

  if (!store) return writeItems(c, items, false, withScores, c.w.resp === 3);
  let longest = 0;
  for (const item of items) if (item.member.length > longest) longest = item.member.length;
  const event = op === OP_UNION ? 'zunionstore' : op === OP_INTER ? 'zinterstore' : 'zdiffstore';
  const limits = c.store.limits;
  storeItems(c, c.str(1), items, items.length > limits.zsetEntries || longest > limits.zsetValue, event);
}

function zunionCommand(c: CommandContext): void {
  zsetOperation(c, OP_UNION, false, false);
}
function zinterCommand(c: CommandContext): void {
  zsetOperation(c, OP_INTER, false, false);
}
function zdiffCommand(c: CommandContext): void {
  zsetOperation(c, OP_DIFF, false, false);
}
function zunionstoreCommand(c: CommandContext): void {
  zsetOperation(c, OP_UNION, true, false);
}
function zinterstoreCommand(c: CommandContext): void {
  zsetOperation(c, OP_INTER, true, false);
}
function zdiffstoreCommand(c: CommandContext): void {
  zsetOperation(c, OP_DIFF, true, false);
}
function zintercardCommand(c: CommandContext): void {
  zsetOperation(c, OP_INTER, false, true);
}

// ---- ZRANGESTORE -----------------------------------------------------------------------------

const RANGE_AUTO = 0;
const RANGE_RANK = 1;
const RANGE_SCORE = 2;
const RANGE_LEX = 3;

/**
 * ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: zrangeGenericCommand
 * with the store handler. Options, then the range, then the source's type; the destination is
 * never type-checked. The range is added in the order ZRANGE would reply it, to a listpack unless
 * a rank range is known to be longer than 128 (then a skiplist from the start).
 */
function zrangestoreCommand(c: CommandContext): void {
  const argc = c.argc;
  let type = RANGE_AUTO;
  let rev = false;
  let offset = 0;
  let limit = -1;
  for (let j = 5; j < argc; j++) {
    if (optIs(c, j, 'limit') && argc - j - 1 >= 2) {
      const o = c.int(j + 1);
      const l = o === undefined ? undefined : c.int(j + 2);
      if (o === undefined || l === undefined) return c.w.error(ERR_NOT_INTEGER);
      offset = o;
      limit = l;
      j += 2;
    } else if (!rev && optIs(c, j, 'rev')) rev = true;
    else if (type === RANGE_AUTO && optIs(c, j, 'bylex')) type = RANGE_LEX;
    else if (type === RANGE_AUTO && optIs(c, j, 'byscore')) type = RANGE_SCORE;
    else return c.w.error(ERR_SYNTAX);
  }
  if (type === RANGE_AUTO) type = RANGE_RANK;
  if (limit !== -1 && type === RANGE_RANK) return c.w.error(ERR_LIMIT);
  // BYSCORE/BYLEX with REV take the range as max, min.
  const minIdx = rev && type !== RANGE_RANK ? 4 : 3;
  const maxIdx = minIdx === 3 ? 4 : 3;
  let start = 0;
  let end = 0;
  const minScore = type === RANGE_SCORE ? parseBound(c.str(minIdx)) : undefined;
  const maxScore = type === RANGE_SCORE ? parseBound(c.str(maxIdx)) : undefined;
  const minLex = type === RANGE_LEX ? parseLex(c.str(minIdx)) : undefined;
  const maxLex = type === RANGE_LEX ? parseLex(c.str(maxIdx)) : undefined;
  if (type === RANGE_RANK) {
    const s = c.int(minIdx);
    const t = s === undefined ? undefined : c.int(maxIdx);
    if (s === undefined || t === undefined) return c.w.error(ERR_NOT_INTEGER);
    start = s;
    end = t;
  } else if (type === RANGE_SCORE && (minScore === undefined || maxScore === undefined)) {
    return c.w.error(ERR_MINMAX);
  } else if (type === RANGE_LEX && (minLex === undefined || maxLex === undefined)) {
    return c.w.error(ERR_LEX);
  }

  const dst = c.str(1);
  const e = c.readTyped(c.str(2), TYPE_ZSET);
  if (e === null) return;
  if (e === undefined) return storeItems(c, dst, [], false, 'zrangestore');
  const zs = e.value as SortedSet;
  const size = zs.size;
  let lo: number;
  let hi: number;
  if (type === RANGE_RANK) {
    if (start < 0) start += size;
    if (end < 0) end += size;
    if (start < 0) start = 0;
    if (start > end || start >= size) return storeItems(c, dst, [], false, 'zrangestore');
    if (end >= size) end = size - 1;
    [lo, hi] = rev ? [size - 1 - end, size - start] : [start, end + 1];
  } else {
    [lo, hi] = type === RANGE_SCORE ? scoreSpan(zs, minScore!, maxScore!) : lexSpan(zs, minLex!, maxLex!);
    // LIMIT in the direction of iteration: a negative offset skips everything, a negative count
    // takes all.
    if (offset < 0) return storeItems(c, dst, [], false, 'zrangestore');
    if (rev) hi -= offset;
    else lo += offset;
    if (limit >= 0 && hi - lo > limit) {
      if (rev) lo = hi - limit;
      else hi = lo + limit;
    }
    if (lo >= hi) return storeItems(c, dst, [], false, 'zrangestore');
  }
  const items = zs.slice(lo, hi - 1);
  if (rev) items.reverse();
  storeItems(c, dst, items, type === RANGE_RANK && items.length > c.store.limits.zsetEntries, 'zrangestore');
}

// ---- ZRANDMEMBER -----------------------------------------------------------------------------

/** A uniformly random rank of a set of `size` members. */
function randomRank(size: number): number {
  return Math.floor(Math.random() * size);
}

/**
 * ZRANDMEMBER key [count [WITHSCORES]]. The count is read (-LONG_MAX..LONG_MAX) before the key;
 * WITHSCORES allows half that. Then, as zrandmemberWithCountCommand's cases:
 * 1. negative count (or 1): that many independent picks, in draw order;
 * 2. count >= size: the whole set, in the order Redis iterates it (highest rank first);
 * 3. count * 3 > size: a random subset, in no particular order;
 * 4. otherwise distinct random picks; a listpack replies them in rank order (lpRandomPairsUnique).
 */
function zrandmemberCommand(c: CommandContext): void {
  const argc = c.argc;
  if (argc === 2) {
    const e = c.readTyped(c.str(1), TYPE_ZSET);
    if (e === null) return;
    if (e === undefined) return c.w.nil();
    const zs = e.value as SortedSet;
    return c.w.bulk(zs.at(randomRank(zs.size)).member);
  }
  const l = int64Arg(c, 2);
  if (l === undefined) return c.w.error(ERR_NOT_INTEGER);
  // -LONG_MAX..LONG_MAX. Past 2^53 counts arrive as bigints, so the comparisons are exact.
  if (l === -(2n ** 63n)) return c.w.error(ERR_COUNT_RANGE);
  if (argc > 4 || (argc === 4 && !optIs(c, 3, 'withscores'))) return c.w.error(ERR_SYNTAX);
  const withScores = argc === 4;
  if (withScores && typeof l === 'bigint' && (l > HALF_LONG_MAX || l < -HALF_LONG_MAX)) return c.w.error(ERR_RANGE);
  const e = c.readTyped(c.str(1), TYPE_ZSET);
  if (e === null) return;
  if (e === undefined) return c.w.array(0);
  const zs = e.value as SortedSet;
  const n = Number(l);
  const count = Math.abs(n);
  if (count === 0) return c.w.array(0);
  const nested = withScores && c.w.resp === 3;
  const size = zs.size;

  if (n < 0 || count === 1) {
    if (count > MAX_RANDOM_REPLY) return c.w.error(ERR_RANGE);
    c.w.array(withScores && !nested ? count * 2 : count);
    for (let k = 0; k < count; k++) writeMember(c, zs.at(randomRank(size)), withScores, nested);
    return;
  }
  if (count >= size) return writeItems(c, zs.toArray(), true, withScores, nested);

  const picked: ZItem[] = [];
  if (count * SUB_STRATEGY_MUL > size) {
    // Case 3: drop random members from a copy until count remain.
    const all = zs.toArray();
    for (let left = size; left > count; left--) {
      const k = randomRank(left);
      all[k] = all[left - 1];
    }
    for (let k = 0; k < count; k++) picked.push(all[k]);
  } else {
    // Case 4: random picks, repeats skipped.
    const seen = new Set<number>();
    while (seen.size < count) seen.add(randomRank(size));
    const ranks = Uint32Array.from(seen);
    if (zs.encoding() === 'listpack') ranks.sort();
    for (const r of ranks) picked.push(zs.at(r));
  }
  writeItems(c, picked, false, withScores, nested);
}

function writeMember(c: CommandContext, item: ZItem, withScores: boolean, nested: boolean): void {
  if (nested) c.w.array(2);
  c.w.bulk(item.member);
  if (withScores) writeScore(c, item.score);
}

// ---- table -----------------------------------------------------------------------------------

// The numkeys commands are CMD_MOVABLE_KEYS: their key finders give every key (destination and
// sources) to routing and CROSSSLOT checks. firstKey/lastKey name the one key every valid call has
// (COMMAND INFO replies Redis's own metadata, 0 0 0 for the keyless-looking forms).
const R = CMD_READONLY;
const MOVABLE_READ = R | CMD_MOVABLE_KEYS;
const MOVABLE_STORE = CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS;
const READ_KEYS = { firstKey: 2, lastKey: 2, keys: numkeysKeys };
const STORE_KEYS = { firstKey: 1, lastKey: 1, keys: storeNumkeysKeys };

export const zsetAlgebraCommands: CommandDef[] = [
  { name: 'zunion', arity: -3, flags: MOVABLE_READ, ...READ_KEYS, handler: zunionCommand },
  { name: 'zinter', arity: -3, flags: MOVABLE_READ, ...READ_KEYS, handler: zinterCommand },
  { name: 'zdiff', arity: -3, flags: MOVABLE_READ, ...READ_KEYS, handler: zdiffCommand },
  { name: 'zintercard', arity: -3, flags: MOVABLE_READ, ...READ_KEYS, handler: zintercardCommand },
  { name: 'zunionstore', arity: -4, flags: MOVABLE_STORE, ...STORE_KEYS, handler: zunionstoreCommand },
  { name: 'zinterstore', arity: -4, flags: MOVABLE_STORE, ...STORE_KEYS, handler: zinterstoreCommand },
  { name: 'zdiffstore', arity: -4, flags: MOVABLE_STORE, ...STORE_KEYS, handler: zdiffstoreCommand },
  { name: 'zrangestore', arity: -5, flags: CMD_WRITE | CMD_DENYOOM, firstKey: 1, lastKey: 2, handler: zrangestoreCommand },
  { name: 'zrandmember', arity: -2, flags: R, firstKey: 1, handler: zrandmemberCommand },
];
