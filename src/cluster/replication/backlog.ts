// The replication backlog: the last `size` bytes of a node's replication stream, in a ring, so a
// replica that was briefly disconnected can resume from its offset (PSYNC) instead of a full copy.
//
// Offsets are Redis's: the stream's bytes are numbered from 1; `offset` (master_repl_offset) is
// the number of bytes ever appended, so the backlog holds bytes [firstOffset, offset] when it is
// not empty. A replica that has processed up to byte N asks for N + 1.

export class ReplicationBacklog {
  private buf: Buffer;
  /** Bytes ever appended: the offset of the last byte. */
  offset: number;
  /** Bytes currently held (at most buf.length). */
  private held = 0;
  /** Write position in buf. */
  private head = 0;

  constructor(size: number, startOffset = 0) {
    this.buf = Buffer.allocUnsafe(Math.max(16, size));
    this.offset = startOffset;
  }

  get size(): number {
    return this.buf.length;
  }

  /** The first offset still held (repl_backlog_first_byte_offset), or offset + 1 when empty. */
  get firstOffset(): number {
    return this.offset - this.held + 1;
  }

  get histlen(): number {
    return this.held;
  }

  append(src: Buffer, start = 0, end = src.length): void {
    let len = end - start;
    this.offset += len;
    const size = this.buf.length;
    if (len >= size) {
      // Only the tail fits.
      src.copy(this.buf, 0, end - size, end);
      this.head = 0;
      this.held = size;
      return;
    }
    const first = Math.min(len, size - this.head);
    src.copy(this.buf, this.head, start, start + first);
    len -= first;
    if (len > 0) src.copy(this.buf, 0, start + first, end);
    this.head = (this.head + first + len) % size;
    this.held = Math.min(size, this.held + first + len);
  }

  /** Whether bytes from `from` (inclusive) to the end are all held. */
  has(from: number): boolean {
    return from >= this.firstOffset && from <= this.offset + 1;
  }

  /** A copy of bytes [from, offset], or null when they are no longer all held. */
  copyFrom(from: number): Buffer | null {
    if (!this.has(from)) return null;
    const n = this.offset - from + 1;
    const out = Buffer.allocUnsafe(n);
    const size = this.buf.length;
    let at = (this.head - n + size) % size;
    const first = Math.min(n, size - at);
    this.buf.copy(out, 0, at, at + first);
    if (first < n) this.buf.copy(out, first, 0, n - first);
    at = 0;
    return out;
  }

  /** A new size (CONFIG SET repl-backlog-size): keeps the newest bytes that fit. */
  resize(size: number): void {
    size = Math.max(16, size);
    if (size === this.buf.length) return;
    const keep = Math.min(this.held, size);
    const tail = this.copyFrom(this.offset - keep + 1)!;
    this.buf = Buffer.allocUnsafe(size);
    tail.copy(this.buf, 0);
    this.held = keep;
    this.head = keep % size;
  }

  /** Forgets the held bytes and restarts numbering at `offset` (after a full resync). */
  reset(offset: number): void {
    this.offset = offset;
    this.held = 0;
    this.head = 0;
  }
}
