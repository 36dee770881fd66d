// DUMP and RESTORE as Redis 7.0 replies them (cluster.c's dumpCommand and restoreCommand). DUMP
// writes Redis 7.0.15's payload format (store/rdb.ts: RDB version 10), so its payloads restore
// into redis-server; RESTORE takes that format (any RDB version up to 10, as Redis does) and
// corral's own (store/dump.ts, version 0xC001), which replication and slot migration send as
// RESTORE ... ABSTTL and which keeps the CACHE.SET stale time.
//
// RESTORE checks in Redis's order, which decides the error a bad call gets: the options (syntax,
// IDLETIME, FREQ), then BUSYKEY, then the TTL, then the payload's frame, then its content. A TTL
// already past creates nothing and replies OK (deleting the key under REPLACE), except on a
// replica or in the primary's stream (restoreValue). IDLETIME applies under a non-LFU policy and
// FREQ under an LFU one, as objectSetLRUOrLFU does; the other is accepted and ignored.
//
// This file also hands the store the set value's constructor (registerSetType): SetValue lives in
// commands/sets.ts, which the store may not import.

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from './errors.js';
import { int64Arg, optIs } from './strings.js';
import { SetValue } from './sets.js';
import { INT64_MAX } from '../util/bytes.js';
import { ERR_BUSYKEY, RestoreError, dumpId, registerSetType, restoreValue, type DumpedValue } from '../store/dump.js';
import { decodeAnyDump, rdbDumpId } from '../store/rdb.js';
import { NOTIFY_GENERIC } from './keyspace-events.js';

registerSetType(() => new SetValue());

const ERR_TTL = 'ERR Invalid TTL value, must be >= 0';
const ERR_IDLETIME = 'ERR Invalid IDLETIME value, must be >= 0';
const ERR_FREQ = 'ERR Invalid FREQ value, must be >= 0 and <= 255';
/** The access column holds ms since a base in a u32: an idle time past it is kept at the most it holds. */
const MAX_IDLE_MS = 2 ** 32 - 1;

function dumpCommand(c: CommandContext): void {
  const a = c.args;
  const id = c.db.findRead(a.buf, a.start[1], a.end[1]);
  if (id < 0) {
    c.w.nil();
    return;
  }
  const payload = rdbDumpId(c.db, id, c.store.limits);
  c.w.bulkBytes(payload, 0, payload.length);
}

/**
 * CORRAL DUMP key: the key in corral's own format (store/dump.ts), what replication and slot
 * moves send: its encoding and CACHE.SET stale time included, which Redis's format cannot carry.
 * RESTORE takes it back. (Tests compare nodes with it.)
 */
function corralDumpCommand(c: CommandContext): void {
  const a = c.args;
  const id = c.db.findRead(a.buf, a.start[2], a.end[2]);
  if (id < 0) {
    c.w.nil();
    return;
  }
  const payload = dumpId(c.db, id);
  c.w.bulkBytes(payload, 0, payload.length);
}

/** An integer argument as getLongLongFromObjectOrReply reads it; undefined after the error reply. */
function longArg(c: CommandContext, i: number): number | undefined {
  const n = int64Arg(c, i);
  if (n === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return undefined;
  }
  return Number(n);
}

/**
 * The absolute expiry RESTORE's ttl argument names (0: none). Redis adds a relative ttl to the
 * time in int64 arithmetic: past INT64_MAX it wraps negative, a time already past, which is
 * answered here with 1 (the earliest positive time). Times past 2^53 ms are kept as the nearest
 * Number, as the EXPIRE family keeps them.
 */
function restoreExpireAt(c: CommandContext, ttl: number, absttl: boolean, now: number): number {
  if (ttl === 0) return 0;
  if (absttl) return ttl;
  if (ttl > Number.MAX_SAFE_INTEGER && BigInt(int64Arg(c, 2)!) + BigInt(now) > INT64_MAX) return 1;
  return ttl + now;
}

function restoreCommand(c: CommandContext): void {
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  const argc = c.argc;
  for (let j = 4; j < argc; j++) {
    const more = j + 1 < argc;
    if (optIs(c, j, 'replace')) {
      replace = true;
    } else if (optIs(c, j, 'absttl')) {
      absttl = true;
    } else if (optIs(c, j, 'idletime') && more && freq === -1) {
      const n = longArg(c, ++j);
      if (n === undefined) return;
      if (n < 0) return c.w.error(ERR_IDLETIME);
      idle = n;
    } else if (optIs(c, j, 'freq') && more && idle === -1) {
      const n = longArg(c, ++j);
      if (n === undefined) return;
      if (n < 0 || n > 255) return c.w.error(ERR_FREQ);
      freq = n;
    } else {
      return c.w.error(ERR_SYNTAX);
    }
  }
  const key = c.str(1);
  if (!replace && c.db.lookupWrite(key) !== undefined) return c.w.error(ERR_BUSYKEY);
  const ttl = longArg(c, 2);
  if (ttl === undefined) return;
  if (ttl < 0) return c.w.error(ERR_TTL);
  const now = c.store.clock.now();
  let value: DumpedValue;
  try {
    value = decodeAnyDump(c.bytes(3), c.store.limits);
  } catch (err) {
    if (err instanceof RestoreError) return c.w.error(err.message);
    throw err;
  }
  const expireAt = restoreExpireAt(c, ttl, absttl, now);
  // Redis deletes the old key before it adds the new one: a `new` event even under REPLACE, and a
  // `del` when the TTL has passed already. (Signalled once, below or by restoreValue.)
  const old = replace ? c.db.lookupWrite(key) : undefined;
  if (old !== undefined) c.db.remove(old);
  let e;
  try {
    e = restoreValue(c.db, key, value, { expireAt, replace });
  } catch (err) {
    if (err instanceof RestoreError) return c.w.error(err.message);
    throw err;
  }
  if (e !== null) {
    if (c.store.policy.family === 'lfu') {
      if (freq >= 0) {
        e.lfu = freq;
        e.lastAccess = now;
      }
    } else if (idle >= 0) {
      e.lastAccess = now - Math.min(idle * 1000, MAX_IDLE_MS);
    }
    c.notify(NOTIFY_GENERIC, 'restore', key);
    if (expireAt !== 0 && !absttl) c.replicateAs = withAbsoluteTtl(c, expireAt);
  } else if (old !== undefined) {
    c.db.modified(key);
    c.notify(NOTIFY_GENERIC, 'del', key);
    c.replicateAs = ['DEL', key];
  }
  c.w.ok();
}

/** Redis replicates a RESTORE with a relative TTL as sent, with the absolute time and ABSTTL. */
function withAbsoluteTtl(c: CommandContext, expireAt: number): string[] {
  const words: string[] = [];
  for (let i = 0; i < c.argc; i++) words.push(i === 2 ? String(expireAt) : c.str(i));
  words.push('ABSTTL');
  return words;
}

const KEY1 = { firstKey: 1, lastKey: 1, keyStep: 1 };

export const dumpCommands: CommandDef[] = [
  { name: 'dump', arity: 2, flags: CMD_READONLY, ...KEY1, handler: dumpCommand },
  // Replicated as Redis does: as sent, a relative TTL made absolute (with ABSTTL), or DEL.
  { name: 'restore', arity: -4, flags: CMD_WRITE | CMD_DENYOOM, ...KEY1, handler: restoreCommand },
];

/** CORRAL subcommands of this file. */
export const corralDumpCommands: CommandDef[] = [{ name: 'dump', arity: 3, flags: CMD_READONLY, firstKey: 2, handler: corralDumpCommand }];
