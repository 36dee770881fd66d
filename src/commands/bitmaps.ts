// Bitmap commands: Redis 7.0.15's SETBIT GETBIT BITCOUNT BITPOS BITOP, and the table entries of
// BITFIELD/BITFIELD_RO (bitfield.ts). Bitmaps are string values: every command works on the
// value's bytes in the key table (table.view), never on a string made from them, and SETBIT
// edits the byte it changes in place (Keyspace.openStringBytes, stringBytesEdited).
//
// Bit n is bit 7 - n % 8 of byte n / 8 (the first bit is the most significant of the first
// byte). Range arguments follow Redis's rules exactly, argument order and quirks included (7.0
// looks the key up before it parses BITCOUNT's and BITPOS's ranges, so a missing key answers 0
// whatever follows).

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_FAST, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import { int64Arg, optIs } from './strings.js';
import { bitOffsetArg, bitfieldCommand, bitfieldRoCommand, openBitmapForWrite, openedCreated, openedGrew } from './bitfield.js';
import { TYPE_STRING } from '../store/entry.js';
import { NOTIFY_GENERIC, NOTIFY_STRING } from './keyspace-events.js';

const ERR_BIT_VALUE = 'ERR bit is not an integer or out of range';
const ERR_BIT_ARG = 'ERR The bit argument must be 1 or 0.';
const ERR_BITOP_NOT = 'ERR BITOP NOT must be called with a single source key.';

// ---- byte-level algorithms ----

/** Set bits in each byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/**
 * Set bits in bytes [start, end) of b, whose u32 view is `words` (word k = bytes 4k..4k+3):
 * bytes up to the first word boundary, then whole words by SWAR (pairs, nibbles, then one
 * multiply sums the four byte counts into the top byte), then the tail bytes.
 */
function popcount(b: Buffer, words: Uint32Array, start: number, end: number): number {
  let n = 0;
  let i = start;
  if (end - i >= 64) {
    for (; i % 4 !== 0; i++) n += POPCOUNT[b[i]];
    const kEnd = Math.floor(end / 4);
    for (let k = i / 4; k < kEnd; k++) {
      let v = words[k];
      v -= (v >>> 1) & 0x55555555;
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      n += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    }
    i = kEnd * 4;
  }
  for (; i < end; i++) n += POPCOUNT[b[i]];
  return n;
}

/**
 * Redis's redisBitpos over bytes [start, start + count): the position (from start) of the first
 * bit equal to `bit`. None found: -1 when looking for 1, count * 8 when looking for 0 (the string
 * reads as zero-padded on the right). Whole words that cannot hold the bit are skipped.
 */
function bitpos(b: Buffer, words: Uint32Array, start: number, count: number, bit: number): number {
  const end = start + count;
  const skip = bit === 1 ? 0 : 0xff;
  let i = start;
  while (i < end && i % 4 !== 0 && b[i] === skip) i++;
  if (i < end && i % 4 === 0) {
    const wskip = bit === 1 ? 0 : 0xffffffff;
    const kEnd = Math.floor(end / 4);
    let k = i / 4;
    while (k < kEnd && words[k] === wskip) k++;
    i = k * 4;
  }
  while (i < end && b[i] === skip) i++;
  if (i === end) return bit === 1 ? -1 : count * 8;
  return (i - start) * 8 + bytePos(b[i], bit);
}

/** Position (0..7) of the first `bit` in a byte, from its top bit; -1 (bit 1) or 8 (bit 0) if none. */
function bytePos(byte: number, bit: number): number {
  if (bit === 1) return byte === 0 ? -1 : Math.clz32(byte) - 24;
  return byte === 0xff ? 8 : Math.clz32(~byte & 0xff) - 24;
}

// Redis's range arithmetic: negatives count from the end, then start >= 0 and end < totlen.
// Written to rangeStart/rangeEnd; exact for any int64 arguments (bigints past 2^53).
let rangeStart = 0;
let rangeEnd = 0;
function clampRange(start: number | bigint, end: number | bigint, totlen: number): void {
  if (typeof start === 'number' && typeof end === 'number') {
    if (start < 0) start += totlen;
    if (end < 0) end += totlen;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= totlen) end = totlen - 1;
    rangeStart = start;
    rangeEnd = end;
    return;
  }
  const len = BigInt(totlen);
  let s = BigInt(start);
  let e = BigInt(end);
  if (s < 0n) s += len;
  if (e < 0n) e += len;
  if (s < 0n) s = 0n;
  if (e < 0n) e = 0n;
  if (e >= len) e = len - 1n;
  // A start past the end only has to stay past it.
  rangeStart = Number(s > len ? len : s);
  rangeEnd = Number(e);
}

// ---- commands ----

function setbitCommand(c: CommandContext): void {
  const offset = bitOffsetArg(c, 2, 0, true);
  if (offset < 0) return;
  const on = c.int(3);
  if (on !== 0 && on !== 1) {
    c.w.error(ERR_BIT_VALUE);
    return;
  }
  const byte = Math.floor(offset / 8);
  const id = openBitmapForWrite(c, byte + 1);
  if (id < 0) return;
  const t = c.db.table;
  const p = t.vstart + byte;
  const mask = 0x80 >>> (offset - byte * 8);
  const old = t.vbuf[p];
  const next = on === 1 ? old | mask : old & ~mask;
  t.vbuf[p] = next;
  // As Redis 7.0.15: a change only if the value grew or the bit flipped.
  if (!openedCreated && (openedGrew || next !== old)) c.db.stringBytesEdited(id, openedGrew);
  if (openedCreated || openedGrew || next !== old) c.notifyArg(NOTIFY_STRING, 'setbit', 1);
  c.w.integer(old & mask ? 1 : 0);
}

function getbitCommand(c: CommandContext): void {
  const offset = bitOffsetArg(c, 2, 0, false);
  if (offset < 0) return;
  const a = c.args;
  const db = c.db;
  const id = db.findRead(a.buf, a.start[1], a.end[1]);
  if (id < 0) {
    c.w.integer(0);
    return;
  }
  if (db.typeOf(id) !== TYPE_STRING) {
    c.w.error(ERR_WRONGTYPE);
    return;
  }
  const t = db.table;
  t.view(id);
  const byte = Math.floor(offset / 8);
  const p = t.vstart + byte;
  c.w.integer(p < t.vend && t.vbuf[p] & (0x80 >>> (offset - byte * 8)) ? 1 : 0);
}

/**
 * Looks argument 1's key up for BITCOUNT/BITPOS and views its value: 0 when missing, -1 after
 * replying WRONGTYPE, 1 when table.vbuf/vstart/vend show it.
 */
function viewForRead(c: CommandContext): number {
  const a = c.args;
  const db = c.db;
  const id = db.findRead(a.buf, a.start[1], a.end[1]);
  if (id < 0) return 0;
  if (db.typeOf(id) !== TYPE_STRING) {
    c.w.error(ERR_WRONGTYPE);
    return -1;
  }
  db.table.view(id);
  return 1;
}

/** BIT or BYTE at argument i: 1, 0, or -1 after a syntax error reply. */
function unitArg(c: CommandContext, i: number): number {
  if (optIs(c, i, 'bit')) return 1;
  if (optIs(c, i, 'byte')) return 0;
  c.w.error(ERR_SYNTAX);
  return -1;
}

/** BITCOUNT key [start end [BYTE|BIT]] */
function bitcountCommand(c: CommandContext): void {
  const found = viewForRead(c);
  if (found < 0) return;
  if (found === 0) {
    c.w.integer(0);
    return;
  }
  const t = c.db.table;
  const b = t.vbuf;
  const base = t.vstart;
  const len = t.vend - base;
  const argc = c.argc;
  let start = 0;
  let end = len - 1;
  let firstMask = 0;
  let lastMask = 0;
  if (argc === 4 || argc === 5) {
    const s = int64Arg(c, 2);
    const e = s === undefined ? undefined : int64Arg(c, 3);
    if (s === undefined || e === undefined) {
      c.w.error(ERR_NOT_INTEGER);
      return;
    }
    if (s < 0 && e < 0 && s > e) {
      c.w.integer(0);
      return;
    }
    const isBit = argc === 5 ? unitArg(c, 4) : 0;
    if (isBit < 0) return;
    clampRange(s, e, isBit ? len * 8 : len);
    start = rangeStart;
    end = rangeEnd;
    if (isBit && start <= end) {
      // Bits of the edge bytes outside the range, subtracted from the bytes' count.
      firstMask = ~((1 << (8 - (start % 8))) - 1) & 0xff;
      lastMask = (1 << (7 - (end % 8))) - 1;
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  } else if (argc !== 2) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  if (start > end) {
    c.w.integer(0);
    return;
  }
  let n = popcount(b, t.cw, base + start, base + end + 1);
  if (firstMask !== 0) n -= POPCOUNT[b[base + start] & firstMask];
  if (lastMask !== 0) n -= POPCOUNT[b[base + end] & lastMask];
  c.w.integer(n);
}

/** BITPOS key bit [start [end [BYTE|BIT]]] */
function bitposCommand(c: CommandContext): void {
  const bit = c.int(2);
  if (bit === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  if (bit !== 0 && bit !== 1) {
    c.w.error(ERR_BIT_ARG);
    return;
  }
  const found = viewForRead(c);
  if (found < 0) return;
  if (found === 0) {
    c.w.integer(bit === 1 ? -1 : 0);
    return;
  }
  const t = c.db.table;
  const b = t.vbuf;
  const words = t.cw;
  const base = t.vstart;
  const len = t.vend - base;
  const argc = c.argc;
  let start = 0;
  let end = len - 1;
  let endGiven = false;
  let firstMask = 0;
  let lastMask = 0;
  if (argc >= 4 && argc <= 6) {
    const s = int64Arg(c, 3);
    if (s === undefined) {
      c.w.error(ERR_NOT_INTEGER);
      return;
    }
    const isBit = argc === 6 ? unitArg(c, 5) : 0;
    if (isBit < 0) return;
    let e: number | bigint | undefined;
    if (argc >= 5) {
      e = int64Arg(c, 4);
      if (e === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      endGiven = true;
    } else {
      e = isBit ? len * 8 + 7 : len - 1;
    }
    clampRange(s, e, isBit ? len * 8 : len);
    start = rangeStart;
    end = rangeEnd;
    if (isBit && start <= end) {
      firstMask = ~((1 << (8 - (start % 8))) - 1) & 0xff;
      lastMask = (1 << (7 - (end % 8))) - 1;
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  } else if (argc !== 3) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  if (start > end) {
    c.w.integer(-1);
    return;
  }
  // Redis's walk, kept step for step: the first byte with its out-of-range bits forced to the
  // value not looked for, then the whole bytes, then the last byte likewise. `bytes` and `start`
  // follow it, since the answer is measured from where the last step began.
  let bytes = end - start + 1;
  let pos = -1;
  search: {
    if (firstMask !== 0) {
      let tmp = bit ? b[base + start] & ~firstMask : b[base + start] | firstMask;
      if (lastMask !== 0 && bytes === 1) tmp = bit ? tmp & ~lastMask : tmp | lastMask;
      pos = bytePos(tmp & 0xff, bit);
      if (bytes === 1 || (pos !== -1 && pos !== 8)) break search;
      start++;
      bytes--;
    }
    const whole = bytes - (lastMask !== 0 ? 1 : 0);
    if (whole > 0) {
      pos = bitpos(b, words, base + start, whole, bit);
      if (bytes === whole || (pos !== -1 && pos !== whole * 8)) break search;
      start += whole;
      bytes -= whole;
    }
    pos = bytePos((bit ? b[base + end] & ~lastMask : b[base + end] | lastMask) & 0xff, bit);
  }
  // Looking for 0 in an explicit range: the bit past the range is not a zero of the string.
  if (endGiven && bit === 0 && pos === bytes * 8) {
    c.w.integer(-1);
    return;
  }
  c.w.integer(pos === -1 ? -1 : pos + start * 8);
}

// BITOP works a 64 KB chunk at a time in two aligned scratch buffers: the result's chunk, and
// one source's chunk copied there so both can be read as 32-bit words.
const CHUNK = 64 * 1024;
const resChunk = Buffer.allocUnsafeSlow(CHUNK);
const resWords = new Int32Array(resChunk.buffer, resChunk.byteOffset, CHUNK / 4);
const srcChunk = Buffer.allocUnsafeSlow(CHUNK);
const srcWords = new Int32Array(srcChunk.buffer, srcChunk.byteOffset, CHUNK / 4);
// The sources: ids, then where their values are (grown as needed).
let srcIds = new Int32Array(8);
let srcBuf: Buffer[] = [];
let srcStart = new Float64Array(8);
let srcLen = new Float64Array(8);

const OP_AND = 0;
const OP_OR = 1;
const OP_XOR = 2;
const OP_NOT = 3;

/** Copies bytes [off, off + m) of source j (zero past its end) to `to`, zero-padded to whole words. */
function loadChunk(j: number, off: number, m: number, to: Buffer): void {
  const have = Math.max(0, Math.min(m, srcLen[j] - off));
  if (have > 0) srcBuf[j].copy(to, 0, srcStart[j] + off, srcStart[j] + off + have);
  to.fill(0, have, Math.ceil(m / 4) * 4);
}

/** Result bytes [off, off + m) (m <= CHUNK) of op over the n sources, into resChunk. */
function bitopChunk(op: number, n: number, off: number, m: number): void {
  const mw = Math.ceil(m / 4);
  loadChunk(0, off, m, resChunk);
  if (op === OP_NOT) for (let k = 0; k < mw; k++) resWords[k] = ~resWords[k];
  for (let j = 1; j < n; j++) {
    if (op !== OP_AND && off >= srcLen[j]) continue; // zeros change nothing
    loadChunk(j, off, m, srcChunk);
    if (op === OP_AND) for (let k = 0; k < mw; k++) resWords[k] &= srcWords[k];
    else if (op === OP_OR) for (let k = 0; k < mw; k++) resWords[k] |= srcWords[k];
    else for (let k = 0; k < mw; k++) resWords[k] ^= srcWords[k];
  }
}

/** Points the source table at each source's value (after anything that may move values). */
function viewSources(c: CommandContext, n: number): void {
  const t = c.db.table;
  for (let j = 0; j < n; j++) {
    if (srcIds[j] < 0) {
      srcBuf[j] = srcChunk;
      srcStart[j] = srcLen[j] = 0;
    } else {
      t.view(srcIds[j]);
      srcBuf[j] = t.vbuf;
      srcStart[j] = t.vstart;
      srcLen[j] = t.vend - t.vstart;
    }
  }
}

/**
 * BITOP op dest key [key ...]: the result is as long as the longest source (shorter ones read as
 * zero bytes), computed chunk by chunk and word by word (bitopChunk). An empty result deletes
 * dest; otherwise dest is set, its TTL dropped and any type replaced. A result that fits one
 * chunk is stored from the scratch; a larger one is written straight into dest's value when dest
 * is not a source (reusing it in place when it is a string of that length without a TTL), else
 * built in a buffer first. Replies the result's length.
 */
function bitopCommand(c: CommandContext): void {
  let op: number;
  if (optIs(c, 1, 'and')) op = OP_AND;
  else if (optIs(c, 1, 'or')) op = OP_OR;
  else if (optIs(c, 1, 'xor')) op = OP_XOR;
  else if (optIs(c, 1, 'not')) op = OP_NOT;
  else {
    c.w.error(ERR_SYNTAX);
    return;
  }
  const argc = c.argc;
  if (op === OP_NOT && argc !== 4) {
    c.w.error(ERR_BITOP_NOT);
    return;
  }
  const a = c.args;
  const db = c.db;
  const t = db.table;
  const n = argc - 3;
  if (srcIds.length < n) {
    srcIds = new Int32Array(n * 2);
    srcStart = new Float64Array(n * 2);
    srcLen = new Float64Array(n * 2);
  }
  let maxlen = 0;
  for (let j = 0; j < n; j++) {
    const id = db.findRead(a.buf, a.start[j + 3], a.end[j + 3]);
    if (id >= 0) {
      if (db.typeOf(id) !== TYPE_STRING) {
        c.w.error(ERR_WRONGTYPE);
        return;
      }
      maxlen = Math.max(maxlen, t.valueLength(id));
    }
    srcIds[j] = id;
  }
  const ks = a.start[2];
  const ke = a.end[2];
  if (maxlen === 0) {
    if (db.findWrite(a.buf, ks, ke) >= 0 && db.delete(c.str(2))) c.notifyArg(NOTIFY_GENERIC, 'del', 2);
  } else if (maxlen <= CHUNK) {
    viewSources(c, n);
    bitopChunk(op, n, 0, maxlen);
    db.markRaw(db.setStringBytes(a.buf, ks, ke, resChunk, 0, maxlen, 0));
  } else {
    let dest = db.findWrite(a.buf, ks, ke);
    const isSource = dest >= 0 && srcIds.subarray(0, n).includes(dest);
    let out: Buffer;
    let outStart = 0;
    if (isSource) {
      out = Buffer.allocUnsafeSlow(maxlen);
    } else {
      const reuse = dest >= 0 && db.typeOf(dest) === TYPE_STRING && db.expireAtOf(dest) === 0 && t.valueLength(dest) === maxlen;
      if (!reuse) dest = db.setStringBytes(a.buf, ks, ke, resChunk, 0, 0, 0);
      db.openStringBytes(dest, maxlen, maxlen);
      if (reuse) db.stringBytesEdited(dest);
      viewSources(c, n);
      t.view(dest);
      out = t.vbuf;
      outStart = t.vstart;
    }
    if (isSource) viewSources(c, n);
    for (let off = 0; off < maxlen; off += CHUNK) {
      const m = Math.min(CHUNK, maxlen - off);
      bitopChunk(op, n, off, m);
      resChunk.copy(out, outStart + off, 0, m);
    }
    if (isSource) dest = db.setStringBytes(a.buf, ks, ke, out, 0, maxlen, 0);
    db.markRaw(dest); // Redis's result is a raw string
  }
  // Drop the references to value buffers (pages may be freed later).
  srcBuf.fill(srcChunk);
  if (maxlen !== 0) c.notifyArg(NOTIFY_STRING, 'set', 2);
  c.w.integer(maxlen);
}

const KEY1 = { firstKey: 1, lastKey: 1, keyStep: 1 };

export const bitmapCommands: CommandDef[] = [
  { name: 'setbit', arity: 4, flags: CMD_WRITE | CMD_DENYOOM, ...KEY1, handler: setbitCommand },
  { name: 'getbit', arity: 3, flags: CMD_READONLY | CMD_FAST, ...KEY1, handler: getbitCommand },
  { name: 'bitcount', arity: -2, flags: CMD_READONLY, ...KEY1, handler: bitcountCommand },
  { name: 'bitpos', arity: -3, flags: CMD_READONLY, ...KEY1, handler: bitposCommand },
  { name: 'bitop', arity: -4, flags: CMD_WRITE | CMD_DENYOOM, firstKey: 2, lastKey: -1, keyStep: 1, handler: bitopCommand },
  { name: 'bitfield', arity: -2, flags: CMD_WRITE | CMD_DENYOOM, ...KEY1, handler: bitfieldCommand },
  { name: 'bitfield_ro', arity: -2, flags: CMD_READONLY | CMD_FAST, ...KEY1, handler: bitfieldRoCommand },
];
