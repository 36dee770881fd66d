// bench/hitratio-bench.ts — cache-aside hit ratio of corral's eviction policies vs a real
// redis-server's allkeys-lru / allkeys-lfu, and the static optimum (`npm run bench:hitratio`).
//
// Owns: starting one server process per policy under test (corral nodes for --corral-policies,
// redis-servers for --redis-policies, persistence off) on free ports; calibrating each one's
// memory limit (load the whole key set with no limit, read used_memory, FLUSHALL: maxmemory for a
// fraction f = empty used_memory + f x (full used_memory - empty used_memory), so "f of the data
// set" in each server's own accounting); then, per trace and fraction, replaying the same
// deterministic trace against every server at once as a cache-aside client (GET; on a miss SET
// the 100-byte value), in windows: a pipelined batch of GETs, then one pipelined batch of SETs
// for that window's misses. Hits are counted over the measured part of the trace (after the
// warm-up); keys held (DBSIZE) are read at the end; the static optimum is the share of measured
// requests on the K most requested keys, K = keys held by the first corral policy. Every server
// it starts is stopped on exit, on error and on Ctrl-C / SIGTERM. Results: stdout,
// bench/results/hitratio-<ts>.json, bench/results/hitratio-latest.md.
//
// Why calibrate per server: the two servers account memory differently (Redis: allocator bytes
// of its dict entries, objects and sds strings plus fixed overhead and client buffers; corral: an
// estimate per entry), so one maxmemory number would hold a different share of the data set in
// each. Each gets the same share of its own full-data used_memory (its empty used_memory is
// subtracted first, so Redis's ~1 MB fixed overhead does not eat the 1% case); the report gives
// the keys each one actually held (Redis holds a few % fewer at small limits: its per-client
// buffers and the hash table's power-of-two buckets do not shrink with the data) and the optimum
// at each server's own key count.
//
// Window note: a real cache-aside client does GET, then SET on a miss, one request at a time.
// Here a window of requests is batched (all the window's GETs, then the SETs for its misses) to
// keep the run short; within a window a later request for a key that already missed is counted
// as a hit and not sent twice, as a sequential client would have SET it in between.
// Timing: the hit ratio barely depends on speed, but Redis's LRU clock has a 1 s resolution (keys
// touched in the same second look equally old to its sampler) and LFU counters decay per minute,
// so the request rate (servers run side by side on shared cores) can move Redis's LRU a little.
//
// Traces (bench/lib/traces.ts, seeded): zipf-<alpha> for each --alphas; scan: Zipf(--scan-alpha)
// runs of 4S requests alternating with sequential scans of S = 2 x (f x keys) consecutive keys;
// loop: keys cycled in a fixed order, loop length 2 x (f x keys).
//
// Flags: --keys N (1M)  --value-size B (100)  --alphas 0.8,1.0,1.2  --fractions 0.01,0.1
//        --traces zipf,scan,loop  --scan-alpha A (1.0)  --requests N (per trace, 6M)
//        --warmup N (2M; hits counted on the rest)  --window N (500 GETs per window)
//        --corral-policies default,allkeys-lru,allkeys-lfu ("default" = no maxmemory-policy set)
//        --redis-policies allkeys-lru,allkeys-lfu  --seed S  --quick (100K keys, 600K requests)
//        --render <results json>: only rewrite hitratio-latest.md from a saved run
//        --maxmemory-basis own|redis (own): redis = give every server the same data budget in bytes
//        (own empty used_memory + f x Redis's full-minus-empty), so a leaner engine holds more keys
// Env:   CORRAL_CMD  shell command with {port}, replaces the corral command.
// Run time: the default (10 traces x 6M requests x 5 servers) takes ~6 minutes on 2 cores;
// --quick ~30 s.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, onInterrupt, startServer, stopServer, type ServerProc } from './lib/procs.js';
import { pct, renderMarkdown, type CaseResult, type ResultFile, type ServerCaseResult, type Settings } from './lib/hitratio-report.js';
import { describeMachine, fmt, isoStamp, machineInfo, writeResult } from './lib/report.js';
import { BatchEncoder, R_BULK, R_ERROR, R_NIL, RespConn, info, loadKeys, type Reply, type ReplyKind } from './lib/resp.js';
import { buildTrace, permutation, topKPrefix, type TraceSpec } from './lib/traces.js';
import { NODE_V8_FLAGS } from '../src/util/node-flags.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = path.join(repoRoot, 'bench', 'results');

interface Instance {
  label: string; // e.g. "corral default", "redis allkeys-lru"
  server: 'corral' | 'redis';
  policy: string; // as given ("default" = not set)
  effectivePolicy: string; // CONFIG GET maxmemory-policy after setup
  proc: ServerProc;
  ctl: RespConn;
  data: RespConn;
  usedEmpty: number;
  usedFull: number;
  enc: BatchEncoder;
  seenWin: Int32Array;
}

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string' },
      'value-size': { type: 'string' },
      alphas: { type: 'string' },
      fractions: { type: 'string' },
      traces: { type: 'string' },
      'scan-alpha': { type: 'string' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      window: { type: 'string' },
      'corral-policies': { type: 'string' },
      'redis-policies': { type: 'string' },
      seed: { type: 'string' },
      'maxmemory-basis': { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const count = (s: string | undefined, what: string, dflt: number): number => {
    if (s === undefined || s === '') return dflt;
    const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
    if (!m) throw new Error(`${what}: expected a count (e.g. 500, 100K, 6M), got "${s}"`);
    const n = Math.round(Number(m[1]) * (m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1));
    if (n <= 0) throw new Error(`${what}: must be positive`);
    return n;
  };
  const nums = (s: string): number[] => s.split(',').map((x) => {
    const n = Number(x.trim());
    if (!Number.isFinite(n) || n <= 0) throw new Error(`expected positive numbers, got "${s}"`);
    return n;
  });
  const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const quick = values.quick ?? false;
  const requests = count(values.requests, '--requests', quick ? 600_000 : 6_000_000);
  const warmup = count(values.warmup, '--warmup', Math.round(requests / 3));
  if (warmup >= requests) throw new Error('--warmup must be smaller than --requests');
  const traces = list(values.traces ?? 'zipf,scan,loop');
  for (const t of traces) if (!['zipf', 'scan', 'loop'].includes(t)) throw new Error(`--traces: unknown trace "${t}"`);
  const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const fractions = nums(values.fractions ?? '0.01,0.1');
  for (const f of fractions) if (f >= 1) throw new Error('--fractions must be below 1');
  return {
    keys: count(values.keys, '--keys', quick ? 100_000 : 1_000_000),
    valueSize: count(values['value-size'], '--value-size', 100),
    alphas: nums(values.alphas ?? '0.8,1.0,1.2'),
    fractions,
    traces,
    scanAlpha: nums(values['scan-alpha'] ?? '1.0')[0]!,
    requests,
    warmup,
    window: count(values.window, '--window', 500),
    corralPolicies: list(values['corral-policies'] ?? 'default,allkeys-lru,allkeys-lfu'),
    redisPolicies: list(values['redis-policies'] ?? 'allkeys-lru,allkeys-lfu'),
    seed: values.seed ?? 'corral-hitratio-1',
    maxmemoryBasis: basis(values['maxmemory-basis']),
    quick,
    corralCmd: process.env['CORRAL_CMD'] ?? [process.execPath, ...NODE_V8_FLAGS, corralMain, 'server', '--port', '{port}'],
    corralCmdOverridden: process.env['CORRAL_CMD'] !== undefined,
  };
}

function basis(v: string | undefined): 'own' | 'redis' {
  if (v === undefined || v === 'own' || v === 'redis') return v ?? 'own';
  throw new Error(`--maxmemory-basis: expected own or redis, got "${v}"`);
}

function specsFor(s: Settings, fraction: number): TraceSpec[] {
  const cap = Math.max(1, Math.round(fraction * s.keys));
  const out: TraceSpec[] = [];
  for (const t of s.traces) {
    if (t === 'zipf') {
      for (const a of s.alphas) out.push({ name: `zipf-${a.toFixed(1)}`, kind: 'zipf', alpha: a, span: 0, gap: 0 });
    } else if (t === 'scan') {
      const span = Math.min(s.keys, 2 * cap);
      out.push({ name: `scan (zipf-${s.scanAlpha.toFixed(1)})`, kind: 'scan', alpha: s.scanAlpha, span, gap: 4 * span });
    } else {
      out.push({ name: 'loop', kind: 'loop', alpha: 0, span: Math.min(s.keys, 2 * cap), gap: 0 });
    }
  }
  return out;
}

function asNum(r: Reply): number {
  return typeof r === 'number' ? r : Number(r);
}

async function startInstance(
  s: Settings,
  server: 'corral' | 'redis',
  policy: string,
  track: (p: ServerProc) => void,
): Promise<Instance> {
  const port = await freePort();
  const cmd = server === 'redis'
    ? ['redis-server', '--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    : s.corralCmd;
  const label = `${server} ${policy}`;
  const proc = await startServer(cmd, { name: label, port, cwd: repoRoot, onSpawn: track });
  const ctl = await RespConn.connect(port);
  const data = await RespConn.connect(port);
  await ctl.ok('PING');
  await data.ok('PING');
  return {
    label, server, policy, effectivePolicy: '', proc, ctl, data, usedEmpty: NaN, usedFull: NaN,
    enc: new BatchEncoder(s.valueSize), seenWin: new Int32Array(s.keys),
  };
}

/** Loads the whole key set with no limit, reads used_memory, flushes. */
async function calibrate(s: Settings, inst: Instance): Promise<void> {
  await inst.ctl.ok('CONFIG', 'SET', 'maxmemory', '0');
  await inst.ctl.ok('FLUSHALL');
  inst.usedEmpty = Number((await info(inst.ctl, 'memory'))['used_memory']);
  const load = await loadKeys({ port: inst.proc.port, keys: s.keys, valueSize: s.valueSize });
  if (load.errors > 0) throw new Error(`${inst.label}: ${load.errors} SETs failed while calibrating (${load.firstError})`);
  const n = asNum(await inst.ctl.ok('DBSIZE'));
  if (n !== s.keys) throw new Error(`${inst.label}: DBSIZE ${n} after loading ${s.keys} keys`);
  inst.usedFull = Number((await info(inst.ctl, 'memory'))['used_memory']);
  await inst.ctl.ok('FLUSHALL');
}

/** Set by main: the instance whose calibration every server uses with --maxmemory-basis redis. */
let basisInstance: Instance | null = null;

function maxmemoryFor(inst: Instance, fraction: number): number {
  const c = basisInstance ?? inst;
  return Math.round(inst.usedEmpty + fraction * (c.usedFull - c.usedEmpty));
}

/** Replays the trace as a cache-aside client against one server. */
async function runTrace(
  s: Settings,
  inst: Instance,
  trace: Uint32Array,
  fraction: number,
  prefix: Float64Array,
): Promise<ServerCaseResult> {
  const maxmemory = maxmemoryFor(inst, fraction);
  await inst.ctl.ok('FLUSHALL');
  await inst.ctl.ok('CONFIG', 'SET', 'maxmemory', String(maxmemory));
  if (inst.policy !== 'default') await inst.ctl.ok('CONFIG', 'SET', 'maxmemory-policy', inst.policy);
  const pol = await inst.ctl.ok('CONFIG', 'GET', 'maxmemory-policy');
  inst.effectivePolicy = Array.isArray(pol) ? String(pol[1]) : String(pol);
  await inst.ctl.ok('CONFIG', 'RESETSTAT');
  inst.seenWin.fill(0);

  const misses = new Uint32Array(s.window);
  let nMiss = 0;
  let hits = 0;
  let warmHits = 0;
  let setErrors = 0;
  let setsSent = 0;
  let keysAtWarmupEnd = NaN;
  let win = 0;
  let from = 0;
  let measuring = false;
  const seen = inst.seenWin;
  const onGet = (kind: ReplyKind, i: number): void => {
    const id = trace[from + i]!;
    if (kind === R_BULK) {
      if (measuring) hits++;
      else warmHits++;
    } else if (kind === R_NIL) {
      // A key that already missed in this window is SET once; its later requests in the window
      // count as hits, as they would for a client that SET before its next GET.
      if (seen[id] === win) {
        if (measuring) hits++;
        else warmHits++;
      } else {
        seen[id] = win;
        misses[nMiss++] = id;
      }
    } else {
      throw new Error(`${inst.label}: GET failed`);
    }
  };
  const onSet = (kind: ReplyKind): void => {
    if (kind === R_ERROR) setErrors++;
  };
  const t0 = performance.now();
  for (const [segFrom, segTo, measure] of [[0, s.warmup, false], [s.warmup, trace.length, true]] as const) {
    measuring = measure;
    for (from = segFrom; from < segTo; ) {
      const to = Math.min(from + s.window, segTo);
      win++;
      nMiss = 0;
      await inst.data.pipeline(inst.enc.gets(trace, from, to), to - from, onGet);
      if (inst.data.broken !== null) throw new Error(`${inst.label}: connection lost (${inst.data.broken.message})\n${inst.proc.tail()}`);
      if (nMiss > 0) {
        setsSent += nMiss;
        await inst.data.pipeline(inst.enc.sets(misses, 0, nMiss), nMiss, onSet);
      }
      from = to;
    }
    if (!measure) keysAtWarmupEnd = asNum(await inst.ctl.ok('DBSIZE'));
  }
  const seconds = (performance.now() - t0) / 1000;
  const keysHeld = asNum(await inst.ctl.ok('DBSIZE'));
  const inf = await info(inst.ctl, 'all');
  const measured = trace.length - s.warmup;
  await inst.ctl.ok('CONFIG', 'SET', 'maxmemory', '0');
  await inst.ctl.ok('FLUSHALL');
  return {
    label: inst.label, server: inst.server, policy: inst.effectivePolicy, maxmemory,
    hits, measured, hitRatio: hits / measured, missRatio: 1 - hits / measured,
    warmupHitRatio: warmHits / s.warmup, keysAtWarmupEnd, keysHeld,
    usedMemoryEnd: Number(inf['used_memory']), evictedKeys: Number(inf['evicted_keys']),
    setErrors, firstSetError: inst.data.firstPipelinedError, setsSent,
    optimumOwnK: prefix[Math.min(keysHeld, s.keys)]! / measured, seconds,
  };
}

async function main(): Promise<void> {
  const renderIdx = process.argv.indexOf('--render');
  if (renderIdx >= 0) {
    renderOnly(process.argv[renderIdx + 1] ?? '');
    return;
  }
  const s = parseSettings();
  const machine = machineInfo(repoRoot);
  console.log(describeMachine(machine));
  console.log(`keys ${fmt(s.keys)} x ${s.valueSize} B values; traces ${s.traces.join(',')} (alphas ${s.alphas.join(',')}, scan alpha ${s.scanAlpha}); ` +
    `fractions ${s.fractions.join(',')}; ${fmt(s.requests)} requests per trace (warm-up ${fmt(s.warmup)}); window ${s.window}; ` +
    `corral policies ${s.corralPolicies.join(',')}; redis policies ${s.redisPolicies.join(',')}; seed ${s.seed}`);
  const procs: ServerProc[] = [];
  const instances: Instance[] = [];
  const stopAll = async (): Promise<void> => {
    for (const i of instances) {
      i.ctl.close();
      i.data.close();
    }
    await Promise.all(procs.map((p) => stopServer(p)));
  };
  const removeHandlers = onInterrupt(stopAll);
  const started = new Date();
  const results: CaseResult[] = [];
  let calibration: { label: string; usedEmpty: number; usedFull: number; maxmemory: Record<string, number> }[] = [];
  try {
    for (const p of s.corralPolicies) instances.push(await startInstance(s, 'corral', p, (x) => procs.push(x)));
    for (const p of s.redisPolicies) instances.push(await startInstance(s, 'redis', p, (x) => procs.push(x)));
    for (const inst of instances) {
      await calibrate(s, inst);
      console.log(`${inst.label.padEnd(20)} pid ${inst.proc.pid} port ${inst.proc.port}: used_memory empty ${fmt(inst.usedEmpty)}, ` +
        `full ${fmt(inst.usedFull)} (${fmt((inst.usedFull - inst.usedEmpty) / s.keys, 1)} B/key); maxmemory ` +
        s.fractions.map((f) => `${pct(f, 0)}%: ${fmt(maxmemoryFor(inst, f))}`).join(', '));
    }
    if (s.maxmemoryBasis === 'redis') {
      basisInstance = instances.find((i) => i.server === 'redis') ?? null;
      if (basisInstance === null) throw new Error('--maxmemory-basis redis needs a Redis policy');
      console.log(`--maxmemory-basis redis: every server gets ${basisInstance.label}'s data budget`);
    }
    calibration = instances.map((i) => ({
      label: i.label, usedEmpty: i.usedEmpty, usedFull: i.usedFull,
      maxmemory: Object.fromEntries(s.fractions.map((f) => [String(f), maxmemoryFor(i, f)])),
    }));
    const perm = permutation(s.keys, `${s.seed}/perm`);
    for (const f of s.fractions) {
      for (const spec of specsFor(s, f)) {
        const trace = buildTrace(spec, s.keys, s.requests, perm, s.seed);
        const prefix = topKPrefix(trace, s.warmup, trace.length, s.keys);
        const t0 = performance.now();
        const per = await Promise.all(instances.map((inst) => runTrace(s, inst, trace, f, prefix)));
        const measured = s.requests - s.warmup;
        const k = per.find((p) => p.server === 'corral')?.keysHeld ?? per[0]!.keysHeld;
        const r: CaseResult = {
          trace: spec.name, fraction: f, requests: s.requests, warmup: s.warmup, measured, spec,
          optimumK: k, optimumHitRatio: prefix[Math.min(k, s.keys)]! / measured, perServer: per,
        };
        results.push(r);
        console.log(`${pct(f, 0)}% ${spec.name} (${fmt((performance.now() - t0) / 1000, 0)} s): ` +
          per.map((p) => `${p.label} ${pct(p.hitRatio)}% (${fmt(p.keysHeld)} keys${p.setErrors ? `, ${fmt(p.setErrors)} SETs refused` : ''})`).join('; ') +
          `; optimum ${pct(r.optimumHitRatio)}% (K=${fmt(k)})`);
      }
    }
  } finally {
    await stopAll();
    removeHandlers();
  }

  const servers = instances.map((i) => ({ label: i.label, server: i.server, policy: i.policy, effectivePolicy: i.effectivePolicy }));
  const stamp = isoStamp(started);
  const data: ResultFile = { kind: 'hitratio-bench', started: started.toISOString(), machine, settings: s, servers, calibration, results };
  const json = JSON.stringify(data, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  const jsonFile = writeResult(resultsDir, `hitratio-${stamp}.json`, json + '\n');
  const { md, tables } = renderMarkdown(data, path.basename(jsonFile));
  console.log('\n' + tables);
  writeResult(resultsDir, 'hitratio-latest.md', md);
  console.log(`\nwrote ${path.relative(repoRoot, jsonFile)} and bench/results/hitratio-latest.md`);
}

/** --render <results json>: rewrite hitratio-latest.md from a saved run, without running anything. */
function renderOnly(file: string): void {
  const data = JSON.parse(readFileSync(file, 'utf8'), (_k, v: unknown) => (v === null ? NaN : v)) as ResultFile;
  if (data.servers === undefined) {
    // results files written before `servers` was recorded: rebuild it from the results
    const first = data.results[0]!.perServer;
    data.servers = first.map((p) => ({
      label: p.label, server: p.server, policy: p.label.slice(p.server.length + 1), effectivePolicy: p.policy,
    }));
  }
  const { md } = renderMarkdown(data, path.basename(file));
  writeResult(resultsDir, 'hitratio-latest.md', md);
  console.log(`wrote bench/results/hitratio-latest.md from ${file}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
