// bench/lib/resp.ts — a minimal raw-RESP connection for the corral benchmark harnesses (memory,
// hit ratio): control commands with fully parsed replies (INFO, CONFIG, DBSIZE, FLUSHALL), and a
// fast pipelined mode that sends a pre-encoded buffer of N commands and only classifies each
// reply (simple / error / integer / nil / bulk), never building strings for values.
// Also: fixed-width 16-byte keys and deterministic values, and encoders for GET / SET batches.
// Node 20 built-ins only.

import net from 'node:net';

export type Reply = string | number | null | RespError | Reply[];

export class RespError {
  constructor(readonly message: string) {}
  toString(): string {
    return this.message;
  }
}

/** Reply kinds reported by the pipelined mode. */
export const R_SIMPLE = 0;
export const R_ERROR = 1;
export const R_INT = 2;
export const R_NIL = 3;
export const R_BULK = 4;
export type ReplyKind = typeof R_SIMPLE | typeof R_ERROR | typeof R_INT | typeof R_NIL | typeof R_BULK;

interface PipeBatch {
  remaining: number;
  index: number;
  onReply: ((kind: ReplyKind, i: number) => void) | null;
  resolve: () => void;
}

interface Pending {
  resolve: (r: Reply) => void;
}

/**
 * One TCP connection. Either control commands (`command`, awaited one at a time or queued) or
 * pipelined batches (`pipeline`, several may be in flight): do not mix the two while either has
 * replies outstanding.
 */
export class RespConn {
  private readonly sock: net.Socket;
  private pending: Pending[] = [];
  private acc: Buffer = Buffer.alloc(0);
  private batches: PipeBatch[] = [];
  private skip = 0; // bulk payload + CRLF bytes still to skip (pipelined mode)
  private partial: Buffer | null = null; // an incomplete reply header line (pipelined mode)
  private closedErr: Error | null = null;
  /** The first error reply seen in pipelined mode (e.g. OOM), for reports. */
  firstPipelinedError: string | null = null;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.onData(d));
    const fail = (err: Error): void => {
      if (this.closedErr !== null) return;
      this.closedErr = err;
      for (const p of this.pending) p.resolve(new RespError(`connection lost: ${err.message}`));
      this.pending = [];
      for (const b of this.batches) b.resolve();
      this.batches = [];
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('closed')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RespConn> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ port, host });
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(new RespConn(sock));
      });
      sock.once('error', reject);
    });
  }

  get broken(): Error | null {
    return this.closedErr;
  }

  /** Sends one command and resolves with its parsed reply (errors resolve as RespError). */
  command(...args: (string | number | Buffer)[]): Promise<Reply> {
    if (this.closedErr !== null) return Promise.resolve(new RespError(`connection lost: ${this.closedErr.message}`));
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'latin1');
      parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
    }
    return new Promise((resolve) => {
      this.pending.push({ resolve });
      this.sock.write(Buffer.concat(parts));
    });
  }

  /** command(), but throws on an error reply. */
  async ok(...args: (string | number | Buffer)[]): Promise<Reply> {
    const r = await this.command(...args);
    if (r instanceof RespError) throw new Error(`${args.map(String).join(' ')}: ${r.message}`);
    return r;
  }

  /**
   * Writes `buf` (holding exactly `n` commands) and resolves once their `n` replies have been
   * read; `onReply(kind, i)` is called for each, i = 0..n-1. Several may be in flight at once.
   */
  pipeline(buf: Buffer, n: number, onReply: ((kind: ReplyKind, i: number) => void) | null = null): Promise<void> {
    if (this.closedErr !== null) return Promise.reject(this.closedErr);
    if (n === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.batches.push({ remaining: n, index: 0, onReply, resolve });
      this.sock.write(buf);
    });
  }

  close(): void {
    this.sock.destroy();
  }

  private onData(d: Buffer): void {
    if (this.batches.length > 0) {
      this.feedPipelined(d);
      return;
    }
    this.acc = this.acc.length === 0 ? d : Buffer.concat([this.acc, d]);
    while (this.pending.length > 0) {
      const r = parseReply(this.acc, 0);
      if (r === undefined) break;
      this.acc = this.acc.subarray(r.end);
      this.pending.shift()!.resolve(r.value);
    }
  }

  private emit(kind: ReplyKind): void {
    const b = this.batches[0]!;
    if (b.onReply !== null) b.onReply(kind, b.index);
    b.index++;
    if (--b.remaining === 0) {
      this.batches.shift();
      b.resolve();
    }
  }

  /** Classifies replies without materializing values; bulk payloads are skipped. */
  private feedPipelined(chunk: Buffer): void {
    let buf = chunk;
    if (this.partial !== null) {
      buf = Buffer.concat([this.partial, chunk]);
      this.partial = null;
    }
    let i = 0;
    const len = buf.length;
    while (i < len) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, len - i);
        i += n;
        this.skip -= n;
        if (this.skip === 0) this.emit(R_BULK);
        continue;
      }
      if (this.batches.length === 0) throw new Error('unexpected reply data in pipelined mode');
      const lf = buf.indexOf(10, i);
      if (lf < 0) {
        this.partial = Buffer.from(buf.subarray(i));
        return;
      }
      const t = buf[i];
      if (t === 0x2b /* + */) {
        this.emit(R_SIMPLE);
      } else if (t === 0x2d /* - */) {
        if (this.firstPipelinedError === null) this.firstPipelinedError = buf.toString('latin1', i + 1, lf - 1);
        this.emit(R_ERROR);
      } else if (t === 0x3a /* : */) {
        this.emit(R_INT);
      } else if (t === 0x24 /* $ */) {
        const n = parseIntAt(buf, i + 1, lf - 1);
        if (n < 0) this.emit(R_NIL);
        else this.skip = n + 2;
      } else {
        throw new Error(`pipelined mode cannot read reply type ${String.fromCharCode(t!)}`);
      }
      i = lf + 1;
    }
  }
}

const CRLF = Buffer.from('\r\n');

function parseIntAt(buf: Buffer, from: number, to: number): number {
  let neg = false;
  let n = 0;
  let i = from;
  if (buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  for (; i < to; i++) n = n * 10 + (buf[i]! - 48);
  return neg ? -n : n;
}

/** Parses one RESP2 reply at `off`; undefined if incomplete. */
export function parseReply(buf: Buffer, off: number): { value: Reply; end: number } | undefined {
  if (off >= buf.length) return undefined;
  const lf = buf.indexOf(10, off);
  if (lf < 0) return undefined;
  const t = buf[off];
  const line = buf.toString('latin1', off + 1, lf - 1);
  switch (t) {
    case 0x2b:
      return { value: line, end: lf + 1 };
    case 0x2d:
      return { value: new RespError(line), end: lf + 1 };
    case 0x3a:
      return { value: Number(line), end: lf + 1 };
    case 0x24: {
      const n = Number(line);
      if (n < 0) return { value: null, end: lf + 1 };
      if (lf + 1 + n + 2 > buf.length) return undefined;
      return { value: buf.toString('latin1', lf + 1, lf + 1 + n), end: lf + 1 + n + 2 };
    }
    case 0x2a: {
      const n = Number(line);
      if (n < 0) return { value: null, end: lf + 1 };
      const out: Reply[] = [];
      let p = lf + 1;
      for (let k = 0; k < n; k++) {
        const r = parseReply(buf, p);
        if (r === undefined) return undefined;
        out.push(r.value);
        p = r.end;
      }
      return { value: out, end: p };
    }
    default:
      throw new Error(`cannot parse reply type ${String.fromCharCode(t!)}`);
  }
}

/** INFO text -> field map (numbers where numeric). */
export function parseInfo(text: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof text !== 'string') return out;
  for (const l of text.split('\r\n')) {
    const c = l.indexOf(':');
    if (c > 0 && !l.startsWith('#')) out[l.slice(0, c)] = l.slice(c + 1);
  }
  return out;
}

export async function info(conn: RespConn, section = 'all'): Promise<Record<string, string>> {
  return parseInfo(await conn.ok('INFO', section));
}

// ---- keys, values and batch encoders ----------------------------------------------------------

/** Every benchmark key is 16 bytes: "key:" + the id as 12 zero-padded decimal digits. */
export const KEY_LEN = 16;
const KEY_DIGITS = 12;

export function keyName(id: number): string {
  return 'key:' + String(id).padStart(KEY_DIGITS, '0');
}

function writeDigits(buf: Buffer, at: number, id: number, width: number): void {
  for (let k = width - 1; k >= 0; k--) {
    buf[at + k] = 48 + (id % 10);
    id = Math.floor(id / 10);
  }
}

/** Writes the 16-byte key for `id` at `at`. */
export function writeKey(buf: Buffer, at: number, id: number): void {
  buf[at] = 0x6b; // k
  buf[at + 1] = 0x65; // e
  buf[at + 2] = 0x79; // y
  buf[at + 3] = 0x3a; // :
  writeDigits(buf, at + 4, id, KEY_DIGITS);
}

const GET_HEAD = Buffer.from(`*2\r\n$3\r\nGET\r\n$${KEY_LEN}\r\n`, 'latin1');
/** Bytes of one encoded GET. */
export const GET_BYTES = GET_HEAD.length + KEY_LEN + 2;

/** Encodes batches of GET / SET commands for fixed-width keys and fixed-size values. */
export class BatchEncoder {
  private buf: Buffer = Buffer.alloc(1 << 16);
  private readonly setHead: Buffer;
  private readonly valueTemplate: Buffer;
  readonly setBytes: number;

  constructor(readonly valueSize: number) {
    if (valueSize < KEY_DIGITS) throw new Error('value size must be at least 12 bytes');
    this.setHead = Buffer.from(`*3\r\n$3\r\nSET\r\n$${KEY_LEN}\r\n`, 'latin1');
    // value: the id's 12 digits then 'x' filler: distinct per key, deterministic.
    const mid = Buffer.from(`\r\n$${valueSize}\r\n`, 'latin1');
    this.valueTemplate = Buffer.concat([mid, Buffer.alloc(valueSize, 0x78), CRLF]);
    this.setBytes = this.setHead.length + KEY_LEN + this.valueTemplate.length;
  }

  private ensure(n: number): Buffer {
    if (this.buf.length < n) this.buf = Buffer.alloc(Math.max(n, this.buf.length * 2));
    return this.buf;
  }

  /** GET for each id; the returned buffer is reused by the next call. */
  gets(ids: ArrayLike<number>, from: number, to: number): Buffer {
    const n = to - from;
    const buf = this.ensure(n * GET_BYTES);
    let p = 0;
    for (let i = from; i < to; i++) {
      GET_HEAD.copy(buf, p);
      p += GET_HEAD.length;
      writeKey(buf, p, ids[i]!);
      p += KEY_LEN;
      buf[p++] = 13;
      buf[p++] = 10;
    }
    return buf.subarray(0, p);
  }

  /** SET for each id (value size fixed); the returned buffer is reused by the next call. */
  sets(ids: ArrayLike<number>, from: number, to: number): Buffer {
    return this.setsInto(this.ensure((to - from) * this.setBytes), ids, from, to);
  }

  /** SET for ids [first, first+count) (the loader); a fresh buffer each call. */
  setRange(first: number, count: number): Buffer {
    const buf = Buffer.allocUnsafe(count * this.setBytes);
    let p = 0;
    for (let k = 0; k < count; k++) p = this.writeSet(buf, p, first + k);
    return buf.subarray(0, p);
  }

  private setsInto(buf: Buffer, ids: ArrayLike<number>, from: number, to: number): Buffer {
    let p = 0;
    for (let i = from; i < to; i++) p = this.writeSet(buf, p, ids[i]!);
    return buf.subarray(0, p);
  }

  private writeSet(buf: Buffer, p: number, id: number): number {
    this.setHead.copy(buf, p);
    p += this.setHead.length;
    writeKey(buf, p, id);
    p += KEY_LEN;
    const v = p;
    this.valueTemplate.copy(buf, p);
    p += this.valueTemplate.length;
    // the value's first 12 bytes: the id (after the "\r\n$<size>\r\n" header)
    writeDigits(buf, v + this.valueTemplate.length - 2 - this.valueSize, id, KEY_DIGITS);
    return p;
  }
}

export interface LoadOptions {
  port: number;
  keys: number;
  valueSize: number;
  /** Sockets to load over (default 4). */
  sockets?: number;
  /** SETs per pipelined batch (default: ~1 MB of commands, at least 256). */
  batch?: number;
  /** Batches in flight per socket (default 2). */
  inflight?: number;
  /** Called after each completed batch with the number of keys loaded so far. */
  progress?: (loaded: number) => void;
}

export interface LoadResult {
  keys: number;
  errors: number;
  firstError: string | null;
  ms: number;
}

/**
 * Loads keys 0..keys-1 with SET over a few sockets, in large pipelined batches of raw RESP.
 * Counts error replies (e.g. OOM) instead of stopping.
 */
export async function loadKeys(o: LoadOptions): Promise<LoadResult> {
  const enc = new BatchEncoder(o.valueSize);
  const batch = o.batch ?? Math.max(256, Math.floor((1 << 20) / enc.setBytes));
  const nSockets = o.sockets ?? 4;
  const inflight = o.inflight ?? 2;
  const conns = await Promise.all(Array.from({ length: nSockets }, () => RespConn.connect(o.port)));
  let next = 0;
  let loaded = 0;
  let errors = 0;
  const t0 = performance.now();
  const onReply = (kind: ReplyKind): void => {
    if (kind === R_ERROR) errors++;
  };
  const lane = async (c: RespConn): Promise<void> => {
    while (next < o.keys) {
      const first = next;
      const count = Math.min(batch, o.keys - first);
      next += count;
      await c.pipeline(enc.setRange(first, count), count, onReply);
      if (c.broken !== null) throw new Error(`loader connection lost: ${c.broken.message}`);
      loaded += count;
      o.progress?.(loaded);
    }
  };
  try {
    await Promise.all(conns.flatMap((c) => Array.from({ length: inflight }, () => lane(c))));
  } finally {
    for (const c of conns) c.close();
  }
  const firstError = conns.map((c) => c.firstPipelinedError).find((e) => e !== null) ?? null;
  return { keys: loaded, errors, firstError, ms: performance.now() - t0 };
}
