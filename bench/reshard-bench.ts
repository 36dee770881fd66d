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
import { parseArgs } from 'node:util';
import { cpuMicros, machineBusyMicros, onInterrupt, sleep } from './lib/procs.js';
import { describeMachine, fmt, isoStamp, machineInfo, markdownTable, median, positiveIntFlag, writeResult } from './lib/report.js';
import { LogHistogram } from './lib/log-histogram.js';
import { dbsize, Keyspace, loadCluster, slotCounts, slotOwners } from './lib/reshard-keys.js';
import { ReshardLoad } from './lib/reshard-load.js';
import type { OpenResult, PeakResult, PhaseStats, SecondStats } from './lib/reshard-load-worker.js';
import { CorralReshardCluster, RedisReshardCluster, type JoinMode, type MoveProgress, type ReshardSystem } from './lib/reshard-clusters.js';
import { parseMemory } from '../src/server/config.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = path.join(repoRoot, 'bench', 'results');
const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

const TARGET_P99_RATIO = 2;
const CORRAL_DEFAULT_RATE = 64 * 1024 * 1024;

let interrupted = false;
const never = (): Promise<never> => new Promise<never>(() => {});

const HELP = `Usage: node dist/bench/reshard-bench.js [flags]   (npm run bench:reshard -- [flags])

Adds a 4th shard to a 3-shard cluster holding --keys keys under a steady GET/SET load, corral
(CORRAL RESHARD ADD) side by side with Redis 7 Cluster (redis-cli --cluster add-node + rebalance;
redis-server and redis-cli must be installed). A fresh cluster per run, systems alternating.
Results: bench/results/reshard-<timestamp>.json and bench/results/reshard-latest.md.

  --rounds N              rounds; each runs every system once, order reversed every round (default 2)
  --systems LIST          redis,corral (default both)
  --keys N                keys loaded (default 1000000)
  --min-size N            smallest value, bytes (default 16)
  --max-size N            largest value, bytes (default 4096); sizes uniform in between, fixed per key
  --replicas N            replicas per shard of the first 3 shards, both systems (default 0; the new
                          shard gets none)
  --rate R                corral's RATE (bytes/s per source: 16mb, 64mb, 0 = no limit); default:
                          RATE omitted, i.e. corral's default (${CORRAL_DEFAULT_RATE / 2 ** 20}mb)
  --rates LIST            corral at each of these rates, one run each per round (e.g.
                          16mb,default,0); overrides --rate
  --join MODE             how corral's 4th node joins: join (started without a coordinator, CORRAL
                          JOIN after ADD, as corral cluster add-shard does; default) or coordinator
                          (started with --coordinator: placed as a replica first and synced, then ADD)
  --set-ratio X           share of SETs in the load (default 0.1)
  --load-share X          the steady load as a share of the measured peak (default 0.5)
  --load-basis B          min: every system of a round prepared first (started, loaded, peak
                          measured), then all run at --load-share x the round's LOWEST peak
                          (default; holds every system's cluster of the round at once: with
                          --rates and 1M keys, ~2-3 GB each); per-system: each run at
                          --load-share x its own peak
  --load-rate N           a fixed steady load, requests/s, for every run (overrides --load-share)
  --peak-concurrency N    requests in flight while measuring the peak (default 64)
  --peak-s N              seconds measured for the peak, after 1 s of warm-up (default 5)
  --warmup-s N            unrecorded seconds of steady load first (default 3)
  --before-s N            the "before" window, seconds (default 10)
  --after-s N             the "after" window, seconds (default 10)
  --move-timeout-s N      give up on a move after this (default 1800)
  --redis-pipeline N      redis-cli rebalance --cluster-pipeline (keys per MIGRATE; default: redis-cli's 10)
  --command-timeout-ms N  ioredis commandTimeout of the load client (default 0: none, ioredis's default)
  --max-redirections N    ioredis maxRedirections (default: ioredis's 16)
  --help                  this text
`;

interface Variant {
  system: 'redis' | 'corral';
  /** corral's RATE argument, null: omitted. */
  rate: string | null;
  label: string;
}

interface Settings {
  rounds: number;
  variants: Variant[];
  keys: number;
  minSize: number;
  maxSize: number;
  replicas: number;
  join: JoinMode;
  setRatio: number;
  loadShare: number;
  loadBasis: 'min' | 'per-system';
  loadRate: number | null;
  peakConcurrency: number;
  peakS: number;
  warmupS: number;
  beforeS: number;
  afterS: number;
  moveTimeoutS: number;
  redisPipeline: number | null;
  commandTimeoutMs: number;
  maxRedirections: number | null;
}

function nonNegIntFlag(s: string | undefined, what: string, dflt: number): number {
  if (s === undefined || s === '') return dflt;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what}: expected a non-negative integer, got "${s}"`);
  return n;
}

function shareFlag(s: string | undefined, what: string, dflt: number, allowZero: boolean): number {
  if (s === undefined || s === '') return dflt;
  const n = Number(s);
  if (!(n >= 0 && n <= 1) || (!allowZero && n === 0)) throw new Error(`${what}: expected a number ${allowZero ? 'from 0' : 'above 0'} to 1, got "${s}"`);
  return n;
}

function rateBytes(rate: string | null): number {
  return rate === null ? CORRAL_DEFAULT_RATE : parseMemory(rate)!;
}

function corralVariant(rate: string | null): Variant {
  return { system: 'corral', rate, label: rate === null ? 'corral' : `corral RATE ${rate}` };
}

function parseSettings(): Settings | null {
  const str = { type: 'string' } as const;
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      rounds: str, systems: str, keys: str, 'min-size': str, 'max-size': str, replicas: str, rate: str, rates: str, join: str,
      'set-ratio': str, 'load-share': str, 'load-basis': str, 'load-rate': str, 'peak-concurrency': str, 'peak-s': str, 'warmup-s': str,
      'before-s': str, 'after-s': str, 'move-timeout-s': str, 'redis-pipeline': str, 'command-timeout-ms': str, 'max-redirections': str,
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return null;
  }
  const systems = (values.systems ?? 'redis,corral').split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const x of systems) if (x !== 'redis' && x !== 'corral') throw new Error(`--systems: unknown system "${x}" (redis, corral)`);
  const checkRate = (r: string): string | null => {
    if (r === 'default') return null;
    const n = parseMemory(r);
    if (n === undefined || n < 0) throw new Error(`--rate(s): "${r}" is not a number of bytes per second (e.g. 16mb, 64mb, 0, default)`);
    return r;
  };
  const rates = values.rates !== undefined
    ? values.rates.split(',').map((x) => x.trim()).filter((x) => x !== '').map(checkRate)
    : [values.rate === undefined ? null : checkRate(values.rate)];
  const variants: Variant[] = [];
  for (const x of systems) {
    if (x === 'redis') variants.push({ system: 'redis', rate: null, label: 'redis' });
    else for (const r of rates) variants.push(corralVariant(r));
  }
  const basis = values['load-basis'] ?? 'min';
  if (basis !== 'min' && basis !== 'per-system') throw new Error(`--load-basis: expected min or per-system, got "${basis}"`);
  const join = values.join ?? 'join';
  if (join !== 'join' && join !== 'coordinator') throw new Error(`--join: expected join or coordinator, got "${join}"`);
  const minSize = positiveIntFlag(values['min-size'], '--min-size', 16);
  const maxSize = positiveIntFlag(values['max-size'], '--max-size', 4096);
  if (minSize < 12 || maxSize < minSize || maxSize > 65535) throw new Error('--min-size / --max-size: need 12 <= min <= max <= 65535');
  return {
    rounds: positiveIntFlag(values.rounds, '--rounds', 2),
    variants,
    keys: positiveIntFlag(values.keys, '--keys', 1_000_000),
    minSize,
    maxSize,
    replicas: nonNegIntFlag(values.replicas, '--replicas', 0),
    join,
    setRatio: shareFlag(values['set-ratio'], '--set-ratio', 0.1, true),
    loadShare: shareFlag(values['load-share'], '--load-share', 0.5, false),
    loadBasis: basis,
    loadRate: values['load-rate'] === undefined ? null : positiveIntFlag(values['load-rate'], '--load-rate', 1),
    peakConcurrency: positiveIntFlag(values['peak-concurrency'], '--peak-concurrency', 64),
    peakS: positiveIntFlag(values['peak-s'], '--peak-s', 5),
    warmupS: nonNegIntFlag(values['warmup-s'], '--warmup-s', 3),
    beforeS: positiveIntFlag(values['before-s'], '--before-s', 10),
    afterS: positiveIntFlag(values['after-s'], '--after-s', 10),
    moveTimeoutS: positiveIntFlag(values['move-timeout-s'], '--move-timeout-s', 1800),
    redisPipeline: values['redis-pipeline'] === undefined ? null : positiveIntFlag(values['redis-pipeline'], '--redis-pipeline', 10),
    commandTimeoutMs: nonNegIntFlag(values['command-timeout-ms'], '--command-timeout-ms', 0),
    maxRedirections: values['max-redirections'] === undefined ? null : positiveIntFlag(values['max-redirections'], '--max-redirections', 16),
  };
}

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

interface WindowStats {
  fromEpochMs: number;
  toEpochMs: number;
  seconds: number;
  requests: number;
  /** Completed requests per second over the window. */
  throughput: number;
  errors: number;
  misses: number;
  unanswered: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  serviceP99Us: number;
  sendLagP99Us: number;
  errorKinds: Record<string, number>;
  /** Cores used in the window: the old shards' processes, the new node, the load generator, everything else. */
  cores: { old: number; new: number; load: number; other: number };
}

interface RunRecord {
  round: number;
  label: string;
  system: 'redis' | 'corral';
  rate: string | null;
  ok: boolean;
  error?: string;
  cluster?: string;
  loadMs?: number;
  loadErrors?: number;
  loadPasses?: number;
  loadFirstError?: string | null;
  /** corral: lines of its nodes' output about the control plane, the mover or trouble. */
  nodeLog?: { lines: string[]; dropped: number };
  peak?: Omit<PeakResult, 'latency'> & { p99Us: number };
  loadRate?: number;
  loadRateBasis?: string;
  moveMs?: number;
  /** redis: the rebalance alone (after add-node and the wait until every node knows the new one). */
  rebalanceMs?: number;
  moved?: { slots: number; keys: number; bytes: number };
  /** Key + value bytes of the moved slots per second of the move. */
  payloadBytesPerSec?: number;
  reportedBytes?: number | null;
  reportedKeys?: number | null;
  reportedBytesPerSec?: number;
  shareMoved?: number;
  newNodeSlots?: number;
  newNodeKeys?: number;
  shareOnNewNode?: number;
  dbsizeTotal?: number;
  slotsPerNode?: Record<string, number>;
  windows?: { before: WindowStats; during: WindowStats; after: WindowStats };
  clientErrors?: number;
  misses?: number;
  p99Ratio?: number;
  move?: Record<string, unknown>;
  progress?: MoveProgress[];
  timeline?: SecondStats[];
  clusterEvents?: Record<string, number>;
  firstErrors?: string[];
}

interface CpuSnap {
  at: number;
  old: number;
  new: number;
  load: number;
  machine: number;
  self: number;
}

function safeCpu(pid: number): number {
  if (pid <= 0) return 0;
  try {
    return cpuMicros(pid);
  } catch {
    return NaN;
  }
}

function snap(sys: ReshardSystem, load: ReshardLoad): CpuSnap {
  return {
    at: performance.now(),
    old: sys.oldPids().reduce((a, p) => a + safeCpu(p), 0),
    new: safeCpu(sys.newPid()),
    load: safeCpu(load.pid),
    machine: machineBusyMicros(),
    self: safeCpu(process.pid),
  };
}

function cores(a: CpuSnap, b: CpuSnap): WindowStats['cores'] {
  const us = (b.at - a.at) * 1000;
  const c = (k: keyof CpuSnap): number => (b[k] - a[k]) / us;
  return { old: c('old'), new: c('new'), load: c('load'), other: Math.max(0, c('machine') - c('old') - c('new') - c('load') - c('self')) };
}

function windowOf(p: PhaseStats | undefined, cpu: WindowStats['cores']): WindowStats {
  if (p === undefined) throw new Error('a load phase is missing');
  const h = LogHistogram.fromJSON(p.latency);
  const seconds = (p.toEpochMs - p.fromEpochMs) / 1000;
  return {
    fromEpochMs: p.fromEpochMs, toEpochMs: p.toEpochMs, seconds, requests: p.issued,
    throughput: (p.ok + p.misses + p.errors) / seconds,
    errors: p.errors, misses: p.misses, unanswered: p.unanswered,
    p50Us: h.quantile(0.5), p99Us: h.quantile(0.99), p999Us: h.quantile(0.999), maxUs: h.total > 0 ? h.max : NaN,
    serviceP99Us: LogHistogram.fromJSON(p.service).quantile(0.99),
    sendLagP99Us: LogHistogram.fromJSON(p.sendLag).quantile(0.99),
    errorKinds: p.errorKinds, cores: cpu,
  };
}

const ms = (us: number): string => fmt(us / 1000, 2);
const mb = (bytes: number): string => fmt(bytes / 2 ** 20, 1);
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
    const move = await sys.move({
      rate: p.v.rate, timeoutMs: s.moveTimeoutS * 1000, redisPipeline: s.redisPipeline, log: (l) => say(`  ${l}`),
    });
    await load.phase('after');
    const cC = snap(sys, load);
    if (interrupted) return never();
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
        `cores during: old ${fmt(d.cores.old, 2)}, new ${fmt(d.cores.new, 2)}, load ${fmt(d.cores.load, 2)}, other ${fmt(d.cores.other, 2)}; ` +
        `load send lag p99 before/during ${ms(b.sendLagP99Us)}/${ms(d.sendLagP99Us)} ms`,
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
// Summary

interface Summary {
  label: string;
  system: 'redis' | 'corral';
  rate: string | null;
  rounds: number;
  failed: number;
  peak: number;
  loadRate: number;
  moveS: number;
  rebalanceS: number;
  payloadMBps: number;
  reportedMBps: number;
  shareMoved: number;
  shareOnNewNode: number;
  /** Sum over the rounds. */
  clientErrors: number;
  misses: number;
  p50: [number, number, number];
  p99: [number, number, number];
  p999: [number, number, number];
  p99Ratio: number;
}

function summarize(runs: RunRecord[], variants: Variant[]): Summary[] {
  return variants.map((v) => {
    const all = runs.filter((r) => r.label === v.label);
    const ok = all.filter((r) => r.ok);
    const m = (f: (r: RunRecord) => number): number => median(ok.map(f));
    const tri = (f: (w: WindowStats) => number): [number, number, number] => [m((r) => f(r.windows!.before)), m((r) => f(r.windows!.during)), m((r) => f(r.windows!.after))];
    return {
      label: v.label, system: v.system, rate: v.rate, rounds: ok.length, failed: all.length - ok.length,
      peak: m((r) => r.peak!.opsPerSec), loadRate: m((r) => r.loadRate!),
      moveS: m((r) => r.moveMs! / 1000), rebalanceS: m((r) => (r.rebalanceMs ?? NaN) / 1000), payloadMBps: m((r) => r.payloadBytesPerSec! / 2 ** 20),
      reportedMBps: m((r) => (r.reportedBytesPerSec ?? NaN) / 2 ** 20),
      shareMoved: m((r) => r.shareMoved!), shareOnNewNode: m((r) => r.shareOnNewNode!),
      clientErrors: ok.reduce((a, r) => a + r.clientErrors!, 0), misses: ok.reduce((a, r) => a + r.misses!, 0),
      p50: tri((w) => w.p50Us), p99: tri((w) => w.p99Us), p999: tri((w) => w.p999Us), p99Ratio: m((r) => r.p99Ratio!),
    };
  });
}

function tables(sum: Summary[]): string {
  const moveTable = markdownTable(
    ['system', 'ok runs', 'peak req/s', 'load req/s', 'move s', 'moved MB/s', 'RESHARD STATUS MB/s', 'keys moved', 'keys on new node', 'client errors', 'GET misses'],
    sum.map((r) => [
      r.label, `${r.rounds}${r.failed > 0 ? ` (+${r.failed} failed)` : ''}`, fmt(r.peak), fmt(r.loadRate), fmt(r.moveS, 2) + (Number.isFinite(r.rebalanceS) ? ` (rebalance ${fmt(r.rebalanceS, 2)})` : ''), fmt(r.payloadMBps, 1),
      fmt(r.reportedMBps, 1), `${fmt(r.shareMoved * 100, 1)}%`, `${fmt(r.shareOnNewNode * 100, 1)}%`, fmt(r.clientErrors), fmt(r.misses),
    ]),
  );
  const tri = (x: [number, number, number]): string => x.map(ms).join(' / ');
  const latTable = markdownTable(
    ['system', 'p50 ms before / during / after', 'p99 ms before / during / after', 'p99.9 ms before / during / after', 'p99 during/before'],
    sum.map((r) => [r.label, tri(r.p50), tri(r.p99), tri(r.p999), fmt(r.p99Ratio, 2)]),
  );
  return `${moveTable}\n\n${latTable}`;
}

function targets(sum: Summary[]): string[] {
  const out: string[] = [];
  const corral = sum.filter((r) => r.system === 'corral' && r.rounds > 0);
  const redis = sum.find((r) => r.system === 'redis' && r.rounds > 0);
  for (const c of corral) out.push(`- ${c.label}: client errors ${c.clientErrors} (target 0): ${c.clientErrors === 0 ? 'met' : 'MISSED'}`);
  if (redis !== undefined) out.push(`- redis: client errors ${redis.clientErrors} (counted, no target)`);
  const dflt = corral.find((c) => rateBytes(c.rate) === CORRAL_DEFAULT_RATE);
  if (dflt !== undefined) {
    out.push(`- ${dflt.label} (the default rate): p99 during/before x${fmt(dflt.p99Ratio, 2)} (target <= ${TARGET_P99_RATIO}x): ${dflt.p99Ratio <= TARGET_P99_RATIO ? 'met' : 'MISSED'}`);
  } else if (corral.length > 0) {
    out.push(`- p99 during/before at the default rate: not run (no corral run at ${CORRAL_DEFAULT_RATE / 2 ** 20}mb)`);
  }
  if (redis !== undefined && corral.length > 0) {
    const eq = corral.filter((c) => c.p99[1] <= redis.p99[1]);
    if (eq.length === 0) {
      const best = corral.reduce((a, b) => (b.p99[1] < a.p99[1] ? b : a));
      out.push(`- as fast as Redis at equal p99: no corral run had a p99 during the move at or below Redis's (${ms(redis.p99[1])} ms; lowest corral ${ms(best.p99[1])} ms, ${best.label}): ` +
        `not comparable at equal p99; ${corral.map((c) => `${c.label} ${fmt(c.moveS, 1)} s`).join(', ')} vs redis ${fmt(redis.moveS, 1)} s`);
    } else {
      const fastest = eq.reduce((a, b) => (b.moveS < a.moveS ? b : a));
      out.push(`- as fast as Redis at equal p99: ${fastest.label} moved in ${fmt(fastest.moveS, 2)} s at p99 ${ms(fastest.p99[1])} ms vs redis ${fmt(redis.moveS, 2)} s at p99 ${ms(redis.p99[1])} ms: ` +
        `${fastest.moveS <= redis.moveS ? 'met' : 'MISSED'}`);
    }
  }
  return out;
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
      `steady open loop at ${loadDesc}; latency = completion - scheduled time`,
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
