// The request encoder: commands appended as RESP multibulk straight into one reused, growable
// Buffer per node connection, so a turn's commands leave in one socket write.
//
// Strings are written without building an intermediate Buffer: a short string is checked for
// ASCII and copied char by char (its byte length is its length); anything else is measured with
// Buffer.byteLength and written with utf8Write. Integers are written digit by digit.
//
// Buffer reuse and pending writes: `take()` hands out a view of the bytes collected so far. If
// the socket wrote it synchronously (writableLength back to 0), the caller calls `reuse()` and
// the same memory collects the next turn's commands; otherwise the view is still referenced by
// the pending write, so `detach()` switches to a fresh buffer and leaves the old one to it.

import type { Arg } from './command.js';

interface FastBuffer extends Buffer {
  utf8Write(s: string, offset: number, length?: number): number;
  latin1Write(s: string, offset: number, length?: number): number;
}

const INITIAL = 16 * 1024;

export class Encoder {
  private buf: FastBuffer = Buffer.allocUnsafe(INITIAL) as FastBuffer;
  private pos = 0;

  get length(): number {
    return this.pos;
  }

  /** The bytes collected since the last reuse()/detach(). */
  take(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** The last take() was fully written: collect the next commands in the same memory. */
  reuse(): void {
    this.pos = 0;
  }

  /** The last take() is still referenced by a pending write: continue in a new buffer. */
  detach(): void {
    this.buf = Buffer.allocUnsafe(Math.max(INITIAL, this.buf.length >> 1)) as FastBuffer;
    this.pos = 0;
  }

  private grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + need) size *= 2;
    const next = Buffer.allocUnsafe(size) as FastBuffer;
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends `*N\r\n` and each argument as a bulk string. */
  command(args: readonly Arg[]): void {
    const n = args.length;
    if (this.pos + 16 > this.buf.length) this.grow(16);
    this.buf[this.pos++] = 42; // *
    this.digits(n);
    this.crlf();
    for (let i = 0; i < n; i++) this.arg(args[i]);
  }

  private arg(a: Arg): void {
    if (typeof a === 'string') this.str(a);
    else if (typeof a === 'number') this.num(a);
    else this.bytes(a);
  }

  private str(s: string): void {
    const len = s.length;
    if (this.pos + len * 3 + 32 > this.buf.length) this.grow(len * 3 + 32);
    const buf = this.buf;
    if (len < 64) {
      let ascii = true;
      for (let i = 0; i < len; i++) {
        if (s.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.header(len);
        let p = this.pos;
        for (let i = 0; i < len; i++) buf[p++] = s.charCodeAt(i);
        this.pos = p;
        this.crlf();
        return;
      }
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.header(bytes);
    this.pos += buf.utf8Write(s, this.pos, bytes);
    this.crlf();
  }

  private num(n: number): void {
    if (Number.isSafeInteger(n)) {
      if (this.pos + 48 > this.buf.length) this.grow(48);
      // Header needs the digit count first.
      const neg = n < 0;
      let a = neg ? -n : n;
      let d = 1;
      for (let t = a; t >= 10; t = Math.floor(t / 10)) d++;
      this.header(d + (neg ? 1 : 0));
      const buf = this.buf;
      if (neg) buf[this.pos++] = 45;
      let p = this.pos + d;
      this.pos = p;
      do {
        buf[--p] = 48 + (a % 10);
        a = Math.floor(a / 10);
      } while (a > 0);
      this.crlf();
      return;
    }
    this.str(String(n));
  }

  private bytes(b: Buffer): void {
    const len = b.length;
    if (this.pos + len + 32 > this.buf.length) this.grow(len + 32);
    this.header(len);
    b.copy(this.buf, this.pos);
    this.pos += len;
    this.crlf();
  }

  /** `$len\r\n`; room must be ensured. */
  private header(len: number): void {
    this.buf[this.pos++] = 36;
    this.digits(len);
    this.crlf();
  }

  private digits(n: number): void {
    const buf = this.buf;
    if (n < 10) {
      buf[this.pos++] = 48 + n;
      return;
    }
    let d = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) d++;
    let p = this.pos + d;
    this.pos = p;
    do {
      buf[--p] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  private crlf(): void {
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }
}
