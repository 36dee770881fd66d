// A big hash's fields and values off the JavaScript heap (hash-value.ts moves a hash here past
// TABLE_FIELDS fields): the keyspace's own key table (key-table.ts) over a slab allocator of the
// hash's own, with the field as the item's key and the value as its value.
//
// Why not a Map: a Map of a million fields holds two million strings on the heap, and V8 grows it
// by rehashing every entry at once; moved into a node (a slot migration's pieces, a replica's
// full sync, HSETs) such a hash stopped the event loop for 300-500 ms at a time (Map growth, then
// the collector marking and moving the strings). Here a field is an id in typed-array columns and
// its bytes sit in a slab chunk: no object per field, growth copies flat arrays. Strings exist
// only for the call that asks for one.
//
// Order: iteration walks ids upwards. An id is stable for as long as its field exists, and a freed
// id is reused by a later field, so a walk (HSCAN, an iterator kept across edits) returns every
// field present from its start to its end exactly once; a field added meanwhile may or may not
// be returned, as Redis's SCAN allows. Unlike the Map, the order is not insertion order (Redis's
// hashtable has none either).
//
// Memory: a chunk freed by a delete or a value changing size is reused by items of its class; pages
// are not evacuated (the keyspace's defragmentation drives its own slab only), so a hash that
// shrinks from many fields to few keeps the pages its remaining items sit on.

import { writeLatin1 } from '../util/bytes.js';
import { ITEM_HEADER, KeyTable, META_LIVE } from './key-table.js';
import { SlabAllocator, chunkSizeFor } from './slab.js';

/** The table, its allocator and their fixed arrays, empty (measured order of magnitude). */
export const FIELD_TABLE_OVERHEAD = 4096;

export class FieldTable {
  private readonly slab = new SlabAllocator();
  private readonly t = new KeyTable(this.slab);

  get size(): number {
    return this.t.count;
  }

  /**
   * Bytes held: index and columns, slab pages and large items, and the fixed overhead. Changed by
   * sets and deletes only (the keyspace accounts a hash by the change a write makes): an old index
   * that a growth is still moving, which a lookup may release, is left out.
   */
  get bytes(): number {
    return FIELD_TABLE_OVERHEAD + this.t.settledBytes + this.slab.heldBytes;
  }

  /** Makes room for `fields` fields at once (KeyTable.reserve): meant for an empty table. */
  reserve(fields: number): void {
    this.t.reserve(fields);
  }

  get(field: string): string | undefined {
    const id = this.t.findString(field);
    return id < 0 ? undefined : this.t.valueString(id);
  }

  has(field: string): boolean {
    return this.t.findString(field) >= 0;
  }

  /** The value's length in bytes, or -1 if the field is missing. */
  valueLength(field: string): number {
    const id = this.t.findString(field);
    return id < 0 ? -1 : this.t.valueLength(id);
  }

  /** Points view's buffer/start/end at field's value; false if the field is missing. */
  view(field: string): boolean {
    const id = this.t.findString(field);
    if (id < 0) return false;
    this.t.view(id);
    return true;
  }

  /** The buffer and byte range view() pointed at (valid until the next edit). */
  get vbuf(): Buffer {
    return this.t.vbuf;
  }
  get vstart(): number {
    return this.t.vstart;
  }
  get vend(): number {
    return this.t.vend;
  }

  /** Sets field to value; returns whether the field is new. */
  set(field: string, value: string): boolean {
    const t = this.t;
    const id = t.findString(field);
    const h = t.lastHash;
    const need = ITEM_HEADER + field.length + value.length;
    if (id >= 0) {
      let loc = t.loc[id];
      if (chunkSizeFor(need) !== this.slab.sizeOf(loc)) {
        // A value of another size class: a new chunk (the old one goes back to its class).
        const fresh = this.slab.alloc(need);
        this.slab.free(loc);
        t.loc[id] = loc = fresh;
      }
      this.write(loc, field, value);
      return false;
    }
    const loc = this.slab.alloc(need);
    this.write(loc, field, value);
    t.insert(h, loc, 0);
    return true;
  }

  /** Removes field; returns whether it was there. */
  delete(field: string): boolean {
    const id = this.t.findString(field);
    if (id < 0) return false;
    this.t.remove(id);
    return true;
  }

  private isLive(id: number): boolean {
    return (this.t.meta[id] & META_LIVE) !== 0;
  }

  /** The first live id at or after `from`, or -1. */
  nextLive(from: number): number {
    const meta = this.t.meta;
    const limit = this.t.highWater;
    for (let id = from; id < limit; id++) if ((meta[id] & META_LIVE) !== 0) return id;
    return -1;
  }

  fieldAt(id: number): string {
    return this.t.keyString(id);
  }

  valueAt(id: number): string {
    return this.t.valueString(id);
  }

  /** Points vbuf/vstart/vend at a live id's field bytes. */
  viewField(id: number): void {
    const t = this.t;
    t.view(id);
    const len = t.keyLength(id);
    // view() set vstart to the value's start; the field ends there.
    t.vend = t.vstart;
    t.vstart -= len;
  }

  /** Points vbuf/vstart/vend at a live id's value bytes. */
  viewValue(id: number): void {
    this.t.view(id);
  }

  /** The pairs, walking ids upwards (see the file comment for edits made during the walk). */
  *entries(): IterableIterator<[string, string]> {
    for (let id = this.nextLive(0); id >= 0; id = this.nextLive(id + 1)) yield [this.t.keyString(id), this.t.valueString(id)];
  }

  *keys(): IterableIterator<string> {
    for (let id = this.nextLive(0); id >= 0; id = this.nextLive(id + 1)) yield this.t.keyString(id);
  }

  /**
   * A uniformly random field (the table must not be empty): ids drawn below the high-water mark
   * until a live one; after 64 misses (a table emptied far below its peak), the live field at
   * a random rank, found by a walk.
   */
  randomField(): string {
    const limit = this.t.highWater;
    for (let tries = 0; tries < 64; tries++) {
      const id = Math.floor(Math.random() * limit);
      if (this.isLive(id)) return this.t.keyString(id);
    }
    let k = Math.floor(Math.random() * this.t.count);
    let id = this.nextLive(0);
    while (k-- > 0) id = this.nextLive(id + 1);
    return this.t.keyString(id);
  }

  clone(): FieldTable {
    const copy = new FieldTable();
    for (let id = this.nextLive(0); id >= 0; id = this.nextLive(id + 1)) copy.set(this.t.keyString(id), this.t.valueString(id));
    return copy;
  }

  private write(loc: number, field: string, value: string): void {
    const t = this.t;
    const voff = t.writeHeader(loc, field.length, value.length);
    const b = t.cb;
    writeLatin1(b, field, voff - field.length);
    writeLatin1(b, value, voff);
  }
}
