// bench/lib/failover-fullsync.ts — Part 3 of the failover benchmark (bench/failover-bench.ts):
// the primary's latency while a fresh replica full-syncs. Its records (Window, SyncRound,
// SyncSummary), the latency windows and the sync timeline cut from the load generator's slices,
// one round (oneSync), the run (runFullSync) and its table.

import { cpuMicros, machineBusyMicros, sleep, stopServer, type ServerProc } from './procs.js';
import { fmt, markdownTable, median } from './report.js';
import { LogHistogram } from './log-histogram.js';
import { loadKeys } from './resp.js';
import { infoOf, query } from './cluster-state.js';
import {
  epochNow, replicaOf, startStandalone, SyncLoad, waitReplicaSynced,
  type StandaloneSetup, type SystemName,
} from './standalone-replication.js';
import type { SyncLoadResult } from './sync-load-worker.js';
import { corralMain, repoRoot, type Settings } from './failover-settings.js';
import { firstLine, interrupted, never, type ErrorRecord, type Registry } from './failover-common.js';

const TARGET_SYNC_P99_RATIO = 2;

export interface Window {
  fromEpochMs: number;
  toEpochMs: number;
  requests: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export interface SyncRound {
  round: number;
  system: SystemName;
  ok: boolean;
  error?: string;
  baseline?: Window;
  sync?: Window;
  after?: Window;
  syncMs: number;
  p99Ratio: number;
  primaryCoresBaseline: number;
  primaryCoresSync: number;
  replicaCoresSync: number;
  /**
   * CPU used by everything but the primary, the replica, the load generator and this harness, in
   * cores: other work on the machine (noise), plus, during a Redis sync, its fork child.
   */
  otherCoresBaseline: number;
  otherCoresSync: number;
  replicaKeys: number | null;
  fullSyncs: number | null;
  load?: Omit<SyncLoadResult, 'slices' | 'sendLag'> & { sendLagP99Us: number };
  /**
   * The sync window slice by slice: [ms since REPLICAOF, requests, p99 µs, max µs, requests slower
   * than twice the baseline's p99 (the target's line)].
   */
  syncTimeline?: Array<[number, number, number, number, number]>;
}

export interface SyncSummary {
  system: SystemName;
  rounds: number;
  baselineP99Us: number;
  syncP99Us: number;
  p99Ratio: number;
  syncP999Us: number;
  syncMaxUs: number;
  syncMs: number;
  /** Median CPU of other processes on the machine (noise) in the baseline and sync windows. */
  otherCoresBaseline: number;
  otherCoresSync: number;
  meetsTarget: boolean | null;
}

function windowOf(res: SyncLoadResult, from: number, to: number): Window {
  const h = new LogHistogram();
  const first = Math.floor((from - res.originEpochMs) / res.sliceMs);
  const last = Math.floor((to - res.originEpochMs) / res.sliceMs);
  for (const [k, j] of res.slices) if (k >= first && k <= last) h.merge(LogHistogram.fromJSON(j));
  return {
    fromEpochMs: from, toEpochMs: to, requests: h.total,
    p50Us: h.quantile(0.5), p99Us: h.quantile(0.99), p999Us: h.quantile(0.999), maxUs: h.total > 0 ? h.max : NaN,
  };
}

/** Each slice of [from, to]: where in the window the slow requests were sent. */
function timelineOf(res: SyncLoadResult, from: number, to: number, slowUs: number): Array<[number, number, number, number, number]> {
  const first = Math.floor((from - res.originEpochMs) / res.sliceMs);
  const last = Math.floor((to - res.originEpochMs) / res.sliceMs);
  const out: Array<[number, number, number, number, number]> = [];
  for (const [k, j] of res.slices) {
    if (k < first || k > last) continue;
    const h = LogHistogram.fromJSON(j);
    out.push([Math.round(res.originEpochMs + k * res.sliceMs - from), h.total, h.quantile(0.99), h.max, h.countAbove(slowUs)]);
  }
  return out;
}

async function oneSync(system: SystemName, primary: ServerProc, round: number, s: Settings, setup: StandaloneSetup, reg: Registry): Promise<SyncRound> {
  const rec: SyncRound = {
    round, system, ok: false, syncMs: NaN, p99Ratio: NaN, primaryCoresBaseline: NaN, primaryCoresSync: NaN, replicaCoresSync: NaN,
    otherCoresBaseline: NaN, otherCoresSync: NaN, replicaKeys: null, fullSyncs: null,
  };
  const replica = await startStandalone(system, setup, `${system} replica (round ${round})`);
  const load = new SyncLoad();
  reg.loads.add(load);
  try {
    const syncFull0 = Number((await infoOf(primary.port, 'stats'))['sync_full']);
    await load.start({
      port: primary.port, conns: s.syncConns, rate: s.syncRate, setRatio: s.syncSetRatio, keys: s.syncKeys,
      valueSize: s.syncValueSize, sliceMs: s.sliceMs, seed: 0x5eed + round,
    });
    await sleep(s.syncWarmupS * 1000);
    // CPU readings: the primary, the replica, the generator, and the whole machine.
    const cpu = (): number[] => [cpuMicros(primary.pid), cpuMicros(replica.pid), cpuMicros(load.pid), machineBusyMicros(), cpuMicros(process.pid)];
    const baseFrom = epochNow();
    const cpuA = cpu();
    await sleep(s.syncBaselineS * 1000);
    const baseTo = epochNow();
    const cpuB = cpu();
    const syncFrom = epochNow();
    const t0 = performance.now();
    await replicaOf(system, replica, primary.port);
    const doneAt = await waitReplicaSynced(replica, primary, s.syncTimeoutS * 1000, 20);
    const syncTo = performance.timeOrigin + doneAt;
    const cpuC = cpu();
    rec.syncMs = doneAt - t0;
    const cores = (a: number[], b: number[], i: number, ms: number): number => (b[i]! - a[i]!) / (ms * 1000);
    const other = (a: number[], b: number[], ms: number): number =>
      Math.max(0, cores(a, b, 3, ms) - cores(a, b, 0, ms) - cores(a, b, 1, ms) - cores(a, b, 2, ms) - cores(a, b, 4, ms));
    rec.primaryCoresBaseline = cores(cpuA, cpuB, 0, baseTo - baseFrom);
    rec.primaryCoresSync = cores(cpuB, cpuC, 0, syncTo - syncFrom);
    rec.replicaCoresSync = cores(cpuB, cpuC, 1, syncTo - syncFrom);
    rec.otherCoresBaseline = other(cpuA, cpuB, baseTo - baseFrom);
    rec.otherCoresSync = other(cpuB, cpuC, syncTo - syncFrom);
    await sleep(s.syncAfterS * 1000);
    const afterTo = epochNow();
    const res = await load.stop(1000);
    rec.baseline = windowOf(res, baseFrom, baseTo - 1e-6);
    rec.sync = windowOf(res, syncFrom, syncTo);
    rec.after = windowOf(res, syncTo + s.sliceMs, afterTo);
    rec.p99Ratio = rec.sync.p99Us / rec.baseline.p99Us;
    rec.syncTimeline = timelineOf(res, syncFrom, syncTo, TARGET_SYNC_P99_RATIO * rec.baseline.p99Us);
    const { slices: _s, sendLag, ...rest } = res;
    rec.load = { ...rest, sendLagP99Us: LogHistogram.fromJSON(sendLag).quantile(0.99) };
    const dbsize = await query(replica.port, ['DBSIZE']).catch(() => null);
    rec.replicaKeys = typeof dbsize === 'number' ? dbsize : null;
    const syncFull1 = Number((await infoOf(primary.port, 'stats'))['sync_full']);
    rec.fullSyncs = Number.isFinite(syncFull0) && Number.isFinite(syncFull1) ? syncFull1 - syncFull0 : null;
    rec.ok = true;
  } catch (err) {
    rec.error = firstLine(err);
  } finally {
    await load.close();
    reg.loads.delete(load);
    await stopServer(replica);
  }
  return rec;
}

export async function runFullSync(s: Settings, reg: Registry, errors: ErrorRecord[]): Promise<{ rounds: SyncRound[]; summary: SyncSummary[] }> {
  const setup: StandaloneSetup = { repoRoot, corralMain, workDir: reg.workDir, track: (p) => reg.servers.add(p) };
  const primaries = new Map<SystemName, ServerProc>();
  const rounds: SyncRound[] = [];
  const failed = new Set<SystemName>();
  try {
    for (const system of s.systems) {
      try {
        const redisArgs = ['--repl-diskless-sync-delay', String(s.redisSyncDelay)];
        const primary = await startStandalone(system, setup, `${system} primary`, system === 'redis' ? redisArgs : []);
        primaries.set(system, primary);
        const t0 = performance.now();
        const r = await loadKeys({ port: primary.port, keys: s.syncKeys, valueSize: s.syncValueSize });
        if (interrupted) return never();
        const dbsize = await query(primary.port, ['DBSIZE']);
        if (r.errors > 0 || dbsize !== s.syncKeys) throw new Error(`loading ${s.syncKeys} keys: ${r.errors} errors (${r.firstError}), DBSIZE ${String(dbsize)}`);
        console.log(`  ${system}: primary port ${primary.port} pid ${primary.pid}, ${fmt(s.syncKeys)} keys x ${s.syncValueSize} B loaded in ${fmt((performance.now() - t0) / 1000, 1)} s`);
      } catch (err) {
        if (interrupted) return never();
        failed.add(system);
        errors.push({ part: 'fullsync', system, error: firstLine(err) });
        console.log(`  ${system}: FAILED: ${firstLine(err)}`);
      }
    }
    for (let round = 1; round <= s.syncRounds; round++) {
      const live = s.systems.filter((x) => primaries.has(x) && !failed.has(x));
      const order = round % 2 === 1 ? live : [...live].reverse();
      for (const system of order) {
        const rec = await oneSync(system, primaries.get(system)!, round, s, setup, reg);
        if (interrupted) return never();
        rounds.push(rec);
        if (!rec.ok) {
          failed.add(system);
          errors.push({ part: 'fullsync', system, error: rec.error ?? 'failed' });
          console.log(`[round ${round}] ${system.padEnd(6)} FAILED: ${rec.error}`);
          continue;
        }
        const us = (x: number): string => `${fmt(x / 1000, 2)} ms`;
        console.log(
          `[round ${round}] ${system.padEnd(6)} sync ${fmt(rec.syncMs)} ms (full syncs ${rec.fullSyncs ?? 'n/a'}, replica keys ${rec.replicaKeys ?? 'n/a'}); ` +
            `p99 baseline ${us(rec.baseline!.p99Us)} -> sync ${us(rec.sync!.p99Us)} (x${fmt(rec.p99Ratio, 2)}), ` +
            `p99.9 ${us(rec.baseline!.p999Us)} -> ${us(rec.sync!.p999Us)}, max during sync ${us(rec.sync!.maxUs)}; ` +
            `primary cores ${fmt(rec.primaryCoresBaseline, 2)} -> ${fmt(rec.primaryCoresSync, 2)}, replica ${fmt(rec.replicaCoresSync, 2)}, ` +
            `other processes ${fmt(rec.otherCoresBaseline, 2)} -> ${fmt(rec.otherCoresSync, 2)}; ` +
            `load ${fmt(rec.load!.answered)} replies, ${rec.load!.errors} errors, ${rec.load!.unanswered} unanswered, send lag p99 ${us(rec.load!.sendLagP99Us)}`,
        );
      }
    }
  } finally {
    for (const p of primaries.values()) await stopServer(p);
  }
  const summary: SyncSummary[] = s.systems.map((system) => {
    const ok = rounds.filter((r) => r.system === system && r.ok);
    const ratio = median(ok.map((r) => r.p99Ratio));
    return {
      system, rounds: ok.length,
      baselineP99Us: median(ok.map((r) => r.baseline!.p99Us)),
      syncP99Us: median(ok.map((r) => r.sync!.p99Us)),
      p99Ratio: ratio,
      syncP999Us: median(ok.map((r) => r.sync!.p999Us)),
      syncMaxUs: median(ok.map((r) => r.sync!.maxUs)),
      syncMs: median(ok.map((r) => r.syncMs)),
      otherCoresBaseline: median(ok.map((r) => r.otherCoresBaseline)),
      otherCoresSync: median(ok.map((r) => r.otherCoresSync)),
      meetsTarget: Number.isFinite(ratio) ? ratio <= TARGET_SYNC_P99_RATIO : null,
    };
  });
  return { rounds, summary };
}

export function fullSyncTable(rows: SyncSummary[]): string {
  const ms = (us: number): string => fmt(us / 1000, 2);
  return markdownTable(
    ['system', 'rounds', 'sync ms', 'p99 before ms', 'p99 during sync ms', 'p99 ratio', 'p99.9 during ms', 'max during ms',
      'other cores before/during', `target <= ${TARGET_SYNC_P99_RATIO}x`],
    rows.map((r) => [
      r.system, String(r.rounds), fmt(r.syncMs), ms(r.baselineP99Us), ms(r.syncP99Us), fmt(r.p99Ratio, 2), ms(r.syncP999Us), ms(r.syncMaxUs),
      `${fmt(r.otherCoresBaseline, 2)} / ${fmt(r.otherCoresSync, 2)}`,
      r.meetsTarget === null ? 'n/a' : r.meetsTarget ? 'met' : 'MISSED',
    ]),
  );
}
