// bench/lib/failover-replication-cost.ts — Part 2 of the failover benchmark
// (bench/failover-bench.ts): the cost of replication, redis-benchmark SET against a standalone
// primary with one replica, corral vs Redis. Its records (ReplRun, ReplSummary), the run
// (runReplication) and its table.

import { cpuMicros, run, sleep, stopServer, type ServerProc } from './procs.js';
import { parseBenchmarkCsv } from './redis-benchmark.js';
import { fmt, markdownTable, median } from './report.js';
import { infoOf, query } from './cluster-state.js';
import { replicaOf, startStandalone, waitCaughtUp, waitReplicaSynced, type StandaloneSetup, type SystemName } from './standalone-replication.js';
import { corralMain, repoRoot, type Settings } from './failover-settings.js';
import { firstLine, interrupted, never, type ErrorRecord, type Registry } from './failover-common.js';

const TARGET_REPL_RATIO = 0.9;

export interface ReplRun {
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

export interface ReplSummary {
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

export async function runReplication(s: Settings, reg: Registry, errors: ErrorRecord[]): Promise<{ runs: ReplRun[]; summary: ReplSummary[]; consistency: Record<string, string> }> {
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

export function replicationTable(rows: ReplSummary[]): string {
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
