// The cache cluster the demo (and the stampede benchmark) runs against: either the nodes given
// with `--nodes host:port,...` (or found running where `corral up` puts it: corralClusterAt, which
// the demo checks before starting its own), or a local corral cluster started here through the local
// coordinator (LocalCluster: one `corral server` process per shard, on free consecutive ports,
// as `corral up` does) and stopped by stop(). It also owns process cleanup for the demo: every
// child registered with track() is killed on exit or Ctrl-C, so no node or worker outlives it.

import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../control/local-cluster.js';
import { NODE_V8_FLAGS, nodeProcessEnv } from '../util/node-flags.js';

/** dist/src/cli/main.js, beside this file's dist/src/demo/. */
export const CORRAL_MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

export interface CacheCluster {
  /** 'host:port' seeds for createClient. */
  nodes: string[];
  /** The local cluster when this process started it (null with --nodes). */
  local: LocalCluster | null;
  stop(): Promise<void>;
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A first port P with P..P+n-1 free, drawn at random from 40000-59999 (there is a window between
 * this check and the node binding; a clash makes the node exit and start() fail loudly).
 */
export async function freePortRange(n: number, host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    // Below Linux's ephemeral range (32768 and up), where outgoing connections take their local
    // ports: a run found free there can be taken before the nodes bind it.
    const p = 20000 + Math.floor(Math.random() * (12000 - n));
    let free = true;
    for (let k = 0; k < n && free; k++) free = await canListen(p + k, host);
    if (free) return p;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}

/** Where `corral up` (and so `npm start`) serves its cluster by default. */
export const CORRAL_UP_DEFAULT = '127.0.0.1:7000';

/**
 * Whether a corral node in cluster mode answers at host:port: INFO shows corral_version and
 * cluster_enabled:1 within timeoutMs (no answer, another server or an error reply: false).
 */
export function corralClusterAt(address: string, timeoutMs = 500): Promise<boolean> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    let text = '';
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const socket = net.connect({ host, port }, () => socket.write('*1\r\n$4\r\nINFO\r\n'));
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.startsWith('-')) finish(false);
      // A bulk reply: the INFO text is whole once its declared length has arrived.
      const m = /^\$(\d+)\r\n/.exec(text);
      if (m !== null && text.length >= m[0].length + Number(m[1])) finish(/\bcorral_version:/.test(text) && /\bcluster_enabled:1\b/.test(text));
    });
  });
}

export interface ClusterOptions {
  /** Existing nodes ('host:port,...'); a local cluster is started when absent. */
  nodes?: string;
  shards?: number;
  /** Lines the nodes print (default: dropped). */
  log?: (line: string) => void;
  /** Extra node flags (e.g. --maxmemory). */
  nodeFlags?: string[];
}

export async function openCluster(opts: ClusterOptions = {}): Promise<CacheCluster> {
  if (opts.nodes !== undefined && opts.nodes.trim() !== '') {
    const nodes = opts.nodes.split(',').map((s) => s.trim()).filter((s) => s !== '');
    return { nodes, local: null, stop: async () => undefined };
  }
  const shards = opts.shards ?? 3;
  const host = '127.0.0.1';
  const port = await freePortRange(shards, host);
  const local = new LocalCluster({
    shards,
    port,
    host,
    nodeCommand: { file: process.execPath, args: [...NODE_V8_FLAGS, CORRAL_MAIN, 'server'], env: nodeProcessEnv() },
    nodeFlags: opts.nodeFlags,
    log: opts.log ?? (() => undefined),
  });
  const stop = (): Promise<void> => local.stop(2000);
  const untrack = killOnExit(() => local.nodes.map((n) => n.child));
  try {
    await local.start();
  } catch (err) {
    await stop();
    untrack();
    throw err;
  }
  return {
    nodes: local.nodes.map((n) => `${n.host}:${n.port}`),
    local,
    stop: async () => {
      await stop();
      untrack();
    },
  };
}

// ---- cleanup of child processes -----------------------------------------------------------------

const sources = new Set<() => ChildProcess[]>();
let hooked = false;

function killAll(): void {
  for (const source of sources) {
    for (const child of source()) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          child.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  }
}

/**
 * Registers children to SIGKILL if this process exits (normally, or by an uncaught error) with
 * them still running; returns the unregister function. SIGINT/SIGTERM are handled by whoever
 * runs the demo (they stop things gracefully, then exit, which lands here for stragglers).
 */
export function killOnExit(children: () => ChildProcess[]): () => void {
  sources.add(children);
  if (!hooked) {
    hooked = true;
    process.on('exit', killAll);
  }
  return () => void sources.delete(children);
}
