// The near-cache's entries (near-cache.ts): a map from key to cached reply, bounded in bytes and
// kept in least-recently-used order (a Map's insertion order: most recently used last). Each entry
// remembers the invalidation link, link generation and topology epoch it was read under; whether
// it may still be served is the near-cache's decision. No I/O: `changed` is called after every
// change of the entries or the bytes held (the near-cache mirrors them in its stats).

import type { InvalidationLink } from './near-invalidation.js';

/** Per-entry bookkeeping overhead counted against maxBytes. */
const ENTRY_OVERHEAD = 96;

export interface Entry {
  key: string;
  value: string | Buffer | null;
  bytes: number;
  expiresAt: number;
  link: InvalidationLink;
  gen: number;
  topo: number;
}

export class NearEntries {
  private readonly map = new Map<string, Entry>();
  /** The entry at the LRU's recent end (the last stored or served), or null if unknown. */
  private newest: Entry | null = null;
  private held = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly changed: () => void,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** Bytes held: keys and values, plus the per-entry overhead. */
  get bytes(): number {
    return this.held;
  }

  get(key: string): Entry | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  values(): IterableIterator<Entry> {
    return this.map.values();
  }

  /** LRU: the entry becomes the most recently used. */
  touch(e: Entry): void {
    // Most recently used last (already there when it is the newest: a hot key's hits skip the
    // delete and re-insert).
    if (this.newest !== e) {
      this.map.delete(e.key);
      this.map.set(e.key, e);
      this.newest = e;
    }
  }

  /** Stores an entry (replacing the key's), evicting least recently used ones past maxBytes. */
  add(key: string, value: string | Buffer | null, expiresAt: number, link: InvalidationLink, gen: number, topo: number): void {
    const size = ENTRY_OVERHEAD + 2 * key.length + (value === null ? 0 : typeof value === 'string' ? 2 * value.length : value.length);
    if (size > this.maxBytes) return;
    const old = this.map.get(key);
    if (old !== undefined) this.remove(old);
    const entry: Entry = { key, value, bytes: size, expiresAt, link, gen, topo };
    this.map.set(key, entry);
    this.newest = entry;
    this.held += size;
    for (const e of this.map.values()) {
      if (this.held <= this.maxBytes) break;
      this.remove(e);
    }
    this.changed();
  }

  /** Removes the entry, if it is still the one stored for its key. */
  remove(e: Entry): void {
    if (this.map.get(e.key) !== e) return;
    this.map.delete(e.key);
    if (this.newest === e) this.newest = null;
    this.held -= e.bytes;
    this.changed();
  }

  clear(): void {
    this.map.clear();
    this.newest = null;
    this.held = 0;
    this.changed();
  }
}
