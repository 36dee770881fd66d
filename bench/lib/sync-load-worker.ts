// bench/lib/sync-load-worker.ts — the load generator of the failover benchmark's full-sync part
// (bench/failover-bench.ts --parts fullsync), a forked process in the style of
// latency-worker.ts: raw RESP over a few connections, no client library, replies only
// classified. Over IPC the parent asks it to:
//
// - start: an open loop of GET/SET (a `setRatio` share of SETs) on uniformly random keys
//   0..keys-1 (the 16-byte keys of resp.ts, values of `valueSize` bytes), `rate` requests per
//   second in all, round-robin over the connections. Every ~1 ms timer tick sends every request
//   whose scheduled time has come, whether or not earlier replies are back (they pipeline on the
//   connection), so a stalled server delays every request sent meanwhile and each of them counts.
//   A request's latency is its reply time minus its actual send time, recorded in the time slice
//   (`sliceMs` wide, by send time) it was sent in, so the parent can take percentiles over any
//   window afterwards (before a sync, during it). The send lag (actual minus scheduled send time,
//   the timer's share) is recorded separately.
// - stop: stops sending, waits up to drainMs for the replies still owed (any still missing are
//   recorded at that deadline and counted as unanswered) and sends back the slices.
//
// Timer ticks instead of a busy spin keep it to a fraction of a core: the machine has 2 cores
// for a primary, a replica doing a full sync and this generator. Node 20 built-ins only.

import net from 'node:net';
import { BatchEncoder } from './resp.js';
import { LogHistogram, type HistogramJSON } from './log-histogram.js';

export type ToSyncLoadWorker =
  | { type: 'start'; port: number; conns: number; rate: number; setRatio: number; keys: number; valueSize: number; sliceMs: number; seed: number }
  | { type: 'stop'; drainMs: number }
  | { type: 'exit' };

export interface SyncLoadResult {
  /** Wall-clock time (ms since the epoch) at which slice 0 starts. */
  originEpochMs: number;
  sliceMs: number;
  /** [slice index, latency histogram in µs] for every slice with a request. */
  slices: Array<[number, HistogramJSON]>;
  sendLag: HistogramJSON;
  sent: number;
  answered: number;
  unanswered: number;
  errors: number;
  firstError: string | null;
  misses: number;
}

export type FromSyncLoadWorker =
  | { type: 'ready' }
  | { type: 'started'; originEpochMs: number }
  | { type: 'result'; result: SyncLoadResult }
  | { type: 'error'; message: string };

class Fifo {
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

/** One connection: send times FIFO; replies (+, -, :, $) classified without building values. */
class Conn {
  readonly sent = new Fifo();
  private skip = 0;
  private partial: Buffer | null = null;
  onReply: (kind: 'ok' | 'nil' | 'error', now: number, errText: string | null) => void = () => {};
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
        if (this.skip === 0) this.onReply('ok', now, null);
        continue;
      }
      const lf = buf.indexOf(10, i);
      if (lf < 0) {
        this.partial = Buffer.from(buf.subarray(i));
        return;
      }
      const t = buf[i];
      if (t === 0x24 /* $ */) {
        if (buf[i + 1] === 0x2d) this.onReply('nil', now, null);
        else {
          let n = 0;
          for (let k = i + 1; k < lf - 1; k++) n = n * 10 + (buf[k]! - 48);
          this.skip = n + 2;
        }
      } else if (t === 0x2d /* - */) {
        this.onReply('error', now, buf.toString('latin1', i + 1, lf - 1));
      } else {
        this.onReply('ok', now, null); // +OK, :n
      }
      i = lf + 1;
    }
  }
}

let conns: Conn[] = [];
let running: { stop: (drainMs: number) => Promise<SyncLoadResult> } | null = null;

function send(msg: FromSyncLoadWorker): void {
  process.send?.(msg);
}

function start(m: Extract<ToSyncLoadWorker, { type: 'start' }>): number {
  let rng = (m.seed >>> 0) || 1;
  const rand = (): number => {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    return (rng >>> 0) / 4294967296;
  };
  const enc = new BatchEncoder(m.valueSize);
  const slices = new Map<number, LogHistogram>();
  const sendLag = new LogHistogram();
  const t0 = performance.now();
  const originEpochMs = performance.timeOrigin + t0;
  const n = conns.length;
  const ids = [0];
  let sent = 0;
  let answered = 0;
  let errors = 0;
  let misses = 0;
  let firstError: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const sliceOf = (sendTime: number): LogHistogram => {
    const k = Math.floor((sendTime - t0) / m.sliceMs);
    let h = slices.get(k);
    if (h === undefined) slices.set(k, (h = new LogHistogram()));
    return h;
  };
  for (const c of conns) {
    c.onReply = (kind, now, errText) => {
      const at = c.sent.shift();
      answered++;
      sliceOf(at).record((now - at) * 1000);
      if (kind === 'nil') misses++;
      else if (kind === 'error') {
        errors++;
        firstError ??= errText;
      }
    };
  }
  const perConn: Buffer[][] = Array.from({ length: n }, () => []);
  const tick = (): void => {
    if (stopped) return;
    const now = performance.now();
    const due = Math.floor(((now - t0) * m.rate) / 1000);
    while (sent < due) {
      const sched = t0 + (sent * 1000) / m.rate;
      sendLag.record((now - sched) * 1000);
      const k = sent % n;
      ids[0] = Math.floor(rand() * m.keys);
      // copies: the encoder reuses its buffer
      perConn[k]!.push(Buffer.from(rand() < m.setRatio ? enc.sets(ids, 0, 1) : enc.gets(ids, 0, 1)));
      conns[k]!.sent.push(now);
      sent++;
    }
    for (let k = 0; k < n; k++) {
      const parts = perConn[k]!;
      if (parts.length === 0) continue;
      conns[k]!.sock.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      parts.length = 0;
    }
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);

  running = {
    stop: async (drainMs) => {
      stopped = true;
      clearTimeout(timer);
      const deadline = performance.now() + drainMs;
      while (answered < sent && performance.now() < deadline && conns.every((c) => c.closed === null)) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const end = performance.now();
      let unanswered = 0;
      for (const c of conns) {
        while (c.sent.size > 0) {
          const at = c.sent.shift();
          sliceOf(at).record((end - at) * 1000);
          unanswered++;
        }
        c.onReply = () => {};
      }
      return {
        originEpochMs, sliceMs: m.sliceMs,
        slices: [...slices.entries()].sort((a, b) => a[0] - b[0]).map(([k, h]) => [k, h.toJSON()] as [number, HistogramJSON]),
        sendLag: sendLag.toJSON(), sent, answered, unanswered, errors, firstError, misses,
      };
    },
  };
  return originEpochMs;
}

process.on('message', (raw: unknown) => {
  const m = raw as ToSyncLoadWorker;
  void (async () => {
    try {
      switch (m.type) {
        case 'start':
          conns = await Promise.all(Array.from({ length: m.conns }, () => Conn.connect(m.port)));
          send({ type: 'started', originEpochMs: start(m) });
          break;
        case 'stop': {
          if (running === null) throw new Error('stop before start');
          const result = await running.stop(m.drainMs);
          running = null;
          for (const c of conns) c.sock.destroy();
          conns = [];
          send({ type: 'result', result });
          break;
        }
        case 'exit':
          for (const c of conns) c.sock.destroy();
          process.disconnect?.();
          process.exit(0);
      }
    } catch (err) {
      send({ type: 'error', message: (err as Error).message });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
