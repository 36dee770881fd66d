// The value envelope: what getOrLoad stores in the cache. A small binary header, then the
// payload, so a hit is parsed with a few fixed-offset reads and one subarray (no JSON for the
// metadata, no copies):
//
//   offset  size  field
//   0       1     magic 0xC7 (a value not written by the SDK is treated as a miss)
//   1       1     format version (1)
//   2       1     flags: NEGATIVE, UNDEFINED (a negative for `undefined`), BUFFER (payload is the
//                 caller's Buffer), JSON, CUSTOM (the cache's serializer), EMPTY (no value: a
//                 1 ms placeholder written only to release a lease; read as a miss), ASCII
//                 (with JSON: every payload byte is below 0x80, so the payload read as latin1
//                 text is its utf8 text: the hit path of read.ts parses it without a Buffer.
//                 Readers that do not know the flag ignore it)
//   3       1     tag count (0-255)
//   4       6     stored-at, ms since the epoch (u48)
//   10      4     delta: the last load's duration, ms (u32, saturating): XFetch's recompute cost
//   14      2     version stamp length in bytes (0 = none)
//   16      n     version stamp (utf8)
//   then per tag: u16 name length, name (utf8), u8 version length, version (ascii digits)
//   then the payload, to the end
//
// The key's expiry is not stored: the node holds it and decides staleness (CACHE.GET replies a
// fresh hit as the bare value, a stale one with its state). XFetch's estimate of the time left
// is stored-at + the caller's TTL. Tag versions are the ones read *before* the load (engine.ts
// explains why).

export const MAGIC = 0xc7;
export const FORMAT = 1;
export const HEADER = 16;

export const F_NEGATIVE = 0x01;
export const F_UNDEFINED = 0x02;
export const F_BUFFER = 0x04;
export const F_JSON = 0x08;
export const F_CUSTOM = 0x10;
export const F_EMPTY = 0x20;
export const F_ASCII = 0x40;

const U48 = 2 ** 48;
const U32_MAX = 0xffffffff;
const NONE: readonly string[] = Object.freeze([]);

export interface EnvelopeMeta {
  flags: number;
  storedAt: number;
  delta: number;
  version: string | undefined;
  tags: readonly string[];
  tagVersions: readonly string[];
}

/**
 * A decoded envelope: a view over the stored bytes. The payload is not sliced unless asked for
 * (`payload`); a JSON hit decodes its text straight from `bytes` at `offset`.
 */
export class Envelope implements EnvelopeMeta {
  constructor(
    readonly flags: number,
    readonly storedAt: number,
    readonly delta: number,
    readonly version: string | undefined,
    readonly tags: readonly string[],
    readonly tagVersions: readonly string[],
    readonly bytes: Buffer,
    readonly offset: number,
  ) {}

  get payload(): Buffer {
    return this.bytes.subarray(this.offset);
  }

  /** The payload as utf8 text. */
  text(): string {
    return this.bytes.toString('utf8', this.offset, this.bytes.length);
  }
}

/** Header + payload in one allocation. A string payload is written as utf8 in place. */
export function encodeEnvelope(meta: EnvelopeMeta, payload: Buffer | string): Buffer {
  const { tags, tagVersions } = meta;
  if (tags.length > 255) throw new RangeError('at most 255 tags');
  if (tagVersions.length !== tags.length) throw new RangeError('one version per tag');
  const versionLen = meta.version === undefined ? 0 : Buffer.byteLength(meta.version, 'utf8');
  if (versionLen > 0xffff) throw new RangeError('version stamp too long');
  let size = HEADER + versionLen;
  for (let i = 0; i < tags.length; i++) {
    const n = Buffer.byteLength(tags[i], 'utf8');
    if (n > 0xffff) throw new RangeError('tag too long');
    if (tagVersions[i].length > 255) throw new RangeError('tag version too long');
    size += 3 + n + tagVersions[i].length;
  }
  const payloadLen = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
  const out = Buffer.allocUnsafe(size + payloadLen);
  out[0] = MAGIC;
  out[1] = FORMAT;
  out[2] = meta.flags;
  out[3] = tags.length;
  out.writeUIntBE(Math.min(Math.max(0, Math.floor(meta.storedAt)), U48 - 1), 4, 6);
  out.writeUInt32BE(Math.min(Math.max(0, Math.round(meta.delta)), U32_MAX), 10);
  out.writeUInt16BE(versionLen, 14);
  let p = HEADER;
  if (versionLen > 0) p += out.write(meta.version!, p, 'utf8');
  for (let i = 0; i < tags.length; i++) {
    const n = Buffer.byteLength(tags[i], 'utf8');
    out.writeUInt16BE(n, p);
    p += 2;
    p += out.write(tags[i], p, 'utf8');
    out[p++] = tagVersions[i].length;
    p += out.write(tagVersions[i], p, 'latin1');
  }
  if (typeof payload === 'string') out.write(payload, p, 'utf8');
  else payload.copy(out, p);
  return out;
}

/** The envelope in `b`, or null if `b` is not one (foreign value, other format, truncated). */
export function decodeEnvelope(b: Buffer): Envelope | null {
  if (b.length < HEADER || b[0] !== MAGIC || b[1] !== FORMAT) return null;
  const tagCount = b[3];
  const versionLen = (b[14] << 8) | b[15];
  let p = HEADER + versionLen;
  if (p > b.length) return null;
  const version = versionLen === 0 ? undefined : b.toString('utf8', HEADER, p);
  let tags = NONE;
  let tagVersions = NONE;
  if (tagCount > 0) {
    const names: string[] = [];
    const versions: string[] = [];
    for (let i = 0; i < tagCount; i++) {
      if (p + 2 > b.length) return null;
      const n = (b[p] << 8) | b[p + 1];
      p += 2;
      if (p + n + 1 > b.length) return null;
      names.push(b.toString('utf8', p, p + n));
      p += n;
      const v = b[p++];
      if (p + v > b.length) return null;
      versions.push(b.toString('latin1', p, p + v));
      p += v;
    }
    tags = names;
    tagVersions = versions;
  }
  const storedAt = b[4] * 2 ** 40 + b[5] * 2 ** 32 + ((b[6] << 24) >>> 0) + (b[7] << 16) + (b[8] << 8) + b[9];
  const delta = ((b[10] << 24) >>> 0) + (b[11] << 16) + (b[12] << 8) + b[13];
  return new Envelope(b[2], storedAt, delta, version, tags, tagVersions, b, p);
}
