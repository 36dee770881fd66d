// BITFIELD and BITFIELD_RO (Redis 7.0.15's bitfieldGeneric), and the bit-addressing helpers
// SETBIT shares with them (bitmaps.ts): bit offset arguments checked against proto-max-bulk-len,
// and opening a string key for a bit write (created or grown with zero bytes, then edited in
// place in the key table: no copy of the value, no string made).
//
// A field is `bits` wide (u1..u63, i1..i64) at bit `offset`, bit 0 being the most significant
// bit of the first byte (SETBIT's order), read big-endian. Fields of up to 32 bits are read and
// written as Numbers over the (at most 5) bytes they touch; wider ones as bigints over up to 9.
// Overflow (OVERFLOW WRAP|SAT|FAIL, per operation) follows Redis's checkSigned/Unsigned-
// BitfieldOverflow exactly, including the int64 wrap-arounds in its bounds arithmetic.

import type { CommandContext } from './context.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import { int64Arg, optIs } from './strings.js';
import { TYPE_STRING } from '../store/entry.js';
import { parseInt64Big, parseInteger } from '../util/bytes.js';
import { NOTIFY_STRING } from './keyspace-events.js';

export const ERR_BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
const ERR_BITFIELD_TYPE = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
const ERR_OVERFLOW_TYPE = 'ERR Invalid OVERFLOW type specified';
const ERR_BITFIELD_RO = 'ERR BITFIELD_RO only supports the GET subcommand';

/**
 * The most bytes a bit write may make a value span whatever proto-max-bulk-len says: V8's
 * longest string (2^29 - 24 characters) less the 8 bytes a BITFIELD may write past its offset's
 * byte. Commands of the string family still build JS strings from values (STRLEN, GETRANGE,
 * APPEND...), and a value longer than V8's limit would make them throw; so SETBIT and BITFIELD's
 * SET/INCRBY refuse offsets from bit 4294967040 on, where Redis's default limit refuses them from
 * bit 4294967296 on. Reads (GETBIT, BITFIELD GET) keep Redis's limit.
 */
const MAX_VALUE_BYTES = 2 ** 29 - 32;

/**
 * The bytes a bitmap may span: bit offsets must stay below 8x this. proto-max-bulk-len, which
 * Redis does not apply to its primary's stream (nor corral while applying it); for a write
 * (`write`), never more than MAX_VALUE_BYTES.
 */
export function bitmapByteLimit(c: CommandContext, write: boolean): number {
  const limit = c.store.ignoreExpiry ? Infinity : c.store.maxStringLength;
  return write && limit > MAX_VALUE_BYTES ? MAX_VALUE_BYTES : limit;
}

/**
 * Argument i as a bit offset (Redis's getBitOffsetFromArgument): a non-negative int64 whose byte
 * is below bitmapByteLimit. With `bits` > 0 (BITFIELD), "#n" means n * bits, multiplied in int64
 * with C's wrap-around. Returns -1 after replying the error.
 */
export function bitOffsetArg(c: CommandContext, i: number, bits: number, write: boolean): number {
  const a = c.args;
  let s = a.start[i];
  const e = a.end[i];
  const hash = bits > 0 && s < e && a.buf[s] === 35; /* '#' */
  if (hash) s++;
  let n = parseInteger(a.buf, s, e);
  if (n !== undefined && hash) {
    n *= bits;
    if (!Number.isSafeInteger(n)) n = Number(BigInt.asIntN(64, parseInt64Big(a.buf, s, e)! * BigInt(bits)));
  }
  if (n === undefined || n < 0 || Math.floor(n / 8) >= bitmapByteLimit(c, write)) {
    c.w.error(ERR_BIT_OFFSET);
    return -1;
  }
  return n;
}

/** Zero bytes to create small bitmaps from (never written). */
const ZEROS = Buffer.alloc(4096);

/** Set by openBitmapForWrite: whether the key was created, or its value grown. */
export let openedCreated = false;
export let openedGrew = false;

/**
 * Opens argument 1's key for a bit write reaching byte `byteLen` - 1 (Redis's
 * lookupStringForBitCommand) and returns its id, or -1 after replying WRONGTYPE. A missing key is
 * created with zero bytes (a write, signalled), a shorter value is padded with zero bytes (see
 * Keyspace.openStringBytes); table.vbuf/vstart/vend then show the value, to edit in place. The
 * caller reports a change to an existing key with stringBytesEdited.
 */
export function openBitmapForWrite(c: CommandContext, byteLen: number): number {
  const a = c.args;
  const db = c.db;
  let id = db.findWrite(a.buf, a.start[1], a.end[1]);
  const maxLen = bitmapByteLimit(c, true) + 8;
  openedCreated = id < 0;
  if (id >= 0) {
    if (db.typeOf(id) !== TYPE_STRING) {
      c.w.error(ERR_WRONGTYPE);
      return -1;
    }
    openedGrew = db.openStringBytes(id, byteLen, maxLen);
  } else if (byteLen <= ZEROS.length) {
    id = db.setStringBytes(a.buf, a.start[1], a.end[1], ZEROS, 0, byteLen, 0);
    db.table.view(id);
    openedGrew = true;
  } else {
    // Large: created empty, then grown in place (no zero buffer the size of the value is made).
    id = db.setStringBytes(a.buf, a.start[1], a.end[1], ZEROS, 0, 0, 0);
    openedGrew = db.openStringBytes(id, byteLen, maxLen);
  }
  db.markRaw(id); // as Redis's unshared (raw) value
  return id;
}

// ---- reading and writing fields ----

const POW2: number[] = [];
for (let k = 0; k <= 64; k++) POW2.push(2 ** k);

/** The `bits` (<= 32) bits at bit `offset` of bytes [start, end), zero past end, as an unsigned Number. */
function readSmall(b: Buffer, start: number, end: number, offset: number, bits: number): number {
  const first = Math.floor(offset / 8);
  const shift = offset - first * 8;
  const nbytes = (shift + bits + 7) >> 3;
  let acc = 0;
  for (let k = 0; k < nbytes; k++) {
    const p = start + first + k;
    acc = acc * 256 + (p < end ? b[p] : 0);
  }
  return Math.floor(acc / POW2[nbytes * 8 - shift - bits]) % POW2[bits];
}

/** Writes `v` (0 <= v < 2^bits, bits <= 32) at bit `offset` of the value starting at `start` (which covers it). */
function writeSmall(b: Buffer, start: number, offset: number, bits: number, v: number): void {
  const first = start + Math.floor(offset / 8);
  const shift = offset % 8;
  const nbytes = (shift + bits + 7) >> 3;
  const low = nbytes * 8 - shift - bits;
  let acc = 0;
  for (let k = 0; k < nbytes; k++) acc = acc * 256 + b[first + k];
  const hi = Math.floor(acc / POW2[low + bits]);
  acc = (hi * POW2[bits] + v) * POW2[low] + (acc % POW2[low]);
  for (let k = nbytes - 1; k >= 0; k--) {
    const byte = acc % 256;
    b[first + k] = byte;
    acc = (acc - byte) / 256;
  }
}

/** readSmall for any width up to 64, as an unsigned bigint. */
function readBig(b: Buffer, start: number, end: number, offset: number, bits: number): bigint {
  const first = Math.floor(offset / 8);
  const shift = offset - first * 8;
  const nbytes = (shift + bits + 7) >> 3;
  let acc = 0n;
  for (let k = 0; k < nbytes; k++) {
    const p = start + first + k;
    acc = (acc << 8n) | BigInt(p < end ? b[p] : 0);
  }
  return BigInt.asUintN(bits, acc >> BigInt(nbytes * 8 - shift - bits));
}

/** writeSmall for any width up to 64: the low `bits` bits of v. */
function writeBig(b: Buffer, start: number, offset: number, bits: number, v: bigint): void {
  const first = start + Math.floor(offset / 8);
  const shift = offset % 8;
  const nbytes = (shift + bits + 7) >> 3;
  const low = BigInt(nbytes * 8 - shift - bits);
  let acc = 0n;
  for (let k = 0; k < nbytes; k++) acc = (acc << 8n) | BigInt(b[first + k]);
  const mask = ((1n << BigInt(bits)) - 1n) << low;
  acc = (acc & ~mask) | ((BigInt.asUintN(bits, v) << low) & mask);
  for (let k = nbytes - 1; k >= 0; k--) {
    b[first + k] = Number(acc & 0xffn);
    acc >>= 8n;
  }
}

// ---- overflow ----

const OVERFLOW_WRAP = 0;
const OVERFLOW_SAT = 1;
const OVERFLOW_FAIL = 2;

/**
 * The outcome of applySmall/applyBig: the field's new bits (unsigned) and the reply; or
 * resultFail, when OVERFLOW FAIL refused the operation (nothing stored, nil replied).
 */
let resultStore: number | bigint = 0;
let resultReply: number | bigint = 0;
let resultFail = false;

/** Operands up to this size go to applySmall: added to a 32-bit field they stay exact. */
const SMALL_OPERAND = 2 ** 52;

/**
 * SET/INCRBY on a field of up to 32 bits with an operand of at most SMALL_OPERAND: plain
 * arithmetic is exact here (no int64 wrap can occur), so overflow is just leaving [min, max].
 */
function applySmall(old: number, operand: number, bits: number, signed: boolean, incr: boolean, ow: number): void {
  const size = POW2[bits];
  const max = signed ? POW2[bits - 1] - 1 : size - 1;
  const min = signed ? -POW2[bits - 1] : 0;
  const value = signed && old > max ? old - size : old;
  const target = incr ? value + operand : operand;
  let next = target;
  if (target > max || target < min) {
    if (ow === OVERFLOW_FAIL) {
      resultFail = true;
      return;
    }
    if (ow === OVERFLOW_SAT) {
      // An unsigned SET of a negative value overflows upwards: Redis sees it as a huge uint64.
      next = target > max || (!signed && !incr) ? max : min;
    } else {
      next = ((target % size) + size) % size;
      if (signed && next > max) next -= size;
    }
  }
  resultFail = false;
  resultStore = next < 0 ? next + size : next;
  resultReply = incr ? next : value;
}

/** Redis's checkSignedBitfieldOverflow, int64 arithmetic and all: 1 over, -1 under, 0 fits. */
function signedOverflow(value: bigint, incr: bigint, bits: number): number {
  const max = (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) return 1;
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) return -1;
  return 0;
}

/** SET/INCRBY in bigints: any width, any int64 operand. */
function applyBig(old: bigint, operand: bigint, bits: number, signed: boolean, incr: boolean, ow: number): void {
  let value: bigint;
  let next: bigint;
  let over: number;
  if (signed) {
    value = BigInt.asIntN(bits, old);
    over = incr ? signedOverflow(value, operand, bits) : signedOverflow(operand, 0n, bits);
    next = incr ? value + operand : operand;
    if (over !== 0) {
      const max = (1n << BigInt(bits - 1)) - 1n;
      if (ow === OVERFLOW_SAT) next = over > 0 ? max : -max - 1n;
      else next = BigInt.asIntN(bits, next);
    }
  } else {
    // Redis's checkUnsignedBitfieldOverflow on uint64s: a SET operand is cast to uint64 first.
    value = old;
    const max = (1n << BigInt(bits)) - 1n;
    const v = incr ? value : BigInt.asUintN(64, operand);
    const d = incr ? operand : 0n;
    over = v > max || v + d > max ? 1 : v + d < 0n ? -1 : 0;
    next = v + d;
    if (over !== 0) next = ow === OVERFLOW_SAT ? (over > 0 ? max : 0n) : BigInt.asUintN(bits, next);
  }
  if (over !== 0 && ow === OVERFLOW_FAIL) {
    resultFail = true;
    return;
  }
  resultFail = false;
  resultStore = next;
  resultReply = incr ? next : value;
}

// ---- the command ----

const OP_GET = 0;
const OP_SET = 1;
const OP_INCRBY = 2;

// Parsed operations of the current BITFIELD (module state: handlers run one at a time).
let opCode = new Uint8Array(8);
let opOverflow = new Uint8Array(8);
let opBits = new Uint8Array(8);
let opSigned = new Uint8Array(8);
let opOffset = new Float64Array(8);
const opValue: Array<number | bigint> = [];

function growOps(): void {
  const n = opCode.length * 2;
  const grow = <T extends Uint8Array | Float64Array>(a: T, b: T): T => {
    b.set(a);
    return b;
  };
  opCode = grow(opCode, new Uint8Array(n));
  opOverflow = grow(opOverflow, new Uint8Array(n));
  opBits = grow(opBits, new Uint8Array(n));
  opSigned = grow(opSigned, new Uint8Array(n));
  opOffset = grow(opOffset, new Float64Array(n));
}

/**
 * Argument i as a bitfield type, Redis's getBitfieldTypeFromArgument: 'i' or 'u' (lowercase)
 * then the width, read up to the first NUL as C's strlen does; u64 is refused. Returns the width,
 * negated for signed types, or 0 after replying the error.
 */
function typeArg(c: CommandContext, i: number): number {
  const a = c.args;
  const s = a.start[i];
  let e = a.end[i];
  const sign = s < e ? a.buf[s] : 0;
  if (sign === 105 /* i */ || sign === 117 /* u */) {
    for (let k = s + 1; k < e; k++) {
      if (a.buf[k] === 0) {
        e = k;
        break;
      }
    }
    const bits = parseInteger(a.buf, s + 1, e);
    if (bits !== undefined && bits >= 1 && bits <= (sign === 105 ? 64 : 63)) return sign === 105 ? -bits : bits;
  }
  c.w.error(ERR_BITFIELD_TYPE);
  return 0;
}

// Whether the parsed operations include a SET or INCRBY, and the last bit those touch.
let parsedWrites = false;
let parsedHighBit = 0;

/**
 * Parses the operations from argument 2 on, in Redis's order (each one's type, offset, then
 * value), into the op arrays; returns how many, or -1 after an error reply.
 */
function parseOps(c: CommandContext): number {
  const argc = c.argc;
  let n = 0;
  let ow = OVERFLOW_WRAP;
  parsedWrites = false;
  parsedHighBit = 0;
  for (let j = 2; j < argc; j++) {
    const rem = argc - j - 1;
    let code: number;
    if (optIs(c, j, 'get') && rem >= 2) code = OP_GET;
    else if (optIs(c, j, 'set') && rem >= 3) code = OP_SET;
    else if (optIs(c, j, 'incrby') && rem >= 3) code = OP_INCRBY;
    else if (optIs(c, j, 'overflow') && rem >= 1) {
      j++;
      if (optIs(c, j, 'wrap')) ow = OVERFLOW_WRAP;
      else if (optIs(c, j, 'sat')) ow = OVERFLOW_SAT;
      else if (optIs(c, j, 'fail')) ow = OVERFLOW_FAIL;
      else {
        c.w.error(ERR_OVERFLOW_TYPE);
        return -1;
      }
      continue;
    } else {
      c.w.error(ERR_SYNTAX);
      return -1;
    }
    const type = typeArg(c, j + 1);
    if (type === 0) return -1;
    const bits = type < 0 ? -type : type;
    const offset = bitOffsetArg(c, j + 2, bits, code !== OP_GET);
    if (offset < 0) return -1;
    let value: number | bigint = 0;
    if (code !== OP_GET) {
      parsedWrites = true;
      if (offset + bits - 1 > parsedHighBit) parsedHighBit = offset + bits - 1;
      const v = int64Arg(c, j + 3);
      if (v === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return -1;
      }
      value = v;
    }
    if (n === opCode.length) growOps();
    opCode[n] = code;
    opOverflow[n] = ow;
    opBits[n] = bits;
    opSigned[n] = type < 0 ? 1 : 0;
    opOffset[n] = offset;
    opValue[n] = value;
    n++;
    j += code === OP_GET ? 2 : 3;
  }
  return n;
}

/** BITFIELD (readOnly false) and BITFIELD_RO (true). */
function bitfieldGeneric(c: CommandContext, readOnly: boolean): void {
  const n = parseOps(c);
  if (n < 0) return;
  const a = c.args;
  const db = c.db;
  const t = db.table;
  let b: Buffer = ZEROS;
  let start = 0;
  let end = 0;
  let id = -1;
  if (!parsedWrites) {
    id = db.findRead(a.buf, a.start[1], a.end[1]);
    if (id >= 0) {
      if (db.typeOf(id) !== TYPE_STRING) {
        c.w.error(ERR_WRONGTYPE);
        return;
      }
      t.view(id);
      b = t.vbuf;
      start = t.vstart;
      end = t.vend;
    }
  } else {
    if (readOnly) {
      c.w.error(ERR_BITFIELD_RO);
      return;
    }
    id = openBitmapForWrite(c, Math.floor(parsedHighBit / 8) + 1);
    if (id < 0) return;
    b = t.vbuf;
    start = t.vstart;
    end = t.vend;
  }
  // As Redis 7.0.15, the key changed if a SET or INCRBY was not refused by FAIL and either the
  // value grew or that field's value changed.
  let changed = false;
  const w = c.w;
  w.array(n);
  for (let k = 0; k < n; k++) {
    const bits = opBits[k];
    const signed = opSigned[k] === 1;
    const offset = opOffset[k];
    const code = opCode[k];
    if (code === OP_GET) {
      if (bits <= 32) {
        const u = readSmall(b, start, end, offset, bits);
        w.integer(signed && u >= POW2[bits - 1] ? u - POW2[bits] : u);
      } else {
        const u = readBig(b, start, end, offset, bits);
        w.integer(signed ? BigInt.asIntN(bits, u) : u);
      }
      continue;
    }
    const operand = opValue[k];
    const incr = code === OP_INCRBY;
    if (bits <= 32 && typeof operand === 'number' && Math.abs(operand) <= SMALL_OPERAND) {
      const old = readSmall(b, start, end, offset, bits);
      applySmall(old, operand, bits, signed, incr, opOverflow[k]);
      if (!resultFail) {
        writeSmall(b, start, offset, bits, resultStore as number);
        if (resultStore !== old) changed = true;
      }
    } else {
      const old = readBig(b, start, end, offset, bits);
      applyBig(old, BigInt(operand), bits, signed, incr, opOverflow[k]);
      if (!resultFail) {
        const v = BigInt.asUintN(bits, BigInt(resultStore));
        writeBig(b, start, offset, bits, v);
        if (v !== old) changed = true;
      }
    }
    if (resultFail) w.nil();
    else {
      if (openedGrew) changed = true;
      w.integer(resultReply);
    }
  }
  // A created key was counted and signalled when it was made.
  if (changed && !openedCreated) db.stringBytesEdited(id, openedGrew);
  if (changed) c.notifyArg(NOTIFY_STRING, 'setbit', 1);
}

export function bitfieldCommand(c: CommandContext): void {
  bitfieldGeneric(c, false);
}

export function bitfieldRoCommand(c: CommandContext): void {
  bitfieldGeneric(c, true);
}
