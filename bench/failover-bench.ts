// bench/failover-bench.ts — replication and failover of corral side by side with Redis 7
// (`npm run bench:failover`). Three parts, each selectable with --parts:
//
// failover     Write unavailability after kill -9 of a primary, over --kills kills, and the
//              acknowledged writes lost per kill (plain SET acked by OK; SET + WAIT 1 acked by
//              WAIT >= 1). Clusters of 3 primaries + 1 replica each: Redis Cluster at each
//              --redis-timeouts cluster-node-timeout (default 15000, Redis's default, and 1000)
//              and corral (`corral up --shards 3 --replicas 1`), all started up front; kills
//              alternate between them (the order rotates each kill). Per kill: a shard
//              round-robin, its current primary and pid (INFO server process_id), a probe writer
//              and loss writers on that shard's slots (hash tags), kill -9, time until the first
//              write issued after the kill succeeds, then (Redis) the killed node restarted so it
//              rejoins as a replica (corral up restarts it itself), writers stopped, wait until
//              the cluster is whole (the node back as a replica and in sync), every key read back,
//              lost acknowledged writes counted with test/support/history.ts's lostWrites
//              (bench/lib/failover-history.ts maps the records). Every client is corral's own client
//              (src/client), the same for Redis and corral.
// replication  redis-benchmark SET at pipeline 1 and 16, one key and -r 100000, against a
//              standalone primary with one replica (REPLICAOF), corral vs Redis, alternating
//              rounds; ops/s, the corral/Redis ratio (target >= 0.9), the primary's (and
//              replica's) CPU per request from /proc, and how long the replica took to catch up.
// fullsync     The primary's p99 latency while a fresh replica full-syncs 1M keys vs its p99
//              just before (target <= 2x): 1M keys loaded pipelined, a steady open-loop GET/SET
//              load from a forked generator (bench/lib/sync-load-worker.ts), REPLICAOF, the sync
//              window lasting until the replica's INFO replication shows master_link_status:up
//              and master_sync_in_progress:0. Fresh replica each round, alternating order.
//
// Results: bench/results/failover-<ts>.json and a summary table on stdout. Every process it
// starts is stopped on exit, on error and on Ctrl-C / SIGTERM. `--help` lists the flags.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMicros, machineBusyMicros, onInterrupt, run, sleep, stopServer, type ServerProc } from './lib/procs.js';
import { parseBenchmarkCsv } from './lib/redis-benchmark.js';
import { describeMachine, fmt, isoStamp, machineInfo, markdownTable, median, positiveIntFlag, writeResult } from './lib/report.js';
import { LogHistogram } from './lib/log-histogram.js';
import { loadKeys } from './lib/resp.js';
import { infoOf, query, shardsOf, tagForSlot } from './lib/cluster-state.js';
import { corralSystem, redisSystem, type FailoverSystem } from './lib/failover-systems.js';
import { failoverClient, LossWriters, Probe, readBack, type ClientTuning, type ProbeResult } from './lib/failover-writers.js';
import { countLost, type LossCounts } from './lib/failover-history.js';
import {
  epochNow, replicaOf, startStandalone, SyncLoad, waitCaughtUp, waitReplicaSynced,
  type StandaloneSetup, type SystemName,
} from './lib/standalone-replication.js';
import type { SyncLoadResult } from './lib/sync-load-worker.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = path.join(repoRoot, 'bench', 'results');
const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

const PARTS = ['failover', 'replication', 'fullsync'] as const;
type Part = (typeof PARTS)[number];
const TARGET_REPL_RATIO = 0.9;
const TARGET_SYNC_P99_RATIO = 2;

/** Set by the SIGINT/SIGTERM handler, which stops everything and exits by itself. */
let interrupted = false;
const never = (): Promise<never> => new Promise<never>(() => {});

const HELP = `Usage: node dist/bench/failover-bench.js [flags]   (npm run bench:failover -- [flags])

Replication and failover, corral side by side with Redis 7 (redis-server, redis-cli and
redis-benchmark must be installed). Results: bench/results/failover-<timestamp>.json.

General
  --parts LIST              failover,replication,fullsync (default: all three)
  --systems LIST            redis,corral (default: both)
  --quick                   small settings, only to check that everything works
  --help                    this text

failover: write unavailability and lost writes after kill -9 of a primary
  --kills N                 kills per system (default 20; --quick 3)
  --redis-timeouts LIST     cluster-node-timeout values, one Redis Cluster each (default 15000,1000;
                            at 15000 a kill takes ~15-20 s)
  --write-timeout-ms N      client commandTimeout (and connectTimeout) of every writer (default 250)
  --retry-attempts N        client retries per command (default 3)
  --retry-base-ms N         client retry backoff base (default 10; max --retry-max-ms, default 50)
  --loss-writers N          writer loops of each kind (plain SET, SET + WAIT) per kill (default 2)
  --loss-rate N             writes/s per loop, 0 = unpaced (default 1000)
  --wait-timeout-ms N       the WAIT 1 <ms> timeout (default 100)
  --pre-kill-ms N           writers run this long before the kill (default 1000)
  --post-recovery-ms N      and this long after the first successful write (default 1000)
  --unavailable-timeout-s N give up on a kill if no write succeeds within this (default 120)
  --recovery-timeout-s N    wait at most this for the cluster to be whole again (default 180)

replication: redis-benchmark SET against a primary with one replica
  --rounds N                alternating rounds (default 3; --quick 1)
  --pipelines LIST          default 1,16
  --keyspaces LIST          0 = one key (redis-benchmark's default), N = -r N (default 0,100000)
  --requests N              per run (default P1 200000, P>1 2000000)
  --clients N               redis-benchmark -c (default 50)

fullsync: primary p99 while a fresh replica full-syncs
  --sync-rounds N           fresh replica per round, alternating order (default 3; --quick 1)
  --sync-keys N             keys loaded into the primary (default 1000000)
  --sync-value-size N       bytes per value (default 100)
  --sync-rate N             GET+SET requests/s of the steady load (default 10000)
  --sync-set-ratio X        share of SETs (default 0.2)
  --sync-conns N            connections of the load generator (default 8)
  --sync-baseline-s N       measured seconds before REPLICAOF (default 10)
  --sync-timeout-s N        give up if the sync takes longer (default 180)
  --slice-ms N              latency time-slice width (default 20)
  --redis-sync-delay N      Redis repl-diskless-sync-delay on the primary (default 0; Redis's own
                            default 5 would put 5 idle seconds into the sync window)
`;

interface Settings {
  parts: Part[];
  systems: SystemName[];
  quick: boolean;
  // failover
  kills: number;
  shards: number;
  redisTimeouts: number[];
  tuning: ClientTuning;
  lossWriters: number;
  lossRate: number;
  waitTimeoutMs: number;
  preKillMs: number;
  postRecoveryMs: number;
  unavailableTimeoutS: number;
  recoveryTimeoutS: number;
  // replication
  rounds: number;
  pipelines: number[];
  keyspaces: number[];
  requests: Record<string, number>;
  clients: number;
  // fullsync
  syncRounds: number;
  syncKeys: number;
  syncValueSize: number;
  syncRate: number;
  syncSetRatio: number;
  syncConns: number;
  syncWarmupS: number;
  syncBaselineS: number;
  syncAfterS: number;
  syncTimeoutS: number;
  sliceMs: number;
  redisSyncDelay: number;
}

function list(s: string | undefined, dflt: string): string[] {
  return (s ?? dflt).split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function nonNegIntFlag(s: string | undefined, what: string, dflt: number): number {
  if (s === undefined || s === '') return dflt;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what}: expected a non-negative integer, got "${s}"`);
  return n;
}

function parseSettings(): Settings | null {
  const str = { type: 'string' } as const;
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      quick: { type: 'boolean', default: false },
      parts: str, systems: str, kills: str, 'redis-timeouts': str, 'write-timeout-ms': str, 'retry-attempts': str,
      'retry-base-ms': str, 'retry-max-ms': str, 'loss-writers': str, 'loss-rate': str, 'wait-timeout-ms': str,
      'pre-kill-ms': str, 'post-recovery-ms': str, 'unavailable-timeout-s': str, 'recovery-timeout-s': str,
      rounds: str, pipelines: str, keyspaces: str, requests: str, clients: str,
      'sync-rounds': str, 'sync-keys': str, 'sync-value-size': str, 'sync-rate': str, 'sync-set-ratio': str,
      'sync-conns': str, 'sync-baseline-s': str, 'sync-timeout-s': str, 'slice-ms': str, 'redis-sync-delay': str,
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return null;
  }
  const quick = values.quick ?? false;
  const parts = list(values.parts, PARTS.join(','));
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--parts: unknown part "${p}" (${PARTS.join(', ')})`);
  const systems = list(values.systems, 'redis,corral');
  for (const p of systems) if (p !== 'redis' && p !== 'corral') throw new Error(`--systems: unknown system "${p}" (redis, corral)`);
  const pipelines = list(values.pipelines, '1,16').map((p) => positiveIntFlag(p, '--pipelines', 1));
  const nAll = values.requests;
  const requests: Record<string, number> = {};
  for (const p of pipelines) requests[p] = positiveIntFlag(nAll, '--requests', quick ? (p === 1 ? 20_000 : 200_000) : p === 1 ? 200_000 : 2_000_000);
  const ratio = Number(values['sync-set-ratio'] ?? 0.2);
  if (!(ratio >= 0 && ratio <= 1)) throw new Error('--sync-set-ratio: expected a number from 0 to 1');
  return {
    parts: parts as Part[],
    systems: systems as SystemName[],
    quick,
    kills: positiveIntFlag(values.kills, '--kills', quick ? 3 : 20),
    shards: 3,
    redisTimeouts: list(values['redis-timeouts'], '15000,1000').map((t) => positiveIntFlag(t, '--redis-timeouts', 15000)),
    tuning: {
      commandTimeoutMs: positiveIntFlag(values['write-timeout-ms'], '--write-timeout-ms', 250),
      retryAttempts: nonNegIntFlag(values['retry-attempts'], '--retry-attempts', 3),
      retryBaseDelayMs: nonNegIntFlag(values['retry-base-ms'], '--retry-base-ms', 10),
      retryMaxDelayMs: nonNegIntFlag(values['retry-max-ms'], '--retry-max-ms', 50),
    },
    lossWriters: nonNegIntFlag(values['loss-writers'], '--loss-writers', 2),
    lossRate: nonNegIntFlag(values['loss-rate'], '--loss-rate', 1000),
    waitTimeoutMs: positiveIntFlag(values['wait-timeout-ms'], '--wait-timeout-ms', 100),
    preKillMs: nonNegIntFlag(values['pre-kill-ms'], '--pre-kill-ms', 1000),
    postRecoveryMs: nonNegIntFlag(values['post-recovery-ms'], '--post-recovery-ms', 1000),
    unavailableTimeoutS: positiveIntFlag(values['unavailable-timeout-s'], '--unavailable-timeout-s', 120),
    recoveryTimeoutS: positiveIntFlag(values['recovery-timeout-s'], '--recovery-timeout-s', 180),
    rounds: positiveIntFlag(values.rounds, '--rounds', quick ? 1 : 3),
    pipelines,
    keyspaces: list(values.keyspaces, '0,100000').map((k) => nonNegIntFlag(k, '--keyspaces', 0)),
    requests,
    clients: positiveIntFlag(values.clients, '--clients', 50),
    syncRounds: positiveIntFlag(values['sync-rounds'], '--sync-rounds', quick ? 1 : 3),
    syncKeys: positiveIntFlag(values['sync-keys'], '--sync-keys', quick ? 200_000 : 1_000_000),
    syncValueSize: positiveIntFlag(values['sync-value-size'], '--sync-value-size', 100),
    syncRate: positiveIntFlag(values['sync-rate'], '--sync-rate', 10_000),
    syncSetRatio: ratio,
    syncConns: positiveIntFlag(values['sync-conns'], '--sync-conns', 8),
    syncWarmupS: quick ? 1 : 2,
    syncBaselineS: positiveIntFlag(values['sync-baseline-s'], '--sync-baseline-s', quick ? 4 : 10),
    syncAfterS: quick ? 1 : 2,
    syncTimeoutS: positiveIntFlag(values['sync-timeout-s'], '--sync-timeout-s', 180),
    sliceMs: positiveIntFlag(values['slice-ms'], '--slice-ms', 20),
    redisSyncDelay: nonNegIntFlag(values['redis-sync-delay'], '--redis-sync-delay', 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Every process started, for cleanup on exit / error / Ctrl-C

class Registry {
  /** Working directories of the standalone redis-servers (see StandaloneSetup.workDir). */
  readonly workDir = mkdtempSync(path.join(tmpdir(), 'corral-failover-bench-'));
  readonly systems = new Set<FailoverSystem>();
  readonly servers = new Set<ServerProc>();
  readonly loads = new Set<SyncLoad>();

  async stopAll(): Promise<void> {
    await Promise.all([
      ...[...this.systems].map((s) => s.stop().catch(() => {})),
      ...[...this.servers].map((p) => stopServer(p).catch(() => {})),
      ...[...this.loads].map((l) => l.close().catch(() => {})),
    ]);
    rmSync(this.workDir, { recursive: true, force: true });
  }

  killNow(): void {
    for (const s of this.systems) {
      try {
        s.killNow();
      } catch {
        /* best effort */
      }
    }
    for (const p of this.servers) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const l of this.loads) l.killNow();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

interface ErrorRecord {
  part: Part;
  system: string;
  error: string;
}

function pctl(xs: number[], q: number): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]!;
}

const mean = (xs: number[]): number => {
  const v = xs.filter(Number.isFinite);
  return v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length;
};

function firstLine(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Part 1: failover

interface KillRecord {
  kill: number;
  slot: number;
  tag: string;
  killedPort: number;
  killedPid: number;
  promotedPort: number;
  probe: ProbeResult;
  /** Redis: from the kill until the restarted node answered PING (NaN for corral). */
  restartedMs: number;
  /** From the kill until the cluster was whole again. */
  wholeMs: number;
  writes: { plain: number; wait: number; waitAckedRate: number };
  /** WAIT replies that were errors, by error (e.g. a server without WAIT). */
  waitErrors: Record<string, number>;
  loss: LossCounts;
}

interface SystemRun {
  key: string;
  label: string;
  status: 'ok' | 'failed';
  error?: string;
  ports: number[];
  shards: Array<{ slot: number; tag: string }>;
  kills: KillRecord[];
}

interface FailoverSummary {
  key: string;
  label: string;
  status: string;
  kills: number;
  unavailableP50Ms: number;
  unavailableP99Ms: number;
  unavailableMaxMs: number;
  unavailableMeanMs: number;
  wholeP50Ms: number;
  plainAckedPerKill: number;
  plainLostPerKill: number;
  plainLostMax: number;
  waitAckedPerKill: number;
  waitLostPerKill: number;
  waitLostMax: number;
  waitOkOnlyLostPerKill: number;
  corrupt: number;
}

async function oneKill(sys: FailoverSystem, run: SystemRun, k: number, s: Settings): Promise<KillRecord> {
  const shard = run.shards[k % run.shards.length]!;
  const seeds = sys.ports.map((p) => `127.0.0.1:${p}`);
  const problems = await sys.problems();
  if (problems.length > 0) await sys.waitWhole(s.recoveryTimeoutS * 1000);
  const { port, pid } = await sys.masterOf(shard.slot);
  const probeClient = failoverClient(seeds, s.tuning);
  const probe = new Probe(probeClient, `{${shard.tag}}:probe`);
  const writers = new LossWriters({
    seeds, tuning: s.tuning, tag: shard.tag, slot: shard.slot, runId: `k${k + 1}`,
    plainLoops: s.lossWriters, waitLoops: s.lossWriters, ratePerLoop: s.lossRate, waitTimeoutMs: s.waitTimeoutMs,
  });
  try {
    await probeClient.ready();
    await writers.start();
    probe.start();
    await sleep(s.preKillMs);
    for (let i = 0; probe.okCount === 0; i++) {
      if (i > 200) throw new Error(`shard of slot ${shard.slot} not writable before the kill: ${probe.lastError}`);
      await sleep(50);
    }
    const tKill = performance.now();
    writers.setOrigin(tKill);
    sys.kill(port, pid);
    const pr = await probe.untilWritable(tKill, s.unavailableTimeoutS * 1000, () => sys.problem());
    let restartedMs = NaN;
    if (!sys.restartsItself) {
      await sys.restart(port);
      restartedMs = performance.now() - tKill;
    }
    await sleep(s.postRecoveryMs);
    await probe.stop();
    await writers.stop();
    await sys.waitWhole(s.recoveryTimeoutS * 1000);
    const wholeMs = performance.now() - tKill;
    const reader = failoverClient(seeds, { ...s.tuning, commandTimeoutMs: 5000 });
    let final: Map<string, string | null>;
    try {
      final = await readBack(reader, writers.records.map((r) => r.key));
    } finally {
      reader.close();
    }
    const loss = countLost(writers.records, final, shard.slot);
    const promoted = await sys.masterOf(shard.slot);
    const wait = writers.records.filter((r) => r.kind === 'wait');
    const waitErrors: Record<string, number> = {};
    for (const r of wait) if (r.error?.startsWith('WAIT: ')) waitErrors[r.error.slice(6)] = (waitErrors[r.error.slice(6)] ?? 0) + 1;
    return {
      kill: k + 1, slot: shard.slot, tag: shard.tag, killedPort: port, killedPid: pid, promotedPort: promoted.port,
      probe: pr, restartedMs, wholeMs,
      writes: {
        plain: writers.records.length - wait.length,
        wait: wait.length,
        waitAckedRate: wait.filter((r) => r.waitAcked).length / Math.max(1, wait.filter((r) => r.ok).length),
      },
      waitErrors,
      loss,
    };
  } finally {
    probe.abort();
    writers.abort();
    probeClient.close(); // a SET still pending rejects, and the loops end
  }
}

function summarizeFailover(runs: SystemRun[]): FailoverSummary[] {
  return runs.map((r) => {
    const ks = r.kills;
    const u = ks.map((k) => k.probe.unavailableMs);
    const n = Math.max(1, ks.length);
    const sum = (f: (k: KillRecord) => number): number => ks.reduce((a, k) => a + f(k), 0);
    return {
      key: r.key, label: r.label, status: r.status === 'ok' ? 'ok' : `FAILED: ${r.error ?? ''}`, kills: ks.length,
      unavailableP50Ms: pctl(u, 0.5), unavailableP99Ms: pctl(u, 0.99), unavailableMaxMs: pctl(u, 1), unavailableMeanMs: mean(u),
      wholeP50Ms: pctl(ks.map((k) => k.wholeMs), 0.5),
      plainAckedPerKill: ks.length ? sum((k) => k.loss.plainAcked) / n : NaN,
      plainLostPerKill: ks.length ? sum((k) => k.loss.plainLost) / n : NaN,
      plainLostMax: ks.length ? Math.max(...ks.map((k) => k.loss.plainLost)) : NaN,
      waitAckedPerKill: ks.length ? sum((k) => k.loss.waitAcked) / n : NaN,
      waitLostPerKill: ks.length ? sum((k) => k.loss.waitLost) / n : NaN,
      waitLostMax: ks.length ? Math.max(...ks.map((k) => k.loss.waitLost)) : NaN,
      waitOkOnlyLostPerKill: ks.length ? sum((k) => k.loss.waitOkOnlyLost) / n : NaN,
      corrupt: sum((k) => k.loss.corrupt),
    };
  });
}

function failoverTable(rows: FailoverSummary[]): string {
  return markdownTable(
    ['system', 'kills', 'unavail p50 ms', 'unavail p99 ms', 'max ms', 'whole again p50 s',
      'plain acked/kill', 'plain lost/kill', 'plain lost max', 'WAIT acked/kill', 'WAIT lost/kill', 'WAIT lost max'],
    rows.map((r) => [
      r.key + (r.status === 'ok' ? '' : ' (FAILED)'), String(r.kills), fmt(r.unavailableP50Ms), fmt(r.unavailableP99Ms),
      fmt(r.unavailableMaxMs), fmt(r.wholeP50Ms / 1000, 1), fmt(r.plainAckedPerKill), fmt(r.plainLostPerKill, 2),
      fmt(r.plainLostMax), fmt(r.waitAckedPerKill), fmt(r.waitLostPerKill, 2), fmt(r.waitLostMax),
    ]),
  );
}

async function runFailover(s: Settings, reg: Registry, errors: ErrorRecord[]): Promise<{ runs: SystemRun[]; summary: FailoverSummary[] }> {
  const systems: FailoverSystem[] = [];
  if (s.systems.includes('redis')) {
    for (const t of s.redisTimeouts) systems.push(redisSystem({ masters: s.shards, replicasPerMaster: 1, nodeTimeoutMs: t }));
  }
  if (s.systems.includes('corral')) systems.push(corralSystem({ shards: s.shards, replicas: 1, repoRoot, corralMain }));
  const runs = new Map<FailoverSystem, SystemRun>();
  const fail = async (sys: FailoverSystem, err: unknown): Promise<void> => {
    const r = runs.get(sys)!;
    r.status = 'failed';
    r.error = firstLine(err);
    errors.push({ part: 'failover', system: sys.key, error: r.error });
    console.log(`  ${sys.key}: FAILED: ${r.error}`);
    await sys.stop().catch(() => {});
  };
  try {
    for (const sys of systems) {
      reg.systems.add(sys);
      runs.set(sys, { key: sys.key, label: sys.label, status: 'ok', ports: sys.ports as number[], shards: [], kills: [] });
      console.log(`starting ${sys.label}...`);
      try {
        await sys.start();
        if (interrupted) return never();
        const shards = await shardsOf(sys.ports[0]!);
        if (shards.length !== s.shards) throw new Error(`CLUSTER SLOTS shows ${shards.length} shards, expected ${s.shards}`);
        runs.get(sys)!.shards = shards.map((sh) => ({ slot: sh.slot, tag: tagForSlot(sh.slot) }));
        console.log(`  ${sys.key}: ports ${sys.ports.join(',')}; shards by slot ${shards.map((sh) => `${sh.slot}@${sh.masterPort}`).join(' ')}`);
      } catch (err) {
        if (interrupted) return never();
        await fail(sys, err);
      }
    }
    for (let k = 0; k < s.kills; k++) {
      const live = systems.filter((x) => runs.get(x)!.status === 'ok');
      if (live.length === 0) break;
      const order = live.map((_, i) => live[(i + k) % live.length]!);
      for (const sys of order) {
        const run = runs.get(sys)!;
        try {
          const rec = await oneKill(sys, run, k, s);
          if (interrupted) return never();
          run.kills.push(rec);
          const l = rec.loss;
          console.log(
            `[kill ${k + 1}/${s.kills}] ${sys.key.padEnd(11)} slot ${String(rec.slot).padStart(5)}: primary ${rec.killedPort} (pid ${rec.killedPid}) ` +
              `-> ${rec.promotedPort}; writable after ${fmt(rec.probe.unavailableMs)} ms (${rec.probe.failedAttempts} failed writes: ` +
              `${Object.entries(rec.probe.failuresByCode).map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}); whole after ${fmt(rec.wholeMs / 1000, 1)} s; ` +
              `lost plain ${l.plainLost}/${l.plainAcked}, WAIT ${l.waitLost}/${l.waitAcked} (OK-only ${l.waitOkOnlyLost}/${l.waitOkOnly})` +
              (l.corrupt > 0 ? `, ${l.corrupt} CORRUPT keys` : ''),
          );
          if (l.plainLost + l.waitLost + l.waitOkOnlyLost + l.corrupt > 0) console.log('    ' + l.text.split('\n').join('\n    '));
          if (l.waitAcked === 0) {
            const errs = Object.entries(rec.waitErrors).map(([e, n]) => `${e} x${n}`).join(', ');
            console.log(`    WARNING: no write was WAIT-acked${errs ? ` (WAIT errors: ${errs})` : ' (WAIT always replied 0)'}`);
          }
        } catch (err) {
          if (interrupted) return never();
          await fail(sys, err);
        }
      }
    }
  } finally {
    for (const sys of systems) await sys.stop().catch(() => {});
  }
  const list = systems.map((x) => runs.get(x)!);
  return { runs: list, summary: summarizeFailover(list) };
}

// ---------------------------------------------------------------------------------------------
// Part 2: replication cost

interface ReplRun {
  round: number;
  order: number;
  system: SystemName;
  pipeline: number;
  keyspace: number;
  requests: number;
  ok: boolean;
  error?: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  primaryCpuUsPerReq: number;
  replicaCpuUsPerReq: number;
  /** ms until the replica's offset reached the primary's after the run (NaN: not reported). */
  catchUpMs: number;
  wallMs: number;
}

interface ReplSummary {
  keyspace: number;
  pipeline: number;
  redis: { rps: number; primaryCpuUsPerReq: number; replicaCpuUsPerReq: number; catchUpMs: number; runs: number };
  corral: { rps: number; primaryCpuUsPerReq: number; replicaCpuUsPerReq: number; catchUpMs: number; runs: number };
  ratioOps: number;
  ratioPrimaryCpu: number;
  meetsTarget: boolean | null;
}

interface Pair {
  primary: ServerProc;
  replica: ServerProc;
}

async function startPair(system: SystemName, setup: StandaloneSetup, redisArgs: string[] = []): Promise<Pair> {
  const primary = await startStandalone(system, setup, `${system} primary`, redisArgs);
  const replica = await startStandalone(system, setup, `${system} replica`, redisArgs);
  await replicaOf(system, replica, primary.port);
  await waitReplicaSynced(replica, primary, 30_000);
  return { primary, replica };
}

async function benchSet(pair: Pair, system: SystemName, pipeline: number, keyspace: number, requests: number, s: Settings): Promise<ReplRun> {
  for (const p of [pair.primary, pair.replica]) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${p.name} exited:\n${p.tail()}`);
  }
  const args = ['-h', '127.0.0.1', '-p', String(pair.primary.port), '-c', String(s.clients), '-n', String(requests)];
  if (keyspace > 0) args.push('-r', String(keyspace));
  args.push('-P', String(pipeline), '-t', 'set', '--csv');
  const c0 = cpuMicros(pair.primary.pid);
  const r0 = cpuMicros(pair.replica.pid);
  const t0 = performance.now();
  const res = await run('redis-benchmark', args);
  const wallMs = performance.now() - t0;
  const catchUpMs = await waitCaughtUp(pair.primary.port, pair.replica.port, 30_000).catch(() => NaN);
  const primaryCpu = cpuMicros(pair.primary.pid) - c0;
  const replicaCpu = cpuMicros(pair.replica.pid) - r0;
  const rec: ReplRun = {
    round: 0, order: 0, system, pipeline, keyspace, requests, ok: false, rps: NaN, p50Ms: NaN, p99Ms: NaN,
    primaryCpuUsPerReq: primaryCpu / requests, replicaCpuUsPerReq: replicaCpu / requests, catchUpMs, wallMs: Math.round(wallMs),
  };
  try {
    if (res.code !== 0) throw new Error(`redis-benchmark exited ${res.code}`);
    const row = parseBenchmarkCsv(res.stdout);
    Object.assign(rec, { rps: row.rps, p50Ms: row.p50Ms, p99Ms: row.p99Ms, ok: Number.isFinite(row.rps) && row.rps > 0 });
    if (!rec.ok) throw new Error('no throughput reported');
    const link = await infoOf(pair.replica.port, 'replication');
    if (link['master_link_status'] !== 'up') throw new Error(`replica link ${link['master_link_status'] ?? '(missing)'} after the run`);
  } catch (err) {
    rec.ok = false;
    rec.error = `${firstLine(err)}: ${(res.stderr + res.stdout).trim().slice(-300)}`;
  }
  return rec;
}

async function runReplication(s: Settings, reg: Registry, errors: ErrorRecord[]): Promise<{ runs: ReplRun[]; summary: ReplSummary[]; consistency: Record<string, string> }> {
  const setup: StandaloneSetup = { repoRoot, corralMain, workDir: reg.workDir, track: (p) => reg.servers.add(p) };
  const pairs = new Map<SystemName, Pair>();
  const runs: ReplRun[] = [];
  const consistency: Record<string, string> = {};
  try {
    for (const system of s.systems) {
      try {
        const pair = await startPair(system, setup);
        if (interrupted) return never();
        pairs.set(system, pair);
        console.log(`  ${system}: primary port ${pair.primary.port} pid ${pair.primary.pid}, replica port ${pair.replica.port} pid ${pair.replica.pid} (in sync)`);
        const w = await benchSet(pair, system, 16, 0, s.quick ? 50_000 : 300_000, s); // warm-up, not recorded
        if (!w.ok) throw new Error(`warm-up failed: ${w.error}`);
      } catch (err) {
        if (interrupted) return never();
        errors.push({ part: 'replication', system, error: firstLine(err) });
        console.log(`  ${system}: FAILED: ${firstLine(err)}`);
      }
    }
    const systems = s.systems.filter((x) => pairs.has(x));
    const total = s.rounds * s.keyspaces.length * s.pipelines.length * systems.length;
    for (let round = 1; round <= s.rounds && systems.length > 0; round++) {
      const order = round % 2 === 1 ? systems : [...systems].reverse();
      for (const keyspace of s.keyspaces) {
        for (const pipeline of s.pipelines) {
          for (const system of order) {
            const rec = await benchSet(pairs.get(system)!, system, pipeline, keyspace, s.requests[pipeline]!, s);
            if (interrupted) return never();
            rec.round = round;
            rec.order = runs.length + 1;
            runs.push(rec);
            console.log(
              `[${runs.length}/${total}] round ${round} SET P${pipeline} ${keyspace > 0 ? `-r ${keyspace}` : 'one key'} ${system.padEnd(6)} ` +
                (rec.ok
                  ? `${fmt(rec.rps)} ops/s p50 ${fmt(rec.p50Ms, 3)} p99 ${fmt(rec.p99Ms, 3)} ms, primary cpu ${fmt(rec.primaryCpuUsPerReq, 2)} us/req, ` +
                    `replica cpu ${fmt(rec.replicaCpuUsPerReq, 2)} us/req, replica caught up in ${fmt(rec.catchUpMs)} ms`
                  : `FAILED ${rec.error}`),
            );
            await sleep(200);
          }
        }
      }
    }
    for (const [system, pair] of pairs) {
      const a = await query(pair.primary.port, ['DBSIZE']).catch((e: Error) => e.message);
      const b = await query(pair.replica.port, ['DBSIZE']).catch((e: Error) => e.message);
      consistency[system] = `DBSIZE primary ${String(a)}, replica ${String(b)}`;
    }
  } finally {
    for (const pair of pairs.values()) {
      await stopServer(pair.replica);
      await stopServer(pair.primary);
    }
  }
  const summary: ReplSummary[] = [];
  for (const keyspace of s.keyspaces) {
    for (const pipeline of s.pipelines) {
      const per = (system: SystemName): ReplSummary['redis'] => {
        const ok = runs.filter((r) => r.system === system && r.pipeline === pipeline && r.keyspace === keyspace && r.ok);
        return {
          runs: ok.length,
          rps: median(ok.map((r) => r.rps)),
          primaryCpuUsPerReq: median(ok.map((r) => r.primaryCpuUsPerReq)),
          replicaCpuUsPerReq: median(ok.map((r) => r.replicaCpuUsPerReq)),
          catchUpMs: median(ok.map((r) => r.catchUpMs)),
        };
      };
      const redis = per('redis');
      const corral = per('corral');
      const ratioOps = corral.rps / redis.rps;
      summary.push({
        keyspace, pipeline, redis, corral, ratioOps, ratioPrimaryCpu: corral.primaryCpuUsPerReq / redis.primaryCpuUsPerReq,
        meetsTarget: Number.isFinite(ratioOps) ? ratioOps >= TARGET_REPL_RATIO : null,
      });
    }
  }
  return { runs, summary, consistency };
}

function replicationTable(rows: ReplSummary[]): string {
  return markdownTable(
    ['SET', 'P', 'redis ops/s', 'redis primary cpu us/req', 'redis replica cpu us/req', 'corral ops/s', 'corral primary cpu us/req',
      'corral replica cpu us/req', 'ops corral/redis', 'primary cpu corral/redis', `target ops >= ${TARGET_REPL_RATIO}`],
    rows.map((r) => [
      r.keyspace > 0 ? `-r ${r.keyspace}` : 'one key', String(r.pipeline),
      fmt(r.redis.rps), fmt(r.redis.primaryCpuUsPerReq, 2), fmt(r.redis.replicaCpuUsPerReq, 2),
      fmt(r.corral.rps), fmt(r.corral.primaryCpuUsPerReq, 2), fmt(r.corral.replicaCpuUsPerReq, 2),
      fmt(r.ratioOps, 2), fmt(r.ratioPrimaryCpu, 2), r.meetsTarget === null ? 'n/a' : r.meetsTarget ? 'met' : 'MISSED',
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Part 3: full sync impact

interface Window {
  fromEpochMs: number;
  toEpochMs: number;
  requests: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

interface SyncRound {
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
  /** The sync window slice by slice: [ms since REPLICAOF, requests, p99 µs, max µs]. */
  syncTimeline?: Array<[number, number, number, number]>;
}

interface SyncSummary {
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
function timelineOf(res: SyncLoadResult, from: number, to: number): Array<[number, number, number, number]> {
  const first = Math.floor((from - res.originEpochMs) / res.sliceMs);
  const last = Math.floor((to - res.originEpochMs) / res.sliceMs);
  const out: Array<[number, number, number, number]> = [];
  for (const [k, j] of res.slices) {
    if (k < first || k > last) continue;
    const h = LogHistogram.fromJSON(j);
    out.push([Math.round(res.originEpochMs + k * res.sliceMs - from), h.total, h.quantile(0.99), h.max]);
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
    rec.syncTimeline = timelineOf(res, syncFrom, syncTo);
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

async function runFullSync(s: Settings, reg: Registry, errors: ErrorRecord[]): Promise<{ rounds: SyncRound[]; summary: SyncSummary[] }> {
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

function fullSyncTable(rows: SyncSummary[]): string {
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
  console.log(`parts ${s.parts.join(',')}; systems ${s.systems.join(',')}${s.quick ? ' (quick)' : ''}`);
  const errors: ErrorRecord[] = [];
  const out: Record<string, unknown> = {};
  const tables: string[] = [];
  try {
    if (s.parts.includes('failover')) {
      console.log(`\n== failover: ${s.kills} kills per system; Redis node-timeouts ${s.redisTimeouts.join(', ')} ms; client commandTimeout ` +
        `${s.tuning.commandTimeoutMs} ms, retries ${s.tuning.retryAttempts} (backoff ${s.tuning.retryBaseDelayMs}-${s.tuning.retryMaxDelayMs} ms); ` +
        `${s.lossWriters}+${s.lossWriters} loss writers at ${s.lossRate || 'unpaced'} writes/s each, WAIT 1 ${s.waitTimeoutMs}`);
      const r = await runFailover(s, reg, errors);
      out['failover'] = r;
      const t = `## Failover: write unavailability after kill -9 of a primary, lost acknowledged writes per kill\n\n${failoverTable(r.summary)}\n\n` +
        `unavailability: from kill -9 to the first successful write issued after it, seen by corral's client (commandTimeout ${s.tuning.commandTimeoutMs} ms). ` +
        `lost: acknowledged writes whose key does not hold them after recovery (test/support/history.ts lostWrites); ` +
        `plain = SET acked by OK, WAIT = SET + WAIT 1 ${s.waitTimeoutMs} acked by WAIT >= 1.`;
      tables.push(t);
      console.log('\n' + t);
    }
    if (s.parts.includes('replication')) {
      console.log(`\n== replication: redis-benchmark SET -c ${s.clients}, pipelines ${s.pipelines.join(',')}, keyspaces ${s.keyspaces.join(',')}, ${s.rounds} rounds`);
      const r = await runReplication(s, reg, errors);
      out['replication'] = r;
      const t = `## Replication cost: SET against a primary with one replica (medians)\n\n${replicationTable(r.summary)}\n\n` +
        Object.entries(r.consistency).map(([k, v]) => `${k}: ${v}`).join('; ');
      tables.push(t);
      console.log('\n' + t);
    }
    if (s.parts.includes('fullsync')) {
      console.log(`\n== fullsync: ${fmt(s.syncKeys)} keys x ${s.syncValueSize} B; load ${fmt(s.syncRate)} req/s (${s.syncSetRatio * 100}% SET) over ${s.syncConns} connections; ` +
        `${s.syncBaselineS} s baseline; ${s.syncRounds} rounds; Redis repl-diskless-sync-delay ${s.redisSyncDelay}`);
      const r = await runFullSync(s, reg, errors);
      out['fullsync'] = r;
      const t = `## Full sync: primary latency while a fresh replica full-syncs (medians over rounds)\n\n${fullSyncTable(r.summary)}\n\n` +
        `latency: reply time - send time of an open-loop ${fmt(s.syncRate)} req/s GET/SET load; "before": ${s.syncBaselineS} s just before REPLICAOF; ` +
        `"during": from REPLICAOF until the replica reports master_link_status:up and master_sync_in_progress:0. ` +
        `other cores: CPU of everything else on the machine (other work; during a Redis sync also its fork child): well above 0 means noisy figures.`;
      tables.push(t);
      console.log('\n' + t);
    }
  } finally {
    await reg.stopAll();
    removeHandlers();
  }
  const stamp = isoStamp(started);
  const summaryMd = tables.join('\n\n');
  const json = JSON.stringify(
    { kind: 'failover-bench', started: started.toISOString(), finished: new Date().toISOString(), machine, backgroundCores, settings: s, ...out, errors, summaryMarkdown: summaryMd },
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    2,
  );
  const file = writeResult(resultsDir, `failover-${stamp}.json`, json + '\n');
  console.log('\n# Summary\n\n' + summaryMd);
  if (errors.length > 0) {
    console.log('\nErrors:');
    for (const e of errors) console.log(`- ${e.part} / ${e.system}: ${e.error.split('\n').slice(0, 6).join('\n  ')}`);
    process.exitCode = 1;
  }
  console.log(`\nwrote ${path.relative(repoRoot, file)}`);
}

main().catch((err: unknown) => {
  if (interrupted) return;
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
