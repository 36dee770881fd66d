// Encoding buffers that slot exports write to their importers' sockets without a copy, and get
// back once the kernel has taken the bytes: so a move does not allocate a fresh buffer per step
// (~4 MB/s per source at the default rate) nor regrow one from 16 KB for every slot. (The
// mark-compacts seen on the sources during a move turned out to be V8's soft limit on a small
// heap, not these buffers: src/util/node-flags.ts; this change measured no different.)
//
// When a lent buffer is free again, without a completion callback per write: a socket's writes
// complete in order, so the bytes not yet taken by the kernel are always the last `pendingBytes`
// bytes written to it. If a writer counts the bytes it wrote (`bytesSent`) and a buffer it wrote
// ended at count `end`, then once `bytesSent - end >= pendingBytes` at least `pendingBytes` bytes
// went to that socket after the buffer, so none of the buffer's bytes is still pending. Bytes
// others wrote to the same socket only add to what followed it: the test stays safe. A closed
// (destroyed) socket sends nothing more: its buffers are free.
//
// No copy either for a write that fills little of its buffer: it goes out as a view, and the
// writer encodes on into the rest of the same buffer while at least half of it is left; the
// buffer is lent whole once less is (its bytes then all precede the writer's count at that
// write). (Copying such writes out cost a source ~17 ms per second of a move at 4 MB/s.)
//
// Memory held: a buffer is lent once more than half of it was written, so the buffers lent by one
// writer and not yet free hold at most twice its pending bytes plus its last write; the free list
// keeps at most FREE_BYTES bytes, in buffers of at most MAX_POOLED bytes (kept between moves: a
// node that exported once holds up to that).

import type { StreamBuffer } from '../replication/stream-buffer.js';

/** A writer that lends buffers to its socket. */
export interface LendingWriter {
  /** Bytes it wrote to its socket so far (flush() adds to it). */
  bytesSent: number;
  /** Whether every byte it wrote up to its count `end` has left (or the socket is closed). */
  hasSent(end: number): boolean;
}

/** Bytes of free buffers kept at most. */
const FREE_BYTES = 8 * 1024 * 1024;
/** A buffer larger than this is not kept once free (one huge value's step). */
const MAX_POOLED = 2 * 1024 * 1024;

/** Whether `view` lies inside `whole`'s memory. */
function within(view: Buffer, whole: Buffer): boolean {
  return view.buffer === whole.buffer && view.byteOffset >= whole.byteOffset && view.byteOffset + view.length <= whole.byteOffset + whole.length;
}

export class LentBuffers {
  private readonly free: Buffer[] = [];
  private freeBytes = 0;
  private readonly lent: Buffer[] = [];
  private readonly owners: LendingWriter[] = [];
  private readonly ends: number[] = [];
  /** Per writer whose `out` encodes into the rest of a buffer after earlier writes: that buffer. */
  private readonly parents = new Map<LendingWriter, Buffer>();

  /** A buffer to encode into next: one free again, or a fresh one of `size` bytes. */
  take(size: number): Buffer {
    if (this.free.length === 0) this.reclaimSent();
    const b = this.free.pop();
    if (b === undefined) return Buffer.allocUnsafe(size);
    this.freeBytes -= b.length;
    return b;
  }

  /**
   * Writes what `out` holds to `socket` as a view, and empties it, counting the bytes in
   * `owner.bytesSent`. While at least half of the buffer's memory is left after the bytes written,
   * `out` goes on encoding into that rest (the head is the socket's until sent); else the whole
   * buffer is lent and `out` encodes into another. The count grows right after the write, before
   * any lent buffer is checked against it.
   */
  flush(out: StreamBuffer, owner: LendingWriter, socket: { write(buf: Buffer): unknown }): void {
    const n = out.length;
    if (n === 0) return;
    const view = out.buf;
    socket.write(n === view.length ? view : view.subarray(0, n));
    owner.bytesSent += n;
    // The buffer `view` is the rest of, unless `out` grew into a new one since (ensure).
    let whole = this.parents.get(owner);
    if (whole === undefined || !within(view, whole)) whole = view;
    if ((view.length - n) * 2 >= whole.length) {
      this.parents.set(owner, whole);
      out.replace(view.subarray(n));
      return;
    }
    this.parents.delete(owner);
    this.lend(whole, owner, owner.bytesSent);
    out.replace(this.take(whole.length));
  }

  /**
   * A writer is done and its socket destroyed (nothing it wrote is pending): the buffer its
   * `out` encodes into goes back to the free list whole, and the writer is forgotten.
   */
  release(out: StreamBuffer, owner: LendingWriter): void {
    const whole = this.parents.get(owner);
    this.parents.delete(owner);
    this.give(whole !== undefined && within(out.buf, whole) ? whole : out.buf);
  }

  /** `buf` was written by `owner`, its last byte at the owner's count `end`: not to be touched until sent. */
  private lend(buf: Buffer, owner: LendingWriter, end: number): void {
    this.lent.push(buf);
    this.owners.push(owner);
    this.ends.push(end);
  }

  /** A buffer its holder no longer needs, never written (or already sent). */
  give(buf: Buffer): void {
    if (buf.length > MAX_POOLED || this.freeBytes + buf.length > FREE_BYTES) return;
    this.free.push(buf);
    this.freeBytes += buf.length;
  }

  /** Buffers lent and not yet seen sent. */
  get lentCount(): number {
    return this.lent.length;
  }

  /** Moves every lent buffer whose bytes have left to the free list (order kept for the rest). */
  reclaimSent(): void {
    let kept = 0;
    for (let i = 0; i < this.lent.length; i++) {
      if (this.owners[i].hasSent(this.ends[i])) {
        this.give(this.lent[i]);
        continue;
      }
      this.lent[kept] = this.lent[i];
      this.owners[kept] = this.owners[i];
      this.ends[kept] = this.ends[i];
      kept++;
    }
    this.lent.length = kept;
    this.owners.length = kept;
    this.ends.length = kept;
  }
}
