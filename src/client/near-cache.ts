// The client's near-cache (option nearCache): GET replies kept in this process, bounded in bytes
// (LRU over keys + values: near-entries.ts), kept coherent by CLIENT TRACKING invalidations from
// every node (near-invalidation.ts owns the per-node invalidation connections). Only GET (get(),
// getBuffer(), send('GET', key)) and the cache-aside SDK's reads use it; every other command
// goes to the nodes as without it. Without nearCache none of this exists (the core holds null).
//
// Filling an entry (near-fill.ts): a GET the near-cache may cache is written on the data
// connection to the slot's primary between CLIENT CACHING YES and PTTL (after CLIENT TRACKING ON
// REDIRECT <id> OPTIN once per data connection); the entry is stored on PTTL's reply, only if
// nothing made the read unsafe to keep (see there).
//
// The race (why an invalidation can never be lost behind a fill). The GET's reply and the
// invalidations travel on different sockets, so the invalidation of a write made just after the
// node answered our GET may be processed here before the GET's reply. Argument: the node
// remembers the key for our data connection when it runs the GET (time T). The first write to
// the key after T sends one invalidation to our invalidation connection (the key is then
// forgotten until read again). Every read in flight is registered (per key) before its bytes
// are written, so that invalidation is processed either (a) while the read is in flight: it
// poisons the read, whose reply goes to the caller but is not stored; or (b) after the entry was
// stored: it removes the entry. Either way no value read at or before T survives the
// invalidation of the first write after T, and that write is at or before any write that makes
// the value stale. An invalidation from an earlier read of the same key may poison a read too
// (harmless: that read is just not cached).
//
// What drops entries (before any of them is served again):
// - an invalidation for the key (counted in stats.nearInvalidations);
// - a null invalidation (FLUSHALL/FLUSHDB on the node), the loss of the node's invalidation
//   connection, or the loss of its data connection (keys tracked for a closed client are no
//   longer reported): every entry from that node is dropped and its reads in flight poisoned;
//   until the invalidation connection is subscribed again, nothing from that node is cached,
//   and a new connection redoes CLIENT TRACKING before its first cacheable GET;
// - a topology change: when a refresh (topology push, MOVED, lost node) applies a slot map in
//   which any slot has another primary, every entry is dropped and every read in flight
//   poisoned (simpler than per slot; topology changes are rare);
// - a write through this client (any command not read-only by the server's table, except
//   CACHE.GET/CACHE.LEASE): its key arguments are dropped at once (the node's invalidation
//   comes as well), and reads in flight of them poisoned.
//
// Staleness bound. A read served from the near-cache may miss a write acknowledged to another
// process at most by that write's invalidation delivery time: the node pushes the invalidation
// when it applies the write (before or with the writer's acknowledgement), plus the network and
// this process's event loop. If the invalidation connection stalls silently (the node or the
// network stops delivering without closing it), the PING sent on it every heartbeatMs (default
// 1000) bounds the damage: while a PING is unanswered for more than heartbeatMs / 2, that node's
// entries are not served (and reads from it are not cached); after 3 x heartbeatMs the
// connection is closed and remade (entries dropped). Since pushes and the PONG share the socket,
// a PONG proves every invalidation sent before the node answered the PING has been processed.
// Worst case under a silent stall: heartbeatMs + heartbeatMs / 2 (1.5 s by default). A slot
// moved to another node is dropped when this client applies the new map; until then its
// entries are still invalidated by the old owner (moving a key deletes it there, which sends the
// invalidation), and a failover with a dead primary closes that node's connections first.
//
// Which keys are cached (nearCache.keys): 'all': every GET; a predicate: the keys it accepts;
// 'hot' (default): keys this process reads at least hotReads times per second (two one-second
// buckets, the older weighted down linearly as the window slides; at most 10,000 keys counted
// per bucket) or that a node reports hot (`CORRAL HOTKEYS COUNT 32`, polled every heartbeat per
// node; an error reply means none). Only string and number keys are cached (invalidations name
// keys by their bytes; Buffer keys go to the node every time). MGET does not use the near-cache.

import { BulkMode, RespError } from '../protocol/reply-decoder.js';
import { Command, Ctl, Reply, type Arg } from './command.js';
import type { Connection } from './connection.js';
import { NearEntries, type Entry } from './near-entries.js';
import { NearRead, fillExpiry, sendRead, sendTracking, type NearRecord } from './near-fill.js';
import { InvalidationLink, type LinkOwner } from './near-invalidation.js';
import type { NodeEntry } from './nodes.js';
import type { Resolved } from './options.js';
import { HotCounter, nearKey, resolveNear, type NearCacheOptions, type NearResolved } from './near-options.js';
import { isReadOnly, slotOf } from './router.js';
import type { ClientStats } from './stats.js';

export { HotCounter, nearKey, resolveNear, type NearCacheOptions, type NearResolved };

/** What the near-cache needs from the client core (cluster-client.ts). */
export interface NearHost {
  readonly o: Resolved;
  readonly stats: ClientStats;
  /** The slot's primary if the client is ready and its data connection is connected; else null. */
  nearTarget(slot: number): NodeEntry | null;
  /** Issues a command as the client does (routing, retries, timeouts). */
  issue(cmd: Command): Promise<unknown>;
  /** Stamps a command's deadline (for commands written straight to a connection). */
  stamp(cmd: Command): void;
  /** An internal command to one node (never retried). */
  ask(entry: NodeEntry, args: string[], mode: BulkMode): Promise<unknown>;
  /** The node entry of an address key, if the client knows it. */
  entryByKey(key: string): NodeEntry | undefined;
  isOpen(): boolean;
}

const HOTKEYS_ARGS = ['CORRAL', 'HOTKEYS', 'COUNT', '32'];
const MISS: unique symbol = Symbol('miss');
const noop = (): void => {};

export class NearCache implements LinkOwner {
  readonly opts: NearResolved;
  /** The entries, a byte-bounded LRU. */
  private readonly entries: NearEntries;
  private readonly inflight = new Map<string, Set<NearRead>>();
  private readonly links = new Map<string, InvalidationLink>();
  private readonly counter: HotCounter | null;
  /**
   * Called with each key a node's invalidation names, after the key was dropped here (for
   * measuring invalidation delay; not called for local drops by this client's own writes).
   */
  onInvalidate: ((key: string) => void) | null = null;
  /** Bumped when a slot changes primary: entries and reads of an older epoch are void. */
  private topo = 0;
  private lastSlots: Array<NodeEntry | undefined> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private closed = false;

  constructor(
    private readonly host: NearHost,
    options: NearCacheOptions,
    /** For tests: how a node's invalidation link is made (default: a real connection). */
    private readonly makeLink: (entry: NodeEntry, owner: LinkOwner, heartbeatMs: number) => InvalidationLink = (entry, owner, hb) =>
      new InvalidationLink(entry.addr, owner, host.o, hb),
  ) {
    this.opts = resolveNear(options);
    this.entries = new NearEntries(this.opts.maxBytes, () => this.syncStats());
    this.counter = this.opts.keys === 'hot' ? new HotCounter() : null;
  }

  get size(): number {
    return this.entries.size;
  }

  get heldBytes(): number {
    return this.entries.bytes;
  }

  /** Keys with a cacheable read in flight. */
  get readsInFlight(): number {
    return this.inflight.size;
  }

  // ---- reads --------------------------------------------------------------------------------

  /** GET through the near-cache. */
  get(key: Arg, mode: BulkMode): Promise<unknown> {
    const k = nearKey(key);
    if (k !== null && !this.closed) {
      const now = this.host.o.clock.now();
      const e = this.entries.get(k);
      if (e !== undefined) {
        const v = this.serve(e, now, mode);
        if (v !== MISS) {
          this.host.stats.nearHits++;
          return Promise.resolve(v);
        }
      }
      this.host.stats.nearMisses++;
      if (this.wants(k, now, true)) {
        const p = this.fill(k, key, slotOf(key), mode, now);
        if (p !== null) return p;
      }
    }
    return this.host.issue(new Command(['GET', key], slotOf(key), Reply.Raw, mode));
  }

  /**
   * The cache layer's lookup: the cached bytes, or undefined (not cached, or cached as absent:
   * the caller goes to the node). Counts the read for 'hot'.
   */
  peek(key: string): Buffer | undefined {
    if (this.closed) return undefined;
    const now = this.host.o.clock.now();
    const e = this.entries.get(key);
    if (e !== undefined) {
      const v = this.serve(e, now, BulkMode.Buffer);
      if (v !== MISS && v !== null) {
        this.host.stats.nearHits++;
        return v as Buffer;
      }
    }
    this.host.stats.nearMisses++;
    this.wants(key, now, true);
    return undefined;
  }

  /** The cache layer read `key` from the node: fill the near-cache in the background if wanted. */
  prefetch(key: string): void {
    if (this.closed || this.inflight.has(key) || this.entries.has(key)) return;
    const now = this.host.o.clock.now();
    if (!this.wants(key, now, false)) return;
    this.fill(key, key, slotOf(key), BulkMode.Buffer, now)?.catch(noop);
  }

  private serve(e: Entry, now: number, mode: BulkMode): unknown {
    const link = e.link;
    if (e.gen !== link.gen || e.topo !== this.topo || e.expiresAt <= now) {
      this.entries.remove(e);
      return MISS;
    }
    if (!link.fresh(now)) return MISS; // a PING overdue: not served, kept for when it answers
    let v = e.value;
    if (v !== null) {
      if (typeof v === 'string') {
        if (mode === BulkMode.Buffer) return MISS; // refilled as bytes (utf8 may not round-trip)
      } else if (mode !== BulkMode.Buffer) {
        v = v.toString(mode === BulkMode.Latin1 ? 'latin1' : 'utf8');
      }
    }
    this.entries.touch(e);
    return v;
  }

  private wants(k: string, now: number, count: boolean): boolean {
    const keys = this.opts.keys;
    if (keys === 'all') return true;
    if (typeof keys === 'function') return keys(k);
    if (this.counter!.rate(k, now, count) >= this.opts.hotReads) return true;
    for (const link of this.links.values()) if (link.hot.has(k)) return true;
    return false;
  }

  /** Writes CACHING YES, GET, PTTL on the primary's connection; null if it cannot cache now. */
  private fill(k: string, key: Arg, slot: number, mode: BulkMode, now: number): Promise<unknown> | null {
    const entry = this.host.nearTarget(slot);
    if (entry === null) return null;
    const link = this.linkFor(entry);
    if (!link.fresh(now)) return null;
    const conn = entry.conn!;
    sendTracking(conn, link);
    const read = new NearRead(k, link, link.gen, this.topo, now);
    let set = this.inflight.get(k);
    if (set === undefined) this.inflight.set(k, (set = new Set()));
    set.add(read);
    return sendRead(conn, read, key, slot, mode, this.host);
  }

  /** Replies to the near-cache's Control records on data connections (the core routes them here). */
  onControl(_conn: Connection, cmd: Command, v: unknown): void {
    const rec = cmd as NearRecord;
    if (rec.ctl === Ctl.NearTracking) {
      if (v instanceof RespError && rec.link !== null) rec.link.trackingRefused(v.message);
      return;
    }
    const read = rec.read;
    if (read === null) return;
    if (rec.ctl === Ctl.NearCaching) {
      if (v instanceof RespError) read.poisoned = true;
      else read.armed = true;
      return;
    }
    this.finish(read, v);
  }

  private finish(read: NearRead, pttl: unknown): void {
    this.forget(read);
    const link = read.link;
    if (this.closed || link.gen !== read.gen || read.topo !== this.topo || !link.ready) return;
    const expiresAt = fillExpiry(read, pttl, this.opts.ttl);
    if (expiresAt === null || expiresAt <= this.host.o.clock.now()) return;
    this.store(read.key, read.value as string | Buffer | null, expiresAt, link, read.gen);
  }

  /** Stores an entry (replacing the key's), evicting least recently used ones past maxBytes. For tests: store() directly. */
  store(key: string, value: string | Buffer | null, expiresAt: number, link: InvalidationLink, gen: number): void {
    this.entries.add(key, value, expiresAt, link, gen, this.topo);
  }

  private forget(read: NearRead): void {
    const set = this.inflight.get(read.key);
    if (set === undefined) return;
    set.delete(read);
    if (set.size === 0) this.inflight.delete(read.key);
  }

  private syncStats(): void {
    this.host.stats.nearBytes = this.entries.bytes;
    this.host.stats.nearEntries = this.entries.size;
  }

  // ---- invalidation -------------------------------------------------------------------------

  /** Drops a key and poisons its reads in flight. */
  drop(key: string): void {
    const e = this.entries.get(key);
    if (e !== undefined) this.entries.remove(e);
    const set = this.inflight.get(key);
    if (set !== undefined) for (const r of set) r.poisoned = true;
  }

  /** A command is issued through this client: a write drops its keys here at once. */
  onIssue(cmd: Command): void {
    const args = cmd.args;
    const name = args[0];
    if (isReadOnly(name)) return;
    const lower = String(name).toLowerCase();
    if (lower === 'cache.get' || lower === 'cache.lease') return;
    for (let i = 1; i < args.length; i++) {
      const k = nearKey(args[i]);
      if (k !== null && (this.entries.has(k) || this.inflight.has(k))) this.drop(k);
    }
  }

  /** LinkOwner: keys invalidated by the node (null: everything it served us). */
  invalidated(link: InvalidationLink, keys: unknown): void {
    if (!Array.isArray(keys)) {
      this.host.stats.nearInvalidations++;
      link.gen++;
      this.dropLink(link);
      return;
    }
    for (const item of keys) {
      this.host.stats.nearInvalidations++;
      const k = typeof item === 'string' ? item : Buffer.isBuffer(item) ? item.toString('utf8') : null;
      if (k === null) continue;
      this.drop(k);
      this.onInvalidate?.(k);
    }
  }

  /** LinkOwner: the invalidation connection is gone (its generation was bumped). */
  linkLost(link: InvalidationLink): void {
    this.dropLink(link);
  }

  /** The data connection to a node was lost: what it read is no longer tracked. */
  dataLost(entry: NodeEntry): void {
    const link = this.links.get(entry.addr.key);
    if (link === undefined) return;
    link.trackedConn = null;
    link.gen++;
    this.dropLink(link);
  }

  /**
   * Every entry of one node dropped; its reads in flight poisoned and forgotten (a read whose
   * connection died never gets its PTTL reply; a poisoned one is never stored anyway).
   */
  private dropLink(link: InvalidationLink): void {
    for (const e of this.entries.values()) if (e.link === link) this.entries.remove(e);
    for (const [key, set] of this.inflight) {
      for (const r of set) {
        if (r.link !== link) continue;
        r.poisoned = true;
        set.delete(r);
      }
      if (set.size === 0) this.inflight.delete(key);
    }
  }

  /** A slot map was applied: if any slot has another primary, drop everything. */
  topologyApplied(slots: Array<NodeEntry | undefined>): void {
    const last = this.lastSlots;
    this.lastSlots = slots.slice();
    if (last === null) return;
    let changed = false;
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] !== last[i]) {
        changed = true;
        break;
      }
    }
    if (!changed) return;
    this.topo++;
    this.dropAll();
  }

  private dropAll(): void {
    this.entries.clear();
    for (const set of this.inflight.values()) for (const r of set) r.poisoned = true;
    this.inflight.clear();
  }

  // ---- links, heartbeat, hot keys -----------------------------------------------------------

  private linkFor(entry: NodeEntry): InvalidationLink {
    let link = this.links.get(entry.addr.key);
    if (link === undefined) {
      link = this.makeLink(entry, this, this.opts.heartbeatMs);
      this.links.set(entry.addr.key, link);
      link.start();
      this.startTimer();
    }
    return link;
  }

  private startTimer(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setInterval(() => this.tick(), this.opts.heartbeatMs);
    this.timer.unref?.();
  }

  private tick(): void {
    if (this.closed || !this.host.isOpen()) return;
    const now = this.host.o.clock.now();
    for (const link of this.links.values()) {
      link.heartbeat(now);
      if (this.counter !== null) this.pollHot(link);
    }
  }

  private pollHot(link: InvalidationLink): void {
    const entry = this.host.entryByKey(link.addr.key);
    if (entry === undefined || entry.down || entry.conn === null || !link.ready) return;
    this.host.ask(entry, HOTKEYS_ARGS, BulkMode.Utf8).then(
      (r) => {
        const hot = new Set<string>();
        // [[key, rate], ...]; a flat [key, rate, key, rate, ...] is read too.
        if (Array.isArray(r)) {
          const flat = r.length > 0 && !Array.isArray(r[0]);
          for (let i = 0; i < r.length; i += flat ? 2 : 1) {
            const k = flat ? r[i] : (r[i] as unknown[])[0];
            if (typeof k === 'string') hot.add(k);
          }
        }
        link.hot = hot;
      },
      () => {
        link.hot = new Set();
      },
    );
  }

  /** The invalidation links' states, for tests and diagnostics. */
  linkStates(): Array<{ node: string; state: string; clientId: number }> {
    return [...this.links.values()].map((l) => ({ node: l.addr.key, state: l.state, clientId: l.clientId }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const link of this.links.values()) link.close();
    this.links.clear();
    this.dropAll();
  }
}
