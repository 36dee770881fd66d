// One node of a stream: the entries Redis 7.0 keeps in one listpack of its radix tree, and the
// exact byte size that listpack would have. The size matters because Redis starts a new node
// when `lpBytes + the new entry's field/value bytes >= stream-node-max-bytes` (streamAppendItem),
// and approximate trimming (`~`) removes whole nodes only: to trim as Redis does, nodes must
// split where Redis's split.
//
// A Redis node's listpack is laid out as (t_stream.c):
//   header(6) | count | deleted | num-fields | master field... | 0 | entry... | EOF(1)
// and each entry as
//   flags | ms-delta | seq-delta | [num-fields | field, value...] or [value...] | lp-count
// where the field names are left out (the SAMEFIELDS flag) when they equal the master entry's.
// Deleted entries stay as tombstones (the DELETED flag) until the whole node goes. Every
// listpack element costs its encoding (an integer in 1-9 bytes, or a string with a 1, 2 or 5
// byte header; strings that read as 64-bit integers are stored as integers) plus a 1-5 byte
// back-length.

export const FLAG_DELETED = 1;
export const FLAG_SAMEFIELDS = 2;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const U64 = 1n << 64n;

/** Bytes of a listpack element whose encoding takes `len` bytes: the encoding plus its back-length. */
function withBacklen(len: number): number {
  if (len <= 127) return len + 1;
  if (len < 16383) return len + 2;
  if (len < 2097151) return len + 3;
  if (len < 268435455) return len + 4;
  return len + 5;
}

function intEncodingLength(v: bigint | number): number {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

/** Bytes of an integer element (lpAppendInteger / lpReplaceInteger). */
export function lpIntBytes(v: bigint | number): number {
  return withBacklen(intEncodingLength(v));
}

/** lpStringToInt64: the string as a 64-bit integer if the listpack would store it as one. */
function lpStringToInt64(s: string): bigint | null {
  if (s.length === 0 || s.length >= 21) return null;
  const c0 = s.charCodeAt(0);
  if (c0 !== 45 /* - */ && (c0 < 48 || c0 > 57)) return null; // the common case: text
  if (s === '0') return 0n;
  if (!/^-?[1-9][0-9]*$/.test(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/** Bytes of a string element (lpAppend): as an integer when it reads as one. */
export function lpStringBytes(s: string): number {
  const n = lpStringToInt64(s);
  if (n !== null) return lpIntBytes(n);
  const size = s.length;
  if (size < 64) return withBacklen(1 + size);
  if (size < 4096) return withBacklen(2 + size);
  return withBacklen(5 + size);
}

/** An unsigned 64-bit difference as the int64 lpAppendInteger stores. */
function asInt64(v: bigint): bigint {
  const u = ((v % U64) + U64) % U64;
  return u > INT64_MAX ? u - U64 : u;
}

const LP_EMPTY_BYTES = 7; // 6-byte header + the EOF byte
/** Estimated bytes of an entry besides its strings (its ID, flags, array and slots). */
const ENTRY_OVERHEAD = 40;
/** Per-string overhead (as entry.ts's STRING_OVERHEAD). */
const STRING_OVERHEAD = 16;

export class StreamNode {
  /** Every entry of the node, tombstones included, ascending. */
  readonly ids: bigint[] = [];
  /** Each entry's field/value pairs, flattened. */
  readonly pairs: Array<readonly string[]> = [];
  /** Each entry's FLAG_* bits. */
  readonly flags: number[] = [];
  /** Live entries (the listpack's count). */
  live = 0;
  /** Tombstones (the listpack's deleted). */
  deleted = 0;
  /** The byte size of Redis's listpack for this node. */
  lpBytes: number;

  constructor(
    /** The first ID ever added to the node: its radix tree key, the base of the deltas. */
    readonly masterId: bigint,
    /** The field names of the first entry (the master entry). */
    readonly masterFields: readonly string[],
  ) {
    let bytes = LP_EMPTY_BYTES + lpIntBytes(0) + lpIntBytes(0) + lpIntBytes(masterFields.length) + lpIntBytes(0);
    for (const f of masterFields) bytes += lpStringBytes(f);
    this.lpBytes = bytes; // count is 0 until the first append bumps it
  }

  get total(): number {
    return this.ids.length;
  }

  /** Appends an entry (its ID above every ID in the node), as streamAppendItem does. */
  append(id: bigint, pairs: readonly string[]): void {
    this.setCounts(this.live + 1, this.deleted);
    const numFields = pairs.length / 2;
    let same = numFields === this.masterFields.length;
    for (let i = 0; same && i < numFields; i++) if (pairs[i * 2] !== this.masterFields[i]) same = false;
    const flags = same ? FLAG_SAMEFIELDS : 0;
    let bytes = lpIntBytes(flags);
    bytes += lpIntBytes(asInt64((id >> 64n) - (this.masterId >> 64n)));
    bytes += lpIntBytes(asInt64((id & (U64 - 1n)) - (this.masterId & (U64 - 1n))));
    if (!same) bytes += lpIntBytes(numFields);
    for (let i = 0; i < numFields; i++) {
      if (!same) bytes += lpStringBytes(pairs[i * 2]);
      bytes += lpStringBytes(pairs[i * 2 + 1]);
    }
    bytes += lpIntBytes(same ? numFields + 3 : numFields * 2 + 4);
    this.lpBytes += bytes;
    this.ids.push(id);
    // An entry with the master's fields shares the master's field strings (as Redis's listpack
    // leaves them out): memory for them is counted once, in the node.
    if (same && this.ids.length > 1) {
      const shared = pairs.slice();
      for (let i = 0; i < numFields; i++) shared[i * 2] = this.masterFields[i];
      this.pairs.push(shared);
    } else this.pairs.push(pairs);
    this.flags.push(flags);
  }

  /** The estimated memory of entry i: its values, and its field names unless shared. */
  entryBytes(i: number): number {
    const pairs = this.pairs[i];
    const same = (this.flags[i] & FLAG_SAMEFIELDS) !== 0;
    let n = ENTRY_OVERHEAD;
    for (let k = same ? 1 : 0; k < pairs.length; k += same ? 2 : 1) n += STRING_OVERHEAD + pairs[k].length;
    return n;
  }

  /** Marks entry i deleted (its flag gains DELETED: same size) and moves one count to deleted. */
  markDeleted(i: number): void {
    this.flags[i] |= FLAG_DELETED;
    this.setCounts(this.live - 1, this.deleted + 1);
  }

  isLive(i: number): boolean {
    return (this.flags[i] & FLAG_DELETED) === 0;
  }

  /** The index of the entry with this ID (live or not), or -1. */
  indexOf(id: bigint): number {
    const i = this.lowerBound(id);
    return i < this.ids.length && this.ids[i] === id ? i : -1;
  }

  /** The first index whose ID is >= id. */
  lowerBound(id: bigint): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The last entry's ID, tombstone or not (lpGetEdgeStreamID). */
  lastEntryId(): bigint {
    return this.ids[this.ids.length - 1];
  }

  private setCounts(live: number, deleted: number): void {
    this.lpBytes += lpIntBytes(live) - lpIntBytes(this.live) + lpIntBytes(deleted) - lpIntBytes(this.deleted);
    this.live = live;
    this.deleted = deleted;
  }

  /** A copy (COPY keeps Redis's node layout: it copies each listpack). */
  clone(): StreamNode {
    const copy = new StreamNode(this.masterId, this.masterFields);
    for (let i = 0; i < this.ids.length; i++) {
      copy.ids.push(this.ids[i]);
      copy.pairs.push(this.pairs[i]);
      copy.flags.push(this.flags[i]);
    }
    copy.live = this.live;
    copy.deleted = this.deleted;
    copy.lpBytes = this.lpBytes;
    return copy;
  }
}
