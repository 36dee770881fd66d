// The RDB codec's primitives, shared by every reader and writer of Redis's format (rdb.ts,
// rdb-write.ts, rdb-file.ts, stream-rdb.ts) and by corral's own payloads (dump.ts): a bounded
// reader (lengths, strings int-encoded or LZF-compressed), a listpack walker that checks the
// whole blob, a growable output buffer with rdbSaveLen / rdbSaveRawString, and a listpack
// builder writing entries as lpAppend does. A leaf: it imports no payload module, so that those
// may import each other's users without a circle.

import { latin1, writeLatin1 } from '../util/bytes.js';
import { lzfCompress, lzfDecompress } from '../util/lzf.js';
import { DumpFormatError } from './dump-errors.js';
import { RDB_ENC_INT8, RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_LZF, LZF_MAX_RATIO, backlen, canonicalInt } from './rdb-format.js';

function bad(): never {
  throw new DumpFormatError();
}

// ---- reading ----

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

/**
 * The entries of a listpack blob, validated whole (lpValidateIntegrity with deep checks). The
 * header's element count is checked unless `checkCount` is false (a stream's listpack: Redis
 * walks its entries with its own checks, which leave that count out).
 */
export function listpackEntries(lp: Buffer, checkCount = true): string[] {
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
  if (checkCount && declared !== 65535 && declared !== out.length) bad();
  return out;
}

// ---- writing ----

/** A growable output buffer. */
export class RdbOut {
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
export function rdbSaveLen(o: RdbOut, n: number): void {
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
export function rdbSaveBlob(o: RdbOut, b: Buffer): void {
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
      rdbSaveLen(o, c.length);
      rdbSaveLen(o, len);
      o.bytes(c);
      return;
    }
  }
  rdbSaveLen(o, len);
  o.bytes(b);
}

/**
 * A listpack builder: entries as lpAppend writes them (integers when string2ll takes them),
 * written straight into one growing buffer after the 6 header bytes.
 */
export class ListpackBuilder {
  private readonly out = new RdbOut();
  private readonly tail: number[] = [];
  bytes = 7; // header (6) and terminator
  count = 0;

  constructor() {
    this.out.n = 6;
  }

  append(s: string): void {
    const o = this.out;
    const start = o.n;
    const v = s.length <= 20 ? canonicalInt(s) : null;
    if (v !== null) {
      o.room(9);
      if (v >= 0n && v <= 127n) {
        o.buf[o.n++] = Number(v);
      } else if (v >= -4096n && v <= 4095n) {
        const u = v < 0n ? 8192 + Number(v) : Number(v);
        o.buf[o.n++] = (u >>> 8) | 0xc0;
        o.buf[o.n++] = u & 0xff;
      } else {
        let width: number;
        let tag: number;
        if (v >= -32768n && v <= 32767n) [width, tag] = [2, 0xf1];
        else if (v >= -8388608n && v <= 8388607n) [width, tag] = [3, 0xf2];
        else if (v >= -2147483648n && v <= 2147483647n) [width, tag] = [4, 0xf3];
        else [width, tag] = [8, 0xf4];
        o.buf[o.n++] = tag;
        let u = BigInt.asUintN(64, v);
        for (let k = 0; k < width; k++) {
          o.buf[o.n++] = Number(u & 0xffn);
          u >>= 8n;
        }
      }
    } else {
      const len = s.length;
      o.room(5 + len);
      if (len < 64) {
        o.buf[o.n++] = 0x80 | len;
      } else if (len < 4096) {
        o.buf[o.n++] = 0xe0 | (len >>> 8);
        o.buf[o.n++] = len & 0xff;
      } else {
        o.buf[o.n++] = 0xf0;
        o.buf.writeUInt32LE(len, o.n);
        o.n += 4;
      }
      o.n += writeLatin1(o.buf, s, o.n);
    }
    const tail = this.tail;
    tail.length = 0;
    backlen(o.n - start, tail);
    o.room(tail.length);
    for (const x of tail) o.buf[o.n++] = x;
    this.bytes += o.n - start;
    this.count++;
  }

  /** The listpack (a view of the builder's buffer: read it before appending again). */
  finish(): Buffer {
    const o = this.out;
    o.room(1);
    o.buf[o.n] = 0xff;
    const b = o.buf.subarray(0, o.n + 1);
    b.writeUInt32LE(this.bytes, 0);
    b.writeUInt16LE(this.count < 65535 ? this.count : 65535, 4);
    return b;
  }
}
