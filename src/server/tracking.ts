// Client-side caching support: CLIENT TRACKING's bookkeeping and invalidation messages, as Redis
// 7.0's tracking.c.
//
// Default mode: after a read-only command, the keys it read are remembered for the client (with
// OPTIN only after CLIENT CACHING yes, with OPTOUT unless CLIENT CACHING no); when such a key
// changes (a write, an expiry, an eviction) every client remembered for it is sent one
// invalidation and the key is forgotten (a client reads again to be told again). BCAST mode:
// every change to a key under one of the client's prefixes is sent, batched per event-loop turn
// as one array per prefix, keys in byte order. FLUSHDB/FLUSHALL send every tracking client a
// null ("everything") and forget all keys. NOLOOP skips changes the client made itself.
//
// Where a message goes (sendTrackingMessage): to the client itself when it speaks RESP3 (a
// `>2 invalidate [keys]` push), or to its REDIRECT client: a RESP3 push, or in RESP2 a pub/sub
// message on `__redis__:invalidate` if that client is subscribed to anything. A redirect client
// that went away makes the tracking client's messages a `tracking-redir-broken` push (RESP3).
// An invalidation for the client running the command comes after that command's reply.
//
// Keys are remembered by client id and dropped lazily: a client that turns tracking off or
// disconnects leaves ids that are skipped when the key changes (Redis does the same).

import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { Client } from './client.js';

/** A tracking client's options (Client.tracking; null while tracking is off). */
export class TrackingState {
  redirect = 0;
  bcast = false;
  optin = false;
  optout = false;
  noloop = false;
  /** CLIENT CACHING yes/no was given for the next command. */
  caching = false;
  brokenRedirect = false;
  /** BCAST prefixes, in the order given (TRACKINGINFO lists them in byte order). */
  readonly prefixes: string[] = [];
}

export interface TrackingHost {
  clientById(id: number): Client | undefined;
  /** Queues a frame for a client other than the one whose replies the writer holds. */
  deliver(client: Client, frame: Buffer): void;
  /** The node's reply writer (the current client's replies). */
  writer(): ReplyWriter;
  /** Every connected client (FLUSHALL tells each tracking one). */
  clients(): Iterable<Client>;
}

interface PrefixState {
  readonly clients: Set<Client>;
  /** Keys changed this turn -> the client that changed them (null: expiry, eviction). */
  keys: Map<string, Client | null>;
}

const REDIS_INVALIDATE_CHANNEL = '__redis__:invalidate';

export class Tracking {
  /** Key -> ids of the clients to tell when it changes (default mode). */
  readonly table = new Map<string, Set<number>>();
  /** Sum of the table's id sets' sizes (INFO tracking_total_items). */
  items = 0;
  readonly prefixTable = new Map<string, PrefixState>();
  /** Clients with tracking on (INFO tracking_clients). */
  clientCount = 0;
  /** The client whose command is running (NOLOOP, and its own invalidations wait for its reply). */
  current: Client | null = null;
  /** tracking-table-max-keys (0: no limit), and how many limitTable() calls in a row found the table over it. */
  maxKeys = 1000000;
  private overLimitRuns = 0;
  /** The keys the running script declared, remembered for its caller when it reads (dispatch.ts). */
  scriptKeys: string[] | null = null;
  /** Nested calls (EXEC runs its commands as calls): pending messages go at the outermost's end. */
  private depth = 0;
  /** Keys whose invalidation waits for the current command's reply (null: a flush). */
  private pending: Array<string | null> = [];
  /** Set around FLUSHDB/FLUSHALL: their per-key change signals are not invalidations. */
  flushing = false;
  private broadcastScheduled = false;

  constructor(private readonly host: TrackingHost) {}

  /** Whether any client tracks: the node only looks at tracking when this is true. */
  get active(): boolean {
    return this.clientCount !== 0 || this.table.size !== 0;
  }

  /** CLIENT TRACKING ON (options already validated); prefixes only with BCAST. */
  enable(client: Client, redirect: number, bcast: boolean, optin: boolean, optout: boolean, noloop: boolean, prefixes: string[]): void {
    let st = client.tracking;
    if (st === null) {
      st = client.tracking = new TrackingState();
      this.clientCount++;
    }
    st.redirect = redirect;
    st.bcast = bcast;
    st.optin = optin;
    st.optout = optout;
    st.noloop = noloop;
    st.brokenRedirect = false;
    st.caching = false;
    if (!bcast) return;
    if (prefixes.length === 0) this.addPrefix(client, st, '');
    for (const p of prefixes) this.addPrefix(client, st, p);
  }

  /** CLIENT TRACKING OFF, RESET, or the client closed. */
  disable(client: Client): void {
    const st = client.tracking;
    if (st === null) return;
    for (const p of st.prefixes) {
      const bs = this.prefixTable.get(p);
      if (bs === undefined) continue;
      bs.clients.delete(client);
      if (bs.clients.size === 0) this.prefixTable.delete(p);
    }
    client.tracking = null;
    this.clientCount--;
  }

  /** Redis's checkPrefixCollisionsOrReply: the error, or null when no two prefixes overlap. */
  prefixCollision(client: Client, prefixes: string[]): string | null {
    const mine = client.tracking?.prefixes ?? [];
    for (let i = 0; i < prefixes.length; i++) {
      for (const p of mine) {
        if (overlap(p, prefixes[i])) return `ERR Prefix '${cstr(prefixes[i])}' overlaps with an existing prefix '${cstr(p)}'. Prefixes for a single client must not overlap.`;
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (overlap(prefixes[i], prefixes[j])) return `ERR Prefix '${cstr(prefixes[i])}' overlaps with another provided prefix '${cstr(prefixes[j])}'. Prefixes for a single client must not overlap.`;
      }
    }
    return null;
  }

  /** A command is about to run for `client`. */
  /** Remembers that a tracking client read these keys (unless BCAST, or OPTIN/OPTOUT say not to). */
  remember(client: Client, keys: readonly string[]): void {
    const st = client.tracking;
    if (st === null || st.bcast || keys.length === 0 || !(st.optin ? st.caching : !(st.optout && st.caching))) return;
    for (const key of keys) {
      let ids = this.table.get(key);
      if (ids === undefined) this.table.set(key, (ids = new Set()));
      if (!ids.has(client.id)) {
        ids.add(client.id);
        this.items++;
      }
    }
  }

  beforeCommand(client: Client): void {
    if (this.depth++ === 0) this.current = client;
  }

  /**
   * A command ran: remember the keys a read-only one read (default mode), clear a spent CLIENT
   * CACHING, and at the outermost call send the current client's own invalidations after its reply.
   */
  afterCommand(client: Client, readOnly: boolean, isClientCommand: boolean, keys: readonly string[] | null): void {
    const st = client.tracking;
    if (st !== null) {
      if (readOnly && keys !== null) this.remember(client, keys);
      if (!isClientCommand && client.multi === null) st.caching = false;
    }
    if (--this.depth !== 0) return;
    const pending = this.pending;
    if (pending.length !== 0) {
      this.pending = [];
      if (!client.closed) for (const key of pending) this.send(client, key === null ? nullPayload(client.resp) : keyPayload(key));
    }
    this.current = null;
    if (this.maxKeys !== 0 && this.table.size > this.maxKeys) this.limitTable();
  }

  /**
   * tracking-table-max-keys: while the table remembers more keys than that, drops keys as if they
   * changed (their trackers get invalidations), as Redis's trackingLimitUsedSlots: at most
   * 100 x (calls in a row still over the limit) keys per call, so a big excess is worked off over
   * a few calls (after commands and on the cron) without one long pause. Redis drops keys at
   * random; corral drops the oldest remembered first.
   */
  limitTable(): void {
    const max = this.maxKeys;
    if (max === 0 || this.table.size <= max) {
      this.overLimitRuns = 0;
      return;
    }
    let effort = 100 * (this.overLimitRuns + 1);
    for (const key of this.table.keys()) {
      if (effort-- === 0) break;
      this.keyChanged(key);
      if (this.table.size <= max) {
        this.overLimitRuns = 0;
        return;
      }
    }
    this.overLimitRuns++;
  }

  /** A key changed (write, expiry, eviction): tell whoever tracks it. */
  keyChanged(key: string): void {
    if (this.flushing) return;
    if (this.prefixTable.size !== 0) this.rememberForBroadcast(key);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    for (const id of ids) {
      const target = this.host.clientById(id);
      const st = target?.tracking ?? null;
      if (target === undefined || st === null || st.bcast) continue;
      if (st.noloop && target === this.current) continue;
      if (target === this.current && this.depth !== 0) this.pending.push(key);
      else this.send(target, keyPayload(key));
    }
    this.items -= ids.size;
    this.table.delete(key);
  }

  /** FLUSHDB / FLUSHALL ran: every tracking client is told "everything" (a null); all keys forgotten. */
  flushed(): void {
    for (const c of this.host.clients()) {
      if (c.tracking === null) continue;
      if (c === this.current && this.depth !== 0) this.pending.push(null);
      else this.send(c, nullPayload(c.resp));
    }
    this.table.clear();
    this.items = 0;
  }

  private addPrefix(client: Client, st: TrackingState, prefix: string): void {
    let bs = this.prefixTable.get(prefix);
    if (bs === undefined) this.prefixTable.set(prefix, (bs = { clients: new Set(), keys: new Map() }));
    if (bs.clients.has(client)) return;
    bs.clients.add(client);
    st.prefixes.push(prefix);
  }

  private rememberForBroadcast(key: string): void {
    const modifier = this.current;
    for (const [prefix, bs] of this.prefixTable) {
      if (prefix.length > key.length || !key.startsWith(prefix)) continue;
      bs.keys.set(key, modifier);
      if (!this.broadcastScheduled) {
        this.broadcastScheduled = true;
        setImmediate(this.broadcastBound);
      }
    }
  }

  private readonly broadcastBound = (): void => this.broadcast();

  /** The turn's BCAST messages: per prefix (in byte order), its changed keys in byte order. */
  private broadcast(): void {
    this.broadcastScheduled = false;
    const prefixes = [...this.prefixTable.keys()].sort(byteOrder);
    for (const prefix of prefixes) {
      const bs = this.prefixTable.get(prefix)!;
      if (bs.keys.size === 0) continue;
      const keys = [...bs.keys.keys()].sort(byteOrder);
      const all = keysPayload(keys);
      for (const c of bs.clients) {
        if (c.closed || c.tracking === null) continue;
        if (!c.tracking.noloop) {
          this.send(c, all);
          continue;
        }
        const own = keys.filter((k) => bs.keys.get(k) !== c);
        if (own.length !== 0) this.send(c, own.length === keys.length ? all : keysPayload(own));
      }
      bs.keys = new Map();
    }
  }

  /** Redis's sendTrackingMessage: `payload` is the RESP of the keys part (an array, or a null). */
  private send(c: Client, payload: Buffer): void {
    const st = c.tracking;
    let target = c;
    let redirected = false;
    if (st !== null && st.redirect !== 0) {
      const r = this.host.clientById(st.redirect);
      if (r === undefined || r.closed) {
        st.brokenRedirect = true;
        if (c.resp > 2) this.emit(c, Buffer.from(`>2\r\n$21\r\ntracking-redir-broken\r\n:${st.redirect}\r\n`, 'latin1'));
        return;
      }
      target = r;
      redirected = true;
    }
    let head: Buffer;
    if (target.resp > 2) head = PUSH_HEAD;
    else if (redirected && target.subs !== null && target.subs.total !== 0) head = MESSAGE_HEAD;
    else return; // RESP2 without a redirect: no way to send it
    this.emit(target, Buffer.concat([head, payload]));
  }

  /** The client running the command has its replies in the writer; anyone else's go to its queue. */
  private emit(target: Client, frame: Buffer): void {
    if (target === this.current) this.host.writer().raw(frame);
    else this.host.deliver(target, frame);
  }
}

const PUSH_HEAD = Buffer.from('>2\r\n$10\r\ninvalidate\r\n');
const MESSAGE_HEAD = Buffer.from(`*3\r\n$7\r\nmessage\r\n$${REDIS_INVALIDATE_CHANNEL.length}\r\n${REDIS_INVALIDATE_CHANNEL}\r\n`);

function keyPayload(key: string): Buffer {
  return Buffer.from(`*1\r\n$${key.length}\r\n${key}\r\n`, 'latin1');
}

function keysPayload(keys: readonly string[]): Buffer {
  let s = `*${keys.length}\r\n`;
  for (const k of keys) s += `$${k.length}\r\n${k}\r\n`;
  return Buffer.from(s, 'latin1');
}

/** Redis's shared.null for the tracking client's protocol (even when sent to its redirect). */
function nullPayload(resp: number): Buffer {
  return Buffer.from(resp === 3 ? '_\r\n' : '$-1\r\n', 'latin1');
}

/** stringCheckPrefix: one is a prefix of the other. */
function overlap(a: string, b: string): boolean {
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

/** Redis formats these with %s: a C string, cut at the first NUL. */
function cstr(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
