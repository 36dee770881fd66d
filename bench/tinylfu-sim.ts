// bench/tinylfu-sim.ts — in-process hit-ratio simulator for allkeys-tinylfu (src/store/eviction/tinylfu.ts):
// replays the hit-ratio benchmark's cache-aside traces against TinyLfu variants on a byte budget,
// without a server (`node dist/bench/tinylfu-sim.js`).
//
// Owns: the replay loop (a cache of key ids driven through the id API, every key costing the same
// bytes), the variant grammar, and the report. The traces come from bench/lib/traces.ts with the
// same seed, permutation and specs as bench/hitratio-bench.ts, so its figures line up with a
// saved hitratio run (--redis, default the run with Redis's and the server's tinylfu figures).
//
// Replay: as hitratio-bench's client, in windows of --window requests: every GET of the window
// (a hit is an onAccess), then a SET (add + evictions) for each key that missed; a key that
// misses twice in a window is SET once and its later requests count as hits. --window 1 is a
// strictly sequential client. Hits are counted after the warm-up.
//
// Traces: zipf-<a>; scan (Zipf runs of 4S requests between sequential scans of S = 2 x cap keys);
// loop (a cycle of 2 x cap keys); and two not in hitratio-bench, where recency matters and a
// small window is wrong: shift (Zipf --scan-alpha whose popular keys are all replaced every 5 x cap
// requests) and recency (half the requests re-reference one of the last cap requests, the rest
// are uniform over all keys).
//
// Variants (--variants, comma-free list separated by spaces or ';'): name[:k=v/k=v...] with
// k in win (initial window share), adaptive (0/1), sf (sample factor), min (min sample),
// step (initial step), decay, restart (restart threshold), tol (tolerance), batches, maxw (max
// window share), wpk / period (sketch: words per key, aging period per key). Built in:
// fixed = adaptive=0 win=0.01, adaptive = the defaults, caffeine = Caffeine's climber alone
// (tol=0 batches=1), lru = win=0.99 adaptive=0.
// The first variant is the one held against the targets.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, TinyLfu, hashKey, type TinyLfuOptions } from '../src/store/eviction/tinylfu.js';
import { fmt, markdownTable } from './lib/report.js';
import { keyName } from './lib/resp.js';
import { Rng, Zipf, buildTrace, permutation, topKPrefix, type TraceSpec } from './lib/traces.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_REDIS = path.join(repoRoot, 'bench', 'results', 'hitratio-2026-12-01T19-28-07Z.json');

interface Variant {
  name: string;
  options: Partial<TinyLfuOptions>;
}

interface Run {
  variant: string;
  hitRatio: number;
  keys: number;
  windowShare: number;
  samples: number;
  seconds: number;
}

const BUILT_IN: Record<string, Partial<TinyLfuOptions>> = {
  fixed: { adaptive: false, windowShare: 0.01 },
  adaptive: {},
  caffeine: { climber: { ...DEFAULT_OPTIONS.climber, tolerance: 0, batches: 1 } },
  lru: { adaptive: false, windowShare: 0.99 },
};

function parseVariant(spec: string): Variant {
  const [name, params] = spec.split(':', 2) as [string, string | undefined];
  const base = BUILT_IN[name];
  if (base === undefined) throw new Error(`variant ${spec}: unknown base "${name}" (fixed, adaptive, lru)`);
  const o: Partial<TinyLfuOptions> = { ...base, climber: { ...(base.climber ?? DEFAULT_OPTIONS.climber) }, sketch: { ...DEFAULT_OPTIONS.sketch } };
  for (const kv of params === undefined ? [] : params.split('/')) {
    const [k, v] = kv.split('=') as [string, string];
    const x = Number(v);
    if (!Number.isFinite(x)) throw new Error(`variant ${spec}: bad value in "${kv}"`);
    switch (k) {
      case 'win': o.windowShare = x; break;
      case 'adaptive': o.adaptive = x !== 0; break;
      case 'sf': o.sampleFactor = x; break;
      case 'min': o.minSample = x; break;
      case 'maxw': o.maxWindowShare = x; break;
      case 'step': o.climber!.initialStep = x; break;
      case 'decay': o.climber!.decay = x; break;
      case 'restart': o.climber!.restartThreshold = x; break;
      case 'batches': o.climber!.batches = x; break;
      case 'tol': o.climber!.tolerance = x; break;
      case 'wpk': o.sketch!.wordsPerKey = x; break;
      case 'period': o.sketch!.periodFactor = x; break;
      default: throw new Error(`variant ${spec}: unknown parameter "${k}"`);
    }
  }
  return { name: spec, options: o };
}

/** Traces only this simulator has (recency-friendly): `length` key ids over 0..n-1. */
function extraTrace(kind: 'shift' | 'recency', n: number, cap: number, alpha: number, length: number, perm: Uint32Array, seed: string): Uint32Array {
  const out = new Uint32Array(length);
  const rng = new Rng(`${seed}/${kind}/${cap}`);
  if (kind === 'shift') {
    // Every phase of 5 x cap requests maps ranks to a new block of keys: yesterday's hot set is
    // cold today, so the frequencies the sketch remembers mislead admission until they age out.
    const z = new Zipf(n, alpha);
    const phase = 5 * cap;
    for (let i = 0; i < length; i++) {
      const offset = Math.floor(i / phase) * 7919 * cap;
      out[i] = perm[(z.rank(rng.float()) + offset) % n]!;
    }
    return out;
  }
  for (let i = 0; i < length; i++) {
    out[i] = i > 0 && rng.float() < 0.5 ? out[i - 1 - rng.int(Math.min(i, cap))]! : rng.int(n);
  }
  return out;
}

interface ExtraSpec {
  name: string;
  kind: 'shift' | 'recency';
}

function isExtra(s: TraceSpec | ExtraSpec): s is ExtraSpec {
  return s.kind === 'shift' || s.kind === 'recency';
}

interface Case {
  fraction: number;
  spec: TraceSpec | ExtraSpec;
  trace: Uint32Array;
}

function replay(trace: Uint32Array, warmup: number, n: number, hashes: Uint32Array, keyBytes: number, budget: number, window: number, v: Variant): Run {
  const t0 = performance.now();
  const lfu = new TinyLfu(v.options);
  const coin = new Rng(`coin/${v.name}`);
  lfu.random = () => coin.float();
  lfu.setMaxBytes(budget);
  lfu.columns(0, n, hashes);
  const held = new Uint8Array(n);
  const seen = new Int32Array(n);
  const missed = new Uint32Array(window);
  let used = 0;
  let hits = 0;
  let win = 0;
  for (let from = 0; from < trace.length; from += window) {
    const to = Math.min(from + window, trace.length);
    win++;
    let nMiss = 0;
    for (let i = from; i < to; i++) {
      const k = trace[i]!;
      if (held[k] === 1) {
        lfu.onAccess(0, k);
        if (i >= warmup) hits++;
      } else if (seen[k] === win) {
        if (i >= warmup) hits++;
      } else {
        seen[k] = win;
        missed[nMiss++] = k;
      }
    }
    for (let j = 0; j < nMiss; j++) {
      const k = missed[j]!;
      lfu.add(0, k, keyBytes);
      held[k] = 1;
      used += keyBytes;
      while (used > budget) {
        const victim = lfu.pickVictim();
        if (victim < 0) break;
        held[lfu.handleId(victim)] = 0;
        lfu.remove(0, lfu.handleId(victim));
        used -= keyBytes;
      }
    }
  }
  return {
    variant: v.name, hitRatio: hits / (trace.length - warmup), keys: lfu.count, windowShare: lfu.windowShare,
    samples: lfu.climber.samples, seconds: (performance.now() - t0) / 1000,
  };
}

interface RedisFile {
  settings: { keys: number; requests: number; warmup: number; seed: string; scanAlpha: number };
  results: { trace: string; fraction: number; perServer: { label: string; hitRatio: number }[] }[];
}

function pct(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : (x * 100).toFixed(2);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string', default: '1000000' },
      'key-bytes': { type: 'string', default: '264' },
      alphas: { type: 'string', default: '0.8,1.0,1.2' },
      fractions: { type: 'string', default: '0.01,0.1' },
      traces: { type: 'string', default: 'zipf,scan,loop' },
      'scan-alpha': { type: 'string', default: '1.0' },
      requests: { type: 'string', default: '6000000' },
      warmup: { type: 'string' },
      window: { type: 'string', default: '500' },
      seed: { type: 'string', default: 'corral-hitratio-1' },
      variants: { type: 'string', default: 'adaptive fixed' },
      redis: { type: 'string', default: DEFAULT_REDIS },
      json: { type: 'string' },
    },
    strict: true,
  });
  const num = (s: string): number => {
    const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
    if (m === null) throw new Error(`expected a number, got "${s}"`);
    return Math.round(Number(m[1]) * ({ k: 1e3, m: 1e6 }[m[2]!.toLowerCase()] ?? 1));
  };
  const n = num(values.keys!);
  const keyBytes = num(values['key-bytes']!);
  const requests = num(values.requests!);
  const warmup = values.warmup !== undefined ? num(values.warmup) : Math.round(requests / 3);
  const window = num(values.window!);
  const seed = values.seed!;
  const scanAlpha = Number(values['scan-alpha']);
  const alphas = values.alphas!.split(',').map(Number);
  const fractions = values.fractions!.split(',').map(Number);
  const traces = values.traces!.split(',');
  const variants = values.variants!.split(/[\s;]+/).filter((s) => s !== '').map(parseVariant);

  let redis: RedisFile | null = null;
  if (values.redis !== '' && existsSync(values.redis!)) {
    const r = JSON.parse(readFileSync(values.redis!, 'utf8')) as RedisFile;
    const s = r.settings;
    if (s.keys === n && s.requests === requests && s.warmup === warmup && s.seed === seed && s.scanAlpha === scanAlpha) redis = r;
    else console.log(`(${path.relative(repoRoot, values.redis!)}: other trace settings, Redis figures not shown)`);
  }
  const refHit = (c: Case, label: string): number | undefined =>
    redis?.results.find((r) => r.trace === c.spec.name && r.fraction === c.fraction)?.perServer.find((p) => p.label === label)?.hitRatio;

  console.log(`keys ${fmt(n)} x ${keyBytes} B each; ${fmt(requests)} requests per trace (warm-up ${fmt(warmup)}); window ${window}; seed ${seed}`);
  console.log(`variants: ${variants.map((v) => v.name).join(', ')}`);
  const perm = permutation(n, `${seed}/perm`);
  const hashes = new Uint32Array(n);
  for (let k = 0; k < n; k++) hashes[k] = hashKey(keyName(k));

  const header = ['limit', 'trace', ...variants.map((v) => `${v.name} hit %`), 'optimum', 'E[optimum]', 'Redis LRU', 'Redis LFU', 'server tinylfu',
    `${variants[0]!.name}: miss / best Redis miss`, 'pts below optimum', 'pts below E[optimum]', 'target', ...variants.filter((v) => v.options.adaptive !== false).map((v) => `${v.name} window %`)];
  const rows: string[][] = [];
  const out: { fraction: number; trace: string; optimum: number; runs: Run[] }[] = [];
  for (const fraction of fractions) {
    const cap = Math.max(1, Math.round(fraction * n));
    const budget = cap * keyBytes;
    const cases: Case[] = [];
    for (const t of traces) {
      if (t === 'zipf') {
        for (const a of alphas) cases.push({ fraction, spec: { name: `zipf-${a.toFixed(1)}`, kind: 'zipf', alpha: a, span: 0, gap: 0 }, trace: new Uint32Array(0) });
      } else if (t === 'scan') {
        const span = Math.min(n, 2 * cap);
        cases.push({ fraction, spec: { name: `scan (zipf-${scanAlpha.toFixed(1)})`, kind: 'scan', alpha: scanAlpha, span, gap: 4 * span }, trace: new Uint32Array(0) });
      } else if (t === 'loop') {
        cases.push({ fraction, spec: { name: 'loop', kind: 'loop', alpha: 0, span: Math.min(n, 2 * cap), gap: 0 }, trace: new Uint32Array(0) });
      } else if (t === 'shift' || t === 'recency') {
        cases.push({ fraction, spec: { name: t, kind: t }, trace: new Uint32Array(0) });
      } else {
        throw new Error(`unknown trace ${t}`);
      }
    }
    for (const c of cases) {
      const s = c.spec;
      c.trace = isExtra(s)
        ? extraTrace(s.kind, n, cap, scanAlpha, requests, perm, seed)
        : buildTrace(s, n, requests, perm, seed);
      const runs = variants.map((v) => replay(c.trace, warmup, n, hashes, keyBytes, budget, window, v));
      const prefix = topKPrefix(c.trace, warmup, c.trace.length, n);
      const optimum = prefix[Math.min(runs[0]!.keys, n)]! / (c.trace.length - warmup);
      // The optimum above is the top K by the measured part's own counts, which overfits their
      // sampling noise when K keys get few requests each; for Zipf the expected one is exact.
      const expected = s.kind === 'zipf' ? new Zipf(n, s.alpha).topMass(runs[0]!.keys) : NaN;
      const lru = refHit(c, 'redis allkeys-lru');
      const lfuHit = refHit(c, 'redis allkeys-lfu');
      const main = runs[0]!;
      const bestRedisMiss = lru === undefined || lfuHit === undefined ? NaN : Math.min(1 - lru, 1 - lfuHit);
      const ratio = (1 - main.hitRatio) / bestRedisMiss;
      const gap = (optimum - main.hitRatio) * 100;
      let target = '';
      if (s.kind === 'zipf') {
        const fails = [ratio > 0.85 ? 'miss ratio' : '', gap > 1.5 ? 'gap' : ''].filter(Boolean);
        target = Number.isNaN(ratio) ? (gap > 1.5 ? 'gap not met' : 'gap met') : fails.length === 0 ? 'met' : `not met (${fails.join(', ')})`;
      } else if (s.kind === 'scan' || s.kind === 'loop') {
        target = main.hitRatio >= 0.5 * optimum ? 'no collapse' : 'collapse';
      }
      const row = [`${Math.round(fraction * 100)}%`, s.name, ...runs.map((r) => pct(r.hitRatio)), pct(optimum), pct(expected), pct(lru), pct(lfuHit),
        pct(refHit(c, 'corral allkeys-tinylfu')), fmt(ratio, 2), fmt(gap, 2), fmt((expected - main.hitRatio) * 100, 2), target,
        ...runs.filter((_r, i) => variants[i]!.options.adaptive !== false).map((r) => (r.windowShare * 100).toFixed(1))];
      rows.push(row);
      out.push({ fraction, trace: s.name, optimum, runs });
      console.log(`${row[0]} ${s.name}: ` + runs.map((r) => `${r.variant} ${pct(r.hitRatio)}% (window ${(r.windowShare * 100).toFixed(1)}%, ` +
        `${r.samples} samples, ${r.seconds.toFixed(1)} s)`).join('; ') + `; optimum ${pct(optimum)}%`);
    }
  }
  console.log('\n' + markdownTable(header, rows));
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(out, null, 1) + '\n');
}

main();
