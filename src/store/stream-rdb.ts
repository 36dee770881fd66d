// A stream's RDB object, type 19 (RDB_TYPE_STREAM_LISTPACKS_2), as Redis 7.0.15's rdbSaveObject
// writes it and rdbLoadObject reads it, to and from the plain StreamImage (stream-image.ts). The
// same body goes in DUMP payloads (rdb-write.ts / rdb.ts), RDB files (rdb-file.ts) and corral's
// own payloads (dump.ts).
//
//     len(nodes)  per node: master-id(16-byte string, ms and seq big-endian)  listpack(string)
//     len(length)  len(last.ms) len(last.seq)  len(first.ms) len(first.seq)
//     len(max-deleted.ms) len(max-deleted.seq)  len(entries-added)
//     len(groups)  per group (name order):
//       name(string)  len(last.ms) len(last.seq)  len(entries-read, -1 as 2^64-1)
//       len(pel)  per pending entry: id(16 raw bytes, BE)  delivery-time(8, LE ms)  len(count)
//       len(consumers)  per consumer: name(string)  seen-time(8, LE ms)
//                                    len(pel)  per entry: id(16 raw bytes, BE)
//
// A node's listpack holds entries whose IDs are deltas from its master ID (the node's key):
//
//     count  deleted  num-fields  field...  0                         (the master entry)
//     flags  ms-diff  seq-diff  [num-fields field...]  value...  lp-count     (per entry)
//
// flags & 2 (SAMEFIELDS): the entry has the master entry's fields, which are then left out;
// flags & 1 (DELETED): a tombstone, counted in `deleted`. lp-count is the entry's element count
// (3 + values, + num-fields + fields without SAMEFIELDS), so the node reads from right to left.
//
// Writing rebuilds the nodes as streamAppendItem builds them, one XADD at a time: a node takes
// entries until its listpack bytes plus the next entry's field and value lengths reach
// stream-node-max-bytes, or it holds stream-node-max-entries; its first entry's fields become
// the master fields. The image holds live entries only, and the limits are those of the moment
// (Redis's nodes keep those of each XADD), so a stream never XDEL'd or trimmed, built under the
// limits in force, comes out byte for byte as Redis dumps it, and any other with the same
// content without its tombstones (XRANGE, XINFO ... the same; its node count may differ).
//
// Reading takes untrusted bytes and checks what Redis's deep sanitization checks
// (streamValidateListpackIntegrity on every listpack, which leaves out the listpack header's
// element count; duplicate node keys, groups, consumers and PEL entries; consumer PEL entries
// present in the group's PEL; every group PEL entry owned by a consumer), and what corral's
// stream value relies on, which Redis loads into an inconsistent stream: IDs ascending across
// nodes, no entry past the last ID, the length equal to the live entries, a node's live count
// equal to its entries without the DELETED flag, no entry without fields, a PEL entry owned by
// one consumer only, entries-read -1 or more. Lengths are read as rdbLoadLen(rdb, NULL) reads
// them (one of the string-encoding kind as its low 6 bits). Anything else: DumpFormatError
// ("ERR Bad data format"), before anything is built. The pre-7.0 type 15 is read too, its
// missing counters derived as Redis 7.0 derives them.

import { DumpFormatError } from './dump-errors.js';
import type { EncodingLimits } from './encoding-limits.js';
import { DEFAULT_LIMITS } from './encoding-limits.js';
import { canonicalInt } from './rdb-format.js';
import { ListpackBuilder, RdbOut, listpackEntries, rdbSaveBlob, rdbSaveLen, type RdbReader } from './rdb-codec.js';
import type { ConsumerImage, GroupImage, PendingImage, StreamEntryImage, StreamImage } from './stream-image.js';
import { STREAM_ID_SEQ_MASK } from './stream-image.js';

/** stream-node-max-bytes and stream-node-max-entries (0: no limit, as in Redis). */
export type StreamNodeLimits = Readonly<Pick<EncodingLimits, 'streamNodeMaxBytes' | 'streamNodeMaxEntries'>>;

/** STREAM_LISTPACK_MAX_SIZE: a node's byte limit when stream-node-max-bytes is 0 or above it. */
const STREAM_LISTPACK_MAX_SIZE = 1 << 30;
const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
const U64 = 1n << 64n;
const U64_MAX = U64 - 1n;

function bad(): never {
  throw new DumpFormatError();
}

// ---- writing ----

/** The bytes lpAppendInteger takes for a count (0 .. int32): encoding and back length. */
function countBytes(n: number): number {
  if (n <= 127) return 2;
  if (n <= 4095) return 3;
  if (n <= 32767) return 4;
  if (n <= 8388607) return 5;
  return 6;
}

/**
 * A node being filled. The master entry's count, its first element, changes with every entry:
 * it is left out of `rest` (every element after it) and put in front when the node is written.
 */
interface NodeBuild {
  readonly master: bigint;
  readonly masterFields: readonly string[];
  readonly rest: ListpackBuilder;
  count: number;
}

function pushItem(node: NodeBuild, s: string): void {
  node.rest.append(s);
}

/** The node's listpack: `rest`'s with the count's entry put first. */
function nodeListpack(node: NodeBuild): Buffer {
  const rest = node.rest.finish();
  const head = new ListpackBuilder();
  head.append(String(node.count));
  const entry = head.finish().subarray(6, 6 + countBytes(node.count));
  const lp = Buffer.allocUnsafe(rest.length + entry.length);
  lp.writeUInt32LE(lp.length, 0);
  lp.writeUInt16LE(Math.min(node.rest.count + 1, 65535), 4);
  entry.copy(lp, 6);
  rest.copy(lp, 6 + entry.length, 6);
  return lp;
}

/** streamAppendItem's listpack part for one entry. */
function appendEntry(node: NodeBuild, e: StreamEntryImage): void {
  const nf = e.fields.length >>> 1;
  let same = nf === node.masterFields.length;
  for (let i = 0; same && i < nf; i++) same = e.fields[2 * i] === node.masterFields[i];
  // Deltas are uint64 differences stored as int64 (lpAppendInteger).
  const msDiff = BigInt.asIntN(64, (e.id >> 64n) - (node.master >> 64n));
  const seqDiff = BigInt.asIntN(64, (e.id & STREAM_ID_SEQ_MASK) - (node.master & STREAM_ID_SEQ_MASK));
  pushItem(node, same ? String(FLAG_SAMEFIELDS) : '0');
  pushItem(node, msDiff.toString());
  pushItem(node, seqDiff.toString());
  if (!same) pushItem(node, String(nf));
  for (let i = 0; i < nf; i++) {
    if (!same) pushItem(node, e.fields[2 * i]);
    pushItem(node, e.fields[2 * i + 1]);
  }
  pushItem(node, String(same ? nf + 3 : 2 * nf + 4));
  node.count++;
}

function newNode(e: StreamEntryImage): NodeBuild {
  const masterFields: string[] = [];
  for (let i = 0; i < e.fields.length; i += 2) masterFields.push(e.fields[i]);
  const node: NodeBuild = { master: e.id, masterFields, rest: new ListpackBuilder(), count: 0 };
  pushItem(node, '0'); // deleted
  pushItem(node, String(masterFields.length));
  for (const f of masterFields) pushItem(node, f);
  pushItem(node, '0'); // the master entry's terminator
  return node;
}

/** The nodes streamAppendItem would have built for these entries, appended in order. */
function buildNodes(entries: readonly StreamEntryImage[], limits: StreamNodeLimits): NodeBuild[] {
  let maxBytes = limits.streamNodeMaxBytes;
  if (maxBytes === 0 || maxBytes > STREAM_LISTPACK_MAX_SIZE) maxBytes = STREAM_LISTPACK_MAX_SIZE;
  const nodes: NodeBuild[] = [];
  let node: NodeBuild | null = null;
  for (const e of entries) {
    if (node !== null) {
      let elementBytes = 0;
      for (const s of e.fields) elementBytes += s.length;
      const nodeBytes = node.rest.bytes + countBytes(node.count);
      if (nodeBytes + elementBytes >= maxBytes || (limits.streamNodeMaxEntries > 0 && node.count >= limits.streamNodeMaxEntries)) node = null;
    }
    if (node === null) {
      node = newNode(e);
      nodes.push(node);
    }
    appendEntry(node, e);
  }
  return nodes;
}

/** rdbSaveLen of an unsigned 64-bit value. */
function saveLen64(o: RdbOut, v: bigint): void {
  if (v < 0x100000000n) {
    rdbSaveLen(o, Number(v));
    return;
  }
  o.room(9);
  o.buf[o.n++] = 0x81;
  o.buf.writeBigUInt64BE(v, o.n);
  o.n += 8;
}

function saveId(o: RdbOut, id: bigint): void {
  saveLen64(o, id >> 64n);
  saveLen64(o, id & STREAM_ID_SEQ_MASK);
}

/** An ID as its 16 raw bytes (ms and seq big-endian), as the rax keys hold it. */
function rawId(o: RdbOut, id: bigint): void {
  o.room(16);
  o.buf.writeBigUInt64BE(id >> 64n, o.n);
  o.buf.writeBigUInt64BE(id & STREAM_ID_SEQ_MASK, o.n + 8);
  o.n += 16;
}

function saveMs(o: RdbOut, ms: number): void {
  o.room(8);
  o.buf.writeBigInt64LE(BigInt(Math.trunc(ms)), o.n);
  o.n += 8;
}

function saveString(o: RdbOut, s: string): void {
  rdbSaveBlob(o, Buffer.from(s, 'latin1'));
}

/** rax order: bytes compared as memcmp does, a prefix first (latin1 strings compare so with <). */
function byName<T extends { readonly name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Writes the type-19 object body of `img` (without the type byte) as rdbSaveObject does, its
 * nodes split under `limits` (the node's stream-node-max-bytes / -entries).
 */
export function encodeStreamObject(o: RdbOut, img: StreamImage, limits: StreamNodeLimits = DEFAULT_LIMITS): void {
  const nodes = buildNodes(img.entries, limits);
  rdbSaveLen(o, nodes.length);
  const key = new RdbOut();
  for (const node of nodes) {
    key.n = 0;
    rawId(key, node.master);
    rdbSaveBlob(o, key.buf.subarray(0, 16));
    rdbSaveBlob(o, nodeListpack(node));
  }
  rdbSaveLen(o, img.entries.length);
  saveId(o, img.lastId);
  saveId(o, img.firstId);
  saveId(o, img.maxDeletedId);
  saveLen64(o, BigInt(img.entriesAdded));
  rdbSaveLen(o, img.groups.length);
  for (const g of [...img.groups].sort(byName)) {
    saveString(o, g.name);
    saveId(o, g.lastId);
    saveLen64(o, BigInt.asUintN(64, BigInt(g.entriesRead)));
    rdbSaveLen(o, g.pending.length);
    for (const p of g.pending) {
      rawId(o, p.id);
      saveMs(o, p.deliveryTime);
      saveLen64(o, BigInt(p.deliveryCount));
    }
    rdbSaveLen(o, g.consumers.length);
    for (const c of [...g.consumers].sort(byName)) {
      saveString(o, c.name);
      saveMs(o, c.seenTime);
      rdbSaveLen(o, c.pending.length);
      for (const id of c.pending) rawId(o, id);
    }
  }
}

// ---- reading ----

/**
 * rdbLoadLen(rdb, NULL) of a full unsigned 64-bit length. As there, a first byte of the encoded
 * kind (0xC0..0xFF, meant for strings) reads as its low 6 bits: Redis loads such a payload.
 */
function len64(r: RdbReader): bigint {
  const b0 = r.byte();
  if (b0 >= 0xc0) return BigInt(b0 & 0x3f);
  if (b0 === 0x81) {
    if (r.left < 8) bad();
    const v = r.b.readBigUInt64BE(r.p);
    r.p += 8;
    return v;
  }
  r.p--;
  return BigInt(r.len());
}

/** A length that must fit a JS number exactly (counts, entries-added, delivery counts). */
function lenNumber(r: RdbReader): number {
  const v = len64(r);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad();
  return Number(v);
}

/** A count of items taking at least `minBytes` each: refused when past the bytes left. */
function countOf(r: RdbReader, minBytes: number): number {
  const n = lenNumber(r);
  if (n * minBytes > r.left) bad();
  return n;
}

function loadId(r: RdbReader): bigint {
  const ms = len64(r);
  return (ms << 64n) | len64(r);
}

function loadRawId(r: RdbReader): bigint {
  if (r.left < 16) bad();
  const id = (r.b.readBigUInt64BE(r.p) << 64n) | r.b.readBigUInt64BE(r.p + 8);
  r.p += 16;
  return id;
}

function loadMs(r: RdbReader): number {
  if (r.left < 8) bad();
  const v = r.b.readBigInt64LE(r.p);
  r.p += 8;
  return Number(v);
}

/** lpGetIntegerIfValid: an element that must be an int64. */
function intOf(s: string | undefined): bigint {
  if (s === undefined) bad();
  const v = canonicalInt(s);
  return v === null ? bad() : v;
}

/** A small non-negative count element (field counts, node counts). */
function countItem(s: string | undefined): number {
  const v = intOf(s);
  if (v < 0n || v > 0xffffffffn) bad();
  return Number(v);
}

/**
 * A node's live entries, after streamValidateListpackIntegrity's deep walk of its listpack
 * (already checked as a listpack by listpackEntries).
 */
function nodeEntries(master: bigint, items: readonly string[], out: StreamEntryImage[]): void {
  let i = 0;
  const live = countItem(items[i++]);
  const deleted = countItem(items[i++]);
  const masterCount = countItem(items[i++]);
  if (masterCount > items.length) bad();
  const masterFields = items.slice(i, i + masterCount);
  i += masterCount;
  if (intOf(items[i++]) !== 0n) bad();
  if (live + deleted > items.length) bad();
  const masterMs = master >> 64n;
  const masterSeq = master & STREAM_ID_SEQ_MASK;
  let seenLive = 0;
  for (let k = 0; k < live + deleted; k++) {
    const flags = intOf(items[i++]);
    const ms = (masterMs + intOf(items[i++])) & U64_MAX;
    const seq = (masterSeq + intOf(items[i++])) & U64_MAX;
    const same = (flags & BigInt(FLAG_SAMEFIELDS)) !== 0n;
    const nf = same ? masterCount : countItem(items[i++]);
    if (nf === 0) bad(); // XADD never makes an entry without fields
    if (i + (same ? nf : 2 * nf) >= items.length) bad();
    // Field, value pairs; with SAMEFIELDS the listpack holds the values only.
    const fields: string[] = new Array<string>(2 * nf);
    for (let j = 0; j < nf; j++) {
      fields[2 * j] = same ? masterFields[j] : items[i++];
      fields[2 * j + 1] = items[i++];
    }
    const lpCount = intOf(items[i++]);
    if (lpCount !== BigInt(same ? nf + 3 : 2 * nf + 4)) bad();
    if ((flags & BigInt(FLAG_DELETED)) !== 0n) continue;
    seenLive++;
    out.push({ id: (ms << 64n) | seq, fields });
  }
  if (i !== items.length || seenLive !== live) bad();
}

/** The stream's counters as loaded, for a legacy group's estimated entries-read. */
interface StreamCounters {
  readonly length: number;
  readonly lastId: bigint;
  readonly firstId: bigint;
  readonly maxDeletedId: bigint;
  readonly entriesAdded: number;
}

/** streamEstimateDistanceFromFirstEverEntry: a group's entries-read from its last ID, or -1. */
function estimateEntriesRead(s: StreamCounters, id: bigint): number {
  if (s.entriesAdded === 0) return 0;
  if (s.length === 0 && id <= s.lastId) return s.entriesAdded;
  if (id === s.lastId) return s.entriesAdded;
  if (id > s.lastId) return -1;
  if (s.maxDeletedId === 0n || s.maxDeletedId < s.firstId) {
    if (id < s.firstId) return s.entriesAdded - s.length;
    if (id === s.firstId) return s.entriesAdded - s.length + 1;
  }
  return -1;
}

/** A group; `legacy` (type 15) has no entries-read, estimated from the stream's counters. */
function loadGroup(r: RdbReader, legacy: StreamCounters | null): GroupImage {
  const name = r.str();
  const lastId = loadId(r);
  const entriesRead = legacy !== null ? BigInt(estimateEntriesRead(legacy, lastId)) : BigInt.asIntN(64, len64(r));
  if (entriesRead < -1n || entriesRead > BigInt(Number.MAX_SAFE_INTEGER)) bad();
  const pelCount = countOf(r, 17);
  const pending = new Map<bigint, PendingImage>();
  for (let k = 0; k < pelCount; k++) {
    const id = loadRawId(r);
    const deliveryTime = loadMs(r);
    const deliveryCount = lenNumber(r);
    if (pending.has(id)) bad(); // "Duplicated global PEL entry"
    pending.set(id, { id, deliveryTime, deliveryCount });
  }
  const consumerCount = countOf(r, 10);
  const consumers: ConsumerImage[] = [];
  const names = new Set<string>();
  const owned = new Set<bigint>();
  for (let k = 0; k < consumerCount; k++) {
    const cname = r.str();
    if (names.has(cname)) bad(); // "Duplicate stream consumer detected"
    names.add(cname);
    const seenTime = loadMs(r);
    const n = countOf(r, 16);
    const ids: bigint[] = [];
    for (let j = 0; j < n; j++) {
      const id = loadRawId(r);
      // "Consumer entry not found in group global PEL", or a duplicate / twice-owned entry.
      if (!pending.has(id) || owned.has(id)) bad();
      owned.add(id);
      ids.push(id);
    }
    consumers.push({ name: cname, seenTime, pending: ids.sort(ascending) });
  }
  if (owned.size !== pending.size) bad(); // "Stream CG PEL entry without consumer"
  return {
    name,
    lastId,
    entriesRead: Number(entriesRead),
    pending: [...pending.values()].sort((a, b) => ascending(a.id, b.id)),
    consumers: consumers.sort(byName),
  };
}

function ascending(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Reads a type-19 object body (after its type byte) into a StreamImage; DumpFormatError if bad.
 * `legacy`: a type-15 body (RDB_TYPE_STREAM_LISTPACKS, Redis before 7.0), without the first and
 * max deleted IDs, entries-added and the groups' entries-read, which are derived as Redis 7.0's
 * loader derives them (entries-added = length, the first live entry's ID, no deletion, estimated
 * entries-read).
 */
export function decodeStreamObject(r: RdbReader, legacy = false): StreamImage {
  const nodeCount = countOf(r, 2);
  const nodes: Array<{ master: bigint; entries: StreamEntryImage[] }> = [];
  const masters = new Set<bigint>();
  for (let k = 0; k < nodeCount; k++) {
    const key = r.blob();
    if (key.length !== 16) bad(); // "Stream node key entry is not the size of a stream ID"
    const master = (key.readBigUInt64BE(0) << 64n) | key.readBigUInt64BE(8);
    const items = listpackEntries(r.blob(), false); // streamValidateListpackIntegrity: not the header's count
    if (items.length === 0) bad(); // "Empty listpack inside stream"
    if (masters.has(master)) bad(); // "Listpack re-added with existing key"
    masters.add(master);
    const entries: StreamEntryImage[] = [];
    nodeEntries(master, items, entries);
    nodes.push({ master, entries });
  }
  // The rax orders nodes by key whatever order they came in.
  nodes.sort((a, b) => ascending(a.master, b.master));
  const entries: StreamEntryImage[] = [];
  for (const node of nodes) {
    for (const e of node.entries) {
      if (entries.length > 0 && e.id <= entries[entries.length - 1].id) bad();
      entries.push(e);
    }
  }
  const length = lenNumber(r);
  const lastId = loadId(r);
  let firstId = entries.length > 0 ? entries[0].id : 0n;
  let maxDeletedId = 0n;
  let entriesAdded = length;
  if (!legacy) {
    firstId = loadId(r);
    maxDeletedId = loadId(r);
    entriesAdded = lenNumber(r);
  }
  if (length !== entries.length) bad();
  if (entries.length > 0 && entries[entries.length - 1].id > lastId) bad();
  const groupCount = countOf(r, 5);
  const groups: GroupImage[] = [];
  const groupNames = new Set<string>();
  for (let k = 0; k < groupCount; k++) {
    const g = loadGroup(r, legacy ? { length, lastId, firstId, maxDeletedId, entriesAdded } : null);
    if (groupNames.has(g.name)) bad(); // "Duplicated consumer group name"
    groupNames.add(g.name);
    groups.push(g);
  }
  return { entries, lastId, firstId, maxDeletedId, entriesAdded, groups: groups.sort(byName) };
}
