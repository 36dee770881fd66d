// The dataset side of DEBUG (server/commands/debug.ts): DIGEST and DIGEST-VALUE with Redis 7.0's
// algorithm (debug.c's xorDigest, mixDigest and xorObjectDigest), DEBUG OBJECT's line, and
// RELOAD's save-and-load round trip through the Redis-format RDB writer and reader
// (store/rdb-write.ts, store/rdb.ts).
//
// Digests: every key's digest is SHA1-mixed from its name, its type, its content and whether it
// has a TTL (not the TTL itself); the dataset's is the XOR of its keys' (so the order keys are
// visited in does not matter), each database's keys after the database's number. Unordered
// collections (sets, hashes, sorted sets) XOR their elements' digests; lists mix theirs in order.
// Equal data gives equal digests on corral and on redis-server, whatever the encodings.
//
// RELOAD: corral writes no RDB file. The "file" is kept in memory, per node: every key's
// Redis-format payload (what DUMP sends) with its expiry time (and corral's CACHE.SET stale time,
// which Redis's format cannot carry), and the FUNCTION DUMP payload of the libraries. Loading it
// decodes each payload as RESTORE does, so encodings come back as Redis's loader converts them.
// The last save is kept for RELOAD NOSAVE.

import { createHash } from 'node:crypto';
import { formatDouble } from '../../protocol/reply-writer.js';
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STREAM, TYPE_STRING, TYPE_ZSET, Entry, type ValueType } from '../../store/entry.js';
import type { Keyspace } from '../../store/keyspace.js';
import type { HashValue } from '../../store/hash-value.js';
import type { Deque } from '../../store/deque.js';
import type { SortedSet } from '../../store/sorted-set.js';
import type { StreamValue } from '../../store/stream.js';
import { streamIdMs, streamIdSeq } from '../../store/stream-image.js';
import { STREAM_ID_MAX } from '../../commands/stream-ids.js';
import { restoreValue, type DumpableSet } from '../../store/dump.js';
import { decodeRdb, rdbDumpId } from '../../store/rdb.js';
import { RDB_TYPE_LIST_QUICKLIST_2 } from '../../store/rdb-format.js';
import { encodingOf } from './introspection.js';
import type { ServerApi } from '../server-api.js';

// ---- digests ------------------------------------------------------------------------------------

/** Redis's object type numbers (OBJ_STRING...), which the digest mixes in, by corral's type. */
const REDIS_TYPE: Record<ValueType, number> = { [TYPE_STRING]: 0, [TYPE_LIST]: 1, [TYPE_SET]: 2, [TYPE_ZSET]: 3, [TYPE_HASH]: 4, [TYPE_STREAM]: 6 };

function sha1(data: Buffer): Buffer {
  return createHash('sha1').update(data).digest();
}

function bytesOf(s: string | Buffer): Buffer {
  return typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
}

/** digest ^= SHA1(data): the order of XORed items does not matter. */
function xorDigest(digest: Buffer, data: string | Buffer): void {
  const h = sha1(bytesOf(data));
  for (let j = 0; j < 20; j++) digest[j] ^= h[j];
}

/** digest = SHA1(digest ^ SHA1(data)): the order of mixed items does. */
function mixDigest(digest: Buffer, data: string | Buffer): void {
  xorDigest(digest, data);
  sha1(digest).copy(digest);
}

function uint32BE(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** xorObjectDigest: mixes the value held at `id` (type, content, whether it has a TTL) into digest. */
function mixValue(db: Keyspace, id: number, digest: Buffer): void {
  const type = db.typeOf(id);
  mixDigest(digest, uint32BE(REDIS_TYPE[type]));
  if (type === TYPE_STRING) {
    mixDigest(digest, db.stringOf(id));
  } else if (type === TYPE_LIST) {
    const d = db.objectOf(id) as Deque;
    for (let i = 0; i < d.length; i++) mixDigest(digest, d.get(i)!);
  } else if (type === TYPE_SET) {
    for (const m of (db.objectOf(id) as DumpableSet).members()) xorDigest(digest, m);
  } else if (type === TYPE_ZSET) {
    const ele = Buffer.allocUnsafe(20);
    for (const it of (db.objectOf(id) as SortedSet).toArray()) {
      ele.fill(0);
      mixDigest(ele, it.member);
      mixDigest(ele, formatDouble(it.score));
      xorDigest(digest, ele);
    }
  } else if (type === TYPE_STREAM) {
    // Entries in ID order, each as "ms.seq" then its fields and values (7.0 leaves groups out).
    (db.objectOf(id) as StreamValue).forEachInRange(0n, STREAM_ID_MAX, false, (entryId, fields) => {
      mixDigest(digest, `${streamIdMs(entryId)}.${streamIdSeq(entryId)}`);
      for (const f of fields) mixDigest(digest, f);
      return true;
    });
  } else {
    const ele = Buffer.allocUnsafe(20);
    for (const [f, v] of (db.objectOf(id) as HashValue).entries()) {
      ele.fill(0);
      mixDigest(ele, f);
      mixDigest(ele, v);
      xorDigest(digest, ele);
    }
  }
  if (db.expireAtOf(id) !== 0) xorDigest(digest, '!!expire!!');
}

function hex(digest: Buffer): string {
  return digest.toString('hex');
}

/**
 * DEBUG DIGEST: 40 hex digits, all zeros for an empty dataset. Keys whose TTL passed but that
 * were not reclaimed yet count, as Redis's walk of its dictionaries finds them.
 */
export function datasetDigest(dbs: readonly Keyspace[]): string {
  const final = Buffer.alloc(20);
  const digest = Buffer.allocUnsafe(20);
  for (let j = 0; j < dbs.length; j++) {
    const db = dbs[j];
    if (db.size === 0) continue;
    // The database's number goes in, so the same keys in another database digest differently.
    mixDigest(final, uint32BE(j));
    for (const id of db.ids()) {
      digest.fill(0);
      mixDigest(digest, db.table.keyString(id));
      mixValue(db, id, digest);
      xorDigest(final, digest);
    }
  }
  return hex(final);
}

/** DEBUG DIGEST-VALUE: one key's value digest (not its name's), zeros for a missing key. */
export function valueDigest(db: Keyspace, key: string): string {
  const digest = Buffer.alloc(20);
  const id = db.table.findString(key);
  if (id >= 0) mixValue(db, id, digest);
  return hex(digest);
}

// ---- DEBUG OBJECT -------------------------------------------------------------------------------

/** A key's id, found as Redis's dictFind finds it: logically expired keys included; or -1. */
export function rawId(db: Keyspace, key: string): number {
  return db.table.findString(key);
}

/** rdbLoadLen over a payload: the length and where it ends (encoded values are not lengths here). */
function readLen(b: Buffer, p: number): [number, number] {
  const t = b[p] >> 6;
  if (t === 0) return [b[p] & 0x3f, p + 1];
  if (t === 1) return [((b[p] & 0x3f) << 8) | b[p + 1], p + 2];
  if (b[p] === 0x80) return [b.readUInt32BE(p + 1), p + 5];
  return [Number(b.readBigUInt64BE(p + 1)), p + 9];
}

/**
 * Redis's quicklist fields, from the list's RDB payload (its nodes as the writer cut them): node
 * count, average entries per node, fill (list-max-listpack-size), compression, listpack bytes.
 */
function quicklistFields(payload: Buffer, count: number, fill: number, compressDepth: number): string {
  if (payload[0] !== RDB_TYPE_LIST_QUICKLIST_2) return '';
  let [nodes, p] = readLen(payload, 1);
  const n = nodes;
  let bytes = 0;
  while (nodes-- > 0) {
    [, p] = readLen(payload, p); // container
    if (payload[p] === 0xc3) {
      // LZF: compressed length, then the listpack's own length.
      let clen: number;
      let ulen: number;
      [clen, p] = readLen(payload, p + 1);
      [ulen, p] = readLen(payload, p);
      bytes += ulen;
      p += clen;
    } else {
      let len: number;
      [len, p] = readLen(payload, p);
      bytes += len;
      p += len;
    }
  }
  const avg = n === 0 ? 0 : count / n;
  return ` ql_nodes:${n} ql_avg_node:${avg.toFixed(2)} ql_listpack_max:${fill} ql_compressed:${compressDepth !== 0 ? 1 : 0} ql_uncompressed_size:${bytes}`;
}

const OBJ_SHARED_INTEGERS = 10000;
const OBJ_SHARED_REFCOUNT = 2147483647;

/**
 * DEBUG OBJECT's status line. The address is made up from the database and the key's id, which
 * stay the same while the key exists (so an in-place INCR keeps it, as Redis's does); the
 * refcount is OBJECT REFCOUNT's, the encoding OBJECT ENCODING's, serializedlength the size of the
 * value's RDB encoding (DUMP's payload less its type byte and footer), lru Redis's LRU clock (or
 * LFU field) from the key's last access.
 */
export function objectLine(node: ServerApi, dbIndex: number, db: Keyspace, key: string, id: number): string {
  const type = db.typeOf(id);
  const e = new Entry(db, id, key, type === TYPE_STRING ? null : db.objectOf(id));
  const encoding = encodingOf(e, db);
  const store = node.store;
  const policy = store.evictionPolicy;
  const sharing = store.maxmemory === 0 || !(policy.endsWith('-lru') || policy.endsWith('-lfu'));
  const n = encoding === 'int' ? Number(e.value as string) : -1;
  const refcount = sharing && n >= 0 && n < OBJ_SHARED_INTEGERS ? OBJ_SHARED_REFCOUNT : 1;
  const payload = rdbDumpId(db, id, store.limits);
  const serialized = payload.length - 11;
  const now = store.clock.now();
  const last = e.lastAccess;
  const lru = policy.endsWith('-lfu') ? ((Math.floor(last / 60000) & 0xffff) << 8) | e.lfu : Math.floor(last / 1000) & 0xffffff;
  const idle = Math.max(0, Math.floor((now - last) / 1000));
  const address = (0x7f0000000000 + dbIndex * 0x100000000 + id * 48).toString(16);
  const extra =
    encoding === 'quicklist'
      ? quicklistFields(payload, (e.value as Deque).length, node.config.int('list-max-listpack-size'), node.config.int('list-compress-depth'))
      : '';
  return `Value at:0x${address} refcount:${refcount} encoding:${encoding} serializedlength:${serialized} lru:${lru} lru_seconds_idle:${idle}${extra}`;
}

// ---- RELOAD -------------------------------------------------------------------------------------

interface SavedKey {
  key: string;
  payload: Buffer;
  expireAt: number;
  staleAt: number;
}

interface SavedDataset {
  /** FUNCTION DUMP's payload, or null on a node without scripting. */
  functions: Buffer | null;
  /** Per database, its keys. */
  dbs: SavedKey[][];
}

/** The last save of each node (RELOAD NOSAVE loads it again). */
const lastSave = new WeakMap<ServerApi, SavedDataset>();

/** rdbSave: every key, those whose TTL passed included (the load skips them, as Redis's does). */
export function saveDataset(node: ServerApi): void {
  const dbs = node.store.dbs.map((db) => {
    const keys: SavedKey[] = [];
    for (const id of db.ids()) {
      keys.push({ key: db.table.keyString(id), payload: rdbDumpId(db, id, node.store.limits), expireAt: db.expireAtOf(id), staleAt: db.staleAtOf(id) });
    }
    return keys;
  });
  lastSave.set(node, { functions: node.functions?.dump() ?? null, dbs });
}

/**
 * rdbLoad of the last save: false when there is none or it conflicts with what is there (a
 * library, or without `merge` a key, already present: Redis refuses the first and dies of the
 * second; corral refuses both and loads no key). `flush` empties the dataset and the libraries
 * first, as RELOAD without NOFLUSH does, even if nothing can be loaded. With `merge`, saved keys
 * and libraries replace those present.
 */
export function loadDataset(node: ServerApi, flush: boolean, merge: boolean): boolean {
  if (flush) {
    node.store.flushAll();
    node.functions?.flush();
  }
  const saved = lastSave.get(node);
  if (saved === undefined) return false;
  if (saved.functions !== null && node.functions !== null && node.functions.restore(saved.functions, merge ? 'replace' : 'append') !== null) return false;
  const dbs = node.store.dbs;
  if (!merge) {
    for (let j = 0; j < saved.dbs.length; j++) {
      for (const k of saved.dbs[j]) if (dbs[j].table.findString(k.key) >= 0) return false;
    }
  }
  const now = node.store.clock.now();
  for (let j = 0; j < saved.dbs.length; j++) {
    const db = dbs[j];
    for (const k of saved.dbs[j]) {
      // A primary skips keys whose TTL passed (a key already there stays); a replica loads them
      // and waits for its primary's DEL.
      if (k.expireAt !== 0 && k.expireAt <= now && !db.replicaMode) continue;
      const e = restoreValue(db, k.key, decodeRdb(k.payload, node.store.limits), { expireAt: k.expireAt, replace: true });
      if (e !== null && k.staleAt !== 0) e.staleAt = k.staleAt;
    }
  }
  return true;
}
