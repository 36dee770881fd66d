// bench/cluster-bench.ts — side-by-side throughput/latency/CPU benchmark of a 3-shard corral
// cluster (`corral up --shards 3`) vs. a 3-primary Redis 7 Cluster (`npm run bench:cluster`).
//
// Owns: starting both clusters on free ports (Redis through test/support/redis-cluster.ts,
// corral as a `corral up` child process whose 3 node processes are found with pgrep), running
// `redis-benchmark --cluster` (one test per invocation, 50 clients, --csv) at every keyspace of
// --keyspaces against each in alternating order over several rounds, measuring CPU time per
// request summed over each cluster's node processes from /proc/<pid>/stat, the share of
// commands each node served and of lookups that hit (INFO stats) and redis-benchmark's own CPU,
// and reporting medians and corral/redis ratios, one table per keyspace, largest first (stdout,
// bench/results/cluster-<ts>.json whose summary rows and runs carry their keyspace,
// bench/results/cluster-latest.md). Every process it starts is stopped on exit, on error and on
// Ctrl-C / SIGTERM.
//
// Keys: redis-benchmark --cluster puts each node's hash tag in every key (key:{tag}:__rand_int__,
// the tag of the node's first slot), so a keyspace of 1 (no -r) is one key per node and -r N is
// N keys per node (3 N in all). A warm-up (not recorded) SETs every keyspace first so GETs hit
// (warmupRequests in bench/lib/redis-benchmark.ts). Tests: redis-benchmark's own (-t get, set...)
// and getmiss: GET miss:{tag}:__rand_int__, a prefix nothing writes, so every GET misses.
//
// Flags: --rounds N (3)  --tests get,getmiss,set  --pipelines 1,16  --quick  --clients N (50)
//        --keyspaces 1,100000 (1 = no -r; --keyspace N: a synonym for --keyspaces N)
//        --requests N (all pipelines; env BENCH_REQUESTS; default P1 600k, P>1 6M, i.e. ~5 s
//        runs on 2 cores, long because redis-benchmark --cluster rounds its elapsed time up to
//        a 250 ms tick; the default run, 72 of them, takes ~7 min; --quick: 100k / 1M, only to
//        check that everything works)

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMicros, isAlive, machineBusyMicros, onInterrupt, reapedChildrenCpuMicros, run, sleep } from './lib/procs.js';
import {
  benchmarkNoise,
  hitPercent,
  keyspaceArgs,
  lookupCounts,
  missKey,
  parseBenchmarkCsv,
  parseKeyspaces,
  warmupRequests,
  type BenchmarkCsvRow,
  type LookupCounts,
} from './lib/redis-benchmark.js';
import { describeMachine, fmt, isoStamp, machineInfo, markdownTable, median, writeResult, positiveIntFlag } from './lib/report.js';
import { killStrayRedis, startCorral, startRedis, type ClusterSetup, type ClusterUnderTest, type ServerName } from './lib/bench-clusters.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = path.join(repoRoot, 'bench', 'results');
const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

const SHARDS = 3;
/**
 * redis-benchmark --cluster always runs threaded (one thread per primary), and threaded it only
 * notices that all requests are done on its 250 ms throughput timer: the elapsed time it divides
 * by is rounded up to the next tick, so ops/s is under-reported by up to 250 ms / run time.
 */
const REDIS_BENCHMARK_TICK_MS = 250;
const TARGET_OPS_RATIO = 0.9;

/** Set by the SIGINT/SIGTERM handler, which stops everything and exits by itself. */
let interrupted = false;
/** What to await once interrupted: nothing more happens here, the handler exits the process. */
const never = (): Promise<never> => new Promise<never>(() => {});
const setup: ClusterSetup = { shards: SHARDS, repoRoot, corralMain, interrupted: () => interrupted };

const SERVERS: readonly ServerName[] = ['redis', 'corral'];

interface Settings {
  rounds: number;
  tests: string[];
  pipelines: number[];
  clients: number;
  /** 1: redis-benchmark's default key, one per node (no -r); N: -r N, per node. Largest first. */
  keyspaces: number[];
  requests: Record<string, number>; // by pipeline
  quick: boolean;
}

/** One redis-benchmark run: its CSV figures (BenchmarkCsvRow) plus what the harness measured. */
interface RunRecord extends Omit<BenchmarkCsvRow, 'test'> {
  round: number;
  order: number;
  server: ServerName;
  test: string;
  pipeline: number;
  keyspace: number;
  requests: number;
  ok: boolean;
  error?: string;
  /** redis-benchmark output lines other than its CSV and cluster preamble (errors, warnings). */
  notes: string[];
  wallMs: number;
  /** CPU (utime+stime) of all node processes during the run. */
  cpuUs: number;
  cpuUsPerReq: number;
  cpuUsByNode: number[];
  /** Node CPU / wall time: how many cores the nodes kept busy together. */
  serverCores: number;
  /** redis-benchmark CPU / wall time. */
  benchCores: number;
  /** The elapsed time redis-benchmark reports (requests / rps), in s: a multiple of ~250 ms. */
  runSeconds: number;
  /** Commands each node processed during the run (INFO stats total_commands_processed). */
  commandsByNode: number[];
  /** Share of the nodes' key lookups that hit during the run (INFO stats), %; null: none. */
  hitPct: number;
  /** CPU of the redis-benchmark process itself (all its threads). */
  benchCpuUs: number;
  benchCpuUsPerReq: number;
  /** CPU used by everything else on the machine during the run, in cores (wall-time average). */
  otherCores: number;
}

interface ServerSummary {
  runs: number;
  failed: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number;
  serverCores: number;
  benchCores: number;
  benchCpuUsPerReq: number;
  otherCores: number;
  runSeconds: number;
  hitPct: number;
  /** Median share (0..1) of the commands served by each node. */
  nodeShare: number[];
}

interface SummaryRow {
  test: string;
  pipeline: number;
  keyspace: number;
  redis: ServerSummary;
  corral: ServerSummary;
  ratioOps: number; // corral / redis
  ratioCpuPerReq: number; // corral / redis
  meetsTarget: boolean; // ratioOps >= TARGET_OPS_RATIO
}

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      tests: { type: 'string' },
      pipelines: { type: 'string' },
      requests: { type: 'string' },
      clients: { type: 'string' },
      keyspace: { type: 'string' },
      keyspaces: { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const quick = values.quick ?? false;
  const pipelines = (values.pipelines ?? '1,16').split(',').map((p) => positiveIntFlag(p.trim(), '--pipelines', 1));
  const tests = (values.tests ?? 'get,getmiss,set').split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
  const nAll = values.requests ?? process.env['BENCH_REQUESTS'];
  const requests: Record<string, number> = {};
  for (const p of pipelines) {
    // Long enough runs (~5 s on 2 cores) that the 250 ms rounding of the elapsed time stays
    // small (see REDIS_BENCHMARK_TICK_MS), short enough that the default run (3 tests x 2
    // keyspaces) takes ~7 min; --quick only checks that everything works.
    const dflt = quick ? (p === 1 ? 100_000 : 1_000_000) : p === 1 ? 600_000 : 6_000_000;
    requests[p] = positiveIntFlag(nAll, '--requests', dflt);
  }
  return {
    rounds: positiveIntFlag(values.rounds, '--rounds', 3),
    tests,
    pipelines,
    clients: positiveIntFlag(values.clients, '--clients', 50),
    keyspaces: parseKeyspaces(values.keyspaces, values.keyspace),
    requests,
    quick,
  };
}

function requestsDesc(s: Settings): string {
  return s.pipelines.map((p) => `P${p}=${s.requests[p]}`).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** A keyspace for people: -r N is N keys per node in --cluster mode. */
function keyspaceLabel(keyspace: number): string {
  return keyspace > 1
    ? `${keyspace.toLocaleString('en-US')} keys per node (-r ${keyspace}; ${(keyspace * SHARDS).toLocaleString('en-US')} in all)`
    : "1 key per node (redis-benchmark's default, no -r)";
}

interface NodeStats {
  /** total_commands_processed of each node. */
  commands: number[];
  /** keyspace_hits / keyspace_misses summed over the nodes. */
  lookups: LookupCounts;
}

/** INFO stats of every node. */
async function nodeStats(ports: number[]): Promise<NodeStats> {
  const texts = await Promise.all(
    ports.map(async (port) => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'INFO', 'stats'])).stdout),
  );
  const lookups = texts.map(lookupCounts);
  return {
    commands: texts.map((t) => {
      const m = /total_commands_processed:(\d+)/.exec(t);
      return m ? Number(m[1]) : NaN;
    }),
    lookups: {
      hits: lookups.reduce((a, l) => a + l.hits, 0),
      misses: lookups.reduce((a, l) => a + l.misses, 0),
    },
  };
}

async function measure(
  c: ClusterUnderTest,
  test: string,
  pipeline: number,
  keyspace: number,
  requests: number,
  s: Settings,
  round: number,
  order: number,
): Promise<RunRecord> {
  const problem = c.problem();
  if (problem !== null) throw new Error(`${c.name} cluster is down: ${problem}`);
  const args = ['--cluster', '-h', '127.0.0.1', '-p', String(c.ports[0]), '-c', String(s.clients), '-n', String(requests)];
  args.push(...keyspaceArgs(keyspace), '-P', String(pipeline), '--csv');
  // getmiss: a custom command; in --cluster mode its key must hold {tag} (each node's hash tag).
  if (test === 'getmiss') args.push('GET', missKey('{tag}:'));
  else args.push('-t', test);
  const stats0 = await nodeStats(c.ports);
  const cpu0 = c.pids.map(cpuMicros);
  const bench0 = reapedChildrenCpuMicros();
  const machine0 = machineBusyMicros();
  const t0 = performance.now();
  const res = await run('redis-benchmark', args);
  const wallMs = performance.now() - t0;
  const machineUs = machineBusyMicros() - machine0;
  const cpuByNode = c.pids.map((pid, i) => (isAlive(pid) ? cpuMicros(pid) - cpu0[i]! : NaN));
  const benchCpuUs = reapedChildrenCpuMicros() - bench0;
  const stats1: NodeStats = c.problem() === null
    ? await nodeStats(c.ports)
    : { commands: c.ports.map(() => NaN), lookups: { hits: NaN, misses: NaN } };
  const cpuUs = cpuByNode.reduce((a, b) => a + b, 0);
  const rec: RunRecord = {
    round, order, server: c.name, test, pipeline, keyspace, requests, ok: false,
    notes: benchmarkNoise(res.stdout + '\n' + res.stderr),
    rps: NaN, avgMs: NaN, minMs: NaN, p50Ms: NaN, p95Ms: NaN, p99Ms: NaN, maxMs: NaN,
    wallMs: Math.round(wallMs),
    cpuUs: Math.round(cpuUs),
    cpuUsPerReq: cpuUs / requests,
    cpuUsByNode: cpuByNode.map(Math.round),
    serverCores: cpuUs / (wallMs * 1000),
    // INFO itself is counted once per node in the "after" reading.
    commandsByNode: stats1.commands.map((n, i) => n - stats0.commands[i]! - 1),
    hitPct: hitPercent(stats0.lookups, stats1.lookups),
    benchCpuUs: Math.round(benchCpuUs),
    benchCpuUsPerReq: benchCpuUs / requests,
    benchCores: benchCpuUs / (wallMs * 1000),
    runSeconds: NaN,
    otherCores: Math.max(0, machineUs - cpuUs - benchCpuUs) / (wallMs * 1000),
  };
  try {
    if (res.code !== 0) throw new Error(`redis-benchmark exited ${res.code}`);
    const row = parseBenchmarkCsv(res.stdout);
    Object.assign(rec, {
      rps: row.rps, avgMs: row.avgMs, minMs: row.minMs, p50Ms: row.p50Ms,
      p95Ms: row.p95Ms, p99Ms: row.p99Ms, maxMs: row.maxMs,
    });
    rec.ok = Number.isFinite(row.rps) && row.rps > 0;
    rec.runSeconds = requests / row.rps;
    if (!rec.ok) throw new Error('no throughput reported');
  } catch (err) {
    rec.error = `${(err as Error).message}: ${(res.stderr + res.stdout).trim().slice(-500)}`;
  }
  const served = rec.commandsByNode.reduce((a, b) => a + b, 0);
  if (Number.isFinite(served) && Math.abs(served - requests) > requests * 0.02) {
    rec.notes.push(`nodes processed ${served} commands for ${requests} requests`);
  }
  return rec;
}

// ---------------------------------------------------------------------------------------------
// Reporting

function summarize(runs: RunRecord[], s: Settings): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const keyspace of s.keyspaces) {
    for (const test of s.tests) {
      for (const pipeline of s.pipelines) {
        const per = (server: ServerName): ServerSummary => {
          const all = runs.filter((r) => r.server === server && r.test === test && r.pipeline === pipeline && r.keyspace === keyspace);
          const ok = all.filter((r) => r.ok);
          const shares = ok.map((r) => {
            const total = r.commandsByNode.reduce((a, b) => a + b, 0);
            return r.commandsByNode.map((n) => n / total);
          });
          return {
            runs: all.length,
            failed: all.length - ok.length,
            rps: median(ok.map((r) => r.rps)),
            p50Ms: median(ok.map((r) => r.p50Ms)),
            p99Ms: median(ok.map((r) => r.p99Ms)),
            cpuUsPerReq: median(ok.map((r) => r.cpuUsPerReq)),
            serverCores: median(ok.map((r) => r.serverCores)),
            benchCores: median(ok.map((r) => r.benchCores)),
            runSeconds: median(ok.map((r) => r.runSeconds)),
            benchCpuUsPerReq: median(ok.map((r) => r.benchCpuUsPerReq)),
            otherCores: median(ok.map((r) => r.otherCores)),
            hitPct: median(ok.map((r) => r.hitPct)),
            nodeShare: Array.from({ length: SHARDS }, (_, i) => median(shares.map((sh) => sh[i] ?? NaN))),
          };
        };
        const redis = per('redis');
        const corral = per('corral');
        const ratioOps = corral.rps / redis.rps;
        rows.push({
          test, pipeline, keyspace, redis, corral, ratioOps,
          ratioCpuPerReq: corral.cpuUsPerReq / redis.cpuUsPerReq,
          meetsTarget: ratioOps >= TARGET_OPS_RATIO,
        });
      }
    }
  }
  return rows;
}

/** "99.99/99.99": the median hit % of redis / corral; "-" for tests that look up no keys (SET). */
function hitCell(r: SummaryRow): string {
  const pct = (x: number): string => (Number.isFinite(x) ? x.toFixed(x === 100 || x === 0 ? 0 : 2) : '-');
  return Number.isFinite(r.redis.hitPct) || Number.isFinite(r.corral.hitPct) ? `${pct(r.redis.hitPct)}/${pct(r.corral.hitPct)}` : '-';
}

/** `table` once per keyspace, largest first, each under a heading naming it. */
function perKeyspace(rows: SummaryRow[], s: Settings, heading: string, table: (rows: SummaryRow[]) => string): string {
  return s.keyspaces
    .map((k) => `${heading} ${keyspaceLabel(k)}\n\n${table(rows.filter((r) => r.keyspace === k))}`)
    .join('\n\n');
}

function mainTable(rows: SummaryRow[]): string {
  const header = ['test', 'P', 'redis ops/s', 'redis p50', 'redis p99', 'redis cpu us/req',
    'corral ops/s', 'corral p50', 'corral p99', 'corral cpu us/req', 'ops corral/redis', 'cpu/req corral/redis',
    `target ops >= ${TARGET_OPS_RATIO}`, 'hit % redis/corral'];
  const srv = (x: ServerSummary): string[] =>
    [fmt(x.rps), fmt(x.p50Ms, 3), fmt(x.p99Ms, 3), fmt(x.cpuUsPerReq, 2)];
  const body = rows.map((r) => [
    r.test.toUpperCase() + (r.corral.failed || r.redis.failed ? ` (failed: ${r.redis.failed}/${r.corral.failed})` : ''),
    String(r.pipeline), ...srv(r.redis), ...srv(r.corral), fmt(r.ratioOps, 2), fmt(r.ratioCpuPerReq, 2),
    Number.isFinite(r.ratioOps) ? (r.meetsTarget ? 'met' : 'MISSED') : 'n/a', hitCell(r),
  ]);
  return markdownTable(header, body);
}

function diagnosticsTable(rows: SummaryRow[]): string {
  const header = ['test', 'P', 'cluster', 'commands per node %', 'run s', 'nodes cores', 'bench cores', 'other cores',
    'bench cpu us/req', 'nodes+bench cpu us/req'];
  const body: string[][] = [];
  for (const r of rows) {
    for (const name of SERVERS) {
      const x = r[name];
      body.push([
        r.test.toUpperCase(), String(r.pipeline), name,
        x.nodeShare.map((v) => (Number.isFinite(v) ? (v * 100).toFixed(0) : 'n/a')).join(' / '),
        fmt(x.runSeconds, 2), fmt(x.serverCores, 2), fmt(x.benchCores, 2), fmt(x.otherCores, 2),
        fmt(x.benchCpuUsPerReq, 2), fmt(x.cpuUsPerReq + x.benchCpuUsPerReq, 2),
      ]);
    }
  }
  return markdownTable(header, body);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const s = parseSettings();
  const machine = machineInfo(repoRoot);
  console.log(describeMachine(machine));
  const clusters: Partial<Record<ServerName, ClusterUnderTest>> = {};
  const track = (c: ClusterUnderTest): void => void (clusters[c.name] = c);
  const stopAll = async (): Promise<void> => {
    await Promise.all(Object.values(clusters).map((c) => c.stop()));
    killStrayRedis(clusters.redis?.pids ?? []);
  };
  const removeHandlers = onInterrupt(async () => {
    interrupted = true;
    await stopAll();
  });
  const killNow = (): void => {
    Object.values(clusters).forEach((c) => c.killNow());
    killStrayRedis([]);
  };
  process.on('exit', killNow);
  const started = new Date();
  const runs: RunRecord[] = [];
  // Other work on the machine skews a benchmark that needs every core: measure it first.
  const idle0 = machineBusyMicros();
  await sleep(1000);
  const backgroundCores = (machineBusyMicros() - idle0) / 1e6;
  console.log(`background load before start: ${fmt(backgroundCores, 2)} of ${machine.cores} cores busy` +
    (backgroundCores > 0.2 ? ' (WARNING: other processes are using CPU; results will be noisy)' : ''));
  try {
    const redis = await startRedis(setup, track);
    console.log(`redis cluster: ports ${redis.ports.join(',')}, redis-server pids ${redis.pids.join(',')}`);
    const corral = await startCorral(setup, track);
    console.log(`corral cluster: ports ${corral.ports.join(',')}, node pids ${corral.pids.join(',')}`);
    console.log(`rounds ${s.rounds}, tests ${s.tests.join(',')}, pipelines ${s.pipelines.join(',')}, ` +
      `clients ${s.clients}, keyspaces ${s.keyspaces.join(',')} (per node), requests ${requestsDesc(s)}`);

    // Warm-up (not recorded): SETs over every keyspace (on every node) so GETs hit, and warms
    // up corral's JIT.
    for (const keyspace of s.keyspaces) {
      for (const c of [redis, corral]) {
        const n = warmupRequests(keyspace * SHARDS, s.quick ? 50_000 : 300_000, 20);
        const w = await measure(c, 'set', 16, keyspace, n, s, 0, 0);
        if (interrupted) return never();
        if (!w.ok) throw new Error(`warm-up against ${c.name} failed: ${w.error}`);
        if (w.notes.length > 0) console.log(`warm-up ${c.name}: ${w.notes.join(' | ')}`);
      }
    }

    const total = s.rounds * s.keyspaces.length * s.tests.length * s.pipelines.length * SERVERS.length;
    for (let round = 1; round <= s.rounds; round++) {
      const order: ServerName[] = round % 2 === 1 ? ['redis', 'corral'] : ['corral', 'redis'];
      for (const keyspace of s.keyspaces) {
        for (const test of s.tests) {
          for (const pipeline of s.pipelines) {
            for (const name of order) {
              const rec = await measure(clusters[name]!, test, pipeline, keyspace, s.requests[pipeline]!, s, round, runs.length + 1);
              if (interrupted) return never();
              runs.push(rec);
              const share = rec.commandsByNode.map((n) => String(n)).join('/');
              const msg = rec.ok
                ? `${fmt(rec.rps)} ops/s p50 ${fmt(rec.p50Ms, 3)} p99 ${fmt(rec.p99Ms, 3)} ms, cpu ${fmt(rec.cpuUsPerReq, 2)} us/req ` +
                  `(nodes ${fmt(rec.serverCores, 2)} cores, bench ${fmt(rec.benchCpuUsPerReq, 2)} us/req, other ${fmt(rec.otherCores, 2)} cores), ` +
                  `commands/node ${share}` + (Number.isFinite(rec.hitPct) ? `, hits ${fmt(rec.hitPct, 2)}%` : '')
                : `FAILED ${rec.error}`;
              console.log(`[${runs.length}/${total}] round ${round} keys ${keyspace} ${test.toUpperCase()} P${pipeline} ${name.padEnd(6)} ${msg}`);
              if (rec.notes.length > 0) console.log(`    notes: ${rec.notes.join(' | ')}`);
              await sleep(200);
            }
          }
        }
      }
    }
  } finally {
    await stopAll();
    removeHandlers();
  }

  const summary = summarize(runs, s);
  const md = perKeyspace(summary, s, '##', mainTable);
  const diag = perKeyspace(summary, s, '### Diagnostics:', diagnosticsTable);
  console.log('\n' + md + '\n\n' + diag);
  const stamp = isoStamp(started);
  const settings = { ...s, backgroundCores, shards: SHARDS, targetOpsRatio: TARGET_OPS_RATIO, redisPorts: clusters.redis?.ports, corralPorts: clusters.corral?.ports };
  const json = JSON.stringify({ kind: 'cluster-bench', started: started.toISOString(), machine, settings, summary, runs },
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  const jsonFile = writeResult(resultsDir, `cluster-${stamp}.json`, json + '\n');
  const shortest = Math.min(...summary.flatMap((r) => [r.redis.runSeconds, r.corral.runSeconds]).filter(Number.isFinite));
  const maxQuantPct = (REDIS_BENCHMARK_TICK_MS / 1000 / shortest) * 100;
  const notes = [...new Set(runs.flatMap((r) => r.notes.map((n) => `${r.server}: ${n}`)))];
  const mdText = [
    `# corral cluster vs Redis Cluster (${SHARDS} shards each) — ${started.toISOString()}`, '',
    describeMachine(machine).split('\n').map((l) => `- ${l}`).join('\n'),
    `- background load before start: ${fmt(backgroundCores, 2)} cores busy`,
    `- corral: \`corral up --shards ${SHARDS}\` (${SHARDS} node processes); redis: ${SHARDS} redis-server primaries, cluster-enabled`,
    `- redis-benchmark --cluster: ${s.clients} clients, keyspaces ${s.keyspaces.join(', ')} per node (1: no -r), ` +
      `${s.rounds} round${s.rounds === 1 ? '' : 's'} (alternating order), requests ${requestsDesc(s)}${s.quick ? ' (quick)' : ''}`,
    '- values are medians over rounds; latencies in ms; cpu = utime+stime summed over the cluster\'s node processes, per request; ' +
      'hit % = keyspace_hits / (hits + misses) of the nodes\' INFO stats during the run (GETMISS reads keys nothing writes)', '',
    md, '',
    '## Diagnostics', '',
    '- commands per node: share of the commands each node processed (INFO stats); run s: elapsed time redis-benchmark ' +
      'reports; cores: CPU / wall time of the nodes, of redis-benchmark (which shares the machine\'s cores with them) and of ' +
      'everything else on the machine (noise if well above 0); bench cpu: redis-benchmark\'s own CPU per request',
    `- redis-benchmark --cluster runs one thread per primary and only notices the end of a run on its ${REDIS_BENCHMARK_TICK_MS} ms ` +
      `timer, so its elapsed time is rounded up to a ${REDIS_BENCHMARK_TICK_MS} ms tick: ops/s are under-reported by up to ` +
      `${fmt(maxQuantPct, 1)}% here (${REDIS_BENCHMARK_TICK_MS} ms / shortest median run), similarly for both clusters`, '',
    diag, '',
    ...(notes.length > 0 ? ['Notes from the runs:', '', ...notes.slice(0, 20).map((n) => `- ${n}`), ''] : []),
    `Raw runs: bench/results/${path.basename(jsonFile)}`, '',
  ].join('\n');
  writeResult(resultsDir, 'cluster-latest.md', mdText);
  console.log(`\nwrote ${path.relative(repoRoot, jsonFile)} and bench/results/cluster-latest.md`);
  if (runs.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  if (interrupted) return; // the interrupt handler is stopping everything and will exit
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
