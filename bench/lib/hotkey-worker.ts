// bench/lib/hotkey-worker.ts — one reader process of bench/hotkey-bench.ts (forked; argv[2] is
// the cluster's 'host:port' list as JSON). It stands for one application process reading the
// flash sale's hot key as fast as it can, through one of three clients:
//
// - plain: corral's client, no near-cache (every read goes to the key's shard);
// - near: corral's client with its near-cache (default `keys: 'hot'`);
// - node-redis: node-redis's cluster client with its client-side cache (RESP3 CLIENT TRACKING);
// - near-paced: the near-cache, one read per millisecond (a process that is not saturated), to
//   measure the invalidation delay itself rather than how long a CPU-bound process (4 of them
//   on 2 cores) takes to get back to its socket;
// - raw-paced: the thinnest client there is, paced the same way, for reference: two raw sockets
//   to the key's node (one subscribed to __redis__:invalidate, one with CLIENT TRACKING
//   REDIRECT to it) and a string kept while no invalidation came. What it measures is what the
//   machine's scheduling alone allows, with no client library on the path.
//
// For `ms` it keeps `concurrency` reads outstanding (a closed loop per slot), counts them and
// checks each value is a version string. With the near-cache it also records when each
// invalidation of the key removed it from this process (hi-res wall time, comparable across
// processes on one machine), so the parent can measure the delay from a SET's acknowledgement
// to the key's removal in every process.

import net from 'node:net';
import { createCluster } from 'redis';
import { createClient } from '../../src/client/index.js';
import { machineNowMs } from '../../test/support/machine-clock.js';

export type HotkeyMode = 'plain' | 'near' | 'node-redis' | 'near-paced' | 'raw-paced';

export type ToHotkeyWorker = { type: 'run'; id: number; mode: HotkeyMode; key: string; ms: number; concurrency: number; startAt: number } | { type: 'exit' };

export interface HotkeyRunResult {
  reads: number;
  errors: number;
  firstError: string | null;
  /** Hi-res wall times (ms) at which the key was removed from the near-cache by an invalidation. */
  removals: number[];
  nearHits: number;
}

export type FromHotkeyWorker = { type: 'ready' } | { type: 'done'; id: number; result: HotkeyRunResult } | { type: 'fatal'; error: string };

/** Wall-clock time with sub-millisecond resolution, comparable between processes on one machine. */
/** The machine's monotonic clock (ms), comparable between processes (test/support/machine-clock.ts). */
export const wallNow = machineNowMs;

const nodes = JSON.parse(process.argv[2] ?? '[]') as string[];
const send = (m: FromHotkeyWorker): void => void process.send?.(m);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Reader {
  get(key: string): Promise<string | null>;
  close(): Promise<void>;
  nearHits(): number;
}

async function openReader(mode: HotkeyMode, key: string, removals: number[]): Promise<Reader> {
  if (mode === 'raw-paced') return openRawReader(key, removals);
  if (mode === 'node-redis') {
    const cluster = createCluster({
      rootNodes: nodes.map((n) => ({ url: `redis://${n}` })),
      RESP: 3,
      clientSideCache: { ttl: 0, maxEntries: 0 },
    });
    cluster.on('error', () => undefined);
    await cluster.connect();
    return {
      get: (k) => cluster.get(k) as Promise<string | null>,
      close: async () => void (await cluster.close()),
      nearHits: () => 0,
    };
  }
  const near = mode === 'near' || mode === 'near-paced';
  const client = createClient({ nodes, ...(near ? { nearCache: { maxBytes: 16 * 1024 * 1024 } } : {}) });
  if (near) {
    client.nearCache!.onInvalidate = (k: string) => {
      if (k === key) removals.push(wallNow());
    };
  }
  return {
    get: (k) => client.get(k),
    close: async () => client.close(),
    nearHits: () => client.stats.nearHits,
  };
}

function connect(addr: string): Promise<net.Socket> {
  const i = addr.lastIndexOf(':');
  const socket = net.connect(Number(addr.slice(i + 1)), addr.slice(0, i));
  socket.setNoDelay(true);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

const frame = (...words: string[]): string => `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`;

/** The first chunk a socket receives next, as text. */
const nextChunk = (s: net.Socket): Promise<string> => new Promise((resolve) => s.once('data', (d: Buffer) => resolve(d.toString('latin1'))));

/**
 * raw-paced's reader: the key's node found by asking each node (MOVED elsewhere), an
 * invalidation connection (CLIENT ID, SUBSCRIBE __redis__:invalidate) and a data connection
 * tracking with REDIRECT to it. A GET answer is kept until a message arrives (its time is the
 * removal); a read while nothing is kept sends one GET and waits for it.
 */
async function openRawReader(key: string, removals: number[]): Promise<Reader> {
  let data: net.Socket | null = null;
  for (const addr of nodes) {
    const s = await connect(addr);
    s.write(frame('GET', key));
    const reply = await nextChunk(s);
    if (!reply.startsWith('-MOVED') && !reply.startsWith('-ASK')) {
      data = s;
      break;
    }
    s.destroy();
  }
  if (data === null) throw new Error(`no node serves ${key}`);
  const addr = `${data.remoteAddress}:${data.remotePort}`;
  const inv = await connect(addr);
  inv.write(frame('CLIENT', 'ID'));
  const id = /^:(\d+)/.exec(await nextChunk(inv))?.[1];
  if (id === undefined) throw new Error('CLIENT ID failed');
  inv.write(frame('SUBSCRIBE', '__redis__:invalidate'));
  await nextChunk(inv);
  data.write(frame('CLIENT', 'TRACKING', 'on', 'REDIRECT', id));
  const ok = await nextChunk(data);
  if (!ok.startsWith('+OK')) throw new Error(`CLIENT TRACKING: ${ok.trim()}`);
  let kept: string | null = null;
  let waiting: ((v: string | null) => void) | null = null;
  inv.on('data', (d: Buffer) => {
    if (d.includes('\r\nmessage\r\n')) {
      removals.push(wallNow());
      kept = null;
    }
  });
  data.on('data', (d: Buffer) => {
    const text = d.toString('latin1');
    const nl = text.indexOf('\r\n');
    const value = text.startsWith('$-1') ? null : text.slice(nl + 2, nl + 2 + Number(text.slice(1, nl)));
    const w = waiting;
    waiting = null;
    w?.(value);
  });
  return {
    get: (k) => {
      if (kept !== null) return Promise.resolve(kept);
      return new Promise((resolve) => {
        waiting = (v) => {
          kept = v;
          resolve(v);
        };
        data!.write(frame('GET', k));
      });
    },
    close: async () => {
      inv.destroy();
      data!.destroy();
    },
    nearHits: () => 0,
  };
}

async function run(m: Extract<ToHotkeyWorker, { type: 'run' }>): Promise<HotkeyRunResult> {
  const removals: number[] = [];
  const reader = await openReader(m.mode, m.key, removals);
  const result: HotkeyRunResult = { reads: 0, errors: 0, firstError: null, removals, nearHits: 0 };
  // Warm: the first reads fill the caches (and let 'hot' notice the key) before the clock starts.
  for (let i = 0; i < 200; i++) await reader.get(m.key);
  const hitsBefore = reader.nearHits();
  removals.length = 0;
  const wait = m.startAt - Date.now();
  if (wait > 0) await sleep(wait);
  const end = Date.now() + m.ms;
  // Near-cache hits resolve without I/O: each loop yields to the event loop every 64 reads, so
  // invalidations (and timers) are handled while it runs.
  const paced = m.mode === 'near-paced' || m.mode === 'raw-paced';
  // The clock is read once per 64 reads (with the yield), so the harness costs little beside a
  // near-cache hit.
  const loop = async (): Promise<void> => {
    let n = 0;
    let now = Date.now();
    while (now < end) {
      if (paced) {
        await sleep(1);
        now = Date.now();
      } else if ((++n & 63) === 0) {
        await new Promise<void>((r) => setImmediate(r));
        now = Date.now();
      }
      try {
        const v = await reader.get(m.key);
        if (v === null || !v.startsWith('v')) throw new Error(`unexpected value ${String(v)}`);
        result.reads++;
      } catch (err) {
        result.errors++;
        result.firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: paced ? 1 : m.concurrency }, loop));
  result.nearHits = reader.nearHits() - hitsBefore;
  await reader.close();
  return result;
}

process.on('message', (m: ToHotkeyWorker) => {
  if (m.type === 'exit') process.exit(0);
  run(m).then(
    (result) => send({ type: 'done', id: m.id, result }),
    (err: unknown) => send({ type: 'fatal', error: (err as Error).stack ?? String(err) }),
  );
});
send({ type: 'ready' });
