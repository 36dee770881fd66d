// bench/lib/churn-load.ts — the write load of the memory bench's churn case: value-size phases
// (parsing "100,1K,50-4K" specs, drawing sizes), a seeded PRNG, an encoder for SETs of 16-byte
// random keys with values of varying size, and a pipelined loader that writes one phase's byte
// budget of such SETs over a few sockets in ~1 MB batches of raw RESP (bench/lib/resp.ts).
// Node 20 built-ins only.

import { KEY_LEN, R_ERROR, RespConn, writeKey, type ReplyKind } from './resp.js';

/** One phase: every SET's value size is `min` (fixed) or drawn log-uniformly from min..max. */
export interface Phase {
  name: string;
  min: number;
  max: number;
}

/** Parses a size like 100, 1K, 4K (K = 1024 bytes), at least 1 byte. */
export function parseValueSize(s: string, what: string): number {
  const m = /^(\d+)([kK]?)$/.exec(s.trim());
  if (!m) throw new Error(`${what}: cannot read value size "${s}"`);
  const n = Number(m[1]) * (m[2] ? 1024 : 1);
  if (n < 1) throw new Error(`${what}: value size must be at least 1 byte`);
  return n;
}

/** "100,1K,50-4K" -> phases: fixed 100 B, fixed 1 KB, log-uniform 50 B..4 KB. */
export function parsePhases(spec: string): Phase[] {
  const phases = spec.split(',').map((t) => {
    const tok = t.trim();
    const [a, b, extra] = tok.split('-');
    if (a === undefined || extra !== undefined) throw new Error(`--churn-phases: cannot read "${tok}"`);
    const min = parseValueSize(a, '--churn-phases');
    const max = b === undefined ? min : parseValueSize(b, '--churn-phases');
    if (max < min) throw new Error(`--churn-phases: "${tok}": the upper size is below the lower`);
    return { name: tok, min, max };
  });
  if (phases.length === 0) throw new Error('--churn-phases: no phases');
  return phases;
}

/** Mean value size of a phase (log-uniform: (max - min) / ln(max / min)). */
export function meanValueSize(p: Phase): number {
  return p.max === p.min ? p.min : (p.max - p.min) / Math.log(p.max / p.min);
}

/** splitmix32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}

const SET_HEAD = Buffer.from(`*3\r\n$3\r\nSET\r\n$${KEY_LEN}\r\n`, 'latin1');
const MAX_HEADER = SET_HEAD.length + KEY_LEN + 2 + 1 + 20 + 2; // + "\r\n$<len>\r\n"
/** Filler the values are cut from (printable, not all one byte), longer than any value + 64. */
let filler = Buffer.alloc(0);
function fillerFor(maxValue: number): Buffer {
  if (filler.length < maxValue + 64) {
    const r = prng(7);
    filler = Buffer.alloc(maxValue + 64);
    for (let i = 0; i < filler.length; i++) filler[i] = 0x21 + Math.floor(r() * 94);
  }
  return filler;
}

/** SETs of random keys from [0, keyspace) with value sizes drawn from `phase`, into ~`target` bytes. */
export class ChurnEncoder {
  private readonly lnMin: number;
  private readonly lnSpan: number;
  private readonly fill: Buffer;

  constructor(readonly phase: Phase, readonly keyspace: number, private readonly rand: () => number) {
    this.lnMin = Math.log(phase.min);
    this.lnSpan = Math.log(phase.max) - this.lnMin;
    this.fill = fillerFor(phase.max);
  }

  valueSize(): number {
    if (this.phase.max === this.phase.min) return this.phase.min;
    const v = Math.round(Math.exp(this.lnMin + this.rand() * this.lnSpan));
    return Math.min(this.phase.max, Math.max(this.phase.min, v));
  }

  /**
   * A batch of SETs until it holds ~`targetBytes` of commands or `budget` payload bytes (key +
   * value) have been written; returns the buffer, the SET count and the payload bytes.
   */
  batch(targetBytes: number, budget: number): { buf: Buffer; count: number; payload: number } {
    const buf = Buffer.allocUnsafe(targetBytes + MAX_HEADER + this.phase.max + 2);
    let p = 0;
    let count = 0;
    let payload = 0;
    while (p < targetBytes && payload < budget) {
      const id = Math.floor(this.rand() * this.keyspace);
      const vlen = this.valueSize();
      SET_HEAD.copy(buf, p);
      p += SET_HEAD.length;
      writeKey(buf, p, id);
      p += KEY_LEN;
      p += buf.write(`\r\n$${vlen}\r\n`, p, 'latin1');
      const off = id & 63;
      this.fill.copy(buf, p, off, off + vlen);
      p += vlen;
      buf[p++] = 13;
      buf[p++] = 10;
      count++;
      payload += KEY_LEN + vlen;
    }
    return { buf: buf.subarray(0, p), count, payload };
  }
}

export interface PhaseLoadOptions {
  port: number;
  phase: Phase;
  keyspace: number;
  /** Payload bytes (16-byte key + value per SET) to write in this phase. */
  bytes: number;
  rand: () => number;
  sockets: number;
  /** Batches in flight per socket (default 2). */
  inflight?: number;
  /** Command bytes per pipelined batch (default ~1 MB). */
  batchBytes?: number;
  /** Called after each completed batch with the payload bytes written so far in this phase. */
  progress?: (written: number) => void;
}

export interface PhaseLoadResult {
  sets: number;
  payloadBytes: number;
  errors: number;
  firstError: string | null;
  ms: number;
}

/** Writes one phase's byte budget of SETs; error replies (e.g. OOM) are counted, not fatal. */
export async function loadPhase(o: PhaseLoadOptions): Promise<PhaseLoadResult> {
  const enc = new ChurnEncoder(o.phase, o.keyspace, o.rand);
  const batchBytes = o.batchBytes ?? 1 << 20;
  const inflight = o.inflight ?? 2;
  const conns = await Promise.all(Array.from({ length: o.sockets }, () => RespConn.connect(o.port)));
  let queued = 0; // payload bytes handed to a lane
  let written = 0; // payload bytes acknowledged
  let sets = 0;
  let errors = 0;
  const t0 = performance.now();
  const onReply = (kind: ReplyKind): void => {
    if (kind === R_ERROR) errors++;
  };
  const lane = async (c: RespConn): Promise<void> => {
    while (queued < o.bytes) {
      const b = enc.batch(batchBytes, o.bytes - queued);
      queued += b.payload;
      await c.pipeline(b.buf, b.count, onReply);
      if (c.broken !== null) throw new Error(`churn loader connection lost: ${c.broken.message}`);
      written += b.payload;
      sets += b.count;
      o.progress?.(written);
    }
  };
  try {
    await Promise.all(conns.flatMap((c) => Array.from({ length: inflight }, () => lane(c))));
  } finally {
    for (const c of conns) c.close();
  }
  const firstError = conns.map((c) => c.firstPipelinedError).find((e) => e !== null) ?? null;
  return { sets, payloadBytes: written, errors, firstError, ms: performance.now() - t0 };
}
