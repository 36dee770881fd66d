// Stream IDs as Redis 7.0.15's t_stream.c handles them: parsing an ID argument with Redis's exact
// rules and error (streamGenericParseIDOrReply and its wrappers), the successor/predecessor of an
// ID (streamIncrID/streamDecrID), and the consumer-group lag logic (streamRangeHasTombstones,
// streamEstimateDistanceFromFirstEverEntry) over the counters a stream keeps.
//
// An ID is one bigint, (ms << 64n) | seq (store/stream-image.ts), so IDs compare with < and the
// extremes are 0n ("-") and STREAM_ID_MAX ("+").

import type { CommandContext } from './context.js';
import { streamId } from '../store/stream-image.js';

export const ERR_INVALID_STREAM_ID = 'ERR Invalid stream ID specified as stream command argument';

const U64_MAX = (1n << 64n) - 1n;
/** The largest ID, "+" (UINT64_MAX-UINT64_MAX). */
export const STREAM_ID_MAX = (U64_MAX << 64n) | U64_MAX;

/** SCG_INVALID_ENTRIES_READ: an entries-read counter that cannot be known. */
export const INVALID_ENTRIES_READ = -1;

/**
 * Redis's string2ull: first string2ll (strict decimal, no sign but '-', no spaces), negatives
 * refused; failing that strtoull (leading blanks and a sign allowed, '-' wraps modulo 2^64), which
 * must consume the whole string and not overflow. Returns null when Redis's would return 0.
 */
export function parseUnsigned64(s: string): bigint | null {
  if (/^(0|-?[1-9][0-9]*)$/.test(s)) {
    const v = BigInt(s);
    if (v >= -(1n << 63n) && v < 1n << 63n) return v < 0n ? null : v;
  }
  // strtoull: optional whitespace, optional sign, digits; the whole string must be consumed.
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(s);
  if (m === null) return null;
  const v = BigInt(m[2]);
  if (v > U64_MAX) return null; // ERANGE
  return m[1] === '-' ? (-v) & U64_MAX : v;
}

/** What parsing an ID gives: the ID, and whether its sequence was given (false for `ms-*`). */
export interface ParsedStreamId {
  id: bigint;
  seqGiven: boolean;
}

/**
 * streamGenericParseIDOrReply without the reply: null when the ID is invalid. `missingSeq` fills
 * the sequence of a bare `ms`; `strict` refuses "-" and "+"; `allowAutoSeq` accepts `ms-*`
 * (Redis's non-NULL seq_given), giving seq 0 and seqGiven false.
 */
export function parseStreamId(s: string, missingSeq: bigint, strict: boolean, allowAutoSeq: boolean): ParsedStreamId | null {
  if (s.length > 127) return null;
  // Redis copies the argument into a C buffer: it ends at the first NUL byte.
  const nul = s.indexOf('\0');
  const buf = nul >= 0 ? s.slice(0, nul) : s;
  if (strict && (buf === '-' || buf === '+')) return null;
  if (buf === '-') return { id: 0n, seqGiven: true };
  if (buf === '+') return { id: STREAM_ID_MAX, seqGiven: true };
  const dash = buf.indexOf('-');
  const ms = parseUnsigned64(dash >= 0 ? buf.slice(0, dash) : buf);
  if (ms === null) return null;
  if (dash < 0) return { id: streamId(ms, missingSeq), seqGiven: true };
  const seqText = buf.slice(dash + 1);
  if (allowAutoSeq && seqText === '*') return { id: streamId(ms, 0n), seqGiven: false };
  const seq = parseUnsigned64(seqText);
  if (seq === null) return null;
  return { id: streamId(ms, seq), seqGiven: true };
}

/** Redis's streamParseID (module API form): lenient, missing seq 0, no reply. */
export function streamParseID(s: string): bigint | null {
  const p = parseStreamId(s, 0n, false, false);
  return p === null ? null : p.id;
}

/** streamParseIDOrReply: "-" and "+" accepted; null after replying the error. */
export function streamParseIDOrReply(c: CommandContext, i: number, missingSeq: bigint): bigint | null {
  const p = parseStreamId(c.str(i), missingSeq, false, false);
  if (p === null) {
    c.w.error(ERR_INVALID_STREAM_ID);
    return null;
  }
  return p.id;
}

/**
 * streamParseStrictIDOrReply: "-" and "+" refused; with `allowAutoSeq` the `ms-*` form is
 * accepted (seqGiven false). Null after replying the error.
 */
export function streamParseStrictIDOrReply(c: CommandContext, i: number, missingSeq: bigint, allowAutoSeq = false): ParsedStreamId | null {
  const p = parseStreamId(c.str(i), missingSeq, true, allowAutoSeq);
  if (p === null) c.w.error(ERR_INVALID_STREAM_ID);
  return p;
}

/** A range bound: the ID and whether it was exclusive ("(" prefix, Redis 6.2). */
export interface IntervalId {
  id: bigint;
  exclusive: boolean;
}

/**
 * streamParseIntervalIDOrReply: "(id" is an exclusive bound parsed strictly; otherwise as
 * streamParseIDOrReply. Null after replying the error.
 */
export function streamParseIntervalIDOrReply(c: CommandContext, i: number, missingSeq: bigint): IntervalId | null {
  const s = c.str(i);
  const exclusive = s.length > 1 && s.charCodeAt(0) === 40; /* ( */
  const p = exclusive ? parseStreamId(s.slice(1), missingSeq, true, false) : parseStreamId(s, missingSeq, false, false);
  if (p === null) {
    c.w.error(ERR_INVALID_STREAM_ID);
    return null;
  }
  return { id: p.id, exclusive };
}

/** streamIncrID: the successor of id, or null when id is the last possible ID (Redis's C_ERR). */
export function streamIncrID(id: bigint): bigint | null {
  return id === STREAM_ID_MAX ? null : id + 1n;
}

/** streamDecrID: the predecessor of id, or null when id is 0-0 (Redis's C_ERR). */
export function streamDecrID(id: bigint): bigint | null {
  return id === 0n ? null : id - 1n;
}

/** The counters of a stream the lag logic reads (StreamValue has them). */
export interface StreamCounters {
  readonly length: number;
  readonly lastId: bigint;
  readonly maxDeletedId: bigint;
  readonly entriesAdded: number;
  /** The recorded first entry ID (Redis's s->first_id), 0n when empty. */
  firstId(): bigint;
}

/**
 * streamRangeHasTombstones: whether [start, end] (null: unbounded) may hold a deleted entry,
 * judged by the max deleted ID only. Assumes start < lastId, as Redis's callers do.
 */
export function streamRangeHasTombstones(s: StreamCounters, start: bigint | null, end: bigint | null): boolean {
  if (s.length === 0 || s.maxDeletedId === 0n) return false;
  if (s.firstId() > s.maxDeletedId) return false;
  const from = start ?? 0n;
  const to = end ?? STREAM_ID_MAX;
  return from <= s.maxDeletedId && s.maxDeletedId <= to;
}

/**
 * streamEstimateDistanceFromFirstEverEntry: the logical read counter of `id` (how many entries
 * were added up to it), or INVALID_ENTRIES_READ when it cannot be known (id between the first
 * and last entries, in the future, or the stream is fragmented by deletions).
 */
export function streamEstimateDistanceFromFirstEverEntry(s: StreamCounters, id: bigint): number {
  if (s.entriesAdded === 0) return 0;
  if (s.length === 0 && id <= s.lastId) return s.entriesAdded;
  if (id === s.lastId) return s.entriesAdded;
  if (id > s.lastId) return INVALID_ENTRIES_READ;
  const first = s.firstId();
  if (s.maxDeletedId === 0n || s.maxDeletedId < first) {
    if (id < first) return s.entriesAdded - s.length;
    if (id === first) return s.entriesAdded - s.length + 1;
  }
  return INVALID_ENTRIES_READ;
}
