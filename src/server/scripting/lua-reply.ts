// Redis's conversions between replies and Lua values (Redis 7.0's script_lua.c):
// - a command's reply, as the RESP bytes its handler wrote, onto the Lua stack for redis.call
//   (integers as Lua integers, nulls as false, status and error replies as {ok=...} and
//   {err=...} tables, RESP3 maps, sets, doubles... as tables with one marker field);
// - a script's return value into the caller's reply (tables with err/ok/double/big_number/
//   verbatim_string/map/set fields, else arrays up to the first nil; numbers truncated to
//   integers; false to null, or to a RESP3 boolean after redis.setresp(3));
// - the error a script raised into the caller's error reply (luaCallFunction's wording).

import type { ReplyWriter } from '../../protocol/reply-writer.js';
import { formatDouble } from '../../protocol/reply-writer.js';
import { LUA_TBOOLEAN, LUA_TNIL, LUA_TNUMBER, LUA_TSTRING, LUA_TTABLE, type LuaVm } from './lua-vm.js';

/** Nesting past which a returned table is answered with an error, as Redis's Lua stack limit. */
const MAX_REPLY_DEPTH = 1000;

/** Lua integers (lua_Integer is 64-bit: BigInt to wasm) for array indices and small replies, made once. */
export const SMALL_BIGINTS: bigint[] = [];
for (let i = 0; i < 1024; i++) SMALL_BIGINTS.push(BigInt(i));

/** A command's reply nests deeper than the Lua stack can hold (redisCall makes it a Lua error). */
export class ReplyTooDeep extends Error {}

/** Stack slots an aggregate reply makes sure of for its level (see pushReply). */
const AGGREGATE_ROOM = 8;

/**
 * Parses one RESP value at pos and pushes it; returns the position after it.
 *
 * Stack room: a C function starts with LUA_MINSTACK (20) free slots and a scalar reply takes at
 * most 3 (a verbatim string's two tables and a string); each aggregate makes sure of room for
 * its level (its table, a key, a child's 3) before filling it, and raises ReplyTooDeep when the
 * Lua stack cannot grow (a reply nested past Lua's stack limit).
 */
export function pushReply(vm: LuaVm, L: number, buf: Buffer, pos: number): number {
  const api = vm.api;
  const type = buf[pos];
  // A header's CR: a short scan (Buffer#indexOf's native call costs more than it).
  let eol = pos + 1;
  while (buf[eol] !== 13) eol++;
  const next = eol + 2;
  switch (type) {
    case 43 /* + */:
      api._lua_createtable(L, 0, 1);
      vm.pushBytes(L, buf, pos + 1, eol);
      vm.setField(L, -2, 'ok');
      return next;
    case 45 /* - */:
      pushErrorTable(vm, L, buf.toString('latin1', pos, eol));
      api._lua_pushboolean(L, 1);
      vm.setField(L, -2, 'ignore_error_stats_update');
      return next;
    case 58 /* : */: {
      const n = decimalAt(buf, pos + 1, eol);
      api._lua_pushinteger(L, n >= 0 && n < SMALL_BIGINTS.length ? SMALL_BIGINTS[n] : Number.isSafeInteger(n) ? BigInt(n) : BigInt(buf.toString('latin1', pos + 1, eol)));
      return next;
    }
    case 36 /* $ */: {
      const len = decimalAt(buf, pos + 1, eol);
      if (len < 0) {
        api._lua_pushboolean(L, 0);
        return next;
      }
      vm.pushBytes(L, buf, next, next + len);
      return next + len + 2;
    }
    case 42 /* * */: {
      const n = decimalAt(buf, pos + 1, eol);
      if (n < 0) {
        api._lua_pushboolean(L, 0);
        return next;
      }
      if (api._lua_checkstack(L, AGGREGATE_ROOM) === 0) throw new ReplyTooDeep();
      api._lua_createtable(L, n, 0);
      let p = next;
      for (let j = 1; j <= n; j++) {
        p = pushReply(vm, L, buf, p);
        api._lua_rawseti(L, -2, j < SMALL_BIGINTS.length ? SMALL_BIGINTS[j] : BigInt(j));
      }
      return p;
    }
    case 37 /* % */:
    case 126 /* ~ */: {
      const n = decimalAt(buf, pos + 1, eol);
      if (api._lua_checkstack(L, AGGREGATE_ROOM) === 0) throw new ReplyTooDeep();
      api._lua_createtable(L, 0, 1);
      api._lua_createtable(L, 0, n);
      let p = next;
      for (let j = 0; j < n; j++) {
        p = pushReply(vm, L, buf, p);
        if (type === 37) p = pushReply(vm, L, buf, p);
        else api._lua_pushboolean(L, 1);
        api._lua_rawset(L, -3);
      }
      vm.setField(L, -2, type === 37 ? 'map' : 'set');
      return p;
    }
    case 95 /* _ */:
      api._lua_pushnil(L);
      return next;
    case 35 /* # */:
      api._lua_pushboolean(L, buf[pos + 1] === 116 ? 1 : 0);
      return next;
    case 44 /* , */:
      api._lua_createtable(L, 0, 1);
      api._lua_pushnumber(L, parseRespDouble(buf.toString('latin1', pos + 1, eol)));
      vm.setField(L, -2, 'double');
      return next;
    case 40 /* ( */:
      api._lua_createtable(L, 0, 1);
      vm.pushBytes(L, buf, pos + 1, eol);
      vm.setField(L, -2, 'big_number');
      return next;
    case 61 /* = */: {
      const len = decimalAt(buf, pos + 1, eol);
      api._lua_createtable(L, 0, 1);
      api._lua_createtable(L, 0, 2);
      vm.pushBytes(L, buf, next + 4, next + len);
      vm.setField(L, -2, 'string');
      vm.pushBytes(L, buf, next, next + 3);
      vm.setField(L, -2, 'format');
      vm.setField(L, -2, 'verbatim_string');
      return next + len + 2;
    }
    case 124 /* | */: {
      // Attributes are not shown to scripts: skip them, then parse the reply they annotate.
      const n = decimalAt(buf, pos + 1, eol);
      if (api._lua_checkstack(L, AGGREGATE_ROOM) === 0) throw new ReplyTooDeep();
      let p = next;
      for (let j = 0; j < 2 * n; j++) {
        p = pushReply(vm, L, buf, p);
        api._lua_settop(L, -2);
      }
      return pushReply(vm, L, buf, p);
    }
    default:
      throw new Error(`unexpected reply byte ${type}`);
  }
}

/** The decimal integer in buf[start, end) (a RESP header's length or an integer reply). */
function decimalAt(buf: Buffer, start: number, end: number): number {
  let i = start;
  const negative = buf[i] === 45;
  if (negative) i++;
  let n = 0;
  for (; i < end; i++) n = n * 10 + (buf[i] - 48);
  return negative ? -n : n;
}

function parseRespDouble(s: string): number {
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/**
 * Pushes Redis's error table {err = "CODE message"} (luaPushErrorBuff): "-CODE msg" keeps its
 * code, a message without the dash gets ERR; CR/LF at either end are trimmed.
 */
export function pushErrorTable(vm: LuaVm, L: number, errBuffer: string): void {
  let code = 'ERR';
  let msg = errBuffer;
  if (errBuffer.startsWith('-')) {
    const sp = errBuffer.indexOf(' ');
    if (sp < 0) msg = errBuffer.slice(1);
    else {
      code = errBuffer.slice(1, sp);
      msg = errBuffer.slice(sp + 1);
    }
  }
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, '');
  vm.api._lua_createtable(L, 0, 2);
  vm.pushLatin1(L, `${code} ${msg}`);
  vm.setField(L, -2, 'err');
}

/**
 * Writes the value on top of the stack as a reply and pops it. scriptResp is the protocol the
 * script chose with redis.setresp (it decides how booleans convert); w.resp is the caller's.
 */
export function writeLuaValue(vm: LuaVm, L: number, w: ReplyWriter, scriptResp: number, depth = 0): void {
  const api = vm.api;
  // Room for the (up to 4) values a level pushes: a table nested past Lua's stack limit (a
  // table holding itself) ends in an error, as Redis's lua_checkstack does.
  if (depth >= MAX_REPLY_DEPTH || api._lua_checkstack(L, 4) === 0) {
    w.error('ERR reached lua stack limit');
    api._lua_settop(L, -2);
    return;
  }
  switch (api._lua_type(L, -1)) {
    case LUA_TSTRING: {
      const n = vm.stringLength(L, -1);
      const tmp = Buffer.allocUnsafe(n);
      vm.copyLastString(tmp, 0, n);
      w.bulkBytes(tmp);
      break;
    }
    case LUA_TBOOLEAN: {
      const b = api._lua_toboolean(L, -1) !== 0;
      if (scriptResp === 2) {
        if (b) w.integer(1);
        else w.nil();
      } else {
        w.bool(b);
      }
      break;
    }
    case LUA_TNUMBER:
      w.integer(toLongLong(api._lua_tonumberx(L, -1, 0)));
      break;
    case LUA_TTABLE:
      writeTable(vm, L, w, scriptResp, depth);
      return;
    default:
      w.nil();
  }
  api._lua_settop(L, -2);
}

/** C's (long long) cast of a double, as Redis converts a Lua number reply. */
function toLongLong(d: number): number | bigint {
  if (Number.isNaN(d)) return -(2n ** 63n);
  const t = Math.trunc(d);
  if (Number.isSafeInteger(t)) return t;
  if (t >= 2 ** 63 || t < -(2 ** 63)) return -(2n ** 63n);
  return BigInt(t);
}

/** The table on top of the stack: a marker field decides its reply, else it is an array. */
function writeTable(vm: LuaVm, L: number, w: ReplyWriter, scriptResp: number, depth: number): void {
  const api = vm.api;
  if (rawField(vm, L, 'err') === LUA_TSTRING) {
    api._lua_settop(L, -2);
    w.error(errorText(vm, L));
    api._lua_settop(L, -2);
    return;
  }
  api._lua_settop(L, -2);
  if (rawField(vm, L, 'ok') === LUA_TSTRING) {
    w.simple(cString(vm.toLatin1(L, -1)!).replace(/[\r\n]/g, ' '));
    api._lua_settop(L, -3);
    return;
  }
  api._lua_settop(L, -2);
  if (rawField(vm, L, 'double') === LUA_TNUMBER) {
    w.double(formatDouble(api._lua_tonumberx(L, -1, 0)));
    api._lua_settop(L, -3);
    return;
  }
  api._lua_settop(L, -2);
  if (rawField(vm, L, 'big_number') === LUA_TSTRING) {
    w.bigNumber(vm.toLatin1(L, -1)!.replace(/[\r\n]/g, ' '));
    api._lua_settop(L, -3);
    return;
  }
  api._lua_settop(L, -2);
  if (rawField(vm, L, 'verbatim_string') === LUA_TTABLE) {
    if (rawField(vm, L, 'format') === LUA_TSTRING) {
      const format = vm.toLatin1(L, -1)!;
      if (rawField(vm, L, 'string', -2) === LUA_TSTRING) {
        w.verbatim(vm.toLatin1(L, -1)!, format.slice(0, 3));
        api._lua_settop(L, -5);
        return;
      }
      api._lua_settop(L, -2);
    }
    api._lua_settop(L, -2);
  }
  api._lua_settop(L, -2);
  if (rawField(vm, L, 'map') === LUA_TTABLE) {
    w.map(countPairs(vm, L));
    api._lua_pushnil(L);
    while (api._lua_next(L, -2) !== 0) {
      api._lua_pushvalue(L, -2);
      writeLuaValue(vm, L, w, scriptResp, depth + 1);
      writeLuaValue(vm, L, w, scriptResp, depth + 1);
    }
    api._lua_settop(L, -3);
    return;
  }
  api._lua_settop(L, -2);
  if (rawField(vm, L, 'set') === LUA_TTABLE) {
    w.set(countPairs(vm, L));
    api._lua_pushnil(L);
    while (api._lua_next(L, -2) !== 0) {
      api._lua_settop(L, -2);
      api._lua_pushvalue(L, -1);
      writeLuaValue(vm, L, w, scriptResp, depth + 1);
    }
    api._lua_settop(L, -3);
    return;
  }
  api._lua_settop(L, -2);
  let n = 0;
  for (;;) {
    const t = api._lua_rawgeti(L, -1, n + 1 < SMALL_BIGINTS.length ? SMALL_BIGINTS[n + 1] : BigInt(n + 1));
    api._lua_settop(L, -2);
    if (t === LUA_TNIL) break;
    n++;
  }
  w.array(n);
  for (let j = 1; j <= n; j++) {
    api._lua_rawgeti(L, -1, j < SMALL_BIGINTS.length ? SMALL_BIGINTS[j] : BigInt(j));
    writeLuaValue(vm, L, w, scriptResp, depth + 1);
  }
  api._lua_settop(L, -2);
}

/** Pushes t[name] (raw) for the table at idx; returns its type. */
function rawField(vm: LuaVm, L: number, name: string, idx = -1): number {
  vm.api._lua_pushstring(L, vm.name(name));
  return vm.api._lua_rawget(L, idx - 1);
}

function countPairs(vm: LuaVm, L: number): number {
  const api = vm.api;
  let n = 0;
  api._lua_pushnil(L);
  while (api._lua_next(L, -2) !== 0) {
    api._lua_settop(L, -2);
    n++;
  }
  return n;
}

/** Whether the value on top is an error table a command's reply made (already in INFO errorstats). */
export function isCountedError(vm: LuaVm, L: number): boolean {
  if (vm.api._lua_type(L, -1) !== LUA_TTABLE) return false;
  vm.rawGetField(L, -1, 'ignore_error_stats_update');
  const yes = vm.api._lua_toboolean(L, -1) !== 0;
  vm.api._lua_settop(L, -2);
  return yes;
}

/** The error a script raised (on top of the stack), as Redis's luaCallFunction words it. */
export function writeScriptError(vm: LuaVm, L: number, w: ReplyWriter, name: string): void {
  const api = vm.api;
  if (api._lua_type(L, -1) !== LUA_TTABLE) {
    const msg = vm.toLatin1(L, -1) ?? 'execution failure';
    w.error(`ERR Error running script ${name}, ${msg.slice(0, 100)}`);
    return;
  }
  let msg = errorText(vm, L);
  if (msg === '' && vm.rawGetField(L, -1, 'err') !== LUA_TSTRING) {
    api._lua_settop(L, -2);
    msg = '';
  } else if (msg === '') {
    api._lua_settop(L, -2);
  }
  const line = fieldText(vm, L, 'line');
  const source = fieldText(vm, L, 'source');
  if (line !== null && source !== null) msg += ` script: ${name}, on ${source}:${line}.`;
  w.error(msg);
}

function fieldText(vm: LuaVm, L: number, name: string): string | null {
  const t = vm.rawGetField(L, -1, name);
  const s = t === LUA_TSTRING || t === LUA_TNUMBER ? vm.toLatin1(L, -1) : null;
  vm.api._lua_settop(L, -2);
  return s;
}

/** The message of the error table on top of the stack (its err field), as Redis's %s prints it. */
export function errorText(vm: LuaVm, L: number): string {
  vm.rawGetField(L, -1, 'err');
  const msg = vm.toLatin1(L, -1) ?? '';
  vm.api._lua_settop(L, -2);
  return cString(msg);
}

/** Redis formats these with %s: a C string ends at its first NUL byte. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}
