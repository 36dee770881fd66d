// Frozen values (createCache's `freeze` option): the JSON values a cache decoded, kept by key
// with the exact stored bytes they were decoded from, so that a hit whose bytes are the same
// returns the same object without parsing again. What a hit of a JSON value costs beyond a GET
// is mostly its JSON.parse (docs/benchmarks.md, "Cost per hit"); a hot key read again and again
// is parsed once per write instead of once per read.
//
// Sharing one object between callers is safe only if no caller can change it, so every value
// kept here is deep-frozen first (Object.freeze on it and on every object and array inside it;
// a JSON value holds nothing else). The bytes compared are the whole envelope (envelope.ts),
// whose header holds the time it was stored: any write of the key, even of an equal value,
// gives new bytes and a new decode. Nothing here can return a value for bytes other than the
// ones it was parsed from, so the table needs no invalidation; it forgets by age.
//
// The bytes are held as the reply's latin1 text on getOrLoad's hit path (read.ts decodes a
// CACHE.GET reply that way) and as a copy of the envelope's Buffer on the general path (tags,
// near-cache, get()), compared with Buffer#equals there: no string is made per hit. An entry
// kept by one path and read by the other is compared through a latin1 conversion (the same
// object is found, at the cost of one string).
//
// Memory: the entries' bytes are counted (a text's latin1 length, a Buffer's length) against
// `maxBytes`; past it the oldest entries go first (insertion order: a hit does not move its entry,
// which would cost a Map delete and insert per hit; a new decode of a key moves it to the back).
// An envelope longer than maxBytes on its own is decoded and frozen but not kept.

/** lookup(): nothing kept for these bytes. */
export const NOT_KEPT: unique symbol = Symbol('not kept');

interface Kept {
  /** The envelope as latin1 text (hit path), or null. */
  text: string | null;
  /** A copy of the envelope's bytes (general path), or null. */
  bytes: Buffer | null;
  size: number;
  value: unknown;
}

/** The default of createCache's `freezeMaxBytes`: the envelopes' bytes kept for reuse. */
export const DEFAULT_FREEZE_MAX_BYTES = 16 * 1024 * 1024;

export class DecodedValues {
  private readonly kept = new Map<string, Kept>();
  private bytes = 0;
  /** Hits that returned a value already decoded (each a JSON.parse saved). */
  reused = 0;

  constructor(private readonly maxBytes: number) {}

  /** The value kept for key k if it was decoded from exactly `text`, else NOT_KEPT. */
  lookup(k: string, text: string): unknown {
    const e = this.kept.get(k);
    if (e === undefined) return NOT_KEPT;
    if (e.text !== null ? e.text !== text : e.size !== text.length || e.bytes!.toString('latin1') !== text) return NOT_KEPT;
    this.reused++;
    return e.value;
  }

  /** lookup() for the envelope's bytes as a Buffer. */
  lookupBytes(k: string, bytes: Buffer): unknown {
    const e = this.kept.get(k);
    if (e === undefined) return NOT_KEPT;
    if (e.bytes !== null ? !e.bytes.equals(bytes) : e.size !== bytes.length || bytes.toString('latin1') !== e.text) return NOT_KEPT;
    this.reused++;
    return e.value;
  }

  /** Deep-freezes `value` (decoded from `text`), keeps it as k's, and returns it. */
  keep(k: string, text: string, value: unknown): unknown {
    return this.put(k, text, null, text.length, value);
  }

  /** keep() for bytes held as a Buffer (copied: the caller's may be reused). */
  keepBytes(k: string, bytes: Buffer, value: unknown): unknown {
    return this.put(k, null, bytes.length > this.maxBytes ? null : Buffer.from(bytes), bytes.length, value);
  }

  private put(k: string, text: string | null, bytes: Buffer | null, size: number, value: unknown): unknown {
    deepFreeze(value);
    const old = this.kept.get(k);
    if (old !== undefined) {
      this.kept.delete(k);
      this.bytes -= old.size;
    }
    if (size > this.maxBytes) return value;
    this.kept.set(k, { text, bytes, size, value });
    this.bytes += size;
    if (this.bytes > this.maxBytes) this.evict();
    return value;
  }

  /** Entries kept, and the bytes they count. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.kept.size, bytes: this.bytes };
  }

  clear(): void {
    this.kept.clear();
    this.bytes = 0;
  }

  private evict(): void {
    for (const [k, e] of this.kept) {
      if (this.bytes <= this.maxBytes) break;
      this.kept.delete(k);
      this.bytes -= e.size;
    }
  }
}

/**
 * Freezes v and every object and array reachable from it (a JSON value: no cycles, nothing but
 * plain objects, arrays and primitives). Typed arrays and Buffers are left as they are
 * (Object.freeze refuses a typed array with elements); a frozen object is not walked again.
 */
export function deepFreeze(v: unknown): void {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v) || ArrayBuffer.isView(v)) return;
  Object.freeze(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) deepFreeze(v[i]);
  } else {
    for (const key in v) deepFreeze((v as Record<string, unknown>)[key]);
  }
}
