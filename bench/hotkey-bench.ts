// bench/hotkey-bench.ts — the flash sale's hot key with and without the near-cache
// (`npm run bench:hotkey`, issue 13), against a local 3-shard corral cluster it starts and stops.
//
// 4 reader processes (bench/lib/hotkey-worker.ts) each keep `--concurrency` reads of one key
// outstanding for `--seconds`, in three modes, alternating over `--rounds` rounds:
//   plain       corral's client, no near-cache: every read goes to the key's shard;
//   near        corral's client with its near-cache (default keys: 'hot');
//   node-redis  node-redis's cluster client with its client-side cache (RESP3 tracking), on the
//               same cluster;
//   raw-paced   for reference, the thinnest possible client paced as near-paced: raw sockets,
//               CLIENT TRACKING with REDIRECT, one string kept (bench/lib/hotkey-worker.ts);
//               not in the default modes;
//   near-paced  the near-cache, each process reading once a millisecond: the invalidation delay
//               of processes that are not saturated (in 'near', 4 CPU-bound processes share 2
//               cores, and a delay is mostly the wait for the reader's next time slice).
// Meanwhile a writer in this process SETs the key to a new version every `--write-every` ms
// (the price changes, so the near-caches must be invalidated), recording each SET's
// acknowledgement time. Reported per mode (medians over rounds): reads per second per process,
// the hot shard's CPU (its process's utime+stime over the window, % of one core), and for the
// near-cache the invalidation delay: for each SET and each process, from the SET's
// acknowledgement to the key's removal from that process's near-cache (0 when the removal came
// first: the server pushes the invalidation before it answers the writer), p50/p99/max.
// Targets: near/plain >= 10x reads per process, hot shard CPU down >= 10x, invalidation p99 < 1 ms.
//
// Output: stdout, bench/results/hotkey-<ts>.json and bench/results/hotkey-latest.md.
//
//   npm run build && node dist/bench/hotkey-bench.js [--workers 4] [--seconds 5] [--rounds 3]
//     [--concurrency 32] [--write-every 100] [--modes plain,near,node-redis]

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from '../src/client/index.js';
import { openCluster, type CacheCluster } from '../src/demo/cluster.js';
import { cpuMicros } from './lib/procs.js';
import { RespConn, RespError } from './lib/resp.js';
import { describeMachine, fmt, isoStamp, machineInfo, markdownTable, median, writeResult } from './lib/report.js';
import type { FromHotkeyWorker, HotkeyMode, HotkeyRunResult, ToHotkeyWorker } from './lib/hotkey-worker.js';
import { performance } from 'node:perf_hooks';
import { machineNowMs } from '../test/support/machine-clock.js';

/** As the worker's: the machine's monotonic clock, comparable between processes. */
const wallNow = machineNowMs;

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const WORKER = path.join(here, 'lib', 'hotkey-worker.js');
const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '32' },
    'write-every': { type: 'string', default: '100' },
    modes: { type: 'string', default: 'plain,near,node-redis,near-paced' },
  },
});
const nWorkers = Number(args.workers);
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const concurrency = Number(args.concurrency);
const writeEvery = Number(args['write-every']);
const modes = args.modes!.split(',').map((m) => m.trim()) as HotkeyMode[];
const KEY = 'product:42:price';
/** The modes whose processes record when an invalidation removed the key. */
const measuresInvalidation = (mode: HotkeyMode): boolean => mode === 'near' || mode === 'near-paced' || mode === 'raw-paced';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface W {
  child: ChildProcess;
  waiters: Map<number, (r: HotkeyRunResult) => void>;
}
let nextId = 0;

function startWorker(nodes: string[]): Promise<W> {
  const child = fork(WORKER, [JSON.stringify(nodes)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const w: W = { child, waiters: new Map() };
  child.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    child.on('message', (m: FromHotkeyWorker) => {
      if (m.type === 'ready') resolve(w);
      else if (m.type === 'done') {
        w.waiters.get(m.id)?.(m.result);
        w.waiters.delete(m.id);
      } else if (m.type === 'fatal') reject(new Error(`worker: ${m.error}`));
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

function ask(w: W, m: Omit<Extract<ToHotkeyWorker, { type: 'run' }>, 'id'>): Promise<HotkeyRunResult> {
  const id = nextId++;
  return new Promise((resolve) => {
    w.waiters.set(id, resolve);
    w.child.send({ ...m, id });
  });
}

/** The node process that owns KEY (the one that answers it rather than MOVED). */
async function hotShardPid(cluster: CacheCluster): Promise<{ pid: number; addr: string }> {
  for (const n of cluster.local!.nodes) {
    const c = await RespConn.connect(n.port);
    try {
      const reply = await c.command('GET', KEY);
      if (!(reply instanceof RespError)) return { pid: n.child.pid!, addr: `${n.host}:${n.port}` };
    } finally {
      c.close();
    }
  }
  throw new Error(`no node owns ${KEY}`);
}

interface ModeRun {
  mode: HotkeyMode;
  round: number;
  readsPerSecPerProcess: number;
  hotShardCpuPct: number;
  errors: number;
  firstError: string | null;
  nearHitShare: number;
  writes: number;
  /** Per SET and process: ms from the SET's acknowledgement to the key's removal. */
  invalidationDelaysMs: number[];
  missingRemovals: number;
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/**
 * Matches removals to SETs: SET i was sent at sentAt[i] and acknowledged at ackAt[i]; its
 * removal in a process is that process's first removal at or after sentAt[i] and before the
 * next SET was sent (the key is re-read at once, so each SET invalidates it again).
 */
function delays(sentAt: number[], ackAt: number[], removals: number[]): { delays: number[]; missing: number } {
  const out: number[] = [];
  let missing = 0;
  let j = 0;
  for (let i = 0; i < sentAt.length; i++) {
    const until = i + 1 < sentAt.length ? sentAt[i + 1] : Infinity;
    while (j < removals.length && removals[j] < sentAt[i]) j++;
    if (j < removals.length && removals[j] < until) out.push(Math.max(0, removals[j] - ackAt[i]));
    else missing++;
  }
  return { delays: out, missing };
}

async function runMode(mode: HotkeyMode, round: number, workers: W[], cluster: CacheCluster, hot: { pid: number }): Promise<ModeRun> {
  const writer = createClient({ nodes: cluster.nodes });
  let version = 0;
  await writer.set(KEY, `v${++version}`);
  const startAt = Date.now() + 1500;
  const pending = workers.map((w) => ask(w, { type: 'run', mode, key: KEY, ms: seconds * 1000, concurrency, startAt }));
  await sleep(startAt - Date.now());
  const cpu0 = cpuMicros(hot.pid);
  const t0 = performance.now();
  const sentAt: number[] = [];
  const ackAt: number[] = [];
  const end = Date.now() + seconds * 1000 - writeEvery;
  while (Date.now() < end) {
    await sleep(writeEvery);
    const sent = wallNow();
    await writer.set(KEY, `v${++version}`);
    ackAt.push(wallNow());
    sentAt.push(sent);
  }
  const results = await Promise.all(pending);
  const cpuPct = ((cpuMicros(hot.pid) - cpu0) / 1000 / (performance.now() - t0)) * 100;
  writer.close();
  const all: number[] = [];
  let missing = 0;
  if (measuresInvalidation(mode)) {
    for (const r of results) {
      const d = delays(sentAt, ackAt, r.removals);
      for (const x of d.delays) all.push(x); // not spread: a long run's delays would overflow the stack
      missing += d.missing;
    }
  }
  const reads = results.reduce((a, r) => a + r.reads, 0);
  return {
    mode,
    round,
    readsPerSecPerProcess: reads / nWorkers / seconds,
    hotShardCpuPct: cpuPct,
    errors: results.reduce((a, r) => a + r.errors, 0),
    firstError: results.find((r) => r.firstError !== null)?.firstError ?? null,
    nearHitShare: reads > 0 ? results.reduce((a, r) => a + r.nearHits, 0) / reads : 0,
    writes: sentAt.length,
    invalidationDelaysMs: all,
    missingRemovals: missing,
  };
}

async function main(): Promise<void> {
  const machine = machineInfo(repoRoot);
  console.log(describeMachine(machine));
  const started = new Date();
  const cluster = await openCluster({ shards: 3 });
  const workers: W[] = [];
  const runs: ModeRun[] = [];
  try {
    const seed = createClient({ nodes: cluster.nodes });
    await seed.set(KEY, 'v0');
    seed.close();
    const hot = await hotShardPid(cluster);
    console.log(`cluster ${cluster.nodes.join(' ')}; ${KEY} lives on ${hot.addr} (pid ${hot.pid})`);
    for (let i = 0; i < nWorkers; i++) workers.push(await startWorker(cluster.nodes));
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? modes : [...modes].reverse();
      for (const mode of order) {
        const r = await runMode(mode, round, workers, cluster, hot);
        runs.push(r);
        const inval = measuresInvalidation(mode) ? `, invalidation p50 ${fmt(percentile(r.invalidationDelaysMs, 50), 3)} p99 ${fmt(percentile(r.invalidationDelaysMs, 99), 3)} ms (${r.invalidationDelaysMs.length} of ${r.writes * nWorkers}; ${r.missingRemovals} unmatched)` : '';
        console.log(`round ${round} ${mode.padEnd(10)} ${fmt(r.readsPerSecPerProcess)} reads/s per process, hot shard CPU ${fmt(r.hotShardCpuPct, 1)}%, errors ${r.errors}${r.firstError !== null ? ` (${r.firstError})` : ''}${inval}`);
      }
    }
  } finally {
    for (const w of workers) w.child.send({ type: 'exit' });
    await cluster.stop();
  }
  const per = (mode: HotkeyMode) => runs.filter((r) => r.mode === mode);
  const rows = modes.map((mode) => {
    const rs = per(mode);
    const delaysAll = rs.flatMap((r) => r.invalidationDelaysMs);
    return {
      mode,
      readsPerSecPerProcess: median(rs.map((r) => r.readsPerSecPerProcess)),
      hotShardCpuPct: median(rs.map((r) => r.hotShardCpuPct)),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      invalidationP50Ms: percentile(delaysAll, 50),
      invalidationP99Ms: percentile(delaysAll, 99),
      invalidationMaxMs: delaysAll.length > 0 ? Math.max(...delaysAll) : NaN,
      invalidations: delaysAll.length,
      unmatched: rs.reduce((a, r) => a + r.missingRemovals, 0),
    };
  });
  const plain = rows.find((r) => r.mode === 'plain');
  const md = markdownTable(
    ['mode', 'reads/s per process', 'x plain', 'hot shard CPU %', 'CPU / plain', 'errors', 'invalidation p50 ms', 'p99 ms', 'max ms', 'measured / unmatched'],
    rows.map((r) => [
      r.mode,
      fmt(r.readsPerSecPerProcess),
      plain !== undefined ? fmt(r.readsPerSecPerProcess / plain.readsPerSecPerProcess, 1) : '',
      fmt(r.hotShardCpuPct, 1),
      plain !== undefined ? fmt(r.hotShardCpuPct / plain.hotShardCpuPct, 3) : '',
      String(r.errors),
      measuresInvalidation(r.mode) ? fmt(r.invalidationP50Ms, 3) : '',
      measuresInvalidation(r.mode) ? fmt(r.invalidationP99Ms, 3) : '',
      measuresInvalidation(r.mode) ? fmt(r.invalidationMaxMs, 3) : '',
      measuresInvalidation(r.mode) ? `${r.invalidations} / ${r.unmatched}` : '',
    ]),
  );
  console.log('\n' + md);
  const stamp = isoStamp(started);
  const settings = { workers: nWorkers, seconds, rounds, concurrency, writeEvery, modes, key: KEY };
  const json = JSON.stringify({ kind: 'hotkey-bench', started: started.toISOString(), machine, settings, rows, runs: runs.map((r) => ({ ...r, invalidationDelaysMs: undefined, invalidations: r.invalidationDelaysMs.length })) }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  const resultsDir = path.join(repoRoot, 'bench', 'results');
  const file = writeResult(resultsDir, `hotkey-${stamp}.json`, json + '\n');
  writeResult(resultsDir, 'hotkey-latest.md', [`# Hot key, with and without the near-cache — ${started.toISOString()}`, '', describeMachine(machine), '', `\`node dist/bench/hotkey-bench.js --workers ${nWorkers} --seconds ${seconds} --rounds ${rounds} --concurrency ${concurrency} --write-every ${writeEvery}\``, '', md, '', `Raw: bench/results/${path.basename(file)}`, ''].join('\n'));
  if (runs.some((r) => r.errors > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
