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
// Memory held: a write lends its buffer only when it fills at least half of it (smaller writes
// are copied instead), so the buffers lent by one writer and not yet free hold at most twice its
// pending bytes plus its last write; the free list keeps at most FREE_BYTES bytes, in buffers of
// at most MAX_POOLED bytes (kept between moves: a node that exported once holds up to that).

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

export class LentBuffers {
  private readonly free: Buffer[] = [];
  private freeBytes = 0;
  private readonly lent: Buffer[] = [];
  private readonly owners: LendingWriter[] = [];
  private readonly ends: number[] = [];

  /** A buffer to encode into next: one free again, or a fresh one of `size` bytes. */
  take(size: number): Buffer {
    if (this.free.length === 0) this.reclaimSent();
    const b = this.free.pop();
    if (b === undefined) return Buffer.allocUnsafe(size);
    this.freeBytes -= b.length;
    return b;
  }

  /**
   * Writes what `out` holds to `socket` and empties it, counting the bytes in `owner.bytesSent`:
   * a buffer filled at least half is lent (written as a view, then `out` encodes into another), a
   * smaller write is copied out. The count grows right after the write, before any lent buffer
   * is checked against it.
   */
  flush(out: StreamBuffer, owner: LendingWriter, socket: { write(buf: Buffer): unknown }): void {
    const n = out.length;
    if (n === 0) return;
    if (n * 2 < out.buf.length) {
      socket.write(out.take());
      owner.bytesSent += n;
      return;
    }
    const buf = out.buf;
    socket.write(buf.subarray(0, n));
    owner.bytesSent += n;
    this.lend(buf, owner, owner.bytesSent);
    out.replace(this.take(buf.length));
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
