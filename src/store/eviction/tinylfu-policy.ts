// allkeys-tinylfu as a store policy (not a Redis policy): W-TinyLFU (tinylfu.ts) names each victim
// instead of sampling. It tracks keys only while a memory limit is set: with none it never evicts,
// and the hot path then pays nothing for it. On starting, it takes every key held over, in
// probation, with no frequency yet; on stopping it drops its state.

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

  constructor(private readonly host: EvictionHost) {
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
    const t = new TinyLfu({}, bits);
    this.budget = -1;
    t.setMaxBytes(maxBytes);
    for (const db of this.byLfuId) {
      t.columns(db.lfuId, db.idCapacity, db.hashColumn);
      for (const id of db.ids()) t.adopt(db.lfuId, id, db.costOf(id));
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
    this.lfu!.add(db, id, cost);
  }

  onAccess(db: number, id: number): void {
    this.lfu!.onAccess(db, id);
  }

  onResize(db: number, id: number, cost: number): void {
    this.lfu!.resize(db, id, cost);
  }

  onRemove(db: number, id: number): void {
    this.lfu!.remove(db, id);
  }

  onCapacity(db: number, capacity: number, hash: Int32Array): void {
    this.lfu!.columns(db, capacity, hash);
  }
}
