// bench/lib/exhaustion-run.ts — the harness under the resource-exhaustion attacks of
// bench/exhaustion-bench.ts and test/system/exhaustion.test.ts (issue 15, "Hostile input,
// measured").
//
// Owns: starting a fresh target per attack (a corral node or a redis-server, as a child process
// so its pid, hence its RSS from /proc, is known), the witness (an ordinary client in a worker
// thread, so the attacker's own work in this process does not delay it, doing SET/GET of its own
// keys with a 1 ms pause and checking every reply; latencies in µs per phase: baseline before the
// attack, during it), an RSS sampler, RawConn (a raw socket for attackers: back-pressured writes,
// a PING <nonce> sentinel to know the server has answered everything before it, and detection of
// marker strings in the reply stream), and runAttack, which runs one attack between them.
// No timing is asserted anywhere: callers assert liveness, correctness and memory bounds.

import net from 'node:net';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { freePort, pingOnce, procStatusBytes, sleep, startServer, stopServer, type ServerProc } from './procs.js';
import { RespConn, RespError } from './resp.js';
import { LogHistogram, type HistogramJSON } from './log-histogram.js';
import { NODE_V8_FLAGS } from '../../src/util/node-flags.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export type SystemName = 'corral' | 'redis';

export interface Target {
  system: SystemName;
  port: number;
  pid: number;
  proc: ServerProc;
  /** stdout+stderr of the process (capped), to look for exceptions. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts a fresh server; `flags` are `--name value` pairs both understand (maxclients...). */
export async function startTarget(system: SystemName, flags: string[] = []): Promise<Target> {
  const port = await freePort();
  let out = '';
  const keep = (d: Buffer): void => {
    if (out.length < 1 << 20) out += d.toString('utf8');
  };
  const dir = system === 'redis' ? mkdtempSync(path.join(tmpdir(), 'corral-exhaust-redis-')) : null;
  const argv =
    system === 'corral'
      ? [process.execPath, ...NODE_V8_FLAGS, corralMain, 'server', '--port', '{port}', '--enable-debug-command', 'yes', ...flags]
      : ['redis-server', '--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes', '--dir', dir!, ...flags];
  const proc = await startServer(argv, {
    name: system,
    port,
    cwd: dir ?? repoRoot,
    onSpawn: (p) => {
      p.child.stdout?.on('data', keep);
      p.child.stderr?.on('data', keep);
    },
  });
  return {
    system,
    port,
    pid: proc.pid,
    proc,
    output: () => out,
    stop: async () => {
      await stopServer(proc);
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function rssMb(pid: number): number {
  return procStatusBytes(pid, 'VmRSS') / 1048576;
}

// ---------------------------------------------------------------------------------------------
// RawConn: an attacker's socket.

export class RawConn {
  received = 0;
  closed = false;
  /** Closed by the server (not by us). */
  closedByServer = false;
  /** The first bytes received (up to 256), for checking a reply's head. */
  head = '';
  private tail = '';
  private readonly marks = new Map<string, boolean>();
  private waiting: { token: string; resolve: (seen: boolean) => void } | null = null;
  private nonce = 0;

  private constructor(readonly sock: net.Socket, reading: boolean) {
    sock.setNoDelay(true);
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (!this.closed) this.closedByServer = true;
      this.closed = true;
      this.waiting?.resolve(false);
      this.waiting = null;
    });
    if (reading) sock.on('data', (d: Buffer) => this.onData(d));
  }

  /** Connects; with reading false nothing is ever read (the kernel's receive buffer fills). */
  static open(port: number, reading = true): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ port, host: '127.0.0.1' });
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(new RawConn(sock, reading));
      });
      sock.once('error', reject);
    });
  }

  /** Remember whether `text` ever appears in the replies (e.g. "EXECABORT"). */
  watch(text: string): void {
    this.marks.set(text, false);
  }

  saw(text: string): boolean {
    return this.marks.get(text) === true;
  }

  private onData(d: Buffer): void {
    this.received += d.length;
    if (this.head.length < 256) this.head += d.toString('latin1', 0, Math.min(d.length, 256 - this.head.length));
    // Marker strings may straddle chunks: scan the previous tail with this chunk's start and end.
    const s = this.tail + (d.length > 4096 ? d.toString('latin1', 0, 2048) + '\0' + d.toString('latin1', d.length - 2048) : d.toString('latin1'));
    for (const [text, seen] of this.marks) if (!seen && (s.includes(text) || (d.length > 4096 && d.includes(text)))) this.marks.set(text, true);
    this.tail = s.slice(-96);
    const w = this.waiting;
    if (w !== null && s.includes(w.token)) {
      this.waiting = null;
      w.resolve(true);
    }
  }

  /** Writes, waiting for the socket to drain when it is full; false once the socket has closed. */
  async write(buf: Buffer | string): Promise<boolean> {
    if (this.closed) return false;
    if (this.sock.write(buf)) return true;
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        this.sock.off('drain', onDrain);
        this.sock.off('close', onClose);
        resolve(ok);
      };
      const onDrain = (): void => done(true);
      const onClose = (): void => done(false);
      this.sock.on('drain', onDrain);
      this.sock.on('close', onClose);
    });
  }

  /**
   * Sends `before` (if any) then PING <nonce>; resolves true once the nonce's echo arrives (the
   * server has answered everything sent before it), false if the connection closed or timed out.
   */
  async sync(before: Buffer | string | null = null, timeoutMs = 120_000): Promise<boolean> {
    const token = `exsync${process.pid}x${this.nonce++}`;
    const seen = new Promise<boolean>((resolve) => {
      this.waiting = { token, resolve };
      setTimeout(() => resolve(false), timeoutMs).unref();
    });
    if (before !== null && !(await this.write(before))) return false;
    if (!(await this.write(`*2\r\n$4\r\nPING\r\n$${token.length}\r\n${token}\r\n`))) return false;
    return seen;
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}

/** RESP-encodes one command. */
export function encode(args: (string | number)[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) {
    const v = String(a);
    s += `$${Buffer.byteLength(v, 'latin1')}\r\n${v}\r\n`;
  }
  return s;
}

/** A command reply through RespConn, throwing on an error reply. */
export async function cmd(port: number, ...args: (string | number)[]): Promise<unknown> {
  const c = await RespConn.connect(port);
  try {
    const r = await c.command(...args);
    if (r instanceof RespError) throw new Error(`${args.join(' ')}: ${r.message}`);
    return r;
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The witness, in a worker thread.

type WitnessPhase = 'baseline' | 'attack';

interface WitnessReport {
  hists: Record<WitnessPhase, HistogramJSON>;
  failures: string[];
  checks: number;
}

async function witnessWorker(port: number): Promise<void> {
  const hists: Record<WitnessPhase, LogHistogram> = { baseline: new LogHistogram(), attack: new LogHistogram() };
  let phase: WitnessPhase = 'baseline';
  let stop = false;
  const failures: string[] = [];
  let checks = 0;
  parentPort!.on('message', (m: { phase?: WitnessPhase; stop?: boolean }) => {
    if (m.phase !== undefined) phase = m.phase;
    if (m.stop === true) stop = true;
  });
  const conn = await RespConn.connect(port);
  const timed = async (args: string[], expect: string): Promise<boolean> => {
    const t0 = performance.now();
    const r = await Promise.race([conn.command(...args), sleep(120_000).then(() => 'TIMEOUT (120 s)')]);
    hists[phase].record((performance.now() - t0) * 1000);
    checks++;
    if (r === expect) return true;
    failures.push(`${args.join(' ')} -> ${String(r)} (expected ${expect})`);
    return false;
  };
  for (let n = 1; !stop; n++) {
    const key = `witness:${n % 1000}`;
    if (!(await timed(['SET', key, String(n)], 'OK')) || !(await timed(['GET', key], String(n)))) {
      if (conn.broken !== null || failures.length > 20) break;
    }
    await sleep(1);
  }
  conn.close();
  const report: WitnessReport = { hists: { baseline: hists.baseline.toJSON(), attack: hists.attack.toJSON() }, failures, checks };
  parentPort!.postMessage(report);
}

if (!isMainThread && (workerData as { exhaustionWitness?: number } | null)?.exhaustionWitness !== undefined) {
  void witnessWorker((workerData as { exhaustionWitness: number }).exhaustionWitness);
}

interface Witness {
  phase(p: WitnessPhase): void;
  stop(): Promise<WitnessReport>;
}

function startWitness(port: number): Witness {
  const worker = new Worker(new URL(import.meta.url), { workerData: { exhaustionWitness: port } });
  const report = new Promise<WitnessReport>((resolve, reject) => {
    worker.once('message', (r: WitnessReport) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`witness worker exited (${code}) without a report`)));
  });
  return {
    phase: (p) => worker.postMessage({ phase: p }),
    stop: async () => {
      worker.postMessage({ stop: true });
      const r = await report;
      await worker.terminate();
      return r;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One attack against one fresh target.

export interface PhaseStats {
  ops: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

function stats(j: HistogramJSON): PhaseStats {
  const h = LogHistogram.fromJSON(j);
  return { ops: h.total, p50Us: h.quantile(0.5), p99Us: h.quantile(0.99), maxUs: h.total === 0 ? NaN : h.max };
}

export type Detail = Record<string, number | string | boolean>;

export interface AttackOutcome {
  attackerDisconnected: boolean;
  detail: Detail;
}

export interface Attack {
  name: string;
  /** What the attack does at its size, for the report. */
  describe: string;
  /** Server flags for this attack (e.g. maxclients). */
  flags?: string[];
  /** Untimed setup, before the witness's baseline (loading keys). */
  prepare?(t: Target): Promise<void>;
  run(t: Target): Promise<AttackOutcome>;
}

export interface AttackResult {
  attack: string;
  system: SystemName;
  describe: string;
  baseline: PhaseStats;
  during: PhaseStats;
  witnessChecks: number;
  witnessFailures: string[];
  rssBeforeMb: number;
  peakRssMb: number;
  rssAfterMb: number;
  /** VmHWM of the process at the end (its peak since start, setup included). */
  hwmMb: number;
  attackMs: number;
  attackerDisconnected: boolean;
  /** The node answered PING from a new connection after the attack, and did not exit. */
  alive: boolean;
  /** An exception or stack trace in the node's output. */
  exception: string | null;
  detail: Detail;
}

export interface RunOptions {
  baselineMs?: number;
  /** Witness time after the attack returns, counted as "during" (GC aftermath, lazy frees). */
  tailMs?: number;
  log?: (line: string) => void;
}

const EXCEPTION_RE = /Uncaught|UnhandledPromiseRejection|FATAL ERROR|^\s+at .+:\d+:\d+\)?$/im;

export async function runAttack(system: SystemName, attack: Attack, opts: RunOptions = {}): Promise<AttackResult> {
  const log = opts.log ?? (() => undefined);
  const t = await startTarget(system, attack.flags ?? []);
  try {
    if (attack.prepare !== undefined) await attack.prepare(t);
    const witness = startWitness(t.port);
    await sleep(opts.baselineMs ?? 1000);
    const rssBeforeMb = rssMb(t.pid);
    let peakRssMb = rssBeforeMb;
    const sampler = setInterval(() => {
      const r = rssMb(t.pid);
      if (r > peakRssMb) peakRssMb = r;
    }, 20);
    witness.phase('attack');
    const t0 = performance.now();
    let outcome: AttackOutcome;
    let attackMs = 0;
    try {
      outcome = await attack.run(t);
      attackMs = performance.now() - t0;
      await sleep(opts.tailMs ?? 1000);
    } catch (err) {
      await witness.stop().catch(() => undefined);
      throw err;
    } finally {
      clearInterval(sampler);
    }
    const w = await witness.stop();
    const alive = t.proc.child.exitCode === null && t.proc.child.signalCode === null && (await pingOnce(t.port, '127.0.0.1', 10_000));
    const rssAfterMb = rssMb(t.pid);
    const hwmMb = procStatusBytes(t.pid, 'VmHWM') / 1048576;
    const m = EXCEPTION_RE.exec(t.output());
    const result: AttackResult = {
      attack: attack.name,
      system,
      describe: attack.describe,
      baseline: stats(w.hists.baseline),
      during: stats(w.hists.attack),
      witnessChecks: w.checks,
      witnessFailures: w.failures,
      rssBeforeMb: Math.round(rssBeforeMb),
      peakRssMb: Math.round(Math.max(peakRssMb, rssAfterMb)),
      rssAfterMb: Math.round(rssAfterMb),
      hwmMb: Math.round(hwmMb),
      attackMs: Math.round(attackMs),
      attackerDisconnected: outcome.attackerDisconnected,
      alive,
      exception: m === null ? null : t.output().slice(Math.max(0, m.index - 300), m.index + 1200),
      detail: outcome.detail,
    };
    log(
      `  ${system} ${attack.name}: ${result.attackMs} ms, witness p99 ${(result.during.p99Us / 1000).toFixed(2)} ms ` +
        `(baseline ${(result.baseline.p99Us / 1000).toFixed(2)}), max ${(result.during.maxUs / 1000).toFixed(1)} ms, ` +
        `RSS ${result.rssBeforeMb} -> peak ${result.peakRssMb} MB, ${JSON.stringify(result.detail)}`,
    );
    return result;
  } finally {
    await t.stop();
  }
}
