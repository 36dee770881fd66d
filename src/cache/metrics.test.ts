// Unit tests for the SDK's Prometheus series (createCache({ metrics })), against FakeCacheNode and
// FakeTime: counters follow cache.stats at scrape time, loader latency lands in the histogram,
// two caches share a registry under their own label, close() removes a cache's series.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createCache } from './cache.js';
import { FakeCacheNode, FakeTime } from '../../test/support/cache-fake-node.js';

function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}

test('getOrLoad hits, misses, loads, coalesced waits and loader latency reach the registry', async () => {
  const time = new FakeTime();
  const node = new FakeCacheNode(time);
  const registry = new Registry();
  const cache = createCache({ client: node, ttl: 1000, jitter: 0, clock: time, timers: time, random: () => 0.5, metrics: registry });
  const load = () => new Promise<string>((resolve) => time.setTimeout(() => resolve('v'), 30));
  const ps = Array.from({ length: 5 }, () => cache.getOrLoad('k', load));
  await time.advance(30);
  await Promise.all(ps);
  await cache.getOrLoad('k', load);

  const text = await registry.metrics();
  assert.equal(sample(text, 'corral_cache_hits_total{cache="default"}'), 1);
  assert.equal(sample(text, 'corral_cache_misses_total{cache="default"}'), 1);
  assert.equal(sample(text, 'corral_cache_loads_total{cache="default"}'), 1);
  assert.equal(sample(text, 'corral_cache_coalesced_total{cache="default"}'), 4);
  assert.equal(sample(text, 'corral_cache_load_errors_total{cache="default"}'), 0);
  assert.equal(sample(text, 'corral_cache_breaker_state{cache="default",state="closed"}'), 1);
  assert.equal(sample(text, 'corral_cache_breaker_state{cache="default",state="open"}'), 0);
  assert.equal(sample(text, 'corral_cache_bulkhead_rejected_total{cache="default"}'), 0);
  assert.equal(sample(text, 'corral_cache_load_duration_seconds_count{cache="default"}'), 1);
  assert.equal(sample(text, 'corral_cache_load_duration_seconds_sum{cache="default"}'), 0.03);
  assert.equal(sample(text, 'corral_cache_load_duration_seconds_bucket{le="0.025",cache="default"}'), 0);
  assert.equal(sample(text, 'corral_cache_load_duration_seconds_bucket{le="0.05",cache="default"}'), 1);
  assert.match(text, /^# HELP corral_cache_hits_total .+$/m);
  assert.match(text, /^# TYPE corral_cache_load_duration_seconds histogram$/m);
  await cache.close();
});

test('two caches share a registry by label; a repeated name is refused; close removes the series', async () => {
  const time = new FakeTime();
  const node = new FakeCacheNode(time);
  const registry = new Registry();
  const base = { client: node, ttl: 1000, jitter: 0, clock: time, timers: time, metrics: registry };
  const users = createCache({ ...base, metricsName: 'users' });
  const carts = createCache({ ...base, metricsName: 'carts' });
  assert.throws(() => createCache({ ...base, metricsName: 'users' }), /already has metrics/);
  await users.getOrLoad('u', async () => 1);
  let text = await registry.metrics();
  assert.equal(sample(text, 'corral_cache_misses_total{cache="users"}'), 1);
  assert.equal(sample(text, 'corral_cache_misses_total{cache="carts"}'), 0);
  await users.close();
  text = await registry.metrics();
  assert.equal(sample(text, 'corral_cache_misses_total{cache="users"}'), undefined);
  assert.equal(sample(text, 'corral_cache_misses_total{cache="carts"}'), 0);
  await carts.close();
  assert.throws(() => createCache({ ...base, metrics: {} as never }), /prom-client Registry/);
});

test('freeze: reused hits, entries and bytes kept reach the registry (0 without freeze)', async () => {
  const time = new FakeTime();
  const node = new FakeCacheNode(time);
  const registry = new Registry();
  const base = { client: node, ttl: 1000, jitter: 0, clock: time, timers: time, metrics: registry };
  const frozen = createCache({ ...base, metricsName: 'frozen', freeze: true });
  const plain = createCache({ ...base, metricsName: 'plain' });
  await frozen.getOrLoad('f', async () => ({ a: 1 }));
  await frozen.getOrLoad('f', async () => assert.fail('a hit')); // decoded, kept
  await frozen.getOrLoad('f', async () => assert.fail('a hit')); // reused
  await frozen.getOrLoad('f', async () => assert.fail('a hit')); // reused
  await plain.getOrLoad('p', async () => ({ a: 1 }));
  await plain.getOrLoad('p', async () => assert.fail('a hit'));
  const bytes = node.data.get('f')!.value.length;
  assert.deepEqual(frozen.frozen, { reused: 2, entries: 1, bytes });
  assert.equal(plain.frozen, null);
  const text = await registry.metrics();
  assert.equal(sample(text, 'corral_cache_frozen_reused_total{cache="frozen"}'), 2);
  assert.equal(sample(text, 'corral_cache_frozen_entries{cache="frozen"}'), 1);
  assert.equal(sample(text, 'corral_cache_frozen_bytes{cache="frozen"}'), bytes);
  assert.equal(sample(text, 'corral_cache_frozen_reused_total{cache="plain"}'), 0);
  assert.equal(sample(text, 'corral_cache_frozen_entries{cache="plain"}'), 0);
  await frozen.close();
  await plain.close();
});
