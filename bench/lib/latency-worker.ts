// bench/lib/latency-worker.ts — one load-generator process of bench/latency-bench.ts (forked, so
// the generator's event loop, GC and reply parsing are not the parent's). Over IPC the parent
// asks it to:
//
// - connect: open `conns` raw TCP connections to the server (no client library: GETs are
//   pre-encoded raw RESP for 16-byte keys, replies only classified, never materialized).
// - closed: closed loop, pipeline 1: each connection sends a GET of a uniformly random key
//   0..keys-1, and the next one as soon as the reply arrives. From `startAt` (wall clock, shared
//   by all workers) for warmupMs + ms; replies completed inside the last `ms` are counted.
// - open: open loop at `rate` GETs/s for this worker: request i is SCHEDULED at
//   startAt + i / rate (round-robin over the connections) and sent as soon as the schedule
//   allows, whether or not earlier replies are back (they pipeline on the connection). Its
//   latency is reply time minus SCHEDULED time, so a stall on either side counts against every
//   request that should have been sent during it (no coordinated omission). The send lag (actual
//   minus scheduled send time) is recorded separately: it is the generator's own share. Requests
//   scheduled in the first warmupMs are not recorded. Replies still missing `drainMs` after the
//   last scheduled send are counted as unanswered and recorded at that deadline.
//
// Sending: when the next scheduled time is more than 2 ms away it sleeps (setTimeout), otherwise
// it spins on setImmediate (polling I/O every turn), so at the rates measured here it keeps one
// core busy: it shares the machine's cores with the server under test, which the report says.
// Node 20 built-ins only.

import net from 'node:net';
import { GET_BYTES, KEY_LEN, writeKey } from './resp.js';
import { LogHistogram, type HistogramJSON } from './log-histogram.js';

export type ToLatencyWorker =
  | { type: 'connect'; port: number; conns: number; seed: number }
  | { type: 'closed'; keys: number; warmupMs: number; ms: number; startAt: number }
  | { type: 'open'; keys: number; rate: number; warmupMs: number; ms: number; startAt: number; drainMs: number }
  | { type: 'exit' };

export interface ClosedResult {
  ops: number;
  seconds: number;
  errors: number;
  misses: number;
}

export interface OpenResult {
  /** Latency from scheduled send to reply, µs, measured requests only. */
  latency: HistogramJSON;
  /** Actual minus scheduled send time, µs, measured requests only. */
  sendLag: HistogramJSON;
  scheduled: number;
  measured: number;
  unanswered: number;
  errors: number;
  misses: number;
  /** Measured replies / measurement seconds. */
  achievedRate: number;
  /** Largest number of requests outstanding (sent, unanswered) on one connection. */
  maxOutstandingPerConn: number;
}

export type FromLatencyWorker =
  | { type: 'ready' }
  | { type: 'closed-result'; result: ClosedResult }
  | { type: 'open-result'; result: OpenResult }
  | { type: 'error'; message: string };

const GET_HEAD = Buffer.from(`*2\r\n$3\r\nGET\r\n$${KEY_LEN}\r\n`, 'latin1');

let rng = 0x9e3779b9;
function randomKey(keys: number): number {
  // xorshift32; keys <= 2^32
  rng ^= rng << 13;
  rng ^= rng >>> 17;
  rng ^= rng << 5;
  return (rng >>> 0) % keys;
}

function writeGet(buf: Buffer, at: number, id: number): number {
  GET_HEAD.copy(buf, at);
  at += GET_HEAD.length;
  writeKey(buf, at, id);
  at += KEY_LEN;
  buf[at++] = 13;
  buf[at++] = 10;
  return at;
}

/** Scheduled send times of the requests in flight on one connection (a growable FIFO). */
class TimeQueue {
  private buf = new Float64Array(1024);
  private head = 0;
  private tail = 0;
  get size(): number {
    return this.tail - this.head;
  }
  push(t: number): void {
    if (this.tail === this.buf.length) {
      const live = this.buf.subarray(this.head, this.tail);
      const next = new Float64Array(Math.max(1024, live.length * 2));
      next.set(live);
      this.buf = next;
      this.tail = live.length;
      this.head = 0;
    }
    this.buf[this.tail++] = t;
  }
  shift(): number {
    const t = this.buf[this.head++]!;
    if (this.head === this.tail) this.head = this.tail = 0;
    return t;
  }
}

/** One raw connection; counts GET replies ($<n> bulk, $-1 nil, -ERR) without building values. */
class Conn {
  readonly q = new TimeQueue();
  private skip = 0;
  private partial: Buffer | null = null;
  onReply: (kind: 0 | 1 | 2, now: number) => void = () => {}; // 0 value, 1 nil, 2 error
  closed: Error | null = null;

  constructor(readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.feed(d));
    sock.on('error', (e) => (this.closed ??= e));
    sock.on('close', () => (this.closed ??= new Error('closed')));
  }

  static connect(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new Conn(s));
      });
      s.once('error', reject);
    });
  }

  private feed(chunk: Buffer): void {
    const now = performance.now();
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
        if (this.skip === 0) this.onReply(0, now);
        continue;
      }
      const lf = buf.indexOf(10, i);
      if (lf < 0) {
        this.partial = Buffer.from(buf.subarray(i));
        return;
      }
      const t = buf[i];
      if (t === 0x24 /* $ */) {
        if (buf[i + 1] === 0x2d) this.onReply(1, now);
        else {
          let n = 0;
          for (let k = i + 1; k < lf - 1; k++) n = n * 10 + (buf[k]! - 48);
          this.skip = n + 2;
        }
      } else {
        this.onReply(2, now); // -ERR (or anything else: counted as an error)
      }
      i = lf + 1;
    }
  }
}

let conns: Conn[] = [];

function send(msg: FromLatencyWorker): void {
  process.send?.(msg);
}

function perfAt(epochMs: number): number {
  return epochMs - performance.timeOrigin;
}

function closedLoop(keys: number, warmupMs: number, ms: number, startAt: number): Promise<ClosedResult> {
  return new Promise((resolve) => {
    const t0 = perfAt(startAt);
    const from = t0 + warmupMs;
    const to = from + ms;
    let ops = 0;
    let errors = 0;
    let misses = 0;
    let done = false;
    let live = conns.length;
    const one = Buffer.alloc(GET_BYTES);
    const fire = (c: Conn): void => {
      writeGet(one, 0, randomKey(keys));
      c.sock.write(Buffer.from(one)); // a copy: the socket may hold on to it
    };
    for (const c of conns) {
      c.onReply = (kind, now) => {
        if (now >= from && now < to) {
          ops++;
          if (kind === 1) misses++;
          else if (kind === 2) errors++;
        }
        if (now < to && !done) fire(c);
        else if (--live === 0) {
          done = true;
          resolve({ ops, seconds: ms / 1000, errors, misses });
        }
      };
    }
    const begin = (): void => {
      for (const c of conns) fire(c);
    };
    setTimeout(begin, Math.max(0, t0 - performance.now()));
  });
}

function openLoop(m: Extract<ToLatencyWorker, { type: 'open' }>): Promise<OpenResult> {
  return new Promise((resolve) => {
    const t0 = perfAt(m.startAt);
    const interval = 1000 / m.rate; // ms between scheduled sends (this worker)
    const measureFrom = t0 + m.warmupMs;
    const lastSched = measureFrom + m.ms; // no request is scheduled at or after this
    const total = Math.floor((m.warmupMs + m.ms) / interval);
    const latency = new LogHistogram();
    const sendLag = new LogHistogram();
    let i = 0;
    let measured = 0;
    let errors = 0;
    let misses = 0;
    let answered = 0;
    let maxOut = 0;
    const n = conns.length;
    const pending = new Int32Array(n); // requests to write per connection this turn
    const scratch = Buffer.alloc(GET_BYTES * 4096);
    let finished = false;

    for (const c of conns) {
      c.onReply = (kind, now) => {
        const sched = c.q.shift();
        answered++;
        if (sched >= measureFrom) {
          latency.record((now - sched) * 1000);
          measured++;
          if (kind === 1) misses++;
          else if (kind === 2) errors++;
        }
        if (i >= total && answered === i) finish();
      };
    }

    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(drainTimer);
      const deadline = performance.now();
      let unanswered = 0;
      for (const c of conns) {
        while (c.q.size > 0) {
          const sched = c.q.shift();
          if (sched >= measureFrom) {
            latency.record((deadline - sched) * 1000);
            unanswered++;
          }
        }
        c.onReply = () => {};
      }
      resolve({
        latency: latency.toJSON(), sendLag: sendLag.toJSON(), scheduled: total, measured, unanswered,
        errors, misses, achievedRate: measured / (m.ms / 1000), maxOutstandingPerConn: maxOut,
      });
    };
    let drainTimer: NodeJS.Timeout | undefined;

    const tick = (): void => {
      const now = performance.now();
      // every request whose scheduled time has come, round-robin over the connections
      pending.fill(0);
      let any = false;
      while (i < total) {
        const sched = t0 + i * interval;
        if (sched > now) break;
        const k = i % n;
        pending[k]!++;
        conns[k]!.q.push(sched);
        if (sched >= measureFrom) sendLag.record((now - sched) * 1000);
        i++;
        any = true;
      }
      if (any) {
        for (let k = 0; k < n; k++) {
          const cnt = pending[k]!;
          if (cnt === 0) continue;
          const c = conns[k]!;
          if (c.q.size > maxOut) maxOut = c.q.size;
          let p = 0;
          const need = cnt * GET_BYTES;
          const buf = need <= scratch.length ? scratch : Buffer.alloc(need);
          for (let r = 0; r < cnt; r++) p = writeGet(buf, p, randomKey(m.keys));
          c.sock.write(Buffer.from(buf.subarray(0, p))); // a copy: the socket may hold on to it
        }
      }
      if (i >= total) {
        if (answered === i) finish();
        else drainTimer = setTimeout(finish, Math.max(0, lastSched + m.drainMs - performance.now()));
        return;
      }
      const wait = t0 + i * interval - performance.now();
      if (wait > 2) setTimeout(tick, wait - 1);
      else setImmediate(tick);
    };
    const first = t0 - performance.now();
    if (first > 2) setTimeout(tick, first - 1);
    else setImmediate(tick);
  });
}

process.on('message', (raw: unknown) => {
  const m = raw as ToLatencyWorker;
  void (async () => {
    try {
      switch (m.type) {
        case 'connect':
          rng = (m.seed >>> 0) || 1;
          conns = await Promise.all(Array.from({ length: m.conns }, () => Conn.connect(m.port)));
          send({ type: 'ready' });
          break;
        case 'closed':
          send({ type: 'closed-result', result: await closedLoop(m.keys, m.warmupMs, m.ms, m.startAt) });
          break;
        case 'open':
          send({ type: 'open-result', result: await openLoop(m) });
          break;
        case 'exit':
          for (const c of conns) c.sock.destroy();
          process.disconnect?.();
          process.exit(0);
      }
      const broken = conns.find((c) => c.closed !== null);
      if (broken !== undefined) send({ type: 'error', message: `connection lost: ${broken.closed!.message}` });
    } catch (err) {
      send({ type: 'error', message: (err as Error).message });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
