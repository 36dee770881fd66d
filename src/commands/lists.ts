// List commands (LPUSH ... LTRIM, LINSERT, LPOS, RPOPLPUSH, LMOVE) as Redis 7.0 replies them, over the Deque ring buffer
// (store/deque.ts). Argument checks run in Redis's order (some before the key lookup, some
// after), since that decides which error a bad call gets. Emptied lists are deleted.

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_NO_SUCH_KEY, ERR_SYNTAX, ERR_WRONGTYPE, errWrongArity } from './errors.js';
import { TYPE_LIST, type Entry } from '../store/entry.js';
import { Deque } from '../store/deque.js';
import { NOTIFY_GENERIC, NOTIFY_LIST } from './keyspace-events.js';

const ERR_INDEX_RANGE = 'ERR index out of range';

/** The list at key for reading; null after replying WRONGTYPE. */
function readList(c: CommandContext, key: string): Deque | undefined | null {
  const e = c.readTyped(key, TYPE_LIST);
  return e == null ? e : (e.value as Deque);
}

/** The list entry at key for writing; null after replying WRONGTYPE. */
function writeList(c: CommandContext, key: string): Entry | undefined | null {
  return c.writeTyped(key, TYPE_LIST);
}

/**
 * After a removal: deletes the key if the list emptied, else accounts the byte change; then the
 * keyspace events, `event` (lpop, rpop, lrem, ltrim) and `del` if the key went, as Redis.
 */
function afterRemoval(c: CommandContext, e: Entry, before: number, event: string): void {
  const d = e.value as Deque;
  const emptied = d.length === 0;
  if (emptied) c.db.delete(e.key);
  else c.db.changed(e, d.bytes - before);
  c.notify(NOTIFY_LIST, event, e.key);
  if (emptied) c.notify(NOTIFY_GENERIC, 'del', e.key);
}

/** LPUSH RPUSH LPUSHX RPUSHX: `front` pushes at the head, `onlyExisting` is the X form. */
function push(c: CommandContext, front: boolean, onlyExisting: boolean): void {
  const key = c.str(1);
  let e = writeList(c, key);
  if (e === null) return;
  if (e === undefined) {
    if (onlyExisting) {
      c.w.integer(0);
      return;
    }
    e = c.db.create(key, TYPE_LIST, new Deque());
  }
  const d = e.value as Deque;
  const before = d.bytes;
  const argc = c.argc;
  if (front) for (let i = 2; i < argc; i++) d.pushFront(c.str(i));
  else for (let i = 2; i < argc; i++) d.pushBack(c.str(i));
  c.db.changed(e, d.bytes - before);
  c.w.integer(d.length);
  c.notify(NOTIFY_LIST, front ? 'lpush' : 'rpush', key);
}

function lpushCommand(c: CommandContext): void {
  push(c, true, false);
}
function rpushCommand(c: CommandContext): void {
  push(c, false, false);
}
function lpushxCommand(c: CommandContext): void {
  push(c, true, true);
}
function rpushxCommand(c: CommandContext): void {
  push(c, false, true);
}

/** LPOP/RPOP key [count]: a bulk without count; with count an array (null if no key). */
function pop(c: CommandContext, front: boolean): void {
  const count = c.optionalCount(errWrongArity(c.name));
  if (count === null) return;
  const e = writeList(c, c.str(1));
  if (e === null) return;
  if (e === undefined) {
    if (count < 0) c.w.nil();
    else c.w.nullArray();
    return;
  }
  const d = e.value as Deque;
  const before = d.bytes;
  if (count < 0) {
    c.w.bulk((front ? d.popFront() : d.popBack())!);
  } else {
    if (count === 0) {
      c.w.array(0);
      return;
    }
    const n = Math.min(count, d.length);
    c.w.array(n);
    for (let i = 0; i < n; i++) c.w.bulk((front ? d.popFront() : d.popBack())!);
  }
  afterRemoval(c, e, before, front ? 'lpop' : 'rpop');
}

function lpopCommand(c: CommandContext): void {
  pop(c, true);
}
function rpopCommand(c: CommandContext): void {
  pop(c, false);
}

function llenCommand(c: CommandContext): void {
  const d = readList(c, c.str(1));
  if (d === null) return;
  c.w.integer(d === undefined ? 0 : d.length);
}

function lrangeCommand(c: CommandContext): void {
  let start = c.int(2);
  let end = c.int(3);
  if (start === undefined || end === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const d = readList(c, c.str(1));
  if (d === null) return;
  if (d === undefined) {
    c.w.array(0);
    return;
  }
  const len = d.length;
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) {
    c.w.array(0);
    return;
  }
  if (end >= len) end = len - 1;
  c.w.array(end - start + 1);
  for (let i = start; i <= end; i++) c.w.bulk(d.get(i)!);
}

function lindexCommand(c: CommandContext): void {
  const d = readList(c, c.str(1));
  if (d === null) return;
  if (d === undefined) {
    c.w.nil();
    return;
  }
  let index = c.int(2);
  if (index === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  if (index < 0) index += d.length;
  c.w.bulkOrNull(d.get(index));
}

function lsetCommand(c: CommandContext): void {
  const e = c.db.lookupWrite(c.str(1));
  if (e === undefined) {
    c.w.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (e.type !== TYPE_LIST) {
    c.w.error(ERR_WRONGTYPE);
    return;
  }
  let index = c.int(2);
  if (index === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const d = e.value as Deque;
  if (index < 0) index += d.length;
  if (index < 0 || index >= d.length) {
    c.w.error(ERR_INDEX_RANGE);
    return;
  }
  c.db.changed(e, d.set(index, c.str(3)));
  c.w.ok();
  c.notify(NOTIFY_LIST, 'lset', e.key);
}

function lremCommand(c: CommandContext): void {
  const count = c.int(2);
  if (count === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const e = writeList(c, c.str(1));
  if (e === null) return;
  if (e === undefined) {
    c.w.integer(0);
    return;
  }
  const d = e.value as Deque;
  const before = d.bytes;
  const removed = d.removeValue(c.str(3), Math.abs(count), count < 0);
  if (removed > 0) afterRemoval(c, e, before, 'lrem');
  c.w.integer(removed);
}

function ltrimCommand(c: CommandContext): void {
  let start = c.int(2);
  let end = c.int(3);
  if (start === undefined || end === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const e = writeList(c, c.str(1));
  if (e === null) return;
  if (e === undefined) {
    c.w.ok();
    return;
  }
  const d = e.value as Deque;
  const len = d.length;
  if (start < 0) start += len;
  if (end < 0) end += len;
  const before = d.bytes;
  d.trim(start, end);
  // Redis signals the key as modified (and notifies) even when nothing was trimmed.
  afterRemoval(c, e, before, 'ltrim');
  c.w.ok();
}

function linsertCommand(c: CommandContext): void {
  let after: boolean;
  if (c.is(2, 'after')) after = true;
  else if (c.is(2, 'before')) after = false;
  else {
    c.w.error(ERR_SYNTAX);
    return;
  }
  const e = writeList(c, c.str(1));
  if (e === null) return;
  if (e === undefined) {
    c.w.integer(0);
    return;
  }
  const d = e.value as Deque;
  const at = d.indexOf(c.str(3));
  if (at < 0) {
    c.w.integer(-1);
    return;
  }
  const before = d.bytes;
  d.insert(after ? at + 1 : at, c.str(4));
  c.db.changed(e, d.bytes - before);
  c.notify(NOTIFY_LIST, 'linsert', e.key);
  c.w.integer(d.length);
}

const ERR_RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";

function lposCommand(c: CommandContext): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  const argc = c.argc;
  for (let j = 3; j < argc; j++) {
    const more = j + 1 < argc;
    if (more && c.is(j, 'rank')) {
      const n = c.int(++j);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      if (n === 0) {
        c.w.error(ERR_RANK_ZERO);
        return;
      }
      // Redis negates LONG_MIN in place and it stays negative: every match then qualifies.
      rank = n === -9223372036854775808 && c.str(j) === '-9223372036854775808' ? -Infinity : n;
    } else if (more && c.is(j, 'count')) {
      const n = c.int(++j);
      if (n === undefined || n < 0) {
        c.w.error("ERR COUNT can't be negative");
        return;
      }
      count = n;
    } else if (more && c.is(j, 'maxlen')) {
      const n = c.int(++j);
      if (n === undefined || n < 0) {
        c.w.error("ERR MAXLEN can't be negative");
        return;
      }
      maxlen = n;
    } else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  const d = readList(c, c.str(1));
  if (d === null) return;
  if (d === undefined) {
    if (count !== -1) c.w.array(0);
    else c.w.nil();
    return;
  }
  const fromTail = rank < 0;
  const need = rank === -Infinity ? -Infinity : Math.abs(rank);
  const value = c.str(2);
  const len = d.length;
  const limit = maxlen === 0 ? len : Math.min(maxlen, len);
  let matches = 0;
  let found: number[] | null = null;
  for (let k = 0; k < limit; k++) {
    const i = fromTail ? len - 1 - k : k;
    if (d.get(i) !== value) continue;
    matches++;
    if (matches < need) continue;
    if (count === -1) {
      c.w.integer(i);
      return;
    }
    (found ??= []).push(i);
    if (count !== 0 && found.length >= count && need !== -Infinity) break;
  }
  if (count === -1) {
    c.w.nil();
    return;
  }
  c.w.array(found === null ? 0 : found.length);
  if (found !== null) for (const i of found) c.w.integer(i);
}

/** LMOVE / RPOPLPUSH: pops from one end of src and pushes on one end of dst (which may be src). */
export function move(c: CommandContext, fromLeft: boolean, toLeft: boolean): void {
  const src = writeList(c, c.str(1));
  if (src === null) return;
  if (src === undefined) {
    c.w.nil();
    return;
  }
  const dstKey = c.str(2);
  let dst = writeList(c, dstKey);
  if (dst === null) return;
  const sd = src.value as Deque;
  const srcBefore = sd.bytes;
  const value = (fromLeft ? sd.popFront() : sd.popBack())!;
  if (dst === src) {
    if (toLeft) sd.pushFront(value);
    else sd.pushBack(value);
    c.db.changed(src, sd.bytes - srcBefore);
    c.notify(NOTIFY_LIST, toLeft ? 'lpush' : 'rpush', dstKey);
    c.w.bulk(value);
    c.notify(NOTIFY_LIST, fromLeft ? 'lpop' : 'rpop', src.key);
    return;
  }
  if (dst === undefined) dst = c.db.create(dstKey, TYPE_LIST, new Deque());
  const dd = dst.value as Deque;
  const dstBefore = dd.bytes;
  if (toLeft) dd.pushFront(value);
  else dd.pushBack(value);
  c.db.changed(dst, dd.bytes - dstBefore);
  c.notify(NOTIFY_LIST, toLeft ? 'lpush' : 'rpush', dstKey);
  c.w.bulk(value);
  afterRemoval(c, src, srcBefore, fromLeft ? 'lpop' : 'rpop');
}

function rpoplpushCommand(c: CommandContext): void {
  move(c, false, true);
}

function lmoveCommand(c: CommandContext): void {
  let fromLeft: boolean;
  let toLeft: boolean;
  if (c.is(3, 'left')) fromLeft = true;
  else if (c.is(3, 'right')) fromLeft = false;
  else {
    c.w.error(ERR_SYNTAX);
    return;
  }
  if (c.is(4, 'left')) toLeft = true;
  else if (c.is(4, 'right')) toLeft = false;
  else {
    c.w.error(ERR_SYNTAX);
    return;
  }
  move(c, fromLeft, toLeft);
}

const R = CMD_READONLY;
const W = CMD_WRITE;
export const listCommands: CommandDef[] = [
  { name: 'lpush', arity: -3, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: lpushCommand },
  { name: 'rpush', arity: -3, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: rpushCommand },
  { name: 'lpushx', arity: -3, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: lpushxCommand },
  { name: 'rpushx', arity: -3, flags: W | CMD_DENYOOM | CMD_FAST, firstKey: 1, handler: rpushxCommand },
  { name: 'lpop', arity: -2, flags: W | CMD_FAST, firstKey: 1, handler: lpopCommand },
  { name: 'rpop', arity: -2, flags: W | CMD_FAST, firstKey: 1, handler: rpopCommand },
  { name: 'llen', arity: 2, flags: R | CMD_FAST, firstKey: 1, handler: llenCommand },
  { name: 'lrange', arity: 4, flags: R, firstKey: 1, handler: lrangeCommand },
  { name: 'lindex', arity: 3, flags: R, firstKey: 1, handler: lindexCommand },
  { name: 'lset', arity: 4, flags: W | CMD_DENYOOM, firstKey: 1, handler: lsetCommand },
  { name: 'lrem', arity: 4, flags: W, firstKey: 1, handler: lremCommand },
  { name: 'ltrim', arity: 4, flags: W, firstKey: 1, handler: ltrimCommand },
  { name: 'linsert', arity: 5, flags: W | CMD_DENYOOM, firstKey: 1, handler: linsertCommand },
  { name: 'lpos', arity: -3, flags: R, firstKey: 1, handler: lposCommand },
  { name: 'rpoplpush', arity: 3, flags: W | CMD_DENYOOM, firstKey: 1, lastKey: 2, handler: rpoplpushCommand },
  { name: 'lmove', arity: 5, flags: W | CMD_DENYOOM, firstKey: 1, lastKey: 2, handler: lmoveCommand },
];
