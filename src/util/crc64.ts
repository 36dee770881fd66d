// Redis's CRC64 (src/crc64.c: the Jones polynomial 0xad93d23594c935a9, reflected in and out,
// initial value 0, no final xor), the checksum at the end of a DUMP payload.
//
// Computed without BigInt on two 32-bit halves, eight bytes per step (slice-by-8): table k holds
// the CRC of byte n followed by k zero bytes, so after xoring eight input bytes into the CRC
// (little-endian, as the reflected form reads them) the next CRC is the xor of eight lookups,
// the first byte's in table 7 down to the last byte's in table 0. Check value: the CRC of
// "123456789" is 0xe9c6d914c4b8d9ca (crc64.c's own test).

// Entry n of table k at [k * 256 + n], low and high halves apart.
const TLO = new Uint32Array(8 * 256);
const THI = new Uint32Array(8 * 256);
{
  // The polynomial bit-reversed, as the reflected algorithm uses it.
  const PHI = 0x95ac9329;
  const PLO = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let b = 0; b < 8; b++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi >>>= 1;
      if (carry) {
        lo = (lo ^ PLO) >>> 0;
        hi = (hi ^ PHI) >>> 0;
      }
    }
    TLO[n] = lo;
    THI[n] = hi;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const lo = TLO[(k - 1) * 256 + n];
      const hi = THI[(k - 1) * 256 + n];
      const i = lo & 0xff;
      TLO[k * 256 + n] = (((lo >>> 8) | (hi << 24)) ^ TLO[i]) >>> 0;
      THI[k * 256 + n] = ((hi >>> 8) ^ THI[i]) >>> 0;
    }
  }
}

// The last crcOf's result (module out-parameters: no allocation per call).
let crcLo = 0;
let crcHi = 0;

function crcOf(b: Buffer, start: number, end: number): void {
  let lo = 0;
  let hi = 0;
  let p = start;
  for (; p + 8 <= end; p += 8) {
    lo ^= b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
    hi ^= b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24);
    const b0 = 7 * 256 + (lo & 0xff);
    const b1 = 6 * 256 + ((lo >>> 8) & 0xff);
    const b2 = 5 * 256 + ((lo >>> 16) & 0xff);
    const b3 = 4 * 256 + (lo >>> 24);
    const b4 = 3 * 256 + (hi & 0xff);
    const b5 = 2 * 256 + ((hi >>> 8) & 0xff);
    const b6 = 256 + ((hi >>> 16) & 0xff);
    const b7 = hi >>> 24;
    lo = TLO[b0] ^ TLO[b1] ^ TLO[b2] ^ TLO[b3] ^ TLO[b4] ^ TLO[b5] ^ TLO[b6] ^ TLO[b7];
    hi = THI[b0] ^ THI[b1] ^ THI[b2] ^ THI[b3] ^ THI[b4] ^ THI[b5] ^ THI[b6] ^ THI[b7];
  }
  for (; p < end; p++) {
    const i = (lo ^ b[p]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ TLO[i];
    hi = (hi >>> 8) ^ THI[i];
  }
  crcLo = lo >>> 0;
  crcHi = hi >>> 0;
}

/** The CRC64 of bytes [start, end) as a bigint (tests and tools; the codec uses the two below). */
export function crc64(b: Buffer, start = 0, end = b.length): bigint {
  crcOf(b, start, end);
  return (BigInt(crcHi) << 32n) | BigInt(crcLo);
}

/** Writes the CRC64 of b[start, end) as 8 little-endian bytes at out[at]. */
export function crc64Into(b: Buffer, start: number, end: number, out: Buffer, at: number): void {
  crcOf(b, start, end);
  out.writeUInt32LE(crcLo, at);
  out.writeUInt32LE(crcHi, at + 4);
}

/** Whether the 8 little-endian bytes at expected[at] are the CRC64 of b[start, end). */
export function crc64Matches(b: Buffer, start: number, end: number, expected: Buffer, at: number): boolean {
  crcOf(b, start, end);
  return expected.readUInt32LE(at) === crcLo && expected.readUInt32LE(at + 4) === crcHi;
}
