// Lent buffers against a model of FIFO sockets: writers that flush through LentBuffers.flush (lend
// a buffer filled past half, else encode on into its rest) never get back a buffer whose bytes a socket
// has not sent yet; all of them come back once sent; the free list is capped in bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LentBuffers, type LendingWriter } from './lent-buffers.js';
import { StreamBuffer } from '../replication/stream-buffer.js';

/** A socket that sends its writes in order, some bytes at a time; destroy drops what is pending. */
class ModelSocket {
  /** Unsent views, oldest first, and how much of the first was sent. */
  readonly queue: Buffer[] = [];
  private sentOfFirst = 0;
  pendingBytes = 0;
  closed = false;

  write(b: Buffer): void {
    if (this.closed) return;
    this.queue.push(b);
    this.pendingBytes += b.length;
  }

  send(n: number): void {
    while (n > 0 && this.queue.length > 0) {
      const left = this.queue[0].length - this.sentOfFirst;
      const k = Math.min(n, left);
      this.sentOfFirst += k;
      this.pendingBytes -= k;
      n -= k;
      if (this.sentOfFirst === this.queue[0].length) {
        this.queue.shift();
        this.sentOfFirst = 0;
      }
    }
  }

  destroy(): void {
    this.closed = true;
    this.queue.length = 0;
    this.pendingBytes = 0;
  }

  /** Whether an unsent byte lies in `buf`'s memory. */
  holds(buf: Buffer): boolean {
    return this.queue.some((v) => v.buffer === buf.buffer && v.byteOffset < buf.byteOffset + buf.length && buf.byteOffset < v.byteOffset + v.length);
  }
}

/** A writer that flushes as SlotExport does (through LentBuffers.flush). */
class ModelWriter implements LendingWriter {
  bytesSent = 0;
  readonly out: StreamBuffer;
  constructor(
    readonly socket: ModelSocket,
    private readonly pool: LentBuffers,
    private readonly sockets: ModelSocket[],
  ) {
    this.out = new StreamBuffer(this.checked(pool.take(64)));
  }

  hasSent(end: number): boolean {
    return this.socket.closed || this.bytesSent - end >= this.socket.pendingBytes;
  }

  /** A buffer from the pool, asserted free of every socket's unsent bytes. */
  checked(b: Buffer): Buffer {
    for (const s of this.sockets) assert.ok(!s.holds(b), 'the pool handed out a buffer a socket has not sent');
    return b;
  }

  flush(): void {
    if (this.socket.closed) return;
    this.pool.flush(this.out, this, this.socket);
    this.checked(this.out.buf);
  }
}

type Op =
  | { kind: 'encode'; w: number; bytes: number }
  | { kind: 'flush'; w: number }
  | { kind: 'fillAndFlush'; w: number }
  | { kind: 'send'; w: number; bytes: number }
  | { kind: 'sendAllBut'; w: number; left: number }
  | { kind: 'other'; w: number; bytes: number }
  | { kind: 'destroy'; w: number };

// Weighted: a destroyed socket takes no more writes, so destroys stay rare.
const op = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('encode' as const), w: fc.nat(2), bytes: fc.integer({ min: 1, max: 5000 }) }), weight: 10 },
  { arbitrary: fc.record({ kind: fc.constant('flush' as const), w: fc.nat(2) }), weight: 10 },
  // Fills the buffer past half, so that the flush lends it (buffers only grow: else most flushes copy).
  { arbitrary: fc.record({ kind: fc.constant('fillAndFlush' as const), w: fc.nat(2) }), weight: 10 },
  { arbitrary: fc.record({ kind: fc.constant('send' as const), w: fc.nat(2), bytes: fc.integer({ min: 1, max: 20000 }) }), weight: 5 },
  // Down to the last byte or two: where an off-by-one in "sent" would hand out a held buffer.
  { arbitrary: fc.record({ kind: fc.constant('sendAllBut' as const), w: fc.nat(2), left: fc.nat(2) }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('other' as const), w: fc.nat(2), bytes: fc.integer({ min: 1, max: 300 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('destroy' as const), w: fc.nat(2) }), weight: 1 },
);

test('a buffer comes back only once every socket sent its bytes; all come back once sent', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const pool = new LentBuffers();
      const sockets = [new ModelSocket(), new ModelSocket(), new ModelSocket()];
      const writers = sockets.map((s) => new ModelWriter(s, pool, sockets));
      const payload = Buffer.alloc(5000, 0x61);
      for (const o of ops) {
        const w = writers[o.w];
        if (o.kind === 'encode') w.out.argBytes(payload, 0, o.bytes);
        else if (o.kind === 'flush') w.flush();
        else if (o.kind === 'fillAndFlush') {
          const need = (w.out.buf.length >> 1) + 1 - w.out.length;
          if (need > 0) w.out.argBytes(Buffer.alloc(need, 0x62), 0, need);
          w.flush();
        }
        else if (o.kind === 'send') w.socket.send(o.bytes);
        else if (o.kind === 'sendAllBut') w.socket.send(w.socket.pendingBytes - o.left);
        else if (o.kind === 'other') w.socket.write(Buffer.alloc(o.bytes));
        else w.socket.destroy();
      }
      // Once every socket has sent everything, nothing stays lent.
      for (const s of sockets) s.send(Number.MAX_SAFE_INTEGER);
      pool.reclaimSent();
      assert.equal(pool.lentCount, 0);
    }),
    { numRuns: 300 },
  );
});

test('a buffer written and sent at once is the next one handed out', () => {
  const pool = new LentBuffers();
  const socket = new ModelSocket();
  const w = new ModelWriter(socket, pool, [socket]);
  w.out.argBytes(Buffer.alloc(100, 1), 0, 100);
  const first = w.out.buf;
  w.flush();
  assert.notEqual(w.out.buf, first, 'the written buffer is lent, not encoded into');
  socket.send(1 << 20);
  w.out.argBytes(Buffer.alloc(100, 2), 0, 100);
  const second = w.out.buf;
  w.flush();
  assert.equal(w.out.buf, first, 'the sent buffer came back');
  assert.equal(pool.lentCount, 1);
  socket.send(1 << 20);
  assert.equal(pool.take(64), second, 'and so did the second, once sent');
  assert.equal(pool.lentCount, 0);
});

test('free buffers are kept up to a total size: past it, they are dropped', () => {
  const pool = new LentBuffers();
  const big = Array.from({ length: 6 }, () => Buffer.allocUnsafe(2 * 1024 * 1024));
  for (const b of big) pool.give(b);
  const back = new Set(Array.from({ length: 6 }, () => pool.take(64)));
  assert.equal(big.filter((b) => back.has(b)).length, 4, '8 MB of free buffers kept, no more');
  pool.give(Buffer.allocUnsafe(2 * 1024 * 1024 + 1));
  assert.equal(pool.take(64).length, 64, 'a buffer over 2 MB is not kept');
});

/** A writer whose first, large write was lent and sent, then whose small write went out of `whole`. */
function afterSmallWrite(): { pool: LentBuffers; socket: ModelSocket; w: ModelWriter; whole: Buffer } {
  const pool = new LentBuffers();
  const socket = new ModelSocket();
  const w = new ModelWriter(socket, pool, [socket]);
  w.out.argBytes(Buffer.alloc(10_000, 1), 0, 10_000);
  w.flush();
  socket.send(1 << 20);
  const whole = w.out.buf;
  w.out.argBytes(Buffer.alloc(10, 1), 0, 10);
  w.flush();
  return { pool, socket, w, whole };
}

test('a small write goes out as a view; the writer encodes on into the rest of its buffer', () => {
  const { pool, socket, w, whole } = afterSmallWrite();
  assert.equal(pool.lentCount, 1, 'only the first, large write was lent');
  assert.equal(socket.pendingBytes, 17, 'the small write: $10 CRLF, 10 bytes, CRLF');
  assert.equal(socket.queue[0]!.buffer, whole.buffer, 'written from the buffer itself, not a copy');
  assert.equal(w.out.buf.byteOffset, whole.byteOffset + 17, 'encoding goes on right after it');
  assert.equal(w.out.buf.length, whole.length - 17);
  // Past half of the buffer written, the whole buffer is lent, and comes back whole once sent.
  const more = (whole.length >> 1) + 1;
  w.out.argBytes(Buffer.alloc(more, 2), 0, more);
  w.flush();
  assert.notEqual(w.out.buf.buffer, whole.buffer, 'the writer moved to another buffer');
  socket.send(1 << 20);
  pool.reclaimSent();
  assert.equal(pool.take(64), whole, 'the whole buffer came back, not its rest');
});

test('release gives back the whole buffer a writer encodes into the rest of', () => {
  const { pool, socket, w, whole } = afterSmallWrite();
  socket.destroy();
  pool.release(w.out, w);
  pool.reclaimSent();
  const back = new Set([pool.take(64), pool.take(64)]);
  assert.ok(back.has(whole), 'the whole buffer is free again');
});
