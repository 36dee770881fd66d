// Reading DUMP payloads in Redis 7.0.15's format (rdb-format.ts describes it), and RESTORE's
// dispatch between that format and corral's own (store/dump.ts) by the payload's version.
// Encodings come out as Redis's loader (rdbLoadObject) converts under the node's limits
// (encoding-limits.ts): a listpack or intset only for its entries count, other types by content;
// a stream's nodes split under its stream-node-max-* (stream-rdb.ts reads the stream). The
// reader and listpack walker live in rdb-codec.ts and are re-exported here.

import { crc64Matches } from '../util/crc64.js';
import { Deque } from './deque.js';
import { DUMP_VERSION, DumpFormatError, DumpPayloadError, FOOTER_BYTES, createSet, decodeDump, type DumpableSet, type DumpedValue } from './dump.js';
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STREAM, TYPE_STRING, TYPE_ZSET, type CollectionValue } from './entry.js';
import { HashValue } from './hash-value.js';
import { SortedSet, parseDouble } from './sorted-set.js';
import { DEFAULT_LIMITS, NO_LIMITS, type EncodingLimits } from './encoding-limits.js';
import { StreamValue } from './stream.js';
import { decodeStreamObject } from './stream-rdb.js';
import { RdbReader, listpackEntries } from './rdb-codec.js';
import { RDB_VERSION, RDB_TYPE_STRING, RDB_TYPE_LIST, RDB_TYPE_SET, RDB_TYPE_ZSET, RDB_TYPE_HASH, RDB_TYPE_ZSET_2, RDB_TYPE_SET_INTSET, RDB_TYPE_HASH_LISTPACK, RDB_TYPE_ZSET_LISTPACK, RDB_TYPE_LIST_QUICKLIST_2, RDB_TYPE_STREAM_LISTPACKS, RDB_TYPE_STREAM_LISTPACKS_2, QUICKLIST_NODE_CONTAINER_PLAIN, QUICKLIST_NODE_CONTAINER_PACKED } from './rdb-format.js';

export { rdbDumpId, rdbDumpKey } from './rdb-write.js';
export { RdbReader, listpackEntries } from './rdb-codec.js';

// ---- decoding ----

function bad(): never {
  throw new DumpFormatError();
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
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
      // Nodes are split afresh under the node's stream-node-max-* (the image has no tombstones).
      return { type: TYPE_STREAM, value: StreamValue.fromImage(decodeStreamObject(r, type === RDB_TYPE_STREAM_LISTPACKS), limits), staleAt: 0 };
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
