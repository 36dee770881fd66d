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
// Memory: the entries' texts are counted (one unit per byte, their latin1 length) against
// `maxBytes`; past it the oldest entries go first (insertion order: a hit does not move its entry,
// which would cost a Map delete and insert per hit; a new decode of a key moves it to the back).
// An envelope longer than maxBytes on its own is decoded and frozen but not kept.

/** lookup(): nothing kept for these bytes. */
export const NOT_KEPT: unique symbol = Symbol('not kept');

interface Kept {
  text: string;
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
    if (e === undefined || e.text !== text) return NOT_KEPT;
    this.reused++;
    return e.value;
  }

  /** Deep-freezes `value` (decoded from `text`), keeps it as k's, and returns it. */
  keep(k: string, text: string, value: unknown): unknown {
    deepFreeze(value);
    const old = this.kept.get(k);
    if (old !== undefined) {
      this.kept.delete(k);
      this.bytes -= old.text.length;
    }
    if (text.length > this.maxBytes) return value;
    this.kept.set(k, { text, value });
    this.bytes += text.length;
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
      this.bytes -= e.text.length;
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
