// An HLL string being edited (Redis's sds holding it, hyperloglog.c): createHLLObject,
// hllSparseSet with its splits, merges and promotion to dense, hllSparseToDense, and PFSELFTEST's
// checks. The bytes, the format and the readers of stored values are in hll-codec.ts.
//
// An HllValue keeps what an sds keeps: the bytes, their length, the NUL after them (hllSparseSet
// and hllSparseToDense peek one byte past the end on a truncated XZERO, and a split can write over
// that NUL as Redis's memcpy does) and room to grow. One caveat: Redis keeps that overwritten byte
// past the end of the stored string, where the next command may read it; a stored string here has
// nothing after it, so such a value (a corrupted sparse HLL ending in half an XZERO that a PFADD
// split) reads 0 there later.

import {
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  HLL_CACHE_BYTE,
  HLL_CACHE_INVALID,
  TWO_32,
  VAL_BIT,
  VAL_MAX_LEN,
  VAL_MAX_VALUE,
  XZERO_BIT,
  XZERO_MAX_LEN,
  ZERO_MAX_LEN,
  denseGet,
  denseSet,
  denseSetMax,
  hllEstimate,
  hllHisto,
  hllPatLen,
  patIndex,
} from './hll-codec.js';

/** An HLL string being edited, kept as an sds would be (see the file comment). */
export class HllValue {
  buf: Buffer;
  len = 0;
  /** The other buffer: hllSparseToDense builds the dense value there, then the two swap. */
  private spare: Buffer;

  constructor(capacity = 4096) {
    this.buf = Buffer.alloc(capacity);
    this.spare = Buffer.alloc(HLL_DENSE_SIZE + 8);
  }

  /** Room for n bytes plus the NUL (keeping the bytes). */
  ensure(n: number): void {
    if (this.buf.length > n) return;
    const next = Buffer.alloc(Math.max(n + 1, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.len + 1);
    this.buf = next;
  }

  /** createHLLObject: an empty sparse HLL, "HYLL" + encoding 1 + XZERO:16384. */
  initEmpty(): void {
    this.len = 0;
    this.ensure(HLL_HDR_SIZE + 2);
    const b = this.buf;
    b.fill(0, 0, HLL_HDR_SIZE + 3);
    b[0] = 72;
    b[1] = 89;
    b[2] = 76;
    b[3] = 76;
    b[4] = HLL_SPARSE;
    let p = HLL_HDR_SIZE;
    for (let aux = HLL_REGISTERS; aux > 0; ) {
      const xzero = Math.min(XZERO_MAX_LEN, aux);
      b[p] = ((xzero - 1) >> 8) | XZERO_BIT;
      b[p + 1] = (xzero - 1) & 0xff;
      p += 2;
      aux -= xzero;
    }
    this.len = p;
    b[p] = 0;
  }

  /** A copy of a stored value, followed by its NUL. */
  load(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.buf.length <= n + 3 || this.buf.length > 65536) this.buf = Buffer.alloc(Math.max(4096, n + 64));
    this.buf.set(src.subarray(start, end), 0);
    this.len = n;
    this.buf[n] = 0;
  }

  get encoding(): number {
    return this.buf[4];
  }

  invalidateCache(): void {
    this.buf[HLL_CACHE_BYTE] |= HLL_CACHE_INVALID;
  }

  /** hllSparseToDense: false (and unchanged) if the sparse opcodes are corrupted. */
  toDense(): boolean {
    const sparse = this.buf;
    if (sparse[4] === HLL_DENSE) return true;
    const dense = this.spare;
    dense.fill(0);
    sparse.copy(dense, 0, 0, HLL_HDR_SIZE); // magic, unused bytes and cached cardinality
    dense[4] = HLL_DENSE;
    const end = this.len;
    let idx = 0;
    let p = HLL_HDR_SIZE;
    while (p < end) {
      const op = sparse[p];
      if ((op & 0xc0) === 0) {
        const runlen = (op & 0x3f) + 1;
        if (runlen + idx > HLL_REGISTERS) return false; // overflow
        idx += runlen;
        p++;
      } else if ((op & 0xc0) === XZERO_BIT) {
        const runlen = ((((op & 0x3f) << 8) | sparse[p + 1]) + 1);
        if (runlen + idx > HLL_REGISTERS) return false; // overflow
        idx += runlen;
        p += 2;
      } else {
        let runlen = (op & 3) + 1;
        const regval = ((op >>> 2) & 0x1f) + 1;
        if (runlen + idx > HLL_REGISTERS) return false; // overflow
        while (runlen-- > 0) denseSet(dense, HLL_HDR_SIZE, idx++, regval);
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return false;
    const reusable = sparse.length > HLL_DENSE_SIZE && sparse.length <= 65536;
    this.spare = reusable ? sparse : Buffer.alloc(HLL_DENSE_SIZE + 8);
    this.buf = dense;
    this.len = HLL_DENSE_SIZE;
    return true;
  }

  /** hllAdd's register update: dense or sparse by the current encoding (1 changed, 0 not, -1 corrupted). */
  set(index: number, count: number, sparseMaxBytes: number): number {
    if (this.buf[4] === HLL_DENSE) return denseSetMax(this.buf, HLL_HDR_SIZE, index, count);
    return this.sparseSet(index, count, sparseMaxBytes);
  }

  /**
   * hllSparseSet: raises register `index` to `count` in the sparse opcodes, splitting the opcode
   * that covers it and merging equal neighbours, or promotes the value to dense (a count over 32,
   * or a string that would grow past sparseMaxBytes). 1 changed, 0 not, -1 corrupted.
   */
  sparseSet(index: number, count: number, sparseMaxBytes: number): number {
    if (count > VAL_MAX_VALUE) return this.promote(index, count);
    // sdsMakeRoomFor(3): the worst split, XZERO -> XZERO VAL XZERO, adds 3 bytes.
    this.ensure(this.len + 3);
    const b = this.buf;
    const sparse = HLL_HDR_SIZE;
    let end = this.len;

    // Step 1: find the opcode covering the register.
    let p = sparse;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      let oplen = 1;
      const op = b[p];
      if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
      else if (op & VAL_BIT) span = (op & 3) + 1;
      else {
        span = (((op & 0x3f) << 8) | b[p + 1]) + 1;
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1; // invalid format

    const op = b[p];
    let next = (op & 0xc0) === XZERO_BIT ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const isZero = (op & 0xc0) === 0;
    const isXzero = (op & 0xc0) === XZERO_BIT;
    const isVal = !isZero && !isXzero;
    const runlen = isZero ? (op & 0x3f) + 1 : isXzero ? (((op & 0x3f) << 8) | b[p + 1]) + 1 : (op & 3) + 1;

    // Step 2: cases A-C in place; D splits the opcode into up to 5 bytes.
    let updated = false;
    if (isVal) {
      if (((op >>> 2) & 0x1f) + 1 >= count) return 0; // A: already as high
      if (runlen === 1) {
        b[p] = valOp(count, 1); // B: a VAL of one register
        updated = true;
      }
    }
    if (!updated && isZero && runlen === 1) {
      b[p] = valOp(count, 1); // C: a ZERO of one register
      updated = true;
    }
    if (!updated) {
      const seq = SEQ;
      let n = 0;
      const last = first + span - 1;
      if (isZero || isXzero) {
        if (index !== first) n = zeroRun(seq, n, index - first);
        seq[n++] = valOp(count, 1);
        if (index !== last) n = zeroRun(seq, n, last - index);
      } else {
        const curval = ((op >>> 2) & 0x1f) + 1;
        if (index !== first) seq[n++] = valOp(curval, index - first);
        seq[n++] = valOp(count, 1);
        if (index !== last) seq[n++] = valOp(curval, last - index);
      }
      // Step 3: put the new sequence in place of the old opcode.
      const deltalen = n - (isXzero ? 2 : 1);
      if (deltalen > 0 && this.len + deltalen > sparseMaxBytes) return this.promote(index, count);
      if (deltalen !== 0 && next >= 0) b.copyWithin(next + deltalen, next, end);
      this.len += deltalen;
      b[this.len] = 0; // sdsIncrLen
      for (let k = 0; k < n; k++) b[p + k] = seq[k];
      end += deltalen;
    }

    // Step 4: merge adjacent VALs of the same value, scanning up to 5 opcodes from prev.
    p = prev >= 0 ? prev : sparse;
    let scanlen = 5;
    while (p < end && scanlen-- !== 0) {
      const o = b[p];
      if ((o & 0xc0) === XZERO_BIT) {
        p += 2;
        continue;
      }
      if ((o & 0xc0) === 0) {
        p++;
        continue;
      }
      if (p + 1 < end && b[p + 1] & VAL_BIT) {
        const v1 = ((o >>> 2) & 0x1f) + 1;
        const v2 = ((b[p + 1] >>> 2) & 0x1f) + 1;
        if (v1 === v2) {
          const len = (o & 3) + 1 + (b[p + 1] & 3) + 1;
          if (len <= VAL_MAX_LEN) {
            b[p + 1] = valOp(v1, len);
            b.copyWithin(p, p + 1, end + 1); // memmove(p, p+1, end-p): the NUL comes along
            this.len--;
            b[this.len] = 0;
            end--;
            continue; // try the merged opcode with its right neighbour
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  /** The promote: label: dense, then the register set there (which must change it). */
  private promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    return denseSetMax(this.buf, HLL_HDR_SIZE, index, count);
  }
}

/** The split sequence of hllSparseSet's case D (at most XZERO VAL XZERO: 5 bytes). */
const SEQ = new Uint8Array(5);

/** HLL_SPARSE_VAL_SET. */
function valOp(val: number, len: number): number {
  return (((val - 1) << 2) | (len - 1)) | VAL_BIT;
}

/** A run of `len` zero registers as ZERO (up to 64) or XZERO; returns the next position. */
function zeroRun(seq: Uint8Array, n: number, len: number): number {
  if (len > ZERO_MAX_LEN) {
    seq[n] = ((len - 1) >> 8) | XZERO_BIT;
    seq[n + 1] = (len - 1) & 0xff;
    return n + 2;
  }
  seq[n] = len - 1;
  return n + 1;
}

// ---- PFSELFTEST --------------------------------------------------------------------------

/**
 * pfselftestCommand's two tests: dense register access with random values (1000 rounds), then
 * 10 million elements added to a dense and a sparse HLL, checking at each power of ten that the
 * sparse one is still sparse while small, that both estimate the same, and that the error is
 * within 6 standard errors. Returns null on success, else the error text. Takes seconds.
 */
export function hllSelfTest(sparseMaxBytes: number): string | null {
  const dense = Buffer.alloc(HLL_DENSE_SIZE + 1);
  const bytecounters = new Uint8Array(HLL_REGISTERS);
  for (let j = 0; j < 1000; j++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = (Math.random() * 64) | 0;
      bytecounters[i] = r;
      denseSet(dense, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const val = denseGet(dense, HLL_HDR_SIZE, i);
      if (val !== bytecounters[i]) return `TESTFAILED Register ${i} should be ${bytecounters[i]} but is ${val}`;
    }
  }

  dense.fill(0, HLL_HDR_SIZE);
  const o = new HllValue();
  o.initEmpty();
  const histo = new Int32Array(64);
  const count = (b: Uint8Array, len: number): number => {
    hllHisto(b, 0, len, histo);
    return hllEstimate(histo);
  };
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  let checkpoint = 1;
  const seedLo = (Math.random() * TWO_32) >>> 0;
  const seedHi = (Math.random() * TWO_32) >>> 0;
  const ele = Buffer.alloc(8);
  ele.writeUInt32LE(seedHi, 4);
  for (let j = 1; j <= 10000000; j++) {
    ele.writeUInt32LE((j ^ seedLo) >>> 0, 0);
    const c = hllPatLen(ele, 0, 8); // Redis hashes it twice (hllDenseAdd, hllAdd): same result
    denseSetMax(dense, HLL_HDR_SIZE, patIndex, c);
    o.set(patIndex, c, sparseMaxBytes);
    if (j !== checkpoint) continue;
    if (j < Math.floor(sparseMaxBytes / 2) && o.encoding !== HLL_SPARSE) return 'TESTFAILED sparse encoding not used';
    const card = count(dense, HLL_DENSE_SIZE);
    if (card !== count(o.buf, o.len)) return 'TESTFAILED dense/sparse disagree';
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    const abserr = Math.abs(checkpoint - card);
    if (abserr > maxerr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    checkpoint *= 10;
  }
  return null;
}
