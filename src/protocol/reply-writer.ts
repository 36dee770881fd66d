// The reply encoder: RESP2 and RESP3 replies appended to one shared slab.
//
// Every connection's replies for one event-loop turn are appended here, then handed to the
// socket as a single `subarray` (one write per connection per turn). The slab is never reused
// under a pending write: when it fills up, a fresh slab is allocated and the old one is left to
// the writes that still reference it (the way Node's own Buffer pool works). Replies are written
// straight into the slab from latin1 strings or Buffers; nothing is allocated per reply except
// the final subarray.
//
// Large output is spilled: between commands (spill()) a connection's replies past SPILL_AT are
// set aside as a view and the slab goes on, so pipelined big replies (1 MB GETs from a client
// that never reads) cost their bytes once, not the ~4x of doubling one region up to the output
// limit. Offsets (pendingBytes, byteAt) keep counting from begin() across spills.

import type { RespValue } from './resp-value.js';
import { writeLatin1 } from '../util/bytes.js';
import { formatDouble } from './format-double.js';

// formatDouble lives in format-double.ts; re-exported for the modules that import it from here.
export { formatDouble };

const SLAB_SIZE = 256 * 1024;
/** A connection's replies past this many bytes are spilled at the next spill(). */
const SPILL_AT = 1024 * 1024;
const CRLF = 0x0a0d;
/** `slab`'s value until the constructor stores the first slab (see the constructor). */
const NO_SLAB = Buffer.alloc(0);

export type RespVersion = 2 | 3;

export class ReplyWriter {
  /** Protocol of the client being served; set by the dispatcher before each command. */
  resp: RespVersion = 2;
  private slab: Buffer = NO_SLAB;
  private pos = 0;
  /** Where the current connection's pending replies begin. */
  private mark = 0;

  /**
   * While a caller records them (a client with CLIENT REPLY OFF or SKIP), where the push frames
   * written since begin() start (push() headers; RESP2 pub/sub confirmations are pushes too,
   * though they look like arrays); null otherwise.
   */
  pushStarts: number[] | null = null;

  /** The connection's replies spilled since begin() (they precede slab[mark, pos)), or null. */
  private spilled: Buffer[] | null = null;
  private spilledBytes = 0;

  constructor() {
    // `slab` is assigned twice on purpose (NO_SLAB, then its first slab). V8 treats a field stored once as a constant and
    // embeds its value in optimized code; the first slab rollover (newSlab) then invalidates
    // every function that inlined a writer method: the whole request path at once, on whatever
    // turn first needs a new slab (`--log-deopt` in a move: dispatch, runCommands, the string
    // commands and the writer, deoptimized together mid-move once replies were written per read
    // and the slab stopped rolling over during the warm-up).
    this.slab = Buffer.allocUnsafe(SLAB_SIZE);
  }

  /** Starts collecting replies for one connection (replies not taken before are dropped). */
  begin(): void {
    this.mark = this.pos;
    this.spilled = null;
    this.spilledBytes = 0;
  }

  /** Bytes collected since begin(). */
  get pendingBytes(): number {
    return this.spilledBytes + this.pos - this.mark;
  }

  /** Sets the replies collected so far aside past SPILL_AT; only where no caller holds an offset for since(), truncate() or slabIndex(). */
  spill(): void {
    if (this.pos - this.mark < SPILL_AT) return;
    (this.spilled ??= []).push(this.slab.subarray(this.mark, this.pos));
    this.spilledBytes += this.pos - this.mark;
    this.mark = this.pos;
    if (this.pos > this.slab.length - 4096) this.newSlab(0);
  }

  /** Takes the spilled replies (in order, to be written before take()'s), or null if none. */
  takeSpilled(): Buffer[] | null {
    const chunks = this.spilled;
    this.spilled = null;
    this.spilledBytes = 0;
    return chunks;
  }

  /**
   * Rolls the slab over many times, through take() and through a reply that does not fit: the
   * rollover branches then have type feedback before the code is optimized (run by a cluster
   * node's rehearsal, src/cli/warm-up.ts; otherwise the first rollover of a long-running node
   * deoptimizes the request path that inlined them).
   */
  static rehearseRollovers(): void {
    const w = new ReplyWriter();
    const value = Buffer.alloc(SLAB_SIZE / 8);
    for (let i = 0; i < 4000; i++) {
      w.begin();
      w.bulkBytes(value, 0, (i * 997) % value.length);
      w.take();
    }
  }

  /** The collected bytes (a view of the slab: index with slabIndex). */
  get slabView(): Buffer {
    return this.slab;
  }

  /** Where `offset` bytes past begin() is in slabView (offset must not be in spilled replies). */
  slabIndex(offset: number): number {
    return this.mark + offset - this.spilledBytes;
  }

  /** The byte at `offset` bytes past begin() (to see whether a reply written there is an error). */
  byteAt(offset: number): number {
    if (offset >= this.spilledBytes) return this.slab[this.mark + offset - this.spilledBytes];
    for (const chunk of this.spilled!) {
      if (offset < chunk.length) return chunk[offset];
      offset -= chunk.length;
    }
    return -1;
  }

  /** Takes the replies collected since begin() (spilled ones included), or null if there are none. */
  take(): Buffer | null {
    if (this.spilled !== null) {
      const chunks = this.takeSpilled()!;
      const rest = this.take();
      return Buffer.concat(rest === null ? chunks : [...chunks, rest]);
    }
    if (this.pos === this.mark) return null;
    const out = this.slab.subarray(this.mark, this.pos);
    this.takenSlab = this.slab;
    this.takenAt = this.mark;
    this.mark = this.pos;
    // Leave room for the next connection without an immediate reallocation.
    if (this.pos > SLAB_SIZE - 4096) this.newSlab(0);
    return out;
  }

  /** The slab and position of the last take() (see reuseTaken). */
  private takenSlab: Buffer | null = null;
  private takenAt = 0;

  /**
   * The buffer the last take() returned was fully handed to the kernel, and nothing was written
   * since: its bytes can be reused (a reply written as soon as its read was processed).
   */
  reuseTaken(): void {
    if (this.takenSlab === this.slab && this.mark === this.pos) {
      this.pos = this.takenAt;
      this.mark = this.pos;
    }
    this.takenSlab = null;
  }

  /** Where the current batch of connections' replies starts (see reuseBatch). */
  private batchSlab: Buffer | null = null;
  private batchPos = 0;

  /** Marks the start of a batch of replies that will be written together. */
  markBatch(): void {
    this.batchSlab = this.slab;
    this.batchPos = this.pos;
  }

  /**
   * Every buffer taken since markBatch() has been fully handed to the kernel (the sockets wrote
   * them synchronously and hold no reference): reuse those bytes, so replies keep landing in the
   * same, cache-hot part of the slab.
   */
  reuseBatch(): void {
    if (this.batchSlab === this.slab && this.mark === this.pos) {
      this.pos = this.batchPos;
      this.mark = this.pos;
    }
    this.batchSlab = null;
  }

  /** The bytes written past `offset` (counted from begin()): a view, valid until the next write. */
  since(offset: number): Buffer {
    return this.slab.subarray(this.slabIndex(offset), this.pos);
  }

  /** Drops what was written past `offset` (counted from begin()): a script's command replies. */
  truncate(offset: number): void {
    this.pos = this.slabIndex(offset);
  }

  /** Discards what was collected since begin() (for a client being closed). */
  discard(): void {
    this.pos = this.mark;
    this.spilled = null;
    this.spilledBytes = 0;
  }

  private newSlab(need: number): void {
    const keep = this.pos - this.mark;
    // A region growing reply by reply doubles (amortized copies); a big reply starting a region
    // gets its size and a slab's worth of room after it, not twice its size.
    const size = keep + need <= SLAB_SIZE / 2 ? SLAB_SIZE : keep === 0 ? need + SLAB_SIZE : (keep + need) * 2;
    const fresh = Buffer.allocUnsafe(size);
    if (keep > 0) this.slab.copy(fresh, 0, this.mark, this.pos);
    this.slab = fresh;
    this.mark = 0;
    this.pos = keep;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.slab.length) this.newSlab(n);
  }

  private crlf(): void {
    this.slab.writeUInt16LE(CRLF, this.pos);
    this.pos += 2;
  }

  /** Writes `<prefix><n>\r\n`; room for it (24 bytes) must already be ensured. */
  private header(prefix: number, n: number): void {
    const slab = this.slab;
    slab[this.pos++] = prefix;
    if (n >= 0 && n < 10) slab[this.pos++] = 48 + n;
    else this.decimal(n);
    this.crlf();
  }

  /** Writes a safe integer's decimal digits straight into the slab (no string built). */
  private decimal(n: number): void {
    const slab = this.slab;
    if (n < 0) {
      slab[this.pos++] = 45;
      n = -n;
    }
    let digits = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    do {
      slab[--p] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  raw(bytes: Buffer): void {
    const n = bytes.length;
    this.ensure(n);
    // Buffer#copy's fixed cost dwarfs a short loop (small integers, +OK).
    if (n <= 16) {
      const slab = this.slab;
      const pos = this.pos;
      for (let i = 0; i < n; i++) slab[pos + i] = bytes[i];
    } else bytes.copy(this.slab, this.pos);
    this.pos += n;
  }

  /** +status */
  simple(s: string): void {
    this.ensure(s.length + 3);
    this.slab[this.pos++] = 43;
    this.pos += writeLatin1(this.slab, s, this.pos);
    this.crlf();
  }

  ok(): void {
    this.raw(OK);
  }

  /** -ERR message (the message includes its code, e.g. "ERR syntax error"). CR/LF become spaces. */
  error(message: string): void {
    if (message.indexOf('\r') >= 0 || message.indexOf('\n') >= 0) message = message.replace(/[\r\n]/g, ' ');
    this.ensure(message.length + 3);
    this.slab[this.pos++] = 45;
    this.pos += writeLatin1(this.slab, message, this.pos);
    this.crlf();
  }

  integer(n: number | bigint): void {
    if (typeof n === 'number') {
      if (n >= 0 && n < SMALL_INTS.length) {
        this.raw(SMALL_INTS[n]);
        return;
      }
      if (Number.isSafeInteger(n)) {
        this.ensure(24);
        this.slab[this.pos++] = 58;
        this.decimal(n);
        this.crlf();
        return;
      }
    }
    const s = String(n);
    this.ensure(s.length + 3);
    this.slab[this.pos++] = 58;
    this.pos += writeLatin1(this.slab, s, this.pos);
    this.crlf();
  }

  /** Bulk string from a latin1 string (binary safe). */
  bulk(s: string): void {
    const len = s.length;
    this.ensure(len + 16);
    this.header(36, len);
    this.pos += writeLatin1(this.slab, s, this.pos);
    this.crlf();
  }

  /** Bulk string from bytes. */
  bulkBytes(buf: Buffer, start = 0, end = buf.length): void {
    const len = end - start;
    this.ensure(len + 16);
    this.header(36, len);
    if (len <= 48) {
      // Buffer#copy has a fixed cost (~80 ns) that dwarfs a short loop.
      const slab = this.slab;
      let p = this.pos;
      for (let i = start; i < end; i++) slab[p++] = buf[i];
    } else {
      buf.copy(this.slab, this.pos, start, end);
    }
    this.pos += len;
    this.crlf();
  }

  /** Bulk string or null. */
  bulkOrNull(s: string | undefined | null): void {
    if (s === undefined || s === null) this.nil();
    else this.bulk(s);
  }

  /** Null bulk ($-1) in RESP2, null (_) in RESP3. */
  nil(): void {
    this.raw(this.resp === 3 ? NULL3 : NULL_BULK);
  }

  /** Null array (*-1) in RESP2, null (_) in RESP3. */
  nullArray(): void {
    this.raw(this.resp === 3 ? NULL3 : NULL_ARRAY);
  }

  array(n: number): void {
    this.ensure(16);
    this.header(42, n);
  }

  /** A map of n pairs: %n in RESP3, *2n in RESP2. */
  map(n: number): void {
    this.ensure(16);
    if (this.resp === 3) this.header(37, n);
    else this.header(42, n * 2);
  }

  /** An out-of-band push of n elements: >n in RESP3, *n in RESP2 (as pub/sub messages). */
  push(n: number): void {
    if (this.pushStarts !== null) this.pushStarts.push(this.pendingBytes);
    this.ensure(16);
    this.header(this.resp === 3 ? 62 : 42, n);
  }

  /** A set of n: ~n in RESP3, *n in RESP2. */
  set(n: number): void {
    this.ensure(16);
    this.header(this.resp === 3 ? 126 : 42, n);
  }

  /** Double: ,x in RESP3, a bulk string in RESP2 (formatted by the caller's rules). */
  double(text: string): void {
    if (this.resp === 3) {
      this.ensure(text.length + 3);
      this.slab[this.pos++] = 44;
      this.pos += writeLatin1(this.slab, text, this.pos);
      this.crlf();
    } else {
      this.bulk(text);
    }
  }

  /** Boolean: #t/#f in RESP3, :1/:0 in RESP2. */
  bool(b: boolean): void {
    if (this.resp === 3) this.raw(b ? TRUE3 : FALSE3);
    else this.integer(b ? 1 : 0);
  }

  /** Big number: (digits in RESP3, a bulk string in RESP2. */
  bigNumber(text: string): void {
    if (this.resp !== 3) {
      this.bulk(text);
      return;
    }
    this.ensure(text.length + 3);
    this.slab[this.pos++] = 40;
    this.pos += writeLatin1(this.slab, text, this.pos);
    this.crlf();
  }

  /** Verbatim text (=len\r\ntxt:...) in RESP3, a bulk string in RESP2. */
  verbatim(text: string, format = 'txt'): void {
    if (this.resp !== 3) {
      this.bulk(text);
      return;
    }
    const len = text.length + 4;
    this.ensure(len + 16);
    this.header(61, len);
    this.pos += writeLatin1(this.slab, format, this.pos);
    this.slab[this.pos++] = 58;
    this.pos += writeLatin1(this.slab, text, this.pos);
    this.crlf();
  }

  /** Encodes a reply tree. */
  value(v: RespValue): void {
    if (v === null) return this.nil();
    if (typeof v === 'number') return this.integer(v);
    if (typeof v === 'string') return this.bulk(v);
    if (Array.isArray(v)) {
      this.array(v.length);
      for (const item of v) this.value(item);
      return;
    }
    if ('simple' in v) return this.simple(v.simple);
    if ('error' in v) return this.error(v.error);
    if ('double' in v) return this.double(formatDouble(v.double));
    if ('bool' in v) return this.bool(v.bool);
    if ('verbatim' in v) return this.verbatim(v.verbatim, v.format);
    if ('map' in v) {
      this.map(v.map.length);
      for (const [k, val] of v.map) {
        this.value(k);
        this.value(val);
      }
      return;
    }
    this.set(v.set.length);
    for (const item of v.set) this.value(item);
  }
}

const OK = Buffer.from('+OK\r\n');
const NULL_BULK = Buffer.from('$-1\r\n');
const NULL_ARRAY = Buffer.from('*-1\r\n');
const NULL3 = Buffer.from('_\r\n');
const TRUE3 = Buffer.from('#t\r\n');
const FALSE3 = Buffer.from('#f\r\n');
const SMALL_INTS: Buffer[] = [];
for (let i = 0; i < 1024; i++) SMALL_INTS.push(Buffer.from(`:${i}\r\n`));
