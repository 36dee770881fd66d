// bench/server-bench.ts — side-by-side throughput/latency/CPU benchmark of
// corral vs. a real redis-server (`npm run bench`).
//
// Owns: starting one redis-server and one corral node on free ports, running
// redis-benchmark (one test per invocation, 50 clients, --csv) at every keyspace of --keyspaces
// (default 100,000 random keys, -r 100000, and redis-benchmark's default single key, no -r)
// against each in alternating order over several rounds, measuring each server's CPU time per
// request from /proc/<pid>/stat and the share of its lookups that hit (INFO stats
// keyspace_hits/misses), and reporting medians and corral/redis ratios, one table per keyspace,
// largest first (stdout, bench/results/server-<ts>.json whose summary rows and runs carry their
// keyspace, bench/results/server-latest.md). Process/report helpers live in bench/lib/.
// A warm-up (not recorded) SETs every keyspace on both servers first so GETs hit (see
// warmupRequests in bench/lib/redis-benchmark.ts) and corral's JIT is warm.
//
// Tests: redis-benchmark's own (-t get, set, incr, mset...); getmiss: GET miss:__rand_int__ (a
// prefix nothing writes, so every GET misses; get measures hits); publishN: PUBLISH of a 16-byte
// message to a channel with N subscribers (bench/lib/subscribers.ts), e.g. publish1, publish50;
// settrackN: SET with N RESP3 clients in CLIENT TRACKING BCAST mode (each told of every change).
// evalsha: EVALSHA of a small token-bucket rate-limit script (TIME, HMGET, HSET, PEXPIRE), loaded
// with SCRIPT LOAD first, on key rl:<n> (rl:__rand_int__ with -r).
//
// Flags: --rounds N (3)  --tests get,getmiss,set,incr,mset  --pipelines 1,16  --quick
//        --keyspaces 1,100000 (1 = no -r; --keyspace N: a synonym for --keyspaces N)
//        --requests N (all pipelines; env BENCH_REQUESTS; default P1 100k, P>1 1M: the default
//        run, 5 tests x 2 pipelines x 2 keyspaces x 3 rounds x 2 servers, takes ~5 min on 2
//        cores)  --clients N (50)
//        --tls: both servers also get a tls-port (certificates from util/x509.ts, clients
//        authenticated), and redis-benchmark runs over TLS (--tls --cacert --cert --key)
// Env:   CORRAL_CMD  shell command with {port}, replaces the corral command,
//        e.g. CORRAL_CMD='redis-server --port {port} --save "" --appendonly no'

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  cpuMicros,
  freePort,
  onInterrupt,
  run,
  startServer,
  stopServer,
  sleep,
  type ServerProc,
} from './lib/procs.js';
import {
  hitPercent,
  keyspaceArgs,
  keyspaceLabel,
  lookupCounts,
  missKey,
  parseBenchmarkCsv,
  parseKeyspaces,
  warmupRequests,
  type BenchmarkCsvRow,
  type LookupCounts,
} from './lib/redis-benchmark.js';
import { subscribe, trackers, type Subscribers } from './lib/subscribers.js';
import { RespConn } from './lib/resp.js';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { generateDevCertificates, type DevCertificatePaths } from '../src/util/x509.js';
import { describeMachine, fmt, isoStamp, machineInfo, markdownTable, median, writeResult, positiveIntFlag } from './lib/report.js';
import { NODE_V8_FLAGS } from '../src/util/node-flags.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = path.join(repoRoot, 'bench', 'results');

type ServerName = 'redis' | 'corral';
const SERVERS: readonly ServerName[] = ['redis', 'corral'];

interface Settings {
  rounds: number;
  tests: string[];
  pipelines: number[];
  clients: number;
  /** 1: redis-benchmark's default single key (no -r); N: -r N. Largest first. */
  keyspaces: number[];
  requests: Record<string, number>; // by pipeline
  requestsOverridden: boolean; // if not, pipelined MSET (10 keys/request) runs half as many
  quick: boolean;
  corralCmd: string;
  /** --tls: the certificates both servers and redis-benchmark use, and each server's TLS port. */
  tls: { certs: DevCertificatePaths; dir: string; ports: Partial<Record<ServerName, number>> } | null;
}

/** One redis-benchmark run: its CSV figures (BenchmarkCsvRow) plus what the harness measured. */
interface RunRecord extends Omit<BenchmarkCsvRow, 'test'> {
  round: number;
  order: number; // position of this run in the whole sequence
  server: ServerName;
  test: string;
  pipeline: number;
  keyspace: number;
  requests: number;
  ok: boolean;
  error?: string;
  wallMs: number;
  cpuUs: number;
  cpuUsPerReq: number;
  /** Share of the server's key lookups that hit during the run (INFO stats), %; null: none. */
  hitPct: number;
}

interface SummaryRow {
  test: string;
  pipeline: number;
  keyspace: number;
  redis: ServerSummary;
  corral: ServerSummary;
  ratioOps: number; // corral / redis
  ratioCpuPerReq: number; // corral / redis
}

interface ServerSummary {
  runs: number;
  failed: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number;
  hitPct: number;
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
      tls: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const quick = values.quick ?? false;
  const pipelines = (values.pipelines ?? '1,16').split(',').map((p) => positiveIntFlag(p.trim(), '--pipelines', 1));
  const tests = (values.tests ?? 'get,getmiss,set,incr,mset').split(',').map((t) => t.trim().toLowerCase());
  const nAll = values.requests ?? process.env['BENCH_REQUESTS'];
  const requests: Record<string, number> = {};
  for (const p of pipelines) {
    const dflt = quick ? (p === 1 ? 20_000 : 100_000) : p === 1 ? 100_000 : 1_000_000;
    requests[p] = positiveIntFlag(nAll, '--requests', dflt);
  }
  const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  return {
    rounds: positiveIntFlag(values.rounds, '--rounds', 3),
    tests,
    pipelines,
    clients: positiveIntFlag(values.clients, '--clients', 50),
    keyspaces: parseKeyspaces(values.keyspaces, values.keyspace),
    requests,
    requestsOverridden: nAll !== undefined && nAll !== '',
    quick,
    corralCmd: process.env['CORRAL_CMD'] ?? `'${process.execPath}' ${NODE_V8_FLAGS.join(' ')} '${corralMain}' server --port {port}`,
    tls: values.tls === true ? tlsSetup() : null,
  };
}

function tlsSetup(): NonNullable<Settings['tls']> {
  const dir = mkdtempSync(path.join(tmpdir(), 'corral-bench-tls-'));
  return { dir, certs: generateDevCertificates(dir), ports: {} };
}

/** A server's TLS flags (the same names for redis-server and corral). */
function tlsServerFlags(s: Settings, port: number): string[] {
  const c = s.tls!.certs;
  return ['--tls-port', String(port), '--tls-cert-file', c.serverCert, '--tls-key-file', c.serverKey, '--tls-ca-cert-file', c.caCert];
}

function requestsFor(s: Settings, test: string, pipeline: number): number {
  const n = s.requests[pipeline]!;
  return !s.requestsOverridden && test === 'mset' && pipeline > 1 ? Math.round(n / 2) : n;
}

function requestsDesc(s: Settings): string {
  const all = s.pipelines.map((p) => `P${p}=${s.requests[p]}`).join(' ');
  return all + (s.requestsOverridden ? '' : ' (pipelined MSET: half)');
}

/** keyspace_hits / keyspace_misses of a server (over its plain port, also open with --tls). */
async function lookups(port: number): Promise<LookupCounts> {
  const conn = await RespConn.connect(port);
  try {
    const text = await conn.ok('INFO', 'stats');
    return lookupCounts(typeof text === 'string' ? text : '');
  } finally {
    conn.close();
  }
}

async function measure(
  srv: ServerProc,
  name: ServerName,
  test: string,
  pipeline: number,
  keyspace: number,
  s: Settings,
  round: number,
  order: number,
  requests?: number, // default: requestsFor()
): Promise<RunRecord> {
  if (srv.child.exitCode !== null || srv.child.signalCode !== null) {
    throw new Error(`${name} server died:\n${srv.tail()}`);
  }
  const n = requests ?? requestsFor(s, test, pipeline);
  const tlsPort = s.tls?.ports[name];
  const args = ['-h', '127.0.0.1', '-p', String(tlsPort ?? srv.port), '-c', String(s.clients), '-n', String(n)];
  if (tlsPort !== undefined) {
    const c = s.tls!.certs;
    args.push('--tls', '--cacert', c.caCert, '--cert', c.clientCert, '--key', c.clientKey);
  }
  args.push(...keyspaceArgs(keyspace));
  args.push('-P', String(pipeline), '--csv');
  // publishN: N subscribers on channel `bench`, then PUBLISH bench <16 bytes> (every message is
  // checked to have reached every subscriber).
  const pub = /^publish(\d+)$/.exec(test);
  let subs: Subscribers | null = null;
  if (test === 'evalsha') {
    await loadScript(srv.port, TOKEN_BUCKET);
    const sha = createHash('sha1').update(TOKEN_BUCKET).digest('hex');
    args.push('EVALSHA', sha, '1', keyspace > 1 ? 'rl:__rand_int__' : 'rl:0', '100', '10');
  } else if (test === 'getmiss') {
    args.push('GET', missKey());
  } else if (pub !== null) {
    subs = await subscribe(srv.port, 'bench', Number(pub[1]));
    args.push('PUBLISH', 'bench', 'm'.repeat(16));
  } else {
    const track = /^settrack(\d+)$/.exec(test);
    if (track !== null) subs = await trackers(srv.port, Number(track[1]));
    args.push('-t', track !== null ? 'set' : test);
  }
  const lookups0 = await lookups(srv.port);
  const cpu0 = cpuMicros(srv.pid);
  const t0 = performance.now();
  const res = await run('redis-benchmark', args);
  const wallMs = performance.now() - t0;
  const cpuUs = cpuMicros(srv.pid) - cpu0;
  const hitPct = srv.child.exitCode === null ? hitPercent(lookups0, await lookups(srv.port)) : NaN;
  let delivered = '';
  if (subs !== null && pub === null) {
    // Trackers: invalidations are batched per turn, so only their arrival is checked.
    for (let i = 0; i < 100 && subs.bytes() === 0; i++) await sleep(10);
    if (subs.bytes() === 0) delivered = 'the tracking clients received no invalidation';
    subs.close();
  } else if (subs !== null) {
    const frame = `*3\r\n$7\r\nmessage\r\n$5\r\nbench\r\n$16\r\n${'m'.repeat(16)}\r\n`;
    const expected = n * Number(pub![1]) * frame.length;
    for (let i = 0; i < 200 && subs.bytes() < expected; i++) await sleep(10);
    if (subs.bytes() !== expected) delivered = `subscribers received ${subs.bytes()} bytes, expected ${expected}`;
    subs.close();
  }
  const rec: RunRecord = {
    round, order, server: name, test, pipeline, keyspace, requests: n, ok: false,
    rps: NaN, avgMs: NaN, minMs: NaN, p50Ms: NaN, p95Ms: NaN, p99Ms: NaN, maxMs: NaN,
    wallMs: Math.round(wallMs), cpuUs: Math.round(cpuUs), cpuUsPerReq: cpuUs / n, hitPct,
  };
  try {
    if (res.code !== 0) throw new Error(`redis-benchmark exited ${res.code}`);
    if (delivered !== '') throw new Error(delivered);
    const { test: _t, ...c } = parseBenchmarkCsv(res.stdout);
    Object.assign(rec, c, { ok: Number.isFinite(c.rps) && c.rps > 0 });
    if (!rec.ok) throw new Error('no throughput reported');
  } catch (err) {
    rec.error = `${(err as Error).message}: ${(res.stderr + res.stdout).trim().slice(-500)}`;
  }
  return rec;
}

/** The evalsha test's script: a token bucket of ARGV[1] tokens refilled at ARGV[2] per second. */
const TOKEN_BUCKET = `local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or capacity
local ts = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + (now - ts) * rate / 1000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000))
return allowed`;

async function loadScript(port: number, script: string): Promise<void> {
  const conn = await RespConn.connect(port);
  try {
    const reply = await conn.command('SCRIPT', 'LOAD', script);
    if (typeof reply !== 'string' || reply.length !== 40) throw new Error(`SCRIPT LOAD failed: ${JSON.stringify(reply)}`);
  } finally {
    conn.close();
  }
}

function summarize(runs: RunRecord[], s: Settings): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const keyspace of s.keyspaces) {
    for (const test of s.tests) {
      for (const pipeline of s.pipelines) {
        const per = (server: ServerName): ServerSummary => {
          const all = runs.filter((r) => r.server === server && r.test === test && r.pipeline === pipeline && r.keyspace === keyspace);
          const ok = all.filter((r) => r.ok);
          return {
            runs: all.length,
            failed: all.length - ok.length,
            rps: median(ok.map((r) => r.rps)),
            p50Ms: median(ok.map((r) => r.p50Ms)),
            p99Ms: median(ok.map((r) => r.p99Ms)),
            cpuUsPerReq: median(ok.map((r) => r.cpuUsPerReq)),
            hitPct: median(ok.map((r) => r.hitPct)),
          };
        };
        const redis = per('redis');
        const corral = per('corral');
        rows.push({
          test, pipeline, keyspace, redis, corral,
          ratioOps: corral.rps / redis.rps,
          ratioCpuPerReq: corral.cpuUsPerReq / redis.cpuUsPerReq,
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

/** One markdown table per keyspace, largest first, each under a heading naming it. */
function tables(rows: SummaryRow[], s: Settings, heading: string): string {
  return s.keyspaces
    .map((k) => `${heading} ${keyspaceLabel(k)}\n\n${table(rows.filter((r) => r.keyspace === k))}`)
    .join('\n\n');
}

function table(rows: SummaryRow[]): string {
  const header = ['test', 'P', 'redis ops/s', 'redis p50', 'redis p99', 'redis cpu us/req',
    'corral ops/s', 'corral p50', 'corral p99', 'corral cpu us/req', 'ops corral/redis', 'cpu/req corral/redis',
    'hit % redis/corral'];
  const srv = (x: ServerSummary): string[] =>
    [fmt(x.rps), fmt(x.p50Ms, 3), fmt(x.p99Ms, 3), fmt(x.cpuUsPerReq, 2)];
  const body = rows.map((r) => [
    r.test.toUpperCase() + (r.corral.failed || r.redis.failed ? ` (failed: ${r.redis.failed}/${r.corral.failed})` : ''),
    String(r.pipeline), ...srv(r.redis), ...srv(r.corral), fmt(r.ratioOps, 2), fmt(r.ratioCpuPerReq, 2), hitCell(r),
  ]);
  return markdownTable(header, body);
}

async function main(): Promise<void> {
  const s = parseSettings();
  const machine = machineInfo(repoRoot);
  console.log(describeMachine(machine));
  const servers: Partial<Record<ServerName, ServerProc>> = {};
  const stopAll = async (): Promise<void> => {
    await Promise.all(Object.values(servers).map((p) => stopServer(p)));
  };
  const removeHandlers = onInterrupt(stopAll);
  const started = new Date();
  const runs: RunRecord[] = [];
  try {
    if (s.tls !== null) for (const name of SERVERS) s.tls.ports[name] = await freePort();
    const redisPort = await freePort();
    servers.redis = await startServer(
      ['redis-server', '--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(s.tls !== null ? tlsServerFlags(s, s.tls.ports.redis!) : [])],
      { name: 'redis', port: redisPort, cwd: repoRoot },
    );
    const corralPort = await freePort();
    const corralCmd = s.tls !== null ? `${s.corralCmd} ${tlsServerFlags(s, s.tls.ports.corral!).join(' ')}` : s.corralCmd;
    servers.corral = await startServer(corralCmd, { name: 'corral', port: corralPort, cwd: repoRoot });
    console.log(`redis-server pid ${servers.redis.pid} port ${redisPort}; ` +
      `corral pid ${servers.corral.pid} port ${corralPort}${process.env['CORRAL_CMD'] ? ' (CORRAL_CMD)' : ''}`);
    console.log(`rounds ${s.rounds}, tests ${s.tests.join(',')}, pipelines ${s.pipelines.join(',')}, ` +
      `clients ${s.clients}, keyspaces ${s.keyspaces.join(',')}, requests ${requestsDesc(s)}`);

    // Warm-up (not recorded): SETs over every keyspace so GETs hit, and warms up corral's JIT.
    for (const keyspace of s.keyspaces) {
      for (const name of SERVERS) {
        const n = warmupRequests(keyspace, s.quick ? 50_000 : 300_000);
        const w = await measure(servers[name]!, name, 'set', 16, keyspace, s, 0, 0, n);
        if (!w.ok) throw new Error(`warm-up against ${name} failed: ${w.error}`);
      }
    }

    const total = s.rounds * s.keyspaces.length * s.tests.length * s.pipelines.length * SERVERS.length;
    for (let round = 1; round <= s.rounds; round++) {
      const order: ServerName[] = round % 2 === 1 ? ['redis', 'corral'] : ['corral', 'redis'];
      for (const keyspace of s.keyspaces) {
        for (const test of s.tests) {
          for (const pipeline of s.pipelines) {
            for (const name of order) {
              const rec = await measure(servers[name]!, name, test, pipeline, keyspace, s, round, runs.length + 1);
              runs.push(rec);
              const msg = rec.ok
                ? `${fmt(rec.rps)} ops/s p50 ${fmt(rec.p50Ms, 3)} p99 ${fmt(rec.p99Ms, 3)} ms, cpu ${fmt(rec.cpuUsPerReq, 2)} us/req` +
                  (Number.isFinite(rec.hitPct) ? `, hits ${fmt(rec.hitPct, 2)}%` : '')
                : `FAILED ${rec.error}`;
              console.log(`[${runs.length}/${total}] round ${round} keys ${keyspace} ${test.toUpperCase()} P${pipeline} ${name.padEnd(6)} ${msg}`);
              await sleep(200);
            }
          }
        }
      }
    }
  } finally {
    await stopAll();
    removeHandlers();
    if (s.tls !== null) rmSync(s.tls.dir, { recursive: true, force: true });
  }

  const summary = summarize(runs, s);
  console.log('\n' + tables(summary, s, '##'));
  const stamp = isoStamp(started);
  const settings = { ...s, tls: s.tls !== null, corralCmdOverridden: process.env['CORRAL_CMD'] !== undefined };
  const json = JSON.stringify({ kind: 'server-bench', started: started.toISOString(), machine, settings, summary, runs },
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  const jsonFile = writeResult(resultsDir, `server-${stamp}.json`, json + '\n');
  const mdText = [
    `# corral vs redis-server — ${started.toISOString()}`, '',
    describeMachine(machine).split('\n').map((l) => `- ${l}`).join('\n'),
    `- redis-benchmark${s.tls !== null ? ' over TLS (client certificates)' : ''}: ${s.clients} clients, keyspaces ${s.keyspaces.join(', ')} (1: no -r), ${s.rounds} rounds (alternating order), ` +
      `requests ${requestsDesc(s)}${s.quick ? ' (quick)' : ''}`,
    settings.corralCmdOverridden ? `- corral command overridden: \`${s.corralCmd}\`` : '',
    '- values are medians over rounds; latencies in ms; cpu = server utime+stime per request; ' +
      'hit % = keyspace_hits / (hits + misses) of INFO stats during the run (GETMISS reads keys nothing writes)', '',
    tables(summary, s, '##'), '', `Raw runs: bench/results/${path.basename(jsonFile)}`, '',
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '').join('\n');
  writeResult(resultsDir, 'server-latest.md', mdText);
  console.log(`\nwrote ${path.relative(repoRoot, jsonFile)} and bench/results/server-latest.md`);
  if (runs.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
