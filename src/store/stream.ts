// A stream's value (Redis 7.0's `stream`): entries ordered by ID in nodes split as Redis splits
// its listpacks (stream-node.ts), the counters 7.0 keeps (last ID, max deleted ID, entries
// added, recorded first ID), and the consumer groups (stream-groups.ts, held opaque here).
//
// Deletion follows Redis: XDEL and exact trimming mark entries as tombstones inside their node
// (a node goes when its last live entry is XDEL'd); trimming removes whole nodes from the head
// while it can, and only exact trimming then marks entries inside the next node. So `~` trims
// and LIMIT stop at node boundaries, giving Redis's counts.

import { OBJECT_OVERHEAD, type CollectionValue } from './entry.js';
import type { EncodingLimits } from './encoding-limits.js';
import type { StreamEntryImage, StreamImage } from './stream-image.js';
import { StreamNode } from './stream-node.js';
import type { StreamGroups } from './stream-groups.js';
import { groupsFromImage, groupsToImage } from './stream-groups.js';

export type { StreamEntryImage };

const STREAM_OVERHEAD = OBJECT_OVERHEAD + 64;
const NODE_OVERHEAD = 96;
/** STREAM_LISTPACK_MAX_SIZE: a node never grows past 1 GB whatever the config says. */
const LISTPACK_MAX_SIZE = 1 << 30;
const U64_MAX = (1n << 64n) - 1n;
/** The largest ID ("+"). */
const ID_MAX = (U64_MAX << 64n) | U64_MAX;

export const TRIM_MAXLEN = 1;
export const TRIM_MINID = 2;

/** What to trim: Redis's streamAddTrimArgs, minus the XADD parts. */
export interface TrimSpec {
  strategy: typeof TRIM_MAXLEN | typeof TRIM_MINID;
  /** MAXLEN: the length to keep. */
  maxlen: number;
  /** MINID: the lowest ID to keep. */
  minid: bigint;
  /** `~`: remove whole nodes only. */
  approx: boolean;
  /** The most entries to remove, 0 for no limit. */
  limit: number;
}


export class StreamValue implements CollectionValue {
  /** The nodes, ascending by master ID (Redis's radix tree of listpacks). */
  private nodes: StreamNode[] = [];
  private liveCount = 0;
  /** The ID of the last entry ever added, or set by XSETID. */
  lastId = 0n;
  /** The largest ID ever deleted (XDEL), 0n if none. */
  maxDeletedId = 0n;
  /** How many entries were ever added. */
  entriesAdded = 0;
  /** Redis's s->first_id: the first live entry's ID, 0n when empty. */
  private recordedFirstId = 0n;
  /** The consumer groups (part of stream-groups.ts), null when none was ever created. */
  groups: StreamGroups | null = null;
  private entryBytes = 0;

  get length(): number {
    return this.liveCount;
  }

  get size(): number {
    return this.liveCount;
  }

  get bytes(): number {
    return STREAM_OVERHEAD + this.entryBytes + this.nodes.length * NODE_OVERHEAD + (this.groups === null ? 0 : this.groups.bytes);
  }

  encoding(): string {
    return 'stream';
  }

  /** The first live entry's ID as Redis records it (s->first_id), 0n if empty. */
  firstId(): bigint {
    return this.recordedFirstId;
  }

  /** How many nodes (Redis's radix tree keys) the stream has. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The master IDs of its nodes (Redis's radix tree keys), ascending. */
  nodeMasterIds(): bigint[] {
    return this.nodes.map((n) => n.masterId);
  }

  /**
   * The ID an XADD with `*` gets at time nowMs (streamNextID): nowMs-0 when the clock is past
   * the last ID's ms, else the last ID's successor; null when the last ID is the largest.
   */
  nextAutoId(nowMs: number): bigint | null {
    const ms = BigInt(Math.max(0, Math.floor(nowMs)));
    if (ms > this.lastId >> 64n) return ms << 64n;
    return this.lastId === ID_MAX ? null : this.lastId + 1n;
  }

  /**
   * Appends an entry with id (greater than lastId: the caller checks) and its flattened
   * field/value pairs, into the tail node or a new one as streamAppendItem decides.
   */
  append(id: bigint, pairs: readonly string[], limits: Readonly<EncodingLimits>): void {
    let tail = this.nodes.length > 0 ? this.nodes[this.nodes.length - 1] : null;
    if (tail !== null) {
      let fieldBytes = 0;
      for (const s of pairs) fieldBytes += s.length;
      let maxBytes = limits.streamNodeMaxBytes;
      if (maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE) maxBytes = LISTPACK_MAX_SIZE;
      if (tail.lpBytes + fieldBytes >= maxBytes) tail = null;
      else if (limits.streamNodeMaxEntries !== 0 && tail.live + tail.deleted >= limits.streamNodeMaxEntries) tail = null;
    }
    if (tail === null) {
      const fields: string[] = [];
      for (let i = 0; i < pairs.length; i += 2) fields.push(pairs[i]);
      tail = new StreamNode(id, fields);
      this.nodes.push(tail);
    }
    tail.append(id, pairs);
    this.entryBytes += tail.entryBytes(tail.total - 1);
    this.liveCount++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.liveCount === 1) this.recordedFirstId = id;
  }

  /** The fields of the live entry with this ID, or null. */
  lookup(id: bigint): readonly string[] | null {
    const n = this.nodeFor(id);
    if (n < 0) return null;
    const node = this.nodes[n];
    const i = node.indexOf(id);
    return i >= 0 && node.isLive(i) ? node.pairs[i] : null;
  }

  /**
   * The live entries with start <= ID <= end, ascending (descending when rev), at most count
   * of them (count <= 0: all).
   */
  range(start: bigint, end: bigint, count: number, rev: boolean): StreamEntryImage[] {
    const out: StreamEntryImage[] = [];
    this.forEachInRange(start, end, rev, (id, fields) => {
      out.push({ id, fields });
      return count <= 0 || out.length < count;
    });
    return out;
  }

  /**
   * Calls visit for each live entry with start <= ID <= end in order (descending when rev)
   * until it returns false. The stream must not change meanwhile.
   */
  forEachInRange(start: bigint, end: bigint, rev: boolean, visit: (id: bigint, fields: readonly string[]) => boolean): void {
    if (start > end || this.nodes.length === 0) return;
    const nodes = this.nodes;
    if (!rev) {
      for (let n = Math.max(0, this.nodeFor(start)); n < nodes.length; n++) {
        const node = nodes[n];
        if (node.masterId > end) return;
        for (let i = node.lowerBound(start); i < node.ids.length; i++) {
          const id = node.ids[i];
          if (id > end) return;
          if (node.isLive(i) && !visit(id, node.pairs[i])) return;
        }
      }
    } else {
      for (let n = this.nodeFor(end); n >= 0; n--) {
        const node = nodes[n];
        let i = node.lowerBound(end);
        if (i === node.ids.length || node.ids[i] > end) i--;
        for (; i >= 0; i--) {
          const id = node.ids[i];
          if (id < start) return;
          if (node.isLive(i) && !visit(id, node.pairs[i])) return;
        }
      }
    }
  }

  /** The last live entry's ID (streamLastValidID), 0n if empty. */
  lastValidId(): bigint {
    for (let n = this.nodes.length - 1; n >= 0; n--) {
      const node = this.nodes[n];
      for (let i = node.ids.length - 1; i >= 0; i--) if (node.isLive(i)) return node.ids[i];
    }
    return 0n;
  }

  /** The first live entry's ID (streamGetEdgeID first, skipping tombstones), null if empty. */
  private firstLiveId(): bigint | null {
    for (const node of this.nodes) {
      if (node.live === 0) continue;
      for (let i = 0; i < node.ids.length; i++) if (node.isLive(i)) return node.ids[i];
    }
    return null;
  }

  /**
   * The first entry's ID counting tombstones (streamGetEdgeID(s,1,0)), as Redis rewrites a MINID
   * trim for replication; the largest ID when there is none.
   */
  firstEntryIdWithTombstones(): bigint {
    return this.nodes.length > 0 ? this.nodes[0].ids[0] : ID_MAX;
  }

  /**
   * XDEL of these IDs (streamDeleteItem for each, then the first and max-deleted IDs as
   * xdelCommand updates them): the number of live entries deleted.
   */
  deleteIds(ids: readonly bigint[]): number {
    let deleted = 0;
    let firstDeleted = false;
    for (const id of ids) {
      if (!this.deleteOne(id)) continue;
      if (id === this.recordedFirstId) firstDeleted = true;
      if (id > this.maxDeletedId) this.maxDeletedId = id;
      deleted++;
    }
    if (deleted > 0) {
      if (this.liveCount === 0) this.recordedFirstId = 0n;
      else if (firstDeleted) this.recordedFirstId = this.firstLiveId() ?? 0n;
    }
    return deleted;
  }

  private deleteOne(id: bigint): boolean {
    const n = this.nodeFor(id);
    if (n < 0) return false;
    const node = this.nodes[n];
    const i = node.indexOf(id);
    if (i < 0 || !node.isLive(i)) return false;
    this.entryBytes -= node.entryBytes(i);
    // Its last live entry: the node goes, tombstones and all (streamIteratorRemoveEntry).
    if (node.live === 1) this.nodes.splice(n, 1);
    else node.markDeleted(i);
    this.liveCount--;
    return true;
  }

  /**
   * streamTrim: removes whole head nodes while the strategy allows (and LIMIT is not passed);
   * then, unless approx, marks entries of the next node deleted up to the threshold. Returns
   * the number of entries removed.
   */
  trim(spec: TrimSpec): number {
    let deleted = 0;
    let removedNodes = 0;
    const nodes = this.nodes;
    for (let n = 0; n < nodes.length; n++) {
      if (spec.strategy === TRIM_MAXLEN && this.liveCount <= spec.maxlen) break;
      const node = nodes[n];
      const entries = node.live;
      if (spec.limit !== 0 && deleted + entries > spec.limit) break;
      const removeNode = spec.strategy === TRIM_MAXLEN ? this.liveCount - entries >= spec.maxlen : node.lastEntryId() < spec.minid;
      if (removeNode) {
        for (let i = 0; i < node.ids.length; i++) if (node.isLive(i)) this.entryBytes -= node.entryBytes(i);
        removedNodes++;
        this.liveCount -= entries;
        deleted += entries;
        continue;
      }
      if (spec.approx) break;
      for (let i = 0; i < node.ids.length; i++) {
        const stop = spec.strategy === TRIM_MAXLEN ? this.liveCount <= spec.maxlen : node.ids[i] >= spec.minid;
        if (stop) break;
        if (node.isLive(i)) {
          this.entryBytes -= node.entryBytes(i);
          node.markDeleted(i);
          this.liveCount--;
          deleted++;
        }
      }
      break;
    }
    if (removedNodes > 0) nodes.splice(0, removedNodes);
    if (this.liveCount === 0) this.recordedFirstId = 0n;
    else if (deleted > 0) this.recordedFirstId = this.firstLiveId() ?? 0n;
    return deleted;
  }

  /** The index of the last node whose master ID is <= id, -1 if none. */
  private nodeFor(id: bigint): number {
    let lo = 0;
    let hi = this.nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.nodes[mid].masterId <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** A deep copy, nodes and consumer groups included (COPY). */
  clone(): StreamValue {
    const copy = new StreamValue();
    copy.nodes = this.nodes.map((n) => n.clone());
    copy.liveCount = this.liveCount;
    copy.lastId = this.lastId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    copy.recordedFirstId = this.recordedFirstId;
    copy.entryBytes = this.entryBytes;
    copy.groups = this.groups === null ? null : this.groups.clone();
    return copy;
  }

  /** The stream as plain data (stream-image.ts). */
  toImage(): StreamImage {
    return {
      entries: this.range(0n, ID_MAX, 0, false),
      lastId: this.lastId,
      firstId: this.recordedFirstId,
      maxDeletedId: this.maxDeletedId,
      entriesAdded: this.entriesAdded,
      groups: groupsToImage(this.groups),
    };
  }

  /**
   * A stream from its image: the live entries appended afresh (nodes split by today's limits:
   * tombstones are not in the image), then the counters as recorded.
   */
  static fromImage(img: StreamImage, limits: Readonly<EncodingLimits>): StreamValue {
    const s = new StreamValue();
    for (const e of img.entries) s.append(e.id, e.fields, limits);
    s.lastId = img.lastId;
    s.maxDeletedId = img.maxDeletedId;
    s.entriesAdded = img.entriesAdded;
    // A recorded first ID of 0 with entries (an older RDB type records none): the first entry's.
    s.recordedFirstId = img.entries.length === 0 ? 0n : img.firstId !== 0n ? img.firstId : img.entries[0].id;
    s.groups = groupsFromImage(img.groups);
    return s;
  }

  /** XSETID: the counters it may set (the caller has checked them against the stream). */
  setIds(lastId: bigint, entriesAdded: number | null, maxDeletedId: bigint | null): void {
    this.lastId = lastId;
    if (entriesAdded !== null) this.entriesAdded = entriesAdded;
    if (maxDeletedId !== null) this.maxDeletedId = maxDeletedId;
  }
}
