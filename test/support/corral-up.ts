// Test support: `corral up --shards S --replicas R` as a child process (real node processes, the
// local coordinator, the controller elected among the nodes), with the helpers failover tests
// need: each node's role, pid and offset, waiting for the cluster to be whole, killing a node.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawConnection } from './servers.js';
import type { ReplyValue } from '../../src/protocol/reply-parser.js';

export const CORRAL_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A run of `count` free ports below the ephemeral range (outgoing sockets do not take them). */
export async function freeRun(count: number): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await canListen(base + i);
    if (ok) return base;
  }
}

/**
 * How long a test waits for `corral up` to print that it is ready. Each node rehearses a move
 * before it listens (src/cli/warm-up.ts: ~1.4 s alone, up to its own 15 s deadline when six
 * nodes rehearse at once on two cores beside another test file), so a cluster of six can take
 * ~20 s to come up in CI. A wait limit, not a measurement: the tests assert what the cluster
 * does once up.
 */
export const UP_READY_MS = 60_000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** One call on a fresh connection (null when the node does not answer). */
export async function callOnce(port: number, ...args: Array<string | number>): Promise<ReplyValue | null> {
  let c: RawConnection | null = null;
  try {
    c = await RawConnection.connect(port);
    return await c.call(...args);
  } catch {
    return null;
  } finally {
    c?.close();
  }
}

export function infoField(info: ReplyValue | null, name: string): string | undefined {
  if (info === null) return undefined;
  const text = typeof info === 'string' ? info : (info as { verbatim: string }).verbatim;
  return new RegExp(`^${name}:(.*)\\r$`, 'm').exec(text)?.[1];
}

export interface NodeView {
  port: number;
  role: 'master' | 'slave' | 'down';
  pid: number;
  offset: number;
  linkUp: boolean;
}

export async function nodeView(port: number): Promise<NodeView> {
  const info = await callOnce(port, 'INFO', 'ALL');
  if (info === null || (typeof info === 'object' && info !== null && 'error' in info)) return { port, role: 'down', pid: 0, offset: 0, linkUp: false };
  return {
    port,
    role: infoField(info, 'role') === 'slave' ? 'slave' : 'master',
    pid: Number(infoField(info, 'process_id')),
    offset: Number(infoField(info, 'master_repl_offset')),
    linkUp: infoField(info, 'master_link_status') === 'up',
  };
}

export interface CorralUp {
  port: number;
  ports: number[];
  child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
  views(): Promise<NodeView[]>;
  /** Every node answers, S primaries, every replica's link up and caught up. */
  whole(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startCorralUp(shards: number, replicas: number, extra: string[] = []): Promise<CorralUp> {
  const count = shards * (1 + replicas);
  const port = await freeRun(count);
  // Metrics endpoints (on by default in corral up, at fixed ports) only when a test asks for them:
  // clusters of concurrent test files would otherwise contend for the same ports.
  const metrics = extra.includes('--metrics-port') ? [] : ['--metrics-port', '0'];
  // The web dashboard likewise (on by default at port 7080).
  if (!extra.includes('--dashboard-port')) metrics.push('--dashboard-port', '0');
  const child = spawn(process.execPath, [CORRAL_MAIN, 'up', '--shards', String(shards), '--replicas', String(replicas), '--port', String(port), ...metrics, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until('corral up to be ready', () => /Ctrl-C stops the cluster/.test(out) || child.exitCode !== null, UP_READY_MS);
  } catch (err) {
    // Its node processes would otherwise outlive the test file and hold it open.
    child.kill('SIGTERM');
    throw new Error(`${(err as Error).message}: ${out}`);
  }
  if (child.exitCode !== null) throw new Error(`corral up exited: ${out}`);
  const ports = Array.from({ length: count }, (_, i) => port + i);
  const views = (): Promise<NodeView[]> => Promise.all(ports.map((p) => nodeView(p)));
  const up: CorralUp = {
    port,
    ports,
    child,
    output: () => out,
    exit,
    views,
    whole: async () => {
      const v = await views();
      if (v.some((n) => n.role === 'down')) return false;
      const masters = v.filter((n) => n.role === 'master');
      if (masters.length !== shards) return false;
      const slaves = v.filter((n) => n.role === 'slave');
      return slaves.every((s) => s.linkUp) && slaves.length === shards * replicas;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exit;
    },
  };
  await until('the cluster to be whole', up.whole, 30_000);
  return up;
}
