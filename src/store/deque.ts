// The list value: a growable ring buffer of latin1 strings with O(1) amortized push/pop at both
// ends and O(1) indexing, keeping its byte estimate current on every change.
//
// Layout: `buf` has a power-of-two capacity; the element at logical index i lives at
// buf[(head + i) & mask]. When full, the buffer doubles and the elements are copied out in
// logical order (so head returns to 0). It never shrinks below its largest size except through
// compact(), which LREM/LTRIM use when they rebuild the list.

import { STRING_OVERHEAD, type CollectionValue } from './entry.js';

/** The list object itself (this record plus the backing array's header). */
export const DEQUE_OVERHEAD = 64;
/** Per element: one array slot (8 bytes) plus the string's header and rounding. */
export const DEQUE_ELEMENT_OVERHEAD = 8 + STRING_OVERHEAD;

export function elementBytes(s: string): number {
  return DEQUE_ELEMENT_OVERHEAD + s.length;
}

const MIN_CAPACITY = 8;

export class Deque implements CollectionValue {
  private buf: Array<string | undefined>;
  private head = 0;
  private count = 0;
  private mask: number;
  bytes = DEQUE_OVERHEAD;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.buf = new Array<string | undefined>(cap);
    this.mask = cap - 1;
  }

  static from(items: readonly string[]): Deque {
    const d = new Deque(items.length);
    for (const s of items) d.pushBack(s);
    return d;
  }

  get size(): number {
    return this.count;
  }

  get length(): number {
    return this.count;
  }

  /** Redis 7.0 reports every list as a quicklist (list-max-listpack-size only shapes its nodes). */
  encoding(): string {
    return 'quicklist';
  }

  clone(): Deque {
    const d = new Deque(this.count);
    for (let i = 0; i < this.count; i++) d.pushBack(this.get(i)!);
    return d;
  }

  pushBack(s: string): void {
    if (this.count === this.buf.length) this.grow();
    this.buf[(this.head + this.count) & this.mask] = s;
    this.count++;
    this.bytes += elementBytes(s);
  }

  pushFront(s: string): void {
    if (this.count === this.buf.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = s;
    this.count++;
    this.bytes += elementBytes(s);
  }

  popFront(): string | undefined {
    if (this.count === 0) return undefined;
    const s = this.buf[this.head]!;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    this.bytes -= elementBytes(s);
    return s;
  }

  popBack(): string | undefined {
    if (this.count === 0) return undefined;
    const i = (this.head + this.count - 1) & this.mask;
    const s = this.buf[i]!;
    this.buf[i] = undefined;
    this.count--;
    this.bytes -= elementBytes(s);
    return s;
  }

  /** Element at logical index i (0 = head), or undefined when out of range. */
  get(i: number): string | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.buf[(this.head + i) & this.mask];
  }

  /** Replaces the element at i (must be in range); returns the byte delta. */
  set(i: number, s: string): number {
    const slot = (this.head + i) & this.mask;
    const old = this.buf[slot]!;
    this.buf[slot] = s;
    const delta = s.length - old.length;
    this.bytes += delta;
    return delta;
  }

  /** Inserts s before logical index i (0..length), shifting the shorter side: O(min(i, n - i)). */
  insert(i: number, s: string): void {
    const n = this.count;
    if (i <= 0) return this.pushFront(s);
    if (i >= n) return this.pushBack(s);
    if (n === this.buf.length) this.grow();
    const m = this.mask;
    if (i < n - i) {
      this.head = (this.head - 1) & m;
      for (let k = 0; k < i; k++) this.buf[(this.head + k) & m] = this.buf[(this.head + k + 1) & m];
    } else {
      for (let k = n; k > i; k--) this.buf[(this.head + k) & m] = this.buf[(this.head + k - 1) & m];
    }
    this.buf[(this.head + i) & m] = s;
    this.count++;
    this.bytes += elementBytes(s);
  }

  /** Index of the first element equal to s, or -1. */
  indexOf(s: string): number {
    for (let i = 0; i < this.count; i++) if (this.buf[(this.head + i) & this.mask] === s) return i;
    return -1;
  }

  /**
   * Removes up to `limit` elements equal to `value` (0: all), scanning from the head or, with
   * fromTail, from the tail (LREM). Survivors are compacted toward the scanning end's opposite
   * side in one pass, keeping their order. Returns how many were removed.
   */
  removeValue(value: string, limit: number, fromTail: boolean): number {
    const n = this.count;
    let removed = 0;
    const m = this.mask;
    if (!fromTail) {
      let out = 0;
      for (let i = 0; i < n; i++) {
        const s = this.buf[(this.head + i) & m]!;
        if (s === value && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (out !== i) this.buf[(this.head + out) & m] = s;
        out++;
      }
      for (let i = out; i < n; i++) this.buf[(this.head + i) & m] = undefined;
    } else {
      let out = n - 1;
      for (let i = n - 1; i >= 0; i--) {
        const s = this.buf[(this.head + i) & m]!;
        if (s === value && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (out !== i) this.buf[(this.head + out) & m] = s;
        out--;
      }
      for (let i = 0; i <= out; i++) this.buf[(this.head + i) & m] = undefined;
      this.head = (this.head + removed) & m;
    }
    this.count = n - removed;
    this.bytes -= removed * (DEQUE_ELEMENT_OVERHEAD + value.length);
    return removed;
  }

  /** Keeps logical indexes [start, stop], clamped to the list; empty when start > stop (LTRIM). */
  trim(start: number, stop: number): void {
    if (start < 0) start = 0;
    if (stop >= this.count) stop = this.count - 1;
    if (start > stop) {
      while (this.count > 0) this.popBack();
      return;
    }
    const dropBack = this.count - 1 - stop;
    for (let i = 0; i < start; i++) this.popFront();
    for (let i = 0; i < dropBack; i++) this.popBack();
  }

  /** The elements as a plain array, head first (tests and debugging). */
  toArray(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.buf[(this.head + i) & this.mask]!);
    return out;
  }

  private grow(): void {
    const old = this.buf;
    const cap = old.length * 2;
    const next = new Array<string | undefined>(cap);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.buf = next;
    this.head = 0;
    this.mask = cap - 1;
  }
}
