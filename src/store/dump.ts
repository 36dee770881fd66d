// Entry serialization for replication's full copy and slot migration (sent as RESTORE ... ABSTTL,
// which takes this format besides Redis's: store/rdb.ts's decodeAnyDump; the DUMP command writes
// Redis's format, store/rdb.ts): one key's value (every
// type, in the encoding OBJECT ENCODING reports) and its CACHE.SET stale time, in corral's own
// binary format (not Redis's RDB), framed as Redis frames a DUMP payload: a 2-byte format
// version and an 8-byte CRC64 at the end, both little-endian, so that a damaged payload is
// refused with Redis's error text.
//
//     tag(1)  [staleAt: f64, when tag & 0x80]  body  version(2)  crc64(8)
//
// tag & 0x7f is the type and encoding (TAG_* below). Bodies; varint is unsigned LEB128 (at most
// 5 bytes), an item is varint length + bytes, numbers are little-endian:
//
//     string  the value's bytes: its length is what is left before the footer, so dumping a
//             string is one allocation and one copy
//     hash    varint count, then count (field item, value item) pairs in iteration order
//             (insertion order). A packed hash's pairs are byte for byte its packed form
//             (hash-value.ts: its lengths are one-byte varints), copied out and in whole; a
//             listpack hash held as a table (limits raised past the packed form) has its own tag.
//     list    varint count, then the items head first
//     set     varint count, then the members in iteration order (numeric for an intset)
//     zset    varint count, then (member item, f64 score) in ascending order: -0, +-inf exact
//     stream  Redis's RDB_TYPE_STREAM_LISTPACKS_2 object body (stream-rdb.ts), nodes split under
//             Redis's default stream-node-max-*; the receiving node splits them under its own
//
// The checksum is Redis's CRC64 (util/crc64.ts) over everything before it, version included.
// The version, 0xC001, is outside Redis's RDB versions (1-12): Redis refuses a corral payload
// with its checksum error rather than misreading it, and RESTORE tells the two formats apart.
//
// Decoding takes untrusted bytes (RESTORE from the network) and validates all of it before
// touching the keyspace. Wrong length, version or checksum: DumpPayloadError ("ERR DUMP payload
// version or checksum are wrong"). A payload whose checksum is right but whose content is not
// one dumpKey can produce (unknown tag, a length or count past the bytes left, an empty
// collection, duplicate fields or members, a NaN or misordered score, an encoding its content
// cannot have, trailing bytes): DumpFormatError ("ERR Bad data format"), as Redis answers a
// well-framed payload it cannot load. Every count is checked against the bytes left before
// anything is allocated for it (each element takes at least one byte), so what a payload makes
// the node allocate is proportional to its length, as for the commands that would build it.
//
// Encodings: a value restores in the encoding it had. Redis re-derives the encoding from the
// content when it loads (a hashtable set of a few integers comes back an intset); corral keeps
// the one dumped, so that a replica reports what its primary does and DUMP/RESTORE round-trips
// exactly. Both are encodings Redis's own rules produce (the large ones are never converted back)
// under some limits (CONFIG's, encoding-limits.ts), so a small encoding is taken at any size.
//
// Sets: SetValue lives in commands/sets.ts, above the store, so it registers its constructor here
// (registerSetType, done by commands/dump.ts on import); dumping needs only the structural
// DumpableSet interface.

import { latin1, writeLatin1 } from '../util/bytes.js';
import { crc64Into, crc64Matches } from '../util/crc64.js';
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STREAM, TYPE_STRING, TYPE_ZSET, type CollectionValue, type Entry, type ValueType } from './entry.js';
import { Deque } from './deque.js';
import { HashValue, LISTPACK_ENTRIES, LISTPACK_VALUE } from './hash-value.js';
import { SortedSet } from './sorted-set.js';
import { DEFAULT_LIMITS, NO_LIMITS, type EncodingLimits } from './encoding-limits.js';
import { RdbOut, RdbReader } from './rdb-codec.js';
import { BusyKeyError, DumpFormatError, DumpPayloadError } from './dump-errors.js';
import { StreamValue } from './stream.js';
import { decodeStreamObject, encodeStreamObject } from './stream-rdb.js';
import type { Keyspace } from './keyspace.js';
import { copyBytes } from './keyspace-core.js';

export { ERR_DUMP_PAYLOAD, ERR_BAD_DATA_FORMAT, ERR_BUSYKEY, RestoreError, DumpPayloadError, DumpFormatError, BusyKeyError } from './dump-errors.js';

export const DUMP_VERSION = 0xc001;
/** Version and checksum. */
export const FOOTER_BYTES = 10;

const TAG_STRING = 0;
const TAG_HASH_LISTPACK = 1;
const TAG_HASH_TABLE = 2;
const TAG_LIST = 3;
const TAG_SET_INTSET = 4;
const TAG_SET_TABLE = 5;
const TAG_ZSET_LISTPACK = 6;
const TAG_ZSET_SKIPLIST = 7;
/** A listpack hash held as a table: the body is TAG_HASH_TABLE's. */
const TAG_HASH_WIDE = 8;
const TAG_STREAM = 9;
const TAG_STALE = 0x80;

/** What dumping and restoring need of a set value (commands/sets.ts's SetValue). */
export interface DumpableSet extends CollectionValue {
  /** Whether Redis would still hold it as an intset; restore clears it for a hashtable set. */
  intset: boolean;
  /** Members in iteration order. */
  members(): readonly string[];
  /** Adds a member (the intset rule applies under `limits`); returns false if it was there. */
  add(member: string, limits?: Readonly<EncodingLimits>): boolean;
}

let newSet: (() => DumpableSet) | null = null;

/** Registers the set value's constructor (commands/dump.ts does, on import). */
export function registerSetType(create: () => DumpableSet): void {
  newSet = create;
}

/** A new, empty set value of the registered type (store/rdb.ts builds sets with it). */
export function createSet(): DumpableSet {
  if (newSet === null) throw new Error('dump: no set type registered (commands/dump.ts registers it)');
  return newSet();
}

/** A decoded payload, ready to become a key. */
export interface DumpedValue {
  type: ValueType;
  /** A string's bytes as latin1, or the built value object. */
  value: string | HashValue | CollectionValue;
  /** CACHE.SET stale time (ms), 0 for none. */
  staleAt: number;
}

export interface RestoreOptions {
  /** Absolute expiry time in ms, 0 for none. */
  expireAt: number;
  /** Replace an existing key instead of refusing with BusyKeyError. */
  replace: boolean;
}

// ---- encoding ----

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(b: Buffer, p: number, n: number): number {
  while (n >= 0x80) {
    b[p++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  b[p++] = n;
  return p;
}

function writeItem(b: Buffer, p: number, s: string): number {
  p = writeVarint(b, p, s.length);
  return p + writeLatin1(b, s, p);
}

function itemLength(s: string): number {
  return varintLength(s.length) + s.length;
}

/** Writes the version and the checksum after `n` bytes of `out` (which has room for them). */
function seal(out: Buffer, n: number): Buffer {
  out[n] = DUMP_VERSION & 0xff;
  out[n + 1] = DUMP_VERSION >>> 8;
  crc64Into(out, 0, n + 2, out, n + 2);
  return out;
}

/** A payload buffer with `body` bytes of room after the tag (and stale time), tag written. */
function newPayload(tag: number, staleAt: number, body: number): Buffer {
  const head = staleAt !== 0 ? 9 : 1;
  const out = Buffer.allocUnsafe(head + body + FOOTER_BYTES);
  out[0] = staleAt !== 0 ? tag | TAG_STALE : tag;
  if (staleAt !== 0) out.writeDoubleLE(staleAt, 1);
  return out;
}

/** The payload of a key, or null if it is missing or logically expired. No side effects. */
export function dumpKey(db: Keyspace, key: string): Buffer | null {
  const id = db.table.findString(key);
  if (id < 0 || !db.isLiveForCopy(id)) return null;
  return dumpId(db, id);
}

/** The payload of a live id (see dumpKey). */
export function dumpId(db: Keyspace, id: number): Buffer {
  const staleAt = db.staleAtOf(id);
  const head = staleAt !== 0 ? 9 : 1;
  const type = db.typeOf(id);
  if (type === TYPE_STRING) {
    const t = db.table;
    t.view(id);
    const len = t.vend - t.vstart;
    const out = newPayload(TAG_STRING, staleAt, len);
    copyBytes(t.vbuf, t.vstart, t.vend, out, head);
    return seal(out, head + len);
  }
  const obj = db.objectOf(id);
  let out: Buffer;
  let p: number;
  if (type === TYPE_HASH) {
    const h = obj as HashValue;
    if (h.packed) {
      const n = h.packedLength;
      out = newPayload(TAG_HASH_LISTPACK, staleAt, varintLength(h.size) + n);
      p = h.writeTo(out, writeVarint(out, head, h.size));
    } else {
      let n = varintLength(h.size);
      for (const [f, v] of h.entries()) n += itemLength(f) + itemLength(v);
      out = newPayload(h.encoding() === 'listpack' ? TAG_HASH_WIDE : TAG_HASH_TABLE, staleAt, n);
      p = writeVarint(out, head, h.size);
      for (const [f, v] of h.entries()) p = writeItem(out, writeItem(out, p, f), v);
    }
  } else if (type === TYPE_LIST) {
    const d = obj as Deque;
    const count = d.length;
    let n = varintLength(count);
    for (let i = 0; i < count; i++) n += itemLength(d.get(i)!);
    out = newPayload(TAG_LIST, staleAt, n);
    p = writeVarint(out, head, count);
    for (let i = 0; i < count; i++) p = writeItem(out, p, d.get(i)!);
  } else if (type === TYPE_STREAM) {
    const body = new RdbOut();
    encodeStreamObject(body, (obj as StreamValue).toImage());
    out = newPayload(TAG_STREAM, staleAt, body.n);
    p = head + body.buf.copy(out, head, 0, body.n);
  } else if (type === TYPE_SET) {
    const s = obj as DumpableSet;
    const members = s.members();
    let n = varintLength(members.length);
    for (const m of members) n += itemLength(m);
    out = newPayload(s.intset ? TAG_SET_INTSET : TAG_SET_TABLE, staleAt, n);
    p = writeVarint(out, head, members.length);
    for (const m of members) p = writeItem(out, p, m);
  } else {
    const z = obj as SortedSet;
    const items = z.toArray();
    let n = varintLength(items.length);
    for (const it of items) n += itemLength(it.member) + 8;
    out = newPayload(z.encoding() === 'listpack' ? TAG_ZSET_LISTPACK : TAG_ZSET_SKIPLIST, staleAt, n);
    p = writeVarint(out, head, items.length);
    for (const it of items) {
      p = writeItem(out, p, it.member);
      out.writeDoubleLE(it.score, p);
      p += 8;
    }
  }
  return seal(out, p);
}

// ---- decoding ----

// The reader's position and limit over the payload being decoded (module state: decoding is
// synchronous and not reentrant).
let rb: Buffer = Buffer.alloc(0);
let rp = 0;
let rend = 0;

function bad(): never {
  throw new DumpFormatError();
}

function readVarint(): number {
  let n = 0;
  for (let shift = 0; ; shift += 7) {
    if (rp >= rend || shift > 28) bad();
    const byte = rb[rp++];
    n += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return n;
  }
}

/** A count of elements taking at least `minBytes` each: refused if the bytes left cannot hold them. */
function readCount(minBytes: number): number {
  const n = readVarint();
  if (n === 0 || n * minBytes > rend - rp) bad();
  return n;
}

function readItem(): string {
  const len = readVarint();
  if (len > rend - rp) bad();
  const s = latin1(rb, rp, rp + len);
  rp += len;
  return s;
}

/** Checks the frame (length, version, checksum); returns where the body ends. */
function checkFrame(payload: Buffer): number {
  const n = payload.length - FOOTER_BYTES;
  if (n < 1) throw new DumpPayloadError();
  if (payload[n] !== (DUMP_VERSION & 0xff) || payload[n + 1] !== DUMP_VERSION >>> 8) throw new DumpPayloadError();
  if (!crc64Matches(payload, 0, n + 2, payload, n + 2)) throw new DumpPayloadError();
  return n;
}

/** Decodes and validates a payload (see the file comment for what is refused, and how). */
export function decodeDump(payload: Buffer): DumpedValue {
  rend = checkFrame(payload);
  rb = payload;
  rp = 1;
  try {
    const tag = payload[0];
    let staleAt = 0;
    if (tag & TAG_STALE) {
      if (rend - rp < 8) bad();
      staleAt = payload.readDoubleLE(rp);
      rp += 8;
      if (!(staleAt > 0 && staleAt < Infinity)) bad();
    }
    const out = decodeBody(tag & ~TAG_STALE, staleAt);
    if (rp !== rend) bad();
    return out;
  } finally {
    rb = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);
/** A field / member longer than any small encoding allows: adding and removing it converts. */
const CONVERTER = '\0'.repeat(Math.max(LISTPACK_VALUE, 64) + 1);

function decodeBody(tag: number, staleAt: number): DumpedValue {
  switch (tag) {
    case TAG_STRING: {
      const value = latin1(rb, rp, rend);
      rp = rend;
      return { type: TYPE_STRING, value, staleAt };
    }
    case TAG_HASH_LISTPACK:
      return { type: TYPE_HASH, value: decodePackedHash(), staleAt };
    case TAG_HASH_TABLE:
    case TAG_HASH_WIDE: {
      const count = readCount(2);
      const h = new HashValue();
      if (tag === TAG_HASH_TABLE) {
        h.set(CONVERTER, '');
        h.delete(CONVERTER);
      }
      for (let i = 0; i < count; i++) {
        const f = readItem();
        if (!h.set(f, readItem(), NO_LIMITS)) bad();
      }
      return { type: TYPE_HASH, value: h, staleAt };
    }
    case TAG_LIST: {
      const count = readCount(1);
      const d = new Deque(count);
      for (let i = 0; i < count; i++) d.pushBack(readItem());
      return { type: TYPE_LIST, value: d, staleAt };
    }
    case TAG_SET_INTSET:
    case TAG_SET_TABLE: {
      if (newSet === null) throw new Error('dump: no set type registered (commands/dump.ts registers it)');
      const count = readCount(1);
      const s = newSet();
      for (let i = 0; i < count; i++) if (!s.add(readItem(), NO_LIMITS)) bad();
      if (tag === TAG_SET_INTSET && !s.intset) bad();
      if (tag === TAG_SET_TABLE) s.intset = false;
      return { type: TYPE_SET, value: s, staleAt };
    }
    case TAG_ZSET_LISTPACK:
    case TAG_ZSET_SKIPLIST: {
      const count = readCount(9);
      const z = new SortedSet();
      if (tag === TAG_ZSET_SKIPLIST) {
        z.set(CONVERTER, 0);
        z.delete(CONVERTER);
      }
      let prevScore = -Infinity;
      let prevMember: string | null = null;
      for (let i = 0; i < count; i++) {
        const member = readItem();
        if (rend - rp < 8) bad();
        const score = rb.readDoubleLE(rp);
        rp += 8;
        // Ascending (score, member) order, strictly: no NaN, no duplicate, nothing out of place.
        if (Number.isNaN(score) || score < prevScore) bad();
        if (prevMember !== null && score === prevScore && member <= prevMember) bad();
        if (z.has(member)) bad();
        z.set(member, score, NO_LIMITS);
        prevScore = score;
        prevMember = member;
      }
      return { type: TYPE_ZSET, value: z, staleAt };
    }
    case TAG_STREAM: {
      const r = new RdbReader(rb, rp, rend);
      let value: StreamValue;
      try {
        value = StreamValue.fromImage(decodeStreamObject(r), DEFAULT_LIMITS);
      } catch (err) {
        // A bounds slip in a Buffer read is still the payload's fault.
        if (err instanceof RangeError) bad();
        throw err;
      }
      rp = r.p;
      return { type: TYPE_STREAM, value, staleAt };
    }
    default:
      return bad();
  }
}

/**
 * A listpack hash: the pairs are checked (one-byte lengths up to 64, at most 512 pairs, distinct
 * fields) and then copied into a buffer of their own, which the hash reads as its packed form
 * until its first edit (HashValue.fromBytes).
 */
function decodePackedHash(): HashValue {
  const count = readCount(2);
  if (count > LISTPACK_ENTRIES) bad();
  const from = rp;
  const fields = new Set<string>();
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < 2; k++) {
      if (rp >= rend) bad();
      const len = rb[rp++];
      if (len > LISTPACK_VALUE || len > rend - rp) bad();
      if (k === 0) {
        const f = latin1(rb, rp, rp + len);
        if (fields.has(f)) bad();
        fields.add(f);
      }
      rp += len;
    }
  }
  const own = Buffer.allocUnsafeSlow(rp - from);
  rb.copy(own, 0, from, rp);
  return HashValue.fromBytes(own, 0, own.length);
}

// ---- restoring ----

/**
 * Creates `key` from a payload (RESTORE). The payload is decoded and validated whole before the
 * keyspace is touched. Throws DumpPayloadError or DumpFormatError for the payload, BusyKeyError
 * when the key exists and `replace` is not set. Returns the new key's entry; or null when
 * `expireAt` has already passed: the key is then not created (an existing one is deleted under
 * `replace`), as Redis does; except on a replica or while the primary's stream is applied, where
 * it is created all the same and the primary's DEL removes it (Redis's checkAlreadyExpired).
 */
export function restoreKey(db: Keyspace, key: string, payload: Buffer, options: RestoreOptions): Entry | null {
  return restoreValue(db, key, decodeDump(payload), options);
}

/** restoreKey for an already decoded payload. The value object is taken over, not copied. */
export function restoreValue(db: Keyspace, key: string, v: DumpedValue, options: RestoreOptions): Entry | null {
  const { expireAt, replace } = options;
  if (!replace && db.peek(key) !== undefined) throw new BusyKeyError();
  if (expireAt > 0 && expireAt <= db.clock.now() && !db.replicaMode && !db.ignoreExpiry) {
    if (replace) db.delete(key);
    return null;
  }
  let e: Entry;
  if (v.type === TYPE_STRING) {
    e = db.setString(key, v.value as string, expireAt);
  } else {
    e = db.create(key, v.type, v.value as HashValue | CollectionValue);
    if (expireAt > 0) db.setExpireAt(e, expireAt);
    // Re-accounts (a TTL may have moved the key's chunk) and signals WATCH and leases.
    db.changed(e, 0);
  }
  if (v.staleAt !== 0) e.staleAt = v.staleAt;
  return e;
}
