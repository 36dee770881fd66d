// One key's record in the keyspace, and the estimate of the bytes it holds.
//
// Strings are latin1 JS strings (one char per byte: binary safe, and V8 stores them one byte per
// char). Hashes are Maps of field to value, both latin1 strings. The byte estimate counts the
// key, the value and a fixed per-object overhead measured on V8 (see docs/architecture.md); it is
// what used_memory and maxmemory are accounted in.

export const TYPE_STRING = 0;
export const TYPE_HASH = 1;
export const TYPE_LIST = 2;
export const TYPE_SET = 3;
export const TYPE_ZSET = 4;
export type ValueType = typeof TYPE_STRING | typeof TYPE_HASH | typeof TYPE_LIST | typeof TYPE_SET | typeof TYPE_ZSET;
/** TYPE's reply for each type. */
export const TYPE_NAMES = ['string', 'hash', 'list', 'set', 'zset'] as const;

export type HashValue = Map<string, string>;

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

/** Per-key overhead: the Map slot, this record, the key string's header. */
export const ENTRY_OVERHEAD = 112;
/** Per-string overhead (V8 SeqOneByteString header, rounded). */
export const STRING_OVERHEAD = 16;
/** Per-hash-field overhead: the Map slot plus two string headers. */
export const FIELD_OVERHEAD = 64;
/** A hash's own Map object. */
export const HASH_OVERHEAD = 96;

export class Entry {
  /** Position in the keyspace's dense key array (for O(1) random sampling). */
  index = -1;
  /** Position in the dense array of keys that have a TTL, or -1. */
  volatileIndex = -1;
  /** Absolute expiry time in ms, 0 for none. */
  expireAt = 0;
  /** When a value written by CACHE.SET with a grace goes stale (ms), 0 for never (docs/leases.md). */
  staleAt = 0;
  /** Last access time in ms (LRU, OBJECT IDLETIME; LFU decay). */
  lastAccess = 0;
  /** Redis's logarithmic LFU counter (0-255). */
  lfu = 5;
  /** Bytes charged for this entry. */
  bytes = 0;
  /** Slot in the allkeys-tinylfu policy's arrays (tinylfu.ts); meaningless under other policies. */
  slot = -1;

  constructor(
    public readonly key: string,
    public type: ValueType,
    public value: string | HashValue | CollectionValue,
  ) {}
}

export function stringBytes(s: string): number {
  return STRING_OVERHEAD + ((s.length + 7) & ~7);
}

export function entryBytes(e: Entry): number {
  let n = ENTRY_OVERHEAD + stringBytes(e.key);
  if (e.type === TYPE_STRING) {
    n += stringBytes(e.value as string);
  } else if (e.type === TYPE_HASH) {
    n += HASH_OVERHEAD;
    for (const [f, v] of e.value as HashValue) n += FIELD_OVERHEAD + f.length + v.length;
  } else {
    n += (e.value as CollectionValue).bytes;
  }
  return n;
}

/** Bytes one hash field adds. */
export function fieldBytes(field: string, value: string): number {
  return FIELD_OVERHEAD + field.length + value.length;
}
