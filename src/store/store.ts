// The store: the numbered databases, the memory limit and its eviction policies, and the active
// expiry cycle. This is the narrow interface the rest of the node uses; the engine behind the
// Keyspace is meant to be replaced without touching commands or the server.
//
// Eviction follows Redis's sampled approximation: when used memory exceeds maxmemory, sample
// `maxmemory-samples` candidates (from all keys, or only keys with a TTL for volatile-*
// policies), evict the best by the policy (oldest access, lowest LFU counter, nearest expiry, or
// any), and repeat until under the limit or nothing is left to evict. allkeys-tinylfu (not a
// Redis policy) does not sample: W-TinyLFU (tinylfu.ts) names each victim.
//
// Active expiry follows Redis's slow cycle: in each database, sample 20 keys with a TTL, delete
// the expired ones, and repeat while more than a quarter of a sample had expired, until the
// cycle's time budget runs out.

import type { Clock } from '../util/clock.js';
import type { Entry } from './entry.js';
import { Keyspace, type KeyModifiedHook, type SlotOf } from './keyspace.js';
import { StoreStats } from './stats.js';
import { TinyLfu } from './tinylfu.js';

export const EVICTION_POLICIES = [
  'noeviction',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'allkeys-tinylfu',
] as const;
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];

export interface StoreOptions {
  databases: number;
  clock: Clock;
  /** Given in cluster mode: each database then counts its keys per hash slot. */
  slotOf?: SlotOf;
}

const EXPIRE_KEYS_PER_LOOP = 20;
/** Expired leases reclaimed per database per cycle at most. */
const LEASE_SWEEP_BUDGET = 1000;

export class Store {
  readonly dbs: Keyspace[] = [];
  readonly stats: StoreStats;
  maxmemorySamples = 5;
  /** proto-max-bulk-len: the largest string APPEND/SETRANGE may build. */
  maxStringLength = 512 * 1024 * 1024;
  private policy: EvictionPolicy = 'noeviction';
  private readonly sampleOut: [number, number] = [0, 0];
  private maxBytes = 0;

  constructor(readonly options: StoreOptions) {
    this.stats = new StoreStats(options.clock);
    for (let i = 0; i < options.databases; i++) this.dbs.push(new Keyspace(i, options.clock, this.stats, options.slotOf ?? null));
  }

  get clock(): Clock {
    return this.options.clock;
  }

  get evictionPolicy(): EvictionPolicy {
    return this.policy;
  }

  set evictionPolicy(p: EvictionPolicy) {
    this.policy = p;
    this.stats.lfuMode = p === 'allkeys-lfu' || p === 'volatile-lfu';
    if (p !== 'allkeys-tinylfu') {
      this.stats.tinylfu = null;
    } else if (this.stats.tinylfu === null) {
      // Switching to it: take every key over, in probation, with no frequency yet.
      const t = new TinyLfu();
      t.setMaxBytes(this.maxBytes);
      for (const db of this.dbs) for (const e of db.entries()) t.adopt(e, db.id);
      this.stats.tinylfu = t;
    }
  }

  /** The memory limit in bytes, 0 for none. */
  get maxmemory(): number {
    return this.maxBytes;
  }

  set maxmemory(bytes: number) {
    this.maxBytes = bytes;
    this.stats.tinylfu?.setMaxBytes(bytes);
  }

  /** Bytes the keyspace holds: keys, values and per-entry overhead. */
  get usedMemory(): number {
    return this.stats.usedBytes;
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
   * noeviction, or no candidate left): the caller then refuses commands that add data.
   */
  evictIfNeeded(): boolean {
    if (this.maxmemory === 0 || this.stats.usedBytes <= this.maxmemory) return true;
    if (this.policy === 'noeviction') return false;
    const volatileOnly = this.policy.startsWith('volatile-');
    const tinylfu = this.stats.tinylfu;
    while (this.stats.usedBytes > this.maxmemory) {
      const victim = tinylfu !== null ? tinylfu.pickVictim() : this.pickVictim(volatileOnly);
      if (victim === undefined) return false;
      this.dbs[victim.db].remove(victim.entry);
      this.stats.evictedKeys++;
      this.dbs[victim.db].modified(victim.entry.key);
    }
    return true;
  }

  private pickVictim(volatileOnly: boolean): { db: number; entry: Entry } | undefined {
    let best: Entry | undefined;
    let bestDb = -1;
    let bestScore = Infinity;
    const now = this.clock.now();
    for (const db of this.dbs) {
      if ((volatileOnly ? db.volatileCount : db.size) === 0) continue;
      for (let i = 0; i < this.maxmemorySamples; i++) {
        const e = db.sample(volatileOnly);
        if (e === undefined) break;
        const score = this.evictionScore(e, now);
        if (score < bestScore) {
          bestScore = score;
          best = e;
          bestDb = db.id;
        }
      }
    }
    return best === undefined ? undefined : { db: bestDb, entry: best };
  }

  /** Lower is evicted first. */
  private evictionScore(e: Entry, now: number): number {
    switch (this.policy) {
      case 'allkeys-lru':
      case 'volatile-lru':
        return e.lastAccess;
      case 'allkeys-lfu':
      case 'volatile-lfu':
        return this.stats.lfuDecayed(e, now) * 1e15 + e.lastAccess;
      case 'volatile-ttl':
        return e.expireAt;
      default:
        return Math.random();
    }
  }

  /**
   * Active expiry: reclaims expired keys for up to `budgetMs` of CPU time. Returns the number of
   * keys expired.
   */
  activeExpireCycle(budgetMs: number): number {
    const started = performance.now();
    const now = this.clock.now();
    let total = 0;
    for (const db of this.dbs) {
      if (db.leases.size !== 0) db.leases.sweep(LEASE_SWEEP_BUDGET);
      if (db.volatileCount === 0) continue;
      for (;;) {
        db.expireSample(EXPIRE_KEYS_PER_LOOP, now, this.sampleOut);
        total += this.sampleOut[1];
        if (this.sampleOut[1] * 4 <= this.sampleOut[0] || db.volatileCount === 0) break;
        if (performance.now() - started > budgetMs) return total;
      }
      if (performance.now() - started > budgetMs) break;
    }
    return total;
  }

  flushAll(): void {
    for (const db of this.dbs) db.flush();
  }
}
