// bench/lib/reshard-records.ts — what the resharding benchmark (bench/reshard-bench.ts) records of
// one run: the RunRecord kept in the JSON result, the statistics of a load window (before / during /
// after the move), and the CPU samples that say how many cores each side used in a window.

import { cpuMicros, machineBusyMicros } from './procs.js';
import { LogHistogram } from './log-histogram.js';
import type { ReshardLoad } from './reshard-load.js';
import type { PeakResult, PhaseStats, SecondStats } from './reshard-load-worker.js';
import type { MoveProgress, ReshardSystem } from './reshard-clusters.js';

export interface WindowStats {
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
  /** ioredis slot-map refreshes, and slow requests (service over 5 ms) on moved / other slots
   *  (PhaseStats). */
  refreshes: number;
  slowOnMovedSlots: number;
  slowOnOtherSlots: number;
  onMovedSlots: number;
  /** Cores used in the window: the old shards' processes, the new node, the load generator, this
   *  harness, everything else. */
  cores: { old: number; new: number; load: number; harness: number; other: number };
}

export interface RunRecord {
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
  /** MOVED / ASK / TRYAGAIN replies the nodes sent during the move (INFO errorstats). */
  redirects?: Record<string, number>;
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

export interface CpuSnap {
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

export function snap(sys: ReshardSystem, load: ReshardLoad): CpuSnap {
  return {
    at: performance.now(),
    old: sys.oldPids().reduce((a, p) => a + safeCpu(p), 0),
    new: safeCpu(sys.newPid()),
    load: safeCpu(load.pid),
    machine: machineBusyMicros(),
    self: safeCpu(process.pid),
  };
}

export function cores(a: CpuSnap, b: CpuSnap): WindowStats['cores'] {
  const us = (b.at - a.at) * 1000;
  const c = (k: keyof CpuSnap): number => (b[k] - a[k]) / us;
  return { old: c('old'), new: c('new'), load: c('load'), harness: c('self'), other: Math.max(0, c('machine') - c('old') - c('new') - c('load') - c('self')) };
}

export function windowOf(p: PhaseStats | undefined, cpu: WindowStats['cores']): WindowStats {
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
    refreshes: p.refreshes, slowOnMovedSlots: p.slowOnMovedSlots, slowOnOtherSlots: p.slowOnOtherSlots,
    onMovedSlots: p.onMovedSlots,
  };
}
