// bench/fuzz.ts — the structure-aware RESP fuzzer of corral (`npm run fuzz`).
//
// Owns: starting the target (one corral node in a child process, a 3-node corral cluster of
// child processes given a topology through CORRAL SETTOPOLOGY, or an already-running server),
// running many fuzz connections at once (frames from bench/lib/fuzz-frames.ts, a PING <nonce>
// sentinel after each batch for flow control, a connection the server closes is reopened), a
// witness client checking SET/GET round trips throughout, a monitor checking every few
// seconds that each node is alive, answers PING, stays under the RSS bound and wrote no
// exception to its output, and the report (stdout, bench/results/fuzz-<ts>.json).
// Exit code 1 on any crash, witness failure, stall (a connection left unanswered for 20 s), RSS
// past the bound or exception in the output;
// the seed and the last frames of every connection are printed so a crash can be replayed.
//
// Flags: --frames N (1000000)  --connections N (32)  --seed S  --cluster  --target host:port
//        --rss-mb N (512)
// Env:   CORRAL_CMD  shell command with {port}, replaces the corral node command.
// `runFuzz` is the core, imported by test/system/fuzz.test.ts.

import net from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, pingOnce, startServer, stopServer, sleep, type ServerProc } from './lib/procs.js';
import { RespConn, RespError, parseInfo } from './lib/resp.js';
import { isoStamp, positiveIntFlag, writeResult } from './lib/report.js';
import { Rng, randomFrame, EXCLUDED_COMMANDS } from './lib/fuzz-frames.js';
import { planTopology } from '../src/cluster/plan.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corralMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export interface FuzzOptions {
  frames: number;
  connections: number;
  seed: bigint;
  cluster?: boolean;
  /** host:port of a running server (then no process is started, RSS comes from INFO memory). */
  target?: string;
  rssBoundMb?: number;
  log?: (line: string) => void;
}

export interface FuzzResult {
  seed: string;
  mode: 'single' | 'cluster' | 'target';
  frames: number;
  seconds: number;
  framesPerSec: number;
  reconnects: number;
  /** Batches whose PING sentinel, or half-closed connections the server did not close, within 20 s: a hang. */
  stalls: number;
  witnessChecks: number;
  witnessFailures: string[];
  peakRssMb: number;
  rssBoundMb: number;
  crashes: string[];
  exceptions: string[];
  /** Per connection, the last frames sent (hex), printed when a node died. */
  lastFrames?: Record<string, string[]>;
  ok: boolean;
}

interface TargetNode {
  host: string;
  port: number;
  proc: ServerProc | null;
  output: string; // stdout+stderr, capped
}

const EXCEPTION_RE = /Uncaught|UnhandledPromiseRejection|^\s+at .+:\d+:\d+\)?$/im;
const BATCH = 64;
const SENTINEL_TIMEOUT_MS = 20000;

function corralCommand(extra: string): string {
  return process.env['CORRAL_CMD'] ?? `'${process.execPath}' '${corralMain}' server --port {port}${extra}`;
}

async function startNodes(count: number, cluster: boolean): Promise<TargetNode[]> {
  const nodes: TargetNode[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const node: TargetNode = { host: '127.0.0.1', port, proc: null, output: '' };
      const keep = (d: Buffer): void => {
        if (node.output.length < 1 << 20) node.output += d.toString('utf8');
      };
      node.proc = await startServer(corralCommand(cluster ? ' --cluster-enabled yes' : ''), {
        name: `corral-${i}`,
        port,
        cwd: repoRoot,
        onSpawn: (p) => {
          p.child.stdout?.on('data', keep);
          p.child.stderr?.on('data', keep);
        },
      });
      nodes.push(node);
    }
    if (cluster) {
      const doc = planTopology(nodes.map((n) => ({ nodes: [{ host: n.host, port: n.port }] })));
      for (const n of nodes) {
        const c = await RespConn.connect(n.port);
        await c.ok('CORRAL', 'SETTOPOLOGY', JSON.stringify(doc));
        c.close();
      }
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => (n.proc ? stopServer(n.proc) : undefined)));
    throw err;
  }
  return nodes;
}

function rssMbOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function rssMbByInfo(port: number, host: string): Promise<number | null> {
  try {
    const c = await RespConn.connect(port, host);
    const info = parseInfo(await c.command('INFO', 'memory'));
    c.close();
    const rss = Number(info['used_memory_rss']);
    return Number.isFinite(rss) ? rss / 1048576 : null;
  } catch {
    return null;
  }
}

/** Shared state of one run. */
interface Run {
  opts: FuzzOptions;
  nodes: TargetNode[];
  sent: number;
  reconnects: number;
  stalls: number;
  stop: boolean;
  lastFrames: Map<number, Buffer[]>;
}

function remember(run: Run, conn: number, frame: Buffer): void {
  let ring = run.lastFrames.get(conn);
  if (ring === undefined) run.lastFrames.set(conn, (ring = []));
  ring.push(frame.length > 160 ? frame.subarray(0, 160) : frame);
  if (ring.length > 8) ring.shift();
}

/**
 * One fuzz connection: sessions of batches of frames until the run has sent its frames. A
 * batch without a poison frame is followed by PING <nonce>, whose echo (found in the raw reply
 * bytes, whatever came before it) says the server has consumed the batch. A poison frame ends
 * the batch and the session: the socket is half-closed and the server must close it.
 */
async function fuzzConnection(run: Run, id: number, rng: Rng): Promise<void> {
  let nonceSeq = 0;
  while (!run.stop && run.sent < run.opts.frames) {
    const node = run.nodes[id % run.nodes.length]!;
    const sock = net.createConnection({ port: node.port, host: node.host });
    sock.setNoDelay(true);
    let waiting: { token: string; resolve: (closed: boolean) => void } | null = null;
    let tail = '';
    let closed = false;
    const onClose = (): void => {
      closed = true;
      waiting?.resolve(true);
      waiting = null;
    };
    sock.on('data', (d: Buffer) => {
      if (waiting === null) return;
      tail = (tail + d.toString('latin1')).slice(-(waiting.token.length + 64));
      if (tail.includes(waiting.token)) {
        const w = waiting;
        waiting = null;
        w.resolve(false);
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', onClose);
    const connected = await new Promise<boolean>((resolve) => {
      sock.once('connect', () => resolve(true));
      sock.once('close', () => resolve(false));
    });
    if (!connected) {
      if (run.stop) return;
      await sleep(50); // the monitor decides whether the node is dead
      continue;
    }
    while (!closed && !run.stop && run.sent < run.opts.frames) {
      const parts: Buffer[] = [];
      let poison = false;
      for (let i = 0; i < BATCH && run.sent < run.opts.frames; i++) {
        const f = randomFrame(rng);
        parts.push(f.bytes);
        remember(run, id, f.bytes);
        run.sent++;
        if (f.poison) {
          poison = true;
          break;
        }
      }
      if (poison) {
        sock.end(Buffer.concat(parts));
        const done = await Promise.race([
          new Promise<boolean>((resolve) => (closed ? resolve(true) : sock.once('close', () => resolve(true)))),
          sleep(SENTINEL_TIMEOUT_MS).then(() => false),
        ]);
        if (!done) run.stalls++;
        break;
      }
      const token = `fzsync${id}x${nonceSeq++}`;
      parts.push(Buffer.from(`*2\r\n$4\r\nPING\r\n$${token.length}\r\n${token}\r\n`));
      tail = '';
      const reply = new Promise<boolean | 'timeout'>((resolve) => {
        waiting = { token, resolve };
        setTimeout(() => resolve('timeout'), SENTINEL_TIMEOUT_MS).unref();
      });
      sock.write(Buffer.concat(parts));
      const r = await reply;
      if (r === 'timeout') {
        run.stalls++;
        break;
      }
    }
    sock.destroy();
    run.reconnects++;
  }
}

/**
 * The witness: SET witness:<n> <n> then GET it on its own connection(s), following -MOVED in a
 * cluster; every reply must be exactly right.
 */
async function witness(run: Run, failures: string[], counter: { checks: number }): Promise<void> {
  const conns = new Map<number, RespConn>();
  const connTo = async (port: number): Promise<RespConn> => {
    let c = conns.get(port);
    if (c === undefined || c.broken !== null) {
      c = await RespConn.connect(port, run.nodes[0]!.host);
      conns.set(port, c);
    }
    return c;
  };
  const owner = new Map<string, number>(); // key -> port, learnt from -MOVED
  const call = async (args: string[]): Promise<unknown> => {
    let port = owner.get(args[1]!) ?? run.nodes[0]!.port;
    for (let hop = 0; hop < 3; hop++) {
      const reply = await Promise.race([(await connTo(port)).command(...args), sleep(SENTINEL_TIMEOUT_MS).then(() => 'TIMEOUT')]);
      const moved = reply instanceof RespError ? /^MOVED \d+ [^:]+:(\d+)/.exec(reply.message) : null;
      if (moved === null) return reply;
      port = Number(moved[1]);
      owner.set(args[1]!, port);
    }
    return 'too many redirects';
  };
  try {
    for (let n = 1; !run.stop; n++) {
      const k = `witness:${n % 1000}`;
      const set = await call(['SET', k, String(n)]);
      if (set !== 'OK') failures.push(`SET ${k} ${n} -> ${String(set)}`);
      const got = await call(['GET', k]);
      if (got !== String(n)) failures.push(`GET ${k} -> ${String(got)} (expected ${n})`);
      counter.checks += 2;
      if (failures.length > 20 || run.stop) break;
    }
  } catch (err) {
    failures.push(`witness: ${(err as Error).message}`);
  } finally {
    for (const c of conns.values()) c.close();
  }
}

/** Runs the fuzzer; the caller owns nothing afterwards (started nodes are stopped). */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const rssBoundMb = opts.rssBoundMb ?? 512;
  const mode = opts.target !== undefined ? 'target' : opts.cluster ? 'cluster' : 'single';
  let nodes: TargetNode[];
  if (opts.target !== undefined) {
    const m = /^(.+):(\d+)$/.exec(opts.target);
    if (m === null) throw new Error(`--target: expected host:port, got "${opts.target}"`);
    nodes = [{ host: m[1]!, port: Number(m[2]), proc: null, output: '' }];
  } else {
    nodes = await startNodes(opts.cluster ? 3 : 1, opts.cluster === true);
  }
  log(`fuzz: seed ${opts.seed} mode ${mode} nodes ${nodes.map((n) => n.port).join(',')} frames ${opts.frames} connections ${opts.connections}`);
  const run: Run = { opts, nodes, sent: 0, reconnects: 0, stalls: 0, stop: false, lastFrames: new Map() };
  const crashes: string[] = [];
  const exceptions: string[] = [];
  const witnessFailures: string[] = [];
  const counter = { checks: 0 };
  let peakRssMb = 0;

  const check = async (): Promise<void> => {
    for (const n of nodes) {
      const dead = n.proc !== null && (n.proc.child.exitCode !== null || n.proc.child.signalCode !== null);
      if (dead || !(await pingOnce(n.port, n.host, 5000))) {
        const why = dead ? `exited (${n.proc!.child.exitCode ?? n.proc!.child.signalCode})` : 'does not answer PING';
        if (!crashes.some((c) => c.startsWith(`node ${n.port}`))) crashes.push(`node ${n.port} ${why}`);
      }
      const rss = n.proc !== null ? rssMbOf(n.proc.pid) : await rssMbByInfo(n.port, n.host);
      if (rss !== null) peakRssMb = Math.max(peakRssMb, rss);
      const m = EXCEPTION_RE.exec(n.output);
      if (m !== null && !exceptions.some((e) => e.startsWith(`node ${n.port}`))) {
        exceptions.push(`node ${n.port}: ${n.output.slice(Math.max(0, m.index - 200), m.index + 800)}`);
      }
    }
    if (crashes.length > 0 || exceptions.length > 0 || peakRssMb > rssBoundMb || witnessFailures.length > 0) run.stop = true;
  };

  const started = Date.now();
  let lastLog = started;
  const monitor = (async () => {
    while (!run.stop && run.sent < opts.frames) {
      await sleep(2000);
      await check();
      if (Date.now() - lastLog >= 10000) {
        lastLog = Date.now();
        const secs = (Date.now() - started) / 1000;
        log(`  ${run.sent} frames (${Math.round(run.sent / secs)}/s), ${run.reconnects} reconnects, ${counter.checks} witness checks, peak RSS ${peakRssMb.toFixed(0)} MB`);
      }
    }
  })();
  const witnessDone = witness(run, witnessFailures, counter);
  await Promise.all(Array.from({ length: opts.connections }, (_, i) => fuzzConnection(run, i, new Rng(opts.seed * 1000n + BigInt(i)))));
  const seconds = (Date.now() - started) / 1000;
  run.stop = true;
  await Promise.all([monitor, witnessDone]);
  await check();
  if (opts.target === undefined) await Promise.all(nodes.map((n) => stopServer(n.proc!)));

  const result: FuzzResult = {
    seed: String(opts.seed),
    mode,
    frames: run.sent,
    seconds,
    framesPerSec: Math.round(run.sent / seconds),
    reconnects: run.reconnects,
    stalls: run.stalls,
    witnessChecks: counter.checks,
    witnessFailures,
    peakRssMb: Math.round(peakRssMb),
    rssBoundMb,
    crashes,
    exceptions,
    ok: crashes.length === 0 && exceptions.length === 0 && witnessFailures.length === 0 && run.stalls === 0 && peakRssMb <= rssBoundMb,
  };
  if (crashes.length > 0 || exceptions.length > 0) {
    result.lastFrames = Object.fromEntries([...run.lastFrames].map(([id, fs]) => [String(id), fs.map((f) => f.toString('hex'))]));
  }
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      frames: { type: 'string' },
      connections: { type: 'string' },
      seed: { type: 'string' },
      cluster: { type: 'boolean' },
      target: { type: 'string' },
      'rss-mb': { type: 'string' },
    },
  });
  const seed = values.seed !== undefined ? BigInt(values.seed) : BigInt(Date.now());
  console.log(`fuzz: excluded commands: ${[...EXCLUDED_COMMANDS].join(' ')}`);
  const result = await runFuzz({
    frames: positiveIntFlag(values.frames, '--frames', 1_000_000),
    connections: positiveIntFlag(values.connections, '--connections', 32),
    seed,
    cluster: values.cluster === true,
    target: values.target,
    rssBoundMb: positiveIntFlag(values['rss-mb'], '--rss-mb', 512),
  });
  console.log(
    `fuzz ${result.ok ? 'PASSED' : 'FAILED'}: seed ${result.seed}, ${result.frames} frames in ${result.seconds.toFixed(1)} s ` +
      `(${result.framesPerSec}/s), ${result.reconnects} reconnects, ${result.stalls} stalls, ` +
      `${result.witnessChecks} witness checks (${result.witnessFailures.length} failures), ` +
      `peak RSS ${result.peakRssMb} MB (bound ${result.rssBoundMb} MB)`,
  );
  for (const c of result.crashes) console.log(`CRASH: ${c}`);
  for (const e of result.exceptions) console.log(`EXCEPTION: ${e}`);
  for (const w of result.witnessFailures.slice(0, 10)) console.log(`WITNESS: ${w}`);
  if (result.lastFrames !== undefined) {
    console.log(`replay with --seed ${result.seed}; last frames per connection (hex):`);
    for (const [id, fs] of Object.entries(result.lastFrames)) console.log(`  conn ${id}: ${fs.join(' | ')}`);
  }
  const file = writeResult(path.join(repoRoot, 'bench', 'results'), `fuzz-${isoStamp()}.json`, JSON.stringify(result, null, 2) + '\n');
  console.log(`result: ${path.relative(repoRoot, file)}`);
  process.exit(result.ok ? 0 : 1);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
