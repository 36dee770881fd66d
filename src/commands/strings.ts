// String commands: Redis 7's string family (GET SET ... SETRANGE), plus Valkey 8.1's
// `SET ... IFEQ value` compare-and-set. APPEND/STRLEN/GETRANGE/SETRANGE are in string-ranges.ts,
// and the option/number parsing helpers keys.ts shares in string-args.ts (re-exported here).

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import {
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  ERR_INCR_NAN,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  errInvalidExpire,
  errWrongArity,
} from './errors.js';
import { TYPE_STRING, stringBytes, type Entry } from '../store/entry.js';
import { INT64_MAX, INT64_MIN, latin1, parseInt64String, writeLatin1 } from '../util/bytes.js';
import { LD_ZERO, addLongDouble, formatLongDouble, parseLongDouble } from '../util/long-double.js';
import { NOTIFY_GENERIC, NOTIFY_STRING } from './keyspace-events.js';
import { int64Arg, optIs, readString } from './string-args.js';
import { appendCommand, getrangeCommand, setrangeCommand, strlenCommand } from './string-ranges.js';

export { int64Arg, optIs, readString };

const ERR_DECR_OVERFLOW = 'ERR decrement would overflow';

/**
 * Replies the string value at argument i's key (nil when missing), without making a string or a
 * handle: the value's bytes are copied from the key table into the reply. Returns false after
 * replying WRONGTYPE (only when `strict`; otherwise other types reply nil, as MGET does).
 */
function replyStringAt(c: CommandContext, i: number, strict: boolean): boolean {
  const a = c.args;
  const db = c.db;
  const id = db.findRead(a.buf, a.start[i], a.end[i]);
  if (id < 0) {
    c.w.nil();
  } else if (db.typeOf(id) !== TYPE_STRING) {
    if (strict) {
      c.w.error(ERR_WRONGTYPE);
      return false;
    }
    c.w.nil();
  } else {
    const t = db.table;
    t.view(id);
    c.w.bulkBytes(t.vbuf, t.vstart, t.vend);
  }
  return true;
}

function getCommand(c: CommandContext): void {
  replyStringAt(c, 1, true);
}

/** Sets argument ki's key to argument vi's bytes (see Keyspace.setStringBytes for expireAt). */
function setArgs(c: CommandContext, ki: number, vi: number, expireAt: number): void {
  const a = c.args;
  c.db.setStringBytes(a.buf, a.start[ki], a.end[ki], a.buf, a.start[vi], a.end[vi], expireAt);
}

const SET_NX = 1;
const SET_XX = 2;
const SET_GET = 4;
const SET_KEEPTTL = 8;
const SET_EX = 16;
const SET_PX = 32;
const SET_EXAT = 64;
const SET_PXAT = 128;
const SET_IFEQ = 256;
const SET_PERSIST = 512;
const ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT;
const LLONG_MAX_DIV_1000 = 9223372036854775n;

/**
 * Redis's getExpireMillisecondsOrReply: not an integer, zero or negative, or overflowing once
 * converted is an error. Returns the absolute time in ms, or -1 after writing the error. Times
 * past 2^53 ms are kept as the nearest Number.
 */
export function parseExpire(c: CommandContext, argIndex: number, flag: number, command: string): number {
  const n = int64Arg(c, argIndex);
  if (n === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return -1;
  }
  const seconds = flag === SET_EX || flag === SET_EXAT;
  const relative = flag === SET_EX || flag === SET_PX;
  if (typeof n === 'number' && n > 0 && n < 4e12) {
    return (seconds ? n * 1000 : n) + (relative ? c.store.clock.now() : 0);
  }
  // Rare: non-positive, or large enough that int64 overflow must be checked exactly.
  if (n <= 0 || (seconds && typeof n === 'bigint' && n > LLONG_MAX_DIV_1000)) {
    c.w.error(errInvalidExpire(command));
    return -1;
  }
  let ms = BigInt(n) * (seconds ? 1000n : 1n);
  if (relative) ms += BigInt(c.store.clock.now());
  if (ms > INT64_MAX) {
    c.w.error(errInvalidExpire(command));
    return -1;
  }
  return Number(ms);
}

/** The SET/GETEX option flag argument j names, if allowed after `flags` (0: syntax error). */
function setOption(c: CommandContext, j: number, flags: number, hasNext: boolean, isSet: boolean): number {
  if (isSet) {
    if (optIs(c, j, 'nx')) return flags & (SET_XX | SET_IFEQ) ? 0 : SET_NX;
    if (optIs(c, j, 'xx')) return flags & (SET_NX | SET_IFEQ) ? 0 : SET_XX;
    if (optIs(c, j, 'get')) return SET_GET;
    if (optIs(c, j, 'keepttl')) return flags & ANY_EXPIRE ? 0 : SET_KEEPTTL;
    if (optIs(c, j, 'ifeq')) return flags & (SET_NX | SET_XX | SET_IFEQ) || !hasNext ? 0 : SET_IFEQ;
  } else if (optIs(c, j, 'persist')) {
    return flags & ANY_EXPIRE ? 0 : SET_PERSIST;
  }
  if (!hasNext || flags & (SET_KEEPTTL | SET_PERSIST)) return 0;
  let f = 0;
  if (optIs(c, j, 'ex')) f = SET_EX;
  else if (optIs(c, j, 'px')) f = SET_PX;
  else if (optIs(c, j, 'exat')) f = SET_EXAT;
  else if (optIs(c, j, 'pxat')) f = SET_PXAT;
  return flags & (ANY_EXPIRE & ~f) ? 0 : f;
}

// Parsed options of the current SET/GETEX (module state: handlers run one at a time).
let optExpireArg = 0;
let optExpireFlag = 0;
let optIfeqArg = 0;

/** Parses SET (isSet) or GETEX options from argument `from`; -1 after a syntax error reply. */
function parseSetOptions(c: CommandContext, from: number, isSet: boolean): number {
  let flags = 0;
  optExpireArg = optExpireFlag = optIfeqArg = 0;
  const argc = c.argc;
  for (let j = from; j < argc; j++) {
    const f = setOption(c, j, flags, j < argc - 1, isSet);
    if (f === 0) {
      c.w.error(ERR_SYNTAX);
      return -1;
    }
    flags |= f;
    if (f === SET_IFEQ) optIfeqArg = ++j;
    else if (f & ANY_EXPIRE) {
      optExpireFlag = f;
      optExpireArg = ++j;
    }
  }
  return flags;
}

function setCommand(c: CommandContext): void {
  const flags = c.argc === 3 ? 0 : parseSetOptions(c, 3, true);
  if (flags < 0) return;
  let expireAt = flags & SET_KEEPTTL ? -1 : 0;
  if (optExpireArg !== 0 && flags !== 0) {
    expireAt = parseExpire(c, optExpireArg, optExpireFlag, 'set');
    if (expireAt < 0) return;
  }
  setGeneric(c, flags, expireAt, optIfeqArg);
}

/** Redis's setGenericCommand (+ IFEQ). Replies OK / nil, or the old value with GET. */
function setGeneric(c: CommandContext, flags: number, expireAt: number, ifeqArg: number): void {
  if (flags & SET_GET) {
    if (!replyStringAt(c, 1, true)) return;
  }
  if (flags & (SET_NX | SET_XX | SET_IFEQ)) {
    const existing = c.db.lookupWrite(c.str(1));
    let abort = (flags & SET_NX && existing !== undefined) || (flags & SET_XX && existing === undefined);
    if (flags & SET_IFEQ) {
      if (existing !== undefined && existing.type !== TYPE_STRING && (flags & SET_GET) === 0) {
        c.w.error(ERR_WRONGTYPE);
        return;
      }
      abort = existing === undefined || existing.value !== c.str(ifeqArg);
    }
    if (abort) {
      if ((flags & SET_GET) === 0) c.w.nil();
      return;
    }
  }
  setArgs(c, 1, 2, expireAt);
  c.notifyArg(NOTIFY_STRING, 'set', 1);
  if (expireAt > 0) {
    c.notifyArg(NOTIFY_GENERIC, 'expire', 1);
    // Replicated as Redis does: SET key value PXAT ms (the key's state); without a TTL, as sent.
    c.replicateState = true;
  }
  if ((flags & SET_GET) === 0) c.w.ok();
}

function setnxCommand(c: CommandContext): void {
  const a = c.args;
  if (c.db.findWrite(a.buf, a.start[1], a.end[1]) >= 0) {
    c.w.integer(0);
    return;
  }
  setArgs(c, 1, 2, 0);
  c.notifyArg(NOTIFY_STRING, 'set', 1);
  c.w.integer(1);
}

function setexCommand(c: CommandContext): void {
  const at = parseExpire(c, 2, c.name === 'setex' ? SET_EX : SET_PX, c.name);
  if (at < 0) return;
  setArgs(c, 1, 3, at);
  c.notifyArg(NOTIFY_STRING, 'set', 1);
  c.notifyArg(NOTIFY_GENERIC, 'expire', 1);
  c.w.ok();
}

function getsetCommand(c: CommandContext): void {
  const key = c.str(1);
  const old = readString(c, key);
  if (old === null) return;
  c.w.bulkOrNull(old);
  c.db.setString(key, c.str(2), 0);
  c.notify(NOTIFY_STRING, 'set', key);
}

function getdelCommand(c: CommandContext): void {
  const key = c.str(1);
  const old = readString(c, key);
  if (old === null) return;
  c.w.bulkOrNull(old);
  if (old !== undefined && c.db.delete(key)) {
    c.notify(NOTIFY_GENERIC, 'del', key);
    c.replicateAs = ['DEL', key];
  }
}

function getexCommand(c: CommandContext): void {
  const flags = c.argc === 2 ? 0 : parseSetOptions(c, 2, false);
  if (flags < 0) return;
  const e = c.db.lookupRead(c.str(1));
  if (e === undefined) {
    c.w.nil();
    return;
  }
  if (e.type !== TYPE_STRING) {
    c.w.error(ERR_WRONGTYPE);
    return;
  }
  let at = 0;
  if (optExpireArg !== 0 && flags !== 0) {
    at = parseExpire(c, optExpireArg, optExpireFlag, 'getex');
    if (at < 0) return;
  }
  c.w.bulk(e.value as string);
  // Replicated as Redis does: DEL, PEXPIREAT with the absolute time, or PERSIST.
  if (flags & (SET_EXAT | SET_PXAT) && at <= c.store.clock.now()) {
    c.db.remove(e);
    c.db.modified(e.key);
    c.notify(NOTIFY_GENERIC, 'del', e.key);
    c.replicateAs = ['DEL', e.key];
  } else if (flags & ANY_EXPIRE) {
    c.db.setExpireAt(e, at);
    c.db.modified(e.key);
    c.notify(NOTIFY_GENERIC, 'expire', e.key);
    c.replicateAs = ['PEXPIREAT', e.key, String(at)];
  } else if (flags & SET_PERSIST && e.expireAt !== 0) {
    c.db.setExpireAt(e, 0);
    c.db.modified(e.key);
    c.notify(NOTIFY_GENERIC, 'persist', e.key);
    c.replicateAs = ['PERSIST', e.key];
  }
}

function mgetCommand(c: CommandContext): void {
  const argc = c.argc;
  c.w.array(argc - 1);
  for (let i = 1; i < argc; i++) replyStringAt(c, i, false);
}

function msetCommand(c: CommandContext): void {
  const argc = c.argc;
  if ((argc & 1) === 0) {
    c.w.error(errWrongArity(c.name));
    return;
  }
  const nx = c.name === 'msetnx';
  if (nx) {
    const a = c.args;
    for (let i = 1; i < argc; i += 2) {
      if (c.db.findWrite(a.buf, a.start[i], a.end[i]) >= 0) {
        c.w.integer(0);
        return;
      }
    }
  }
  for (let i = 1; i < argc; i += 2) {
    setArgs(c, i, i + 1, 0);
    c.notifyArg(NOTIFY_STRING, 'set', i);
  }
  if (nx) c.w.integer(1);
  else c.w.ok();
}

/** Looks a key up for writing a string: writes WRONGTYPE and returns null for other types. */
function writeString(c: CommandContext, key: string): Entry | undefined | null {
  return c.writeTyped(key, TYPE_STRING);
}

/** Replaces a string entry's value in place (keeping its TTL). */
function replaceValue(c: CommandContext, e: Entry, value: string): void {
  const delta = stringBytes(value) - stringBytes(e.value as string);
  e.value = value;
  c.db.changed(e, delta);
}

/** A stored string as an int64 (string2ll rules): Number when safe, bigint past 2^53, or undefined. */
function storedInt(s: string): number | bigint | undefined {
  const len = s.length;
  if (len === 0 || len > 20) return undefined;
  if (len > 15) {
    const b = parseInt64String(s);
    if (b === undefined) return undefined;
    const n = Number(b);
    return Number.isSafeInteger(n) ? n : b;
  }
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (len === 1) return undefined;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1 ? 0 : undefined;
  if (first < 49 || first > 57) return undefined;
  let v = 0;
  for (; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return s.charCodeAt(0) === 45 ? -v : v;
}

/** storedInt of bytes; short values are parsed in place. */
function storedIntAt(b: Buffer, start: number, end: number): number | bigint | undefined {
  const len = end - start;
  if (len === 0 || len > 15) return len === 0 ? undefined : storedInt(latin1(b, start, end));
  let i = start;
  const negative = b[i] === 45;
  if (negative) {
    if (len === 1) return undefined;
    i++;
  }
  if (b[i] === 48) return len === 1 ? 0 : undefined;
  let v = 0;
  for (; i < end; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

/** Holds a counter's new digits on their way into the key table. */
let digits = Buffer.allocUnsafe(32);

/** INCR/DECR/INCRBY/DECRBY on a key; `by` is already validated. */
function incrBy(c: CommandContext, by: number | bigint): void {
  const a = c.args;
  const db = c.db;
  const id = db.findWrite(a.buf, a.start[1], a.end[1]);
  let cur: number | bigint = 0;
  if (id >= 0) {
    if (db.typeOf(id) !== TYPE_STRING) {
      c.w.error(ERR_WRONGTYPE);
      return;
    }
    const t = db.table;
    t.view(id);
    const v = storedIntAt(t.vbuf, t.vstart, t.vend);
    if (v === undefined) {
      c.w.error(ERR_NOT_INTEGER);
      return;
    }
    cur = v;
  }
  let result: number | bigint;
  if (typeof cur === 'number' && typeof by === 'number' && Number.isSafeInteger(cur + by)) {
    result = cur + by;
  } else {
    const big = BigInt(cur) + BigInt(by);
    if (big > INT64_MAX || big < INT64_MIN) {
      c.w.error(ERR_OVERFLOW);
      return;
    }
    result = big;
  }
  const text = String(result);
  if (digits.length < text.length) digits = Buffer.allocUnsafe(text.length * 2);
  const n = writeLatin1(digits, text, 0);
  if (id < 0) db.setStringBytes(a.buf, a.start[1], a.end[1], digits, 0, n, 0);
  else db.replaceStringBytes(id, digits, 0, n);
  c.notifyArg(NOTIFY_STRING, 'incrby', 1);
  c.w.integer(result);
}

function incrCommand(c: CommandContext): void {
  incrBy(c, 1);
}

function decrCommand(c: CommandContext): void {
  incrBy(c, -1);
}

function incrbyCommand(c: CommandContext): void {
  const by = int64Arg(c, 2);
  if (by === undefined) c.w.error(ERR_NOT_INTEGER);
  else incrBy(c, by);
}

function decrbyCommand(c: CommandContext): void {
  const by = int64Arg(c, 2);
  if (by === undefined) c.w.error(ERR_NOT_INTEGER);
  else if (by === INT64_MIN) c.w.error(ERR_DECR_OVERFLOW);
  else incrBy(c, typeof by === 'number' ? -by : -by);
}

function incrbyfloatCommand(c: CommandContext): void {
  const key = c.str(1);
  let e = writeString(c, key);
  if (e === null) return;
  const cur = e === undefined ? LD_ZERO : parseLongDouble(e.value as string);
  const by = cur === undefined ? undefined : parseLongDouble(c.str(2));
  if (cur === undefined || by === undefined) {
    c.w.error(ERR_NOT_FLOAT);
    return;
  }
  const sum = addLongDouble(cur, by);
  if (sum === null) {
    c.w.error(ERR_INCR_NAN);
    return;
  }
  const text = formatLongDouble(sum);
  if (e === undefined) e = c.db.setString(key, text, 0);
  else replaceValue(c, e, text);
  c.db.markNotInt(e.id); // an embstr or raw string, whatever its text
  c.notify(NOTIFY_STRING, 'incrbyfloat', key);
  c.w.bulk(text);
  // Replicated as Redis does, as the result: float formatting must not make replicas differ.
  c.replicateAs = ['SET', key, text, 'KEEPTTL'];
}

const STRING_RW = CMD_WRITE | CMD_DENYOOM;
const KEY1 = { firstKey: 1, lastKey: 1, keyStep: 1 };

export const stringCommands: CommandDef[] = [
  { name: 'get', arity: 2, flags: CMD_READONLY | CMD_FAST, ...KEY1, handler: getCommand },
  { name: 'set', arity: -3, flags: STRING_RW, ...KEY1, handler: setCommand },
  { name: 'setnx', arity: 3, flags: STRING_RW | CMD_FAST, ...KEY1, handler: setnxCommand },
  { name: 'setex', arity: 4, flags: STRING_RW, ...KEY1, stateFromArgc: 1, handler: setexCommand },
  { name: 'psetex', arity: 4, flags: STRING_RW, ...KEY1, stateFromArgc: 1, handler: setexCommand },
  { name: 'getset', arity: 3, flags: STRING_RW | CMD_FAST, ...KEY1, handler: getsetCommand },
  { name: 'getdel', arity: 2, flags: CMD_WRITE | CMD_FAST, ...KEY1, handler: getdelCommand },
  { name: 'getex', arity: -2, flags: CMD_WRITE | CMD_FAST, ...KEY1, handler: getexCommand },
  { name: 'mget', arity: -2, flags: CMD_READONLY | CMD_FAST, firstKey: 1, lastKey: -1, keyStep: 1, handler: mgetCommand },
  { name: 'mset', arity: -3, flags: STRING_RW, firstKey: 1, lastKey: -1, keyStep: 2, handler: msetCommand },
  { name: 'msetnx', arity: -3, flags: STRING_RW, firstKey: 1, lastKey: -1, keyStep: 2, handler: msetCommand },
  { name: 'append', arity: 3, flags: STRING_RW | CMD_FAST, ...KEY1, handler: appendCommand },
  { name: 'strlen', arity: 2, flags: CMD_READONLY | CMD_FAST, ...KEY1, handler: strlenCommand },
  { name: 'incr', arity: 2, flags: STRING_RW | CMD_FAST, ...KEY1, handler: incrCommand },
  { name: 'decr', arity: 2, flags: STRING_RW | CMD_FAST, ...KEY1, handler: decrCommand },
  { name: 'incrby', arity: 3, flags: STRING_RW | CMD_FAST, ...KEY1, handler: incrbyCommand },
  { name: 'decrby', arity: 3, flags: STRING_RW | CMD_FAST, ...KEY1, handler: decrbyCommand },
  { name: 'incrbyfloat', arity: 3, flags: STRING_RW | CMD_FAST, ...KEY1, handler: incrbyfloatCommand },
  { name: 'getrange', arity: 4, flags: CMD_READONLY, ...KEY1, handler: getrangeCommand },
  { name: 'substr', arity: 4, flags: CMD_READONLY, ...KEY1, handler: getrangeCommand },
  { name: 'setrange', arity: 4, flags: STRING_RW, ...KEY1, handler: setrangeCommand },
];
