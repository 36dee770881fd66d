// bench/lib/reshard-load-worker.ts — the load generator of the resharding benchmark
// (bench/reshard-bench.ts), a forked process driving ioredis's Cluster client as an application
// would: it follows MOVED / ASK / TRYAGAIN / CLUSTERDOWN with ioredis's defaults (unless the
// parent sets options), and every error ioredis surfaces to the caller counts as a client error.
// Requests: GET (getBuffer, so values are not decoded) or SET of a uniformly random key
// 0..keys-1 (`key:` + 12 digits), a `setRatio` share of SETs, each SET writing a value of the
// key's own size (reshard-keys.ts valueSizeOf), so the data set's bytes never change.
//
// Over IPC, one reply per message:
//   init   connect the Cluster client to the seed ports, wait for 'ready'         -> inited
//   peak   closed loop: `concurrency` request loops for warmupMs + ms; ops/s over the
//          last ms (replies completed in that window)                           -> peak-result
//   start  open loop at `rate` requests/s: request i is SCHEDULED at t0 + i/rate and issued
//          at the first ~1 ms timer tick at or after that, whether or not earlier requests
//          are answered. Latency = completion - SCHEDULED time (no coordinated omission;
//          the generator's own lag, issue - scheduled, is recorded apart as sendLag) and
//          also completion - issue time ("service").                            -> started
//   phase  from now on, requests issued count in phase `name` (warmup, before, during,
//          after: the parent switches at the window boundaries)                  -> phased
//   stop   stop issuing; wait up to drainMs for outstanding requests (still missing ones
//          are counted as unanswered in the phase they were issued in)         -> result
//   exit
// Per phase: latency and service histograms (µs), issued / ok / errors / misses (GET of a loaded
// key answered nil: the key was not where the client was sent) / unanswered, and the error
// messages with counts, ioredis's slot-map refreshes, and the requests over 5 ms of service split
// by whether their slot moved (PhaseStats). Per second of the run: issued, errors, misses, p50 /
// p99 / max latency.

import { writeFileSync } from 'node:fs';
import { Cluster, type ClusterOptions } from 'ioredis';
import { keyName } from './resp.js';
import { valueSizeOf } from './reshard-keys.js';
import { LogHistogram, type HistogramJSON } from './log-histogram.js';
import { keySlot, SLOT_COUNT } from '../../src/cluster/slot.js';

export interface LoadInit {
  seeds: number[];
  keys: number;
  minSize: number;
  maxSize: number;
  setRatio: number;
  seed: number;
  /** Extra ioredis Cluster options (maxRedirections, retryDelayOnTryAgain, ...). */
  clusterOptions: Partial<ClusterOptions>;
  /** Per-command timeout, ms (0: none; ioredis's default). */
  commandTimeoutMs: number;
}

export type ToReshardLoad =
  | ({ type: 'init' } & LoadInit)
  | { type: 'peak'; concurrency: number; warmupMs: number; ms: number }
  | { type: 'start'; rate: number }
  | { type: 'phase'; name: string }
  | { type: 'stop'; drainMs: number }
  | { type: 'exit' };

export interface PeakResult {
  opsPerSec: number;
  ops: number;
  errors: number;
  firstError: string | null;
  latency: HistogramJSON;
}

export interface PhaseStats {
  name: string;
  /** Wall-clock ms (epoch) the phase began and ended (ended: the next phase began or stop). */
  fromEpochMs: number;
  toEpochMs: number;
  issued: number;
  ok: number;
  errors: number;
  misses: number;
  unanswered: number;
  /** Completion - scheduled time, µs. */
  latency: HistogramJSON;
  /** Completion - issue time, µs. */
  service: HistogramJSON;
  /** Issue - scheduled time, µs. */
  sendLag: HistogramJSON;
  /** Error message (digits collapsed) -> count. */
  errorKinds: Record<string, number>;
  /** Slot-map refreshes ioredis completed in the phase ('refresh' events: one CLUSTER SLOTS each). */
  refreshes: number;
  /** Requests whose service time (completion - issue) was over SLOW_SERVICE_US, split by whether
   *  their key's slot changed owner between the open loop's start and its end (as ioredis saw
   *  the slot map), and all requests on such slots: slow requests concentrated on moved slots
   *  point at the move's own steps (pause, redirections), spread ones at the machine. */
  slowOnMovedSlots: number;
  slowOnOtherSlots: number;
  onMovedSlots: number;
}

export interface SecondStats {
  /** Seconds since the open loop started (by scheduled time). */
  s: number;
  phase: string;
  issued: number;
  errors: number;
  misses: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

export interface OpenResult {
  rate: number;
  originEpochMs: number;
  phases: PhaseStats[];
  seconds: SecondStats[];
  issued: number;
  unanswered: number;
  /** 'error' / 'node error' events of the Cluster object (not errors of a request). */
  clusterEvents: Record<string, number>;
  firstErrors: string[];
}

export type FromReshardLoad =
  | { type: 'ready' }
  | { type: 'inited' }
  | { type: 'peak-result'; result: PeakResult }
  | { type: 'started'; originEpochMs: number }
  | { type: 'phased' }
  | { type: 'result'; result: OpenResult }
  | { type: 'error'; message: string };

let cluster: Cluster | null = null;
let init: LoadInit | null = null;
let value = Buffer.alloc(0);
const clusterEvents: Record<string, number> = {};
let rng = 1;

function rand(): number {
  rng ^= rng << 13;
  rng ^= rng >>> 17;
  rng ^= rng << 5;
  return (rng >>> 0) / 4294967296;
}

function send(msg: FromReshardLoad): void {
  process.send?.(msg);
}

/** The slot of the key of the last request() made. */
let lastSlot = 0;

/** One request of the mix; resolves with 'ok' | 'miss', rejects with ioredis's error. */
function request(c: Cluster, o: LoadInit): Promise<'ok' | 'miss'> {
  const id = Math.floor(rand() * o.keys);
  const key = keyName(id);
  lastSlot = keySlot(key);
  if (rand() < o.setRatio) {
    return c.set(key, value.subarray(0, valueSizeOf(id, o.minSize, o.maxSize))).then(() => 'ok' as const);
  }
  return c.getBuffer(key).then((v) => (v === null ? ('miss' as const) : ('ok' as const)));
}

function errorKind(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\d+/g, 'N').slice(0, 120);
}

async function doInit(m: LoadInit): Promise<void> {
  init = m;
  rng = (m.seed >>> 0) || 1;
  value = Buffer.alloc(m.maxSize, 0x77); // 'w'
  const c = new Cluster(
    m.seeds.map((port) => ({ host: '127.0.0.1', port })),
    { ...m.clusterOptions, redisOptions: { ...(m.commandTimeoutMs > 0 ? { commandTimeout: m.commandTimeoutMs } : {}) } },
  );
  c.on('error', (e: Error) => (clusterEvents[`error: ${errorKind(e)}`] = (clusterEvents[`error: ${errorKind(e)}`] ?? 0) + 1));
  c.on('node error', (e: Error) => (clusterEvents[`node error: ${errorKind(e)}`] = (clusterEvents[`node error: ${errorKind(e)}`] ?? 0) + 1));
  cluster = c;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('ioredis Cluster not ready within 20 s')), 20_000);
    c.once('ready', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function peak(m: Extract<ToReshardLoad, { type: 'peak' }>): Promise<PeakResult> {
  const c = cluster!;
  const o = init!;
  const t0 = performance.now();
  const from = t0 + m.warmupMs;
  const to = from + m.ms;
  let ops = 0;
  let errors = 0;
  let firstError: string | null = null;
  const h = new LogHistogram();
  const loop = async (): Promise<void> => {
    for (;;) {
      const a = performance.now();
      if (a >= to) return;
      try {
        await request(c, o);
      } catch (err) {
        errors++;
        firstError ??= errorKind(err);
      }
      const b = performance.now();
      if (b >= from && b < to) {
        ops++;
        h.record((b - a) * 1000);
      }
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, loop));
  return { opsPerSec: (ops * 1000) / m.ms, ops, errors, firstError, latency: h.toJSON() };
}

interface PhaseAcc {
  name: string;
  fromEpochMs: number;
  toEpochMs: number;
  issued: number;
  ok: number;
  errors: number;
  misses: number;
  outstanding: number;
  latency: LogHistogram;
  service: LogHistogram;
  sendLag: LogHistogram;
  errorKinds: Map<string, number>;
  refreshes: number;
  /** Requests per slot, and slow requests per slot (see PhaseStats.slowOnMovedSlots). */
  perSlot: Uint32Array;
  slowPerSlot: Uint32Array;
}

const SLOW_SERVICE_US = 5000;
/**
 * With CORRAL_BENCH_SLOW_LOG=<dir>: every slow request's [issue, completion] (ms since the open
 * loop's start) and the node it went to, written to <dir>/slowlog-<pid>.json at stop with
 * `t0HrUs` (the start on the monotonic clock, in µs, as `--cpu-prof` profiles count time), to
 * line slow requests up with the nodes' profiles. A diagnosis aid; off by default.
 */
const SLOW_LOG_DIR = process.env.CORRAL_BENCH_SLOW_LOG;
const slowLog: [number, number, string][] = [];

interface SecondAcc {
  phase: string;
  issued: number;
  errors: number;
  misses: number;
  latency: LogHistogram;
}

let running: { stop: (drainMs: number) => Promise<OpenResult>; phase: (name: string) => void } | null = null;

function start(rate: number): number {
  const c = cluster!;
  const o = init!;
  const t0 = performance.now();
  const originEpochMs = performance.timeOrigin + t0;
  const phases: PhaseAcc[] = [];
  const seconds = new Map<number, SecondAcc>();
  const firstErrors: string[] = [];
  const newPhase = (name: string): PhaseAcc => {
    const now = performance.timeOrigin + performance.now();
    const prev = phases[phases.length - 1];
    if (prev !== undefined) prev.toEpochMs = now;
    const p: PhaseAcc = {
      name, fromEpochMs: now, toEpochMs: NaN, issued: 0, ok: 0, errors: 0, misses: 0, outstanding: 0,
      latency: new LogHistogram(), service: new LogHistogram(), sendLag: new LogHistogram(), errorKinds: new Map(),
      refreshes: 0, perSlot: new Uint32Array(SLOT_COUNT), slowPerSlot: new Uint32Array(SLOT_COUNT),
    };
    phases.push(p);
    return p;
  };
  let cur = newPhase('warmup');
  const ownerAt = (): string[] => {
    const slots = (c as unknown as { slots: (string[] | undefined)[] }).slots;
    return Array.from({ length: SLOT_COUNT }, (_, i) => slots[i]?.[0] ?? '');
  };
  const ownersAtStart = ownerAt();
  const onRefresh = (): void => {
    cur.refreshes++;
  };
  c.on('refresh', onRefresh);
  let issued = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const secondOf = (sched: number, phase: string): SecondAcc => {
    const k = Math.floor((sched - t0) / 1000);
    let a = seconds.get(k);
    if (a === undefined) seconds.set(k, (a = { phase, issued: 0, errors: 0, misses: 0, latency: new LogHistogram() }));
    return a;
  };

  const tick = (): void => {
    if (stopped) return;
    const now = performance.now();
    const due = Math.floor(((now - t0) * rate) / 1000);
    while (issued < due) {
      const sched = t0 + (issued * 1000) / rate;
      issued++;
      const ph = cur;
      const sec = secondOf(sched, ph.name);
      ph.issued++;
      ph.outstanding++;
      sec.issued++;
      ph.sendLag.record((now - sched) * 1000);
      const issuedAt = now;
      const p = request(c, o);
      const slot = lastSlot;
      ph.perSlot[slot]++;
      const owner = (c as unknown as { slots: (string[] | undefined)[] }).slots[slot]?.[0] ?? '';
      p.then(
        (kind) => {
          const t = performance.now();
          if ((t - issuedAt) * 1000 > SLOW_SERVICE_US) {
            ph.slowPerSlot[slot]++;
            if (SLOW_LOG_DIR !== undefined && slowLog.length < 100_000) slowLog.push([Math.round(issuedAt - t0), Math.round(t - t0), owner]);
          }
          ph.outstanding--;
          ph.latency.record((t - sched) * 1000);
          ph.service.record((t - issuedAt) * 1000);
          sec.latency.record((t - sched) * 1000);
          if (kind === 'miss') {
            ph.misses++;
            sec.misses++;
          } else ph.ok++;
        },
        (err: unknown) => {
          const t = performance.now();
          ph.outstanding--;
          ph.errors++;
          sec.errors++;
          ph.latency.record((t - sched) * 1000);
          ph.service.record((t - issuedAt) * 1000);
          sec.latency.record((t - sched) * 1000);
          const k = errorKind(err);
          ph.errorKinds.set(k, (ph.errorKinds.get(k) ?? 0) + 1);
          if (firstErrors.length < 10) firstErrors.push(`${ph.name} +${((t - t0) / 1000).toFixed(3)} s: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
    }
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);

  running = {
    phase: (name) => {
      cur = newPhase(name);
    },
    stop: async (drainMs) => {
      stopped = true;
      clearTimeout(timer);
      cur.toEpochMs = performance.timeOrigin + performance.now();
      const deadline = performance.now() + drainMs;
      while (phases.some((p) => p.outstanding > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      let unanswered = 0;
      for (const p of phases) unanswered += p.outstanding;
      c.off('refresh', onRefresh);
      if (SLOW_LOG_DIR !== undefined) {
        const t0HrUs = Number(process.hrtime.bigint() / 1000n) - (performance.now() - t0) * 1000;
        const phaseTimes = phases.map((p) => [p.name, p.fromEpochMs - originEpochMs, p.toEpochMs - originEpochMs]);
        writeFileSync(`${SLOW_LOG_DIR}/slowlog-${process.pid}.json`, JSON.stringify({ t0Epoch: originEpochMs, t0HrUs, phases: phaseTimes, slowLog }));
      }
      const ownersAtEnd = ownerAt();
      const split = (p: PhaseAcc): { slowOnMovedSlots: number; slowOnOtherSlots: number; onMovedSlots: number } => {
        const r = { slowOnMovedSlots: 0, slowOnOtherSlots: 0, onMovedSlots: 0 };
        for (let i = 0; i < SLOT_COUNT; i++) {
          if (ownersAtStart[i] !== ownersAtEnd[i]) {
            r.slowOnMovedSlots += p.slowPerSlot[i]!;
            r.onMovedSlots += p.perSlot[i]!;
          } else r.slowOnOtherSlots += p.slowPerSlot[i]!;
        }
        return r;
      };
      return {
        rate, originEpochMs, issued, unanswered, clusterEvents: { ...clusterEvents }, firstErrors,
        phases: phases.map((p) => ({
          name: p.name, fromEpochMs: p.fromEpochMs, toEpochMs: p.toEpochMs, issued: p.issued, ok: p.ok, errors: p.errors,
          misses: p.misses, unanswered: p.outstanding, latency: p.latency.toJSON(), service: p.service.toJSON(),
          sendLag: p.sendLag.toJSON(), errorKinds: Object.fromEntries(p.errorKinds),
          refreshes: p.refreshes, ...split(p),
        })),
        seconds: [...seconds.entries()].sort((a, b) => a[0] - b[0]).map(([s, a]) => ({
          s, phase: a.phase, issued: a.issued, errors: a.errors, misses: a.misses,
          p50Us: a.latency.quantile(0.5), p99Us: a.latency.quantile(0.99), maxUs: a.latency.total > 0 ? a.latency.max : NaN,
        })),
      };
    },
  };
  return originEpochMs;
}

process.on('message', (raw: unknown) => {
  const m = raw as ToReshardLoad;
  void (async () => {
    try {
      switch (m.type) {
        case 'init': {
          const { type: _t, ...rest } = m;
          await doInit(rest);
          send({ type: 'inited' });
          break;
        }
        case 'peak':
          if (cluster === null) throw new Error('peak before init');
          send({ type: 'peak-result', result: await peak(m) });
          break;
        case 'start':
          if (cluster === null) throw new Error('start before init');
          send({ type: 'started', originEpochMs: start(m.rate) });
          break;
        case 'phase':
          if (running === null) throw new Error('phase before start');
          running.phase(m.name);
          send({ type: 'phased' });
          break;
        case 'stop': {
          if (running === null) throw new Error('stop before start');
          const result = await running.stop(m.drainMs);
          running = null;
          send({ type: 'result', result });
          break;
        }
        case 'exit':
          cluster?.disconnect();
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
