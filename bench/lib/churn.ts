// bench/lib/churn.ts — the memory bench's churn case (`--cases churn`): RSS under sustained
// eviction with maxmemory set. Owns its settings (--churn-* flags), running one server with
// maxmemory M and an allkeys-* policy through the write phases of bench/lib/churn-load.ts while
// sampling VmRSS (/proc/<pid>/status) and INFO memory used_memory every ~250 ms, the per-server
// summary against the requirement (peak RSS - empty baseline <= 1.1 x M), and its tables.
// Node 20 built-ins only.

import path from 'node:path';
import { loadPhase, meanValueSize, parsePhases, prng, type Phase } from './churn-load.js';
import { freePort, procStatusBytes, sleep, startServer, stopServer, type ServerProc } from './procs.js';
import { fmt, markdownTable, median } from './report.js';
import { KEY_LEN, RespConn, info } from './resp.js';
import { NODE_V8_FLAGS } from '../../src/util/node-flags.js';

export type ServerName = 'redis' | 'corral';

/** The requirement: peak RSS - baseline <= LIMIT x maxmemory. */
export const CHURN_LIMIT = 1.1;
const POLICIES = ['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'allkeys-tinylfu'];

export interface ChurnSettings {
  maxmemorySpec: string;
  maxmemory: number;
  /** The policy corral runs (--churn-policy). */
  policy: string;
  /** The policy redis-server runs: the same, or allkeys-lru for corral-only allkeys-tinylfu. */
  redisPolicy: string;
  phases: Phase[];
  /** Payload bytes (16-byte key + value) written per phase, as a multiple of maxmemory. */
  phaseData: number;
  keyspace: number;
  sampleMs: number;
  seed: number;
}

/** Redis memtoull: "64mb" = 64 * 1024^2, "64m" = 64 * 1000^2, plain numbers are bytes. */
export function parseMemorySize(text: string, what: string): number {
  const m = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(text.trim());
  if (!m) throw new Error(`${what}: cannot read "${text}" (e.g. 256mb)`);
  const mul: Record<string, number> = { b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  const v = Number(m[1]) * mul[(m[2] ?? 'b').toLowerCase()]!;
  if (v <= 0) throw new Error(`${what}: must be more than 0`);
  return v;
}

export interface ChurnFlags {
  maxmemory?: string;
  policy?: string;
  phases?: string;
  phaseData?: string;
  keyspace?: string;
  sampleMs?: string;
  seed?: string;
}

export function parseChurnSettings(f: ChurnFlags): ChurnSettings {
  const maxmemorySpec = f.maxmemory ?? '256mb';
  const maxmemory = parseMemorySize(maxmemorySpec, '--churn-maxmemory');
  const policy = f.policy ?? 'allkeys-lru';
  if (!POLICIES.includes(policy)) throw new Error(`--churn-policy: expected one of ${POLICIES.join(', ')}, got "${policy}"`);
  const phases = parsePhases(f.phases ?? '100,1K,50-4K');
  const phaseData = f.phaseData === undefined ? 1.5 : Number(f.phaseData);
  if (!(phaseData > 0)) throw new Error(`--churn-phase-data: expected a positive number, got "${f.phaseData}"`);
  // Much larger than fits: 10x the keys of the smallest phase mean, with no overhead at all.
  const smallest = Math.min(...phases.map((p) => meanValueSize(p)));
  const autoKeyspace = Math.ceil((10 * maxmemory) / (KEY_LEN + smallest));
  const keyspace = f.keyspace === undefined || f.keyspace === 'auto' ? autoKeyspace : Number(f.keyspace);
  if (!Number.isInteger(keyspace) || keyspace < 1 || keyspace >= 1e12) throw new Error(`--churn-keyspace: expected auto or 1..1e12, got "${f.keyspace}"`);
  const sampleMs = f.sampleMs === undefined ? 250 : Number(f.sampleMs);
  if (!Number.isInteger(sampleMs) || sampleMs < 10) throw new Error(`--churn-sample-ms: expected an integer >= 10, got "${f.sampleMs}"`);
  const seed = f.seed === undefined ? 1 : Number(f.seed);
  if (!Number.isInteger(seed)) throw new Error(`--churn-seed: expected an integer, got "${f.seed}"`);
  return {
    maxmemorySpec, maxmemory, policy, redisPolicy: policy === 'allkeys-tinylfu' ? 'allkeys-lru' : policy,
    phases, phaseData, keyspace, sampleMs, seed,
  };
}

/** RAM one server may need for the churn case (bytes), for the skip check. */
export function churnMemoryNeed(cs: ChurnSettings): number {
  return cs.maxmemory * 3 + 300 * 2 ** 20;
}

export interface ChurnPhaseResult {
  name: string;
  sets: number;
  payloadBytes: number;
  ms: number;
  errors: number;
  /** Highest VmRSS sampled during the phase (or at its end), and VmRSS / used_memory read at its end (bytes). */
  peakRss: number;
  rssEnd: number;
  usedEnd: number;
}

export interface ChurnRun {
  round: number;
  order: number;
  server: ServerName;
  ok: boolean;
  error?: string;
  policy: string;
  maxmemory: number;
  /** As the server reports them after start (CONFIG GET). */
  configMaxmemory: number;
  configPolicy: string;
  corralHeapMb: number | null;
  baselineRss: number;
  peakRssSampled: number;
  /** VmHWM at the end: the kernel's exact peak, catching spikes between samples. */
  vmHwm: number;
  /** max(sampled peak, VmHWM): what PASS/FAIL is judged on. */
  peakRss: number;
  finalRss: number;
  usedMemoryEmpty: number;
  peakUsedSampled: number;
  usedMemoryPeakInfo: number;
  usedMemoryFinal: number;
  evictedKeys: number;
  dbsize: number;
  sets: number;
  payloadBytes: number;
  errors: number;
  firstError: string | null;
  loadMs: number;
  phases: ChurnPhaseResult[];
  /** [ms since the load started, phase index (phases.length = settle), VmRSS, used_memory or null]. */
  samples: [number, number, number, number | null][];
  pass: boolean | null;
}

export interface ChurnContext {
  repoRoot: string;
  sockets: number;
  settleMs: number;
  corralCmdOverride: string | null;
  corralHeapMb: number | null;
}

function emptyRun(cs: ChurnSettings, server: ServerName, round: number, order: number, heapMb: number | null): ChurnRun {
  return {
    round, order, server, ok: false, policy: server === 'redis' ? cs.redisPolicy : cs.policy, maxmemory: cs.maxmemory,
    configMaxmemory: NaN, configPolicy: '', corralHeapMb: heapMb, baselineRss: NaN, peakRssSampled: NaN, vmHwm: NaN,
    peakRss: NaN, finalRss: NaN, usedMemoryEmpty: NaN, peakUsedSampled: NaN, usedMemoryPeakInfo: NaN, usedMemoryFinal: NaN,
    evictedKeys: NaN, dbsize: NaN, sets: 0, payloadBytes: 0, errors: 0, firstError: null, loadMs: NaN, phases: [], samples: [], pass: null,
  };
}

export function skippedChurnRun(cs: ChurnSettings, server: ServerName, round: number, order: number, why: string): ChurnRun {
  return { ...emptyRun(cs, server, round, order, null), error: why };
}

/** Samples VmRSS every `ms`, and used_memory over `mon` (one INFO outstanding at a time). */
function startSampler(pid: number, mon: RespConn, ms: number, t0: number, phaseOf: () => number, out: ChurnRun['samples']): () => void {
  let infoBusy = false;
  const tick = (): void => {
    const s: ChurnRun['samples'][number] = [Math.round(performance.now() - t0), phaseOf(), procStatusBytes(pid, 'VmRSS'), null];
    out.push(s);
    if (infoBusy) return;
    infoBusy = true;
    void info(mon, 'memory').then(
      (inf) => {
        s[3] = Number(inf['used_memory']);
        infoBusy = false;
      },
      () => (infoBusy = false),
    );
  };
  tick();
  const timer = setInterval(tick, ms);
  return () => clearInterval(timer);
}

const MB = 2 ** 20;

export async function runChurn(
  cs: ChurnSettings,
  ctx: ChurnContext,
  server: ServerName,
  round: number,
  order: number,
  track: (p: ServerProc | null) => void,
): Promise<ChurnRun> {
  const heapMb = server === 'corral' && ctx.corralCmdOverride === null ? ctx.corralHeapMb : null;
  const rec = emptyRun(cs, server, round, order, heapMb);
  const limitFlags = ['--maxmemory', String(cs.maxmemory), '--maxmemory-policy', rec.policy];
  const corralMain = path.join(ctx.repoRoot, 'dist', 'src', 'cli', 'main.js');
  const cmd: string | string[] =
    server === 'redis'
      ? ['redis-server', '--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...limitFlags]
      : ctx.corralCmdOverride !== null
        ? `${ctx.corralCmdOverride} ${limitFlags.join(' ')}`
        : [process.execPath, ...NODE_V8_FLAGS, ...(heapMb !== null ? [`--max-old-space-size=${heapMb}`] : []), corralMain, 'server', '--port', '{port}', ...limitFlags];
  const port = await freePort();
  let proc: ServerProc | null = null;
  let conn: RespConn | null = null;
  let mon: RespConn | null = null;
  let stopSampler: (() => void) | null = null;
  try {
    proc = await startServer(cmd, { name: server, port, cwd: ctx.repoRoot, onSpawn: (p) => track(p) });
    conn = await RespConn.connect(port);
    mon = await RespConn.connect(port);
    await conn.ok('PING');
    const cfg = async (name: string): Promise<string> => {
      const r = await conn!.ok('CONFIG', 'GET', name);
      return Array.isArray(r) && typeof r[1] === 'string' ? r[1] : '';
    };
    rec.configMaxmemory = Number(await cfg('maxmemory'));
    rec.configPolicy = await cfg('maxmemory-policy');
    if (rec.configMaxmemory !== cs.maxmemory || rec.configPolicy !== rec.policy) {
      throw new Error(`configured maxmemory ${rec.configMaxmemory} / ${rec.configPolicy}, expected ${cs.maxmemory} / ${rec.policy}`);
    }
    await sleep(1000);
    rec.baselineRss = procStatusBytes(proc.pid, 'VmRSS');
    rec.usedMemoryEmpty = Number((await info(conn, 'memory'))['used_memory']);
    const rand = prng(cs.seed);
    const t0 = performance.now();
    let phaseIdx = 0;
    stopSampler = startSampler(proc.pid, mon, cs.sampleMs, t0, () => phaseIdx, rec.samples);
    for (const [pi, phase] of cs.phases.entries()) {
      phaseIdx = pi;
      const r = await loadPhase({ port, phase, keyspace: cs.keyspace, bytes: cs.phaseData * cs.maxmemory, rand, sockets: ctx.sockets });
      const rssEnd = procStatusBytes(proc.pid, 'VmRSS');
      const usedEnd = Number((await info(conn, 'memory'))['used_memory']);
      const pr: ChurnPhaseResult = {
        name: phase.name, sets: r.sets, payloadBytes: r.payloadBytes, ms: Math.round(r.ms), errors: r.errors,
        peakRss: Math.max(...rec.samples.filter((s) => s[1] === pi).map((s) => s[2]), rssEnd), rssEnd, usedEnd,
      };
      rec.phases.push(pr);
      rec.sets += r.sets;
      rec.payloadBytes += r.payloadBytes;
      rec.errors += r.errors;
      rec.firstError ??= r.firstError;
      console.log(`  ${server} churn phase ${pi + 1}/${cs.phases.length} (values ${phase.name} B): ${fmt(r.payloadBytes / MB)} MB in ` +
        `${fmt(r.ms / 1000, 1)} s, ${fmt(r.sets)} SETs${r.errors ? `, ${fmt(r.errors)} errors (${r.firstError})` : ''}, ` +
        `RSS end ${fmt(pr.rssEnd / MB)} MB, phase peak ${fmt(pr.peakRss / MB)} MB, used_memory ${fmt(pr.usedEnd / MB)} MB`);
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error('server exited during the load');
    }
    rec.loadMs = Math.round(performance.now() - t0);
    // Settle (still sampling): the final reading is the RSS the server keeps once writes stop.
    phaseIdx = cs.phases.length;
    await sleep(ctx.settleMs);
    stopSampler();
    stopSampler = null;
    rec.finalRss = procStatusBytes(proc.pid, 'VmRSS');
    rec.vmHwm = procStatusBytes(proc.pid, 'VmHWM');
    // VmHWM is updated lazily by the kernel, so it can trail a VmRSS reading: take the max of both.
    rec.peakRssSampled = Math.max(...rec.samples.map((s) => s[2]), ...rec.phases.map((p) => p.peakRss), rec.finalRss);
    rec.peakRss = Math.max(rec.peakRssSampled, rec.vmHwm);
    const mem = await info(conn, 'memory');
    rec.usedMemoryFinal = Number(mem['used_memory']);
    rec.usedMemoryPeakInfo = Number(mem['used_memory_peak']);
    rec.peakUsedSampled = Math.max(
      ...rec.samples.map((s) => s[3] ?? NaN).filter((u) => Number.isFinite(u)), ...rec.phases.map((p) => p.usedEnd), rec.usedMemoryFinal);
    rec.evictedKeys = Number((await info(conn, 'stats'))['evicted_keys']);
    rec.dbsize = Number(await conn.ok('DBSIZE'));
    rec.ok = Number.isFinite(rec.peakRss) && Number.isFinite(rec.baselineRss);
    rec.pass = rec.ok ? rec.peakRss - rec.baselineRss <= CHURN_LIMIT * cs.maxmemory : null;
  } catch (err) {
    rec.error = (err as Error).message + (proc !== null && proc.child.exitCode !== null ? `\n${proc.tail()}` : '');
  } finally {
    stopSampler?.();
    conn?.close();
    mon?.close();
    if (proc !== null) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        rec.error = (rec.error ?? '') + ` [server exited: ${proc.child.exitCode ?? proc.child.signalCode}] ${proc.tail().slice(-800)}`;
        rec.ok = false;
        rec.pass = null;
      }
      await stopServer(proc);
    }
    track(null);
  }
  return rec;
}

export function describeChurnRun(r: ChurnRun): string {
  if (!r.ok) return `FAILED ${r.error}`;
  const M = r.maxmemory;
  return `baseline ${fmt(r.baselineRss / MB, 1)} MB, peak RSS - baseline ${fmt((r.peakRss - r.baselineRss) / M, 2)} x M, ` +
    `final ${fmt((r.finalRss - r.baselineRss) / M, 2)} x M, peak used_memory ${fmt(Math.max(r.peakUsedSampled, r.usedMemoryPeakInfo) / M, 2)} x M, ` +
    `evicted ${fmt(r.evictedKeys)}, ${r.pass ? 'PASS' : 'FAIL'}`;
}

export interface ChurnRow {
  server: ServerName;
  policy: string;
  n: number;
  failed: number;
  baselineMb: number;
  baselineOverM: number;
  peakOverM: number;
  finalOverM: number;
  peakUsedOverM: number;
  evictedKeys: number;
  dbsize: number;
  writtenOverM: number;
  setsPerSec: number;
  errors: number;
  /** Every successful round within the limit (null: none succeeded). */
  pass: boolean | null;
  phases: { name: string; writtenMb: number; sets: number; s: number; errors: number; peakOverM: number; endOverM: number; usedEndOverM: number }[];
}

export function summarizeChurn(runs: ChurnRun[], cs: ChurnSettings, servers: ServerName[]): ChurnRow[] {
  const M = cs.maxmemory;
  return servers.map((server) => {
    const ms = runs.filter((r) => r.server === server);
    const ok = ms.filter((r) => r.ok);
    const med = (f: (r: ChurnRun) => number): number => median(ok.map(f));
    return {
      server, policy: server === 'redis' ? cs.redisPolicy : cs.policy, n: ms.length, failed: ms.length - ok.length,
      baselineMb: med((r) => r.baselineRss / MB),
      baselineOverM: med((r) => r.baselineRss / M),
      peakOverM: med((r) => (r.peakRss - r.baselineRss) / M),
      finalOverM: med((r) => (r.finalRss - r.baselineRss) / M),
      peakUsedOverM: med((r) => Math.max(r.peakUsedSampled, Number.isFinite(r.usedMemoryPeakInfo) ? r.usedMemoryPeakInfo : 0) / M),
      evictedKeys: med((r) => r.evictedKeys),
      dbsize: med((r) => r.dbsize),
      writtenOverM: med((r) => r.payloadBytes / M),
      setsPerSec: med((r) => r.sets / (r.loadMs / 1000)),
      errors: med((r) => r.errors),
      pass: ok.length === 0 ? null : ok.every((r) => r.pass === true),
      phases: cs.phases.map((p, i) => {
        const pm = (f: (x: ChurnPhaseResult, r: ChurnRun) => number): number => median(ok.map((r) => (r.phases[i] ? f(r.phases[i]!, r) : NaN)));
        return {
          name: p.name,
          writtenMb: pm((x) => x.payloadBytes / MB),
          sets: pm((x) => x.sets),
          s: pm((x) => x.ms / 1000),
          errors: pm((x) => x.errors),
          peakOverM: pm((x, r) => (x.peakRss - r.baselineRss) / M),
          endOverM: pm((x, r) => (x.rssEnd - r.baselineRss) / M),
          usedEndOverM: pm((x) => x.usedEnd / M),
        };
      }),
    };
  });
}

function verdict(r: ChurnRow): string {
  return r.pass === null ? 'n/a' : r.pass ? 'PASS' : 'FAIL';
}

export function churnTables(rows: ChurnRow[], cs: ChurnSettings): { main: string; phases: string } {
  const main = markdownTable(
    ['server', 'policy', 'maxmemory M', 'baseline RSS MB', 'baseline (x M)', 'peak RSS - baseline (x M)', 'final RSS - baseline (x M)',
      'peak used_memory (x M)', 'evicted_keys', 'keys left', 'written (x M)', 'SETs/s', 'SET errors', `peak <= ${CHURN_LIMIT} x M`],
    rows.map((r) => [
      r.server + (r.failed ? ` (failed ${r.failed}/${r.n})` : ''), r.policy, cs.maxmemorySpec, fmt(r.baselineMb, 1), fmt(r.baselineOverM, 2), fmt(r.peakOverM, 2),
      fmt(r.finalOverM, 2), fmt(r.peakUsedOverM, 2), fmt(r.evictedKeys), fmt(r.dbsize), fmt(r.writtenOverM, 2), fmt(r.setsPerSec),
      fmt(r.errors), verdict(r),
    ]),
  );
  const phases = markdownTable(
    ['server', 'phase', 'value B', 'written MB', 'SETs', 's', 'errors', 'phase peak RSS - baseline (x M)', 'end RSS - baseline (x M)', 'end used_memory (x M)'],
    rows.flatMap((r) => r.phases.map((p, i) => [
      r.server, String(i + 1), p.name, fmt(p.writtenMb), fmt(p.sets), fmt(p.s, 1), fmt(p.errors), fmt(p.peakOverM, 2), fmt(p.endOverM, 2), fmt(p.usedEndOverM, 2),
    ])),
  );
  return { main, phases };
}

/** The churn section of memory-latest.md. */
export function churnMarkdown(rows: ChurnRow[], cs: ChurnSettings, runs: ChurnRun[], settleMs: number, sockets: number): string {
  const t = churnTables(rows, cs);
  const phaseDesc = cs.phases.map((p) => (p.min === p.max ? `all ${p.min} B` : `${p.min}..${p.max} B log-uniform`)).join(', then ');
  return [
    `## Churn: RSS under sustained eviction, maxmemory ${cs.maxmemorySpec} (${fmt(cs.maxmemory)} bytes)`, '',
    `- requirement: with maxmemory M set, RSS stays within ${CHURN_LIMIT} x M plus the process's empty baseline; ` +
      `judged on peak = max(VmRSS sampled every ${cs.sampleMs} ms, VmHWM at the end) - VmRSS 1 s after start`,
    `- both servers started with \`--maxmemory ${cs.maxmemory} --maxmemory-policy <policy>\` (checked with CONFIG GET): ` +
      `corral ${cs.policy}, redis-server ${cs.redisPolicy}${cs.policy !== cs.redisPolicy ? ' (Redis has no ' + cs.policy + ')' : ''}; redis also \`--save "" --appendonly no\``,
    `- load: pipelined SETs of random 16-byte keys from a keyspace of ${fmt(cs.keyspace)} ids (seed ${cs.seed}), ~1 MB batches over ${sockets} sockets, ` +
      `2 in flight each; ${cs.phases.length} phases of ${cs.phaseData} x M payload (key + value) each: ${phaseDesc}`,
    `- final = VmRSS ${settleMs / 1000} s after the last phase; peak used_memory = max(sampled used_memory, INFO used_memory_peak)` +
      (rows.length > 0 && runs.length > rows.length ? `; ${runs.length / rows.length} rounds, medians, PASS only if every round passed` : ''),
    '', t.main, '', t.phases,
  ].join('\n');
}
