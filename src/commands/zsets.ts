// Sorted-set commands (ZADD ... ZPOPMAX) as Redis 7.0 replies them, over store/sorted-set.ts.
// Scores are parsed as Redis's string2d (strtod, whole string) and ranges as zslParseRange.
//
// Reply shapes (checked on redis-server 7.0.15): scores are doubles (RESP3 `,x`, RESP2 bulk, text
// by %.17g); WITHSCORES ranges are flat in RESP2 and [member, score] pairs in RESP3; ZPOPMIN
// without a count is a flat pair in both, with a count nested pairs in RESP3 only.

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_POSITIVE, ERR_SYNTAX } from './errors.js';
import { TYPE_ZSET, type Entry } from '../store/entry.js';
import { SortedSet, parseBound, parseDouble, parseLex, type LexBound, type ScoreBound, type ZItem } from '../store/sorted-set.js';
import { formatDouble } from '../protocol/reply-writer.js';
import { NOTIFY_GENERIC, NOTIFY_ZSET } from './keyspace-events.js';

const ERR_XX_NX = 'ERR XX and NX options at the same time are not compatible';
const ERR_GT_LT_NX = 'ERR GT, LT, and/or NX options at the same time are not compatible';
const ERR_INCR_PAIR = 'ERR INCR option supports a single increment-element pair';
const ERR_NAN = 'ERR resulting score is not a number (NaN)';
export const ERR_MINMAX = 'ERR min or max is not a float';
export const ERR_LEX = 'ERR min or max not valid string range item';
export const ERR_LIMIT = 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX';
const ERR_LEX_SCORES = 'ERR syntax error, WITHSCORES not supported in combination with BYLEX';

/** Argument i as a score by Redis's string2d: undefined when not a valid float. */
function parseScore(c: CommandContext, i: number): number | undefined {
  // Fast path: short plain integers, read from the buffer without making a string.
  const a = c.args;
  const start = a.start[i];
  const end = a.end[i];
  const buf = a.buf;
  const neg = end > start && buf[start] === 45;
  const len = end - start - (neg ? 1 : 0);
  if (len > 0 && len <= 15) {
    let v = 0;
    let k = neg ? start + 1 : start;
    for (; k < end; k++) {
      const d = buf[k] - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (k === end) return neg ? -v : v;
  }
  return parseDouble(c.str(i), true);
}

/** The sorted set at key for reading; null after replying WRONGTYPE. */
function readZset(c: CommandContext, key: string): SortedSet | undefined | null {
  const e = c.readTyped(key, TYPE_ZSET);
  return e == null ? e : (e.value as SortedSet);
}

/** The sorted-set entry at key for writing; null after replying WRONGTYPE. */
function writeZset(c: CommandContext, key: string): Entry | undefined | null {
  return c.writeTyped(key, TYPE_ZSET);
}

/** %.17g text of a score; integers below 2^53 skip the exact bigint formatter. */
function scoreText(d: number): string {
  if (Number.isInteger(d) && d < 1e15 && d > -1e15 && !Object.is(d, -0)) return String(d);
  return formatDouble(d);
}

export function writeScore(c: CommandContext, d: number): void {
  c.w.double(scoreText(d));
}

/** Items as a range reply: flat in RESP2, [member, score] pairs in RESP3 when withScores. */
export function writeItems(c: CommandContext, items: ZItem[], reverse: boolean, withScores: boolean, nested: boolean): void {
  const n = items.length;
  c.w.array(withScores && !nested ? n * 2 : n);
  for (let k = 0; k < n; k++) {
    const item = items[reverse ? n - 1 - k : k];
    if (withScores && nested) c.w.array(2);
    c.w.bulk(item.member);
    if (withScores) writeScore(c, item.score);
  }
}

const F_NX = 1;
const F_XX = 2;
const F_GT = 4;
const F_LT = 8;
const F_INCR = 16;
const F_CH = 32;

/** ZADD and ZINCRBY (zaddGenericCommand): options, then all scores parsed before any change. */
function zaddGeneric(c: CommandContext, flags: number, scoreIdx: number): void {
  const argc = c.argc;
  if (flags === 0) {
    for (; scoreIdx < argc; scoreIdx++) {
      if (c.is(scoreIdx, 'nx')) flags |= F_NX;
      else if (c.is(scoreIdx, 'xx')) flags |= F_XX;
      else if (c.is(scoreIdx, 'ch')) flags |= F_CH;
      else if (c.is(scoreIdx, 'incr')) flags |= F_INCR;
      else if (c.is(scoreIdx, 'gt')) flags |= F_GT;
      else if (c.is(scoreIdx, 'lt')) flags |= F_LT;
      else break;
    }
  }
  const elements = argc - scoreIdx;
  if (elements === 0 || elements % 2 === 1) return c.w.error(ERR_SYNTAX);
  const nx = (flags & F_NX) !== 0;
  const xx = (flags & F_XX) !== 0;
  const gt = (flags & F_GT) !== 0;
  const lt = (flags & F_LT) !== 0;
  const incr = (flags & F_INCR) !== 0;
  if (nx && xx) return c.w.error(ERR_XX_NX);
  if ((gt && nx) || (lt && nx) || (gt && lt)) return c.w.error(ERR_GT_LT_NX);
  if (incr && elements > 2) return c.w.error(ERR_INCR_PAIR);
  const pairs = elements / 2;
  const scores = pairs === 1 ? undefined : new Array<number>(pairs);
  let single = 0;
  for (let j = 0; j < pairs; j++) {
    const s = parseScore(c, scoreIdx + j * 2);
    if (s === undefined) return c.w.error(ERR_NOT_FLOAT);
    if (scores === undefined) single = s;
    else scores[j] = s;
  }
  const key = c.str(1);
  let e = writeZset(c, key);
  if (e === null) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (e !== undefined || !xx) {
    if (e === undefined) e = c.db.create(key, TYPE_ZSET, new SortedSet());
    const zs = e.value as SortedSet;
    let delta = 0;
    for (let j = 0; j < pairs; j++) {
      score = scores === undefined ? single : scores[j];
      const member = c.str(scoreIdx + j * 2 + 1);
      const cur = zs.score(member);
      if (cur !== undefined) {
        if (nx) continue;
        if (incr) {
          score += cur;
          // INCR takes a single pair, so nothing was changed yet.
          if (Number.isNaN(score)) return c.w.error(ERR_NAN);
        }
        if ((lt && score >= cur) || (gt && score <= cur)) continue;
        processed++;
        if (score !== cur) {
          zs.set(member, score);
          updated++;
        }
      } else if (!xx) {
        delta += zs.set(member, score, c.store.limits);
        added++;
        processed++;
      }
    }
    if (added + updated > 0) c.db.changed(e, delta);
  }
  if (incr) {
    if (processed > 0) writeScore(c, score);
    else c.w.nil();
  } else {
    c.w.integer((flags & F_CH) !== 0 ? added + updated : added);
  }
  if (added + updated > 0) c.notify(NOTIFY_ZSET, incr ? 'zincr' : 'zadd', key);
}

export function zaddCommand(c: CommandContext): void {
  zaddGeneric(c, 0, 2);
}

function zincrbyCommand(c: CommandContext): void {
  zaddGeneric(c, F_INCR, 2);
}

function zremCommand(c: CommandContext): void {
  const key = c.str(1);
  const e = writeZset(c, key);
  if (e === null) return;
  if (e === undefined) return c.w.integer(0);
  const zs = e.value as SortedSet;
  let deleted = 0;
  let delta = 0;
  for (let i = 2; i < c.argc; i++) {
    const d = zs.delete(c.str(i));
    if (d === 0) continue;
    deleted++;
    delta += d;
    if (zs.size === 0) break;
  }
  if (zs.size === 0) c.db.delete(key);
  else if (deleted > 0) c.db.changed(e, delta);
  if (deleted > 0) {
    c.notify(NOTIFY_ZSET, 'zrem', key);
    if (zs.size === 0) c.notify(NOTIFY_GENERIC, 'del', key);
  }
  c.w.integer(deleted);
}

function zcardCommand(c: CommandContext): void {
  const zs = readZset(c, c.str(1));
  if (zs === null) return;
  c.w.integer(zs === undefined ? 0 : zs.size);
}

function zscoreCommand(c: CommandContext): void {
  const zs = readZset(c, c.str(1));
  if (zs === null) return;
  const s = zs?.score(c.str(2));
  if (s === undefined) c.w.nil();
  else writeScore(c, s);
}

function zmscoreCommand(c: CommandContext): void {
  const zs = readZset(c, c.str(1));
  if (zs === null) return;
  c.w.array(c.argc - 2);
  for (let i = 2; i < c.argc; i++) {
    const s = zs?.score(c.str(i));
    if (s === undefined) c.w.nil();
    else writeScore(c, s);
  }
}

function zrankCommand(c: CommandContext): void {
  const zs = readZset(c, c.str(1));
  if (zs === null) return;
  const r = zs?.rank(c.str(2));
  if (r === undefined) return c.w.nil();
  c.w.integer(c.name === 'zrevrank' ? zs!.size - 1 - r : r);
}

/** Ascending ranks [lo, hi) of the items inside a score range. */
export function scoreSpan(zs: SortedSet, min: ScoreBound, max: ScoreBound): [number, number] {
  const lo = zs.rankOfScore(min.value, min.exclusive);
  const hi = zs.rankOfScore(max.value, !max.exclusive);
  return [lo, Math.max(lo, hi)];
}

/** First rank whose member is not below the bound: m > x, or m === x unless skipEqual. */
function lexRank(zs: SortedSet, b: LexBound, skipEqual: boolean): number {
  if (b.inf !== 0) return b.inf < 0 ? 0 : zs.size;
  let lo = 0;
  let hi = zs.size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = zs.at(mid).member;
    if (m < b.member || (skipEqual && m === b.member)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Ascending ranks [lo, hi) of the items inside a lex range (all scores assumed equal). */
export function lexSpan(zs: SortedSet, min: LexBound, max: LexBound): [number, number] {
  const lo = lexRank(zs, min, min.exclusive);
  const hi = lexRank(zs, max, !max.exclusive);
  return [lo, Math.max(lo, hi)];
}

function zcountCommand(c: CommandContext): void {
  const min = parseBound(c.str(2));
  const max = parseBound(c.str(3));
  if (min === undefined || max === undefined) return c.w.error(ERR_MINMAX);
  const zs = readZset(c, c.str(1));
  if (zs === null) return;
  if (zs === undefined) return c.w.integer(0);
  const [lo, hi] = scoreSpan(zs, min, max);
  c.w.integer(hi - lo);
}

function zlexcountCommand(c: CommandContext): void {
  const min = parseLex(c.str(2));
  const max = parseLex(c.str(3));
  if (min === undefined || max === undefined) return c.w.error(ERR_LEX);
  const zs = readZset(c, c.str(1));
  if (zs === null) return;
  if (zs === undefined) return c.w.integer(0);
  const [lo, hi] = lexSpan(zs, min, max);
  c.w.integer(hi - lo);
}

const RANGE_AUTO = 0;
const RANGE_RANK = 1;
const RANGE_SCORE = 2;
const RANGE_LEX = 3;

/**
 * zrangeGenericCommand: ZRANGE and its fixed-mode forms. `type` and `rev` are fixed by the
 * command name (RANGE_AUTO / undefined: chosen by the BYSCORE/BYLEX/REV options).
 */
function zrangeGeneric(c: CommandContext, type: number, rev: boolean | undefined): void {
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = 4; j < c.argc; j++) {
    const left = c.argc - j - 1;
    if (c.is(j, 'withscores')) withScores = true;
    else if (c.is(j, 'limit') && left >= 2) {
      const o = c.int(j + 1);
      const l = o === undefined ? undefined : c.int(j + 2);
      if (o === undefined || l === undefined) return c.w.error(ERR_NOT_INTEGER);
      offset = o;
      limit = l;
      j += 2;
    } else if (rev === undefined && c.is(j, 'rev')) rev = true;
    else if (type === RANGE_AUTO && c.is(j, 'bylex')) type = RANGE_LEX;
    else if (type === RANGE_AUTO && c.is(j, 'byscore')) type = RANGE_SCORE;
    else return c.w.error(ERR_SYNTAX);
  }
  if (rev === undefined) rev = false;
  if (type === RANGE_AUTO) type = RANGE_RANK;
  if (limit !== -1 && type === RANGE_RANK) return c.w.error(ERR_LIMIT);
  if (withScores && type === RANGE_LEX) return c.w.error(ERR_LEX_SCORES);
  // BYSCORE/BYLEX with REV take the range as max, min.
  const minIdx = rev && type !== RANGE_RANK ? 3 : 2;
  const maxIdx = minIdx === 2 ? 3 : 2;
  let start = 0;
  let end = 0;
  let minScore: ScoreBound | undefined;
  let maxScore: ScoreBound | undefined;
  let minLex: LexBound | undefined;
  let maxLex: LexBound | undefined;
  if (type === RANGE_RANK) {
    const s = c.int(minIdx);
    const t = s === undefined ? undefined : c.int(maxIdx);
    if (s === undefined || t === undefined) return c.w.error(ERR_NOT_INTEGER);
    start = s;
    end = t;
  } else if (type === RANGE_SCORE) {
    minScore = parseBound(c.str(minIdx));
    maxScore = parseBound(c.str(maxIdx));
    if (minScore === undefined || maxScore === undefined) return c.w.error(ERR_MINMAX);
  } else {
    minLex = parseLex(c.str(minIdx));
    maxLex = parseLex(c.str(maxIdx));
    if (minLex === undefined || maxLex === undefined) return c.w.error(ERR_LEX);
  }
  const zs = readZset(c, c.str(1));
  if (zs === null) return;
  if (zs === undefined) return c.w.array(0);
  const nested = c.w.resp === 3;
  const size = zs.size;
  if (type === RANGE_RANK) {
    if (start < 0) start += size;
    if (end < 0) end += size;
    if (start < 0) start = 0;
    if (start > end || start >= size) return c.w.array(0);
    if (end >= size) end = size - 1;
    const items = rev ? zs.slice(size - 1 - end, size - 1 - start) : zs.slice(start, end);
    return writeItems(c, items, rev, withScores, nested);
  }
  let [lo, hi] = type === RANGE_SCORE ? scoreSpan(zs, minScore!, maxScore!) : lexSpan(zs, minLex!, maxLex!);
  // LIMIT in the direction of iteration: a negative offset skips everything, a negative count
  // takes all.
  if (offset < 0) return c.w.array(0);
  if (rev) hi -= offset;
  else lo += offset;
  if (limit >= 0 && hi - lo > limit) {
    if (rev) lo = hi - limit;
    else hi = lo + limit;
  }
  if (lo >= hi) return c.w.array(0);
  writeItems(c, zs.slice(lo, hi - 1), rev, withScores, nested);
}

function zrangeCommand(c: CommandContext): void {
  zrangeGeneric(c, RANGE_AUTO, undefined);
}

function zrevrangeCommand(c: CommandContext): void {
  zrangeGeneric(c, RANGE_RANK, true);
}

function zrangebyscoreCommand(c: CommandContext): void {
  zrangeGeneric(c, RANGE_SCORE, c.name === 'zrevrangebyscore');
}

function zrangebylexCommand(c: CommandContext): void {
  zrangeGeneric(c, RANGE_LEX, c.name === 'zrevrangebylex');
}

/** ZPOPMIN / ZPOPMAX [count]. */
function zpopCommand(c: CommandContext): void {
  if (c.argc > 3) return c.w.error(ERR_SYNTAX);
  let count = -1;
  if (c.argc === 3) {
    const n = c.int(2);
    if (n === undefined || n < 0) return c.w.error(ERR_POSITIVE);
    count = n;
  }
  const key = c.str(1);
  const e = writeZset(c, key);
  if (e === null) return;
  if (e === undefined || count === 0) return c.w.array(0);
  const zs = e.value as SortedSet;
  const before = zs.bytes;
  const items = zs.pop(count === -1 ? 1 : count, c.name === 'zpopmax');
  if (zs.size === 0) c.db.delete(key);
  else c.db.changed(e, zs.bytes - before);
  // Redis notifies inside its reply, before the first element; the event goes just before it.
  c.notify(NOTIFY_ZSET, c.name === 'zpopmax' ? 'zpopmax' : 'zpopmin', key);
  writeItems(c, items, false, true, count !== -1 && c.w.resp === 3);
  if (zs.size === 0) c.notify(NOTIFY_GENERIC, 'del', key);
}

/** ZREMRANGEBYRANK / BYSCORE / BYLEX. */
function zremrangeCommand(c: CommandContext): void {
  const name = c.name;
  let lo = 0;
  let hi = 0;
  let minScore: ScoreBound | undefined;
  let maxScore: ScoreBound | undefined;
  let minLex: LexBound | undefined;
  let maxLex: LexBound | undefined;
  if (name === 'zremrangebyrank') {
    const s = c.int(2);
    const t = s === undefined ? undefined : c.int(3);
    if (s === undefined || t === undefined) return c.w.error(ERR_NOT_INTEGER);
    lo = s;
    hi = t;
  } else if (name === 'zremrangebyscore') {
    minScore = parseBound(c.str(2));
    maxScore = parseBound(c.str(3));
    if (minScore === undefined || maxScore === undefined) return c.w.error(ERR_MINMAX);
  } else {
    minLex = parseLex(c.str(2));
    maxLex = parseLex(c.str(3));
    if (minLex === undefined || maxLex === undefined) return c.w.error(ERR_LEX);
  }
  const key = c.str(1);
  const e = writeZset(c, key);
  if (e === null) return;
  if (e === undefined) return c.w.integer(0);
  const zs = e.value as SortedSet;
  const size = zs.size;
  if (name === 'zremrangebyrank') {
    if (lo < 0) lo += size;
    if (hi < 0) hi += size;
    if (lo < 0) lo = 0;
    if (lo > hi || lo >= size) return c.w.integer(0);
    if (hi >= size) hi = size - 1;
    hi++;
  } else {
    [lo, hi] = minScore !== undefined ? scoreSpan(zs, minScore, maxScore!) : lexSpan(zs, minLex!, maxLex!);
  }
  if (lo >= hi) return c.w.integer(0);
  const before = zs.bytes;
  for (const item of zs.slice(lo, hi - 1)) zs.delete(item.member);
  if (zs.size === 0) c.db.delete(key);
  else c.db.changed(e, zs.bytes - before);
  c.notify(NOTIFY_ZSET, name, key);
  if (zs.size === 0) c.notify(NOTIFY_GENERIC, 'del', key);
  c.w.integer(hi - lo);
}

const R = CMD_READONLY;
const W = CMD_WRITE;
export const zsetCommands: CommandDef[] = [
  { name: 'zadd', arity: -4, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: zaddCommand },
  { name: 'zincrby', arity: 4, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: zincrbyCommand },
  { name: 'zrem', arity: -3, flags: W | CMD_FAST, firstKey: 1, handler: zremCommand },
  { name: 'zcard', arity: 2, flags: R | CMD_FAST, firstKey: 1, handler: zcardCommand },
  { name: 'zscore', arity: 3, flags: R | CMD_FAST, firstKey: 1, handler: zscoreCommand },
  { name: 'zmscore', arity: -3, flags: R | CMD_FAST, firstKey: 1, handler: zmscoreCommand },
  { name: 'zrank', arity: 3, flags: R | CMD_FAST, firstKey: 1, handler: zrankCommand },
  { name: 'zrevrank', arity: 3, flags: R | CMD_FAST, firstKey: 1, handler: zrankCommand },
  { name: 'zcount', arity: 4, flags: R | CMD_FAST, firstKey: 1, handler: zcountCommand },
  { name: 'zlexcount', arity: 4, flags: R | CMD_FAST, firstKey: 1, handler: zlexcountCommand },
  { name: 'zrange', arity: -4, flags: R, firstKey: 1, handler: zrangeCommand },
  { name: 'zrevrange', arity: -4, flags: R, firstKey: 1, handler: zrevrangeCommand },
  { name: 'zrangebyscore', arity: -4, flags: R, firstKey: 1, handler: zrangebyscoreCommand },
  { name: 'zrevrangebyscore', arity: -4, flags: R, firstKey: 1, handler: zrangebyscoreCommand },
  { name: 'zrangebylex', arity: -4, flags: R, firstKey: 1, handler: zrangebylexCommand },
  { name: 'zrevrangebylex', arity: -4, flags: R, firstKey: 1, handler: zrangebylexCommand },
  { name: 'zpopmin', arity: -2, flags: W | CMD_FAST, firstKey: 1, handler: zpopCommand },
  { name: 'zpopmax', arity: -2, flags: W | CMD_FAST, firstKey: 1, handler: zpopCommand },
  { name: 'zremrangebyrank', arity: 4, flags: W, firstKey: 1, handler: zremrangeCommand },
  { name: 'zremrangebyscore', arity: 4, flags: W, firstKey: 1, handler: zremrangeCommand },
  { name: 'zremrangebylex', arity: 4, flags: W, firstKey: 1, handler: zremrangeCommand },
];
