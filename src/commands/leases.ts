// corral's cache-aside commands (docs/leases.md): CACHE.GET answers a fresh hit with the value
// as GET does, and hands a miss or a stale value's refresh to exactly one caller as a lease; CACHE.SET stores a value only under a current lease;
// CACHE.LEASE asks for a lease on any key (early refresh); CACHE.INVALIDATE deletes or marks
// stale and voids the lease, so a load that started before it can never write back.

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import { TYPE_STRING } from '../store/entry.js';

const MAX_LEASE_MS = 86_400_000;
/** TTL and grace are capped so that now + ttl + grace stays an exact integer in a double. */
const MAX_TTL_MS = 2 ** 46;

/** Argument i as an integer in [min, max], or undefined after replying the error. */
function intArg(c: CommandContext, i: number, min: number, max: number): number | undefined {
  const n = c.int(i);
  if (n === undefined || n < min || n > max) {
    c.w.error(ERR_NOT_INTEGER);
    return undefined;
  }
  return n;
}

/** The optional `GRACE ms` at argument i: the grace, 0 when absent, undefined after an error. */
function graceArg(c: CommandContext, i: number): number | undefined {
  if (c.argc === i) return 0;
  if (c.argc !== i + 2 || !c.is(i, 'grace')) {
    c.w.error(ERR_SYNTAX);
    return undefined;
  }
  return intArg(c, i + 1, 0, MAX_TTL_MS);
}

function reply4(c: CommandContext, status: string, value: string | null, token: string | null, ms: number): void {
  const w = c.w;
  w.array(4);
  w.simple(status);
  w.bulkOrNull(value);
  w.bulkOrNull(token);
  w.integer(ms);
}

function cacheGetCommand(c: CommandContext): void {
  const leaseMs = intArg(c, 2, 1, MAX_LEASE_MS);
  if (leaseMs === undefined) return;
  // The hot path: a fresh hit replies the bare value, the same bytes as GET, with no handle.
  const a = c.args;
  const db = c.db;
  const id = db.findRead(a.buf, a.start[1], a.end[1]);
  if (id >= 0 && db.typeOf(id) === TYPE_STRING) {
    const staleAt = db.staleAtOf(id);
    if (staleAt === 0 || c.store.clock.now() < staleAt) {
      db.table.view(id);
      c.w.bulkBytes(db.table.vbuf, db.table.vstart, db.table.vend);
      return;
    }
  }
  const key = c.str(1);
  // findRead counted the hit or miss; peek does not count again.
  const e = id < 0 ? undefined : db.peek(key);
  if (e !== undefined && e.type !== TYPE_STRING) {
    c.w.error(ERR_WRONGTYPE);
    return;
  }
  const leases = c.db.leases;
  const now = c.store.clock.now();
  if (e === undefined) {
    const token = leases.grant(key, leaseMs);
    if (token !== null) reply4(c, 'MISS_WON', null, token, leaseMs);
    else {
      c.store.stats.leaseWaits++;
      reply4(c, 'MISS_WAIT', null, null, leases.remaining(key));
    }
    return;
  }
  const value = e.value as string;
  const token = leases.grant(key, leaseMs);
  c.store.stats.leaseStaleServed++;
  reply4(c, token !== null ? 'STALE_WON' : 'STALE', value, token, e.expireAt === 0 ? -1 : e.expireAt - now);
}

function cacheLeaseCommand(c: CommandContext): void {
  const leaseMs = intArg(c, 2, 1, MAX_LEASE_MS);
  if (leaseMs === undefined) return;
  c.w.bulkOrNull(c.db.leases.grant(c.str(1), leaseMs));
}

function cacheSetCommand(c: CommandContext): void {
  const ttl = intArg(c, 4, 1, MAX_TTL_MS);
  if (ttl === undefined) return;
  const grace = graceArg(c, 5);
  if (grace === undefined) return;
  const key = c.str(1);
  // The token is checked before anything is written: a voided lease must leave no trace.
  if (!c.db.leases.release(key, c.str(3))) {
    c.w.integer(0);
    return;
  }
  const now = c.store.clock.now();
  const e = c.db.setString(key, c.str(2), now + ttl + grace);
  if (grace > 0) e.staleAt = now + ttl;
  c.w.integer(1);
}

function cacheInvalidateCommand(c: CommandContext): void {
  const grace = graceArg(c, 2);
  if (grace === undefined) return;
  const key = c.str(1);
  const db = c.db;
  const e = db.lookupWrite(key);
  if (e === undefined) {
    // No value, but a load may be in flight under a lease: it must not write back.
    db.leases.void(key);
    c.w.integer(0);
    return;
  }
  if (grace > 0 && e.type === TYPE_STRING) {
    const now = c.store.clock.now();
    e.staleAt = now;
    if (e.expireAt === 0 || e.expireAt > now + grace) db.setExpireAt(e, now + grace);
    db.modified(key);
  } else {
    db.delete(key);
  }
  c.w.integer(1);
}

const KEY1 = { firstKey: 1, lastKey: 1, keyStep: 1 };
export const leaseCommands: CommandDef[] = [
  { name: 'cache.get', arity: 3, flags: CMD_WRITE | CMD_FAST, ...KEY1, handler: cacheGetCommand },
  { name: 'cache.lease', arity: 3, flags: CMD_WRITE | CMD_FAST, ...KEY1, handler: cacheLeaseCommand },
  { name: 'cache.set', arity: -5, flags: CMD_WRITE | CMD_DENYOOM, ...KEY1, stateFromArgc: 1, handler: cacheSetCommand },
  { name: 'cache.invalidate', arity: -2, flags: CMD_WRITE | CMD_FAST, ...KEY1, stateFromArgc: 1, handler: cacheInvalidateCommand },
];

