// bench/lib/report.ts — reusable reporting helpers for the corral benchmark
// harnesses: machine description, medians, markdown tables, results files.
// Node 20 built-ins only.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  redisServer: string;
  gitCommit: string;
}

function tryExec(file: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo(repoRoot: string): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    /* not Linux */
  }
  const rv = tryExec('redis-server', ['--version']);
  const commit = tryExec('git', ['rev-parse', '--short', 'HEAD'], repoRoot);
  const dirty = commit !== 'unknown' && tryExec('git', ['status', '--porcelain'], repoRoot) !== '';
  return {
    cpuModel,
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redisServer: /v=(\S+)/.exec(rv)?.[1] ?? rv,
    gitCommit: commit + (dirty ? '-dirty' : ''),
  };
}

export function describeMachine(m: MachineInfo): string {
  return [
    `CPU: ${m.cpuModel} (${m.cores} cores), memory ${m.memoryGiB} GiB, ${m.os}`,
    `node ${m.node}, redis-server ${m.redisServer}, corral commit ${m.gitCommit}`,
  ].join('\n');
}

export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Format a number with a fixed number of decimals; NaN -> "n/a". */
export function fmt(x: number, decimals = 0): string {
  if (!Number.isFinite(x)) return 'n/a';
  return decimals === 0 ? Math.round(x).toLocaleString('en-US') : x.toFixed(decimals);
}

/** A markdown table (also readable as plain text). Numeric-looking cells are right-aligned. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[\d.,x%-]+$|^n\/a$/.test(r[i] ?? '')));
  const cell = (s: string, i: number): string => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (cells: string[]): string => '| ' + cells.map(cell).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => (numeric[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|';
  return [line(header), sep, ...rows.map(line)].join('\n');
}

/** Filesystem-safe ISO timestamp, e.g. 2024-05-01T12-34-56Z. */
export function isoStamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
}

export function writeResult(dir: string, name: string, content: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** A command-line flag that must be a positive integer: its value, `dflt` when absent. */
/** A flag's value as an integer >= 0 (default when absent or empty); throws naming the flag. */
export function nonNegIntFlag(s: string | undefined, what: string, dflt: number): number {
  if (s === undefined || s === '') return dflt;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what}: expected a non-negative integer, got "${s}"`);
  return n;
}

export function positiveIntFlag(s: string | undefined, what: string, dflt: number): number {
  if (s === undefined || s === '') return dflt;
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what}: expected a positive integer, got "${s}"`);
  return n;
}
