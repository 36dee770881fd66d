// Incremental parser for client requests: RESP multibulk (`*N\r\n$len\r\narg\r\n...`) and inline
// commands (`SET k v\n`, as typed into telnet), following Redis 7's networking.c rule for rule,
// including its error messages.
//
// Zero copy in the common case: a request that lies wholly inside one TCP chunk is parsed in
// place, and its arguments are (start, end) offsets into that chunk. Only a request split across
// chunks is copied, from its first byte, into a per-connection accumulation buffer that later
// chunks are appended to. The parse state (arguments done, the pending bulk length) survives
// between chunks, so a 100 MB value arriving in 64 KB reads is scanned once, not once per read.
//
// "Need more bytes" is a normal result (NEED_MORE), not an error. A protocol error leaves
// `error` set; the connection replies with it and closes, as Redis does.

import { latin1 } from '../util/bytes.js';
import { splitInlineArgs } from './inline.js';

export const NEED_MORE = 0;
export const COMMAND_READY = 1;
export const PROTOCOL_ERROR = 2;
/** The query buffer passed its limit: close without a reply, as Redis does. */
export const QUERY_BUFFER_FULL = 3;

export type ParseResult = typeof NEED_MORE | typeof COMMAND_READY | typeof PROTOCOL_ERROR | typeof QUERY_BUFFER_FULL;

/** Longest inline request, or count line, before the parser gives up (Redis PROTO_INLINE_MAX_SIZE). */
const INLINE_MAX = 64 * 1024;
const INT_MAX = 2147483647;
/** Most arguments one request may carry here (Redis allows INT_MAX; V8 arrays stop near 2^27). */
const MAX_ARGS = 1 << 25;
/** Argument offset arrays longer than this are dropped once their command is done. */
const KEEP_ARG_SLOTS = 4096;
const CR = 13;
const LF = 10;

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLength: number;
  /** client-query-buffer-limit */
  maxQueryBuffer: number;
}

/**
 * The arguments of one parsed command: argument i is bytes [start[i], end[i]) of `buf`.
 * Valid until the next call to `next()`.
 */
export interface CommandArgs {
  buf: Buffer;
  argc: number;
  start: number[];
  end: number[];
}

const EMPTY = Buffer.alloc(0);

export class RequestParser implements CommandArgs {
  buf: Buffer = EMPTY;
  argc = 0;
  start: number[] = [];
  end: number[] = [];
  error = '';
  /** Set by the connection: until AUTH, Redis caps multibulk at 10 args and bulks at 16 KB. */
  unauthenticated = false;

  private src: Buffer = this.buf;
  private pos = 0;
  private srcEnd = 0;
  private fromAcc = false;
  private acc: Buffer | null = null;
  private accLen = 0;
  /** Arguments still expected by the multibulk in progress (0: none in progress). */
  private argsLeft = 0;
  /** Length of the bulk whose `$len` line was read but whose bytes have not all arrived, or -1. */
  private bulkLen = -1;
  private cmdStart = 0;

  constructor(private readonly limits: ParserLimits) {}

  /**
   * Forgets everything fed so far (a request half received included), keeping the accumulation
   * buffer it has grown: a parser reused for a new stream (slot imports, one per slot moved)
   * then does not fault in fresh memory for every stream.
   */
  reset(): void {
    this.buf = EMPTY;
    this.argc = 0;
    this.error = '';
    this.src = EMPTY;
    this.pos = 0;
    this.srcEnd = 0;
    this.fromAcc = false;
    this.accLen = 0;
    this.argsLeft = 0;
    this.bulkLen = -1;
    this.cmdStart = 0;
  }

  /** Bytes of the accumulation buffer the parser holds (what reusing it keeps). */
  get accumulatorCapacity(): number {
    return this.acc === null ? 0 : this.acc.length;
  }

  /**
   * Hands the parser the next bytes read from the socket (the first `length` bytes of chunk).
   * Call next() until it returns NEED_MORE. The chunk may be reused by the caller afterwards:
   * the parser copies whatever it still needs.
   */
  feed(chunk: Buffer, length = chunk.length): void {
    if (this.accLen === 0) {
      this.src = chunk;
      this.pos = 0;
      this.srcEnd = length;
      this.fromAcc = false;
      return;
    }
    this.appendToAcc(chunk, 0, length);
    this.src = this.acc!;
    this.srcEnd = this.accLen;
    this.fromAcc = true;
  }

  /**
   * Between commands: copies the bytes not parsed yet out of the caller's chunk (which the caller
   * may reuse), so parsing can resume later without a new feed (a client blocked by WAIT).
   */
  preserve(): void {
    if (this.fromAcc || this.pos >= this.srcEnd) return;
    this.accLen = 0;
    this.appendToAcc(this.src, this.pos, this.srcEnd);
    this.src = this.acc!;
    this.srcEnd = this.accLen;
    this.pos = 0;
    this.cmdStart = 0;
    this.fromAcc = true;
  }

  /**
   * Puts back the command next() has just returned: the next call to next() returns it again
   * (a write held while its slot's switch pauses it; call preserve() after, as for WAIT).
   */
  unread(): void {
    this.pos = this.cmdStart;
  }

  /**
   * The bytes of the command next() has just returned, exactly as received: rawSource from
   * rawStart to rawEnd (a replica keeps its primary's stream this way, byte for byte).
   */
  get rawSource(): Buffer {
    return this.src;
  }

  /**
   * Whether rawSource is the parser's own accumulation buffer (the command came in more than one
   * read), whose bytes the next incomplete command moves: copy them before calling next() again.
   */
  get rawInAccumulator(): boolean {
    return this.fromAcc;
  }

  get rawStart(): number {
    return this.cmdStart;
  }

  get rawEnd(): number {
    return this.pos;
  }

  /** Bytes buffered for a request not yet complete (counted against the query buffer limit). */
  get pendingBytes(): number {
    return this.accLen;
  }

  next(): ParseResult {
    // Empty requests ("*0", "*-1", blank inline lines) run nothing: loop past them.
    while (this.argsLeft === 0) {
      if (this.pos >= this.srcEnd) return this.consumedAll();
      this.cmdStart = this.pos;
      this.argc = 0;
      const r = this.src[this.pos] === 42 /* '*' */ ? this.parseCount() : this.parseInline();
      if (r !== COMMAND_READY) return r;
      if (this.argc > 0) return COMMAND_READY; // an inline command
    }
    return this.parseBulks();
  }

  private consumedAll(): ParseResult {
    if (this.fromAcc) {
      this.accLen = 0;
      this.fromAcc = false;
      // Drop a large accumulation buffer so one big request does not pin its memory forever.
      if (this.acc !== null && this.acc.length > 64 * 1024) this.acc = null;
    }
    return NEED_MORE;
  }

  /** Reads `*<count>\r\n`. On success sets argsLeft (0 for an empty command). */
  private parseCount(): ParseResult {
    const src = this.src;
    const lineStart = this.pos + 1;
    const cr = this.findCR(lineStart);
    if (cr < 0 || cr + 1 >= this.srcEnd) {
      if (this.srcEnd - this.pos > INLINE_MAX) return this.fail('Protocol error: too big mbulk count string');
      return this.suspend();
    }
    const count = parseLineInt(src, lineStart, cr);
    if (count === undefined || count > INT_MAX) return this.fail('Protocol error: invalid multibulk length');
    if (count > 10 && this.unauthenticated) return this.fail('Protocol error: unauthenticated multibulk length');
    this.pos = cr + 2;
    this.argsLeft = count > 0 ? count : 0;
    this.bulkLen = -1;
    // The offsets of an earlier command with very many arguments (a million-member SADD holds
    // 16 MB of them) are not kept for the connection's life: the previous command is done.
    if (this.start.length > KEEP_ARG_SLOTS) {
      this.start = [];
      this.end = [];
    }
    return COMMAND_READY;
  }

  private parseBulks(): ParseResult {
    const src = this.src;
    const srcEnd = this.srcEnd;
    while (this.argsLeft > 0) {
      if (this.bulkLen < 0) {
        const p = this.pos;
        const cr = this.findCR(p);
        if (cr < 0 || cr + 1 >= srcEnd) {
          if (srcEnd - p > INLINE_MAX) return this.fail('Protocol error: too big bulk count string');
          return this.suspend();
        }
        if (src[p] !== 36 /* '$' */) {
          return this.fail(`Protocol error: expected '$', got '${String.fromCharCode(src[p])}'`);
        }
        const len = parseLineInt(src, p + 1, cr);
        if (len === undefined || len < 0 || len > this.limits.maxBulkLength) {
          return this.fail('Protocol error: invalid bulk length');
        }
        if (len > 16384 && this.unauthenticated) return this.fail('Protocol error: unauthenticated bulk length');
        this.pos = cr + 2;
        this.bulkLen = len;
      }
      // Redis does not check the two bytes after a bulk: it skips them.
      if (srcEnd - this.pos < this.bulkLen + 2) return this.suspend();
      const i = this.argc++;
      this.start[i] = this.pos;
      this.end[i] = this.pos + this.bulkLen;
      this.pos += this.bulkLen + 2;
      this.bulkLen = -1;
      this.argsLeft--;
    }
    this.buf = src;
    return COMMAND_READY;
  }

  private parseInline(): ParseResult {
    const src = this.src;
    const lineStart = this.pos;
    const lf = src.indexOf(LF, lineStart);
    if (lf < 0 || lf >= this.srcEnd) {
      if (this.srcEnd - lineStart > INLINE_MAX) return this.fail('Protocol error: too big inline request');
      return this.suspend();
    }
    let lineEnd = lf;
    if (lineEnd !== lineStart && src[lineEnd - 1] === CR) lineEnd--;
    const args = splitInlineArgs(src, lineStart, lineEnd);
    if (args === null) return this.fail('Protocol error: unbalanced quotes in request');
    this.pos = lf + 1;
    if (args.argc === 0) return COMMAND_READY; // blank line: next() skips it
    // The splitter returns fresh arrays: borrowing them leaves nothing shared with later requests.
    this.buf = args.buf;
    this.argc = args.argc;
    this.start = args.start;
    this.end = args.end;
    return COMMAND_READY;
  }

  /**
   * The current request is incomplete: keep its bytes (from its first byte) in the accumulation
   * buffer and remember where to resume.
   */
  private suspend(): ParseResult {
    const from = this.cmdStart;
    if (this.fromAcc) {
      if (from > 0) {
        this.acc!.copyWithin(0, from, this.accLen);
        this.accLen -= from;
        this.rebase(from);
      }
    } else {
      this.accLen = 0;
      this.appendToAcc(this.src, from, this.srcEnd);
      this.rebase(from);
      this.src = this.acc!;
      this.fromAcc = true;
    }
    this.srcEnd = this.accLen;
    return this.withinLimits() ? NEED_MORE : QUERY_BUFFER_FULL;
  }

  /**
   * Limits on a request still arriving. As Redis, client-query-buffer-limit applies to the bytes
   * not parsed yet, so one command may be larger than it (MSET of two 700 KB values under a 1 MB
   * limit). What the parser retains for the command (its bytes, and 16 bytes of offsets per
   * argument) is capped separately at the query buffer limit plus one maximal argument, and the
   * argument count at MAX_ARGS, so no request can make the node allocate without bound.
   */
  private withinLimits(): boolean {
    const unparsed = this.srcEnd - this.pos;
    const retained = this.accLen + this.argc * 16;
    return (
      unparsed <= this.limits.maxQueryBuffer &&
      retained <= this.limits.maxQueryBuffer + this.limits.maxBulkLength &&
      this.argc <= MAX_ARGS
    );
  }

  private rebase(by: number): void {
    this.pos -= by;
    this.cmdStart = 0;
    for (let i = 0; i < this.argc; i++) {
      this.start[i] -= by;
      this.end[i] -= by;
    }
  }

  private appendToAcc(from: Buffer, start: number, end: number): void {
    const n = end - start;
    const need = this.accLen + n;
    if (this.acc === null || this.acc.length < need) {
      let size = this.acc === null ? 16 * 1024 : this.acc.length * 2;
      while (size < need) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      if (this.acc !== null && this.accLen > 0) this.acc.copy(grown, 0, 0, this.accLen);
      this.acc = grown;
    }
    from.copy(this.acc, this.accLen, start, end);
    this.accLen = need;
  }

  private findCR(from: number): number {
    const src = this.src;
    const end = this.srcEnd;
    // Count and length lines are short: a JS loop beats a native indexOf call for them.
    const stop = from + 24 < end ? from + 24 : end;
    for (let i = from; i < stop; i++) if (src[i] === CR) return i;
    if (stop === end) return -1;
    const i = src.indexOf(CR, stop);
    return i >= 0 && i < end ? i : -1;
  }

  private fail(message: string): ParseResult {
    this.error = message;
    this.argsLeft = 0;
    this.bulkLen = -1;
    this.accLen = 0;
    this.fromAcc = false;
    this.pos = this.srcEnd;
    return PROTOCOL_ERROR;
  }
}

/** Redis string2ll over a count/length line; undefined when not a valid integer. */
function parseLineInt(buf: Buffer, start: number, end: number): number | undefined {
  const len = end - start;
  if (len === 0 || len > 20) return undefined;
  let i = start;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    if (++i === end) return undefined;
  }
  if (buf[i] === 48) return i + 1 === end && !negative ? 0 : undefined;
  let value = 0;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  // Beyond 2^53 precision is lost, but every caller rejects such values anyway.
  return negative ? -value : value;
}

/** For tests and error excerpts: argument i as a latin1 string. */
export function argString(args: CommandArgs, i: number): string {
  return latin1(args.buf, args.start[i], args.end[i]);
}

/** Copies a command's arguments into one fresh buffer, for the MULTI queue, the slowlog and a
 * replica's buffered transaction. */
export function copyArgs(args: CommandArgs): CommandArgs {
  let total = 0;
  for (let i = 0; i < args.argc; i++) total += args.end[i] - args.start[i];
  const buf = Buffer.allocUnsafe(total);
  const start: number[] = new Array(args.argc);
  const end: number[] = new Array(args.argc);
  let pos = 0;
  for (let i = 0; i < args.argc; i++) {
    start[i] = pos;
    pos += args.buf.copy(buf, pos, args.start[i], args.end[i]);
    end[i] = pos;
  }
  return { buf, argc: args.argc, start, end };
}
