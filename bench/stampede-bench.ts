// bench/stampede-bench.ts — what a cache stampede costs with and without the SDK
// (`npm run bench:stampede`), against a local 3-shard corral cluster it starts (LocalCluster, as
// `corral up`) and stops:
//
// 1. Single flight across processes: 4 worker processes (bench/lib/stampede-worker.ts) x 250
//    concurrent reads of one key whose loader counts its calls and takes 100 ms. Cold (key
//    absent), right after the key's TTL ran out (no grace: absent again), and within its grace
//    (stale: one background refresh). Target: exactly 1 loader call each; naive cache-aside (GET,
//    on a miss load + SET) beside it, where every caller that misses loads (~1000).
// 2. Cost per hit (bench/lib/hit-cost.ts): getOrLoad on a hit vs the client's GET (target,
//    issue 16: at most 1.15x its time per op, at 1 and at 50 loops; GET + JSON.parse, the floor
//    for a JSON value, is beside it), by default and with freeze: true (no parse on a hit of
//    unchanged bytes), on ~100 B and 3.6 KB values, vs bentocache's getOrSet with its Redis L2
//    on the same cluster.
// 3. Cache outage with fail-open (last: it stops the cluster): every worker hammers getOrLoad
//    over many keys with many loops while no node answers; the loader tracks how many of its
//    calls run at once. Target: per process at most the bulkhead's total (16), so at most
//    16 x workers across them; naive "fail-open by hand" beside it (every caller loads).
//
// Output: stdout, bench/results/stampede-<ts>.json and bench/results/stampede-latest.md.
//
//   npm run build && node dist/bench/stampede-bench.js [--workers 4] [--callers 250]
//     [--loader-ms 100] [--ttl 1000] [--repeats 3] [--hit-rounds 5] [--hit-seconds 1]
//     [--outage-seconds 4] [--outage-loops 200] [--skip burst,hit,outage]
//
// `--skip burst,outage` runs only the cost per hit (about 2 minutes with the defaults).

import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from '../src/client/index.js';
import { openCluster, type CacheCluster } from '../src/demo/cluster.js';
import { hitCost, type HitRow } from './lib/hit-cost.js';
import { describeMachine, fmt, isoStamp, machineInfo, markdownTable, median, writeResult } from './lib/report.js';
import type { BurstMode, BurstResult, FromStampedeWorker, HammerResult, ToStampedeWorker } from './lib/stampede-worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const WORKER = path.join(here, 'lib', 'stampede-worker.js');
const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '4' },
    callers: { type: 'string', default: '250' },
    'loader-ms': { type: 'string', default: '100' },
    ttl: { type: 'string', default: '1000' },
    repeats: { type: 'string', default: '3' },
    'hit-rounds': { type: 'string', default: '5' },
    'hit-seconds': { type: 'string', default: '1' },
    'outage-seconds': { type: 'string', default: '4' },
    'outage-loops': { type: 'string', default: '200' },
    skip: { type: 'string', default: '' },
  },
});
const nWorkers = Number(args.workers);
const callers = Number(args.callers);
const loaderMs = Number(args['loader-ms']);
const ttl = Number(args.ttl);
const repeats = Number(args.repeats);
const skip = new Set(args.skip!.split(',').filter((s) => s !== ''));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- workers ------------------------------------------------------------------------------------

interface W {
  child: ChildProcess;
  waiters: Map<number, (r: unknown) => void>;
}
let nextId = 0;
/** Loads in flight across every worker, as their start/end marks arrive (each worker's in order). */
let globalLoads = 0;
let globalPeak = 0;

function startWorker(nodes: string[]): Promise<W> {
  const child = fork(WORKER, [JSON.stringify(nodes)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const w: W = { child, waiters: new Map() };
  child.on('error', () => undefined); // EPIPE from a send racing the worker's exit at the end
  return new Promise((resolve, reject) => {
    child.on('message', (m: FromStampedeWorker) => {
      if (m.type === 'ready') resolve(w);
      else if (m.type === 'load-mark') {
        globalLoads += m.delta;
        if (globalLoads > globalPeak) globalPeak = globalLoads;
      } else if (m.type === 'burst-done' || m.type === 'hammer-done') {
        w.waiters.get(m.id)?.(m.result);
        w.waiters.delete(m.id);
      } else if (m.type === 'fatal') reject(new Error(m.error));
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
  });
}

function ask<R>(w: W, msg: ToStampedeWorker & { id: number }): Promise<R> {
  return new Promise((resolve) => {
    w.waiters.set(msg.id, resolve as (r: unknown) => void);
    w.child.send(msg);
  });
}

// ---- 1. single flight across processes ------------------------------------------------------------

interface Scenario {
  name: string;
  mode: BurstMode;
  /** 'cold': key absent; 'expired': loaded, then TTL waited out; 'grace': loaded with a grace, TTL waited out (stale). */
  state: 'cold' | 'expired' | 'grace';
}

const SCENARIOS: Scenario[] = [
  { name: 'SDK getOrLoad, cold', mode: 'sdk', state: 'cold' },
  { name: 'SDK getOrLoad, right after expiry (no grace)', mode: 'sdk', state: 'expired' },
  { name: 'SDK getOrLoad, after expiry within grace', mode: 'sdk', state: 'grace' },
  { name: 'naive cache-aside, cold', mode: 'naive', state: 'cold' },
  { name: 'naive cache-aside, right after expiry', mode: 'naive', state: 'expired' },
];

interface BurstRow {
  scenario: string;
  loaderCalls: number[];
  medianLoaderCalls: number;
  distinctValues: number[];
  errors: number;
  p50Ms: number;
  maxMs: number;
}

async function burstAll(workers: W[], mode: BurstMode, key: string, grace: number): Promise<BurstResult[]> {
  const id = ++nextId;
  const startAt = Date.now() + 150;
  return Promise.all(workers.map((w) => ask<BurstResult>(w, { type: 'burst', id, mode, key, callers, loaderMs, ttl, grace, startAt })));
}

async function singleFlight(workers: W[], nodes: string[]): Promise<BurstRow[]> {
  const client = createClient({ nodes });
  await client.ready();
  const rows: BurstRow[] = [];
  for (const sc of SCENARIOS) {
    const calls: number[] = [];
    const distinct: number[] = [];
    let errors = 0;
    const p50: number[] = [];
    const max: number[] = [];
    for (let rep = 0; rep < repeats; rep++) {
      const key = `stampede:${sc.mode}:${sc.state}:${rep}:${Date.now()}`;
      const grace = sc.state === 'grace' ? 10 * ttl : 0;
      if (sc.state !== 'cold') {
        await burstAll(workers, sc.mode, key, grace); // loads it (not counted)
        await sleep(ttl + 150); // past the TTL (the SDK's ttl has jitter 0 here)
      }
      const rs = await burstAll(workers, sc.mode, key, grace);
      calls.push(rs.reduce((n, r) => n + r.loaderCalls, 0));
      distinct.push(rs.reduce((n, r) => n + r.distinctValues, 0));
      errors += rs.reduce((n, r) => n + r.errors, 0);
      p50.push(median(rs.map((r) => r.p50Ms)));
      max.push(Math.max(...rs.map((r) => r.maxMs)));
    }
    const row = { scenario: sc.name, loaderCalls: calls, medianLoaderCalls: median(calls), distinctValues: distinct, errors, p50Ms: median(p50), maxMs: Math.max(...max) };
    console.log(`  ${sc.name.padEnd(46)} loader calls ${calls.join(', ')}   caller p50 ${row.p50Ms.toFixed(1)} ms, max ${row.maxMs.toFixed(1)} ms`);
    rows.push(row);
  }
  await client.quit();
  return rows;
}

// ---- 3. outage ------------------------------------------------------------------------------------

interface OutageRow {
  name: string;
  seconds: number;
  calls: number;
  loaderCalls: number;
  loaderCallsPerSec: number;
  peakPerProcess: number[];
  peakAcrossProcesses: number;
  rejected: number;
  otherErrors: number;
  firstError: string | null;
  p50Ms: number;
  p99Ms: number;
  breakerStates: string[];
}

async function outage(workers: W[], cluster: CacheCluster): Promise<OutageRow[]> {
  const ms = Number(args['outage-seconds']) * 1000;
  const loops = Number(args['outage-loops']);
  // Let the SDK see the cluster up and cache a few keys, then take every node down.
  for (const naive of [false]) {
    const id = ++nextId;
    await Promise.all(workers.map((w) => ask<HammerResult>(w, { type: 'hammer', id, keys: 1000, loops: 20, ms: 300, loaderMs: 20, prefix: 'outage:', startAt: Date.now() + 50, naive })));
  }
  await cluster.stop();
  console.log('  cluster stopped');
  const rows: OutageRow[] = [];
  for (const naive of [false, true]) {
    globalLoads = 0;
    globalPeak = 0;
    const id = ++nextId;
    const startAt = Date.now() + 150;
    const rs = await Promise.all(
      workers.map((w) => ask<HammerResult>(w, { type: 'hammer', id, keys: 10_000, loops, ms, loaderMs: 20, prefix: 'outage:', startAt, naive })),
    );
    const loaderCalls = rs.reduce((n, r) => n + r.loaderCalls, 0);
    const row: OutageRow = {
      name: naive ? 'naive, fail-open by hand (no bulkhead)' : 'SDK getOrLoad (breaker + bulkhead total 16/process)',
      seconds: ms / 1000,
      calls: rs.reduce((n, r) => n + r.calls, 0),
      loaderCalls,
      loaderCallsPerSec: Math.round((loaderCalls * 1000) / ms),
      peakPerProcess: rs.map((r) => r.peakConcurrentLoads),
      peakAcrossProcesses: globalPeak,
      rejected: rs.reduce((n, r) => n + r.rejected, 0),
      otherErrors: rs.reduce((n, r) => n + r.otherErrors, 0),
      firstError: rs.map((r) => r.firstError).find((e) => e !== null) ?? null,
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: Math.max(...rs.map((r) => r.p99Ms)),
      breakerStates: rs.map((r) => r.breakerState),
    };
    console.log(
      `  ${row.name.padEnd(52)} peak concurrent loads ${row.peakPerProcess.join('/')} per process, ${row.peakAcrossProcesses} across; ` +
        `${fmt(row.loaderCallsPerSec)} loads/s; ${fmt(row.rejected)} rejected; errors ${row.otherErrors}${row.firstError !== null ? ` (${row.firstError})` : ''}`,
    );
    rows.push(row);
  }
  return rows;
}

// ---- main ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const machine = machineInfo(repoRoot);
  const stamp = isoStamp();
  // Other work on the machine skews the per-hit figures most: recorded beside them.
  loadBefore = os.loadavg()[0]!;
  const cluster = await openCluster({ shards: 3 });
  const workers: W[] = [];
  const killWorkers = (): void => workers.forEach((w) => w.child.kill('SIGKILL'));
  process.once('SIGINT', () => {
    killWorkers();
    void cluster.stop().finally(() => process.exit(130));
  });
  try {
    console.log(`corral cluster: ${cluster.nodes.join(', ')}`);
    if (!skip.has('burst') || !skip.has('outage')) for (let i = 0; i < nWorkers; i++) workers.push(await startWorker(cluster.nodes));
    let bursts: BurstRow[] = [];
    if (!skip.has('burst')) {
      console.log(`\n1. loader calls for one key, ${nWorkers} processes x ${callers} concurrent callers, loader ${loaderMs} ms, TTL ${ttl} ms, ${repeats} repeats:`);
      bursts = await singleFlight(workers, cluster.nodes);
    }
    let hits: HitRow[] = [];
    if (!skip.has('hit')) {
      console.log(`\n2. cost per hit, ${args['hit-rounds']} rounds x ${args['hit-seconds']} s, median ops/s:`);
      hits = await hitCost(cluster.nodes, Number(args['hit-rounds']), Number(args['hit-seconds']) * 1000, console.log);
    }
    let outages: OutageRow[] = [];
    if (!skip.has('outage')) {
      console.log(`\n3. cache outage: ${nWorkers} processes x ${args['outage-loops']} loops over 10,000 keys for ${args['outage-seconds']} s, loader 20 ms:`);
      outages = await outage(workers, cluster);
    }
    for (const w of workers) w.child.send({ type: 'exit' } satisfies ToStampedeWorker);
    const md = report(stamp, machine, bursts, hits, outages);
    const json = writeResult(path.join(repoRoot, 'bench', 'results'), `stampede-${stamp}.json`, JSON.stringify({ stamp, machine, args, bursts, hits, outages }, null, 2));
    const latest = writeResult(path.join(repoRoot, 'bench', 'results'), 'stampede-latest.md', md.replace('{json}', path.relative(repoRoot, json)));
    console.log(`\n${md.replace('{json}', path.relative(repoRoot, json))}\nwritten: ${path.relative(repoRoot, json)}, ${path.relative(repoRoot, latest)}`);
  } finally {
    await sleep(200);
    killWorkers();
    await cluster.stop();
  }
}

let loadBefore = NaN;

function report(stamp: string, machine: ReturnType<typeof machineInfo>, bursts: BurstRow[], hits: HitRow[], outages: OutageRow[]): string {
  const out: string[] = ['# Stampede benchmark', ''];
  out.push(`${stamp}: 3-shard corral cluster (local node processes), ${nWorkers} worker processes`, '');
  if (bursts.length > 0) {
    out.push(`## Loader calls for one key (${nWorkers} processes x ${callers} concurrent callers, loader ${loaderMs} ms, TTL ${ttl} ms)`, '');
    out.push('Target: exactly 1 per burst with the SDK.', '');
    out.push(
      markdownTable(
        ['scenario', 'loader calls (each repeat)', 'median', 'caller p50 ms', 'caller max ms'],
        bursts.map((b) => [b.scenario, b.loaderCalls.join(', '), fmt(b.medianLoaderCalls), fmt(b.p50Ms, 1), fmt(b.maxMs, 1)]),
      ),
      '',
    );
  }
  if (hits.length > 0) {
    out.push('## Cost per hit (one process, same cluster)', '');
    const shapes = [...new Set(hits.map((h) => h.shape))];
    for (const shape of shapes) {
      const rows = hits.filter((h) => h.shape === shape);
      const get = rows.find((h) => h.target === 'corral client GET')!;
      out.push(`${shape}:`, '');
      out.push(
        markdownTable(
          ['target', 'median ops/s', 'µs per op', 'time vs corral GET'],
          rows.map((h) => [h.target, fmt(h.medianOpsPerSec), fmt(h.medianUsPerOp, 1), `${fmt(get.medianOpsPerSec / h.medianOpsPerSec, 2)}x`]),
        ),
        '',
      );
    }
    out.push('Time per op is loops / ops/s (with 50 loops, the time each loop waits per read). With 50 loops on one key the SDK\'s in-process single flight serves concurrent calls from one CACHE.GET.', '');
  }
  if (outages.length > 0) {
    out.push('## Cache outage, fail-open (every node stopped)', '');
    out.push(
      markdownTable(
        ['path', 'peak concurrent loads per process', 'peak across processes', 'loads/s', 'calls', 'rejected', 'call p50 ms', 'call p99 ms'],
        outages.map((o) => [o.name, o.peakPerProcess.join(' / '), fmt(o.peakAcrossProcesses), fmt(o.loaderCallsPerSec), fmt(o.calls), fmt(o.rejected), fmt(o.p50Ms, 1), fmt(o.p99Ms, 1)]),
      ),
      '',
    );
  }
  out.push(describeMachine(machine), `1-minute load average: ${loadBefore.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end`, '', 'Raw runs: {json}', '');
  return out.join('\n');
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
