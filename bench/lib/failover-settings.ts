// bench/lib/failover-settings.ts — the settings of the failover benchmark (bench/failover-bench.ts):
// the repository paths it uses, its parts, the --help text, and the flags parsed into Settings.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nonNegIntFlag, positiveIntFlag } from './report.js';
import type { ClientTuning } from './failover-writers.js';
import type { SystemName } from './standalone-replication.js';

// This file is built to dist/bench/lib/, three levels below the repository root.
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const resultsDir = path.join(repoRoot, 'bench', 'results');
export const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export const PARTS = ['failover', 'replication', 'fullsync'] as const;
export type Part = (typeof PARTS)[number];

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

export interface Settings {
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


export function parseSettings(): Settings | null {
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
