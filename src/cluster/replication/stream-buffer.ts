// A growable byte buffer that RESP commands are encoded into: the replication stream of one
// event-loop turn, or one step of a snapshot. Encoding is canonical (`*N\r\n$len\r\n...\r\n`), so a
// replica that re-encodes what it applied gets the primary's bytes, and offsets agree.

import type { CommandArgs } from '../../protocol/request-parser.js';

export class StreamBuffer {
  buf: Buffer;
  length = 0;

  /** `initial`: a size to allocate, or a buffer to encode into (grown by replacing it, as any). */
  constructor(initial: number | Buffer = 16 * 1024) {
    this.buf = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : initial;
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = Math.max(64, this.buf.length * 2);
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /** Writes n's decimal digits without making a string (lengths: on every argument). */
  private decimal(n: number): void {
    const b = this.buf;
    if (n < 10) {
      b[this.length++] = 48 + n;
      return;
    }
    if (n < 100) {
      b[this.length++] = 48 + ((n / 10) | 0);
      b[this.length++] = 48 + (n % 10);
      return;
    }
    let digits = 3;
    for (let t = 1000; t <= n && digits < 16; t *= 10) digits++;
    let at = this.length + digits;
    this.length = at;
    while (n > 0) {
      b[--at] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
  }

  private header(prefix: number, n: number): void {
    this.ensure(24);
    this.buf[this.length++] = prefix;
    this.decimal(n);
    this.buf[this.length++] = 13;
    this.buf[this.length++] = 10;
  }

  /** `*n\r\n`: a command of n arguments follows. */
  command(n: number): void {
    this.header(42, n);
  }

  argBytes(src: Buffer, start: number, end: number): void {
    const len = end - start;
    this.header(36, len);
    this.ensure(len + 2);
    if (len <= 32) for (let i = start; i < end; i++) this.buf[this.length++] = src[i];
    else {
      src.copy(this.buf, this.length, start, end);
      this.length += len;
    }
    this.buf[this.length++] = 13;
    this.buf[this.length++] = 10;
  }

  /** A non-negative integer argument, in decimal, without making a string. */
  argInt(n: number): void {
    if (n >= 1e15 || !Number.isInteger(n) || n < 0) {
      this.arg(String(n)); // beyond decimal()'s fast range (or not an integer): rare
      return;
    }
    let digits = 1;
    for (let t = 10; t <= n && digits < 16; t *= 10) digits++;
    this.header(36, digits);
    this.ensure(digits + 2);
    this.decimal(n);
    this.buf[this.length++] = 13;
    this.buf[this.length++] = 10;
  }

  /** A latin1 (binary-safe) string argument. */
  arg(s: string): void {
    const len = s.length;
    this.header(36, len);
    this.ensure(len + 2);
    this.length += this.buf.write(s, this.length, 'latin1');
    this.buf[this.length++] = 13;
    this.buf[this.length++] = 10;
  }

  /** Bytes already in RESP form (a client's multibulk request, as it was received). */
  raw(src: Buffer, start: number, end: number): void {
    const len = end - start;
    this.ensure(len);
    if (len <= 64) for (let i = start; i < end; i++) this.buf[this.length++] = src[i];
    else {
      src.copy(this.buf, this.length, start, end);
      this.length += len;
    }
  }

  /** A whole command from its parsed arguments. */
  args(a: CommandArgs): void {
    this.command(a.argc);
    for (let i = 0; i < a.argc; i++) this.argBytes(a.buf, a.start[i], a.end[i]);
  }

  /** Bytes inserted at `at`, what follows them moved up (a transaction's MULTI, once it has a second command). */
  insert(at: number, bytes: Buffer): void {
    this.ensure(bytes.length);
    this.buf.copy(this.buf, at + bytes.length, at, this.length);
    bytes.copy(this.buf, at);
    this.length += bytes.length;
  }

  /** A whole command from strings. */
  strings(...words: string[]): void {
    this.command(words.length);
    for (const w of words) this.arg(w);
  }

  /** A copy of everything written, and an empty buffer again. */
  take(): Buffer {
    const out = this.copy();
    this.length = 0;
    return out;
  }

  /**
   * A copy of the bytes written so far. Buffer.from(view) would zero-fill a new ArrayBuffer
   * before copying into it (anything over Node's pool size): allocUnsafe does not.
   */
  copy(): Buffer {
    const n = this.length;
    const out = Buffer.allocUnsafe(n);
    this.buf.copy(out, 0, 0, n);
    return out;
  }

  /** Empties the buffer, leaving the bytes written so far to whoever holds a view of them. */
  detach(): void {
    this.buf = Buffer.allocUnsafe(this.buf.length > 1 << 20 ? 16 * 1024 : this.buf.length);
    this.length = 0;
  }

  /**
   * Encodes into `next` from now on, empty: the bytes written so far stay in the old buffer for
   * whoever holds it (a socket's pending write).
   */
  replace(next: Buffer): void {
    this.buf = next;
    this.length = 0;
  }

  clear(): void {
    this.length = 0;
    if (this.buf.length > 1 << 20) this.buf = Buffer.allocUnsafe(16 * 1024);
  }
}
