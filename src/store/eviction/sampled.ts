// Redis's eviction policies (evict.c), by sampling: for each eviction, `maxmemory-samples`
// candidates per database (from all keys, or only keys with a TTL for volatile-*), and the best
// by the policy is evicted: the oldest access (LRU), the lowest decayed LFU counter (LFU, ties to
// the older access), the nearest expiry (volatile-ttl, which also looks at the TTL index's
// earliest bucket), or the first sampled (random). noeviction evicts nothing.
//
// Only the LFU policies keep per-key state beyond what the key table always keeps (the access
// time, for OBJECT IDLETIME): Redis's 8-bit logarithmic counter in the key table's lfu column,
// bumped on every access (stats.ts has the arithmetic), whether or not a limit is set, as Redis.

import type { EvictedKeyspace, EvictionHost, EvictionPolicy, EvictionPolicyName, KeyTracker } from './policy.js';

const enum Score {
  Lru,
  Lfu,
  Ttl,
  Random,
}

export class SampledPolicy implements EvictionPolicy, KeyTracker {
  readonly evicts: boolean;
  readonly family: 'lru' | 'lfu' | '';
  readonly bytes = 0;
  victimDb: EvictedKeyspace | null = null;
  victimId = -1;
  private readonly volatileOnly: boolean;
  private readonly score: Score;
  /** The databases by creation number, for the tracker's calls (LFU only). */
  private readonly byLfuId: EvictedKeyspace[] = [];

  constructor(
    readonly name: EvictionPolicyName,
    private readonly host: EvictionHost,
  ) {
    this.evicts = name !== 'noeviction';
    this.volatileOnly = name.startsWith('volatile-');
    this.family = name.endsWith('-lfu') ? 'lfu' : name.endsWith('-lru') ? 'lru' : '';
    this.score = name.endsWith('-lru') ? Score.Lru : name.endsWith('-lfu') ? Score.Lfu : name === 'volatile-ttl' ? Score.Ttl : Score.Random;
    for (const db of host.dbs) this.byLfuId[db.lfuId] = db;
  }

  trackerFor(): KeyTracker | null {
    return this.score === Score.Lfu ? this : null;
  }

  setBudget(): void {}

  frequencyOf(db: EvictedKeyspace, id: number): number {
    if (this.score !== Score.Lfu) return -1;
    return this.host.stats.lfuDecayed(db.lfuOf(id), this.host.clock.now() - db.lastAccessOf(id));
  }

  // ---- KeyTracker (LFU only) ----

  onAdd(): void {}

  onAccess(db: number, id: number): void {
    const ks = this.byLfuId[db];
    const stats = this.host.stats;
    ks.setLfu(id, stats.lfuIncrement(stats.lfuDecayed(ks.lfuOf(id), this.host.clock.now() - ks.lastAccessOf(id))));
  }

  onResize(): void {}
  onRemove(): void {}
  onCapacity(): void {}

  // ---- choosing a victim ----

  pickVictim(): boolean {
    if (!this.evicts) return false;
    const volatileOnly = this.volatileOnly;
    const samples = this.host.maxmemorySamples;
    const now = this.host.clock.now();
    let best = -1;
    let bestDb: EvictedKeyspace | null = null;
    let bestScore = Infinity;
    for (const db of this.host.dbs) {
      if ((volatileOnly ? db.volatileCount : db.size) === 0) continue;
      if (this.score === Score.Ttl) {
        // The TTL index names the earliest bucket: sample within it and its neighbours.
        const id = db.earliestExpiring();
        const score = id < 0 ? Infinity : db.expireAtOf(id);
        if (score < bestScore) {
          bestScore = score;
          best = id;
          bestDb = db;
        }
      }
      for (let i = 0; i < samples; i++) {
        const id = db.sampleId(volatileOnly);
        if (id < 0) break;
        const score = this.scoreOf(db, id, now);
        if (score < bestScore) {
          bestScore = score;
          best = id;
          bestDb = db;
        }
      }
    }
    this.victimDb = bestDb;
    this.victimId = best;
    return bestDb !== null;
  }

  /** Lower is evicted first. */
  private scoreOf(db: EvictedKeyspace, id: number, now: number): number {
    switch (this.score) {
      case Score.Lru:
        return db.lastAccessOf(id);
      case Score.Lfu: {
        const last = db.lastAccessOf(id);
        return this.host.stats.lfuDecayed(db.lfuOf(id), now - last) * 1e15 + last;
      }
      case Score.Ttl:
        return db.expireAtOf(id);
      default:
        return Math.random();
    }
  }
}
