// A flash-sale worker process (forked by flash-sale.ts; argv[2] is its WorkloadSettings as
// JSON). It stands for one application server: its own cluster client, and for the SDK phase
// its own cache, running `concurrency` request loops for the phase's duration. Its database
// reads are sent to the main process over IPC (the main process owns the database and counts
// every read). At the end of a phase it sends what it measured per time slot: requests, its own
// loads, errors and a latency histogram.

import { createClient, type CorralClient } from '../client/index.js';
import { createCache } from '../cache/index.js';
import type { Product } from './db.js';
import { Histogram } from './histogram.js';
import {
  HOT_ID,
  ProductPicker,
  naiveRead,
  sdkKey,
  ttlFor,
  type FromWorker,
  type Mode,
  type ToWorker,
  type WorkerBin,
  type WorkloadSettings,
} from './workload.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as WorkloadSettings;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

// ---- database reads over IPC --------------------------------------------------------------------

let seq = 0;
const pending = new Map<number, { resolve: (p: Product | null) => void; reject: (e: Error) => void }>();

function dbRead(id: number): Promise<Product | null> {
  return new Promise((resolve, reject) => {
    const n = ++seq;
    pending.set(n, { resolve, reject });
    send({ type: 'query', seq: n, id });
  });
}

// ---- one phase ----------------------------------------------------------------------------------

class Bins {
  private readonly bins: Array<{ requests: number; loads: number; errors: number; hist: Histogram }> = [];

  constructor(
    private readonly startAt: number,
    private readonly binMs: number,
  ) {}

  at(t: number): { requests: number; loads: number; errors: number; hist: Histogram } {
    const i = Math.max(0, Math.floor((t - this.startAt) / this.binMs));
    while (this.bins.length <= i) this.bins.push({ requests: 0, loads: 0, errors: 0, hist: new Histogram() });
    return this.bins[i]!;
  }

  toJSON(): WorkerBin[] {
    return this.bins.map((b) => ({ requests: b.requests, loads: b.loads, errors: b.errors, latencyUs: b.hist.toJSON() }));
  }
}

async function runPhase(client: CorralClient, mode: Mode, startAt: number, durationMs: number): Promise<void> {
  const picker = new ProductPicker(settings.products, settings.hotProbability, settings.zipf);
  const bins = new Bins(startAt, settings.binMs);
  const endAt = startAt + durationMs;
  let firstError: string | null = null;
  // The near mode's client keeps hot keys in this process (nearCache, default keys: 'hot').
  const near = mode === 'near' ? createClient({ nodes: settings.nodes, nearCache: {} }) : null;
  const cache =
    mode === 'naive' ? null : createCache({ client: near ?? client, ttl: settings.hotTtlMs, grace: settings.graceMs });

  // One request: which path counted as a load is known only inside it, so the loader flags it.
  const request = async (id: number): Promise<boolean> => {
    if (cache === null) return (await naiveRead(client, id, ttlFor(id, settings), dbRead)).loaded;
    let loaded = false;
    await cache.getOrLoad(
      sdkKey(id),
      () => {
        loaded = true;
        return dbRead(id);
      },
      { ttl: ttlFor(id, settings), grace: settings.graceMs },
    );
    return loaded;
  };

  const wait = startAt - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const loop = async (): Promise<void> => {
    while (Date.now() < endAt) {
      const id = picker.next();
      const t0 = Date.now();
      const p0 = performance.now();
      const bin = bins.at(t0);
      try {
        if (await request(id)) bin.loads++;
      } catch (err) {
        bin.errors++;
        firstError ??= `${id === HOT_ID ? 'hot' : 'cold'} product ${id}: ${(err as Error).message}`;
      }
      bin.requests++;
      bin.hist.record((performance.now() - p0) * 1000);
      if (settings.thinkMs > 0) await new Promise((r) => setTimeout(r, settings.thinkMs));
    }
  };
  await Promise.all(Array.from({ length: settings.concurrency }, loop));
  if (cache !== null) await cache.close();
  const nearHits = near?.stats.nearHits ?? 0;
  const nearMisses = near?.stats.nearMisses ?? 0;
  if (near !== null) await near.quit();
  send({ type: 'result', mode, bins: bins.toJSON(), firstError, nearHits, nearMisses });
}

// ---- main ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const client = createClient({ nodes: settings.nodes });
  await client.ready();
  process.on('message', (msg: ToWorker) => {
    if (msg.type === 'row') {
      const p = pending.get(msg.seq);
      pending.delete(msg.seq);
      if (msg.error !== undefined) p?.reject(new Error(msg.error));
      else p?.resolve(msg.row);
    } else if (msg.type === 'phase') {
      runPhase(client, msg.mode, msg.startAt, msg.durationMs).catch((err: Error) => send({ type: 'fatal', error: err.stack ?? err.message }));
    } else if (msg.type === 'exit') {
      void client.quit().finally(() => process.exit(0));
    }
  });
  // The parent is gone (killed, or Ctrl-C reached it first): nothing left to report to.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main().catch((err: Error) => {
  send({ type: 'fatal', error: err.stack ?? err.message });
  process.exit(1);
});
