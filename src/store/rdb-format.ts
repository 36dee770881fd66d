// DUMP payloads in Redis 7.0.15's format (rdb.c's createDumpPayload / rdbLoadObject), so that a
// payload moves between corral and redis-server in either direction:
//
//     type(1)  object  rdb-version(2, LE, 10)  crc64(8, LE)
//
// The DUMP command writes this format; RESTORE takes it and corral's own format (store/dump.ts,
// version 0xC001, which replication and slot migration keep using): decodeAnyDump dispatches on
// the version. Redis refuses a version above its RDB_VERSION (10) and checks the CRC64 over
// everything before it (cluster.c's verifyDumpPayload); so does this file.
//
// Written, as Redis 7.0.15 writes them (rdbSaveObject, rdbcompression yes):
//     string              RDB_TYPE_STRING (0): the string, int-encoded (RDB_ENC_INT8/16/32) when
//                         it is a canonical integer of at most 11 characters in int32 range,
//                         LZF-compressed (RDB_ENC_LZF) when longer than 20 bytes and compression
//                         saves at least 4 bytes (lzf_compress into len - 4), else raw
//     list                RDB_TYPE_LIST_QUICKLIST_2 (18): nodes of packed listpacks, filled from
//                         the head as list-max-listpack-size -2 fills them (8 KB: an element goes
//                         into the node while node bytes + element length + 8 <= 8192)
//     set (intset)        RDB_TYPE_SET_INTSET (11): the intset blob (sorted, smallest width)
//     set (hashtable)     RDB_TYPE_SET (2): members
//     zset (listpack)     RDB_TYPE_ZSET_LISTPACK (17): listpack of member, score (d2string)
//     zset (skiplist)     RDB_TYPE_ZSET_2 (5): members from the highest to the lowest, binary scores
//     hash (listpack)     RDB_TYPE_HASH_LISTPACK (16): listpack of field, value (insertion order)
//     hash (hashtable)    RDB_TYPE_HASH (4): field, value pairs
//     stream              RDB_TYPE_STREAM_LISTPACKS_2 (19): stream-rdb.ts
// Every blob (listpack, intset) is written as a string is, so it too may be LZF-compressed.
// Byte-identical with Redis for strings, intsets, listpack hashes and zsets, skiplist zsets and
// lists whose quicklist Redis built by pushes at the tail (any list that fits one node); for
// hashtable sets and hashes the order is Redis's dict order, which is not reproducible, so only
// the content matches. Corral's CACHE.SET stale time has no place in Redis's format and is not
// dumped.
//
// Read: all of the above, plus RDB_TYPE_LIST (1), RDB_TYPE_ZSET (3, scores as strings) and the
// plain quicklist container (elements past 1 GB), and streams of the pre-7.0 type
// (RDB_TYPE_STREAM_LISTPACKS, 15) as Redis 7.0 reads them (stream-rdb.ts). Ziplist-era encodings
// (9, 10, 12, 13, 14) and modules are refused with "ERR Bad data format". Payloads are
// untrusted: every length is checked against the bytes left before anything is allocated for it
// (an LZF string's decompressed length is bounded by 90 times its compressed length), listpacks
// and intsets are walked and checked whole (header, entry encodings, back lengths, terminator),
// empty values, duplicate fields or members and NaN scores are refused, and nothing touches the
// keyspace until the whole value is built. The value is rebuilt by the value classes' own
// insertion, so it takes the encoding corral's (and Redis's) conversion rules give its content.


/** The RDB version Redis 7.0 writes and the highest it accepts. */
export const RDB_VERSION = 10;

export const RDB_TYPE_STRING = 0;
export const RDB_TYPE_LIST = 1;
export const RDB_TYPE_SET = 2;
export const RDB_TYPE_ZSET = 3;
export const RDB_TYPE_HASH = 4;
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_SET_INTSET = 11;
export const RDB_TYPE_HASH_LISTPACK = 16;
export const RDB_TYPE_ZSET_LISTPACK = 17;
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
/** Streams as Redis 5.0 to 6.2 write them (read only). */
export const RDB_TYPE_STREAM_LISTPACKS = 15;
/** Streams with consumer groups' entries-read and the stream's first and max deleted IDs (7.0). */
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;

export const RDB_ENC_INT8 = 0;
export const RDB_ENC_INT16 = 1;
export const RDB_ENC_INT32 = 2;
export const RDB_ENC_LZF = 3;

export const QUICKLIST_NODE_CONTAINER_PLAIN = 1;
export const QUICKLIST_NODE_CONTAINER_PACKED = 2;
/** list-max-listpack-size -2: 8 KB per node; SIZE_ESTIMATE_OVERHEAD in quicklist.c. */
export const QUICKLIST_NODE_BYTES = 8192;
export const SIZE_ESTIMATE_OVERHEAD = 8;

/** LZF never expands more than this many output bytes per input byte (3-byte refs of 264). */
export const LZF_MAX_RATIO = 90;

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

// ---- shared helpers ----

/** string2ll: the value of a canonical decimal int64 (no sign on 0, no leading zeros), or null. */
export function canonicalInt(s: string): bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    i = 1;
    if (len === 1) return null;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1 ? 0n : null;
  if (first < 49 || first > 57) return null;
  for (let j = i + 1; j < len; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/** %.17g as glibc prints it. */
export function g17(v: number): string {
  const e = v.toExponential(16); // d.dddddddddddddddde[+-]x: 17 significant digits
  const at = e.indexOf('e');
  const neg = e.charCodeAt(0) === 45;
  const digits = e.slice(neg ? 1 : 0, at).replace('.', '');
  const exp = Number(e.slice(at + 1));
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 17) {
    let m = digits[0] + '.' + digits.slice(1);
    m = m.replace(/0+$/, '').replace(/\.$/, '');
    const ae = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  let s: string;
  if (exp >= 0) {
    const int = digits.slice(0, exp + 1);
    const frac = digits.slice(exp + 1).replace(/0+$/, '');
    s = frac.length > 0 ? `${int}.${frac}` : int;
  } else {
    s = ('0.' + '0'.repeat(-exp - 1) + digits).replace(/0+$/, '');
  }
  return sign + s;
}

/** util.c's d2string: how a listpack zset holds a score. */
export function d2string(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // double2ll: integral values within +-LLONG_MAX/2 print as integers.
  if (v >= -4611686018427387904 && v <= 4611686018427387904 && Number.isInteger(v)) return BigInt(v).toString();
  return g17(v);
}

/** lpEncodeBacklen's bytes for an entry of l bytes. */
export function backlen(l: number, out: number[]): void {
  if (l <= 127) out.push(l);
  else if (l < 16383) out.push(l >>> 7, (l & 127) | 128);
  else if (l < 2097151) out.push(l >>> 14, ((l >>> 7) & 127) | 128, (l & 127) | 128);
  else if (l < 268435455) out.push(l >>> 21, ((l >>> 14) & 127) | 128, ((l >>> 7) & 127) | 128, (l & 127) | 128);
  else out.push(Math.floor(l / 2 ** 28), ((l >>> 21) & 127) | 128, ((l >>> 14) & 127) | 128, ((l >>> 7) & 127) | 128, (l & 127) | 128);
}
