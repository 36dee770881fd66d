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
//
// The parts live in bench/lib/: failover-kills.ts (failover), failover-replication-cost.ts
// (replication), failover-fullsync.ts (fullsync); the flags and this --help text in
// failover-settings.ts; the cleanup Registry and the interrupted flag in failover-common.ts.

import path from 'node:path';
import { machineBusyMicros, onInterrupt, sleep } from './lib/procs.js';
import { describeMachine, fmt, isoStamp, machineInfo, writeResult } from './lib/report.js';
import { parseSettings, repoRoot, resultsDir } from './lib/failover-settings.js';
import { interrupted, markInterrupted, Registry, type ErrorRecord } from './lib/failover-common.js';
import { failoverTable, runFailover } from './lib/failover-kills.js';
import { replicationTable, runReplication } from './lib/failover-replication-cost.js';
import { fullSyncTable, runFullSync } from './lib/failover-fullsync.js';

async function main(): Promise<void> {
  const s = parseSettings();
  if (s === null) return;
  const machine = machineInfo(repoRoot);
  console.log(describeMachine(machine));
  const reg = new Registry();
  const removeHandlers = onInterrupt(async () => {
    markInterrupted();
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
