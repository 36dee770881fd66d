// The consumer groups of one stream (Redis 7.0.15's s->cgroups, streamCG, streamConsumer,
// streamNACK in stream.h), as plain data the commands in commands/stream-groups.ts act on.
//
// A group has a last delivered ID, an entries_read counter (-1: unknown), a pending entries list
// (PEL: the entries delivered and not yet acknowledged, by ID, each with its last delivery time,
// its delivery count and its owner) and consumers by name. Each consumer has a PEL of its own
// that shares the group's PendingEntry objects (as Redis's NACKs are shared between the two
// rax trees), so an entry changes owner by moving between consumer PELs with its times intact.
//
// Redis keeps groups, consumers and PELs in radix trees, iterated in bytewise key order: names
// in byte order (latin1 strings compare by char code, which is the byte), IDs ascending (their
// big-endian encoding). Names are few and sorted when iterated; PELs can be large and are kept
// in an IdIndex: a sorted array of IDs with a Map beside it, deletions lazy (see IdIndex).
//
// `bytes` is a running estimate of the memory all of it takes, kept up to date by the mutators
// below, so a command can account its change as a difference in O(1).

import type { ConsumerImage, GroupImage, PendingImage } from './stream-image.js';

/** Estimated bytes of a PEL entry (the NACK and its two index slots). */
const PENDING_BYTES = 80;
/** Estimated bytes of a consumer or group besides its name and PEL. */
const CONSUMER_BYTES = 96;
const GROUP_BYTES = 160;

/**
 * Values by stream ID in ascending ID order. `ids` is sorted and holds every live ID, and maybe
 * some removed ones (dead: not in `map`) that are dropped in one pass once they are half of it,
 * so removing from the front (XACK in delivery order) is O(1) amortized, not a splice each time.
 * Inserting past the end is a push; inserting in the middle a splice.
 */
export class IdIndex<V> {
  private ids: bigint[] = [];
  private readonly map = new Map<bigint, V>();
  private dead = 0;

  get size(): number {
    return this.map.size;
  }

  get(id: bigint): V | undefined {
    return this.map.get(id);
  }

  has(id: bigint): boolean {
    return this.map.has(id);
  }

  /** Sets id's value; returns false (and changes nothing) if id is already there. */
  insert(id: bigint, v: V): boolean {
    if (this.map.has(id)) return false;
    const ids = this.ids;
    const n = ids.length;
    if (n === 0 || ids[n - 1] < id) ids.push(id);
    else {
      const at = this.lowerBound(id);
      if (ids[at] === id) this.dead--; // a dead slot comes back to life
      else ids.splice(at, 0, id);
    }
    this.map.set(id, v);
    return true;
  }

  delete(id: bigint): boolean {
    if (!this.map.delete(id)) return false;
    if (this.map.size === 0) {
      this.ids = [];
      this.dead = 0;
    } else if (++this.dead > 16 && this.dead * 2 > this.ids.length) this.compact();
    return true;
  }

  /** The first live ID, or null when empty. */
  first(): bigint | null {
    for (const id of this.ids) if (this.map.has(id)) return id;
    return null;
  }

  /** The last live ID, or null when empty. */
  last(): bigint | null {
    for (let i = this.ids.length - 1; i >= 0; i--) if (this.map.has(this.ids[i])) return this.ids[i];
    return null;
  }

  /**
   * Live IDs >= from, ascending, with their values. The index may change while iterating (the
   * caller removes or re-owns the entry it is at): the walk goes on from the next larger ID.
   */
  *from(from: bigint): Generator<[bigint, V]> {
    let cursor = from;
    for (;;) {
      const ids = this.ids;
      let at = this.lowerBound(cursor);
      while (at < ids.length && !this.map.has(ids[at])) at++;
      if (at >= ids.length) return;
      const id = ids[at];
      yield [id, this.map.get(id)!];
      cursor = id + 1n;
    }
  }

  *entries(): Generator<[bigint, V]> {
    yield* this.from(0n);
  }

  private lowerBound(id: bigint): number {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compact(): void {
    this.ids = this.ids.filter((id) => this.map.has(id));
    this.dead = 0;
  }
}

/** A delivered, not yet acknowledged entry (Redis's streamNACK). */
export interface PendingEntry {
  /** Unix time in ms of its last delivery. */
  deliveryTime: number;
  deliveryCount: number;
  /** Its owner; null only for an instant inside XCLAIM FORCE. */
  consumer: Consumer | null;
}

export class Consumer {
  /** Unix time in ms it was last seen (created, read, claimed). */
  seenTime: number;
  readonly pel = new IdIndex<PendingEntry>();

  constructor(readonly name: string, now: number) {
    this.seenTime = now;
  }
}

/** Byte order of latin1 names, as Redis's rax iterates its keys. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class ConsumerGroup {
  readonly pel = new IdIndex<PendingEntry>();
  private readonly consumerMap = new Map<string, Consumer>();

  constructor(
    private readonly owner: StreamGroups,
    readonly name: string,
    /** The last delivered ID. */
    public lastId: bigint,
    /** entries_read, -1 when unknown. */
    public entriesRead: number,
  ) {}

  get consumerCount(): number {
    return this.consumerMap.size;
  }

  consumer(name: string): Consumer | undefined {
    return this.consumerMap.get(name);
  }

  /** Its consumers in name order. */
  consumers(): Consumer[] {
    return [...this.consumerMap.values()].sort((a, b) => byName(a.name, b.name));
  }

  /** Creates a consumer; null if one of that name exists. */
  createConsumer(name: string, now: number): Consumer | null {
    if (this.consumerMap.has(name)) return null;
    const c = new Consumer(name, now);
    this.consumerMap.set(name, c);
    this.owner.bytes += CONSUMER_BYTES + name.length;
    return c;
  }

  /** Deletes a consumer and its pending entries from the group's PEL (streamDelConsumer). */
  deleteConsumer(c: Consumer): void {
    for (const [id] of c.pel.entries()) this.pel.delete(id);
    this.owner.bytes -= c.pel.size * PENDING_BYTES + CONSUMER_BYTES + c.name.length;
    this.consumerMap.delete(c.name);
  }

  /**
   * Records id as delivered to `consumer` now (streamReplyWithRange's NACK creation): a new PEL
   * entry, or, if another delivery owns it (after XGROUP SETID moved the group back), the entry
   * given to this consumer with its count reset to 1.
   */
  deliver(id: bigint, consumer: Consumer, now: number): PendingEntry {
    const existing = this.pel.get(id);
    if (existing !== undefined) {
      existing.consumer?.pel.delete(id);
      existing.consumer = consumer;
      existing.deliveryTime = now;
      existing.deliveryCount = 1;
      consumer.pel.insert(id, existing);
      return existing;
    }
    const p: PendingEntry = { deliveryTime: now, deliveryCount: 1, consumer };
    this.pel.insert(id, p);
    consumer.pel.insert(id, p);
    this.owner.bytes += PENDING_BYTES;
    return p;
  }

  /** Adds an ownerless PEL entry (XCLAIM FORCE); the caller gives it an owner with assign(). */
  addPending(id: bigint, now: number): PendingEntry {
    const p: PendingEntry = { deliveryTime: now, deliveryCount: 1, consumer: null };
    this.pel.insert(id, p);
    this.owner.bytes += PENDING_BYTES;
    return p;
  }

  /** Moves a PEL entry to `consumer` (no change if it owns it already). */
  assign(id: bigint, p: PendingEntry, consumer: Consumer): void {
    if (p.consumer === consumer) return;
    p.consumer?.pel.delete(id);
    consumer.pel.insert(id, p);
    p.consumer = consumer;
  }

  /** Removes id from the PELs (XACK, a claim of a deleted entry); returns whether it was pending. */
  acknowledge(id: bigint): boolean {
    const p = this.pel.get(id);
    if (p === undefined) return false;
    this.pel.delete(id);
    p.consumer?.pel.delete(id);
    this.owner.bytes -= PENDING_BYTES;
    return true;
  }

  /** The estimated bytes of this group, for the owner's total when it goes. */
  estimate(): number {
    let bytes = GROUP_BYTES + this.name.length + this.pel.size * PENDING_BYTES;
    for (const c of this.consumerMap.values()) bytes += CONSUMER_BYTES + c.name.length;
    return bytes;
  }
}

/** The consumer groups of one stream, by name. */
export class StreamGroups {
  private readonly groupMap = new Map<string, ConsumerGroup>();
  /** Estimated bytes of all the groups (kept up to date by the mutators). */
  bytes = 0;

  get size(): number {
    return this.groupMap.size;
  }

  get(name: string): ConsumerGroup | undefined {
    return this.groupMap.get(name);
  }

  /** Its groups in name order. */
  groups(): ConsumerGroup[] {
    return [...this.groupMap.values()].sort((a, b) => byName(a.name, b.name));
  }

  /** Creates a group (streamCreateCG); null if one of that name exists. */
  create(name: string, lastId: bigint, entriesRead: number): ConsumerGroup | null {
    if (this.groupMap.has(name)) return null;
    const g = new ConsumerGroup(this, name, lastId, entriesRead);
    this.groupMap.set(name, g);
    this.bytes += GROUP_BYTES + name.length;
    return g;
  }

  destroy(name: string): boolean {
    const g = this.groupMap.get(name);
    if (g === undefined) return false;
    this.bytes -= g.estimate();
    this.groupMap.delete(name);
    return true;
  }

  /** A deep copy (COPY): same names, IDs, counters and times; no object shared. */
  clone(): StreamGroups {
    return groupsFromImage(groupsToImage(this)) ?? new StreamGroups();
  }
}

/** The groups as plain data (stream-image.ts), names in byte order, PELs ascending. */
export function groupsToImage(g: StreamGroups | null): GroupImage[] {
  if (g === null) return [];
  return g.groups().map((group) => {
    const pending: PendingImage[] = [];
    for (const [id, p] of group.pel.entries()) pending.push({ id, deliveryTime: p.deliveryTime, deliveryCount: p.deliveryCount });
    const consumers: ConsumerImage[] = group.consumers().map((c) => ({
      name: c.name,
      seenTime: c.seenTime,
      pending: [...c.pel.entries()].map(([id]) => id),
    }));
    return { name: group.name, lastId: group.lastId, entriesRead: group.entriesRead, pending, consumers };
  });
}

/**
 * Groups from plain data (an RDB load, RESTORE, COPY); null for none (a stream without groups
 * has s->cgroups NULL). A consumer's pending ID missing from the group's PEL is an error in
 * Redis's loader (rdbLoadObject); here it throws, for the caller to report as a bad payload.
 */
export function groupsFromImage(gs: readonly GroupImage[]): StreamGroups | null {
  if (gs.length === 0) return null;
  const out = new StreamGroups();
  for (const gi of gs) {
    const group = out.create(gi.name, gi.lastId, gi.entriesRead);
    if (group === null) throw new Error(`duplicate consumer group '${gi.name}'`);
    for (const p of gi.pending) group.addPending(p.id, p.deliveryTime).deliveryCount = p.deliveryCount;
    for (const ci of gi.consumers) {
      const consumer = group.createConsumer(ci.name, ci.seenTime);
      if (consumer === null) throw new Error(`duplicate consumer '${ci.name}'`);
      for (const id of ci.pending) {
        const p = group.pel.get(id);
        if (p === undefined || p.consumer !== null) throw new Error('consumer pending entry not in the group PEL');
        group.assign(id, p, consumer);
      }
    }
    for (const [, p] of group.pel.entries()) if (p.consumer === null) throw new Error('group pending entry without a consumer');
  }
  return out;
}
