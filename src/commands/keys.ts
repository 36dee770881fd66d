// Generic key commands (Redis 7's "generic" group): DEL EXISTS TYPE TOUCH, the EXPIRE/TTL family,
// PERSIST, RENAME, COPY, KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB and FLUSHALL.

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_CURSOR, ERR_DB_INDEX, ERR_NOT_INTEGER, ERR_NO_SUCH_KEY, ERR_SYNTAX, errInvalidExpire } from './errors.js';
import { int64Arg, optIs } from './strings.js';
import { TYPE_NAMES, TYPE_STRING, type CollectionValue, type Entry } from '../store/entry.js';
import type { Keyspace } from '../store/keyspace.js';
import { INT64_MAX } from '../util/bytes.js';
import { globMatch } from '../util/glob.js';
import { NOTIFY_GENERIC, NOTIFY_KEY_MISS } from './keyspace-events.js';

const ERR_INT_RANGE = 'ERR value is out of range, value must between -2147483648 and 2147483647';
const ERR_SAME_OBJECT = 'ERR source and destination objects are the same';
const ERR_NX_XX_GT_LT = 'ERR NX and XX, GT or LT options at the same time are not compatible';
const ERR_GT_LT = 'ERR GT and LT options at the same time are not compatible';

/** Redis's lookupKeyReadWithFlags(LOOKUP_NOTOUCH): counts a hit or miss but leaves LRU/LFU alone. */
function lookupNoTouch(c: CommandContext, key: string): Entry | undefined {
  const e = c.db.peek(key);
  if (e === undefined) {
    c.store.stats.misses++;
    c.notify(NOTIFY_KEY_MISS, 'keymiss', key);
  } else {
    c.store.stats.hits++;
  }
  return e;
}

function delCommand(c: CommandContext): void {
  let n = 0;
  for (let i = 1; i < c.argc; i++) {
    if (c.db.delete(c.str(i))) {
      n++;
      c.notifyArg(NOTIFY_GENERIC, 'del', i);
    }
  }
  c.w.integer(n);
}

function existsCommand(c: CommandContext): void {
  let n = 0;
  for (let i = 1; i < c.argc; i++) if (lookupNoTouch(c, c.str(i)) !== undefined) n++;
  c.w.integer(n);
}

function touchCommand(c: CommandContext): void {
  let n = 0;
  for (let i = 1; i < c.argc; i++) if (c.db.lookupRead(c.str(i)) !== undefined) n++;
  c.w.integer(n);
}

function typeName(e: Entry | undefined): string {
  if (e === undefined) return 'none';
  return TYPE_NAMES[e.type];
}

function typeCommand(c: CommandContext): void {
  c.w.simple(typeName(lookupNoTouch(c, c.str(1))));
}

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** Redis's parseExtendedExpireArgumentsOrReply; -1 after an error reply. */
function parseExpireFlags(c: CommandContext): number {
  let flags = 0;
  for (let j = 3; j < c.argc; j++) {
    if (optIs(c, j, 'nx')) flags |= EXPIRE_NX;
    else if (optIs(c, j, 'xx')) flags |= EXPIRE_XX;
    else if (optIs(c, j, 'gt')) flags |= EXPIRE_GT;
    else if (optIs(c, j, 'lt')) flags |= EXPIRE_LT;
    else {
      c.w.error(`ERR Unsupported option ${cString(c.str(j))}`);
      return -1;
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    c.w.error(ERR_NX_XX_GT_LT);
    return -1;
  }
  if ((flags & (EXPIRE_GT | EXPIRE_LT)) === (EXPIRE_GT | EXPIRE_LT)) {
    c.w.error(ERR_GT_LT);
    return -1;
  }
  return flags;
}

/** An argument as Redis's %s prints it in an error: cut at NUL, CR/LF trimmed from the ends. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.substring(0, nul);
  return s.replace(/^[\r\n]+|[\r\n]+$/g, '');
}

const LLONG_MAX_DIV_1000 = 9223372036854775n;
const LLONG_MIN_DIV_1000 = -9223372036854775n;

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (Redis's expireGenericCommand): a time in the past
 * deletes the key and replies 1. Times past 2^53 ms are kept as the nearest Number.
 */
function expireCommand(c: CommandContext): void {
  const flags = c.argc === 3 ? 0 : parseExpireFlags(c);
  if (flags < 0) return;
  const n = int64Arg(c, 2);
  if (n === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const name = c.name;
  const seconds = name === 'expire' || name === 'expireat';
  const base = name === 'expire' || name === 'pexpire' ? c.store.clock.now() : 0;
  let when: number;
  if (typeof n === 'number' && n > -4e12 && n < 4e12) {
    when = (seconds ? n * 1000 : n) + base;
  } else {
    let ms = BigInt(n);
    if (seconds) {
      if (ms > LLONG_MAX_DIV_1000 || ms < LLONG_MIN_DIV_1000) {
        c.w.error(errInvalidExpire(name));
        return;
      }
      ms *= 1000n;
    }
    if (ms > INT64_MAX - BigInt(base)) {
      c.w.error(errInvalidExpire(name));
      return;
    }
    when = Number(ms + BigInt(base));
  }
  const e = c.db.lookupWrite(c.str(1));
  if (e === undefined) {
    c.w.integer(0);
    return;
  }
  if (flags !== 0) {
    const current = e.expireAt;
    if (
      (flags & EXPIRE_NX && current !== 0) ||
      (flags & EXPIRE_XX && current === 0) ||
      (flags & EXPIRE_GT && (current === 0 || when <= current)) ||
      (flags & EXPIRE_LT && current !== 0 && when >= current)
    ) {
      c.w.integer(0);
      return;
    }
  }
  // Replicated as Redis does: a TTL as PEXPIREAT with the absolute time (the replica's clock
  // must not move it; PEXPIREAT itself goes as sent), a time already past as DEL.
  if (when <= c.store.clock.now()) {
    c.db.remove(e);
    c.db.modified(e.key);
    c.notify(NOTIFY_GENERIC, 'del', e.key);
    c.replicateAs = ['DEL', e.key];
    c.w.integer(1);
    return;
  }
  c.db.setExpireAt(e, when);
  c.db.modified(e.key);
  if (c.name !== 'pexpireat') c.replicateAs = ['PEXPIREAT', e.key, String(when)];
  c.w.integer(1);
  c.notify(NOTIFY_GENERIC, 'expire', e.key);
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 missing key, -1 no TTL. */
function ttlCommand(c: CommandContext): void {
  const e = lookupNoTouch(c, c.str(1));
  if (e === undefined) {
    c.w.integer(-2);
    return;
  }
  if (e.expireAt === 0) {
    c.w.integer(-1);
    return;
  }
  const name = c.name;
  const absolute = name === 'expiretime' || name === 'pexpiretime';
  const ms = absolute ? e.expireAt : Math.max(0, e.expireAt - c.store.clock.now());
  c.w.integer(name === 'ttl' || name === 'expiretime' ? Math.floor((ms + 500) / 1000) : ms);
}

function persistCommand(c: CommandContext): void {
  const e = c.db.lookupWrite(c.str(1));
  if (e === undefined || e.expireAt === 0) {
    c.w.integer(0);
    return;
  }
  c.db.setExpireAt(e, 0);
  c.db.modified(e.key);
  c.notify(NOTIFY_GENERIC, 'persist', e.key);
  c.w.integer(1);
}

/**
 * Adds `src`'s value (the same object, or a copy of it) under `key` in `db`, with its TTL
 * and access data, replacing what was there. The Keyspace has no rename, so this is built from
 * create + setExpireAt.
 */
function putCopy(db: Keyspace, key: string, src: Entry, copyValue: boolean, stringForm: number): void {
  const type = src.type;
  let value = src.value;
  if (copyValue && type !== TYPE_STRING) value = (value as CollectionValue).clone();
  const e = type === TYPE_STRING ? db.setString(key, value as string, 0) : db.create(key, type, value as CollectionValue);
  // A string keeps what OBJECT ENCODING says of it (raw after APPEND, not int after INCRBYFLOAT).
  if (type === TYPE_STRING && stringForm !== 0) db.markStringForm(e.id, stringForm);
  e.lastAccess = src.lastAccess;
  e.lfu = src.lfu;
  if (src.expireAt !== 0) db.setExpireAt(e, src.expireAt);
  db.changed(e, 0);
}

function renameCommand(c: CommandContext): void {
  const nx = c.name === 'renamenx';
  const from = c.str(1);
  const to = c.str(2);
  const e = c.db.lookupWrite(from);
  if (e === undefined) {
    c.w.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (from === to) {
    if (nx) c.w.integer(0);
    else c.w.ok();
    return;
  }
  const old = c.db.lookupWrite(to);
  if (old !== undefined && nx) {
    c.w.integer(0);
    return;
  }
  // Redis deletes the destination and adds the key anew (a `new` event even when overwriting).
  if (old !== undefined) c.db.remove(old);
  const form = e.type === TYPE_STRING ? c.db.stringForm(e.id) : 0;
  c.db.remove(e);
  c.db.modified(from);
  putCopy(c.db, to, e, false, form);
  c.notify(NOTIFY_GENERIC, 'rename_from', from);
  c.notify(NOTIFY_GENERIC, 'rename_to', to);
  if (nx) c.w.integer(1);
  else c.w.ok();
}

/** MOVE key db: moves a key (value, TTL) to another database, unless it exists there. */
function moveCommand(c: CommandContext): void {
  if (c.store.options.slotOf !== undefined) {
    c.w.error('ERR MOVE is not allowed in cluster mode');
    return;
  }
  const id = c.int(2);
  if (id === undefined || id < -2147483648 || id > 2147483647) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  if (id < 0 || id >= c.store.dbs.length) {
    c.w.error(ERR_DB_INDEX);
    return;
  }
  const dst = c.store.dbs[id];
  if (dst === c.db) {
    c.w.error(ERR_SAME_OBJECT);
    return;
  }
  const key = c.str(1);
  const e = c.db.lookupWrite(key);
  if (e === undefined || dst.lookupWrite(key) !== undefined) {
    c.w.integer(0);
    return;
  }
  const form = e.type === TYPE_STRING ? c.db.stringForm(e.id) : 0;
  c.db.remove(e);
  c.db.modified(key);
  putCopy(dst, key, e, false, form);
  c.notify(NOTIFY_GENERIC, 'move_from', key);
  c.notifyIn(NOTIFY_GENERIC, 'move_to', key, dst.id);
  c.w.integer(1);
}

function copyCommand(c: CommandContext): void {
  let replace = false;
  let dst = c.db;
  for (let j = 3; j < c.argc; j++) {
    if (optIs(c, j, 'replace')) {
      replace = true;
    } else if (optIs(c, j, 'db') && j + 1 < c.argc) {
      const id = c.int(++j);
      if (id === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      if (id < -2147483648 || id > 2147483647) {
        c.w.error(ERR_INT_RANGE);
        return;
      }
      if (id < 0 || id >= c.store.dbs.length) {
        c.w.error(ERR_DB_INDEX);
        return;
      }
      dst = c.store.dbs[id];
    } else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  // As Redis: after the options are checked, before the keys are looked at.
  if (c.store.options.slotOf !== undefined && dst.id !== 0) {
    c.w.error('ERR Copying to another database is not allowed in cluster mode');
    return;
  }
  const from = c.str(1);
  const to = c.str(2);
  if (dst === c.db && from === to) {
    c.w.error(ERR_SAME_OBJECT);
    return;
  }
  const e = c.db.lookupRead(from);
  const old = e === undefined ? undefined : dst.lookupWrite(to);
  if (e === undefined || (old !== undefined && !replace)) {
    c.w.integer(0);
    return;
  }
  // As RENAME: the destination is deleted, then added anew.
  if (old !== undefined) dst.remove(old);
  putCopy(dst, to, e, true, e.type === TYPE_STRING ? c.db.stringForm(e.id) : 0);
  c.notifyIn(NOTIFY_GENERIC, 'copy_to', to, dst.id);
  c.w.integer(1);
}

// KEYS and SCAN collect into this array (reused: handlers run one at a time, and the visitors
// below are plain functions so no closure is allocated per command).
const found: string[] = [];
let matchPattern = '';
let matchType = '';

function visitKeys(e: Entry): void {
  if (matchPattern === '*' || globMatch(matchPattern, e.key)) found.push(e.key);
}

function visitScan(e: Entry): void {
  if (matchPattern !== '' && !globMatch(matchPattern, e.key)) return;
  if (matchType !== '' && matchType !== typeName(e)) return;
  found.push(e.key);
}

function matchesScan(key: string): boolean {
  return matchPattern === '' || globMatch(matchPattern, key);
}

function replyFound(c: CommandContext): void {
  c.w.array(found.length);
  for (let i = 0; i < found.length; i++) c.w.bulk(found[i]);
  found.length = 0;
}

function keysCommand(c: CommandContext): void {
  matchPattern = c.str(1);
  c.db.forEachLive(visitKeys);
  replyFound(c);
}

const ULONG_MAX = 18446744073709551615n;

/** Redis's parseScanCursorOrReply (strtoul on a C string); -1 if invalid. */
function parseCursor(s: string): number {
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.substring(0, nul);
  if (s.length === 0) return 0;
  const m = /^([+-]?)(\d+)$/.exec(s);
  if (m === null) return -1;
  if (m[2].length < 16) return m[1] === '-' && m[2] !== '0' ? Number.MAX_SAFE_INTEGER : Number(m[2]);
  const v = BigInt(m[2]);
  if (v > ULONG_MAX) return -1;
  // strtoul negates in unsigned arithmetic: "-5" is 2^64 - 5. Past the keyspace either way.
  return m[1] === '-' && v !== 0n ? Number.MAX_SAFE_INTEGER : Number(v);
}

function scanCommand(c: CommandContext): void {
  const cursor = parseCursor(c.str(1));
  if (cursor < 0) {
    c.w.error(ERR_CURSOR);
    return;
  }
  let count = 10;
  matchPattern = '';
  matchType = '';
  for (let i = 2; i < c.argc; i += 2) {
    const more = i + 1 < c.argc;
    if (optIs(c, i, 'count') && more) {
      const n = c.int(i + 1);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      if (n < 1) {
        c.w.error(ERR_SYNTAX);
        return;
      }
      count = n;
    } else if (optIs(c, i, 'match') && more) {
      matchPattern = c.str(i + 1);
      if (matchPattern === '*') matchPattern = '';
    } else if (optIs(c, i, 'type') && more) {
      // Redis 7.0 compares type names with strcasecmp: an unknown name just matches nothing.
      matchType = cString(c.str(i + 1)).toLowerCase();
    } else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  // Our cursor is an index walking down; Keyspace.scan restarts cursors past the top.
  const next = c.db.scan(cursor, count, visitScan, matchesScan);
  c.w.array(2);
  c.w.bulk(String(next));
  replyFound(c);
}

function randomkeyCommand(c: CommandContext): void {
  // randomEntry may fall back to an expired entry; peek reclaims it, so the loop ends.
  for (;;) {
    const e = c.db.randomEntry();
    if (e === undefined) {
      c.w.nil();
      return;
    }
    if (c.db.peek(e.key) !== undefined) {
      c.w.bulk(e.key);
      return;
    }
  }
}

function dbsizeCommand(c: CommandContext): void {
  c.w.integer(c.db.size);
}

/** FLUSHDB / FLUSHALL [ASYNC|SYNC]: both run synchronously. */
function flushCommand(c: CommandContext): void {
  if (c.argc > 2 || (c.argc === 2 && !optIs(c, 1, 'sync') && !optIs(c, 1, 'async'))) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  if (c.name === 'flushall') c.store.flushAll();
  else c.db.flush();
  c.w.ok();
}

const ALL_KEYS = { firstKey: 1, lastKey: -1, keyStep: 1 };
const KEY1 = { firstKey: 1, lastKey: 1, keyStep: 1 };
const KEY2 = { firstKey: 1, lastKey: 2, keyStep: 1 };
const RO_FAST = CMD_READONLY | CMD_FAST;
const W_FAST = CMD_WRITE | CMD_FAST;

export const keyCommands: CommandDef[] = [
  { name: 'del', arity: -2, flags: CMD_WRITE, ...ALL_KEYS, handler: delCommand },
  { name: 'unlink', arity: -2, flags: W_FAST, ...ALL_KEYS, handler: delCommand },
  { name: 'exists', arity: -2, flags: RO_FAST, ...ALL_KEYS, handler: existsCommand },
  { name: 'type', arity: 2, flags: RO_FAST, ...KEY1, handler: typeCommand },
  { name: 'touch', arity: -2, flags: RO_FAST, ...ALL_KEYS, handler: touchCommand },
  { name: 'expire', arity: -3, flags: W_FAST, ...KEY1, handler: expireCommand },
  { name: 'pexpire', arity: -3, flags: W_FAST, ...KEY1, handler: expireCommand },
  { name: 'expireat', arity: -3, flags: W_FAST, ...KEY1, handler: expireCommand },
  { name: 'pexpireat', arity: -3, flags: W_FAST, ...KEY1, handler: expireCommand },
  { name: 'ttl', arity: 2, flags: RO_FAST, ...KEY1, handler: ttlCommand },
  { name: 'pttl', arity: 2, flags: RO_FAST, ...KEY1, handler: ttlCommand },
  { name: 'expiretime', arity: 2, flags: RO_FAST, ...KEY1, handler: ttlCommand },
  { name: 'pexpiretime', arity: 2, flags: RO_FAST, ...KEY1, handler: ttlCommand },
  { name: 'persist', arity: 2, flags: W_FAST, ...KEY1, handler: persistCommand },
  { name: 'rename', arity: 3, flags: CMD_WRITE, ...KEY2, handler: renameCommand },
  { name: 'renamenx', arity: 3, flags: W_FAST, ...KEY2, handler: renameCommand },
  { name: 'copy', arity: -3, flags: CMD_WRITE | CMD_DENYOOM, ...KEY2, handler: copyCommand },
  { name: 'move', arity: 3, flags: CMD_WRITE | CMD_FAST, firstKey: 1, handler: moveCommand },
  { name: 'keys', arity: 2, flags: CMD_READONLY, handler: keysCommand },
  { name: 'scan', arity: -2, flags: CMD_READONLY, handler: scanCommand },
  { name: 'randomkey', arity: 1, flags: CMD_READONLY, handler: randomkeyCommand },
  { name: 'dbsize', arity: 1, flags: RO_FAST, handler: dbsizeCommand },
  { name: 'flushdb', arity: -1, flags: CMD_WRITE, handler: flushCommand },
  { name: 'flushall', arity: -1, flags: CMD_WRITE, handler: flushCommand },
];
