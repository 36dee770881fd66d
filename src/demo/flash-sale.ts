// `corral demo flash-sale`: the orchestrator. It starts a local corral cluster (unless --nodes),
// opens the database (PGlite here, or PostgreSQL with DATABASE_URL), forks the worker processes,
// and runs the same workload three times, naive cache-aside, the SDK's getOrLoad, and getOrLoad
// on a client with a near-cache (hot keys served in each process), each time from a warmed cache
// whose hot key expires every TTL. It serves every worker's database reads (IPC) and
// bins them per time slot, prints the charts and the comparison, shows a row update with and
// without invalidation, and stops every process it started, also on Ctrl-C.
//
// Why the cache is warmed before each run: with a cold cache both runs would open on thousands of
// cold misses at once, which would bury the one effect compared here, what a hot key's expiry
// costs. The cache is filled as it would be in steady state (warm() explains how), so the cold
// products' misses run at a steady rate from the start: the baseline load both runs share.

import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterDownError, createClient, type CorralClient } from '../client/index.js';
import { createCache, type Cache } from '../cache/index.js';
import { summaryTable, terminalCharts } from './chart.js';
import { CORRAL_UP_DEFAULT, corralClusterAt, killOnExit, openCluster, type CacheCluster } from './cluster.js';
import { DemoDriverMissingError, ProductDb, type Product } from './db.js';
import { FlagError, parseFlashSaleFlags, type FlashSaleFlags, type FlashSaleSettings } from './flags.js';
import { htmlReport } from './html-report.js';
import { rowUpdateStep, type InvalidationResult } from './invalidation.js';
import { QueryBins, buildPhase, type PhaseResult } from './phase.js';
import { HOT_ID, ProductPicker, naiveKey, sdkKey, type FromWorker, type Mode, type ToWorker, type WorkerBin, type WorkloadSettings } from './workload.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');

export interface FlashSaleReport {
  settings: FlashSaleSettings & { database: string; cacheNodes: string[] };
  expiries: number;
  runs: PhaseResult[];
  invalidation: InvalidationResult;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  result: ((r: { bins: WorkerBin[]; firstError: string | null; nearHits: number; nearMisses: number }) => void) | null;
}

/** The CLI entry: runs the demo, prints it, resolves with the exit code. */
export async function runFlashSaleDemo(flags: FlashSaleFlags, log: (line: string) => void = (l) => console.log(l)): Promise<number> {
  let s: FlashSaleSettings;
  try {
    s = parseFlashSaleFlags(flags);
  } catch (err) {
    if (err instanceof FlagError) {
      console.error(`corral: ${err.message}`);
      return 1;
    }
    throw err;
  }
  try {
    await flashSale(s, log);
    return 0;
  } catch (err) {
    if (err instanceof DemoDriverMissingError) console.error(`corral demo: ${err.message}`);
    else console.error(`corral demo: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

/** Runs both phases and the row update; everything it started is stopped before it returns. */
export async function flashSale(s: FlashSaleSettings, log: (line: string) => void): Promise<FlashSaleReport> {
  const workers: Worker[] = [];
  let cluster: CacheCluster | null = null;
  let db: ProductDb | null = null;
  let client: CorralClient | null = null;
  let cache: Cache | null = null;
  const untrack = killOnExit(() => workers.map((w) => w.child));
  let stopping: Promise<void> | null = null;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      void cache?.close();
      client?.close();
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await Promise.allSettled([cluster?.stop(), db?.close()]);
      untrack();
    })());
  // Ctrl-C: stop the workers, the nodes and the database, then exit 130. A second Ctrl-C exits
  // at once; the exit hook (killOnExit) still SIGKILLs every child left.
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    const code = sig === 'SIGINT' ? 130 : 143;
    if (signalled) process.exit(code);
    signalled = true;
    log(`\n${sig}: stopping the workers and the cluster`);
    void stopAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    log(`corral demo flash-sale: ${s.workers} workers x ${s.concurrency} loops (${s.think} ms between requests), ${s.seconds} s per run, ${s.products} products`);
    log(`  hot product: id ${HOT_ID}, ${Math.round(s.hot * 100)}% of requests, TTL ${s.ttl} ms; cold: Zipf(${s.zipf}), TTL ${s.coldTtl} ms`);
    log(`  database: ${s.databaseUrl !== undefined ? 'PostgreSQL (DATABASE_URL)' : 'PGlite (embedded)'}, ${s.dbConnections} connections, ${s.dbLatency} ms per product query`);
    const t = Date.now();
    // The database first: PGlite's start-up (WASM compile, initdb) blocks this event loop for
    // seconds at a time, and the local cluster's coordinator lives in this process too.
    db = await ProductDb.open({ products: s.products, latencyMs: s.dbLatency, connections: s.dbConnections, databaseUrl: s.databaseUrl });
    // `npm start` (corral up) running: the demo runs on that cluster, so that `corral cluster
    // hotkeys` and the dashboard show it. It flushes that cluster between runs, and says so.
    const upRunning = s.nodes === undefined && !s.local && (await corralClusterAt(CORRAL_UP_DEFAULT));
    cluster = await openCluster({ nodes: upRunning ? CORRAL_UP_DEFAULT : s.nodes, shards: s.shards });
    if (upRunning) log(`  cache: the cluster \`corral up\` runs at ${CORRAL_UP_DEFAULT} (its data is flushed before each run; --local for a cluster of the demo's own)`);
    else log(`  cache: ${cluster.local !== null ? `local ${s.shards}-shard corral cluster` : 'given nodes'} ${cluster.nodes.join(', ')}; ready in ${Date.now() - t} ms`);
    log(`  watch its hot keys: npx corral cluster hotkeys --cluster ${cluster.nodes[0]}`);

    const workload: WorkloadSettings = {
      nodes: cluster.nodes,
      products: s.products,
      hotProbability: s.hot,
      zipf: s.zipf,
      hotTtlMs: s.ttl,
      coldTtlMs: s.coldTtl,
      graceMs: s.grace,
      concurrency: s.concurrency,
      thinkMs: s.think,
      binMs: s.slot,
    };
    for (let i = 0; i < s.workers; i++) workers.push(startWorker(workload, db));
    client = createClient({ nodes: cluster.nodes });
    cache = createCache({ client, ttl: s.ttl });
    await Promise.all([client.ready(), ...workers.map((w) => w.ready)]);

    const runs: PhaseResult[] = [];
    for (const mode of ['naive', 'sdk', 'near'] as const) runs.push(await runPhase(mode, s, workload, { client, cache, db, workers }, log));
    const expiries = Math.max(1, Math.floor((s.seconds * 1000) / s.ttl));

    log(terminalCharts(runs, process.stdout.columns ?? 100));
    log('');
    log(summaryTable(runs, expiries));
    const [naive, sdk, near] = runs as [PhaseResult, PhaseResult, PhaseResult];
    const per = (p: PhaseResult): string => (p.summary.hotQueries / expiries).toFixed(1);
    log('');
    log(`At each expiry of the hot key: naive ${per(naive)} database queries for it, the SDK ${per(sdk)}, the SDK with the near-cache ${per(near)}.`);

    log('');
    log('Row update:');
    const invalidation = await rowUpdateStep(client, cache, db, s.ttl);
    for (const l of invalidation.lines) log(l);

    const report: FlashSaleReport = {
      settings: { ...s, databaseUrl: s.databaseUrl === undefined ? undefined : '(set)', database: db.kind, cacheNodes: cluster.nodes },
      expiries,
      runs,
      invalidation,
    };
    if (s.html !== undefined) {
      writeFileSync(
        s.html,
        htmlReport({
          title: 'corral flash-sale demo: naive cache-aside vs the SDK',
          settings: describe(s, db.kind),
          runs,
          expiries,
          invalidation: invalidation.lines,
        }),
      );
      log(`HTML report: ${s.html}`);
    }
    if (s.json !== undefined) {
      writeFileSync(s.json, JSON.stringify(report, null, 2));
      log(`JSON figures: ${s.json}`);
    }
    for (const w of workers) if (w.child.connected) w.child.send({ type: 'exit' } satisfies ToWorker);
    await Promise.all(workers.map((w) => exited(w.child, 3000)));
    return report;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

function describe(s: FlashSaleSettings, kind: string): string[] {
  return [
    `${s.workers} worker processes x ${s.concurrency} concurrent request loops, ${s.think} ms pause between requests, ${s.seconds} s per run`,
    `hot product: ${Math.round(s.hot * 100)}% of requests, TTL ${s.ttl} ms; ${s.products - 1} cold products, Zipf(${s.zipf}), TTL ${s.coldTtl} ms`,
    `database: ${kind}, ${s.dbConnections} connections, ${s.dbLatency} ms per product query; SDK grace ${s.grace} ms`,
    `figures per ${s.slot} ms slot; hit ratio = requests answered without a database read of their own`,
  ];
}

function exited(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Forks one worker and serves its database reads. */
function startWorker(workload: WorkloadSettings, db: ProductDb): Worker {
  const child = fork(WORKER, [JSON.stringify(workload)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let markReady!: () => void;
  let fail!: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  const w: Worker = { child, ready, result: null };
  // A worker killed (Ctrl-C) while its read was in flight: the send fails with EPIPE, by an
  // 'error' event or a callback error; either way nobody is left to answer.
  child.on('error', () => undefined);
  const reply = (msg: ToWorker): void => {
    if (child.connected) child.send(msg, (err) => void err);
  };
  child.on('message', (msg: FromWorker) => {
    switch (msg.type) {
      case 'ready':
        markReady();
        break;
      case 'query':
        db.getProduct(msg.id).then(
          (row) => reply({ type: 'row', seq: msg.seq, row }),
          (err: Error) => reply({ type: 'row', seq: msg.seq, row: null, error: err.message }),
        );
        break;
      case 'result':
        w.result?.({ bins: msg.bins, firstError: msg.firstError, nearHits: msg.nearHits, nearMisses: msg.nearMisses });
        break;
      case 'fatal':
        fail(new Error(`worker ${child.pid}: ${msg.error}`));
        w.result?.({ bins: [], firstError: msg.error, nearHits: 0, nearMisses: 0 });
        break;
    }
  });
  child.once('exit', (code, signal) => fail(new Error(`worker ${child.pid} exited (${signal ?? code}) before it was ready`)));
  return w;
}

interface Parts {
  client: CorralClient;
  cache: Cache;
  db: ProductDb;
  workers: Worker[];
}

/**
 * FLUSHALL on every primary, patiently: on a machine starved of CPU a primary may briefly hold no
 * write lease (it answers CLUSTERDOWN until its next renewal lands: docs/replication.md).
 */
async function flushAll(client: CorralClient): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.sendToAll('FLUSHALL');
      return;
    } catch (err) {
      if (!(err instanceof ClusterDownError) || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Warms the cache for `mode`, runs the workers for the phase, and builds its figures. */
async function runPhase(mode: Mode, s: FlashSaleSettings, workload: WorkloadSettings, p: Parts, log: (line: string) => void): Promise<PhaseResult> {
  const label = mode === 'naive' ? 'naive' : mode === 'sdk' ? 'SDK' : 'SDK + near-cache';
  await flushAll(p.client);
  await warm(mode, s, p);
  const durationMs = s.seconds * 1000;
  const startAt = Date.now() + 300; // time for the message to reach every worker
  const queries = new QueryBins(startAt, s.slot, HOT_ID);
  p.db.resetCounters();
  p.db.onQuery = (id) => queries.record(id);
  const results = p.workers.map(
    (w) =>
      new Promise<{ bins: WorkerBin[]; firstError: string | null; nearHits: number; nearMisses: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`a worker did not finish the ${label} run`)), durationMs + 30_000);
        w.result = (r) => {
          clearTimeout(timer);
          w.result = null;
          resolve(r);
        };
        w.child.once('exit', () => reject(new Error(`worker ${w.child.pid} exited during the ${label} run`)));
      }),
  );
  for (const w of p.workers) w.child.send({ type: 'phase', mode, startAt, durationMs } satisfies ToWorker);
  log('');
  log(`${label} run (${mode === 'naive' ? 'GET; on a miss SELECT + SET with TTL' : mode === 'sdk' ? 'cache.getOrLoad' : 'cache.getOrLoad, hot keys kept in each process'}):`);
  // A live line per second: the database's side, which this process sees as it happens.
  let shown = 0;
  const ticker = setInterval(() => {
    const sec = Math.floor((Date.now() - startAt) / 1000);
    if (sec <= shown || sec > s.seconds) return;
    const perSec = 1000 / s.slot;
    const from = (sec - 1) * perSec;
    const sum = (xs: number[]): number => xs.slice(from, from + perSec).reduce((a, b) => a + b, 0);
    log(`  ${String(sec).padStart(3)} s  database ${String(sum(queries.all)).padStart(6)} queries/s, hot product ${String(sum(queries.hot)).padStart(5)}`);
    shown = sec;
  }, 100);
  try {
    const got = await Promise.all(results);
    if (mode === 'near') {
      const hits = got.reduce((a, r) => a + r.nearHits, 0);
      const reads = hits + got.reduce((a, r) => a + r.nearMisses, 0);
      log(`  near-cache: ${hits} of ${reads} cache reads served in the workers' processes (${reads > 0 ? ((hits / reads) * 100).toFixed(1) : '0'}%), never reaching the cluster`);
    }
    return buildPhase(mode, label, durationMs, s.slot, got, queries, p.db.counters.peakInFlight);
  } finally {
    clearInterval(ticker);
    p.db.onQuery = null;
  }
}

/**
 * Fills the cache as it would be after running this workload for a long time, from one uncounted
 * bulk read. The hot product is cached with its full TTL (so it first expires one TTL into the
 * run). A cold product requested λ times a second with TTL T is, in steady state, cached for T
 * and then absent until its next request (on average 1/λ): present a fraction λT / (1 + λT) of
 * the time, with its remaining TTL uniform over (0, T]. So each cold product is cached with that
 * probability and such a TTL; λ is its share of the offered load, estimated as loops / (pause +
 * 1 ms). (Warming every product instead would make the tail's misses start near zero and grow
 * through the run as the warm copies expire, in both runs.)
 */
async function warm(mode: Mode, s: FlashSaleSettings, p: Parts): Promise<void> {
  const rows = await p.db.allProducts();
  const picker = new ProductPicker(s.products, s.hot, s.zipf);
  const offeredPerSec = (s.workers * s.concurrency * 1000) / (s.think + 1);
  const chosen: Array<{ row: Product; ttl: number }> = [];
  for (const row of rows) {
    if (row.id === HOT_ID) {
      chosen.push({ row, ttl: s.ttl });
      continue;
    }
    const lt = offeredPerSec * picker.probability(row.id) * (s.coldTtl / 1000);
    if (Math.random() < lt / (1 + lt)) chosen.push({ row, ttl: 1 + Math.floor(Math.random() * s.coldTtl) });
  }
  for (let i = 0; i < chosen.length; i += 500) {
    await Promise.all(
      chosen.slice(i, i + 500).map(({ row, ttl }) =>
        mode === 'naive'
          ? p.client.set(naiveKey(row.id), JSON.stringify(row), { px: ttl })
          : p.cache.set(sdkKey(row.id), row, { ttl, grace: s.grace }),
      ),
    );
  }
}
