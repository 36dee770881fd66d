// Values <-> envelopes: which payload kind a value is stored as (negative, Buffer, JSON, the
// cache's serializer), and the value a decoded envelope stands for. Buffers bypass every
// serializer; null and undefined are negatives (kept apart, so each reads back as itself), or
// an EMPTY placeholder when negatives are not cached (negativeTtl 0).

import {
  encodeEnvelope,
  F_ASCII,
  F_BUFFER,
  F_CUSTOM,
  F_EMPTY,
  F_JSON,
  F_NEGATIVE,
  F_UNDEFINED,
  type Envelope,
} from './envelope.js';
import { jsonSerializer, type Serializer } from './options.js';

const EMPTY = Buffer.alloc(0);
const NO_TAGS: readonly string[] = Object.freeze([]);

export interface EncodeMeta {
  storedAt: number;
  /** The load's duration (XFetch's delta), ms. */
  delta: number;
  version: string | undefined;
  /** Cache "not found" (true) or write an EMPTY placeholder (false) for null/undefined. */
  cacheNegative: boolean;
  tags: readonly string[];
  /** The tags' versions, read before the load; null: store no tags. */
  tagVersions: readonly string[] | null;
}

export class Codec {
  private readonly custom: boolean;
  private readonly serializer: Serializer;

  constructor(serializer?: Serializer) {
    this.custom = serializer !== undefined;
    this.serializer = serializer ?? jsonSerializer;
  }

  encode(value: unknown, m: EncodeMeta): Buffer {
    let flags: number;
    let payload: Buffer | string;
    if (value === null || value === undefined) {
      flags = m.cacheNegative ? F_NEGATIVE | (value === undefined ? F_UNDEFINED : 0) : F_EMPTY;
      payload = EMPTY;
    } else if (Buffer.isBuffer(value)) {
      flags = F_BUFFER;
      payload = value;
    } else if (this.custom) {
      flags = F_CUSTOM;
      payload = this.serializer.serialize(value);
    } else {
      const text = jsonSerializer.serialize(value) as string;
      flags = Buffer.byteLength(text, 'utf8') === text.length ? F_JSON | F_ASCII : F_JSON;
      payload = text;
    }
    const tagged = m.tagVersions !== null;
    return encodeEnvelope(
      { flags, storedAt: m.storedAt, delta: m.delta, version: m.version, tags: tagged ? m.tags : NO_TAGS, tagVersions: m.tagVersions ?? NO_TAGS },
      payload,
    );
  }

  /** The placeholder that releases a lease (read as a miss). */
  empty(storedAt: number): Buffer {
    return encodeEnvelope({ flags: F_EMPTY, storedAt, delta: 0, version: undefined, tags: NO_TAGS, tagVersions: NO_TAGS }, EMPTY);
  }

  /** The value; throws if the payload cannot be decoded (the caller treats it as a miss). */
  decode(env: Envelope): unknown {
    const f = env.flags;
    if ((f & F_NEGATIVE) !== 0) return (f & F_UNDEFINED) !== 0 ? undefined : null;
    if ((f & F_BUFFER) !== 0) return env.payload;
    if ((f & F_JSON) !== 0) return JSON.parse(env.text());
    if ((f & F_CUSTOM) !== 0) return this.serializer.deserialize(env.payload);
    throw new TypeError('unknown envelope payload');
  }
}
