// Writing DUMP payloads in Redis 7.0.15's format (rdb-format.ts describes it): rdbDumpId encodes
// one key as rdbSaveObject does (rdbcompression yes), with the RDB version and CRC64 footer.
// rdbSaveValue is shared with the whole-file writer (rdb-file.ts); a stream's body is
// stream-rdb.ts's. The primitives (RdbOut, rdbSaveLen, rdbSaveBlob, ListpackBuilder) live in
// rdb-codec.ts and are re-exported here.

import { crc64Into } from '../util/crc64.js';
import { RdbOut as Out, rdbSaveLen as saveLen, rdbSaveBlob as saveBlob, ListpackBuilder } from './rdb-codec.js';
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STREAM, TYPE_STRING } from './entry.js';
import { DEFAULT_LIMITS } from './encoding-limits.js';
import type { StreamValue } from './stream.js';
import { encodeStreamObject, type StreamNodeLimits } from './stream-rdb.js';
import { HashValue } from './hash-value.js';
import type { Keyspace } from './keyspace.js';
import { SortedSet } from './sorted-set.js';
import { Deque } from './deque.js';
import { FOOTER_BYTES, type DumpableSet } from './dump.js';
import { RDB_VERSION, RDB_TYPE_STRING, RDB_TYPE_SET, RDB_TYPE_HASH, RDB_TYPE_ZSET_2, RDB_TYPE_SET_INTSET, RDB_TYPE_HASH_LISTPACK, RDB_TYPE_ZSET_LISTPACK, RDB_TYPE_LIST_QUICKLIST_2, RDB_TYPE_STREAM_LISTPACKS_2, QUICKLIST_NODE_CONTAINER_PACKED, QUICKLIST_NODE_BYTES, SIZE_ESTIMATE_OVERHEAD, canonicalInt, d2string } from './rdb-format.js';

// ---- encoding ----

function saveString(o: Out, s: string): void {
  saveBlob(o, Buffer.from(s, 'latin1'));
}

export { RdbOut, rdbSaveLen, rdbSaveBlob, ListpackBuilder } from './rdb-codec.js';

/** The intset blob of canonical integer members: sorted, in the smallest width that holds them. */
function intsetOf(members: readonly string[]): Buffer {
  const vals = members.map((m) => BigInt(m)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const v of vals) {
    if (v < -2147483648n || v > 2147483647n) width = 8;
    else if ((v < -32768n || v > 32767n) && width < 4) width = 4;
  }
  const b = Buffer.allocUnsafe(8 + width * vals.length);
  b.writeUInt32LE(width, 0);
  b.writeUInt32LE(vals.length, 4);
  let p = 8;
  for (const v of vals) {
    if (width === 2) b.writeInt16LE(Number(v), p);
    else if (width === 4) b.writeInt32LE(Number(v), p);
    else b.writeBigInt64LE(v, p);
    p += width;
  }
  return b;
}

/** Appends the version and CRC64 footer. */
function sealRdb(o: Out): Buffer {
  o.room(FOOTER_BYTES);
  o.buf[o.n++] = RDB_VERSION & 0xff;
  o.buf[o.n++] = RDB_VERSION >>> 8;
  crc64Into(o.buf, 0, o.n, o.buf, o.n);
  o.n += 8;
  return o.buf.subarray(0, o.n);
}

/**
 * The Redis-format DUMP payload of a live id (see the file comment). A stream's nodes are split
 * under `limits` (the node's stream-node-max-bytes / -entries).
 */
export function rdbDumpId(db: Keyspace, id: number, limits: StreamNodeLimits = DEFAULT_LIMITS): Buffer {
  const o = new Out();
  rdbSaveValue(o, db, id, limits);
  return sealRdb(o);
}

/** rdbSaveObjectType and rdbSaveObject: a live id's value type byte, then the value. */
export function rdbSaveValue(o: Out, db: Keyspace, id: number, limits: StreamNodeLimits = DEFAULT_LIMITS): void {
  const type = db.typeOf(id);
  if (type === TYPE_STRING) {
    const t = db.table;
    t.view(id);
    o.byte(RDB_TYPE_STRING);
    saveBlob(o, t.vbuf.subarray(t.vstart, t.vend));
    return;
  }
  const obj = db.objectOf(id);
  if (type === TYPE_STREAM) {
    o.byte(RDB_TYPE_STREAM_LISTPACKS_2);
    encodeStreamObject(o, (obj as StreamValue).toImage(), limits);
  } else if (type === TYPE_HASH) {
    const h = obj as HashValue;
    if (h.encoding() === 'listpack') {
      o.byte(RDB_TYPE_HASH_LISTPACK);
      const lp = new ListpackBuilder();
      for (const [f, v] of h.entries()) {
        lp.append(f);
        lp.append(v);
      }
      saveBlob(o, lp.finish());
    } else {
      o.byte(RDB_TYPE_HASH);
      saveLen(o, h.size);
      for (const [f, v] of h.entries()) {
        saveString(o, f);
        saveString(o, v);
      }
    }
  } else if (type === TYPE_LIST) {
    const d = obj as Deque;
    const nodes: ListpackBuilder[] = [];
    let node: ListpackBuilder | null = null;
    for (let i = 0; i < d.length; i++) {
      const s = d.get(i)!;
      if (node === null || node.bytes + s.length + SIZE_ESTIMATE_OVERHEAD > QUICKLIST_NODE_BYTES) {
        node = new ListpackBuilder();
        nodes.push(node);
      }
      node.append(s);
    }
    o.byte(RDB_TYPE_LIST_QUICKLIST_2);
    saveLen(o, nodes.length);
    for (const n of nodes) {
      saveLen(o, QUICKLIST_NODE_CONTAINER_PACKED);
      saveBlob(o, n.finish());
    }
  } else if (type === TYPE_SET) {
    const s = obj as DumpableSet;
    const members = s.members();
    if (s.intset && members.every((m) => canonicalInt(m) !== null)) {
      o.byte(RDB_TYPE_SET_INTSET);
      saveBlob(o, intsetOf(members));
    } else {
      o.byte(RDB_TYPE_SET);
      saveLen(o, members.length);
      for (const m of members) saveString(o, m);
    }
  } else {
    const z = obj as SortedSet;
    const items = z.toArray();
    if (z.encoding() === 'listpack') {
      o.byte(RDB_TYPE_ZSET_LISTPACK);
      const lp = new ListpackBuilder();
      for (const it of items) {
        lp.append(it.member);
        lp.append(d2string(it.score));
      }
      saveBlob(o, lp.finish());
    } else {
      o.byte(RDB_TYPE_ZSET_2);
      saveLen(o, items.length);
      const score = Buffer.allocUnsafe(8);
      for (let i = items.length - 1; i >= 0; i--) {
        saveString(o, items[i].member);
        score.writeDoubleLE(items[i].score, 0);
        o.bytes(score);
      }
    }
  }
}

/** The Redis-format payload of a key, or null if it is missing or logically expired. */
export function rdbDumpKey(db: Keyspace, key: string): Buffer | null {
  const id = db.table.findString(key);
  if (id < 0 || !db.isLiveForCopy(id)) return null;
  return rdbDumpId(db, id);
}

/** RDB_OPCODE_FUNCTION2: a function library (its code) in a FUNCTION DUMP payload or an RDB file. */
export const RDB_OPCODE_FUNCTION2 = 245;

/** FUNCTION DUMP's payload: each library's code after RDB_OPCODE_FUNCTION2, then version and CRC64. */
export function rdbDumpFunctions(codes: Buffer[]): Buffer {
  const o = new Out();
  for (const code of codes) {
    o.byte(RDB_OPCODE_FUNCTION2);
    saveBlob(o, code);
  }
  return sealRdb(o);
}
