// Reading DUMP payloads in Redis 7.0.15's format (rdb-format.ts describes it), and RESTORE's
// dispatch between that format and corral's own (store/dump.ts) by the payload's version.
// Encodings come out as Redis's loader (rdbLoadObject) converts under the node's limits
// (encoding-limits.ts): a listpack or intset only for its entries count, other types by content.

import { latin1 } from '../util/bytes.js';
import { crc64Matches } from '../util/crc64.js';
import { lzfDecompress } from '../util/lzf.js';
import { Deque } from './deque.js';
import { DUMP_VERSION, DumpFormatError, DumpPayloadError, FOOTER_BYTES, createSet, decodeDump, type DumpableSet, type DumpedValue } from './dump.js';
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STRING, TYPE_ZSET, type CollectionValue } from './entry.js';
import { HashValue } from './hash-value.js';
import { SortedSet, parseDouble } from './sorted-set.js';
import { DEFAULT_LIMITS, NO_LIMITS, type EncodingLimits } from './encoding-limits.js';
import { RDB_VERSION, RDB_TYPE_STRING, RDB_TYPE_LIST, RDB_TYPE_SET, RDB_TYPE_ZSET, RDB_TYPE_HASH, RDB_TYPE_ZSET_2, RDB_TYPE_SET_INTSET, RDB_TYPE_HASH_LISTPACK, RDB_TYPE_ZSET_LISTPACK, RDB_TYPE_LIST_QUICKLIST_2, RDB_ENC_INT8, RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_LZF, QUICKLIST_NODE_CONTAINER_PLAIN, QUICKLIST_NODE_CONTAINER_PACKED, LZF_MAX_RATIO, backlen } from './rdb-format.js';

export { rdbDumpId, rdbDumpKey } from './rdb-write.js';

// ---- decoding ----

function bad(): never {
  throw new DumpFormatError();
}

/** A bounded reader over a payload's object (or a whole RDB file: rdb-file.ts). */
export class RdbReader {
  constructor(
    readonly b: Buffer,
    public p: number,
    readonly end: number,
  ) {}

  get left(): number {
    return this.end - this.p;
  }

  byte(): number {
    if (this.p >= this.end) bad();
    return this.b[this.p++];
  }

  /** rdbLoadLen for a plain length (an encoded one is refused). */
  len(): number {
    const b0 = this.byte();
    switch (b0 >>> 6) {
      case 0:
        return b0 & 0x3f;
      case 1:
        return ((b0 & 0x3f) << 8) | this.byte();
      case 2:
        if (b0 === 0x80) {
          if (this.left < 4) bad();
          const n = this.b.readUInt32BE(this.p);
          this.p += 4;
          return n;
        }
        if (b0 === 0x81) {
          if (this.left < 8) bad();
          const hi = this.b.readUInt32BE(this.p);
          const lo = this.b.readUInt32BE(this.p + 4);
          this.p += 8;
          if (hi > 0x1fffff) bad(); // past 2^53: more than any payload holds
          return hi * 2 ** 32 + lo;
        }
        return bad();
      default:
        return bad();
    }
  }

  /** A count of items taking at least `minBytes` each: refused when empty or past the bytes left. */
  count(minBytes: number): number {
    const n = this.len();
    if (n === 0 || n * minBytes > this.left) bad();
    return n;
  }

  /** rdbGenericLoadStringObject: a string's bytes (int-encoded and LZF strings decoded). */
  blob(): Buffer {
    const b0 = this.byte();
    if (b0 >>> 6 === 3) {
      const enc = b0 & 0x3f;
      const b = this.b;
      let v: number;
      if (enc === RDB_ENC_INT8) {
        if (this.left < 1) bad();
        v = b.readInt8(this.p);
        this.p += 1;
      } else if (enc === RDB_ENC_INT16) {
        if (this.left < 2) bad();
        v = b.readInt16LE(this.p);
        this.p += 2;
      } else if (enc === RDB_ENC_INT32) {
        if (this.left < 4) bad();
        v = b.readInt32LE(this.p);
        this.p += 4;
      } else if (enc === RDB_ENC_LZF) {
        const clen = this.len();
        const len = this.len();
        if (clen === 0 || clen > this.left || len === 0 || len > clen * LZF_MAX_RATIO) bad();
        const out = lzfDecompress(b, this.p, this.p + clen, len);
        if (out === null) bad();
        this.p += clen;
        return out;
      } else {
        return bad();
      }
      return Buffer.from(String(v), 'latin1');
    }
    this.p--;
    const len = this.len();
    if (len > this.left) bad();
    const out = this.b.subarray(this.p, this.p + len);
    this.p += len;
    return out;
  }

  str(): string {
    const b = this.blob();
    return latin1(b, 0, b.length);
  }

  /** rdbLoadDoubleValue (RDB_TYPE_ZSET's string scores). */
  oldDouble(): number {
    const len = this.byte();
    if (len === 253) return NaN;
    if (len === 254) return Infinity;
    if (len === 255) return -Infinity;
    if (len > this.left) bad();
    const s = latin1(this.b, this.p, this.p + len);
    this.p += len;
    const v = Number.parseFloat(s);
    return Number.isNaN(v) ? bad() : v;
  }
}

/** The entries of a listpack blob, validated whole (lpValidateIntegrity with deep checks). */
function listpackEntries(lp: Buffer): string[] {
  const n = lp.length;
  if (n < 7 || lp.readUInt32LE(0) !== n || lp[n - 1] !== 0xff) bad();
  const declared = lp.readUInt16LE(4);
  const out: string[] = [];
  const end = n - 1;
  let p = 6;
  const bl: number[] = [];
  while (p < end) {
    const start = p;
    const c = lp[p++];
    let s: string;
    if (c < 0x80) {
      s = String(c);
    } else if (c < 0xc0) {
      const len = c & 0x3f;
      if (len > end - p) bad();
      s = latin1(lp, p, p + len);
      p += len;
    } else if (c < 0xe0) {
      if (p >= end) bad();
      let u = ((c & 0x1f) << 8) | lp[p++];
      if (u >= 4096) u -= 8192;
      s = String(u);
    } else if (c < 0xf0) {
      if (p >= end) bad();
      const len = ((c & 0x0f) << 8) | lp[p++];
      if (len > end - p) bad();
      s = latin1(lp, p, p + len);
      p += len;
    } else if (c === 0xf0) {
      if (end - p < 4) bad();
      const len = lp.readUInt32LE(p);
      p += 4;
      if (len > end - p) bad();
      s = latin1(lp, p, p + len);
      p += len;
    } else {
      const width = c === 0xf1 ? 2 : c === 0xf2 ? 3 : c === 0xf3 ? 4 : c === 0xf4 ? 8 : 0;
      if (width === 0 || end - p < width) bad();
      s = width === 8 ? lp.readBigInt64LE(p).toString() : String(lp.readIntLE(p, width));
      p += width;
    }
    bl.length = 0;
    backlen(p - start, bl);
    if (bl.length > end - p) bad();
    for (const x of bl) if (lp[p++] !== x) bad();
    out.push(s);
  }
  if (p !== end) bad();
  if (declared !== 65535 && declared !== out.length) bad();
  return out;
}

/** The members of an intset blob (intsetValidateIntegrity). */
function intsetMembers(b: Buffer): string[] {
  if (b.length < 8) bad();
  const width = b.readUInt32LE(0);
  const count = b.readUInt32LE(4);
  if ((width !== 2 && width !== 4 && width !== 8) || count === 0 || 8 + count * width !== b.length) bad();
  const out: string[] = [];
  for (let p = 8; p < b.length; p += width) {
    out.push(width === 8 ? b.readBigInt64LE(p).toString() : String(b.readIntLE(p, width)));
  }
  return out;
}

function hashFrom(n: number, next: () => string, limits: Readonly<EncodingLimits>): HashValue {
  const h = new HashValue();
  for (let i = 0; i < n; i++) {
    const f = next();
    if (!h.set(f, next(), limits)) bad(); // duplicate field
  }
  return h;
}

function setAdd(s: DumpableSet, m: string, limits: Readonly<EncodingLimits>): void {
  if (!s.add(m, limits)) bad(); // duplicate member
}

function zsetAdd(z: SortedSet, member: string, score: number): void {
  if (Number.isNaN(score) || z.has(member)) bad();
  z.set(member, score, NO_LIMITS);
}

/** A zset of these items; a skiplist from the start when `large` (converting on the way would lose -0). */
function zsetOf(members: string[], scores: number[], large: boolean): SortedSet {
  const z = new SortedSet();
  if (large) z.convertToSkiplist();
  for (let i = 0; i < members.length; i++) zsetAdd(z, members[i], scores[i]);
  return z;
}

export function decodeObject(r: RdbReader, type: number, limits: Readonly<EncodingLimits> = DEFAULT_LIMITS): DumpedValue {
  switch (type) {
    case RDB_TYPE_STRING:
      return { type: TYPE_STRING, value: r.str(), staleAt: 0 };
    case RDB_TYPE_LIST: {
      const n = r.count(1);
      const d = new Deque(n);
      for (let i = 0; i < n; i++) d.pushBack(r.str());
      return { type: TYPE_LIST, value: d, staleAt: 0 };
    }
    case RDB_TYPE_LIST_QUICKLIST_2: {
      const nodes = r.count(2);
      const d = new Deque();
      for (let i = 0; i < nodes; i++) {
        const container = r.len();
        if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
          d.pushBack(r.str());
        } else if (container === QUICKLIST_NODE_CONTAINER_PACKED) {
          for (const s of listpackEntries(r.blob())) d.pushBack(s);
        } else {
          bad();
        }
      }
      if (d.length === 0) bad();
      return { type: TYPE_LIST, value: d, staleAt: 0 };
    }
    case RDB_TYPE_SET: {
      const n = r.count(1);
      const s = createSet();
      for (let i = 0; i < n; i++) setAdd(s, r.str(), limits);
      return { type: TYPE_SET, value: s as CollectionValue, staleAt: 0 };
    }
    case RDB_TYPE_SET_INTSET: {
      const s = createSet();
      for (const m of intsetMembers(r.blob())) setAdd(s, m, limits);
      return { type: TYPE_SET, value: s as CollectionValue, staleAt: 0 };
    }
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2: {
      const n = r.count(type === RDB_TYPE_ZSET ? 2 : 9);
      const members: string[] = [];
      const scores: number[] = [];
      let large = n > limits.zsetEntries;
      for (let i = 0; i < n; i++) {
        const member = r.str();
        let score: number;
        if (type === RDB_TYPE_ZSET) {
          score = r.oldDouble();
        } else {
          if (r.left < 8) bad();
          score = r.b.readDoubleLE(r.p);
          r.p += 8;
        }
        if (member.length > limits.zsetValue) large = true;
        members.push(member);
        scores.push(score);
      }
      const z = zsetOf(members, scores, large);
      return { type: TYPE_ZSET, value: z, staleAt: 0 };
    }
    case RDB_TYPE_ZSET_LISTPACK: {
      const items = listpackEntries(r.blob());
      if (items.length === 0 || items.length % 2 !== 0) bad();
      const members: string[] = [];
      const scores: number[] = [];
      const large = items.length / 2 > limits.zsetEntries;
      for (let i = 0; i < items.length; i += 2) {
        const score = parseDouble(items[i + 1], false);
        if (score === undefined) bad();
        members.push(items[i]);
        scores.push(score);
      }
      const z = zsetOf(members, scores, large);
      return { type: TYPE_ZSET, value: z, staleAt: 0 };
    }
    case RDB_TYPE_HASH: {
      const n = r.count(2);
      return { type: TYPE_HASH, value: hashFrom(n, () => r.str(), limits), staleAt: 0 };
    }
    case RDB_TYPE_HASH_LISTPACK: {
      const items = listpackEntries(r.blob());
      if (items.length === 0 || items.length % 2 !== 0) bad();
      let i = 0;
      // Converted for its entries count only, whatever its items' lengths.
      const entriesOnly = { ...NO_LIMITS, hashEntries: limits.hashEntries };
      return { type: TYPE_HASH, value: hashFrom(items.length / 2, () => items[i++], entriesOnly), staleAt: 0 };
    }
    default:
      return bad();
  }
}

/** Decodes and validates a Redis-format payload (version 0..10, checksum over the rest). */
export function decodeRdb(payload: Buffer, limits: Readonly<EncodingLimits> = DEFAULT_LIMITS): DumpedValue {
  const n = payload.length - FOOTER_BYTES;
  if (n < 0) throw new DumpPayloadError();
  const version = payload.readUInt16LE(n);
  if (version > RDB_VERSION) throw new DumpPayloadError();
  if (!crc64Matches(payload, 0, n + 2, payload, n + 2)) throw new DumpPayloadError();
  if (n < 1) throw new DumpFormatError();
  const r = new RdbReader(payload, 1, n);
  try {
    // Trailing bytes after the object are ignored, as restoreCommand ignores them.
    return decodeObject(r, payload[0], limits);
  } catch (err) {
    if (err instanceof DumpFormatError) throw err;
    // A bounds slip in a Buffer read: still the payload's fault, never an uncaught exception.
    if (err instanceof RangeError) throw new DumpFormatError();
    throw err;
  }
}

/**
 * RESTORE's decoder: corral's own payloads (version 0xC001, store/dump.ts) and Redis's (RDB
 * versions up to 10), told apart by the version in the footer.
 */
export function decodeAnyDump(payload: Buffer, limits: Readonly<EncodingLimits> = DEFAULT_LIMITS): DumpedValue {
  const n = payload.length - FOOTER_BYTES;
  if (n < 0) throw new DumpPayloadError();
  const version = payload.readUInt16LE(n);
  if (version === DUMP_VERSION) return decodeDump(payload);
  return decodeRdb(payload, limits);
}

/**
 * FUNCTION RESTORE's decoder: the libraries' code in a FUNCTION DUMP payload. Throws
 * DumpPayloadError (version or checksum) or an Error with Redis's message.
 */
export function decodeRdbFunctions(payload: Buffer): Buffer[] {
  const n = payload.length - FOOTER_BYTES;
  if (n < 0) throw new DumpPayloadError();
  const version = payload.readUInt16LE(n);
  if (version > RDB_VERSION) throw new DumpPayloadError();
  if (!crc64Matches(payload, 0, n + 2, payload, n + 2)) throw new DumpPayloadError();
  const r = new RdbReader(payload, 0, n);
  const codes: Buffer[] = [];
  while (r.left > 0) {
    const type = r.byte();
    if (type !== 245 /* RDB_OPCODE_FUNCTION2 */) throw new Error(type === 246 ? 'Pre-GA function format not supported' : 'given type is not a function');
    try {
      codes.push(r.blob());
    } catch {
      throw new Error('failed loading the given functions payload');
    }
  }
  return codes;
}
