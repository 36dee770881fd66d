// A ring of reused memory for the pieces of a full copy sent to one replica, so that a copy does
// not allocate a fresh buffer per step (33 MB/s of ArrayBuffers at the copy's pace, which made V8
// run a mark-compact every ~0.75 s on the primary, each pausing it for up to ~8 ms: the primary's
// p99 during a copy, measured in docs/benchmarks.md).
//
// Why a region can be reused without a completion callback. A socket's writes complete in order,
// so the bytes not yet taken by the kernel are always the last `pendingBytes` bytes written. The
// copy writes a piece only while pendingBytes <= high (it waits otherwise), and one piece is at
// most `maxPiece` (= C) bytes. Pieces go into the ring one after another and wrap to 0 when the
// next would not fit, so the wrap point is above size - C. An old piece X overlapping the region
// [a, a + c) about to be reused ends before a + c + C; every byte written after X on this lap
// (X's end to the wrap point, then 0 to a) went to the same socket after X, at least
// (size - C - (a + c + C)) + a = size - 2C - c >= size - 3C bytes. With size >= high + 3C that is
// at least `high` >= pendingBytes bytes after X, so X was taken by the kernel already and the
// buffer it was written from is free. Other writes to the socket (heartbeats) only add bytes after
// X. A piece over C bytes (a single huge value) gets a buffer of its own.

export class SendRing {
  private readonly ring: Buffer;
  private at = 0;

  constructor(
    /** The most bytes a piece placed in the ring may have. */
    readonly maxPiece: number,
    /** The copy writes only while the socket's unsent bytes are at most this. */
    high: number,
  ) {
    this.ring = Buffer.allocUnsafe(high + 3 * maxPiece);
  }

  /**
   * A buffer holding `len` bytes for the next write, to be filled by the caller: a region of the
   * ring, or a buffer of its own when the piece is too large. Only valid while the caller writes
   * nothing when the socket holds more than `high` unsent bytes.
   */
  piece(len: number): Buffer {
    if (len > this.maxPiece) return Buffer.allocUnsafe(len);
    if (this.at + len > this.ring.length) this.at = 0;
    const out = this.ring.subarray(this.at, this.at + len);
    this.at += len;
    return out;
  }
}
