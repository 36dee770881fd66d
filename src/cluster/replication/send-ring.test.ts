// Unit tests for SendRing: a piece handed out never overlaps bytes a socket has not taken yet, as
// long as the writer waits while more than `high` bytes are unsent (a FIFO socket modelled with
// random piece sizes, heartbeats and kernel progress).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SendRing } from './send-ring.js';

interface InFlight {
  buf: Buffer;
  /** The bytes it held when written. */
  sum: number;
  left: number;
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s = (s * 31 + b[i]) | 0;
  return s;
}

test('a ring piece never overwrites bytes the socket has not taken', () => {
  const maxPiece = 64;
  const high = 200;
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          len: fc.oneof(fc.integer({ min: 1, max: maxPiece }), fc.integer({ min: maxPiece + 1, max: 3 * maxPiece })),
          heartbeat: fc.boolean(),
          taken: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 300 })),
        }),
        { maxLength: 300 },
      ),
      (steps) => {
        const ring = new SendRing(maxPiece, high);
        const queue: InFlight[] = [];
        let unsent = 0;
        let fill = 1;
        const write = (buf: Buffer): void => {
          queue.push({ buf, sum: checksum(buf), left: buf.length });
          unsent += buf.length;
        };
        for (const step of steps) {
          // The kernel takes some bytes, oldest first; each taken write must still hold its bytes.
          let take = step.taken;
          while (take > 0 && queue.length > 0) {
            const head = queue[0];
            const n = Math.min(take, head.left);
            head.left -= n;
            take -= n;
            unsent -= n;
            if (head.left === 0) {
              assert.equal(checksum(head.buf), head.sum, 'a write was overwritten before the kernel took it');
              queue.shift();
            }
          }
          if (step.heartbeat) write(Buffer.from('*1\r\n$4\r\nPING\r\n'));
          if (unsent > high) continue; // the copy waits
          const piece = ring.piece(step.len);
          assert.equal(piece.length, step.len);
          piece.fill(fill++ & 0xff);
          write(piece);
        }
        for (const w of queue) assert.equal(checksum(w.buf), w.sum, 'a write was overwritten before the kernel took it');
      },
    ),
    { numRuns: 300 },
  );
});
