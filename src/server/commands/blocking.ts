// The blocking pops: BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, as
// Redis 7.0 replies them. Each first tries its non-blocking form over its keys in order: a key of
// another type answers WRONGTYPE, the first non-empty one is popped at once, and the call is
// replicated as the plain pop it amounted to (LPOP key, LMOVE ..., ZPOPMIN key [n]) rather than
// as itself. With nothing to pop the client waits (server/blocking.ts), unless it may not block:
// inside MULTI/EXEC or a script the command answers as if it had timed out.

import type { CommandContext } from '../../commands/context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_MOVABLE_KEYS, CMD_NOSCRIPT, CMD_WRITE, keysAfterCount, type CommandDef } from '../../commands/table.js';
import { ERR_SYNTAX, ERR_WRONGTYPE } from '../../commands/errors.js';
import { firstNonEmpty, parseBlockTimeout, parseMpop, popListOne, popListRange, popZset } from '../../commands/pops.js';
import { move } from '../../commands/lists.js';
import { copyArgs } from '../../protocol/request-parser.js';
import { TYPE_LIST, TYPE_ZSET, type Entry } from '../../store/entry.js';
import type { Deque } from '../../store/deque.js';
import type { SortedSet } from '../../store/sorted-set.js';
import type { ServeFn, Waiter } from '../blocking.js';
import { clientOf, serverOf } from './util.js';

type WaitKind = typeof TYPE_LIST | typeof TYPE_ZSET;

/** Inside MULTI/EXEC or a script a client never blocks (Redis's CLIENT_DENY_BLOCKING). */
function mayBlock(c: CommandContext): boolean {
  const client = clientOf(c);
  return client.multi === null && client.inScript !== true;
}

/** Blocks the calling client on the keys at argument positions first..first+n-1. */
function blockOn(
  c: CommandContext,
  kind: WaitKind,
  first: number,
  n: number,
  timeoutMs: number,
  serve: ServeFn,
  front: boolean,
  count: number,
  target: string | null = null,
  toFront = false,
): void {
  const keys: string[] = [];
  for (let i = first; i < first + n; i++) {
    const key = c.str(i);
    if (!keys.includes(key)) keys.push(key);
  }
  const client = clientOf(c);
  const node = serverOf(c);
  const w: Waiter = { client, kind, name: c.name, args: copyArgs(c.args), db: client.db, keys, serve, front, count, target, toFront, timer: null };
  node.blocking.block(w, timeoutMs);
}

/** Replicates this call as the plain pop it amounted to. */
function replicateAs(c: CommandContext, words: string[]): void {
  serverOf(c).propagateInstead(words);
}

function popWord(front: boolean, zset: boolean): string {
  return zset ? (front ? 'ZPOPMIN' : 'ZPOPMAX') : front ? 'LPOP' : 'RPOP';
}

function side(front: boolean): string {
  return front ? 'LEFT' : 'RIGHT';
}

function lengthOf(e: Entry): number {
  return e.type === TYPE_LIST ? (e.value as Deque).length : (e.value as SortedSet).size;
}

// ---- BLPOP / BRPOP / BLMPOP ----

/** A waiter on a list: BLPOP/BRPOP pop one element, BLMPOP up to count. */
const serveListPop: ServeFn = (c, key, w) => {
  const e = c.db.lookupWrite(key)!;
  if (w.count === -1) {
    popListOne(c, e, w.front);
    return [popWord(w.front, false), key];
  }
  const n = Math.min(w.count, lengthOf(e));
  popListRange(c, e, w.front, w.count);
  return [popWord(w.front, false), key, String(n)];
};

function blockingPop(c: CommandContext, front: boolean): void {
  const timeout = parseBlockTimeout(c, c.argc - 1);
  if (timeout === null) return;
  const e = firstNonEmpty(c, 1, c.argc - 2, TYPE_LIST);
  if (e === null) return;
  if (e !== undefined) {
    const key = e.key;
    popListOne(c, e, front);
    replicateAs(c, [popWord(front, false), key]);
  } else if (!mayBlock(c)) c.w.nullArray();
  else blockOn(c, TYPE_LIST, 1, c.argc - 2, timeout, serveListPop, front, -1);
}

function blmpopCommand(c: CommandContext): void {
  const a = parseMpop(c, 2, false);
  if (a === null) return;
  const timeout = parseBlockTimeout(c, 1);
  if (timeout === null) return;
  const e = firstNonEmpty(c, a.firstKey, a.numkeys, TYPE_LIST);
  if (e === null) return;
  if (e !== undefined) {
    const key = e.key;
    const n = Math.min(a.count, lengthOf(e));
    popListRange(c, e, a.front, a.count);
    replicateAs(c, [popWord(a.front, false), key, String(n)]);
  } else if (!mayBlock(c)) c.w.nullArray();
  else blockOn(c, TYPE_LIST, a.firstKey, a.numkeys, timeout, serveListPop, a.front, a.count);
}

// ---- BLMOVE / BRPOPLPUSH ----

/** A waiter on BLMOVE's source: moves one element, unless the destination holds another type. */
const serveMove: ServeFn = (c, key, w) => {
  const dst = c.db.lookupWrite(w.target!);
  if (dst !== undefined && dst.type !== TYPE_LIST) {
    c.w.error(ERR_WRONGTYPE);
    return null;
  }
  move(c, w.front, w.toFront);
  return moveWords(w.name === 'brpoplpush', key, w.target!, w.front, w.toFront);
};

function moveWords(rpoplpush: boolean, src: string, dst: string, front: boolean, toFront: boolean): string[] {
  return rpoplpush ? ['RPOPLPUSH', src, dst] : ['LMOVE', src, dst, side(front), side(toFront)];
}

function blockingMove(c: CommandContext, front: boolean, toFront: boolean, timeoutAt: number): void {
  const timeout = parseBlockTimeout(c, timeoutAt);
  if (timeout === null) return;
  const src = c.writeTyped(c.str(1), TYPE_LIST);
  if (src === null) return;
  if (src !== undefined) {
    const before = serverOf(c).store.dirty;
    move(c, front, toFront);
    if (serverOf(c).store.dirty !== before) replicateAs(c, moveWords(c.name === 'brpoplpush', c.str(1), c.str(2), front, toFront));
  } else if (!mayBlock(c)) c.w.nil();
  else blockOn(c, TYPE_LIST, 1, 1, timeout, serveMove, front, -1, c.str(2), toFront);
}

/** LEFT or RIGHT at argument i; null after replying a syntax error. */
function sideAt(c: CommandContext, i: number): boolean | null {
  if (c.is(i, 'left')) return true;
  if (c.is(i, 'right')) return false;
  c.w.error(ERR_SYNTAX);
  return null;
}

function blmoveCommand(c: CommandContext): void {
  const front = sideAt(c, 3);
  if (front === null) return;
  const toFront = sideAt(c, 4);
  if (toFront === null) return;
  blockingMove(c, front, toFront, 5);
}

// ---- BZPOPMIN / BZPOPMAX / BZMPOP ----

const serveZpop: ServeFn = (c, key, w) => {
  const e = c.db.lookupWrite(key)!;
  const n = Math.min(w.count, lengthOf(e));
  popZset(c, e, w.front, w.count);
  return w.count === -1 ? [popWord(w.front, true), key] : [popWord(w.front, true), key, String(n)];
};

function blockingZpop(c: CommandContext, min: boolean): void {
  const timeout = parseBlockTimeout(c, c.argc - 1);
  if (timeout === null) return;
  const e = firstNonEmpty(c, 1, c.argc - 2, TYPE_ZSET);
  if (e === null) return;
  if (e !== undefined) {
    const key = e.key;
    popZset(c, e, min, -1);
    replicateAs(c, [popWord(min, true), key]);
  } else if (!mayBlock(c)) c.w.nullArray();
  else blockOn(c, TYPE_ZSET, 1, c.argc - 2, timeout, serveZpop, min, -1);
}

function bzmpopCommand(c: CommandContext): void {
  const a = parseMpop(c, 2, true);
  if (a === null) return;
  const timeout = parseBlockTimeout(c, 1);
  if (timeout === null) return;
  const e = firstNonEmpty(c, a.firstKey, a.numkeys, TYPE_ZSET);
  if (e === null) return;
  if (e !== undefined) {
    const key = e.key;
    const n = Math.min(a.count, lengthOf(e));
    popZset(c, e, a.front, a.count);
    replicateAs(c, [popWord(a.front, true), key, String(n)]);
  } else if (!mayBlock(c)) c.w.nullArray();
  else blockOn(c, TYPE_ZSET, a.firstKey, a.numkeys, timeout, serveZpop, a.front, a.count);
}

const W = CMD_WRITE;
const lastButOne = { firstKey: 1, lastKey: -2, keyStep: 1 };
const numkeysAt2 = { firstKey: 3, lastKey: -1, keyStep: 1, keys: keysAfterCount(2) };

export const blockingCommands: CommandDef[] = [
  { name: 'blpop', arity: -3, flags: W | CMD_NOSCRIPT, ...lastButOne, handler: (c) => blockingPop(c, true) },
  { name: 'brpop', arity: -3, flags: W | CMD_NOSCRIPT, ...lastButOne, handler: (c) => blockingPop(c, false) },
  { name: 'blmpop', arity: -5, flags: W | CMD_MOVABLE_KEYS, ...numkeysAt2, handler: blmpopCommand },
  { name: 'brpoplpush', arity: 4, flags: W | CMD_DENYOOM | CMD_NOSCRIPT, firstKey: 1, lastKey: 2, handler: (c) => blockingMove(c, false, true, 3) },
  { name: 'blmove', arity: 6, flags: W | CMD_DENYOOM | CMD_NOSCRIPT, firstKey: 1, lastKey: 2, handler: blmoveCommand },
  { name: 'bzpopmin', arity: -3, flags: W | CMD_NOSCRIPT | CMD_FAST, ...lastButOne, handler: (c) => blockingZpop(c, true) },
  { name: 'bzpopmax', arity: -3, flags: W | CMD_NOSCRIPT | CMD_FAST, ...lastButOne, handler: (c) => blockingZpop(c, false) },
  { name: 'bzmpop', arity: -5, flags: W | CMD_MOVABLE_KEYS, ...numkeysAt2, handler: bzmpopCommand },
];
