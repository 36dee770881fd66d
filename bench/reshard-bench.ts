// bench/reshard-bench.ts — adding a 4th shard to a 3-shard cluster under load, corral side by side
// with Redis 7 Cluster (`npm run bench:reshard`).
//
// Each run (a fresh cluster every time, systems alternating, the order reversed every round):
//   1. a 3-shard cluster (corral: `corral up --shards 3 --replicas R`; Redis: 3 redis-server
//      cluster masters, `redis-cli --cluster create`), see bench/lib/reshard-clusters.ts;
//   2. --keys keys (`key:` + 12 digits) with values of mixed sizes (uniform --min-size..--max-size,
//      fixed per key, the same for every system and round) loaded pipelined, grouped by the primary
//      that owns each key's slot (bench/lib/reshard-keys.ts);
//   3. an empty 4th node started (not yet part of the cluster);
//   4. peak: a closed loop of GET/SET (--set-ratio SETs) through ioredis's Cluster client in a
//      forked process (bench/lib/reshard-load-worker.ts), --peak-concurrency requests in flight;
//   5. the steady open-loop load, same client, same mix, at --load-share of the LOWEST peak of the
//      round for every system (--load-basis min, the default: all clusters of a round are prepared
//      through step 4 first, and idle while the others are measured), or of each run's own peak
//      (--load-basis per-system), or --load-rate: --warmup-s unrecorded, --before-s "before",
//      the move ("during"), --after-s "after". Latency = completion - scheduled time of each
//      request (no coordinated omission); every error ioredis surfaces to the caller is a client
//      error, and so is a request still unanswered 10 s after the load stops;
//   6. the move: corral `CORRAL RESHARD ADD 127.0.0.1 <port> [RATE r]` on the controller (+ CORRAL
//      JOIN on the new node, --join join), done when CORRAL TOPOLOGY has no plan; Redis
//      `redis-cli --cluster add-node` + `rebalance --cluster-use-empty-masters`, done when
//      rebalance exits. Time from the first command to done;
//   7. what moved: the keys and key+value bytes of every slot whose owner changed (CLUSTER SLOTS
//      before and after), the share of all keys that is, DBSIZE of the new node; for corral also
//      RESHARD STATUS's bytes_moved / keys_moved.
//
// Targets (from the issue): 0 client errors (Redis: counted), p99 during the move at most 2x the
// p99 before at corral's default rate, and at least as fast as Redis at equal p99 (run corral at
// several rates with --rates to see it). Results: bench/results/reshard-<ts>.json and
// bench/results/reshard-latest.md; a summary on stdout. Every process it starts is stopped on
// exit, on error and on Ctrl-C / SIGTERM. `--help` lists the flags.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineBusyMicros, onInterrupt, sleep } from './lib/procs.js';
import { describeMachine, fmt, isoStamp, machineInfo, writeResult } from './lib/report.js';
import { LogHistogram } from './lib/log-histogram.js';
import { dbsize, Keyspace, loadCluster, slotCounts, slotOwners } from './lib/reshard-keys.js';
import { ReshardLoad } from './lib/reshard-load.js';
import type { OpenResult, PhaseStats } from './lib/reshard-load-worker.js';
import { CorralReshardCluster, type ReshardSystem } from './lib/reshard-clusters.js';
import { RedisReshardCluster } from './lib/reshard-redis-cluster.js';
import { infoOf } from './lib/cluster-state.js';
import { parseSettings, type Settings, type Variant } from './lib/reshard-settings.js';
import { cores, snap, windowOf, type RunRecord } from './lib/reshard-records.js';
import { mb, ms, summarize, tables, targets } from './lib/reshard-summary.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = path.join(repoRoot, 'bench', 'results');
const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

let interrupted = false;
const never = (): Promise<never> => new Promise<never>(() => {});

// ---------------------------------------------------------------------------------------------
// Everything started, for cleanup on exit / error / Ctrl-C

class Registry {
  readonly systems = new Set<ReshardSystem>();
  readonly loads = new Set<ReshardLoad>();

  async stopAll(): Promise<void> {
    await Promise.all([
      ...[...this.systems].map((s) => s.stop().catch(() => {})),
      ...[...this.loads].map((l) => l.close().catch(() => {})),
    ]);
  }

  killNow(): void {
    for (const s of this.systems) {
      try {
        s.killNow();
      } catch {
        /* best effort */
      }
    }
    for (const l of this.loads) l.killNow();
  }
}

// ---------------------------------------------------------------------------------------------
// One run

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A run up to its peak: cluster started, keys loaded, 4th node up, load generator connected. */
interface Prepared {
  v: Variant;
  round: number;
  rec: RunRecord;
  sys: ReshardSystem;
  load: ReshardLoad | null;
  owners0: Int32Array | null;
  say: (line: string) => void;
  finished: boolean;
}

function failed(p: Prepared, err: unknown): void {
  p.rec.error = firstLine(err);
  if (p.sys instanceof CorralReshardCluster) p.rec.error += `\n${p.sys.tails().split('\n').slice(-40).join('\n')}`;
  p.say(`FAILED: ${p.rec.error.split('\n').slice(0, 12).join('\n    ')}`);
}

async function prepare(v: Variant, round: number, s: Settings, ks: Keyspace, reg: Registry): Promise<Prepared> {
  const rec: RunRecord = { round, label: v.label, system: v.system, rate: v.rate, ok: false };
  const tag = `[round ${round}] ${v.label}`;
  const say = (line: string): void => console.log(`${tag}: ${line}`);
  const sys: ReshardSystem = v.system === 'redis'
    ? new RedisReshardCluster({ shards: 3, replicas: s.replicas })
    : new CorralReshardCluster({ repoRoot, corralMain, shards: 3, replicas: s.replicas, join: s.join, syncTimeoutMs: s.moveTimeoutS * 1000 });
  reg.systems.add(sys);
  const p: Prepared = { v, round, rec, sys, load: null, owners0: null, say, finished: false };
  try {
    await sys.start();
    if (interrupted) return never();
    const seed = sys.primaryPorts[0]!;
    // Load the keys.
    const t0 = performance.now();
    let shown = 0;
    const lr = await loadCluster(seed, ks, {
      progress: (n) => {
        if (n >= shown + ks.keys / 4 && n < ks.keys) {
          shown = n;
          say(`  loaded ${fmt(n)} keys (${fmt((performance.now() - t0) / 1000, 1)} s)`);
        }
      },
    });
    if (interrupted) return never();
    rec.loadMs = performance.now() - t0;
    rec.loadErrors = lr.errors;
    rec.loadPasses = lr.passes;
    rec.loadFirstError = lr.firstError;
    const sizes = await Promise.all(sys.primaryPorts.map((port) => dbsize(port)));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (lr.failed > 0 || total !== ks.keys) {
      throw new Error(`loading ${ks.keys} keys: ${lr.failed} not loaded after ${lr.passes} passes (${lr.errors} error replies, first: ${lr.firstError}), DBSIZE of the primaries ${sizes.join(' + ')} = ${total}`);
    }
    say(`${sys.describe().replace(/, 4th node.*$/, '')}; ${fmt(ks.keys)} keys (${mb(ks.totalBytes)} MB of keys + values) loaded in ${fmt(rec.loadMs / 1000, 1)} s` +
      (lr.errors > 0 ? ` (WARNING: ${fmt(lr.errors)} SETs answered an error and were sent again, ${lr.passes} passes; first error: ${lr.firstError})` : ''));
    // The 4th node, empty (--join coordinator: synced as a replica).
    const n0 = performance.now();
    await sys.startNewNode();
    if (interrupted) return never();
    rec.cluster = sys.describe();
    say(`4th node on port ${sys.newPort} ready in ${fmt((performance.now() - n0) / 1000, 1)} s`);
    p.owners0 = await slotOwners(seed);
    // Peak.
    const load = new ReshardLoad();
    p.load = load;
    reg.loads.add(load);
    await load.init({
      seeds: sys.primaryPorts, keys: ks.keys, minSize: ks.minSize, maxSize: ks.maxSize, setRatio: s.setRatio, seed: 0x5eed + round,
      clusterOptions: s.maxRedirections === null ? {} : { maxRedirections: s.maxRedirections }, commandTimeoutMs: s.commandTimeoutMs,
    });
    const peak = await load.peak(s.peakConcurrency, 1000, s.peakS * 1000);
    if (interrupted) return never();
    rec.peak = { opsPerSec: peak.opsPerSec, ops: peak.ops, errors: peak.errors, firstError: peak.firstError, p99Us: LogHistogram.fromJSON(peak.latency).quantile(0.99) };
    say(`peak ${fmt(peak.opsPerSec)} req/s (closed loop, ${s.peakConcurrency} in flight, p99 ${ms(rec.peak.p99Us)} ms${peak.errors > 0 ? `, ${peak.errors} errors: ${peak.firstError}` : ''})`);
  } catch (err) {
    if (interrupted) return never();
    failed(p, err);
  }
  return p;
}

/**
 * MOVED / ASK / TRYAGAIN replies the nodes sent (INFO errorstats, summed; both systems count
 * them there), so that the redirections a move costs its clients are seen beside its latency.
 */
async function redirectCounts(ports: number[]): Promise<Record<string, number>> {
  const out: Record<string, number> = { MOVED: 0, ASK: 0, TRYAGAIN: 0 };
  for (const port of ports) {
    try {
      const f = await infoOf(port, 'errorstats');
      for (const code of Object.keys(out)) out[code] += Number(/count=(\d+)/.exec(f[`errorstat_${code}`] ?? '')?.[1] ?? 0);
    } catch {
      /* a node not answering: counted as none */
    }
  }
  return out;
}

/** The steady load at `rate`, the windows and the move; fills p.rec. */
async function measure(p: Prepared, rate: number, basis: string, s: Settings, ks: Keyspace): Promise<void> {
  const { rec, sys, say } = p;
  const load = p.load!;
  try {
    rec.loadRate = rate;
    rec.loadRateBasis = basis;
    say(`steady load ${fmt(rate)} req/s (${basis})`);
    await load.start(rate);
    await sleep(s.warmupS * 1000);
    if (interrupted) return never();
    await load.phase('before');
    const cA = snap(sys, load);
    await sleep(s.beforeS * 1000);
    if (interrupted) return never();
    await load.phase('during');
    const cB = snap(sys, load);
    const redirectsBefore = await redirectCounts([...sys.primaryPorts, sys.newPort]);
    const move = await sys.move({
      rate: p.v.rate, timeoutMs: s.moveTimeoutS * 1000, redisPipeline: s.redisPipeline, log: (l) => say(`  ${l}`),
    });
    await load.phase('after');
    const cC = snap(sys, load);
    if (interrupted) return never();
    const redirectsAfter = await redirectCounts([...sys.primaryPorts, sys.newPort]);
    rec.redirects = Object.fromEntries(Object.entries(redirectsAfter).map(([k, v]) => [k, v - (redirectsBefore[k] ?? 0)]));
    rec.moveMs = move.ms;
    if (typeof move.detail['knownMs'] === 'number') rec.rebalanceMs = move.ms - move.detail['knownMs'];
    rec.move = move.detail;
    rec.progress = move.progress;
    rec.reportedBytes = move.bytesReported;
    rec.reportedKeys = move.keysReported;
    say(`move done in ${fmt(move.ms / 1000, 2)} s`);
    await sleep(s.afterS * 1000);
    const cD = snap(sys, load);
    const res: OpenResult = await load.stop(10_000);
    const phase = (n: string): PhaseStats | undefined => res.phases.find((x) => x.name === n);
    rec.windows = {
      before: windowOf(phase('before'), cores(cA, cB)),
      during: windowOf(phase('during'), cores(cB, cC)),
      after: windowOf(phase('after'), cores(cC, cD)),
    };
    rec.timeline = res.seconds;
    rec.clusterEvents = res.clusterEvents;
    rec.firstErrors = res.firstErrors;
    const w = Object.values(rec.windows);
    rec.clientErrors = w.reduce((a, x) => a + x.errors + x.unanswered, 0);
    rec.misses = w.reduce((a, x) => a + x.misses, 0);
    rec.p99Ratio = rec.windows.during.p99Us / rec.windows.before.p99Us;
    // What moved.
    const owners1 = await slotOwners(sys.primaryPorts[0]!);
    const moved = ks.movedBetween(p.owners0!, owners1);
    rec.moved = moved;
    rec.shareMoved = moved.keys / ks.keys;
    rec.payloadBytesPerSec = moved.bytes / (move.ms / 1000);
    if (move.bytesReported !== null) rec.reportedBytesPerSec = move.bytesReported / (move.ms / 1000);
    rec.newNodeSlots = ks.heldBy(owners1, sys.newPort).slots;
    rec.slotsPerNode = Object.fromEntries([...slotCounts(owners1)].map(([port, n]) => [String(port), n]));
    rec.newNodeKeys = await dbsize(sys.newPort);
    rec.shareOnNewNode = rec.newNodeKeys / ks.keys;
    rec.dbsizeTotal = (await Promise.all([...sys.primaryPorts, sys.newPort].map((port) => dbsize(port)))).reduce((a, b) => a + b, 0);
    rec.ok = true;
    const b = rec.windows.before;
    const d = rec.windows.during;
    const a = rec.windows.after;
    say(
      `moved ${fmt(moved.slots)} slots, ${fmt(moved.keys)} keys (${fmt(rec.shareMoved * 100, 1)}%), ${mb(moved.bytes)} MB in ${fmt(move.ms / 1000, 2)} s = ` +
        `${mb(rec.payloadBytesPerSec)} MB/s${rec.reportedBytes != null ? ` (RESHARD STATUS: ${mb(rec.reportedBytes)} MB, ${fmt(rec.reportedKeys ?? NaN)} keys)` : ''}; ` +
        `new node ${fmt(rec.newNodeKeys)} keys; all primaries ${fmt(rec.dbsizeTotal)} keys${rec.dbsizeTotal !== ks.keys ? ` (WARNING: not ${fmt(ks.keys)})` : ''}`,
    );
    say(
      `p50/p99/p99.9 ms before ${ms(b.p50Us)}/${ms(b.p99Us)}/${ms(b.p999Us)}, during ${ms(d.p50Us)}/${ms(d.p99Us)}/${ms(d.p999Us)}, ` +
        `after ${ms(a.p50Us)}/${ms(a.p99Us)}/${ms(a.p999Us)}; p99 during/before x${fmt(rec.p99Ratio, 2)}; max during ${ms(d.maxUs)} ms; ` +
        `client errors ${rec.clientErrors}${rec.misses > 0 ? `, GET misses ${rec.misses}` : ''}; ` +
        `cores during: old ${fmt(d.cores.old, 2)}, new ${fmt(d.cores.new, 2)}, load ${fmt(d.cores.load, 2)}, harness ${fmt(d.cores.harness, 2)}, other ${fmt(d.cores.other, 2)}; ` +
        `load send lag p99 before/during ${ms(b.sendLagP99Us)}/${ms(d.sendLagP99Us)} ms; ` +
        `during: requests over 5 ms of service ${fmt(d.slowOnMovedSlots + d.slowOnOtherSlots)} ` +
        `(${fmt((100 * d.slowOnMovedSlots) / Math.max(1, d.onMovedSlots), 2)}% of those on moved slots, ` +
        `${fmt((100 * d.slowOnOtherSlots) / Math.max(1, d.requests - d.onMovedSlots), 2)}% on the others), ioredis slot refreshes ${d.refreshes}; ` +
        `redirections sent ${Object.entries(rec.redirects ?? {}).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`,
    );
    if (rec.clientErrors > 0) for (const e of res.firstErrors.slice(0, 5)) say(`  error: ${e}`);
  } catch (err) {
    if (interrupted) return never();
    failed(p, err);
  }
}

/** Stops the run's processes. */
async function finish(p: Prepared, reg: Registry): Promise<void> {
  if (p.finished) return;
  p.finished = true;
  if (p.sys instanceof CorralReshardCluster) p.rec.nodeLog = p.sys.nodeLog();
  if (p.load !== null) {
    await p.load.close();
    reg.loads.delete(p.load);
  }
  await p.sys.stop();
  reg.systems.delete(p.sys);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const s = parseSettings();
  if (s === null) return;
  const machine = machineInfo(repoRoot);
  console.log(describeMachine(machine));
  const reg = new Registry();
  const removeHandlers = onInterrupt(async () => {
    interrupted = true;
    await reg.stopAll();
  });
  process.on('exit', () => reg.killNow());
  const started = new Date();
  const idle0 = machineBusyMicros();
  await sleep(1000);
  const backgroundCores = (machineBusyMicros() - idle0) / 1e6;
  console.log(`background load before start: ${fmt(backgroundCores, 2)} of ${machine.cores} cores busy` +
    (backgroundCores > 0.2 ? ' (WARNING: other processes are using CPU; results will be noisy)' : ''));
  const ks = new Keyspace(s.keys, s.minSize, s.maxSize);
  const loadDesc = s.loadRate !== null
    ? `a fixed ${fmt(s.loadRate)} req/s for every run`
    : s.loadBasis === 'min'
      ? `${s.loadShare} x the lowest peak of the round, the same rate for every system (the clusters of a round are all prepared first; the others idle meanwhile)`
      : `${s.loadShare} x each run's own measured peak (per system, per run)`;
  const setup = [
    `${s.rounds} rounds of ${s.variants.map((v) => v.label).join(', ')} (order reversed every round, a fresh cluster every run)`,
    `${fmt(s.keys)} keys of 16 B, values ${s.minSize}..${s.maxSize} B uniform (mean ${fmt(ks.meanValueSize)} B), ${mb(ks.totalBytes)} MB of keys + values`,
    `3 shards x ${s.replicas} replicas (the new shard: none); corral's 4th node joins by ${s.join === 'join' ? 'CORRAL JOIN after RESHARD ADD' : '--coordinator (a replica first, synced before the measurement)'}`,
    `load: ioredis Cluster in a forked process, ${fmt((1 - s.setRatio) * 100)}% GET / ${fmt(s.setRatio * 100)}% SET of uniformly random keys; peak = closed loop with ${s.peakConcurrency} in flight over ${s.peakS} s; ` +
      `steady open loop at ${loadDesc}; latency = completion - scheduled time (service: completion - send; send lag: send - scheduled)`,
    `windows: ${s.warmupS} s warm-up (not counted), ${s.beforeS} s before, the move, ${s.afterS} s after`,
    `redis: add-node + rebalance --cluster-use-empty-masters, --cluster-pipeline ${s.redisPipeline ?? 'default (10)'}; ioredis commandTimeout ${s.commandTimeoutMs || 'none'}, maxRedirections ${s.maxRedirections ?? 'default (16)'}`,
  ];
  for (const l of setup) console.log(l);
  const runs: RunRecord[] = [];
  try {
    for (let round = 1; round <= s.rounds; round++) {
      const order = round % 2 === 1 ? s.variants : [...s.variants].reverse();
      if (s.loadRate !== null || s.loadBasis === 'per-system') {
        for (const v of order) {
          const p = await prepare(v, round, s, ks, reg);
          if (p.rec.error === undefined) {
            const rate = s.loadRate ?? Math.max(1, Math.round(p.rec.peak!.opsPerSec * s.loadShare));
            await measure(p, rate, s.loadRate !== null ? 'fixed, --load-rate' : `${s.loadShare} x this run's peak`, s, ks);
          }
          await finish(p, reg);
          if (interrupted) return never();
          runs.push(p.rec);
        }
      } else {
        // Every system of the round prepared first (each idle while the others are measured),
        // then all at the same rate: the lowest peak's share.
        const preps: Prepared[] = [];
        try {
          for (const v of order) preps.push(await prepare(v, round, s, ks, reg));
          const ok = preps.filter((p) => p.rec.error === undefined);
          const low = ok.reduce<Prepared | null>((a, p) => (a === null || p.rec.peak!.opsPerSec < a.rec.peak!.opsPerSec ? p : a), null);
          for (const p of preps) {
            if (p.rec.error === undefined && low !== null) {
              const rate = Math.max(1, Math.round(low.rec.peak!.opsPerSec * s.loadShare));
              await measure(p, rate, `${s.loadShare} x the lowest peak of the round (${low.v.label}, ${fmt(low.rec.peak!.opsPerSec)} req/s)`, s, ks);
            }
            await finish(p, reg);
            if (interrupted) return never();
          }
        } finally {
          for (const p of preps) await finish(p, reg);
        }
        runs.push(...preps.map((p) => p.rec));
      }
    }
  } finally {
    await reg.stopAll();
    removeHandlers();
  }
  const sum = summarize(runs, s.variants);
  const tgt = targets(sum);
  const stamp = isoStamp(started);
  const jsonName = `reshard-${stamp}.json`;
  const md = [
    `# Adding a 4th shard under load: corral vs Redis 7 Cluster — ${started.toISOString()}`,
    '',
    `- CPU: ${machine.cpuModel} (${machine.cores} cores), memory ${machine.memoryGiB} GiB, ${machine.os}`,
    `- node ${machine.node}, redis-server ${machine.redisServer}, corral commit ${machine.gitCommit}; background load before start ${fmt(backgroundCores, 2)} cores`,
    ...setup.map((l) => `- ${l}`),
    `- move: corral from CORRAL RESHARD ADD until CORRAL TOPOLOGY has no plan; redis from add-node until rebalance exits (in brackets: ` +
      `the rebalance alone, after every node reports cluster_state:ok and knows the new node — rebalance fails with CLUSTERDOWN before). ` +
      `moved MB/s: key + value bytes of the slots whose owner changed / move time (both systems); RESHARD STATUS MB/s: corral's bytes_moved / move time`,
    `- medians over the runs; client errors (errors ioredis returned to the caller + requests unanswered at the end) and GET misses (nil for a loaded key) are sums`,
    '',
    tables(sum),
    '',
    'Targets:',
    ...tgt,
    '',
    `Raw runs (per-second timeline, move progress, errors): bench/results/${jsonName}`,
  ].join('\n');
  const errors = runs.filter((r) => !r.ok).map((r) => `round ${r.round} ${r.label}: ${r.error}`);
  const json = JSON.stringify(
    { kind: 'reshard-bench', started: started.toISOString(), finished: new Date().toISOString(), machine, backgroundCores, settings: s, summary: sum, targets: tgt, runs, errors, summaryMarkdown: md },
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    2,
  );
  const file = writeResult(resultsDir, jsonName, json + '\n');
  writeResult(resultsDir, 'reshard-latest.md', md + '\n');
  console.log('\n' + md);
  if (errors.length > 0) {
    console.log('\nFailed runs:');
    for (const e of errors) console.log(`- ${e.split('\n').slice(0, 8).join('\n  ')}`);
    process.exitCode = 1;
  }
  console.log(`\nwrote ${path.relative(repoRoot, file)} and bench/results/reshard-latest.md`);
}

main().catch((err: unknown) => {
  if (interrupted) return;
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
