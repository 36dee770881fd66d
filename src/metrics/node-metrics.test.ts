// Unit tests for a node's Prometheus series: values are copied from the node's plain counters at
// scrape time, HELP/TYPE lines are present, hot keys stay bounded, the lease, slot-range,
// failover and migration counters count their events, and the HTTP endpoint serves GET /metrics
// only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorralNode } from '../server/node.js';
import { ManualClock } from '../util/clock.js';
import { createNodeRegistry, HOTKEYS_IN_METRICS } from './node-metrics.js';
import { serveNodeMetrics } from './endpoint.js';
import { SLOT_RANGES, SLOTS_PER_RANGE } from '../store/hotkeys.js';
import { Store } from '../store/store.js';
import { keySlot, keySlotOf } from '../cluster/slot.js';
import { nodeIdFor, type TopologyDoc } from '../cluster/topology.js';
import type { SlotImport } from '../cluster/migration/slot-import.js';
import { nodeHarness } from '../../test/support/node-harness.js';

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

test('series read the node counters at scrape time', async () => {
  const node = new CorralNode({ clock: new ManualClock() });
  const registry = createNodeRegistry(node, { defaultMetrics: false });
  let text = await registry.metrics();
  assert.equal(sample(text, 'corral_commands_processed_total'), 0);
  assert.equal(sample(text, 'corral_keyspace_hits_total'), 0);
  assert.match(text, /^# HELP corral_keyspace_hits_total .+$/m);
  assert.match(text, /^# TYPE corral_keyspace_hits_total counter$/m);
  assert.match(text, /^# TYPE corral_memory_used_bytes gauge$/m);

  node.store.dbs[0].setString('a', '1', 0);
  node.store.dbs[0].setString('b', '2', 0);
  node.store.dbs[3].setString('c', '3', 0);
  node.stats.commandsProcessed = 42;
  node.stats.netInputBytes = 1000;
  node.store.stats.hits = 7;
  node.store.stats.misses = 3;
  node.store.stats.evictedKeys = 2;
  const get = [...node.table.all()].find((c) => c.fullName === 'get')!;
  get.calls = 5;
  get.usec = 2_500_000;
  get.failedCalls = 1;

  text = await registry.metrics();
  assert.equal(sample(text, 'corral_commands_processed_total'), 42);
  assert.equal(sample(text, 'corral_net_input_bytes_total'), 1000);
  assert.equal(sample(text, 'corral_keyspace_hits_total'), 7);
  assert.equal(sample(text, 'corral_keyspace_misses_total'), 3);
  assert.equal(sample(text, 'corral_evicted_keys_total'), 2);
  assert.equal(sample(text, 'corral_command_calls_total{cmd="get"}'), 5);
  assert.equal(sample(text, 'corral_command_duration_seconds_total{cmd="get"}'), 2.5);
  assert.equal(sample(text, 'corral_command_failed_calls_total{cmd="get"}'), 1);
  assert.equal(sample(text, 'corral_db_keys{db="0"}'), 2);
  assert.equal(sample(text, 'corral_db_keys{db="3"}'), 1);
  assert.equal(sample(text, 'corral_node_keys'), 3);
  assert.equal(sample(text, 'corral_replication_role{role="primary"}'), 1);
  assert.equal(sample(text, 'corral_replication_role{role="replica"}'), 0);
  assert.equal(sample(text, 'corral_cluster_epoch'), 0);
  assert.ok(sample(text, 'corral_memory_used_bytes')! > 0);
  assert.ok(sample(text, 'corral_memory_rss_bytes')! > 0);
  // A command that never ran has no series.
  assert.doesNotMatch(text, /cmd="hset"/);
});

test('hot keys: at most HOTKEYS_IN_METRICS series, ranked', async () => {
  const node = new CorralNode({ clock: new ManualClock() });
  const registry = createNodeRegistry(node, { defaultMetrics: false });
  for (let k = 0; k < 20; k++) for (let i = 0; i <= k * 10; i++) node.store.hotKeys.record(`key:${k}`);
  const text = await registry.metrics();
  const lines = text.split('\n').filter((l) => l.startsWith('corral_hotkey_ops_per_second{'));
  assert.ok(lines.length > 0 && lines.length <= HOTKEYS_IN_METRICS, `${lines.length} hot key series`);
  assert.match(lines[0], /rank="0",key="key:\d+"/);
});

test('default metrics add event-loop delay and GC series under corral_', async () => {
  const node = new CorralNode({ clock: new ManualClock() });
  const registry = createNodeRegistry(node);
  const text = await registry.metrics();
  assert.match(text, /^# TYPE corral_nodejs_eventloop_lag_p99_seconds gauge$/m);
  assert.match(text, /^# TYPE corral_nodejs_gc_duration_seconds histogram$/m);
  registry.clear();
});

test('the endpoint serves GET /metrics and 404 for anything else', async () => {
  const node = new CorralNode({ clock: new ManualClock() });
  const server = (await serveNodeMetrics(node, 0))!;
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await res.text(), /^corral_commands_processed_total 0$/m);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/`)).status, 404);
  } finally {
    await server.close();
    server.registry.clear();
  }
  assert.equal(await serveNodeMetrics(node), null, 'metrics-port 0: no endpoint');
});

test('lease series count grants, waits and stale values served (CACHE.GET, CACHE.LEASE)', async () => {
  const { node, clock, parsed } = nodeHarness();
  const registry = createNodeRegistry(node, { defaultMetrics: false });
  let text = await registry.metrics();
  assert.equal(sample(text, 'corral_leases_granted_total'), 0);
  assert.equal(sample(text, 'corral_lease_waits_total'), 0);
  assert.equal(sample(text, 'corral_lease_stale_served_total'), 0);
  assert.match(text, /^# HELP corral_lease_waits_total \S/m);
  assert.match(text, /^# TYPE corral_leases_granted_total counter$/m);

  const won = parsed('CACHE.GET', 'k', '5000') as [{ simple: string }, null, string, number];
  assert.deepEqual(won[0], { simple: 'MISS_WON' });
  assert.deepEqual((parsed('CACHE.GET', 'k', '5000') as unknown[])[0], { simple: 'MISS_WAIT' });
  assert.deepEqual((parsed('CACHE.GET', 'k', '5000') as unknown[])[0], { simple: 'MISS_WAIT' });
  assert.equal(parsed('CACHE.SET', 'k', 'v', won[2], '1000', 'GRACE', '60000'), 1);
  clock.advance(2000);
  node.clock.refresh();
  assert.deepEqual((parsed('CACHE.GET', 'k', '5000') as unknown[])[0], { simple: 'STALE_WON' });
  assert.deepEqual((parsed('CACHE.GET', 'k', '5000') as unknown[])[0], { simple: 'STALE' });
  assert.equal(typeof parsed('CACHE.LEASE', 'other', '5000'), 'string');
  assert.equal(parsed('CACHE.LEASE', 'other', '5000'), null, 'a held lease is not granted again');

  text = await registry.metrics();
  assert.equal(sample(text, 'corral_leases_granted_total'), 3);
  assert.equal(sample(text, 'corral_lease_waits_total'), 2);
  assert.equal(sample(text, 'corral_lease_stale_served_total'), 2);
  assert.equal(sample(text, 'corral_leases_active'), 2);
});

test('slot-range accesses: sampled accesses by key slot, scaled back by the sample period (cluster mode only)', async () => {
  const standalone = createNodeRegistry(new CorralNode({ clock: new ManualClock() }), { defaultMetrics: false });
  assert.doesNotMatch(await standalone.metrics(), /^corral_slot_range_accesses_total\{/m, 'no series outside cluster mode');

  const node = new CorralNode({ config: { 'cluster-enabled': 'yes' }, clock: new ManualClock() });
  const registry = createNodeRegistry(node, { defaultMetrics: false });
  const hot = node.store.hotKeys;
  // record() is what the keyspace calls for a sampled access: 10 samples of 'foo', 3 of a hash-tagged key.
  for (let i = 0; i < 10; i++) hot.record('foo');
  for (let i = 0; i < 3; i++) hot.record('{user1000}.following');
  const text = await registry.metrics();
  const lines = text.split('\n').filter((l) => l.startsWith('corral_slot_range_accesses_total{'));
  assert.equal(lines.length, SLOT_RANGES, 'every range has a series');
  assert.match(lines[0], /^corral_slot_range_accesses_total\{range="0-1023"\} 0$/);
  assert.match(lines[SLOT_RANGES - 1], /\{range="15360-16383"\}/);
  const rangeOf = (key: string): string => {
    const i = Math.floor(keySlot(key) / SLOTS_PER_RANGE);
    return `{range="${i * SLOTS_PER_RANGE}-${(i + 1) * SLOTS_PER_RANGE - 1}"}`;
  };
  assert.equal(keySlot('foo'), 12182);
  assert.equal(sample(text, `corral_slot_range_accesses_total${rangeOf('foo')}`), 10 * hot.samplePeriod);
  assert.equal(sample(text, `corral_slot_range_accesses_total${rangeOf('{user1000}.following')}`), 3 * hot.samplePeriod);
  const total = lines.reduce((n, l) => n + Number(l.split(' ')[1]), 0);
  assert.equal(total, 13 * hot.samplePeriod);
  assert.match(text, new RegExp(`^# HELP corral_slot_range_accesses_total .*1 access in ${hot.samplePeriod}`, 'm'));
});

test('slot-range accesses follow real traffic through the keyspace (every access sampled at period 1)', () => {
  const store = new Store({ databases: 1, clock: new ManualClock(), slotOf: keySlotOf, hotKeys: { samplePeriod: 1 } });
  const db = store.dbs[0];
  db.setString('foo', 'v', 0);
  for (let i = 0; i < 5; i++) db.lookupRead('foo');
  db.lookupRead('missing');
  const counts = store.hotKeys.slotRangeSamples!;
  const fooRange = Math.floor(keySlot('foo') / SLOTS_PER_RANGE);
  const missingRange = Math.floor(keySlot('missing') / SLOTS_PER_RANGE);
  assert.ok(counts[fooRange] >= 6, `set + 5 reads of foo: ${counts[fooRange]}`);
  assert.ok(counts[missingRange] >= 1);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    counts[fooRange] + (missingRange === fooRange ? 0 : counts[missingRange]),
  );
});

test('failover series: promotions of this node, and primary changes between applied topologies', async () => {
  const node = new CorralNode({ config: { 'cluster-enabled': 'yes' }, clock: new ManualClock() });
  const registry = createNodeRegistry(node, { defaultMetrics: false });
  let text = await registry.metrics();
  assert.equal(sample(text, 'corral_replication_promotions_total'), 0);
  assert.equal(sample(text, 'corral_cluster_failovers_seen_total'), 0);

  // Replica to primary: counted once (becomePrimary on a primary does nothing).
  node.replication.role = 'slave';
  node.replication.becomePrimary();
  node.replication.becomePrimary();
  node.replication.close();

  const [a, b, c, d] = [7000, 7001, 7002, 7003].map((p) => nodeIdFor('127.0.0.1', p));
  const doc = (epoch: number, p1: string, r1: string, p2: string, r2: string): TopologyDoc => ({
    epoch,
    nodes: [a, b, c, d].map((id, i) => ({ id, host: '127.0.0.1', port: 7000 + i })),
    shards: [
      { id: 's1', weight: 1, primary: p1, replicas: [r1] },
      { id: 's2', weight: 1, primary: p2, replicas: [r2] },
    ],
    slots: [
      [0, 8191, 's1'],
      [8192, 16383, 's2'],
    ],
    migrating: [],
  });
  const cluster = node.cluster!;
  assert.ok(cluster.apply(doc(1, a, b, c, d)), 'the first topology is no failover');
  assert.ok(cluster.apply(doc(2, b, a, c, d)), 's1 fails over');
  assert.ok(cluster.apply(doc(3, b, a, c, d)), 'a new epoch, same primaries');
  assert.ok(cluster.apply(doc(4, a, b, d, c)), 'both fail over');
  assert.ok(!cluster.apply(doc(4, b, a, c, d)), 'not newer: not applied, not counted');

  text = await registry.metrics();
  assert.equal(sample(text, 'corral_replication_promotions_total'), 1);
  assert.equal(sample(text, 'corral_cluster_failovers_seen_total'), 3);
  assert.match(text, /^# TYPE corral_cluster_failovers_seen_total counter$/m);
});

test('migration totals: ended moves plus running ones, by direction (cluster mode only)', async () => {
  const standalone = await createNodeRegistry(new CorralNode({ clock: new ManualClock() }), { defaultMetrics: false }).metrics();
  assert.doesNotMatch(standalone, /^corral_migration_keys_moved_total\{/m);

  const node = new CorralNode({ config: { 'cluster-enabled': 'yes' }, clock: new ManualClock() });
  const registry = createNodeRegistry(node, { defaultMetrics: false });
  let text = await registry.metrics();
  assert.equal(sample(text, 'corral_migration_keys_moved_total{direction="export"}'), 0);
  assert.equal(sample(text, 'corral_migration_bytes_moved_total{direction="import"}'), 0);
  const m = node.migration!;
  m.ended.exportedKeys = 100;
  m.ended.exportedBytes = 5000;
  m.ended.importedKeys = 7;
  m.ended.importedBytes = 300;
  // A running import (not connected: nothing started) adds what it has received so far.
  const running = { keysCopied: 3, bytesReceived: 40 } as unknown as SlotImport;
  m.imports.set(42, running);
  text = await registry.metrics();
  m.imports.delete(42);
  assert.equal(sample(text, 'corral_migration_keys_moved_total{direction="export"}'), 100);
  assert.equal(sample(text, 'corral_migration_bytes_moved_total{direction="export"}'), 5000);
  assert.equal(sample(text, 'corral_migration_keys_moved_total{direction="import"}'), 10);
  assert.equal(sample(text, 'corral_migration_bytes_moved_total{direction="import"}'), 340);
  assert.match(text, /^# HELP corral_migration_bytes_moved_total \S/m);
});
