// bench/lib/soak-worker.ts — one load process of bench/soak-bench.ts (forked, so its event loop,
// GC and reply parsing are not the sampler's). Raw RESP over its own connections, no client
// library. Over IPC the parent asks it to:
//
// - connect: open `conns` connections; answers ready.
// - start: from `startAt` (wall clock, shared by the workers) for `minutes`, an open loop of
//   `rate` commands/s: groups of 1-4 commands (uniform, mean 2.5) are scheduled every
//   2.5 / rate s and each is written in one write to the next connection (round-robin) on the
//   first ~1 ms timer tick at or after its time, whether or not earlier replies are back. The mix
//   and the reply checks are in COMMANDS below. Latency = reply time - actual send time; send lag
//   = send time - scheduled time (the generator's share, kept apart). Every `churnEveryMs`
//   (jittered) one connection is retired (no new commands, closed once its replies are in) and a
//   new one opened in its place. After the last send it waits up to DRAIN_MS for the replies
//   still owed; those missing are errors.
//
// Reports: a `minute` message per minute of the run (by reply time, counted from startAt; the
// drain is folded into the last minute) with the latency and send-lag histograms, replies and
// errors of that minute; then `done` with per-command totals and the first error descriptions.
// Node 20 built-ins only.

import net from 'node:net';
import { prng } from './churn-load.js';
import { LogHistogram, type HistogramJSON } from './log-histogram.js';
import { parseReply, RespError, type Reply } from './resp.js';

export const SOAK_CHANNEL = 'soak:events';
/** The fixed PUBLISH payload, so the subscriber can count messages by bytes. */
export const SOAK_MESSAGE = 'soak-message-16b';

export interface SoakKeyspaces {
  strings: number;
  hashes: number;
  lists: number;
  sets: number;
  zsets: number;
  counters: number;
}

export interface SoakWorkerStart {
  type: 'start';
  startAt: number;
  minutes: number;
  /** Commands per second for this worker. */
  rate: number;
  keyspaces: SoakKeyspaces;
  /** Mean ms between connection churns (0 = none). */
  churnEveryMs: number;
  seed: number;
}

export type ToSoakWorker = { type: 'connect'; port: number; conns: number } | SoakWorkerStart | { type: 'exit' };

export interface MinuteReport {
  type: 'minute';
  minute: number;
  latency: HistogramJSON;
  lag: HistogramJSON;
  ops: number;
  errors: number;
}

export interface SoakWorkerDone {
  type: 'done';
  perCmd: Record<string, { ops: number; errors: number; nil: number; latency: HistogramJSON }>;
  errorSamples: string[];
  unanswered: number;
  connsChurned: number;
  /** PUBLISH replies that said 1 receiver. */
  publishedTo1: number;
}

export type FromSoakWorker = { type: 'ready' } | MinuteReport | SoakWorkerDone | { type: 'error'; message: string };

const DRAIN_MS = 10_000;
const MIN_VALUE = 64;
const MAX_VALUE = 8192;
const FILLER = Buffer.alloc(MAX_VALUE, 'abcdefghijklmnopqrstuvwxyz0123456789');

type Check = (r: Reply, id: number) => boolean;
interface CommandSpec {
  name: string;
  /** Percent of the commands sent. */
  weight: number;
  space: keyof SoakKeyspaces | null;
  args(id: number, rand: () => number): (string | Buffer)[];
  check: Check;
}

const isInt = (r: Reply, lo: number, hi = Infinity): boolean => typeof r === 'number' && r >= lo && r <= hi;
const isArray = (r: Reply, max: number, even = false): boolean =>
  Array.isArray(r) && r.length <= max && (!even || r.length % 2 === 0) && r.every((x) => typeof x === 'string');
/** "<id>:<length>:" then filler, `len` bytes in all. */
function stringValue(id: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  const head = b.write(`${id}:${len}:`, 0, 'latin1');
  FILLER.copy(b, head, 0, len - head);
  return b;
}
const valueLength = (rand: () => number): number => Math.round(Math.exp(Math.log(MIN_VALUE) + rand() * Math.log(MAX_VALUE / MIN_VALUE)));
/** A GET hit must be this key's own value, whole: "<id>:<length>:..." of that length. */
function checkString(r: Reply, id: number): boolean {
  if (r === null) return true;
  if (typeof r !== 'string') return false;
  const a = r.indexOf(':');
  const b = r.indexOf(':', a + 1);
  return a > 0 && b > a && r.slice(0, a) === String(id) && Number(r.slice(a + 1, b)) === r.length;
}

/** The mix; weights sum to 100. Each type has its own key prefix, so no WRONGTYPE can happen. */
const COMMANDS: CommandSpec[] = [
  { name: 'GET', weight: 59, space: 'strings', args: (id) => ['GET', `s:${id}`], check: checkString },
  { name: 'SET', weight: 17.5, space: 'strings', args: (id, rnd) => ['SET', `s:${id}`, stringValue(id, valueLength(rnd))], check: (r) => r === 'OK' },
  { name: 'SET EX', weight: 7.5, space: 'strings', args: (id, rnd) => ['SET', `s:${id}`, stringValue(id, valueLength(rnd)), 'EX', String(10 + Math.floor(rnd() * 111))], check: (r) => r === 'OK' },
  { name: 'DEL', weight: 3, space: 'strings', args: (id) => ['DEL', `s:${id}`], check: (r) => isInt(r, 0, 1) },
  { name: 'HSET', weight: 2, space: 'hashes', args: (id, rnd) => ['HSET', `h:${id}`, `f${Math.floor(rnd() * 16)}`, `${id}:value-of-a-hash-field-32b`], check: (r) => isInt(r, 0, 1) },
  { name: 'HGETALL', weight: 1.5, space: 'hashes', args: (id) => ['HGETALL', `h:${id}`], check: (r) => isArray(r, 32, true) },
  { name: 'LPUSH', weight: 1, space: 'lists', args: (id) => ['LPUSH', `l:${id}`, `${id}:list-item-24-bytes`], check: (r) => isInt(r, 1) },
  { name: 'LTRIM', weight: 0.5, space: 'lists', args: (id) => ['LTRIM', `l:${id}`, '0', '63'], check: (r) => r === 'OK' },
  { name: 'LRANGE', weight: 1, space: 'lists', args: (id) => ['LRANGE', `l:${id}`, '0', '9'], check: (r) => isArray(r, 10) },
  { name: 'SADD', weight: 1.5, space: 'sets', args: (id, rnd) => ['SADD', `t:${id}`, `m${Math.floor(rnd() * 64)}`], check: (r) => isInt(r, 0, 1) },
  { name: 'SMEMBERS', weight: 1, space: 'sets', args: (id) => ['SMEMBERS', `t:${id}`], check: (r) => isArray(r, 64) },
  { name: 'ZADD', weight: 1.5, space: 'zsets', args: (id, rnd) => ['ZADD', `z:${id}`, String(Math.floor(rnd() * 1000)), `m${Math.floor(rnd() * 128)}`], check: (r) => isInt(r, 0, 1) },
  { name: 'ZRANGE', weight: 1, space: 'zsets', args: (id) => ['ZRANGE', `z:${id}`, '0', '9'], check: (r) => isArray(r, 10) },
  { name: 'INCR', weight: 1.5, space: 'counters', args: (id) => ['INCR', `c:${id}`], check: (r) => isInt(r, 1) },
  { name: 'PUBLISH', weight: 0.5, space: null, args: () => ['PUBLISH', SOAK_CHANNEL, SOAK_MESSAGE], check: (r) => isInt(r, 0) },
];
const PUBLISH = COMMANDS.findIndex((c) => c.name === 'PUBLISH');
/** Cumulative weights, for drawing a command. */
const CUMULATIVE = COMMANDS.map((_, i) => COMMANDS.slice(0, i + 1).reduce((a, c) => a + c.weight, 0));

function encode(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, CRLF);
  }
  return Buffer.concat(parts);
}
const CRLF = Buffer.from('\r\n');

interface Req {
  cmd: number;
  id: number;
  sent: number;
}

/** One connection: the commands in flight (FIFO) and whole-reply parsing (resp.ts parseReply). */
class SoakConn {
  private queue: Req[] = [];
  private head = 0;
  private acc: Buffer | null = null;
  retiring = false;
  lost: Error | null = null;

  constructor(
    readonly sock: net.Socket,
    private readonly onReply: (req: Req, reply: Reply, now: number) => void,
    private readonly onLost: (c: SoakConn, pending: Req[]) => void,
  ) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.feed(d));
    const fail = (e: Error): void => {
      if (this.lost !== null) return;
      this.lost = e;
      const pending = this.queue.slice(this.head);
      this.queue = [];
      this.head = 0;
      this.onLost(this, pending);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('closed')));
  }

  static open(port: number, onReply: SoakConn['onReply'], onLost: SoakConn['onLost']): Promise<SoakConn> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new SoakConn(s, onReply, onLost));
      });
      s.once('error', reject);
    });
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  send(buf: Buffer, reqs: Req[]): void {
    for (const r of reqs) this.queue.push(r);
    this.sock.write(buf);
  }

  /** Gives up on the replies still owed (returned, not reported as lost) and closes the connection. */
  abandon(): Req[] {
    const owed = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    this.retiring = true;
    this.sock.destroy();
    return owed;
  }

  /** No new commands; closed once the replies owed are in. */
  retire(): void {
    this.retiring = true;
    if (this.pending === 0) this.sock.end();
  }

  private feed(d: Buffer): void {
    const now = performance.now();
    const buf = this.acc === null ? d : Buffer.concat([this.acc, d]);
    let off = 0;
    try {
      while (off < buf.length) {
        const r = parseReply(buf, off);
        if (r === undefined) break;
        off = r.end;
        const req = this.queue[this.head++];
        if (req === undefined) throw new Error('a reply nothing was sent for');
        this.onReply(req, r.value, now);
      }
    } catch (err) {
      this.sock.destroy(err as Error);
      return;
    }
    this.acc = off < buf.length ? buf.subarray(off) : null;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.retiring && this.pending === 0) this.sock.end();
  }
}

function send(msg: FromSoakWorker): void {
  process.send?.(msg);
}

export function runSoakWorker(): void {
  let port = 0;
  let active: SoakConn[] = [];
  const all = new Set<SoakConn>();
  // Totals and the current minute.
  const perCmd = COMMANDS.map(() => ({ ops: 0, errors: 0, nil: 0, latency: new LogHistogram() }));
  const errorSamples: string[] = [];
  let minuteHist = new LogHistogram();
  let minuteLag = new LogHistogram();
  let minuteOps = 0;
  let minuteErrors = 0;
  let curMinute = 0;
  let t0 = 0; // performance.now() at startAt
  let lastMinute = 0;
  let unanswered = 0;
  let connsChurned = 0;
  let publishedTo1 = 0;

  const minuteAt = (now: number): number => Math.max(0, Math.min(lastMinute, Math.floor((now - t0) / 60_000)));
  const flushUntil = (m: number): void => {
    while (curMinute < m) {
      send({ type: 'minute', minute: curMinute, latency: minuteHist.toJSON(), lag: minuteLag.toJSON(), ops: minuteOps, errors: minuteErrors });
      minuteHist = new LogHistogram();
      minuteLag = new LogHistogram();
      minuteOps = minuteErrors = 0;
      curMinute++;
    }
  };
  /** Counts an error in this minute (and against a command, unless cmd is null). */
  const error = (cmd: number | null, what: string, now: number): void => {
    flushUntil(minuteAt(now));
    if (cmd !== null) perCmd[cmd]!.errors++;
    minuteErrors++;
    if (errorSamples.length < 5) errorSamples.push(`${cmd === null ? 'connection' : COMMANDS[cmd]!.name}: ${what}`);
  };
  const onReply = (req: Req, reply: Reply, now: number): void => {
    flushUntil(minuteAt(now));
    const us = (now - req.sent) * 1000;
    const c = perCmd[req.cmd]!;
    c.ops++;
    c.latency.record(us);
    minuteHist.record(us);
    minuteOps++;
    if (reply === null) c.nil++;
    if (req.cmd === PUBLISH && reply === 1) publishedTo1++;
    const spec = COMMANDS[req.cmd]!;
    if (reply instanceof RespError || !spec.check(reply, req.id)) {
      error(req.cmd, `key ${req.id}: ${JSON.stringify(reply instanceof RespError ? `-${reply.message}` : reply).slice(0, 120)}`, now);
    }
  };
  const connect = async (): Promise<SoakConn> => {
    const c = await SoakConn.open(port, onReply, (lost, pending) => {
      all.delete(lost);
      active = active.filter((x) => x !== lost);
      const now = performance.now();
      for (const r of pending) error(r.cmd, `connection lost with the reply owed (${lost.lost?.message ?? '?'})`, now);
      if (!lost.retiring) void replace();
    });
    all.add(c);
    return c;
  };
  /** Opens a connection into the active set (a failure is counted and retried a second later). */
  const replace = async (): Promise<void> => {
    try {
      active.push(await connect());
    } catch (err) {
      error(null, `could not connect: ${(err as Error).message}`, performance.now());
      setTimeout(() => void replace(), 1000);
    }
  };

  const start = (m: SoakWorkerStart): void => {
    const rand = prng(m.seed);
    t0 = m.startAt - performance.timeOrigin;
    lastMinute = m.minutes - 1;
    const end = t0 + m.minutes * 60_000;
    const groupEvery = (2.5 * 1000) / m.rate; // ms between scheduled groups
    let groups = 0;
    let rr = 0;
    const reqs: Req[] = [];
    const bufs: Buffer[] = [];
    const tick = (): void => {
      const now = performance.now();
      for (;;) {
        const sched = t0 + groups * groupEvery;
        if (sched > now || sched >= end) break;
        groups++;
        const size = 1 + Math.floor(rand() * 4);
        reqs.length = bufs.length = 0;
        for (let k = 0; k < size; k++) {
          const x = rand() * 100;
          let cmd = CUMULATIVE.findIndex((w) => x < w);
          if (cmd < 0) cmd = 0;
          const spec = COMMANDS[cmd]!;
          const id = spec.space === null ? 0 : Math.floor(rand() * m.keyspaces[spec.space]);
          bufs.push(encode(spec.args(id, rand)));
          reqs.push({ cmd, id, sent: now });
        }
        flushUntil(minuteAt(now));
        minuteLag.record((now - sched) * 1000);
        const c = active.length === 0 ? undefined : active[rr++ % active.length]!;
        if (c === undefined) for (const r of reqs) error(r.cmd, 'no open connection to send on', now);
        else c.send(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs), reqs.slice());
      }
      if (t0 + groups * groupEvery >= end) void drain();
      else setTimeout(tick, 1);
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
    // Connection churn, jittered (0.5-1.5 x the mean gap).
    let churnTimer: NodeJS.Timeout | undefined;
    const churn = (): void => {
      if (performance.now() >= end) return;
      const victim = active[Math.floor(rand() * active.length)];
      if (victim !== undefined) {
        active = active.filter((x) => x !== victim);
        victim.retire();
        connsChurned++;
        void replace();
      }
      churnTimer = setTimeout(churn, m.churnEveryMs * (0.5 + rand()));
    };
    if (m.churnEveryMs > 0) churnTimer = setTimeout(churn, Math.max(0, t0 - performance.now()) + m.churnEveryMs * (0.5 + rand()));
    // Close a minute even when no reply arrives to do it (a stalled server).
    const roll = setInterval(() => flushUntil(minuteAt(performance.now())), 250);

    const drain = async (): Promise<void> => {
      clearTimeout(churnTimer);
      const deadline = performance.now() + DRAIN_MS;
      while ([...all].some((c) => c.pending > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      clearInterval(roll);
      const now = performance.now();
      for (const c of all) {
        for (const r of c.abandon()) {
          unanswered++;
          error(r.cmd, `no reply ${DRAIN_MS / 1000} s after the last send`, now);
        }
      }
      all.clear();
      flushUntil(lastMinute);
      send({ type: 'minute', minute: lastMinute, latency: minuteHist.toJSON(), lag: minuteLag.toJSON(), ops: minuteOps, errors: minuteErrors });
      send({
        type: 'done', unanswered, connsChurned, publishedTo1, errorSamples,
        perCmd: Object.fromEntries(perCmd.map((c, i) => [COMMANDS[i]!.name, { ops: c.ops, errors: c.errors, nil: c.nil, latency: c.latency.toJSON() }])),
      });
    };
  };

  process.on('message', (raw: unknown) => {
    const m = raw as ToSoakWorker;
    void (async () => {
      try {
        if (m.type === 'connect') {
          port = m.port;
          active = await Promise.all(Array.from({ length: m.conns }, () => connect()));
          send({ type: 'ready' });
        } else if (m.type === 'start') {
          start(m);
        } else {
          for (const c of all) c.sock.destroy();
          process.disconnect?.();
          process.exit(0);
        }
      } catch (err) {
        send({ type: 'error', message: (err as Error).message });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

// Run as a forked child: bench/soak-bench.ts forks dist/bench/lib/soak-worker.js --soak-worker.
if (process.send !== undefined && process.argv.includes('--soak-worker')) runSoakWorker();
