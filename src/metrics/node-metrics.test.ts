// Unit tests for a node's Prometheus series: values are copied from the node's plain counters at
// scrape time, HELP/TYPE lines are present, hot keys stay bounded, and the HTTP endpoint serves
// GET /metrics only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorralNode } from '../server/node.js';
import { ManualClock } from '../util/clock.js';
import { createNodeRegistry, HOTKEYS_IN_METRICS } from './node-metrics.js';
import { serveNodeMetrics } from './endpoint.js';

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
