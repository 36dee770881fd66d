// The flash-sale demo's pure parts: the log-linear histogram (quantiles within its stated error,
// merging, the sparse form sent over IPC), the request mix (hot share, Zipf order, probabilities
// summing to 1), the flags (defaults, --quick, errors) and the text charts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram } from '../../src/demo/histogram.js';
import { HOT_ID, ProductPicker } from '../../src/demo/workload.js';
import { FlagError, parseFlashSaleFlags } from '../../src/demo/flags.js';
import { barChart, niceMax } from '../../src/demo/chart.js';
import { corralClusterAt } from '../../src/demo/cluster.js';
import { startCorralCluster } from '../support/corral-cluster.js';
import { freePort, startCorral } from '../support/servers.js';

test('histogram: exact below 128, within 0.8% above; quantiles by rank; merge and JSON round trip', () => {
  const h = new Histogram();
  for (let v = 0; v < 128; v++) h.record(v);
  assert.equal(h.quantile(0.5), 63);
  assert.equal(h.quantile(1), 127);
  for (const v of [128, 1000, 12_345, 999_999, 2 ** 30 + 12345]) {
    const one = new Histogram();
    one.record(v);
    const q = one.quantile(0.5);
    assert.ok(Math.abs(q - v) / v <= 1 / 128, `${v} -> ${q}`);
  }
  const a = new Histogram();
  const b = new Histogram();
  for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).record(i * 100);
  const m = Histogram.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  m.add(b);
  assert.equal(m.count, 1000);
  assert.ok(Math.abs(m.quantile(0.99) - 99_000) / 99_000 < 0.01, String(m.quantile(0.99)));
  assert.equal(m.max, 100_000);
  assert.ok(Number.isNaN(new Histogram().quantile(0.5)));
});

test('request mix: the hot share, Zipf order over the cold products, probabilities summing to 1', () => {
  // mulberry32: a small seeded generator, so the counts are the same every run.
  let seed = 42;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = new ProductPicker(1000, 0.5, 1, random);
  const counts = new Map<number, number>();
  for (let i = 0; i < 100_000; i++) {
    const id = p.next();
    assert.ok(id >= 1 && id <= 1000);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const hot = counts.get(HOT_ID)! / 100_000;
  assert.ok(Math.abs(hot - 0.5) < 0.01, String(hot));
  assert.ok(counts.get(2)! > counts.get(3)! && counts.get(3)! > counts.get(10)!);
  let sum = 0;
  for (let id = 1; id <= 1000; id++) sum += p.probability(id);
  assert.ok(Math.abs(sum - 1) < 1e-9);
  assert.ok(Math.abs(p.probability(2) / p.probability(4) - 3) < 1e-9, 'P(rank 1) / P(rank 3) = 3 for s = 1');
});

test('flags: defaults, --quick, explicit flags over --quick, errors name the flag', () => {
  const d = parseFlashSaleFlags({}, {});
  assert.equal(d.workers, 4);
  assert.equal(d.concurrency, 100);
  assert.equal(d.dbLatency, 30);
  assert.equal(d.databaseUrl, undefined);
  const q = parseFlashSaleFlags({ quick: true, workers: '3' }, { DATABASE_URL: 'postgres://x' });
  assert.equal(q.workers, 3);
  assert.equal(q.concurrency, 40);
  assert.equal(q.databaseUrl, 'postgres://x');
  assert.throws(() => parseFlashSaleFlags({ dbLatency: '-1' }, {}), (e: Error) => e instanceof FlagError && /--db-latency/.test(e.message));
  assert.throws(() => parseFlashSaleFlags({ hot: '2' }, {}), FlagError);
});

test('charts: block heights on a shared scale; nice scale tops', () => {
  const lines = barChart([0, 5, 10], { height: 2, min: 0, max: 10, colWidth: 1, label: 'x', format: String });
  assert.equal(lines.length, 2);
  assert.equal(lines[0], '10 ┤  █');
  assert.equal(lines[1], ' 0 ┤ ██  x');
  assert.deepEqual([niceMax(0), niceMax(7), niceMax(130), niceMax(2000)], [1, 10, 200, 2000]);
});

test("corralClusterAt: true for a corral cluster's node, false for a standalone node and a closed port", { timeout: 60_000 }, async () => {
  const cluster = await startCorralCluster(1);
  const node = await startCorral();
  try {
    assert.equal(await corralClusterAt(`127.0.0.1:${cluster.ports[0]}`, 2000), true);
    assert.equal(await corralClusterAt(`127.0.0.1:${node.port}`, 2000), false);
    assert.equal(await corralClusterAt(`127.0.0.1:${await freePort()}`, 2000), false);
  } finally {
    await cluster.close();
    await node.close();
  }
});
