// A key's handle as commands see it, and the value types.
//
// The keyspace keeps no object per string key (key-table.ts): a lookup of a string key returns a
// short-lived handle naming the key's id, whose fields read and write the key table. A key of
// another type (hash, list, set, sorted set) has a JS object for its value anyway; its handle is
// made once and kept with the value, so looking it up allocates nothing. Hot commands (GET, SET,
// MGET, MSET, INCR...) skip handles and work on ids and bytes.
//
// Strings are latin1 JS strings at this interface (one char per byte: binary safe).

import type { HashValue } from './hash-value.js';

export const TYPE_STRING = 0;
export const TYPE_HASH = 1;
export const TYPE_LIST = 2;
export const TYPE_SET = 3;
export const TYPE_ZSET = 4;
export const TYPE_STREAM = 5;
export type ValueType = typeof TYPE_STRING | typeof TYPE_HASH | typeof TYPE_LIST | typeof TYPE_SET | typeof TYPE_ZSET | typeof TYPE_STREAM;
/** TYPE's reply for each type. */
export const TYPE_NAMES = ['string', 'hash', 'list', 'set', 'zset', 'stream'] as const;

export type { HashValue };

/**
 * The value of a list, set or sorted set: a container that keeps its own byte estimate up to
 * date as it changes (so accounting stays O(1) per command), copies itself for COPY, and names
 * the encoding Redis would report for it (OBJECT ENCODING).
 */
export interface CollectionValue {
  readonly bytes: number;
  readonly size: number;
  clone(): CollectionValue;
  encoding(): string;
}

/** Per-string overhead of a V8 string (containers' estimates of their members use it). */
export const STRING_OVERHEAD = 16;
/** A non-string value's handle and its slot in the keyspace's object map. */
export const OBJECT_OVERHEAD = 96;

/** What a handle reads and writes through (the keyspace). */
export interface EntryHost {
  typeOf(id: number): ValueType;
  stringOf(id: number): string;
  replaceString(e: Entry, value: string): void;
  expireAtOf(id: number): number;
  staleAtOf(id: number): number;
  setStaleAt(id: number, at: number): void;
  lastAccessOf(id: number): number;
  setLastAccess(id: number, ms: number): void;
  lfuOf(id: number): number;
  setLfu(id: number, counter: number): void;
  bytesOf(e: Entry): number;
}

export type EntryValue = string | HashValue | CollectionValue;

export class Entry {
  /** Set once the key is removed: the handle then answers from a snapshot taken at removal. */
  private snapshot: { type: ValueType; value: EntryValue; expireAt: number; lastAccess: number; lfu: number } | null = null;
  /** Bytes charged for a non-string value (its container's estimate when last accounted). */
  objBytes = 0;

  constructor(
    private readonly host: EntryHost,
    /** The key's id in its key table (valid while the key exists). */
    readonly id: number,
    readonly key: string,
    /** The value of a non-string key; null for strings (their bytes live in the key table). */
    public obj: HashValue | CollectionValue | null,
  ) {}

  get type(): ValueType {
    return this.snapshot !== null ? this.snapshot.type : this.host.typeOf(this.id);
  }

  get value(): EntryValue {
    if (this.snapshot !== null) return this.snapshot.value;
    return this.obj ?? this.host.stringOf(this.id);
  }

  /** Replaces a string key's value in place, keeping its TTL. */
  set value(v: EntryValue) {
    this.host.replaceString(this, v as string);
  }

  /** Absolute expiry time in ms, 0 for none. */
  get expireAt(): number {
    return this.snapshot !== null ? this.snapshot.expireAt : this.host.expireAtOf(this.id);
  }

  /** When a value written by CACHE.SET with a grace goes stale (ms), 0 for never (docs/leases.md). */
  get staleAt(): number {
    return this.snapshot !== null ? 0 : this.host.staleAtOf(this.id);
  }

  set staleAt(at: number) {
    this.host.setStaleAt(this.id, at);
  }

  /** Last access time in ms (LRU, OBJECT IDLETIME; LFU decay). */
  get lastAccess(): number {
    return this.snapshot !== null ? this.snapshot.lastAccess : this.host.lastAccessOf(this.id);
  }

  set lastAccess(ms: number) {
    this.host.setLastAccess(this.id, ms);
  }

  /** Redis's logarithmic LFU counter (0-255). */
  get lfu(): number {
    return this.snapshot !== null ? this.snapshot.lfu : this.host.lfuOf(this.id);
  }

  set lfu(counter: number) {
    this.host.setLfu(this.id, counter);
  }

  /** Bytes charged for this key (MEMORY USAGE). */
  get bytes(): number {
    return this.host.bytesOf(this);
  }

  /** Called by the keyspace just before the key's id is freed. */
  detach(): void {
    this.snapshot = { type: this.type, value: this.value, expireAt: this.expireAt, lastAccess: this.lastAccess, lfu: this.lfu };
  }

  get detached(): boolean {
    return this.snapshot !== null;
  }
}

export function stringBytes(s: string): number {
  return STRING_OVERHEAD + ((s.length + 7) & ~7);
}

/** The byte estimate of a non-string value. */
export function objectBytes(v: HashValue | CollectionValue): number {
  return v.bytes;
}
