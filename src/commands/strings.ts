// String commands: GET, SET and the rest of Redis 7's string family, plus Valkey 8.1's
// `SET ... IFEQ value` compare-and-set.

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_SYNTAX, ERR_WRONGTYPE, errInvalidExpire } from './errors.js';
import { TYPE_STRING } from '../store/entry.js';

/** Reads a string key for a reply: writes WRONGTYPE and returns null for other types. */
export function readString(c: CommandContext, key: string): string | undefined | null {
  const e = c.db.lookupRead(key);
  if (e === undefined) return undefined;
  if (e.type !== TYPE_STRING) {
    c.w.error(ERR_WRONGTYPE);
    return null;
  }
  return e.value as string;
}

function getCommand(c: CommandContext): void {
  const v = readString(c, c.str(1));
  if (v === null) return;
  if (v === undefined) c.w.nil();
  else c.w.bulk(v);
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
const ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT;

/**
 * Parses an expire argument as Redis's getExpireMillisecondsOrReply: not an integer, zero or
 * negative, or overflowing once converted, is an error. Returns the absolute time in ms, or -1
 * after writing the error.
 */
export function parseExpire(c: CommandContext, argIndex: number, flag: number, command: string): number {
  const n = c.int(argIndex);
  if (n === undefined) {
    c.w.error('ERR value is not an integer or out of range');
    return -1;
  }
  const seconds = flag === SET_EX || flag === SET_EXAT;
  if (n <= 0 || (seconds && n > Number.MAX_SAFE_INTEGER / 1000)) {
    c.w.error(errInvalidExpire(command));
    return -1;
  }
  let ms = seconds ? n * 1000 : n;
  if (flag === SET_EX || flag === SET_PX) ms += c.store.clock.now();
  if (ms <= 0 || ms > Number.MAX_SAFE_INTEGER) {
    c.w.error(errInvalidExpire(command));
    return -1;
  }
  return ms;
}

function setCommand(c: CommandContext): void {
  let flags = 0;
  let expireArg = 0;
  let expireFlag = 0;
  let ifeqArg = 0;
  const argc = c.argc;
  for (let j = 3; j < argc; j++) {
    const hasNext = j < argc - 1;
    if (c.is(j, 'nx') && (flags & (SET_XX | SET_IFEQ)) === 0) flags |= SET_NX;
    else if (c.is(j, 'xx') && (flags & (SET_NX | SET_IFEQ)) === 0) flags |= SET_XX;
    else if (c.is(j, 'get')) flags |= SET_GET;
    else if (c.is(j, 'keepttl') && (flags & ANY_EXPIRE) === 0) flags |= SET_KEEPTTL;
    else if (c.is(j, 'ifeq') && (flags & (SET_NX | SET_XX)) === 0 && hasNext) {
      flags |= SET_IFEQ;
      ifeqArg = ++j;
    } else if (hasNext && (flags & SET_KEEPTTL) === 0 && expireOption(c, j, flags) !== 0) {
      expireFlag = expireOption(c, j, flags);
      flags |= expireFlag;
      expireArg = ++j;
    } else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  let expireAt = flags & SET_KEEPTTL ? -1 : 0;
  if (expireArg !== 0) {
    expireAt = parseExpire(c, expireArg, expireFlag, 'set');
    if (expireAt < 0) return;
  }
  const key = c.str(1);
  const existing = c.db.lookupWrite(key);
  if (flags & (SET_GET | SET_IFEQ) && existing !== undefined && existing.type !== TYPE_STRING) {
    c.w.error(ERR_WRONGTYPE);
    return;
  }
  const old = existing === undefined ? undefined : (existing.value as string);
  if (flags & SET_GET) c.w.bulkOrNull(old);
  const abort =
    (flags & SET_NX && existing !== undefined) ||
    (flags & SET_XX && existing === undefined) ||
    (flags & SET_IFEQ && (old === undefined || old !== c.str(ifeqArg)));
  if (abort) {
    if ((flags & SET_GET) === 0) c.w.nil();
    return;
  }
  c.db.setString(key, c.str(2), expireAt);
  if ((flags & SET_GET) === 0) c.w.ok();
}

/** The expire flag an option names (EX PX EXAT PXAT), if it may be used with the flags so far. */
function expireOption(c: CommandContext, j: number, flags: number): number {
  const others = (f: number) => (flags & (ANY_EXPIRE & ~f)) === 0;
  if (c.is(j, 'ex') && others(SET_EX)) return SET_EX;
  if (c.is(j, 'px') && others(SET_PX)) return SET_PX;
  if (c.is(j, 'exat') && others(SET_EXAT)) return SET_EXAT;
  if (c.is(j, 'pxat') && others(SET_PXAT)) return SET_PXAT;
  return 0;
}

export const EXPIRE_FLAGS = { SET_EX, SET_PX, SET_EXAT, SET_PXAT };

export const stringCommands: CommandDef[] = [
  { name: 'get', arity: 2, flags: CMD_READONLY | CMD_FAST, firstKey: 1, handler: getCommand },
  { name: 'set', arity: -3, flags: CMD_WRITE | CMD_DENYOOM, firstKey: 1, handler: setCommand },
];
