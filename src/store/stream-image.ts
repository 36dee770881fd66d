// A stream's contents as plain data: the one shape a stream value (stream.ts, stream-groups.ts)
// and its serializations (Redis's RDB type 19, STREAM_LISTPACKS_2, in stream-rdb.ts) meet in, so
// neither side knows the other's internals. It holds what Redis 7.0.15 persists of a stream, and
// nothing of how corral or Redis lay it out in memory (nodes, radix tree).
//
// Stream IDs are one bigint each: (ms << 64n) | seq, both unsigned 64-bit, so IDs compare with <
// and sort as Redis orders them.

/** An entry: its ID and its field/value pairs, flattened (field, value, field, value...). */
export interface StreamEntryImage {
  readonly id: bigint;
  readonly fields: readonly string[];
}

/** A pending (delivered, not yet acknowledged) entry of a group. */
export interface PendingImage {
  readonly id: bigint;
  /** The unix time in ms of its last delivery. */
  readonly deliveryTime: number;
  readonly deliveryCount: number;
}

export interface ConsumerImage {
  readonly name: string;
  /** The unix time in ms the consumer was last seen (Redis 7.0's seen-time). */
  readonly seenTime: number;
  /** The IDs it owns in the group's pending list, ascending. */
  readonly pending: readonly bigint[];
}

export interface GroupImage {
  readonly name: string;
  readonly lastId: bigint;
  /** entries-read, or -1 when unknown (Redis's SCG_INVALID_ENTRIES_READ). */
  readonly entriesRead: number;
  /** The group's pending entries list, ascending by ID. */
  readonly pending: readonly PendingImage[];
  /** Its consumers, in name order as Redis's rax keeps them. */
  readonly consumers: readonly ConsumerImage[];
}

export interface StreamImage {
  /** The live (not deleted) entries, ascending by ID. */
  readonly entries: readonly StreamEntryImage[];
  readonly lastId: bigint;
  /** recorded-first-entry-id (0 when the stream is empty). */
  readonly firstId: bigint;
  readonly maxDeletedId: bigint;
  readonly entriesAdded: number;
  /** Its consumer groups, in name order as Redis's rax keeps them. */
  readonly groups: readonly GroupImage[];
}

export const STREAM_ID_SEQ_MASK = (1n << 64n) - 1n;

export function streamId(ms: bigint, seq: bigint): bigint {
  return (ms << 64n) | seq;
}

export function streamIdMs(id: bigint): bigint {
  return id >> 64n;
}

export function streamIdSeq(id: bigint): bigint {
  return id & STREAM_ID_SEQ_MASK;
}

/** An ID as Redis prints it: "ms-seq". */
export function formatStreamId(id: bigint): string {
  return `${id >> 64n}-${id & STREAM_ID_SEQ_MASK}`;
}
