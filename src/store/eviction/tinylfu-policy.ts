// allkeys-tinylfu as a store policy (not a Redis policy): W-TinyLFU (tinylfu.ts) names each victim
// instead of sampling. It tracks keys only while a memory limit is set: with none it never evicts,
// and the hot path then pays nothing for it. On starting, it takes every key held over, in
// probation, with no frequency yet; on stopping it drops its state.
//
// Its handles name at most 2^31 / (databases rounded up to a power of two) ids per database
// (134M with the default 16): keys whose id lies beyond are not tracked, so never chosen as
// victims; if only such keys are left, eviction finds nothing and writes are refused as under
// noeviction, rather than the node failing.

import { TinyLfu } from './tinylfu.js';
import type { EvictedKeyspace, EvictionHost, EvictionPolicy, KeyTracker } from './policy.js';

export class TinyLfuPolicy implements EvictionPolicy, KeyTracker {
  readonly name = 'allkeys-tinylfu';
  readonly evicts = true;
  readonly family = '';
  victimDb: EvictedKeyspace | null = null;
  victimId = -1;
  /** The W-TinyLFU state while tracking (a limit is set), else null. */
  lfu: TinyLfu | null = null;
  private readonly byLfuId: EvictedKeyspace[] = [];
  private budget = -1;

  /** `dbBits` (tests): a handle's database bits, instead of those the databases need. */
  constructor(
    private readonly host: EvictionHost,
    private readonly dbBits = -1,
  ) {
    for (const db of host.dbs) this.byLfuId[db.lfuId] = db;
  }

  get bytes(): number {
    return this.lfu === null ? 0 : this.lfu.bytes;
  }

  trackerFor(maxBytes: number): KeyTracker | null {
    if (maxBytes <= 0) {
      this.lfu = null;
      return null;
    }
    if (this.lfu !== null) return this;
    let bits = 0;
    while (1 << bits < this.byLfuId.length) bits++;
    if (this.dbBits >= bits) bits = this.dbBits;
    const t = new TinyLfu({}, bits);
    this.budget = -1;
    t.setMaxBytes(maxBytes);
    for (const db of this.byLfuId) {
      t.columns(db.lfuId, Math.min(db.idCapacity, t.maxIds), db.hashColumn);
      for (const id of db.ids()) if (id < t.maxIds) t.adopt(db.lfuId, id, db.costOf(id));
    }
    this.lfu = t;
    return this;
  }

  setBudget(bytes: number): void {
    if (this.lfu !== null && bytes !== this.budget) this.lfu.setMaxBytes((this.budget = bytes));
  }

  pickVictim(): boolean {
    const h = this.lfu === null ? -1 : this.lfu.pickVictim();
    if (h < 0) {
      this.victimDb = null;
      return false;
    }
    this.victimDb = this.byLfuId[this.lfu!.handleDb(h)];
    this.victimId = this.lfu!.handleId(h);
    return true;
  }

  /** The sketch's estimate (0-15) while tracking; without a limit nothing is tracked (-1, as a non-LFU policy). */
  frequencyOf(db: EvictedKeyspace, id: number): number {
    return this.lfu === null ? -1 : this.lfu.frequencyOf(db.lfuId, id);
  }

  onAdd(db: number, id: number, cost: number): void {
    const t = this.lfu!;
    if (id < t.maxIds) t.add(db, id, cost);
  }

  onAccess(db: number, id: number): void {
    const t = this.lfu!;
    if (id < t.maxIds) t.onAccess(db, id);
  }

  onResize(db: number, id: number, cost: number): void {
    const t = this.lfu!;
    if (id < t.maxIds) t.resize(db, id, cost);
  }

  onRemove(db: number, id: number): void {
    const t = this.lfu!;
    if (id < t.maxIds) t.remove(db, id);
  }

  onCapacity(db: number, capacity: number, hash: Int32Array): void {
    const t = this.lfu!;
    t.columns(db, Math.min(capacity, t.maxIds), hash);
  }
}
