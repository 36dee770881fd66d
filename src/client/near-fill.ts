// How the near-cache (near-cache.ts) fills an entry: the records it writes on a data connection,
// the read in flight they belong to, and the decision whether the read's reply may be stored.
//
// A GET the near-cache may cache is written on the data connection to the slot's primary as three
// pipelined commands, after `CLIENT TRACKING ON REDIRECT <id> OPTIN` once per data connection
// (id: the node's invalidation connection; re-sent when either connection is new):
//
//   CLIENT CACHING YES   (Control record: an error poisons the read)
//   GET key              (the caller's command: its reply resolves the caller at once)
//   PTTL key             (Control record: on its reply the entry is stored, or not)
//
// With OPTIN the node tracks only keys read right after CACHING YES, so it remembers only keys
// this process may cache. The entry's TTL is min(nearCache.ttl, PTTL) counted from when the read
// was written (PTTL ran later, so the entry never outlives the key on the node). It is stored
// only if: CACHING YES answered OK, the GET was answered on its first try on that connection
// (no redirect, no retry: the reply sits between CACHING's and PTTL's), PTTL answered a number
// consistent with the value, the read was not poisoned (fillExpiry), and neither the node's link
// generation nor the topology epoch changed since the read was written (the near-cache checks).

import { BulkMode } from '../protocol/reply-decoder.js';
import { Command, Ctl, Reply, State, promiseOf, type Arg } from './command.js';
import type { Connection } from './connection.js';
import type { InvalidationLink } from './near-invalidation.js';

/** A Control record that belongs to one read (CLIENT CACHING YES, PTTL) or one link (CLIENT TRACKING). */
export class NearRecord extends Command {
  read: NearRead | null = null;
  link: InvalidationLink | null = null;
  constructor(args: Arg[], ctl: Ctl) {
    super(args, -1, Reply.Discard, BulkMode.Utf8);
    this.state = State.Control;
    this.internal = true;
    this.ctl = ctl;
  }
}

/** One cacheable GET in flight. */
export class NearRead {
  poisoned = false;
  armed = false;
  got = false;
  value: unknown = null;
  get: Command | null = null;
  constructor(
    readonly key: string,
    readonly link: InvalidationLink,
    readonly gen: number,
    readonly topo: number,
    readonly sentAt: number,
  ) {}
}

/** Sends CLIENT TRACKING ON REDIRECT <id> OPTIN on the data connection unless the link's was. */
export function sendTracking(conn: Connection, link: InvalidationLink): void {
  if (link.trackedConn === conn) return;
  const rec = new NearRecord(['CLIENT', 'TRACKING', 'ON', 'REDIRECT', link.clientId, 'OPTIN'], Ctl.NearTracking);
  rec.link = link;
  conn.send(rec);
  link.trackedConn = conn;
}

/**
 * Writes the read's CLIENT CACHING YES, GET and PTTL on the connection (the read is registered as
 * in flight already); the promise settles with the GET's reply.
 */
export function sendRead(conn: Connection, read: NearRead, key: Arg, slot: number, mode: BulkMode, host: { stamp(cmd: Command): void }): Promise<unknown> {
  const get = new Command(['GET', key], slot, Reply.Raw, mode);
  read.get = get;
  const p = promiseOf(get);
  const resolve = get.resolve;
  get.resolve = (v: unknown) => {
    read.value = v;
    read.got = true;
    resolve(v);
  };
  host.stamp(get);
  const caching = new NearRecord(['CLIENT', 'CACHING', 'YES'], Ctl.NearCaching);
  caching.read = read;
  const pttl = new NearRecord(['PTTL', key], Ctl.NearTtl);
  pttl.read = read;
  conn.send(caching);
  conn.send(get);
  conn.send(pttl);
  return p;
}

/**
 * On PTTL's reply: when the entry read would expire (the read's send time + min(ttl, PTTL)), or
 * null if what the read got may not be stored.
 */
export function fillExpiry(read: NearRead, pttl: unknown, ttlMs: number): number | null {
  const get = read.get!;
  if (read.poisoned || !read.armed || !read.got || get.redirects !== 0 || get.attempts !== 0) return null;
  if (typeof pttl !== 'number') return null;
  const value = read.value;
  if (value !== null && typeof value !== 'string' && !Buffer.isBuffer(value)) return null;
  // A value with no key (expired in between), or a key where GET saw none: not consistent.
  if ((value === null) !== (pttl === -2)) return null;
  const ttl = pttl >= 0 ? Math.min(ttlMs, pttl) : ttlMs;
  return read.sentAt + ttl;
}
