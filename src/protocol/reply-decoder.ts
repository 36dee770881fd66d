// The fast incremental reply decoder (RESP2 and RESP3) for corral's client hot path.
//
// Usage: `feed(chunk)` once per socket read, then call `next(mode)` until it returns NEED_MORE.
// Bytes are decoded straight from the Buffer: integers and lengths are accumulated digit by digit,
// bulk strings become one string (utf8 or latin1) or one copied Buffer, as the caller asks.
//
// Replies split across reads. The decoder keeps an explicit stack of the containers (arrays,
// maps, sets, pushes, attributes) it is in the middle of, with the elements decoded so far, so a
// read boundary inside a 100 000-element array costs nothing more than the one element the
// boundary cut: only that element's bytes (from its type byte) are kept, copied, and re-scanned
// when the next read arrives. The mode (strings or Buffers) of a reply is fixed when its first
// byte is decoded, so a caller may pass a different mode for each reply.
//
// A large bulk string arriving in many reads is not re-scanned per read: when the cut element is
// a bulk whose length is known, the decoder records how many bytes it needs and only collects the
// chunks (no concatenation, no parsing) until that many have arrived, then joins them once.
//
// "Need more bytes" is the normal NEED_MORE result. Bytes that are not RESP throw
// ReplyProtocolError (the connection cannot be resynchronised after that: close it).
//
// Decoded values: simple string → string; error → RespError (returned, not thrown: errors can
// sit inside arrays, e.g. EXEC); integer → number, or bigint beyond 2^53; bulk / verbatim →
// string or Buffer (verbatim without its `txt:` prefix); null bulk / null array / `_` → null;
// array and set → Array; map → Map; double → number; boolean → boolean; big number → bigint;
// push → RespPush; attributes are decoded and dropped (the value they annotate is returned).
//
// The chunk passed to feed() is only read during the next() calls that follow it and is never
// retained (what is left over is copied), so a caller may reuse its read buffer (Node's `onread`).

import { latin1 } from '../util/bytes.js';

export const NEED_MORE: unique symbol = Symbol('NEED_MORE');

/** How bulk strings are returned. */
export const enum BulkMode {
  Utf8 = 0,
  Buffer = 1,
  Latin1 = 2,
}

/** An error reply (`-ERR ...` or a RESP3 blob error). */
export class RespError {
  constructor(readonly message: string) {}
}

/** A RESP3 push (out-of-band message), distinguished from replies. */
export class RespPush {
  constructor(readonly items: unknown[]) {}
}

/** Thrown for bytes that are not RESP. */
export class ReplyDecodeError extends Error {}

const CR = 13;
// Container kinds on the stack.
const K_ARRAY = 0;
const K_MAP = 1;
const K_SET = 2;
const K_PUSH = 3;
const K_ATTR = 4;

interface Frame {
  kind: number;
  remaining: number;
  items: unknown[];
}

/** An element cut by the end of the input; `need` = bytes of it required before retrying. */
const INCOMPLETE: unique symbol = Symbol('INCOMPLETE');
/** A container header was read and pushed on the stack: decode its elements next. */
const OPENED: unique symbol = Symbol('OPENED');

type Step = unknown | typeof INCOMPLETE | typeof OPENED;

interface Utf8Buffer extends Buffer {
  utf8Slice(start: number, end: number): string;
}

export class ReplyDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  /** The cut element's bytes (and later chunks) waiting for `need` bytes in all. */
  private parts: Buffer[] = [];
  private partsLen = 0;
  private need = 0;
  private stack: Frame[] = [];
  private mode: BulkMode = BulkMode.Utf8;

  /** Bytes held, not yet decoded (for tests and limits). */
  get buffered(): number {
    return this.end - this.pos + this.partsLen;
  }

  /** True while a reply is partly decoded (inside a container or a cut element). */
  get midReply(): boolean {
    return this.stack.length > 0 || this.partsLen > 0 || this.pos < this.end;
  }

  feed(chunk: Buffer): void {
    if (this.partsLen === 0) {
      if (this.pos >= this.end) {
        this.buf = chunk;
        this.pos = 0;
        this.end = chunk.length;
        return;
      }
      // Undecoded bytes left in the window (next() was not drained): keep them in front.
      this.parts.push(Buffer.from(this.buf.subarray(this.pos, this.end)));
      this.partsLen = this.end - this.pos;
      this.need = 0;
    }
    this.pos = this.end = 0;
    this.partsLen += chunk.length;
    if (this.partsLen < this.need) {
      // Still short of the cut element: keep a copy (the caller may reuse its read buffer).
      this.parts.push(Buffer.from(chunk));
      return;
    }
    this.parts.push(chunk);
    this.join();
  }

  private join(): void {
    // Always a fresh buffer: parts[last] may be the caller's reused read buffer.
    const joined = Buffer.concat(this.parts, this.partsLen);
    this.parts = [];
    this.partsLen = 0;
    this.need = 0;
    this.buf = joined;
    this.pos = 0;
    this.end = joined.length;
  }

  /** Drops all state (after a connection is lost). */
  reset(): void {
    this.buf = Buffer.alloc(0);
    this.pos = this.end = 0;
    this.parts = [];
    this.partsLen = 0;
    this.need = 0;
    this.stack = [];
  }

  /**
   * The next complete reply, or NEED_MORE. `mode` applies to a reply whose first byte has not
   * been decoded yet; a reply resumed from an earlier read keeps the mode it started with.
   */
  next(mode: BulkMode = BulkMode.Utf8): unknown {
    const stack = this.stack;
    if (stack.length === 0) this.mode = mode;
    for (;;) {
      if (this.pos >= this.end) return NEED_MORE;
      const start = this.pos;
      let v = this.element();
      if (v === INCOMPLETE) {
        this.keepFrom(start);
        return NEED_MORE;
      }
      if (v === OPENED) continue;
      // A complete value: attach it to the innermost container, closing finished containers.
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        top.items.push(v);
        if (--top.remaining > 0) break;
        stack.pop();
        if (top.kind === K_ATTR) {
          // The attribute is dropped; the value it annotates follows at this level.
          v = OPENED;
          break;
        }
        v = finish(top);
      }
      if (stack.length === 0 && v !== OPENED) return v;
    }
  }

  /** Keeps bytes [start, end) (a cut element) as a private copy; the chunk is not retained. */
  private keepFrom(start: number): void {
    const rest = this.buf.subarray(start, this.end);
    this.parts = [Buffer.from(rest)];
    this.partsLen = rest.length;
    if (this.need < this.partsLen + 1) this.need = this.partsLen + 1;
    this.pos = this.end = 0;
  }

  /** Index of the CR ending the line that starts at `from`, or -1 if CR LF is not there yet. */
  private lineEnd(from: number): number {
    const buf = this.buf;
    const end = this.end;
    for (let i = from; i < end; i++) {
      if (buf[i] === CR) return i + 1 < end ? i : -1;
    }
    return -1;
  }

  /**
   * Decodes one element at pos: a scalar (returned, pos moved past it), a container header
   * (pushed, OPENED), or INCOMPLETE (pos unchanged, `need` set).
   */
  private element(): Step {
    const buf = this.buf;
    const p = this.pos;
    const type = buf[p];
    this.need = 0;
    switch (type) {
      case 36: {
        // $ bulk string: the hot case, header parsed inline.
        let i = p + 1;
        let len = 0;
        let c = buf[i];
        if (c === 45) {
          const e = this.lineEnd(i);
          if (e < 0) return INCOMPLETE;
          this.pos = e + 2;
          return null;
        }
        while (i < this.end && (c = buf[i]) !== CR) {
          if (c < 48 || c > 57) throw new ReplyDecodeError(`invalid bulk length byte ${c}`);
          len = len * 10 + (c - 48);
          i++;
        }
        if (i + 1 >= this.end) return INCOMPLETE;
        const s = i + 2;
        const e = s + len;
        if (e + 2 > this.end) {
          this.need = e + 2 - p;
          return INCOMPLETE;
        }
        this.pos = e + 2;
        return this.bulk(s, e);
      }
      case 43: {
        // + simple string
        const e = this.lineEnd(p + 1);
        if (e < 0) return INCOMPLETE;
        this.pos = e + 2;
        return this.text(p + 1, e);
      }
      case 58: {
        // : integer
        const e = this.lineEnd(p + 1);
        if (e < 0) return INCOMPLETE;
        this.pos = e + 2;
        return this.integer(p + 1, e);
      }
      case 45: {
        // - error
        const e = this.lineEnd(p + 1);
        if (e < 0) return INCOMPLETE;
        this.pos = e + 2;
        return new RespError(buf.toString('utf8', p + 1, e));
      }
      case 42: // * array
      case 37: // % map
      case 126: // ~ set
      case 62: // > push
      case 124: {
        // | attribute
        const e = this.lineEnd(p + 1);
        if (e < 0) return INCOMPLETE;
        this.pos = e + 2;
        if (buf[p + 1] === 45 && e === p + 3 && buf[p + 2] === 49) return null; // *-1
        const n = this.count(p + 1, e);
        const kind = type === 42 ? K_ARRAY : type === 37 ? K_MAP : type === 126 ? K_SET : type === 62 ? K_PUSH : K_ATTR;
        const total = kind === K_MAP || kind === K_ATTR ? n * 2 : n;
        if (total === 0) {
          if (kind === K_ATTR) return OPENED; // empty attribute: the value follows
          return finish({ kind, remaining: 0, items: [] });
        }
        this.stack.push({ kind, remaining: total, items: [] });
        return OPENED;
      }
      case 95: {
        // _ null
        const e = this.lineEnd(p + 1);
        if (e < 0) return INCOMPLETE;
        this.pos = e + 2;
        return null;
      }
      case 35: {
        // # boolean
        const e = this.lineEnd(p + 1);
        if (e < 0) return INCOMPLETE;
        this.pos = e + 2;
        return buf[p + 1] === 116;
      }
      case 44: {
        // , double
        const e = this.lineEnd(p + 1);
        if (e < 0) return INCOMPLETE;
        this.pos = e + 2;
        const t = latin1(buf, p + 1, e);
        return t === 'inf' ? Infinity : t === '-inf' ? -Infinity : t === 'nan' ? NaN : Number(t);
      }
      case 40: {
        // ( big number
        const e = this.lineEnd(p + 1);
        if (e < 0) return INCOMPLETE;
        this.pos = e + 2;
        return BigInt(latin1(buf, p + 1, e));
      }
      case 61: // = verbatim
      case 33: {
        // ! blob error
        const h = this.lineEnd(p + 1);
        if (h < 0) return INCOMPLETE;
        const len = this.count(p + 1, h);
        const s = h + 2;
        const e = s + len;
        if (e + 2 > this.end) {
          this.need = e + 2 - p;
          return INCOMPLETE;
        }
        this.pos = e + 2;
        if (type === 33) return new RespError(buf.toString('utf8', s, e));
        return this.bulk(Math.min(s + 4, e), e);
      }
      default:
        throw new ReplyDecodeError(`unexpected reply type byte ${type}`);
    }
  }

  private bulk(s: number, e: number): unknown {
    const mode = this.mode;
    if (mode === BulkMode.Buffer) {
      const out = Buffer.allocUnsafe(e - s);
      this.buf.copy(out, 0, s, e);
      return out;
    }
    if (mode === BulkMode.Latin1) return latin1(this.buf, s, e);
    return this.text(s, e);
  }

  /** utf8 text: short ASCII strings through latin1() (no runtime call), the rest via utf8Slice. */
  private text(s: number, e: number): string {
    const buf = this.buf;
    if (e - s <= 32) {
      let ascii = true;
      for (let i = s; i < e; i++) {
        if (buf[i] >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) return latin1(buf, s, e);
    }
    return (buf as Utf8Buffer).utf8Slice(s, e);
  }

  private integer(s: number, e: number): number | bigint {
    const buf = this.buf;
    let i = s;
    let neg = false;
    if (buf[i] === 45) {
      neg = true;
      i++;
    }
    if (e - i > 15) {
      const big = BigInt(latin1(buf, s, e));
      return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
    }
    let n = 0;
    for (; i < e; i++) {
      const c = buf[i] - 48;
      if (c < 0 || c > 9) throw new ReplyDecodeError(`invalid integer ${JSON.stringify(latin1(buf, s, e))}`);
      n = n * 10 + c;
    }
    return neg ? -n : n;
  }

  private count(s: number, e: number): number {
    const n = this.integer(s, e);
    if (typeof n !== 'number' || n < 0) throw new ReplyDecodeError(`invalid length ${String(n)}`);
    return n;
  }
}

function finish(f: Frame): unknown {
  switch (f.kind) {
    case K_MAP: {
      const m = new Map<unknown, unknown>();
      const items = f.items;
      for (let i = 0; i < items.length; i += 2) m.set(items[i], items[i + 1]);
      return m;
    }
    case K_PUSH:
      return new RespPush(f.items);
    default:
      return f.items;
  }
}
