// The store: the numbered databases, the memory limit and its eviction policy, and the active
// expiry cycle. This is the narrow interface the rest of the node uses; the engine behind the
// Keyspace is meant to be replaced without touching commands or the server.
//
// Eviction: when used memory exceeds maxmemory, the policy (eviction/: Redis's sampled policies,
// or W-TinyLFU, the default) names a victim, the store evicts it, and so on until under the limit
// or nothing is left to evict. The policy is told of every key's life through the KeyTracker it
// hands the keyspaces (none for the policies that keep no per-key state).
//
// Active expiry takes the TTL buckets that have ended (expiry-index.ts) and deletes their keys,
// within the cycle's time budget; what budget is left moves live chunks off sparse slab pages
// (slab.ts), so memory freed by evictions and deletions goes back to where it is needed.
//
// Replication: `dirty` counts the changes commands make (the node propagates a command when it
// moved); `onKeyRemoved` reports keys removed by expiry or eviction (the primary sends DEL for
// them); `replicaMode` makes a replica leave expiry and eviction to its primary (expired keys
// read as missing but stay until the primary's DEL, active expiry and eviction do nothing, as
// Redis's replicas with replica-ignore-maxmemory); `ignoreExpiry` is set while the primary's
// stream is applied, so every key counts as live whatever its TTL.

import type { Clock } from '../util/clock.js';
import { Keyspace, type KeyEventHook, type KeyModifiedHook, type KeyRemovedHook, type SlotOf } from './keyspace.js';
import { StoreStats } from './stats.js';
import { createPolicy, EVICTION_POLICIES, type EvictionHost, type EvictionPolicy, type EvictionPolicyName } from './eviction/policies.js';
import { HotKeys, type HotKeysOptions } from './hotkeys.js';
import { DEFAULT_LIMITS, type EncodingLimits } from './encoding-limits.js';

export { EVICTION_POLICIES, type EvictionPolicyName };

export interface StoreOptions {
  databases: number;
  clock: Clock;
  /** Given in cluster mode: database 0 (the only one cluster mode reaches) then counts its keys per hash slot. */
  slotOf?: SlotOf;
  /** Hot-key detection's sizes (hotkeys.ts); the defaults otherwise. */
  hotKeys?: HotKeysOptions;
}

/** Expired leases reclaimed per database per cycle at most. */
const LEASE_SWEEP_BUDGET = 1000;

export class Store implements EvictionHost {
  readonly dbs: Keyspace[] = [];
  readonly stats: StoreStats;
  /** The keys with the highest access rate (hotkeys.ts), over every database. */
  readonly hotKeys: HotKeys;
  maxmemorySamples = 5;
  /** proto-max-bulk-len: the largest string APPEND/SETRANGE may build. */
  maxStringLength = 512 * 1024 * 1024;
  /** The encoding thresholds of CONFIG (encoding-limits.ts), which values convert at. */
  readonly limits: EncodingLimits = { ...DEFAULT_LIMITS };
  /** The eviction policy (eviction/), made from its name. */
  policy: EvictionPolicy;
  private maxBytes = 0;
  /** Spare slab pages shared by the databases. */
  private readonly pagePool: Buffer[] = [];
  private replica = false;
  private ignoringExpiry = false;
  private removedHook: KeyRemovedHook | null = null;

  constructor(readonly options: StoreOptions) {
    this.stats = new StoreStats(options.clock);
    this.hotKeys = new HotKeys(options.clock, { ...options.hotKeys, slotOf: options.slotOf });
    // Cluster mode reaches database 0 only (SELECT, MOVE, SWAPDB and COPY ... DB refuse the
    // others, as Redis does), so only it keeps the per-slot key lists: 128 KB a database.
    for (let i = 0; i < options.databases; i++) {
      this.dbs.push(new Keyspace(i, options.clock, this.stats, i === 0 ? (options.slotOf ?? null) : null, 16384, this.pagePool, this.hotKeys));
    }
    this.policy = createPolicy('noeviction', this);
  }

  /** SWAPDB: databases a and b exchange their contents (clients stay on their numbers). */
  swapDatabases(a: number, b: number): void {
    const da = this.dbs[a];
    const db = this.dbs[b];
    this.dbs[a] = db;
    this.dbs[b] = da;
    db.id = a;
    da.id = b;
    this.stats.dirty++;
  }

  get clock(): Clock {
    return this.options.clock;
  }

  /** Changes made to the dataset by commands (see StoreStats.dirty). */
  get dirty(): number {
    return this.stats.dirty;
  }

  set dirty(n: number) {
    this.stats.dirty = n;
  }

  /**
   * A replica: keys whose TTL passed read as missing but are never deleted here; active expiry
   * and eviction do nothing (the primary's DELs remove keys).
   */
  get replicaMode(): boolean {
    return this.replica;
  }

  set replicaMode(on: boolean) {
    this.replica = on;
    for (const db of this.dbs) db.replicaMode = on;
  }

  /** While set (applying the primary's stream), every key is live whatever its TTL. */
  get ignoreExpiry(): boolean {
    return this.ignoringExpiry;
  }

  set ignoreExpiry(on: boolean) {
    if (on === this.ignoringExpiry) return;
    this.ignoringExpiry = on;
    for (const db of this.dbs) db.ignoreExpiry = on;
  }

  /**
   * Told of every key removed by expiry (lazy or active) or eviction, never of removals made by
   * commands; see KeyRemovedHook for what it may do. null (the default) costs nothing.
   */
  get onKeyRemoved(): KeyRemovedHook | null {
    return this.removedHook;
  }

  set onKeyRemoved(hook: KeyRemovedHook | null) {
    this.removedHook = hook;
    for (const db of this.dbs) db.onKeyRemoved = hook;
  }

  /** Keyspace notifications' key events, on every database (see KeyEventHook); null: none. */
  set keyEvents(hook: KeyEventHook | null) {
    for (const db of this.dbs) db.keyEvents = hook;
  }

  get evictionPolicy(): EvictionPolicyName {
    return this.policy.name;
  }

  set evictionPolicy(name: EvictionPolicyName) {
    if (name === this.policy.name) return;
    this.policy = createPolicy(name, this);
    this.syncTracker();
  }

  /** The memory limit in bytes, 0 for none. */
  get maxmemory(): number {
    return this.maxBytes;
  }

  set maxmemory(bytes: number) {
    this.maxBytes = bytes;
    for (const db of this.dbs) db.table.tightGrowth = bytes > 0;
    this.syncTracker();
  }

  /** Hands every database the policy's tracker for the limit now set (or none). */
  private syncTracker(): void {
    const tracker = this.policy.trackerFor(this.maxBytes);
    for (const db of this.dbs) db.tracker = tracker;
  }

  /**
   * Bytes the keyspace holds: item chunks (as allocated, rounding included), the index and
   * columns, TTL index, object values' estimates, leases and the policy's own tracking.
   */
  get usedMemory(): number {
    let n = this.stats.usedBytes;
    for (const db of this.dbs) n += db.bytes;
    return n + this.policy.bytes;
  }

  /** Bytes of keys, values and leases alone (usedMemory less the index and columns). */
  get dataBytes(): number {
    let n = this.stats.usedBytes;
    for (const db of this.dbs) n += db.dataBytes;
    return n;
  }

  /** Slab bytes held but free: inside pages in use, plus the empty pages kept for reuse. */
  get slabFreeBytes(): number {
    let n = this.dbs[0].table.slab.spareBytes;
    for (const db of this.dbs) n += db.slabFreeBytes;
    return n;
  }

  get keyCount(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }

  setKeyModifiedHook(hook: KeyModifiedHook | null): void {
    for (const db of this.dbs) db.onModified = hook;
  }

  /**
   * Evicts until used memory is under maxmemory. Returns false when it cannot get there (policy
   * noeviction, or no candidate left): the caller then refuses commands that add data. A replica
   * never evicts and always returns true (Redis's replica-ignore-maxmemory yes).
   */
  evictIfNeeded(): boolean {
    if (this.maxBytes === 0 || this.replica) return true;
    const used = this.usedMemory;
    // W-TinyLFU sizes its window and segments from the bytes items may take: the limit less
    // what the index, columns and its own arrays hold.
    this.policy.setBudget(Math.max(0, this.maxBytes - (used - this.dataBytes)));
    if (used <= this.maxBytes) return true;
    const policy = this.policy;
    while (this.usedMemory > this.maxBytes) {
      if (!policy.pickVictim()) return false;
      (policy.victimDb as Keyspace).evict(policy.victimId);
      this.stats.evictedKeys++;
    }
    return true;
  }

  /**
   * Active expiry for up to `budgetMs` of CPU time (defragmentation is defragSlice's). Returns
   * the number of keys expired. A replica expires nothing (its primary sends DEL), nor does any
   * store while ignoreExpiry is set; leases are swept all the same.
   */
  activeExpireCycle(budgetMs: number): number {
    const started = performance.now();
    const deadline = started + budgetMs;
    const now = this.clock.now();
    let total = 0;
    for (const db of this.dbs) {
      if (db.leases.size !== 0) db.leases.sweep(LEASE_SWEEP_BUDGET);
      if (db.volatileCount !== 0 && !this.replica && !this.ignoringExpiry) total += db.expireDue(now, deadline);
      if (performance.now() > deadline) return total;
    }
    return total;
  }

  /**
   * One slice of defragmentation, `ms` at most (the node runs a few per cron period, yielding
   * to clients between them); returns whether there may be more to do. Under steady churn there
   * is always a page to evacuate: one long slice per period (it used to take what expiry left of
   * 25 ms) was a stall ten times a second, p99 25 ms under a load whose p50 was 2 ms.
   */
  defragSlice(ms: number): boolean {
    const until = performance.now() + ms;
    for (const db of this.dbs) {
      if (db.size !== 0) db.defragment(until);
      if (performance.now() >= until) return true;
    }
    return false;
  }

  flushAll(): void {
    for (const db of this.dbs) db.flush();
  }
}
