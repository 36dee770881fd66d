// bench/lib/hitratio-report.ts — the result side of bench/hitratio-bench.ts: the settings,
// per-case and per-server result types that make up a hitratio-<ts>.json results file, and the
// markdown report rendered from one (hit-ratio tables, keys held, calibration), used both after a
// run and by --render on a saved file.

import { describeMachine, fmt, markdownTable, type MachineInfo } from './report.js';
import type { TraceSpec } from './traces.js';

export interface Settings {
  keys: number;
  valueSize: number;
  alphas: number[];
  fractions: number[];
  traces: string[];
  scanAlpha: number;
  requests: number;
  warmup: number;
  window: number;
  corralPolicies: string[];
  redisPolicies: string[];
  seed: string;
  quick: boolean;
  corralCmd: string | string[];
  corralCmdOverridden: boolean;
  /** own: each server's limit from its own calibration; redis: every server gets the first Redis's limit. */
  maxmemoryBasis: 'own' | 'redis';
}

export interface CaseResult {
  trace: string;
  fraction: number;
  requests: number;
  warmup: number;
  measured: number;
  spec: TraceSpec;
  optimumK: number;
  optimumHitRatio: number;
  perServer: ServerCaseResult[];
}

export interface ServerCaseResult {
  label: string;
  server: 'corral' | 'redis';
  policy: string;
  maxmemory: number;
  hits: number;
  measured: number;
  hitRatio: number;
  missRatio: number;
  warmupHitRatio: number;
  keysAtWarmupEnd: number;
  keysHeld: number;
  usedMemoryEnd: number;
  evictedKeys: number;
  setErrors: number;
  firstSetError: string | null;
  setsSent: number;
  /** Static optimum with K = this server's own keys held. */
  optimumOwnK: number;
  seconds: number;
}

export interface ResultFile {
  kind: 'hitratio-bench';
  started: string;
  machine: MachineInfo;
  settings: Settings;
  servers: { label: string; server: 'corral' | 'redis'; policy: string; effectivePolicy: string }[];
  calibration: { label: string; usedEmpty: number; usedFull: number; maxmemory: Record<string, number> }[];
  results: CaseResult[];
}

export function pct(x: number, d = 2): string {
  return Number.isFinite(x) ? (x * 100).toFixed(d) : 'n/a';
}

function reportTables(s: Settings, results: CaseResult[], labels: string[], display: (l: string) => string): string[] {
  const out: string[] = [];
  const corralDefault = labels.find((l) => l.startsWith('corral '));
  const redisLabels = labels.filter((l) => l.startsWith('redis '));
  for (const f of s.fractions) {
    const rs = results.filter((r) => r.fraction === f);
    if (rs.length === 0) continue;
    const header = ['trace', ...labels.map((l) => `${display(l)} hit %`), 'optimum hit %'];
    if (corralDefault !== undefined && redisLabels.length > 0) header.push(`${display(corralDefault)} miss / best redis miss`, `${display(corralDefault)} gap to optimum (pts)`, 'target');
    const rows = rs.map((r) => {
      const by = (l: string): ServerCaseResult | undefined => r.perServer.find((p) => p.label === l);
      const row = [r.trace, ...labels.map((l) => pct(by(l)?.hitRatio ?? NaN)), pct(r.optimumHitRatio)];
      if (corralDefault !== undefined && redisLabels.length > 0) {
        const d = by(corralDefault)!;
        const bestRedisMiss = Math.min(...redisLabels.map((l) => by(l)?.missRatio ?? Infinity));
        const ratio = d.missRatio / bestRedisMiss;
        const gap = (r.optimumHitRatio - d.hitRatio) * 100;
        let target: string;
        if (r.spec.kind === 'zipf') target = ratio <= 0.85 && gap <= 1.5 ? 'met' : `not met (${[ratio > 0.85 ? 'miss ratio' : '', gap > 1.5 ? 'gap' : ''].filter(Boolean).join(', ')})`;
        else target = d.hitRatio >= 0.5 * r.optimumHitRatio ? 'no collapse' : 'collapse (< half the optimum)';
        row.push(fmt(ratio, 2), fmt(gap, 2), target);
      }
      return row;
    });
    out.push(`### maxmemory = ${pct(f, 0)}% of the data set (${fmt(f * s.keys)} of ${fmt(s.keys)} keys)`, '', markdownTable(header, rows), '');
  }
  // Every corral policy against the better Redis policy (lower is better; 0.85 is the target).
  const corralLabels = labels.filter((l) => l.startsWith('corral '));
  if (corralLabels.length > 0 && redisLabels.length > 0) {
    const header = ['fraction', 'trace', ...corralLabels.map((l) => `${display(l)}: miss / best redis miss`), ...corralLabels.map((l) => `${display(l)}: pts below optimum`)];
    const rows = results.map((r) => {
      const by = (l: string): ServerCaseResult | undefined => r.perServer.find((p) => p.label === l);
      const bestRedisMiss = Math.min(...redisLabels.map((l) => by(l)?.missRatio ?? Infinity));
      return [`${pct(r.fraction, 0)}%`, r.trace,
        ...corralLabels.map((l) => fmt((by(l)?.missRatio ?? NaN) / bestRedisMiss, 2)),
        ...corralLabels.map((l) => fmt((r.optimumHitRatio - (by(l)?.hitRatio ?? NaN)) * 100, 2))];
    });
    out.push('### Each corral policy vs the better Redis policy and the optimum', '', markdownTable(header, rows), '');
  }
  // Keys held and memory limits.
  const header = ['fraction', 'trace', ...labels.map((l) => `${display(l)} keys held`), 'optimum K',
    ...redisLabels.map((l) => `optimum hit % at ${display(l)}'s K`)];
  const rows = results.map((r) => [
    `${pct(r.fraction, 0)}%`, r.trace,
    ...labels.map((l) => {
      const p = r.perServer.find((x) => x.label === l);
      return p === undefined ? 'n/a' : fmt(p.keysHeld) + (p.setErrors > 0 ? ` (${fmt(p.setErrors)} SETs refused)` : '');
    }),
    fmt(r.optimumK),
    ...redisLabels.map((l) => pct(r.perServer.find((x) => x.label === l)?.optimumOwnK ?? NaN)),
  ]);
  out.push('### Keys held at the end of each trace (DBSIZE)', '', markdownTable(header, rows), '');
  return out;
}

/** The markdown report for a results file (also used by --render on a saved JSON file). */
export function renderMarkdown(data: ResultFile, jsonName: string): { md: string; tables: string } {
  const s = data.settings;
  const labels = data.servers.map((x) => x.label);
  // Name "corral default" after the policy it turned out to be.
  const defaultPolicy = data.servers.find((x) => x.server === 'corral' && x.policy === 'default')?.effectivePolicy;
  const display = (l: string): string => (l === 'corral default' && defaultPolicy ? `corral default (${defaultPolicy})` : l);
  const tbl = reportTables(s, data.results, labels, display);
  const calTable = markdownTable(
    ['server', 'used_memory empty', 'used_memory full', 'B/key', ...s.fractions.map((f) => `maxmemory ${pct(f, 0)}%`)],
    data.calibration.map((c) => [display(c.label), fmt(c.usedEmpty), fmt(c.usedFull), fmt((c.usedFull - c.usedEmpty) / s.keys, 1),
      ...s.fractions.map((f) => fmt(c.maxmemory[String(f)]!))]),
  );
  const md = [
    `# Cache-aside hit ratio: corral vs redis-server — ${data.started}`, '',
    describeMachine(data.machine).split('\n').map((l) => `- ${l}`).join('\n'),
    `- ${fmt(s.keys)} keys (16 B), ${s.valueSize} B values; ${fmt(s.requests)} requests per trace, the first ${fmt(s.warmup)} warm up, ` +
      `hit ratio over the other ${fmt(s.requests - s.warmup)}${s.quick ? ' (quick)' : ''}; seed \`${s.seed}\``,
    `- client: for each window of ${s.window} requests, one pipelined batch of GETs, then one pipelined batch of SETs for the window's misses ` +
      '(a key missing twice in a window is SET once, its later requests in the window count as hits); all servers replay the same trace at once, one connection each',
    s.maxmemoryBasis === 'redis'
      ? '- maxmemory (--maxmemory-basis redis): the same data budget in bytes on every server: its own used_memory empty + fraction x (Redis\'s used_memory with the whole key set - Redis\'s empty)'
      : '- maxmemory per server = its used_memory empty + fraction x (its used_memory with the whole key set - empty): ' +
        'the same share of the data set in each server\'s own accounting',
    `- traces: zipf-<alpha> (ranks shuffled over key ids); scan: Zipf ${s.scanAlpha.toFixed(1)} runs of 4S requests alternating with sequential scans of ` +
      'S = 2 x (fraction x keys) consecutive keys; loop: a fixed cycle of 2 x (fraction x keys) keys',
    '- optimum: share of measured requests on the K most requested keys of the measured part, K = keys held by ' +
      `${display(labels.find((l) => l.startsWith('corral ')) ?? labels[0]!)} at the end`,
    '- target (zipf): corral default misses <= 0.85 x the better Redis policy and is within 1.5 points of the optimum; ' +
      'scan / loop: "collapse" = below half the optimum',
    s.corralCmdOverridden ? `- corral command overridden: \`${String(s.corralCmd)}\`` : '',
    '', '## Calibration', '', calTable, '', '## Hit ratios', '', ...tbl,
    `Raw results: bench/results/${jsonName}`, '',
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '').join('\n');
  return { md, tables: tbl.join('\n') };
}
