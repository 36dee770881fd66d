// bench/lib/procs.ts — reusable process helpers for the corral benchmark harnesses
// (server, memory, cluster): free ports, starting/stopping server processes,
// waiting for PING over raw TCP, reading per-process CPU time from /proc, and
// running a command to completion while capturing its output.
// Node 20 built-ins only.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { nodeProcessEnv } from '../../src/util/node-flags.js';

/** Ask the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine free port'));
        return;
      }
      const port = addr.port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProc {
  name: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Last lines of stdout/stderr, for error messages. */
  tail(): string;
}

export interface StartOptions {
  name: string;
  port: number;
  cwd?: string;
  /**
   * Default: this process's, with the glibc tunable a corral node runs with (nodeProcessEnv, as
   * `corral up` and the `corral` command start nodes). redis-server allocates with jemalloc and
   * turns transparent huge pages off for itself (`disable-thp yes`), so the tunable leaves it as
   * its own defaults have it.
   */
  env?: NodeJS.ProcessEnv;
  /** ms to wait for +PONG (default 15000). */
  readyTimeoutMs?: number;
  /**
   * If set, the server is ready only once a line of its stdout/stderr matches this (and it
   * answers PING), e.g. `corral up`'s "connect with:" line, printed after the topology is set.
   */
  readyLine?: RegExp;
  /** Called right after the process is spawned, before it is ready (to track it for cleanup). */
  onSpawn?: (p: ServerProc) => void;
}

/**
 * Start a server from an argv array, or from a shell-style command string
 * (run as `sh -c 'exec <cmd>'` so the pid is the server's own pid).
 * `{port}` placeholders are replaced in either form. Resolves once it answers PING.
 */
export async function startServer(cmd: string | string[], opts: StartOptions): Promise<ServerProc> {
  const sub = (s: string): string => s.replaceAll('{port}', String(opts.port));
  const [file, args] =
    typeof cmd === 'string' ? ['/bin/sh', ['-c', 'exec ' + sub(cmd)]] : [sub(cmd[0]!), cmd.slice(1).map(sub)];
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env ?? nodeProcessEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let sawReadyLine = opts.readyLine === undefined;
  const keep = (buf: Buffer): void => {
    for (const l of buf.toString('utf8').split('\n')) {
      if (l.trim() === '') continue;
      lines.push(l);
      if (!sawReadyLine && opts.readyLine!.test(l)) sawReadyLine = true;
    }
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.on('error', (err) => {
      lines.push(String(err));
      resolve('spawn-error');
    });
  });
  const proc: ServerProc = {
    name: opts.name,
    port: opts.port,
    pid: child.pid ?? -1,
    child,
    exited,
    tail: () => lines.join('\n'),
  };
  opts.onSpawn?.(proc);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15000);
  let dead: number | string | undefined;
  void exited.then((c) => (dead = c));
  for (;;) {
    if (dead !== undefined) {
      throw new Error(`${opts.name} exited (${dead}) before answering PING:\n${proc.tail()}`);
    }
    if (sawReadyLine && (await pingOnce(opts.port))) return proc;
    if (Date.now() > deadline) {
      await stopServer(proc);
      const what = sawReadyLine ? 'answer PING' : `print a line matching ${String(opts.readyLine)} and answer PING`;
      throw new Error(`${opts.name} did not ${what} on port ${opts.port}:\n${proc.tail()}`);
    }
    await sleep(100);
  }
}

/** One raw-TCP `PING\r\n`; true iff the reply starts with +PONG. */
/** Whether a spawned process is still running. */
export const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

/**
 * Waits until the redis-server spawned as `child` on `port` answers PING; throws with its last
 * output lines (`tail()`) if it exits first, or after `timeoutMs`.
 */
export async function waitRedisPing(child: ChildProcess, port: number, tail: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!alive(child)) throw new Error(`redis-server on port ${port} exited (${child.exitCode ?? child.signalCode}):\n${tail()}`);
    if (await pingOnce(port)) return;
    if (performance.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export function pingOnce(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(ok);
    };
    const sock = net.createConnection({ port, host }, () => sock.write('PING\r\n'));
    sock.setTimeout(timeoutMs, () => finish(false));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) finish(buf.startsWith('+PONG'));
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}

/** SIGTERM, wait for exit; SIGKILL after graceMs. Safe to call twice. */
export async function stopServer(p: ServerProc, graceMs = 5000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(t);
}

let clkTckCache: number | undefined;
/** Clock ticks per second (`getconf CLK_TCK`, default 100). */
export function clockTicksPerSec(): number {
  if (clkTckCache === undefined) {
    try {
      clkTckCache = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTckCache = 100;
    }
  }
  return clkTckCache;
}

/**
 * CPU time (utime+stime, all threads) of a process in microseconds, from
 * /proc/<pid>/stat fields 14 and 15. Resolution is one clock tick (10 ms at 100 Hz).
 */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) may contain spaces/parens: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  return ((utime + stime) * 1e6) / clockTicksPerSec();
}

/** Sum of cpuMicros over several processes (e.g. the nodes of a cluster). */
export function cpuMicrosTotal(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
}

/**
 * CPU time (utime+stime) of this process's children that have exited and been waited for, in
 * microseconds, from /proc/self/stat fields 16 and 17 (cutime, cstime). The difference across
 * one run() is that command's CPU time (if no other child was reaped meanwhile).
 */
export function reapedChildrenCpuMicros(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[16 - 3]) + Number(rest[17 - 3])) * 1e6) / clockTicksPerSec();
}

/**
 * Busy CPU time of the whole machine (all cores) in microseconds, from the `cpu` line of
 * /proc/stat (user+nice+system+irq+softirq+steal). Comparing its difference across a run with
 * the CPU of the processes measured shows how much CPU everything else on the machine used.
 */
export function machineBusyMicros(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return NaN;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = f[0]! + f[1]! + f[2]! + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return (busy * 1e6) / clockTicksPerSec();
}

/** True iff a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resident set size of a process in bytes (from /proc/<pid>/status VmRSS). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * A kB field of /proc/<pid>/status in bytes, e.g. 'VmRSS', 'VmHWM' (peak RSS), 'RssAnon',
 * 'RssFile', 'VmSwap'. NaN if absent or the process is gone.
 */
export function procStatusBytes(pid: number, field: string): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return NaN;
  }
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : NaN;
}

export interface RunResult {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Currently running children of run(), so a SIGINT handler can kill them. */
export const runningChildren = new Set<ChildProcess>();

/** Run a command to completion, capturing stdout/stderr. */
export function run(file: string, args: string[], opts: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    runningChildren.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (err) => {
      runningChildren.delete(child);
      resolve({ code: 'spawn-error', stdout, stderr: stderr + String(err) });
    });
    child.on('close', (code, signal) => {
      runningChildren.delete(child);
      resolve({ code: code ?? signal ?? 'unknown', stdout, stderr });
    });
  });
}

/** Stops child processes: SIGTERM, then SIGKILL after graceMs; resolves when all have exited. */
export function stopChildren(children: Iterable<ChildProcess>, graceMs: number): Promise<void> {
  return Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  ).then(() => {});
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Install SIGINT/SIGTERM handlers that run `cleanup` once and exit with 130/143.
 * Returns a function that removes the handlers.
 */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  let busy = false;
  const handler = (sig: NodeJS.Signals): void => {
    if (busy) return;
    busy = true;
    process.stderr.write(`\n${sig}: stopping servers...\n`);
    for (const c of runningChildren) c.kill('SIGTERM');
    void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A first port P with P .. P+n-1 free, drawn from 12000-18999: below the range the Redis
 * cluster helper draws from (20000-39999, bus ports +10000) and below the ephemeral range.
 */
export async function freePortRange(n: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 12000 + Math.floor(Math.random() * 7000);
    let free = true;
    for (let k = 0; k < n && free; k++) free = await canListen(p + k);
    if (free) return p;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}
