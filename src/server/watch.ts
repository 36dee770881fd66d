// WATCH bookkeeping: which clients watch which keys, and marking them dirty when a key changes,
// expires, is evicted or flushed, so that their EXEC fails (optimistic compare-and-set, as Redis).
// The store's modification hook is installed only while some key is watched, so unwatched
// writes pay nothing.

import type { Client } from './client.js';
import type { ServerCore } from './server-core.js';

export class WatchRegistry {
  private readonly watchers = new Map<string, Set<Client>>();

  constructor(private readonly node: Pick<ServerCore, 'store' | 'refreshKeyHook'>) {}

  watch(client: Client, db: number, key: string): void {
    const id = `${db}\0${key}`;
    if (client.watched === null) client.watched = new Map();
    if (client.watched.has(id)) return;
    // Looking the key up applies lazy expiry first, so a key already expired now is "not there".
    this.node.store.dbs[db].peek(key);
    client.watched.set(id, false);
    let set = this.watchers.get(id);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(id, set);
      if (this.watchers.size === 1) this.node.refreshKeyHook();
    }
    set.add(client);
  }

  /**
   * Before EXEC: a watched key whose TTL has passed since WATCH counts as changed even if no one
   * touched it yet. Peeking applies lazy expiry, which signals the change. A key that was past
   * its TTL already when watched (flagged true: SWAPDB brought it in) is skipped, as Redis's
   * isWatchedKeyExpired skips keys expired at WATCH.
   */
  checkExpired(client: Client): void {
    if (client.watched === null) return;
    for (const [id, expiredAtWatch] of client.watched) {
      if (expiredAtWatch) continue;
      const sep = id.indexOf('\0');
      this.node.store.dbs[Number(id.slice(0, sep))].peek(id.slice(sep + 1));
    }
  }

  unwatchAll(client: Client): void {
    if (client.watched === null) return;
    for (const id of client.watched.keys()) {
      const set = this.watchers.get(id);
      if (set === undefined) continue;
      set.delete(client);
      if (set.size === 0) this.watchers.delete(id);
    }
    client.watched = null;
    client.watchDirty = false;
    if (this.watchers.size === 0) this.node.refreshKeyHook();
  }

  /** Whether some key is watched (the node then installs the store's modification hook). */
  get active(): boolean {
    return this.watchers.size !== 0;
  }

  /**
   * SWAPDB, before the swap: watched keys of database `emptied` that exist there or in
   * `replacedWith` change for their watchers, as Redis's touchAllWatchedKeysInDb, except where
   * nothing changes logically: a key watched when already past its TTL that is now gone or still
   * past its TTL, or a missing key replaced by one past its TTL (it becomes the expired one).
   */
  swapTouched(emptied: number, replacedWith: number): void {
    const from = this.node.store.dbs[emptied];
    const to = this.node.store.dbs[replacedWith];
    const prefix = `${emptied}\0`;
    for (const [id, clients] of this.watchers) {
      if (!id.startsWith(prefix)) continue;
      const key = id.slice(prefix.length);
      const here = from.heldState(key);
      const there = to.heldState(key);
      if (here === 0 && there === 0) continue;
      for (const c of clients) {
        const expiredAtWatch = c.watched?.get(id) === true;
        if (expiredAtWatch) {
          if (there === 0) {
            c.watched!.set(id, false);
            continue;
          }
          if (there === 2) continue;
        } else if (here === 0 && there === 2) {
          c.watched!.set(id, true);
          continue;
        }
        c.watchDirty = true;
      }
    }
  }

  touched(db: number, key: string): void {
    const set = this.watchers.get(`${db}\0${key}`);
    if (set === undefined) return;
    for (const c of set) c.watchDirty = true;
  }
}
