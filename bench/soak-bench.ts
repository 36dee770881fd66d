// bench/soak-bench.ts — the soak benchmark (`npm run bench:soak`, issue 15): one server under an
// hour of paced, mixed load with churn under maxmemory; RSS and p99 must stay flat (within 5%)
// from the tenth minute on.
//
// Owns: starting one server (a corral node with --maxmemory and its default eviction policy, or
// with --server redis a redis-server with the same maxmemory and allkeys-lru, persistence off);
// forking two load processes (bench/lib/soak-worker.ts, so the generators' event loops and GC
// are not the sampler's); a subscriber connection on the pub/sub channel the load
// publishes to; sampling every 10 s (VmRSS from /proc/<pid>/status, INFO used_memory,
// evicted_keys, expired_keys, connected_clients); the per-minute table, the flatness verdict,
// bench/results/soak-<server>-<time>.json and the markdown printed on stdout.
//
// The load (per worker, half of --rate): an open loop. Groups of 1-4 commands (a small pipeline,
// one write) are SCHEDULED at fixed intervals and sent on the first ~1 ms timer tick at or after
// their time, whether or not earlier replies are back, round-robin over the worker's connections.
// A command's latency is reply time minus its actual send time, so a server stall counts against
// every command sent during it; the generator's own delay (send time minus scheduled time) is
// recorded apart as the send lag. Pacing (rather than a closed loop at full speed) keeps the
// 2-core machine from saturating, so p99 measures the server's latency, not a queue.
// Mix (%): GET 59, SET 17.5, SET EX 7.5 (10-120 s), DEL 3, HSET 2, HGETALL 1.5, LPUSH 1, LTRIM 0.5,
// LRANGE 1, SADD 1.5, SMEMBERS 1, ZADD 1.5, ZRANGE 1, INCR 1.5, PUBLISH 0.5. String values are
// 64 B-8 KB (log-uniform) and start with "<id>:<length>:", so every GET hit is checked for its key
// and length; every other reply is checked for its type and bounds. A wrong reply, an error reply,
// a lost connection's outstanding commands and replies still missing 10 s after the last send are
// all counted as errors. The string keyspace holds 4x what maxmemory could at zero overhead, so
// eviction runs all the time. A few connections a minute (--conn-churn) are retired (no new
// commands; closed once their replies are in) and replaced by new ones.
//
// Minutes are counted from the load's start by reply time. Flatness: minutes 10..end in 5-minute
// windows (a short remainder joins the last one); per window the mean of the RSS samples and the
// p99 of the merged latency histograms; the largest deviation from the median window in % must be
// <= 5 (PASS), else FAIL. Runs shorter than 15 minutes use 1-minute windows from minute 1, so the
// code runs in a short check (their verdict includes the fill-up and means little).
//
//   npm run build && node dist/bench/soak-bench.js [--minutes 60] [--server corral|redis]
//     [--maxmemory 256mb] [--rate 20000] [--conns 16] [--conn-churn 4] [--out <file.json>]
// Env: CORRAL_CMD  shell command with {port} replacing the corral command (maxmemory flag appended).

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { parseMemorySize } from './lib/churn.js';
import { LogHistogram } from './lib/log-histogram.js';
import { cpuMicros, freePort, machineBusyMicros, onInterrupt, procStatusBytes, sleep, startServer, stopChildren, stopServer, type ServerProc } from './lib/procs.js';
import { describeMachine, fmt, isoStamp, machineInfo, markdownTable, median, positiveIntFlag, writeResult } from './lib/report.js';
import { RespConn, parseInfo } from './lib/resp.js';
import { subscribe, type Subscribers } from './lib/subscribers.js';
import { SOAK_CHANNEL, SOAK_MESSAGE, type FromSoakWorker, type MinuteReport, type SoakWorkerDone, type SoakWorkerStart } from './lib/soak-worker.js';
import { NODE_V8_FLAGS } from '../src/util/node-flags.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORKER_JS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'soak-worker.js');
const WORKERS = 2;
const SAMPLE_MS = 10_000;
const MB = 2 ** 20;
const LIMIT_PCT = 5;

interface Settings {
  minutes: number;
  server: 'corral' | 'redis';
  maxmemorySpec: string;
  maxmemory: number;
  rate: number;
  conns: number;
  connChurnPerMinute: number;
  out: string | null;
}

interface Sample {
  /** Seconds since the load started (0 = baseline, just before). */
  t: number;
  rss: number;
  usedMemory: number;
  evicted: number;
  expired: number;
  clients: number;
  /** The server's CPU time and the whole machine's busy CPU time so far, µs. */
  cpuUs: number;
  machineBusyUs: number;
}

interface MinuteRow {
  minute: number;
  ops: number;
  opsPerSec: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  sendLagP99Ms: number;
  rssMb: number;
  usedMemoryMb: number;
  evicted: number;
  expired: number;
  clients: number;
  /** The server's CPU use over the minute, % of one core; the machine's busy CPU, % of all cores. */
  serverCpuPct: number;
  machineBusyPct: number;
}

interface Window {
  from: number;
  to: number;
  rssMb: number;
  p99Ms: number;
}

interface Verdict {
  metric: string;
  min: number;
  max: number;
  median: number;
  maxDeviationPct: number;
  pass: boolean | null;
}

function parseSettings(): Settings {
  const o = new Command()
    .option('--minutes <n>', 'minutes of load', '60')
    .option('--server <name>', 'corral or redis', 'corral')
    .option('--maxmemory <size>', 'maxmemory of the server (Redis units: 256mb)', '256mb')
    .option('--rate <n>', 'total commands per second (paced)', '20000')
    .option('--conns <n>', 'load connections in all', '16')
    .option('--conn-churn <n>', 'load connections closed and reopened per minute, in all', '4')
    .option('--out <file>', 'results JSON (default bench/results/soak-<server>-<time>.json)')
    .parse()
    .opts<{ minutes: string; server: string; maxmemory: string; rate: string; conns: string; connChurn: string; out?: string }>();
  if (o.server !== 'corral' && o.server !== 'redis') throw new Error(`--server: expected corral or redis, got "${o.server}"`);
  const conns = positiveIntFlag(o.conns, '--conns', 16);
  if (conns < WORKERS) throw new Error(`--conns: at least ${WORKERS}`);
  const connChurnPerMinute = Number(o.connChurn);
  if (!(connChurnPerMinute >= 0)) throw new Error(`--conn-churn: expected a number >= 0, got "${o.connChurn}"`);
  return {
    minutes: positiveIntFlag(o.minutes, '--minutes', 60), server: o.server, maxmemorySpec: o.maxmemory,
    maxmemory: parseMemorySize(o.maxmemory, '--maxmemory'), rate: positiveIntFlag(o.rate, '--rate', 20000),
    conns, connChurnPerMinute, out: o.out ?? null,
  };
}

async function sampleServer(pid: number, mon: RespConn, t: number): Promise<Sample> {
  const rss = procStatusBytes(pid, 'VmRSS');
  let cpuUs = NaN;
  try {
    cpuUs = cpuMicros(pid);
  } catch {
    /* exited */
  }
  const machineBusyUs = machineBusyMicros();
  try {
    const inf = parseInfo(await mon.ok('INFO', 'clients', 'memory', 'stats'));
    const n = (k: string): number => (inf[k] === undefined ? NaN : Number(inf[k]));
    return { t, rss, usedMemory: n('used_memory'), evicted: n('evicted_keys'), expired: n('expired_keys'), clients: n('connected_clients'), cpuUs, machineBusyUs };
  } catch {
    return { t, rss, usedMemory: NaN, evicted: NaN, expired: NaN, clients: NaN, cpuUs, machineBusyUs };
  }
}

function serverCommand(s: Settings): string | string[] {
  if (s.server === 'redis') {
    return ['redis-server', '--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--maxmemory', String(s.maxmemory), '--maxmemory-policy', 'allkeys-lru'];
  }
  const override = process.env['CORRAL_CMD'];
  if (override !== undefined && override !== '') return `${override} --maxmemory ${s.maxmemory}`;
  return [process.execPath, ...NODE_V8_FLAGS, path.join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'server', '--port', '{port}', '--maxmemory', String(s.maxmemory)];
}

/** Mean value size of log-uniform 64..8192 bytes: (max - min) / ln(max / min). */
const MEAN_STRING_VALUE = (8192 - 64) / Math.log(8192 / 64);

const ms = (us: number): number => us / 1000;

function verdictOf(metric: string, values: number[]): Verdict {
  const med = median(values);
  const maxDev = values.length === 0 ? NaN : Math.max(...values.map((v) => (Math.abs(v - med) / med) * 100));
  return {
    metric, min: Math.min(...values), max: Math.max(...values), median: med, maxDeviationPct: maxDev,
    pass: values.length < 2 || !Number.isFinite(maxDev) ? null : maxDev <= LIMIT_PCT,
  };
}

/** Windows over minutes 10..n of 5 minutes (1-minute windows from minute 1 under 15 minutes). */
function windowsOf(n: number): Array<[number, number]> {
  const [start, size] = n < 15 ? [1, 1] : [10, 5];
  const out: Array<[number, number]> = [];
  for (let from = start; from <= n; from += size) out.push([from, Math.min(n, from + size - 1)]);
  const last = out[out.length - 1];
  if (out.length > 1 && last !== undefined && last[1] - last[0] + 1 < Math.ceil(size / 2)) {
    out.pop();
    out[out.length - 1]![1] = last[1];
  }
  return out;
}

async function main(): Promise<void> {
  const s = parseSettings();
  const machine = machineInfo(ROOT);
  const stringKeys = Math.ceil((4 * s.maxmemory) / (16 + MEAN_STRING_VALUE));
  const keyspaces = { strings: stringKeys, hashes: 50_000, lists: 20_000, sets: 20_000, zsets: 20_000, counters: 20_000 };
  let proc: ServerProc | null = null;
  const workers: ChildProcess[] = [];
  const cleanup = async (): Promise<void> => {
    await stopChildren(workers, 2000);
    if (proc !== null) await stopServer(proc);
  };
  const offInterrupt = onInterrupt(cleanup);
  let subs: Subscribers | null = null;
  let stopSampling = false;
  let mon: RespConn | null = null;
  try {
    const port = await freePort();
    proc = await startServer(serverCommand(s), { name: s.server, port, cwd: ROOT, onSpawn: (p) => (proc = p) });
    const pid = proc.pid;
    mon = await RespConn.connect(port);
    const cfg = async (name: string): Promise<string> => {
      const r = await mon!.ok('CONFIG', 'GET', name);
      return Array.isArray(r) && typeof r[1] === 'string' ? r[1] : '';
    };
    const config = { maxmemory: Number(await cfg('maxmemory')), policy: await cfg('maxmemory-policy') };
    if (config.maxmemory !== s.maxmemory) throw new Error(`server reports maxmemory ${config.maxmemory}, expected ${s.maxmemory}`);
    subs = await subscribe(port, SOAK_CHANNEL, 1);
    const messageBytes = Buffer.byteLength(`*3\r\n$7\r\nmessage\r\n$${SOAK_CHANNEL.length}\r\n${SOAK_CHANNEL}\r\n$${SOAK_MESSAGE.length}\r\n${SOAK_MESSAGE}\r\n`);
    console.error(`soak: ${s.server} on port ${port} (pid ${pid}), maxmemory ${s.maxmemorySpec} (${config.policy}), ${s.rate} ops/s for ${s.minutes} min, string keyspace ${stringKeys}`);

    // Workers: fork, connect, then start together at a shared wall-clock time.
    const minuteParts = new Map<number, MinuteReport[]>();
    const dones: SoakWorkerDone[] = [];
    let failure: string | null = null;
    let onMinute: (m: number) => void = () => {};
    const allDone = new Promise<void>((resolve, reject) => {
      for (let w = 0; w < WORKERS; w++) {
        const child = fork(WORKER_JS, ['--soak-worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        workers.push(child);
        child.on('message', (raw: unknown) => {
          const m = raw as FromSoakWorker;
          if (m.type === 'minute') {
            const parts = minuteParts.get(m.minute) ?? [];
            parts.push(m);
            minuteParts.set(m.minute, parts);
            if (parts.length === WORKERS) onMinute(m.minute);
          } else if (m.type === 'done') {
            dones.push(m);
            if (dones.length === WORKERS) resolve();
          } else if (m.type === 'error') {
            failure = m.message;
            reject(new Error(`load worker ${w}: ${m.message}`));
          }
        });
        child.on('exit', (code) => {
          if (dones.length < WORKERS && failure === null) reject(new Error(`load worker ${w} exited (${code}) before finishing`));
        });
      }
    });
    allDone.catch(() => {});
    const ready = workers.map((c) => new Promise<void>((resolve) => c.once('message', () => resolve())));
    const perWorkerConns = Math.floor(s.conns / WORKERS);
    workers.forEach((c, w) => c.send({ type: 'connect', port, conns: perWorkerConns + (w < s.conns % WORKERS ? 1 : 0) }));
    await Promise.race([Promise.all(ready), allDone]);

    const baseline = await sampleServer(pid, mon, 0);
    const samples: Sample[] = [];
    const startAt = Date.now() + 1000;
    const start: Omit<SoakWorkerStart, 'seed'> = {
      type: 'start', startAt, minutes: s.minutes, rate: s.rate / WORKERS, keyspaces,
      churnEveryMs: s.connChurnPerMinute > 0 ? (60_000 * WORKERS) / s.connChurnPerMinute : 0,
    };
    workers.forEach((c, w) => c.send({ ...start, seed: 1000 + w }));

    // Samples at startAt + 10 s, 20 s, ... (the sample at a minute's end belongs to that minute).
    const sampler = (async () => {
      for (let k = 1; !stopSampling && k <= s.minutes * 6; k++) {
        const wait = startAt + k * SAMPLE_MS - Date.now();
        if (wait > 0) await sleep(wait);
        if (stopSampling) break;
        samples.push(await sampleServer(pid, mon!, k * (SAMPLE_MS / 1000)));
      }
    })();
    onMinute = (m) => {
      const parts = minuteParts.get(m)!;
      const h = new LogHistogram();
      for (const p of parts) h.merge(LogHistogram.fromJSON(p.latency));
      const last = samples[samples.length - 1];
      console.error(
        `minute ${m + 1}/${s.minutes}: ${fmt(parts.reduce((a, p) => a + p.ops, 0) / 60)} ops/s, p99 ${fmt(ms(h.quantile(0.99)), 2)} ms, ` +
          `errors ${parts.reduce((a, p) => a + p.errors, 0)}, RSS ${fmt((last?.rss ?? NaN) / MB)} MB, used_memory ${fmt((last?.usedMemory ?? NaN) / MB)} MB`,
      );
    };
    await allDone;
    stopSampling = true;
    await sampler;
    await sleep(500); // let the last published messages reach the subscriber
    const messagesReceived = subs.bytes() / messageBytes;
    const final = await sampleServer(pid, mon, NaN);
    mon.close();
    subs.close();
    workers.forEach((c) => c.send({ type: 'exit' }));
    await stopChildren(workers, 2000);
    await stopServer(proc);
    proc = null;

    // ---- per-minute rows ----------------------------------------------------------------------
    const cores = machine.cores;
    const hists: LogHistogram[] = [];
    const rows: MinuteRow[] = [];
    for (let m = 0; m < s.minutes; m++) {
      const parts = minuteParts.get(m) ?? [];
      const h = new LogHistogram();
      const lag = new LogHistogram();
      for (const p of parts) {
        h.merge(LogHistogram.fromJSON(p.latency));
        lag.merge(LogHistogram.fromJSON(p.lag));
      }
      hists.push(h);
      const inMinute = samples.filter((x) => x.t > m * 60 && x.t <= (m + 1) * 60);
      const end = inMinute[inMinute.length - 1];
      const prevEnd = m === 0 ? baseline : samples.filter((x) => x.t <= m * 60).pop();
      const ops = parts.reduce((a, p) => a + p.ops, 0);
      rows.push({
        minute: m + 1, ops, opsPerSec: ops / 60, errors: parts.reduce((a, p) => a + p.errors, 0),
        p50Ms: ms(h.quantile(0.5)), p99Ms: ms(h.quantile(0.99)), p999Ms: ms(h.quantile(0.999)), maxMs: ms(h.total > 0 ? h.max : NaN),
        sendLagP99Ms: ms(lag.quantile(0.99)),
        rssMb: inMinute.reduce((a, x) => a + x.rss, 0) / inMinute.length / MB,
        usedMemoryMb: inMinute.reduce((a, x) => a + x.usedMemory, 0) / inMinute.length / MB,
        evicted: (end?.evicted ?? NaN) - (prevEnd?.evicted ?? NaN),
        expired: (end?.expired ?? NaN) - (prevEnd?.expired ?? NaN),
        clients: end?.clients ?? NaN,
        serverCpuPct: ((end?.cpuUs ?? NaN) - (prevEnd?.cpuUs ?? NaN)) / ((end?.t ?? NaN) - (prevEnd?.t ?? NaN)) / 1e4,
        machineBusyPct: ((end?.machineBusyUs ?? NaN) - (prevEnd?.machineBusyUs ?? NaN)) / ((end?.t ?? NaN) - (prevEnd?.t ?? NaN)) / 1e4 / cores,
      });
    }

    // ---- flatness -----------------------------------------------------------------------------
    const windows: Window[] = windowsOf(s.minutes).map(([from, to]) => {
      const h = new LogHistogram();
      for (let m = from; m <= to; m++) h.merge(hists[m - 1]!);
      const rs = samples.filter((x) => x.t > (from - 1) * 60 && x.t <= to * 60).map((x) => x.rss);
      return { from, to, rssMb: rs.reduce((a, x) => a + x, 0) / rs.length / MB, p99Ms: ms(h.quantile(0.99)) };
    });
    const verdicts = [verdictOf('RSS (window mean)', windows.map((w) => w.rssMb)), verdictOf('p99 (window p99)', windows.map((w) => w.p99Ms))];

    // ---- totals -------------------------------------------------------------------------------
    const perCmd = new Map<string, { ops: number; errors: number; nil: number; hist: LogHistogram }>();
    for (const d of dones) {
      for (const [name, c] of Object.entries(d.perCmd)) {
        const t = perCmd.get(name) ?? { ops: 0, errors: 0, nil: 0, hist: new LogHistogram() };
        t.ops += c.ops;
        t.errors += c.errors;
        t.nil += c.nil;
        t.hist.merge(LogHistogram.fromJSON(c.latency));
        perCmd.set(name, t);
      }
    }
    const published = dones.reduce((a, d) => a + d.publishedTo1, 0);
    const errorsTotal = rows.reduce((a, r) => a + r.errors, 0);
    const pubsubLost = Math.max(0, published - messagesReceived);
    const errorSamples = dones.flatMap((d) => d.errorSamples).slice(0, 10);

    // ---- report -------------------------------------------------------------------------------
    const f2 = (x: number): string => fmt(x, 2);
    const f1 = (x: number): string => fmt(x, 1);
    const minuteTable = markdownTable(
      ['minute', 'ops/s', 'p50 ms', 'p99 ms', 'p999 ms', 'max ms', 'errors', 'RSS MB', 'used_memory MB', 'evicted', 'expired', 'clients', 'send lag p99 ms', 'server CPU %', 'machine busy %'],
      rows.map((r) => [String(r.minute), fmt(r.opsPerSec), f2(r.p50Ms), f2(r.p99Ms), f2(r.p999Ms), f2(r.maxMs), String(r.errors), f1(r.rssMb),
        f1(r.usedMemoryMb), fmt(r.evicted), fmt(r.expired), fmt(r.clients), f2(r.sendLagP99Ms), fmt(r.serverCpuPct), fmt(r.machineBusyPct)]),
    );
    const windowTable = markdownTable(['window (minutes)', 'RSS mean MB', 'p99 ms'], windows.map((w) => [w.from === w.to ? String(w.from) : `${w.from}-${w.to}`, f1(w.rssMb), f2(w.p99Ms)]));
    const verdictLines = verdicts.map((v) => {
      const unit = v.metric.startsWith('RSS') ? ' MB' : ' ms';
      const word = v.pass === null ? 'n/a (fewer than 2 windows)' : v.pass ? 'PASS' : 'FAIL';
      return `- ${v.metric}: min ${f2(v.min)}${unit}, max ${f2(v.max)}${unit} (max/min ${f2(v.max / v.min)}), median window ${f2(v.median)}${unit}, ` +
        `largest deviation from the median ${f1(v.maxDeviationPct)}% -> **${word}** (limit ${LIMIT_PCT}%)`;
    });
    const cmdTable = markdownTable(['command', 'ops', 'errors', 'nil', 'p50 ms', 'p99 ms', 'max ms'],
      [...perCmd.entries()].map(([name, c]) => [name, fmt(c.ops), String(c.errors), fmt(c.nil), f2(ms(c.hist.quantile(0.5))), f2(ms(c.hist.quantile(0.99))), f2(ms(c.hist.max))]));
    const short = s.minutes < 15;
    const md = [
      `## Soak: ${s.server}, ${s.minutes} min, ${fmt(s.rate)} ops/s paced, maxmemory ${s.maxmemorySpec} (${config.policy})`,
      '',
      describeMachine(machine),
      `load: ${WORKERS} worker processes, ${s.conns} connections (${s.connChurnPerMinute}/min churned: ${dones.reduce((a, d) => a + d.connsChurned, 0)} in all), pipelines of 1-4; ` +
        `keyspaces ${Object.entries(keyspaces).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`,
      `baseline before the load: RSS ${f1(baseline.rss / MB)} MB, used_memory ${f1(baseline.usedMemory / MB)} MB; at the end: RSS ${f1(final.rss / MB)} MB, ` +
        `used_memory ${f1(final.usedMemory / MB)} MB, evicted_keys ${fmt(final.evicted)}, expired_keys ${fmt(final.expired)}`,
      '',
      minuteTable,
      '',
      '(ops/s, latency and errors by reply time within the minute; RSS / used_memory: mean of the 10 s samples; evicted / expired: during the minute; ' +
        'send lag: the generator\'s delay past the schedule, not in the latency; server CPU: % of one core; machine busy: % of all ' +
        `${cores} cores, every process on the machine, other tenants included)`,
      '',
      `### Flatness ${short ? '(short run: 1-minute windows from minute 1, fill-up included)' : 'from minute 10, 5-minute windows'}`,
      '',
      windowTable,
      '',
      ...verdictLines,
      '',
      '### Commands and errors',
      '',
      cmdTable,
      '',
      `errors: ${errorsTotal} (wrong or error replies, lost or unanswered commands)` + (errorSamples.length > 0 ? `; first: ${errorSamples.join(' | ')}` : ''),
      `pub/sub: ${fmt(published)} PUBLISH replies counted 1 receiver, the subscriber got ${fmt(messagesReceived)} messages` + (pubsubLost > 0 ? ` (${fmt(pubsubLost)} MISSING)` : ''),
    ].join('\n');
    console.log(md);
    const file = s.out ?? path.join(ROOT, 'bench', 'results', `soak-${s.server}-${isoStamp()}.json`);
    const json = {
      settings: s, machine, config, keyspaces, baseline, final, samples, minutes: rows, windows, verdicts,
      perCommand: Object.fromEntries([...perCmd.entries()].map(([k, c]) => [k, { ops: c.ops, errors: c.errors, nil: c.nil, p50Ms: ms(c.hist.quantile(0.5)), p99Ms: ms(c.hist.quantile(0.99)), maxMs: ms(c.hist.max) }])),
      errors: errorsTotal, errorSamples, published, messagesReceived,
      connsChurned: dones.reduce((a, d) => a + d.connsChurned, 0),
    };
    const written = writeResult(path.dirname(file), path.basename(file), JSON.stringify(json, null, 2) + '\n');
    console.log(`\nresults: ${path.relative(ROOT, written)}`);
  } finally {
    stopSampling = true;
    subs?.close();
    mon?.close();
    await cleanup();
    offInterrupt();
  }
}

await main();
