// bench/latency-bench.ts — GET tail latency vs resident set size, corral vs a real redis-server
// (`npm run bench:latency`, i.e. `npm run build && node dist/bench/latency-bench.js`).
//
// The storage-engine issue's target: GET p99.9 at a steady half of peak throughput with 5M
// resident keys, divided by the same with 10K resident keys, at most 1.5 (Redis is about 1.0).
//
// Owns: for each server (corral, redis) and each resident set (default 10K and 5M keys of 16 B,
// `key:%012d`, 100 B values), one case = one fresh server process on a free port:
//   1. load keys 0..N-1 with SET in large pipelined batches of raw RESP (bench/lib/resp.ts
//      loadKeys), check DBSIZE, let it settle (--settle-ms);
//   2. peak: closed loop, --conns connections (default 50) x pipeline 1 of GETs of uniformly
//      random keys, split over --generators forked load-generator processes
//      (bench/lib/latency-worker.ts), --peak-warmup-ms then --peak-ms counted: total GETs/s;
//   3. open loop at --fraction (0.5) of that peak over the same connections: requests scheduled at
//      fixed intervals, latency from the SCHEDULED send time to the reply (no coordinated
//      omission), --open-warmup-ms unrecorded then --open-ms recorded in a log-linear histogram
//      (bench/lib/log-histogram.ts, <= 1.6% bucket width); p50 / p99 / p99.9 / max, plus the
//      generators' own send lag (actual - scheduled send) to show how much is theirs.
// Ratio per server: p99.9(largest set) / p99.9(smallest set). With --rounds > 1 the order of the
// servers flips every round and the report gives medians of the per-round figures.
// Results: stdout, bench/results/latency-<ts>.json, bench/results/latency-latest.md.
//
// The generators are separate processes (their event loop, GC and reply parsing are not the
// harness's) but they share the machine's cores with the server under test: on a 2-core machine
// one core is mostly the server's and one the generator's, so "peak" is the peak of this setup
// (for redis it may be generator-bound), and the figures include scheduling noise from sharing.
//
// Flags: --quick (10K and 100K keys, shorter phases)  --sizes 10K,5M  --servers corral,redis
//        --value-size 100  --conns 50  --generators 1  --fraction 0.5  --rounds 1
//        --peak-ms 5000  --peak-warmup-ms 1000  --open-ms 15000  --open-warmup-ms 2000
//        --pin (taskset: server on CPU 0 with all its threads, generators + harness on the rest)
//        --settle-ms 2000  --corral-heap auto|none|<MB> (node --max-old-space-size for corral; auto
//        keeps node's default limit, 4144 MB here, unless the data could not fit in it)
// Env:   CORRAL_CMD  shell command with {port}, replaces the corral command.

import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';
import { cpuMicros, freePort, onInterrupt, procStatusBytes, sleep, startServer, stopServer, type ServerProc } from './lib/procs.js';
import { describeMachine, fmt, isoStamp, machineInfo, positiveIntFlag, writeResult } from './lib/report.js';
import { RespConn, info, loadKeys } from './lib/resp.js';
import { LogHistogram } from './lib/log-histogram.js';
import type { ClosedResult, FromLatencyWorker, OpenResult, ToLatencyWorker } from './lib/latency-worker.js';
import { fmtUs, humanCount, summarize, tables, type Measurement, type Percentiles, type ServerName, type Settings } from './lib/latency-report.js';
import { NODE_V8_FLAGS } from '../src/util/node-flags.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const resultsDir = path.join(repoRoot, 'bench', 'results');
const workerJs = path.join(here, 'lib', 'latency-worker.js');

function parseCount(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`${what}: cannot read "${s}"`);
  const mult = m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1;
  return Math.round(Number(m[1]) * mult);
}

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      servers: { type: 'string' },
      'value-size': { type: 'string' },
      conns: { type: 'string' },
      generators: { type: 'string' },
      fraction: { type: 'string' },
      rounds: { type: 'string' },
      'peak-ms': { type: 'string' },
      'peak-warmup-ms': { type: 'string' },
      'open-ms': { type: 'string' },
      'open-warmup-ms': { type: 'string' },
      'settle-ms': { type: 'string' },
      'corral-heap': { type: 'string' },
      pin: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const quick = values.quick ?? false;
  const sizes = (values.sizes ?? (quick ? '10K,100K' : '10K,5M')).split(',').map((x) => parseCount(x, '--sizes'));
  const servers = (values.servers ?? 'corral,redis').split(',').map((x) => x.trim()) as ServerName[];
  for (const s of servers) if (s !== 'redis' && s !== 'corral') throw new Error(`--servers: unknown server "${s}"`);
  const fraction = values.fraction === undefined ? 0.5 : Number(values.fraction);
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`--fraction: expected 0 < f <= 1, got "${values.fraction}"`);
  const h = values['corral-heap'] ?? 'auto';
  const conns = positiveIntFlag(values.conns, '--conns', 50);
  const generators = positiveIntFlag(values.generators, '--generators', 1);
  if (generators > conns) throw new Error('--generators: more generators than connections');
  return {
    sizes: sizes.sort((a, b) => a - b),
    servers,
    valueSize: positiveIntFlag(values['value-size'], '--value-size', 100),
    conns,
    generators,
    fraction,
    rounds: positiveIntFlag(values.rounds, '--rounds', 1),
    peakMs: positiveIntFlag(values['peak-ms'], '--peak-ms', quick ? 2000 : 5000),
    peakWarmupMs: positiveIntFlag(values['peak-warmup-ms'], '--peak-warmup-ms', quick ? 500 : 1000),
    openMs: positiveIntFlag(values['open-ms'], '--open-ms', quick ? 5000 : 15000),
    openWarmupMs: positiveIntFlag(values['open-warmup-ms'], '--open-warmup-ms', quick ? 1000 : 2000),
    settleMs: values['settle-ms'] === '0' ? 0 : positiveIntFlag(values['settle-ms'], '--settle-ms', quick ? 1000 : 2000),
    corralHeap: h === 'auto' || h === 'none' ? h : positiveIntFlag(h, '--corral-heap', 0),
    quick,
    corralCmdOverride: process.env['CORRAL_CMD'] ?? null,
    pin: values.pin ?? false,
  };
}

/** A generous estimate of corral's heap need (bytes): bench/memory-bench.ts measured ~370 B/key at 100 B values. */
function corralHeapNeed(keys: number, valueSize: number): number {
  return keys * (450 + ((valueSize + 7) & ~7));
}

function corralHeapMb(keys: number, s: Settings): number | null {
  if (s.corralHeap === 'none') return null;
  if (typeof s.corralHeap === 'number') return s.corralHeap;
  const need = corralHeapNeed(keys, s.valueSize);
  if (need * 1.25 < getHeapStatistics().heap_size_limit) return null;
  return Math.ceil((need * 2) / 2 ** 20 / 1024) * 1024;
}

// ---- generator processes --------------------------------------------------------------------

class Generator {
  private waiters: ((m: FromLatencyWorker) => void)[] = [];
  private failure: string | null = null;
  readonly child: ChildProcess;

  constructor() {
    this.child = fork(workerJs, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (raw) => {
      const m = raw as FromLatencyWorker;
      if (m.type === 'error') {
        this.failure = m.message;
        for (const w of this.waiters.splice(0)) w(m);
        return;
      }
      this.waiters.shift()?.(m);
    });
    this.child.on('exit', (code, sig) => {
      this.failure ??= `generator exited (${code ?? sig})`;
      for (const w of this.waiters.splice(0)) w({ type: 'error', message: this.failure });
    });
  }

  ask(msg: ToLatencyWorker): Promise<FromLatencyWorker> {
    if (this.failure !== null) return Promise.reject(new Error(this.failure));
    return new Promise((resolve, reject) => {
      this.waiters.push((m) => (m.type === 'error' ? reject(new Error(`generator: ${m.message}`)) : resolve(m)));
      this.child.send(msg);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    try {
      this.child.send({ type: 'exit' } satisfies ToLatencyWorker);
    } catch {
      /* channel closed */
    }
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(t);
  }
}

/** CPUs 1..n-1 as a taskset list ("1" on 2 cores). */
function otherCpus(): string {
  const n = os.cpus().length;
  return n <= 2 ? '1' : `1-${n - 1}`;
}

function pinTo(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** Splits n into k near-equal positive parts. */
function split(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

// ---- one case -------------------------------------------------------------------------------

function percentiles(h: LogHistogram): Percentiles {
  return {
    p50: h.quantile(0.5), p90: h.quantile(0.9), p99: h.quantile(0.99), p999: h.quantile(0.999),
    p9999: h.quantile(0.9999), max: h.max, mean: h.mean(),
  };
}

async function measureOne(
  s: Settings,
  server: ServerName,
  keys: number,
  round: number,
  order: number,
  track: (p: ServerProc | null, g: Generator[]) => void,
): Promise<Measurement> {
  const heapMb = server === 'corral' && s.corralCmdOverride === null ? corralHeapMb(keys, s) : null;
  const rec: Measurement = {
    round, order, server, keys, ok: false, corralHeapMb: heapMb, loadMs: NaN, dbsize: NaN, rssMb: NaN, peak: null, open: null,
  };
  const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const cmd: string | string[] =
    server === 'redis'
      ? ['redis-server', '--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
      : s.corralCmdOverride ??
        [process.execPath, ...NODE_V8_FLAGS, ...(heapMb !== null ? [`--max-old-space-size=${heapMb}`] : []), corralMain, 'server', '--port', '{port}'];
  const cmdPinned: string | string[] = !s.pin ? cmd : typeof cmd === 'string' ? `taskset -c 0 ${cmd}` : ['taskset', '-c', '0', ...cmd];
  const port = await freePort();
  let proc: ServerProc | null = null;
  let conn: RespConn | null = null;
  const gens: Generator[] = [];
  const tag = `[round ${round}] ${server.padEnd(6)} ${humanCount(keys).padStart(4)}`;
  try {
    proc = await startServer(cmdPinned, { name: server, port, cwd: repoRoot, onSpawn: (p) => track(p, gens) });
    conn = await RespConn.connect(port);
    await conn.ok('PING');
    let lastPct = -1;
    const load = await loadKeys({
      port, keys, valueSize: s.valueSize,
      progress: (n) => {
        const pct = Math.floor((n * 5) / keys);
        if (keys >= 2_000_000 && pct !== lastPct) {
          lastPct = pct;
          process.stdout.write(`${tag}: ${pct * 20}% loaded, RSS ${fmt(procStatusBytes(proc!.pid, 'VmRSS') / 2 ** 20)} MB\n`);
        }
      },
    });
    rec.loadMs = Math.round(load.ms);
    if (load.errors > 0) throw new Error(`${load.errors} SETs failed during the load (first: ${load.firstError})`);
    rec.dbsize = Number(await conn.ok('DBSIZE'));
    if (rec.dbsize !== keys) throw new Error(`DBSIZE ${rec.dbsize} after loading ${keys} keys`);
    await sleep(s.settleMs);
    rec.rssMb = procStatusBytes(proc.pid, 'VmRSS') / 2 ** 20;

    for (let g = 0; g < s.generators; g++) gens.push(new Generator());
    if (s.pin) for (const g of gens) pinTo(g.child.pid!, otherCpus());
    track(proc, gens);
    const connsPer = split(s.conns, s.generators);
    await Promise.all(gens.map((g, i) => g.ask({ type: 'connect', port, conns: connsPer[i]!, seed: 0x1234567 * (i + 1) + round })));

    // peak: closed loop
    const startAt = Date.now() + 200;
    const closed = (await Promise.all(gens.map((g) =>
      g.ask({ type: 'closed', keys, warmupMs: s.peakWarmupMs, ms: s.peakMs, startAt })))) as { type: 'closed-result'; result: ClosedResult }[];
    const peakOps = closed.reduce((a, r) => a + r.result.ops / r.result.seconds, 0);
    rec.peak = {
      opsPerSec: peakOps,
      errors: closed.reduce((a, r) => a + r.result.errors, 0),
      misses: closed.reduce((a, r) => a + r.result.misses, 0),
    };
    console.log(`${tag}: loaded in ${fmt(load.ms / 1000, 1)} s, RSS ${fmt(rec.rssMb)} MB, peak ${fmt(peakOps)} GET/s (closed loop, ${s.conns} conns x pipeline 1)`);
    if (rec.peak.errors > 0) throw new Error(`${rec.peak.errors} GET errors during the peak phase`);
    await sleep(500);

    // open loop at a fraction of the peak
    const targetRate = peakOps * s.fraction;
    const rates = split(s.conns, s.generators).map((c) => (targetRate * c) / s.conns);
    const drainMs = 5000;
    const openAt = Date.now() + 200;
    const cpu0 = cpuMicros(proc.pid);
    const t0 = performance.now();
    const opens = (await Promise.all(gens.map((g, i) =>
      g.ask({ type: 'open', keys, rate: rates[i]!, warmupMs: s.openWarmupMs, ms: s.openMs, startAt: openAt, drainMs })))) as { type: 'open-result'; result: OpenResult }[];
    const serverCpu = (cpuMicros(proc.pid) - cpu0) / 1000 / (performance.now() - t0);
    const lat = new LogHistogram();
    const lag = new LogHistogram();
    for (const o of opens) {
      lat.merge(LogHistogram.fromJSON(o.result.latency));
      lag.merge(LogHistogram.fromJSON(o.result.sendLag));
    }
    const sum = (f: (r: OpenResult) => number): number => opens.reduce((a, o) => a + f(o.result), 0);
    rec.open = {
      targetRate,
      achievedRate: sum((r) => r.achievedRate),
      measured: sum((r) => r.measured),
      unanswered: sum((r) => r.unanswered),
      errors: sum((r) => r.errors),
      misses: sum((r) => r.misses),
      maxOutstandingPerConn: Math.max(...opens.map((o) => o.result.maxOutstandingPerConn)),
      serverCpu,
      latencyUs: percentiles(lat),
      sendLagUs: percentiles(lag),
      latencyHist: lat.toJSON(),
    };
    const L = rec.open.latencyUs;
    console.log(`${tag}: open loop ${fmt(targetRate)} GET/s (achieved ${fmt(rec.open.achievedRate)}), ` +
      `p50 ${fmtUs(L.p50)} p99 ${fmtUs(L.p99)} p99.9 ${fmtUs(L.p999)} max ${fmtUs(L.max)}; ` +
      `send lag p99.9 ${fmtUs(rec.open.sendLagUs.p999)}; server CPU ${fmt(serverCpu * 100)}% of a core` +
      (rec.open.unanswered > 0 ? `; ${rec.open.unanswered} unanswered` : ''));
    if (rec.open.errors > 0) throw new Error(`${rec.open.errors} GET errors during the open-loop phase`);
    if (server === 'corral') {
      const inf = await info(conn, 'memory');
      if (inf['node_heap_used'] !== undefined) console.log(`${tag}: corral node_heap_used ${fmt(Number(inf['node_heap_used']) / 2 ** 20)} MB`);
    }
    rec.ok = true;
  } catch (err) {
    rec.error = (err as Error).message;
  } finally {
    conn?.close();
    await Promise.all(gens.map((g) => g.stop()));
    if (proc !== null) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        rec.error = (rec.error ?? '') + ` [server exited: ${proc.child.exitCode ?? proc.child.signalCode}] ${proc.tail().slice(-800)}`;
        rec.ok = false;
      }
      await stopServer(proc);
    }
    track(null, []);
  }
  return rec;
}

async function main(): Promise<void> {
  const s = parseSettings();
  const machine = machineInfo(repoRoot);
  console.log(describeMachine(machine));
  const heapLimitMb = getHeapStatistics().heap_size_limit / 2 ** 20;
  console.log(`sizes ${s.sizes.map(humanCount).join(', ')} x ${s.valueSize} B values; servers ${s.servers.join(',')}; rounds ${s.rounds}; ` +
    `${s.conns} conns over ${s.generators} generator process(es); peak ${s.peakWarmupMs}+${s.peakMs} ms closed loop; ` +
    `open loop at ${s.fraction * 100}% of peak, ${s.openWarmupMs}+${s.openMs} ms; node default heap limit ${fmt(heapLimitMb)} MB ` +
    `(corral at ${humanCount(s.sizes[s.sizes.length - 1]!)} keys needs ~${fmt(corralHeapNeed(s.sizes[s.sizes.length - 1]!, s.valueSize) / 2 ** 20)} MB by the memory bench's estimate)`);
  let current: ServerProc | null = null;
  let currentGens: Generator[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(currentGens.map((g) => g.stop()));
    if (current !== null) await stopServer(current);
  };
  const removeHandlers = onInterrupt(stopAll);
  if (s.pin) pinTo(process.pid, otherCpus());
  const started = new Date();
  const all: Measurement[] = [];
  try {
    for (let round = 1; round <= s.rounds; round++) {
      const order = round % 2 === 1 ? s.servers : [...s.servers].reverse();
      for (const server of order) {
        for (const keys of s.sizes) {
          const rec = await measureOne(s, server, keys, round, all.length + 1, (p, g) => {
            current = p;
            currentGens = g;
          });
          all.push(rec);
          if (!rec.ok) console.log(`[round ${round}] ${server} ${humanCount(keys)} FAILED ${rec.error}`);
        }
      }
    }
  } finally {
    await stopAll();
    removeHandlers();
  }

  const sum = summarize(all, s);
  const t = tables(sum, s);
  console.log('\n' + t.main + '\n\n' + t.ratio);
  const stamp = isoStamp(started);
  const json = JSON.stringify(
    { kind: 'latency-bench', started: started.toISOString(), machine, settings: s, nodeDefaultHeapLimit: getHeapStatistics().heap_size_limit, summary: sum, runs: all },
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  const jsonFile = writeResult(resultsDir, `latency-${stamp}.json`, json + '\n');
  const raised = all.filter((m) => m.corralHeapMb !== null);
  const mdText = [
    `# GET tail latency vs resident set: corral vs redis-server — ${started.toISOString()}`, '',
    describeMachine(machine).split('\n').map((l) => `- ${l}`).join('\n'),
    `- resident sets: ${s.sizes.map(humanCount).join(', ')} keys (16 B \`key:%012d\`, ${s.valueSize} B values)${s.quick ? ' (quick)' : ''}; ` +
      `${s.rounds} round(s)${s.rounds > 1 ? ', server order flipped each round, medians' : ''}; one fresh server process per case`,
    '- servers: redis-server `--save "" --appendonly no`; corral `server` with defaults' +
      (s.corralCmdOverride !== null ? ` (overridden: \`${s.corralCmdOverride}\`)` : '') +
      (raised.length > 0 ? `; corral heap raised: ${raised.map((m) => `${humanCount(m.keys)} --max-old-space-size=${m.corralHeapMb}`).join(', ')}` :
        `; corral on node's default heap limit (${fmt(heapLimitMb)} MB)`),
    (s.pin ? `- --pin: server pinned to CPU 0 (all its threads, V8 GC helpers included), generators and harness to CPU ${otherCpus()} (taskset)\n` : '') +
    `- load: SET pipelined in ~1 MB raw-RESP batches; settle ${s.settleMs} ms`,
    `- peak: closed loop, ${s.conns} connections x pipeline 1, uniformly random GETs, ${s.peakWarmupMs} ms warm-up + ${s.peakMs} ms counted`,
    `- latency: open loop at ${s.fraction * 100}% of that case's peak, requests scheduled at fixed intervals round-robin over the ` +
      `${s.conns} connections (pipelined when replies lag), latency = reply time - SCHEDULED send time (no coordinated omission); ` +
      `${s.openWarmupMs} ms unrecorded, then ${s.openMs} ms into a log-linear histogram (<= 1.6% bucket width, upper bucket edges reported)`,
    `- generators: ${s.generators} forked Node process(es) (bench/lib/latency-worker.ts), raw RESP, spinning between sends; they SHARE ` +
      `the machine's ${machine.cores} cores with the server, so peak is this setup's peak (for redis likely generator-bound) and ` +
      `the latencies include the generator's own delays: "gen send lag" is actual minus scheduled send time`,
    '', t.main, '', t.ratio, '',
    all.some((m) => !m.ok) ? 'Failures:\n\n' + all.filter((m) => !m.ok).map((m) => `- ${m.server} ${humanCount(m.keys)}: ${m.error}`).join('\n') + '\n' : '',
    `Raw runs (with full latency histograms): bench/results/${path.basename(jsonFile)}`, '',
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '').join('\n');
  writeResult(resultsDir, 'latency-latest.md', mdText);
  console.log(`\nwrote ${path.relative(repoRoot, jsonFile)} and bench/results/latency-latest.md`);
  if (all.some((m) => !m.ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
