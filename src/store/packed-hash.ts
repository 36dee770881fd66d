// The packed hash format (hash-value.ts's 'listpack' form) at the byte level: its bounds, the
// check of a region handed to HashValue.fromBytes, and reading pairs back as strings.
//
// Packed format (encoding 'listpack'): the pairs in insertion order, each written as
//
//     varint(field length) field bytes varint(value length) value bytes
//
// where varint is unsigned LEB128 (7 bits per byte, low group first, the high bit set on every
// byte but the last). No header, count or terminator: the format's length is packedLength, and
// fromBytes counts the pairs. A packed hash only holds fields and values of at most
// LISTPACK_VALUE (64) bytes, so its lengths are single bytes, which the accessors rely on;
// longer lengths are valid in the format, and fromBytes turns such a hash into a hashtable, as
// Redis converts a listpack it loads that is over the limits.

import { latin1 } from '../util/bytes.js';

/** The packed form's bounds: Redis 7.0's hash-max-listpack-entries and -value defaults. */
export const LISTPACK_ENTRIES = 512;
export const LISTPACK_VALUE = 64;

// Lengths of a packed hash are one varint byte only while the limit stays below 128.
if (LISTPACK_VALUE >= 0x80) throw new Error('packed hash lengths must fit one varint byte');

/**
 * The pairs in the packed form buf[start, end), or -1 if a length is over LISTPACK_VALUE (the
 * hash must then be a hashtable). Throws RangeError on malformed bytes.
 */
export function packedPairCount(buf: Buffer, start: number, end: number): number {
  let p = start;
  let pairs = 0;
  let small = true;
  while (p < end) {
    for (let k = 0; k < 2; k++) {
      let len = 0;
      for (let shift = 0; ; shift += 7) {
        if (p >= end || shift > 28) throw new RangeError('malformed packed hash');
        const byte = buf[p++];
        len += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) break;
      }
      if (len > LISTPACK_VALUE) small = false;
      p += len;
    }
    if (p > end) throw new RangeError('malformed packed hash');
    pairs++;
  }
  return small ? pairs : -1;
}

/** Calls fn for every pair of the packed form b[start, end), in order. */
export function forEachPackedPair(b: Buffer, start: number, end: number, fn: (field: string, value: string) => void): void {
  for (let p = start; p < end; ) {
    const f = readItem(b, p);
    const v = readItem(b, itemEnd);
    p = itemEnd;
    fn(f, v);
  }
}

/** Where readItem stopped (a module-level out-parameter: no tuple allocation per item). */
export let itemEnd = 0;

/** The varint-prefixed item at b[p] as a latin1 string; sets `itemEnd` to the position after it. */
export function readItem(b: Buffer, p: number): string {
  let len = b[p++];
  if (len >= 0x80) {
    // Multi-byte lengths only occur in fromBytes input (see the file comment).
    len &= 0x7f;
    for (let shift = 7; ; shift += 7) {
      const byte = b[p++];
      len += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
  }
  itemEnd = p + len;
  return latin1(b, p, itemEnd);
}
