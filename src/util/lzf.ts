// LZF as Redis 7.0 builds it (src/lzf_c.c and src/lzf_d.c, lzfP.h's settings: HLOG 16,
// VERY_FAST, hash slots holding offsets into the input), for the compressed strings of RDB
// payloads (DUMP / RESTORE).
//
// Compression is a line-for-line port so that its output is byte for byte Redis's, with one
// difference Redis cannot promise either: Redis leaves its hash table uninitialised
// (INIT_HTAB 0), so a stale slot from an earlier call may, rarely, offer it a match a clean table
// would not; this port always starts from a clean table. Either output decompresses to the input.
//
// Compressed format:
//     000LLLLL <L+1 bytes>         literal run of L+1 (1..32) bytes
//     LLLooooo oooooooo            back reference of L+2 (3..8) bytes at offset o+1 (1..8192)
//     111ooooo LLLLLLLL oooooooo   back reference of L+9 bytes

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

// Input offsets by hash (0: empty, as a null slot in lzf_c.c).
const htab = new Int32Array(HSIZE);

function idx(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * lzf_compress over in[start, end) with at most `outLen` bytes of output: the compressed bytes,
 * or null when they would not fit (or the input or outLen is empty), as lzf_compress returns 0.
 */
export function lzfCompress(input: Buffer, start: number, end: number, outLen: number): Buffer | null {
  const inp = input.subarray(start, end);
  const inLen = inp.length;
  if (inLen === 0 || outLen <= 0) return null;
  htab.fill(0);
  // Slack past outLen: the C code may write a run header byte there before giving up.
  const out = Buffer.allocUnsafe(outLen + 8);
  const outEnd = outLen;
  let ip = 0;
  let op = 1; // start run
  let lit = 0;
  let hval = ((inp[0] << 8) | (inLen > 1 ? inp[1] : 0)) >>> 0;
  while (ip < inLen - 2) {
    hval = ((hval << 8) | inp[ip + 2]) >>> 0;
    const slot = idx(hval);
    const ref = htab[slot];
    htab[slot] = ip;
    let off: number;
    if (
      ref > 0 &&
      (off = ip - ref - 1) < MAX_OFF &&
      off >= 0 &&
      inp[ref + 2] === inp[ip + 2] &&
      inp[ref] === inp[ip] &&
      inp[ref + 1] === inp[ip + 1]
    ) {
      let len = 2;
      let maxlen = inLen - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      if (op + 3 + 1 >= outEnd) if (op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return null;
      out[op - lit - 1] = (lit - 1) & 0xff; // stop run
      if (lit === 0) op--; // undo run if length is zero
      let done = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (inp[ref + len] !== inp[ip + len]) {
            done = true;
            break;
          }
        }
      }
      if (!done) {
        do len++;
        while (len < maxlen && inp[ref + len] === inp[ip + len]);
      }
      len -= 2; // len is now #octets - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inLen - 2) break;
      ip -= 2;
      hval = ((inp[ip] << 8) | inp[ip + 1]) >>> 0;
      hval = ((hval << 8) | inp[ip + 2]) >>> 0;
      htab[idx(hval)] = ip;
      ip++;
      hval = ((hval << 8) | inp[ip + 2]) >>> 0;
      htab[idx(hval)] = ip;
      ip++;
    } else {
      // one more literal byte we must copy
      if (op >= outEnd) return null;
      lit++;
      out[op++] = inp[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1; // stop run
        lit = 0;
        op++; // start run
      }
    }
  }
  if (op + 3 > outEnd) return null; // at most 3 bytes can be missing here
  while (ip < inLen) {
    lit++;
    out[op++] = inp[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = (lit - 1) & 0xff; // end run
  if (lit === 0) op--; // undo run if length is zero
  return out.subarray(0, op);
}

/**
 * lzf_decompress of in[start, end) into exactly `outLen` bytes: the bytes, or null when the
 * input is malformed (a back reference before the start, a run past the input) or does not
 * decompress to exactly outLen bytes. Allocates outLen bytes: callers bound it first.
 */
export function lzfDecompress(input: Buffer, start: number, end: number, outLen: number): Buffer | null {
  const out = Buffer.allocUnsafe(outLen);
  let ip = start;
  let op = 0;
  while (ip < end) {
    let ctrl = input[ip++];
    if (ctrl < 1 << 5) {
      ctrl++;
      if (op + ctrl > outLen || ip + ctrl > end) return null;
      input.copy(out, op, ip, ip + ctrl);
      op += ctrl;
      ip += ctrl;
    } else {
      let len = ctrl >>> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= end) return null;
      if (len === 7) {
        len += input[ip++];
        if (ip >= end) return null;
      }
      ref -= input[ip++];
      if (op + len + 2 > outLen || ref < 0) return null;
      for (let k = 0; k < len + 2; k++) out[op++] = out[ref++];
    }
  }
  return op === outLen ? out : null;
}
