// Writing DUMP payloads in Redis 7.0.15's format (rdb-format.ts describes it): rdbDumpId encodes
// one key as rdbSaveObject does (rdbcompression yes), with the RDB version and CRC64 footer. The
// encoders (RdbOut, rdbSaveLen, rdbSaveBlob, rdbSaveValue) are shared with the whole-file writer
// (rdb-file.ts).

import { crc64Into } from '../util/crc64.js';
import { lzfCompress } from '../util/lzf.js';
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STRING, TYPE_ZSET, type CollectionValue } from './entry.js';
import { HashValue } from './hash-value.js';
import type { Keyspace } from './keyspace.js';
import { SortedSet } from './sorted-set.js';
import { Deque } from './deque.js';
import { FOOTER_BYTES, type DumpableSet } from './dump.js';
import { latin1 } from '../util/bytes.js';
import { RDB_VERSION, RDB_TYPE_STRING, RDB_TYPE_SET, RDB_TYPE_HASH, RDB_TYPE_ZSET_2, RDB_TYPE_SET_INTSET, RDB_TYPE_HASH_LISTPACK, RDB_TYPE_ZSET_LISTPACK, RDB_TYPE_LIST_QUICKLIST_2, RDB_ENC_INT8, RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_LZF, QUICKLIST_NODE_CONTAINER_PACKED, QUICKLIST_NODE_BYTES, SIZE_ESTIMATE_OVERHEAD, canonicalInt, d2string, backlen } from './rdb-format.js';

// ---- encoding ----

/** A growable output buffer. */
class Out {
  buf = Buffer.allocUnsafe(256);
  n = 0;

  room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const b = Buffer.allocUnsafe(cap);
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }

  byte(v: number): void {
    this.room(1);
    this.buf[this.n++] = v;
  }

  bytes(b: Buffer): void {
    this.room(b.length);
    b.copy(this.buf, this.n);
    this.n += b.length;
  }
}

/** rdbSaveLen. */
function saveLen(o: Out, n: number): void {
  if (n < 1 << 6) {
    o.byte(n);
  } else if (n < 1 << 14) {
    o.room(2);
    o.buf[o.n++] = 0x40 | (n >>> 8);
    o.buf[o.n++] = n & 0xff;
  } else if (n <= 0xffffffff) {
    o.room(5);
    o.buf[o.n++] = 0x80;
    o.buf.writeUInt32BE(n, o.n);
    o.n += 4;
  } else {
    o.room(9);
    o.buf[o.n++] = 0x81;
    o.buf.writeBigUInt64BE(BigInt(n), o.n);
    o.n += 8;
  }
}

/** rdbSaveRawString over bytes: int encoding, LZF, or raw. */
function saveBlob(o: Out, b: Buffer): void {
  const len = b.length;
  if (len <= 11) {
    const v = canonicalInt(latin1(b, 0, len));
    if (v !== null && v >= -(2n ** 31n) && v < 2n ** 31n) {
      const n = Number(v);
      o.room(5);
      if (n >= -128 && n <= 127) {
        o.buf[o.n++] = 0xc0 | RDB_ENC_INT8;
        o.buf.writeInt8(n, o.n);
        o.n += 1;
      } else if (n >= -32768 && n <= 32767) {
        o.buf[o.n++] = 0xc0 | RDB_ENC_INT16;
        o.buf.writeInt16LE(n, o.n);
        o.n += 2;
      } else {
        o.buf[o.n++] = 0xc0 | RDB_ENC_INT32;
        o.buf.writeInt32LE(n, o.n);
        o.n += 4;
      }
      return;
    }
  }
  if (len > 20) {
    const c = lzfCompress(b, 0, len, len - 4);
    if (c !== null) {
      o.byte(0xc0 | RDB_ENC_LZF);
      saveLen(o, c.length);
      saveLen(o, len);
      o.bytes(c);
      return;
    }
  }
  saveLen(o, len);
  o.bytes(b);
}

function saveString(o: Out, s: string): void {
  saveBlob(o, Buffer.from(s, 'latin1'));
}

export { Out as RdbOut, saveLen as rdbSaveLen, saveBlob as rdbSaveBlob };

/** A listpack builder: entries as lpAppend writes them (integers when string2ll takes them). */
class ListpackBuilder {
  private parts: Buffer[] = [];
  bytes = 7; // header (6) and terminator
  count = 0;

  append(s: string): void {
    const head: number[] = [];
    let data: Buffer | null = null;
    const v = s.length <= 20 ? canonicalInt(s) : null;
    if (v !== null) {
      if (v >= 0n && v <= 127n) {
        head.push(Number(v));
      } else if (v >= -4096n && v <= 4095n) {
        const u = v < 0n ? 8192 + Number(v) : Number(v);
        head.push((u >>> 8) | 0xc0, u & 0xff);
      } else {
        let width: number;
        let tag: number;
        if (v >= -32768n && v <= 32767n) [width, tag] = [2, 0xf1];
        else if (v >= -8388608n && v <= 8388607n) [width, tag] = [3, 0xf2];
        else if (v >= -2147483648n && v <= 2147483647n) [width, tag] = [4, 0xf3];
        else [width, tag] = [8, 0xf4];
        head.push(tag);
        let u = BigInt.asUintN(64, v);
        for (let k = 0; k < width; k++) {
          head.push(Number(u & 0xffn));
          u >>= 8n;
        }
      }
    } else {
      const len = s.length;
      if (len < 64) head.push(0x80 | len);
      else if (len < 4096) head.push(0xe0 | (len >>> 8), len & 0xff);
      else head.push(0xf0, len & 0xff, (len >>> 8) & 0xff, (len >>> 16) & 0xff, (len >>> 24) & 0xff);
      data = Buffer.from(s, 'latin1');
    }
    const entryLen = head.length + (data === null ? 0 : data.length);
    const tail: number[] = [];
    backlen(entryLen, tail);
    this.parts.push(Buffer.from(head));
    if (data !== null) this.parts.push(data);
    this.parts.push(Buffer.from(tail));
    this.bytes += entryLen + tail.length;
    this.count++;
  }

  finish(): Buffer {
    const b = Buffer.allocUnsafe(this.bytes);
    b.writeUInt32LE(this.bytes, 0);
    b.writeUInt16LE(this.count < 65535 ? this.count : 65535, 4);
    let p = 6;
    for (const part of this.parts) p += part.copy(b, p);
    b[p] = 0xff;
    return b;
  }
}

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

/** The Redis-format DUMP payload of a live id (see the file comment). */
export function rdbDumpId(db: Keyspace, id: number): Buffer {
  const o = new Out();
  rdbSaveValue(o, db, id);
  return sealRdb(o);
}

/** rdbSaveObjectType and rdbSaveObject: a live id's value type byte, then the value. */
export function rdbSaveValue(o: Out, db: Keyspace, id: number): void {
  const type = db.typeOf(id);
  if (type === TYPE_STRING) {
    const t = db.table;
    t.view(id);
    o.byte(RDB_TYPE_STRING);
    saveBlob(o, t.vbuf.subarray(t.vstart, t.vend));
    return;
  }
  const obj = db.objectOf(id);
  if (type === TYPE_HASH) {
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
