// The HyperLogLog codec: Redis 7.0.15's representation and estimator (src/hyperloglog.c), ported
// function by function so that corral's HLL strings are byte-identical to Redis's and its counts
// equal. Pure: no keyspace, no commands (hyperloglog.ts uses it). Names follow hyperloglog.c.
//
// The value is a plain string. A 16-byte header: "HYLL", the encoding (0 dense, 1 sparse), three
// unused bytes, and the cached cardinality as a 64-bit little-endian integer whose top bit (the
// MSB of byte 15) means "invalid, recompute". Then the 2^14 registers (HLL_P = 14), each the
// longest run of zeros + 1 seen in the 50 hash bits not used for the index, either:
//   dense: 6 bits each, packed from the LSB of each byte upwards (12288 bytes, 12304 in all);
//   sparse: run-length opcodes, ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy
//     (1..16384 zero registers), VAL 1vvvvvxx (1..4 registers of value 1..32). A sparse HLL is
//     made dense when a register needs a value over 32 or the string would grow past
//     hll-sparse-max-bytes (3000 by default).
// Elements are hashed with MurmurHash64A (seed 0xadc83b19), and the count is Otmar Ertl's
// improved estimator over the register histogram (hllTau / hllSigma, as Redis since 5.0).
//
// The sparse readers (hllSparseToDense, hllSparseRegHisto, hllMerge) refuse opcodes that run past
// the last register, as Redis's CVE-2025-32023 fix does (the July 2025 releases, and the patched
// 7.0.15 Debian ships, which the system tests compare with): as tagged, 7.0.15 let PFMERGE and
// PFDEBUG accept a VAL after the 16384th register, which PFCOUNT rejected.
//
// Readers of stored bytes take (buf, start, end); where Redis peeks one byte past the end (the
// second byte of a truncated XZERO) they read the sds's NUL, 0. Values being edited, and the
// sparse edits themselves, are in hll-value.ts.

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
export const HLL_REGISTER_MAX = 63;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * 6) / 8;
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;
/** Byte 15's top bit: the cached cardinality is stale (HLL_INVALIDATE_CACHE / HLL_VALID_CACHE). */
export const HLL_CACHE_BYTE = 15;
export const HLL_CACHE_INVALID = 0x80;

export const XZERO_BIT = 0x40;
export const VAL_BIT = 0x80;
export const VAL_MAX_VALUE = 32;
export const VAL_MAX_LEN = 4;
export const ZERO_MAX_LEN = 64;
export const XZERO_MAX_LEN = 16384;
const HLL_ALPHA_INF = 0.72134752044448170368;
const HASH_SEED = 0xadc83b19;

// ---- MurmurHash64A, in 32-bit halves -----------------------------------------------------

// m = 0xc6a4a7935bd1e995.
const M_LO = 0x5bd1e995;
const M_HI = 0xc6a4a793;
let mulLo = 0;
let mulHi = 0;

/** (aHi:aLo) * m mod 2^64 into mulLo/mulHi: the low word's full product by 16-bit halves. */
function mulM(aLo: number, aHi: number): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const p00 = a0 * 0xe995;
  const p01 = a0 * 0x5bd1;
  const p10 = a1 * 0xe995;
  const p11 = a1 * 0x5bd1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carry = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  mulLo = ((mid << 16) | (p00 & 0xffff)) >>> 0;
  mulHi = (carry + Math.imul(aLo, M_HI) + Math.imul(aHi, M_LO)) >>> 0;
}

/** The last hash computed by murmurHash64A, as two unsigned 32-bit halves. */
export let hashLo = 0;
export let hashHi = 0;

/** MurmurHash64A (hyperloglog.c, endian-neutral) of buf[start, end) into hashLo/hashHi. */
export function murmurHash64A(buf: Uint8Array, start: number, end: number, seed: number): void {
  const len = end - start;
  mulM(len >>> 0, 0);
  let hLo = (mulLo ^ seed) >>> 0;
  let hHi = mulHi;
  const stop = start + (len - (len & 7));
  let p = start;
  while (p !== stop) {
    const kLo = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
    const kHi = (buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16) | (buf[p + 7] << 24)) >>> 0;
    mulM(kLo, kHi); // k *= m
    // k ^= k >> 47 (r = 47): only the high word's top 17 bits reach the low word.
    mulM((mulLo ^ (mulHi >>> 15)) >>> 0, mulHi);
    mulM((hLo ^ mulLo) >>> 0, (hHi ^ mulHi) >>> 0);
    hLo = mulLo;
    hHi = mulHi;
    p += 8;
  }
  const rest = len & 7;
  if (rest !== 0) {
    // The tail's fall-through switch: byte i goes to bit 8i, then h *= m once.
    let tLo = 0;
    let tHi = 0;
    if (rest >= 7) tHi ^= buf[p + 6] << 16;
    if (rest >= 6) tHi ^= buf[p + 5] << 8;
    if (rest >= 5) tHi ^= buf[p + 4];
    if (rest >= 4) tLo ^= buf[p + 3] << 24;
    if (rest >= 3) tLo ^= buf[p + 2] << 16;
    if (rest >= 2) tLo ^= buf[p + 1] << 8;
    tLo ^= buf[p];
    mulM((hLo ^ tLo) >>> 0, (hHi ^ tHi) >>> 0);
    hLo = mulLo;
    hHi = mulHi;
  }
  mulM((hLo ^ (hHi >>> 15)) >>> 0, hHi);
  hashLo = (mulLo ^ (mulHi >>> 15)) >>> 0;
  hashHi = mulHi;
}

/** The register index of the last element hllPatLen hashed. */
export let patIndex = 0;

/**
 * hllPatLen: hashes an element and returns the length of its 000..1 pattern in the hash bits
 * above the index (1..Q+1, the loop's sentinel bit at 2^Q capping it); the index is in patIndex.
 */
export function hllPatLen(buf: Uint8Array, start: number, end: number): number {
  murmurHash64A(buf, start, end, HASH_SEED);
  patIndex = hashLo & HLL_P_MASK;
  const low = hashLo >>> HLL_P; // bits 14..31: pattern positions 0..17
  if (low !== 0) return 32 - Math.clz32(low & -low);
  if (hashHi !== 0) return 18 + 32 - Math.clz32(hashHi & -hashHi);
  return HLL_Q + 1;
}

// ---- dense registers ---------------------------------------------------------------------

/**
 * HLL_DENSE_GET_REGISTER over registers starting at buf[regs]. A register whose 6 bits lie in
 * one byte (bit offset 0 or 2) does not read the next one: the C macro reads it and masks it out,
 * and for the last register that byte is past the value.
 */
export function denseGet(buf: Uint8Array, regs: number, index: number): number {
  const bit = index * 6;
  const byte = regs + (bit >>> 3);
  const fb = bit & 7;
  if (fb <= 2) return (buf[byte] >>> fb) & HLL_REGISTER_MAX;
  return ((buf[byte] >>> fb) | (buf[byte + 1] << (8 - fb))) & HLL_REGISTER_MAX;
}

/** HLL_DENSE_SET_REGISTER (val <= 63): the same bytes, never writing past the last register. */
export function denseSet(buf: Uint8Array, regs: number, index: number, val: number): void {
  const bit = index * 6;
  const byte = regs + (bit >>> 3);
  const fb = bit & 7;
  buf[byte] = (buf[byte] & ~(HLL_REGISTER_MAX << fb)) | (val << fb);
  if (fb > 2) {
    const fb8 = 8 - fb;
    buf[byte + 1] = (buf[byte + 1] & ~(HLL_REGISTER_MAX >>> fb8)) | (val >>> fb8);
  }
}

/** hllDenseSet: raises register `index` to `count` if lower; 1 if it changed, else 0. */
export function denseSetMax(buf: Uint8Array, regs: number, index: number, count: number): number {
  if (count <= denseGet(buf, regs, index)) return 0;
  denseSet(buf, regs, index, count);
  return 1;
}

/** hllDenseRegHisto: 16 registers (12 bytes) per step, as Redis's unrolled loop. */
export function denseHisto(b: Uint8Array, regs: number, histo: Int32Array): void {
  let r = regs;
  for (let j = 0; j < 1024; j++) {
    const b0 = b[r], b1 = b[r + 1], b2 = b[r + 2], b3 = b[r + 3], b4 = b[r + 4], b5 = b[r + 5];
    const b6 = b[r + 6], b7 = b[r + 7], b8 = b[r + 8], b9 = b[r + 9], b10 = b[r + 10], b11 = b[r + 11];
    histo[b0 & 63]++;
    histo[((b0 >>> 6) | (b1 << 2)) & 63]++;
    histo[((b1 >>> 4) | (b2 << 4)) & 63]++;
    histo[(b2 >>> 2) & 63]++;
    histo[b3 & 63]++;
    histo[((b3 >>> 6) | (b4 << 2)) & 63]++;
    histo[((b4 >>> 4) | (b5 << 4)) & 63]++;
    histo[(b5 >>> 2) & 63]++;
    histo[b6 & 63]++;
    histo[((b6 >>> 6) | (b7 << 2)) & 63]++;
    histo[((b7 >>> 4) | (b8 << 4)) & 63]++;
    histo[(b8 >>> 2) & 63]++;
    histo[b9 & 63]++;
    histo[((b9 >>> 6) | (b10 << 2)) & 63]++;
    histo[((b10 >>> 4) | (b11 << 4)) & 63]++;
    histo[(b11 >>> 2) & 63]++;
    r += 12;
  }
}

// ---- stored values (buf[start, end), read-only) ------------------------------------------

/**
 * isHLLObjectOrReply's checks on a string value: at least a header, the "HYLL" magic, a known
 * encoding, and exactly HLL_DENSE_SIZE bytes when dense.
 */
export function isHll(b: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  if (len < HLL_HDR_SIZE) return false;
  if (b[start] !== 72 || b[start + 1] !== 89 || b[start + 2] !== 76 || b[start + 3] !== 76) return false;
  const enc = b[start + 4];
  if (enc > HLL_MAX_ENCODING) return false;
  return enc !== HLL_DENSE || len === HLL_DENSE_SIZE;
}

/** An XZERO opcode's run length; the byte after it is the string's NUL when past the end. */
function xzeroLen(b: Uint8Array, p: number, end: number): number {
  return (((b[p] & 0x3f) << 8) | (p + 1 < end ? b[p + 1] : 0)) + 1;
}

/** hllSparseRegHisto: false when the opcodes do not cover exactly HLL_REGISTERS registers. */
export function sparseHisto(b: Uint8Array, start: number, end: number, histo: Int32Array): boolean {
  let idx = 0;
  let p = start + HLL_HDR_SIZE;
  while (p < end) {
    const op = b[p];
    let runlen: number;
    let regval = 0;
    if ((op & 0xc0) === 0) {
      runlen = (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === XZERO_BIT) {
      runlen = xzeroLen(b, p, end);
      p += 2;
    } else {
      runlen = (op & 3) + 1;
      regval = ((op >>> 2) & 0x1f) + 1;
      p++;
    }
    if (runlen + idx > HLL_REGISTERS) return false; // overflow (CVE-2025-32023 fix)
    idx += runlen;
    histo[regval] += runlen;
  }
  return idx === HLL_REGISTERS;
}

/** The register histogram of a valid HLL value (false: corrupted sparse opcodes). */
export function hllHisto(b: Uint8Array, start: number, end: number, histo: Int32Array): boolean {
  histo.fill(0);
  if (b[start + 4] === HLL_DENSE) {
    denseHisto(b, start + HLL_HDR_SIZE, histo);
    return true;
  }
  return sparseHisto(b, start, end, histo);
}

/**
 * hllMerge: max[i] = MAX(max[i], register i) over a valid HLL value. False for a sparse value
 * whose opcodes do not cover exactly HLL_REGISTERS registers (max may be partly updated then).
 */
export function hllMerge(max: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  const regs = start + HLL_HDR_SIZE;
  if (b[start + 4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const val = denseGet(b, regs, i);
      if (val > max[i]) max[i] = val;
    }
    return true;
  }
  let i = 0;
  let p = regs;
  while (p < end) {
    const op = b[p];
    if ((op & 0xc0) === 0) {
      const runlen = (op & 0x3f) + 1;
      if (runlen + i > HLL_REGISTERS) return false; // overflow
      i += runlen;
      p++;
    } else if ((op & 0xc0) === XZERO_BIT) {
      const runlen = xzeroLen(b, p, end);
      if (runlen + i > HLL_REGISTERS) return false; // overflow
      i += runlen;
      p += 2;
    } else {
      let runlen = (op & 3) + 1;
      const regval = ((op >>> 2) & 0x1f) + 1;
      if (runlen + i > HLL_REGISTERS) return false; // overflow
      while (runlen-- > 0) {
        if (regval > max[i]) max[i] = regval;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

/** hllRawRegHisto: the histogram of one byte per register (PFCOUNT over several keys). */
export function rawHisto(max: Uint8Array, histo: Int32Array): void {
  histo.fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[max[i]]++;
}

/** PFDEBUG DECODE's text for a sparse value: "z:N", "Z:N", "v:V,N" separated by spaces. */
export function sparseDecode(b: Uint8Array, start: number, end: number): string {
  const parts: string[] = [];
  let p = start + HLL_HDR_SIZE;
  while (p < end) {
    const op = b[p];
    if ((op & 0xc0) === 0) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0xc0) === XZERO_BIT) {
      parts.push(`Z:${xzeroLen(b, p, end)}`);
      p += 2;
    } else {
      parts.push(`v:${((op >>> 2) & 0x1f) + 1},${(op & 3) + 1}`);
      p++;
    }
  }
  return parts.join(' ');
}

// ---- the estimator -----------------------------------------------------------------------

/** hllSigma (Ertl, arXiv:1702.01284). */
function hllSigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** hllTau (Ertl). pow(1 - x, 2) is (1 - x) * (1 - x), as GCC compiles it. */
function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

export const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808;

/**
 * hllCount's estimate from a register histogram, as the double E = llroundl(...). llroundl of
 * a value past LLONG_MAX, or of infinity (z = 0: every register at Q+1 or more), is LLONG_MIN on
 * x86-64: such an E is returned as -2^63, which PFCOUNT replies as is and caches as 2^63.
 */
export function hllEstimate(histo: Int32Array): number {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * hllSigma(histo[0] / m);
  const x = (HLL_ALPHA_INF * m * m) / z;
  if (!(x < TWO_63)) return -TWO_63;
  return Math.round(x);
}

/**
 * The uint64 cardinality of an estimate, as PFCOUNT replies it (a long long): a Number when
 * exact, a bigint past 2^53, and -2^63 for llroundl's out-of-range result.
 */
export function cardinalityReply(e: number): number | bigint {
  if (e < 0) return -(2n ** 63n);
  return Number.isSafeInteger(e) ? e : BigInt(e);
}

/** Writes an estimate into the header's cached cardinality (little endian; -2^63 sets the MSB). */
export function writeCard(b: Uint8Array, start: number, e: number): void {
  let lo = 0;
  let hi = 0x80000000;
  if (e >= 0) {
    lo = e % TWO_32;
    hi = Math.floor(e / TWO_32);
  }
  for (let k = 0; k < 4; k++) {
    b[start + 8 + k] = (lo >>> (8 * k)) & 0xff;
    b[start + 12 + k] = (hi >>> (8 * k)) & 0xff;
  }
}

/** The cached cardinality of a header whose cache is valid (so below 2^63). */
export function readCard(b: Uint8Array, start: number): number | bigint {
  const lo = (b[start + 8] | (b[start + 9] << 8) | (b[start + 10] << 16) | (b[start + 11] << 24)) >>> 0;
  const hi = (b[start + 12] | (b[start + 13] << 8) | (b[start + 14] << 16) | (b[start + 15] << 24)) >>> 0;
  if (hi < 0x200000) return hi * TWO_32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}
