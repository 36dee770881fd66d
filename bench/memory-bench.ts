// bench/memory-bench.ts — memory per key of corral vs a real redis-server, and RSS under churn with maxmemory set (`npm run bench:memory`).
//
// Owns: for each case (N keys of 16 bytes, V-byte string values), starting one server at a time
// on a free port (redis-server with persistence off, or a corral node), reading its RSS right after
// start (VmRSS from /proc/<pid>/status: the empty baseline), loading keys 0..N-1 with SET in
// large pipelined batches of raw RESP over a few sockets (bench/lib/resp.ts), checking DBSIZE,
// letting it settle, reading VmRSS again (and VmHWM, the peak), INFO memory, then stopping it.
// RSS per key = (settled VmRSS - baseline VmRSS) / N. Servers run one at a time, so a 5M x 1 KB
// case (5+ GB per server) needs the memory of one server only. With --rounds > 1 the order of
// the two servers flips every round and the report gives medians. Results: stdout,
// bench/results/memory-<ts>.json, bench/results/memory-latest.md.
//
// Flags: --cases 1Mx100,1Mx1K,5Mx100 (default; `all` = those + 5Mx1K; <keys>x<value bytes>, K/M
//        suffixes)  --quick (100Kx100,100Kx1K)  --rounds N (1)  --servers redis,corral
//        --settle-ms N (3000: idle time after the load before the settled RSS reading)
//        --sockets N (4)  --corral-heap none|auto|<MB>: node --max-old-space-size for corral (none).
//        auto (default) leaves node's default heap limit (4144 MB on this machine) unless the
//        case's data cannot fit in it, then raises it (and the report says so).
// Env:   CORRAL_CMD  shell command with {port}, replaces the corral command (no heap flag added).
//
// What the default covers: 1M x 100 B, 1M x 1 KB and 5M x 100 B (about a minute on 2 cores; at
// most ~2 GB RSS per server). `--cases all` adds 5M x 1 KB (about 2 minutes more; ~6.7 GB per
// server, one at a time). corral keeps keys and values off the V8 heap, so it needs no raised
// heap limit (--corral-heap none, the default); the Map store before it died at ~3.3M such keys
// under node's default limit, which --corral-heap auto (raise --max-old-space-size where a Map
// store would need it) still reproduces for old builds via CORRAL_CMD. A case is
// skipped (and reported) if MemAvailable is too small for it.
//
// Churn case (`--cases churn`, also in `all`; bench/lib/churn.ts): each server with maxmemory M
// and an allkeys-* policy takes phases of pipelined SETs of random keys from a keyspace ~10x
// larger than fits (default 100 B values, then 1 KB, then 50 B..4 KB log-uniform; 1.5 x M of
// key + value bytes each), VmRSS and used_memory sampled every 250 ms; it checks the requirement
// peak RSS - empty baseline <= 1.1 x M (PASS/FAIL), and reports final RSS, peak used_memory and
// evicted_keys. Flags: --churn-maxmemory 256mb  --churn-policy allkeys-lru (corral also takes
// allkeys-tinylfu; redis then runs allkeys-lru)  --churn-phases 100,1K,50-4K (N or MIN-MAX, K =
// 1024)  --churn-phase-data 1.5 (x M per phase)  --churn-keyspace auto|N  --churn-sample-ms 250
// --churn-seed 1. A quick check: `--cases churn --churn-maxmemory 64mb` (well under a minute).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';
import { freePort, onInterrupt, procStatusBytes, sleep, startServer, stopServer, type ServerProc } from './lib/procs.js';
import { describeMachine, fmt, isoStamp, machineInfo, markdownTable, median, writeResult, positiveIntFlag } from './lib/report.js';
import { KEY_LEN, RespConn, info, loadKeys } from './lib/resp.js';
import {
  churnMarkdown, churnMemoryNeed, churnTables, describeChurnRun, parseChurnSettings, runChurn, skippedChurnRun, summarizeChurn,
  type ChurnRun, type ChurnSettings, type ServerName,
} from './lib/churn.js';
import { NODE_V8_FLAGS } from '../src/util/node-flags.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = path.join(repoRoot, 'bench', 'results');

interface Case {
  name: string;
  keys: number;
  valueSize: number;
}

interface Settings {
  cases: Case[];
  rounds: number;
  servers: ServerName[];
  settleMs: number;
  sockets: number;
  corralHeap: 'auto' | 'none' | number;
  quick: boolean;
  corralCmdOverride: string | null;
  /** The churn case's settings, or null when `churn` is not among --cases. */
  churn: ChurnSettings | null;
}

interface Measurement {
  round: number;
  order: number;
  case: string;
  server: ServerName;
  keys: number;
  valueSize: number;
  ok: boolean;
  error?: string;
  /** node --max-old-space-size given to corral (MB), or null for node's default. */
  corralHeapMb: number | null;
  baselineRss: number;
  rssAfterLoad: number;
  rssSettled: number;
  peakRss: number;
  rssAnonSettled: number;
  dbsize: number;
  loadErrors: number;
  loadMs: number;
  usedMemoryEmpty: number;
  usedMemoryFull: number;
  /** Selected INFO memory fields after the load (heap figures for corral, allocator for Redis). */
  infoAfter: Record<string, number>;
}

const DEFAULT_CASES = '1Mx100,1Mx1K,5Mx100';
const ALL_CASES = '1Mx100,1Mx1K,5Mx100,5Mx1K,churn';
const QUICK_CASES = '100Kx100,100Kx1K';

function parseCount(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`${what}: cannot read "${s}"`);
  const mult = m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1;
  return Math.round(Number(m[1]) * mult);
}

/** The <keys>x<value> cases of a --cases spec (the `churn` token is not one of them). */
function parseCases(spec: string): Case[] {
  return spec.split(',').filter((c) => c.trim() !== 'churn').map((c) => {
    const [k, v] = c.trim().split(/x/i);
    if (k === undefined || v === undefined) throw new Error(`--cases: expected <keys>x<value>, got "${c}"`);
    const keys = parseCount(k, '--cases keys');
    // value sizes: K = 1024 bytes (1 KB values), keys: K = 1000
    const vm = /^(\d+)([kK]?)$/.exec(v.trim());
    if (!vm) throw new Error(`--cases: cannot read value size "${v}"`);
    const valueSize = Number(vm[1]) * (vm[2] ? 1024 : 1);
    return { name: c.trim(), keys, valueSize };
  });
}

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string' },
      rounds: { type: 'string' },
      servers: { type: 'string' },
      'settle-ms': { type: 'string' },
      sockets: { type: 'string' },
      'corral-heap': { type: 'string' },
      quick: { type: 'boolean', default: false },
      'churn-maxmemory': { type: 'string' },
      'churn-policy': { type: 'string' },
      'churn-phases': { type: 'string' },
      'churn-phase-data': { type: 'string' },
      'churn-keyspace': { type: 'string' },
      'churn-sample-ms': { type: 'string' },
      'churn-seed': { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick ?? false;
  const spec = values.cases === 'all' ? ALL_CASES : values.cases ?? (quick ? QUICK_CASES : DEFAULT_CASES);
  const servers = (values.servers ?? 'redis,corral').split(',').map((x) => x.trim()) as ServerName[];
  for (const s of servers) if (s !== 'redis' && s !== 'corral') throw new Error(`--servers: unknown server "${s}"`);
  const h = values['corral-heap'] ?? 'none';
  const corralHeap = h === 'auto' || h === 'none' ? h : positiveIntFlag(h, '--corral-heap', 0);
  return {
    cases: parseCases(spec),
    rounds: positiveIntFlag(values.rounds, '--rounds', 1),
    servers,
    settleMs: values['settle-ms'] === '0' ? 0 : positiveIntFlag(values['settle-ms'], '--settle-ms', 3000),
    sockets: positiveIntFlag(values.sockets, '--sockets', 4),
    corralHeap,
    quick,
    corralCmdOverride: process.env['CORRAL_CMD'] ?? null,
    churn: spec.split(',').some((c) => c.trim() === 'churn')
      ? parseChurnSettings({
          maxmemory: values['churn-maxmemory'], policy: values['churn-policy'], phases: values['churn-phases'],
          phaseData: values['churn-phase-data'], keyspace: values['churn-keyspace'], sampleMs: values['churn-sample-ms'], seed: values['churn-seed'],
        })
      : null,
  };
}

/** A generous estimate of corral's heap need for a case (bytes), for the auto heap limit. */
function corralHeapNeed(c: Case): number {
  const perKey = 450 + ((c.valueSize + 7) & ~7);
  return c.keys * perKey;
}

function corralHeapMb(c: Case, s: Settings): number | null {
  if (s.corralHeap === 'none') return null;
  if (typeof s.corralHeap === 'number') return s.corralHeap;
  const limit = getHeapStatistics().heap_size_limit; // node's default here (same binary, same machine)
  const need = corralHeapNeed(c);
  if (need * 1.25 < limit) return null;
  return Math.ceil((need * 2) / 2 ** 20 / 1024) * 1024;
}

function memAvailable(): number {
  const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : Infinity;
}

const INFO_FIELDS = [
  'used_memory', 'used_memory_rss', 'used_memory_dataset', 'used_memory_overhead', 'mem_fragmentation_ratio',
  'allocator_allocated', 'allocator_active', 'allocator_resident', 'node_heap_used', 'node_heap_total',
];

async function measureOne(
  s: Settings,
  c: Case,
  server: ServerName,
  round: number,
  order: number,
  track: (p: ServerProc | null) => void,
): Promise<Measurement> {
  const heapMb = server === 'corral' && s.corralCmdOverride === null ? corralHeapMb(c, s) : null;
  const rec: Measurement = {
    round, order, case: c.name, server, keys: c.keys, valueSize: c.valueSize, ok: false, corralHeapMb: heapMb,
    baselineRss: NaN, rssAfterLoad: NaN, rssSettled: NaN, peakRss: NaN, rssAnonSettled: NaN, dbsize: NaN,
    loadErrors: 0, loadMs: NaN, usedMemoryEmpty: NaN, usedMemoryFull: NaN, infoAfter: {},
  };
  const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const cmd: string | string[] =
    server === 'redis'
      ? ['redis-server', '--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
      : s.corralCmdOverride ??
        [process.execPath, ...NODE_V8_FLAGS, ...(heapMb !== null ? [`--max-old-space-size=${heapMb}`] : []), corralMain, 'server', '--port', '{port}'];
  const port = await freePort();
  let proc: ServerProc | null = null;
  let conn: RespConn | null = null;
  try {
    proc = await startServer(cmd, { name: server, port, cwd: repoRoot, onSpawn: (p) => track(p) });
    conn = await RespConn.connect(port);
    await conn.ok('PING');
    await sleep(1000);
    rec.baselineRss = procStatusBytes(proc.pid, 'VmRSS');
    rec.usedMemoryEmpty = Number((await info(conn, 'memory'))['used_memory']);
    let lastPct = -1;
    const load = await loadKeys({
      port, keys: c.keys, valueSize: c.valueSize, sockets: s.sockets,
      progress: (n) => {
        const pct = Math.floor((n * 10) / c.keys);
        if (pct !== lastPct && c.keys >= 2_000_000) {
          lastPct = pct;
          process.stdout.write(`  ${server} ${c.name}: ${pct * 10}% loaded, RSS ${fmt(procStatusBytes(proc!.pid, 'VmRSS') / 2 ** 20)} MB\n`);
        }
      },
    });
    rec.loadMs = Math.round(load.ms);
    rec.loadErrors = load.errors;
    if (load.errors > 0) throw new Error(`${load.errors} SETs failed during the load (first: ${load.firstError})`);
    rec.rssAfterLoad = procStatusBytes(proc.pid, 'VmRSS');
    rec.dbsize = Number(await conn.ok('DBSIZE'));
    if (rec.dbsize !== c.keys) throw new Error(`DBSIZE ${rec.dbsize} after loading ${c.keys} keys`);
    // Settle: idle, reading RSS every 500 ms; the last reading is the settled one.
    const until = Date.now() + s.settleMs;
    while (Date.now() < until) await sleep(500);
    rec.rssSettled = procStatusBytes(proc.pid, 'VmRSS');
    rec.rssAnonSettled = procStatusBytes(proc.pid, 'RssAnon');
    rec.peakRss = procStatusBytes(proc.pid, 'VmHWM');
    const inf = await info(conn, 'memory');
    rec.usedMemoryFull = Number(inf['used_memory']);
    for (const f of INFO_FIELDS) if (inf[f] !== undefined) rec.infoAfter[f] = Number(inf[f]);
    rec.ok = Number.isFinite(rec.rssSettled) && Number.isFinite(rec.baselineRss);
  } catch (err) {
    rec.error = (err as Error).message + (proc !== null && proc.child.exitCode !== null ? `\n${proc.tail()}` : '');
  } finally {
    conn?.close();
    if (proc !== null) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        rec.error = (rec.error ?? '') + ` [server exited: ${proc.child.exitCode ?? proc.child.signalCode}] ${proc.tail().slice(-800)}`;
        rec.ok = false;
      }
      await stopServer(proc);
    }
    track(null);
  }
  return rec;
}

interface Row {
  case: Case;
  per: Record<ServerName, {
    n: number;
    failed: number;
    rssPerKey: number;
    peakPerKey: number;
    usedPerKey: number;
    heapUsedPerKey: number;
    baselineMb: number;
    settledMb: number;
    afterLoadMb: number;
    peakMb: number;
    loadS: number;
    heapMb: number | null;
  }>;
  ratio: number;
  ratioPeak: number;
}

function summarize(all: Measurement[], s: Settings): Row[] {
  const MB = 2 ** 20;
  return s.cases.map((c) => {
    const per = {} as Row['per'];
    for (const srv of ['redis', 'corral'] as const) {
      const ms = all.filter((m) => m.case === c.name && m.server === srv);
      const ok = ms.filter((m) => m.ok);
      per[srv] = {
        n: ms.length,
        failed: ms.length - ok.length,
        rssPerKey: median(ok.map((m) => (m.rssSettled - m.baselineRss) / m.keys)),
        peakPerKey: median(ok.map((m) => (m.peakRss - m.baselineRss) / m.keys)),
        usedPerKey: median(ok.map((m) => (m.usedMemoryFull - m.usedMemoryEmpty) / m.keys)),
        heapUsedPerKey: median(ok.map((m) => (m.infoAfter['node_heap_used'] ?? NaN) / m.keys)),
        baselineMb: median(ok.map((m) => m.baselineRss / MB)),
        settledMb: median(ok.map((m) => m.rssSettled / MB)),
        afterLoadMb: median(ok.map((m) => m.rssAfterLoad / MB)),
        peakMb: median(ok.map((m) => m.peakRss / MB)),
        loadS: median(ok.map((m) => m.loadMs / 1000)),
        heapMb: ms[0]?.corralHeapMb ?? null,
      };
    }
    return {
      case: c, per,
      ratio: per.corral.rssPerKey / per.redis.rssPerKey,
      ratioPeak: per.corral.peakPerKey / per.redis.peakPerKey,
    };
  });
}

function humanCount(n: number): string {
  return n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1000 === 0 ? `${n / 1000}K` : String(n);
}

function tables(rows: Row[]): { main: string; detail: string } {
  const main = markdownTable(
    ['case', 'keys', 'value B', 'redis RSS B/key', 'corral RSS B/key', 'RSS corral/redis', 'target <= 0.8',
      'redis peak B/key', 'corral peak B/key', 'peak corral/redis'],
    rows.map((r) => [
      r.case.name, humanCount(r.case.keys), String(r.case.valueSize), fmt(r.per.redis.rssPerKey, 1), fmt(r.per.corral.rssPerKey, 1),
      fmt(r.ratio, 2), Number.isFinite(r.ratio) ? (r.ratio <= 0.8 ? 'met' : 'not met') : 'n/a',
      fmt(r.per.redis.peakPerKey, 1), fmt(r.per.corral.peakPerKey, 1), fmt(r.ratioPeak, 2),
    ]),
  );
  const detail = markdownTable(
    ['case', 'server', 'payload B/key', 'RSS B/key', 'over payload B/key', 'used_memory B/key', 'V8 heap used B/key',
      'baseline MB', 'after load MB', 'settled MB', 'peak MB', 'load s', 'heap limit'],
    rows.flatMap((r) => (['redis', 'corral'] as const).map((srv) => {
      const p = r.per[srv];
      const payload = KEY_LEN + r.case.valueSize;
      return [
        r.case.name, srv + (p.failed ? ` (failed ${p.failed}/${p.n})` : ''), String(payload), fmt(p.rssPerKey, 1),
        fmt(p.rssPerKey - payload, 1), fmt(p.usedPerKey, 1), srv === 'corral' ? fmt(p.heapUsedPerKey, 1) : 'n/a',
        fmt(p.baselineMb, 1), fmt(p.afterLoadMb, 1), fmt(p.settledMb, 1), fmt(p.peakMb, 1), fmt(p.loadS, 1),
        srv === 'corral' ? (p.heapMb !== null ? `${p.heapMb} MB` : 'default') : 'n/a',
      ];
    })),
  );
  return { main, detail };
}

async function main(): Promise<void> {
  const s = parseSettings();
  const machine = machineInfo(repoRoot);
  console.log(describeMachine(machine));
  console.log(`cases ${[...s.cases.map((c) => c.name), ...(s.churn ? ['churn'] : [])].join(', ')}; servers ${s.servers.join(',')}; rounds ${s.rounds}; ` +
    `settle ${s.settleMs} ms; loader ${s.sockets} sockets; node default heap limit ${fmt(getHeapStatistics().heap_size_limit / 2 ** 20)} MB`);
  let current: ServerProc | null = null;
  const stopAll = async (): Promise<void> => {
    if (current !== null) await stopServer(current);
  };
  const removeHandlers = onInterrupt(stopAll);
  const started = new Date();
  const all: Measurement[] = [];
  const churnRuns: ChurnRun[] = [];
  const cs = s.churn;
  if (cs !== null) {
    console.log(`churn: maxmemory ${cs.maxmemorySpec} (${fmt(cs.maxmemory)} B), policy corral ${cs.policy} / redis ${cs.redisPolicy}, ` +
      `phases ${cs.phases.map((p) => p.name).join(' | ')} B x ${cs.phaseData} x M each, keyspace ${fmt(cs.keyspace)}`);
  }
  try {
    for (let round = 1; round <= s.rounds; round++) {
      for (const [ci, c] of s.cases.entries()) {
        const order = (round + ci) % 2 === 1 ? s.servers : [...s.servers].reverse();
        for (const server of order) {
          // One server at a time; skip a case the machine cannot hold right now.
          const need = server === 'corral' ? corralHeapNeed(c) * 1.3 : c.keys * (c.valueSize + 150) * 1.3;
          const avail = memAvailable();
          let rec: Measurement;
          if (need > avail * 0.9) {
            rec = {
              round, order: all.length + 1, case: c.name, server, keys: c.keys, valueSize: c.valueSize, ok: false,
              error: `skipped: needs ~${fmt(need / 2 ** 30, 1)} GiB, ${fmt(avail / 2 ** 30, 1)} GiB available`,
              corralHeapMb: null, baselineRss: NaN, rssAfterLoad: NaN, rssSettled: NaN, peakRss: NaN, rssAnonSettled: NaN,
              dbsize: NaN, loadErrors: 0, loadMs: NaN, usedMemoryEmpty: NaN, usedMemoryFull: NaN, infoAfter: {},
            };
          } else {
            rec = await measureOne(s, c, server, round, all.length + 1, (p) => (current = p));
          }
          all.push(rec);
          const msg = rec.ok
            ? `RSS ${fmt((rec.rssSettled - rec.baselineRss) / rec.keys, 1)} B/key (baseline ${fmt(rec.baselineRss / 2 ** 20, 1)} MB, ` +
              `settled ${fmt(rec.rssSettled / 2 ** 20, 1)} MB, peak ${fmt(rec.peakRss / 2 ** 20, 1)} MB), ` +
              `used_memory ${fmt((rec.usedMemoryFull - rec.usedMemoryEmpty) / rec.keys, 1)} B/key, load ${fmt(rec.loadMs / 1000, 1)} s` +
              (rec.corralHeapMb !== null ? `, --max-old-space-size=${rec.corralHeapMb}` : '')
            : `FAILED ${rec.error}`;
          console.log(`[round ${round}] ${c.name} ${server.padEnd(6)} ${msg}`);
        }
      }
      if (cs === null) continue;
      // Churn: corral first in odd rounds, one server at a time.
      const corralFirst = s.servers.includes('corral') ? ['corral', ...s.servers.filter((x) => x !== 'corral')] as ServerName[] : s.servers;
      for (const server of round % 2 === 1 ? corralFirst : [...corralFirst].reverse()) {
        const avail = memAvailable();
        const heap = typeof s.corralHeap === 'number' ? s.corralHeap : null;
        const rec = churnMemoryNeed(cs) > avail * 0.9
          ? skippedChurnRun(cs, server, round, churnRuns.length + 1, `skipped: needs ~${fmt(churnMemoryNeed(cs) / 2 ** 30, 1)} GiB, ${fmt(avail / 2 ** 30, 1)} GiB available`)
          : await runChurn(cs, { repoRoot, sockets: s.sockets, settleMs: s.settleMs, corralCmdOverride: s.corralCmdOverride, corralHeapMb: heap },
            server, round, churnRuns.length + 1, (p) => (current = p));
        churnRuns.push(rec);
        console.log(`[round ${round}] churn ${server.padEnd(6)} ${describeChurnRun(rec)}`);
      }
    }
  } finally {
    await stopAll();
    removeHandlers();
  }

  const rows = summarize(all, s);
  const t = tables(rows);
  if (rows.length > 0) console.log('\n' + t.main + '\n\n' + t.detail);
  const churnRows = cs !== null ? summarizeChurn(churnRuns, cs, [...new Set(churnRuns.map((r) => r.server))]) : [];
  if (cs !== null) {
    const ct = churnTables(churnRows, cs);
    console.log(`\nchurn, maxmemory M = ${cs.maxmemorySpec}:\n` + ct.main + '\n\n' + ct.phases);
  }
  const stamp = isoStamp(started);
  const json = JSON.stringify(
    { kind: 'memory-bench', started: started.toISOString(), machine, settings: s, nodeDefaultHeapLimit: getHeapStatistics().heap_size_limit, summary: rows, runs: all,
      ...(cs !== null ? { churn: { summary: churnRows, runs: churnRuns } } : {}) },
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  const jsonFile = writeResult(resultsDir, `memory-${stamp}.json`, json + '\n');
  const raised = rows.filter((r) => r.per.corral.heapMb !== null);
  const perKeyLines = rows.length === 0 ? [] : [
    `- cases (keys x value bytes, 16-byte keys): ${s.cases.map((c) => c.name).join(', ')}${s.quick ? ' (quick)' : ''}; ` +
      `${s.rounds} round(s)${s.rounds > 1 ? ', order flipped each round, medians' : ''}`,
    '- one server at a time, fresh process per case: redis-server `--save "" --appendonly no`; corral `server` with defaults' +
      (s.corralCmdOverride !== null ? ` (overridden: \`${s.corralCmdOverride}\`)` : ''),
    `- RSS per key = (VmRSS ${s.settleMs / 1000} s after the load - VmRSS 1 s after start) / keys; peak = VmHWM - baseline; ` +
      `load: SET pipelined in ~1 MB batches of raw RESP over ${s.sockets} sockets, 2 batches in flight each`,
    '- used_memory B/key: each server\'s own accounting (INFO used_memory after - before); corral\'s is its entry estimate',
    raised.length > 0
      ? `- corral heap limit raised (node's default is ${fmt(getHeapStatistics().heap_size_limit / 2 ** 20)} MB, too small for the data) for: ` +
        raised.map((r) => `${r.case.name} (--max-old-space-size=${r.per.corral.heapMb})`).join(', ')
      : '',
    '', t.main, '', t.detail, '',
  ];
  const failures = [
    ...all.filter((m) => !m.ok).map((m) => `- ${m.case} ${m.server}: ${m.error}`),
    ...churnRuns.filter((r) => !r.ok).map((r) => `- churn ${r.server} (round ${r.round}): ${r.error}`),
  ];
  const mdText = [
    `# Memory${rows.length > 0 ? ' per key' : ''}${cs !== null ? (rows.length > 0 ? ' and under churn' : ' under churn') : ''}: ` +
      `corral vs redis-server — ${started.toISOString()}`, '',
    describeMachine(machine).split('\n').map((l) => `- ${l}`).join('\n'),
    ...perKeyLines,
    '', cs !== null ? churnMarkdown(churnRows, cs, churnRuns, s.settleMs, s.sockets) : '', '',
    failures.length > 0 ? 'Failures:\n\n' + failures.join('\n') + '\n' : '',
    `Raw runs: bench/results/${path.basename(jsonFile)}`, '',
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '').join('\n');
  writeResult(resultsDir, 'memory-latest.md', mdText);
  console.log(`\nwrote ${path.relative(repoRoot, jsonFile)} and bench/results/memory-latest.md`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
