// The eviction policies' one interface, their names (the single list CONFIG's maxmemory-policy
// accepts) and the factory that makes one from its name. A policy sees the store only through
// EvictionHost (its databases, the sample count, the clock and the LFU parameters) and sees each
// key through its database's view (EvictedKeyspace); the store and the keyspaces see a policy only
// through EvictionPolicy and KeyTracker. A new policy is a file in this folder, its name in
// EVICTION_POLICIES and a case in createPolicy: nothing outside the folder changes.
//
// Two halves:
// - KeyTracker: told of every key added, accessed, resized and removed (on the request path:
//   the keyspace calls it only when the policy hands one out, so a policy that keeps no per-key
//   state costs the hot path one null test);
// - EvictionPolicy: names the next victim when the store is over maxmemory, reports its own
//   memory, answers OBJECT FREQ.

import type { Clock } from '../../util/clock.js';
import type { StoreStats } from '../stats.js';

/** In Redis's order (its CONFIG errors list them so), then corral's own. */
export const EVICTION_POLICIES = [
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'noeviction',
  'allkeys-tinylfu',
] as const;
export type EvictionPolicyName = (typeof EVICTION_POLICIES)[number];

/** What a policy reads of one database (Keyspace implements it). */
export interface EvictedKeyspace {
  /** The number the database was created with (stable across SWAPDB): trackers' `db`. */
  readonly lfuId: number;
  readonly size: number;
  readonly volatileCount: number;
  /** The key table's capacity in ids, and its hash column (per id). */
  readonly idCapacity: number;
  readonly hashColumn: Int32Array;
  /** A random live id, from all keys or from keys with a TTL; -1 if none. */
  sampleId(volatileOnly: boolean): number;
  /** An id in the earliest TTL bucket, or -1. */
  earliestExpiring(): number;
  expireAtOf(id: number): number;
  lastAccessOf(id: number): number;
  lfuOf(id: number): number;
  setLfu(id: number, counter: number): void;
  /** What a key costs the policy: its chunk plus its object value's estimate. */
  costOf(id: number): number;
  /** Every live id. */
  ids(): IterableIterator<number>;
}

/** What a policy reads of the store. */
export interface EvictionHost {
  /** The databases by their current number (SWAPDB reorders them). */
  readonly dbs: readonly EvictedKeyspace[];
  readonly maxmemorySamples: number;
  readonly clock: Clock;
  /** LFU's counter parameters (lfu-log-factor, lfu-decay-time) and their arithmetic. */
  readonly stats: StoreStats;
}

/**
 * Per-key events, by database (its lfuId) and id. onAccess runs before the keyspace records the
 * access time (an LFU counter decays by the idle time it ends).
 */
export interface KeyTracker {
  onAdd(db: number, id: number, cost: number): void;
  onAccess(db: number, id: number): void;
  onResize(db: number, id: number, cost: number): void;
  onRemove(db: number, id: number): void;
  /** A database's key table now has `capacity` ids (grown, or shrunk when emptied). */
  onCapacity(db: number, capacity: number, hash: Int32Array): void;
}

export interface EvictionPolicy {
  readonly name: EvictionPolicyName;
  /** Whether keys of every kind may be evicted, or only keys with a TTL; false for noeviction. */
  readonly evicts: boolean;
  /** The Redis family, for OBJECT FREQ / IDLETIME, DUMP, RDB and DEBUG OBJECT: 'lfu', 'lru' or ''. */
  readonly family: 'lru' | 'lfu' | '';
  /**
   * The tracker the keyspaces call, for the memory limit given (0: none), or null when the policy
   * keeps no per-key state at that limit. The store asks again whenever the limit changes; a
   * policy that starts tracking takes over every key held (through the host) before it answers.
   */
  trackerFor(maxBytes: number): KeyTracker | null;
  /** Bytes of the policy's own state (counted in used_memory). */
  readonly bytes: number;
  /** The bytes keys may take under the limit (the limit less index and columns); W-TinyLFU sizes its segments by it. */
  setBudget(bytes: number): void;
  /**
   * Chooses the next key to evict: sets victimDb (the keyspace) and victimId and returns true, or
   * returns false when there is nothing it may evict. The caller evicts it.
   */
  pickVictim(): boolean;
  victimDb: EvictedKeyspace | null;
  victimId: number;
  /** OBJECT FREQ's answer for a live key, or -1 when the policy tracks no frequency. */
  frequencyOf(db: EvictedKeyspace, id: number): number;
}
