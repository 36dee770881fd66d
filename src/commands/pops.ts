// Pops that name several keys and take from the first non-empty one: LMPOP and ZMPOP, and the
// pieces the blocking pops (server/commands/blocking.ts) share with them: the argument parsing,
// the pop-and-reply of one list or sorted set (as Redis 7.0's listPopRangeAndReplyWithKey and
// genericZpopCommand with the key emitted), and the blocking timeout's parsing.

import type { CommandContext } from './context.js';
import { CMD_MOVABLE_KEYS, CMD_WRITE, keysAfterCount, type CommandDef } from './table.js';
import { ERR_SYNTAX } from './errors.js';
import { TYPE_LIST, TYPE_ZSET, type Entry } from '../store/entry.js';
import type { Deque } from '../store/deque.js';
import type { SortedSet } from '../store/sorted-set.js';
import { parseLongDouble } from '../util/long-double.js';
import { writeScore } from './zsets.js';
import { NOTIFY_GENERIC, NOTIFY_LIST, NOTIFY_ZSET } from './keyspace-events.js';

const ERR_NUMKEYS = 'ERR numkeys should be greater than 0';
const ERR_COUNT = 'ERR count should be greater than 0';
const ERR_TIMEOUT_FLOAT = 'ERR timeout is not a float or out of range';
const ERR_TIMEOUT_NEGATIVE = 'ERR timeout is negative';
const LONG_MAX = 2 ** 63;

/** An [LZ]MPOP call: its keys' argument positions, which end it pops from, and how many (>= 1). */
export interface MpopArgs {
  firstKey: number;
  numkeys: number;
  /** LEFT (lists) or MIN (sorted sets). */
  front: boolean;
  count: number;
}

/**
 * Parses `numkeys key... LEFT|RIGHT|MIN|MAX [COUNT n]` from argument `at` as Redis 7.0's
 * lmpopGenericCommand / zmpopGenericCommand; null after replying the error.
 */
export function parseMpop(c: CommandContext, at: number, zset: boolean): MpopArgs | null {
  const numkeys = rangedLong(c, at, ERR_NUMKEYS);
  if (numkeys === null) return null;
  const whereAt = at + numkeys + 1;
  if (whereAt >= c.argc) return fail(c, ERR_SYNTAX);
  let front: boolean;
  if (c.is(whereAt, zset ? 'min' : 'left')) front = true;
  else if (c.is(whereAt, zset ? 'max' : 'right')) front = false;
  else return fail(c, ERR_SYNTAX);
  let count = -1;
  for (let j = whereAt + 1; j < c.argc; j++) {
    if (count === -1 && c.is(j, 'count') && j < c.argc - 1) {
      const n = rangedLong(c, ++j, ERR_COUNT);
      if (n === null) return null;
      count = n;
    } else return fail(c, ERR_SYNTAX);
  }
  return { firstKey: at + 1, numkeys, front, count: count === -1 ? 1 : count };
}

/** A long in [1, LONG_MAX] (getRangeLongFromObjectOrReply: one message for both faults); null after replying. */
function rangedLong(c: CommandContext, i: number, rangeError: string): number | null {
  const n = c.int(i);
  if (n === undefined || n < 1) return fail(c, rangeError);
  return n;
}

function fail(c: CommandContext, error: string): null {
  c.w.error(error);
  return null;
}

/**
 * A blocking command's timeout in seconds (a long double, as Redis reads it) as milliseconds:
 * 0 waits forever. Redis computes ceil(seconds * 1000) into a long long, so a value past its
 * range ends up negative there (and is refused as such). Null after replying the error.
 */
export function parseBlockTimeout(c: CommandContext, i: number): number | null {
  const ld = parseLongDouble(c.str(i));
  if (ld === undefined) return fail(c, ERR_TIMEOUT_FLOAT);
  const seconds = ld.inf ? Infinity : Number(ld.m) * 2 ** ld.e;
  const ms = Math.ceil((ld.neg ? -seconds : seconds) * 1000);
  if (ms < 0 || ms >= LONG_MAX || Number.isNaN(ms)) return fail(c, ERR_TIMEOUT_NEGATIVE);
  return ms === 0 ? 0 : ms;
}

/**
 * The first of the keys (argument positions first.. first+n-1) that holds a non-empty value of
 * `type`, or undefined if none does; null after replying WRONGTYPE for a key of another type
 * met first.
 */
export function firstNonEmpty(c: CommandContext, first: number, n: number, type: typeof TYPE_LIST | typeof TYPE_ZSET): Entry | undefined | null {
  for (let i = first; i < first + n; i++) {
    const e = c.writeTyped(c.str(i), type);
    if (e === null) return null;
    if (e !== undefined) return e;
  }
  return undefined;
}

/** Pops one element off a non-empty list and replies [key, element] (BLPOP/BRPOP). Returns whether the key went. */
export function popListOne(c: CommandContext, e: Entry, front: boolean): boolean {
  const d = e.value as Deque;
  const before = d.bytes;
  const value = (front ? d.popFront() : d.popBack())!;
  c.w.array(2);
  c.w.bulk(e.key);
  c.w.bulk(value);
  return afterPop(c, e, d.length, d.bytes - before, NOTIFY_LIST, front ? 'lpop' : 'rpop');
}

/** Pops up to count elements off a non-empty list and replies [key, [elements]] ([B]LMPOP). */
export function popListRange(c: CommandContext, e: Entry, front: boolean, count: number): boolean {
  const d = e.value as Deque;
  const before = d.bytes;
  const n = Math.min(count, d.length);
  c.w.array(2);
  c.w.bulk(e.key);
  c.w.array(n);
  for (let i = 0; i < n; i++) c.w.bulk((front ? d.popFront() : d.popBack())!);
  return afterPop(c, e, d.length, d.bytes - before, NOTIFY_LIST, front ? 'lpop' : 'rpop');
}

/**
 * Pops off a non-empty sorted set and replies with the key: count -1 is BZPOPMIN/BZPOPMAX's
 * flat [key, member, score]; otherwise [key, [[member, score]...]] ([B]ZMPOP).
 */
export function popZset(c: CommandContext, e: Entry, min: boolean, count: number): boolean {
  const zs = e.value as SortedSet;
  const before = zs.bytes;
  const items = zs.pop(count === -1 ? 1 : count, !min);
  const w = c.w;
  if (count === -1) {
    w.array(3);
    w.bulk(e.key);
    w.bulk(items[0].member);
    writeScore(c, items[0].score);
  } else {
    w.array(2);
    w.bulk(e.key);
    w.array(items.length);
    for (const item of items) {
      w.array(2);
      w.bulk(item.member);
      writeScore(c, item.score);
    }
  }
  return afterPop(c, e, zs.size, zs.bytes - before, NOTIFY_ZSET, min ? 'zpopmin' : 'zpopmax');
}

/**
 * After a pop: the pop's keyspace event, then deletes an emptied key (its `del` event) or
 * accounts the byte change. Returns whether the key went. (Redis raises a sorted set's pop event
 * inside the reply, after its header: only a RESP3 client subscribed to its own events sees
 * the difference.)
 */
function afterPop(c: CommandContext, e: Entry, left: number, byteDelta: number, type: number, event: string): boolean {
  const key = e.key;
  c.notify(type, event, key);
  if (left === 0) {
    c.db.delete(key);
    c.notify(NOTIFY_GENERIC, 'del', key);
    return true;
  }
  c.db.changed(e, byteDelta);
  return false;
}

/** LMPOP numkeys key... LEFT|RIGHT [COUNT n]. */
function lmpopCommand(c: CommandContext): void {
  const a = parseMpop(c, 1, false);
  if (a === null) return;
  const e = firstNonEmpty(c, a.firstKey, a.numkeys, TYPE_LIST);
  if (e === null) return;
  if (e === undefined) c.w.nullArray();
  else {
    // Replicated as Redis does: LPOP/RPOP key count, the count capped at what was there.
    c.replicateAs = [a.front ? 'LPOP' : 'RPOP', e.key, String(Math.min(a.count, (e.value as Deque).length))];
    popListRange(c, e, a.front, a.count);
  }
}

/** ZMPOP numkeys key... MIN|MAX [COUNT n]. */
function zmpopCommand(c: CommandContext): void {
  const a = parseMpop(c, 1, true);
  if (a === null) return;
  const e = firstNonEmpty(c, a.firstKey, a.numkeys, TYPE_ZSET);
  if (e === null) return;
  if (e === undefined) c.w.nullArray();
  else {
    c.replicateAs = [a.front ? 'ZPOPMIN' : 'ZPOPMAX', e.key, String(Math.min(a.count, (e.value as SortedSet).size))];
    popZset(c, e, a.front, a.count);
  }
}

const mpopKeys = { firstKey: 2, lastKey: -1, keyStep: 1, keys: keysAfterCount(1) };

export const popCommands: CommandDef[] = [
  { name: 'lmpop', arity: -4, flags: CMD_WRITE | CMD_MOVABLE_KEYS, ...mpopKeys, handler: lmpopCommand },
  { name: 'zmpop', arity: -4, flags: CMD_WRITE | CMD_MOVABLE_KEYS, ...mpopKeys, handler: zmpopCommand },
];
