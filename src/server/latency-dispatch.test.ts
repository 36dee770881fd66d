// Unit tests for what dispatch.call records for the latency surfaces: each command's histogram
// (latency-tracking), the monitor's "command" / "fast-command" events past the threshold, a
// transaction timed with the commands it ran, and "eviction-cycle" for a slow eviction pass.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { nodeHarness } from '../../test/support/node-harness.js';
import { totalCount } from './latency-histogram.js';

test('histograms follow latency-tracking; CONFIG RESETSTAT drops them', () => {
  const { node, run } = nodeHarness();
  const set = node.table.get('set')!;
  const get = node.table.get('get')!;
  run('SET', 'k', 'v');
  run('SET', 'k', 'v');
  assert.equal(totalCount(set.latencyCounts!), 2);
  assert.equal(run('CONFIG', 'SET', 'latency-tracking', 'no'), '+OK\r\n');
  run('GET', 'k');
  assert.equal(get.latencyCounts, null);
  assert.equal(get.calls, 1);
  run('CONFIG', 'SET', 'latency-tracking', 'yes');
  run('CONFIG', 'RESETSTAT');
  assert.equal(set.latencyCounts, null);
  assert.equal(totalCount(node.table.get('config')!.subcommands!.get('resetstat')!.latencyCounts!), 1);
});

test('past latency-monitor-threshold: "fast-command" for fast commands, "command" otherwise', () => {
  const { node, run } = nodeHarness();
  const slow = (...argv: string[]): string => {
    node.lastTick = performance.now() - 5;
    return run(...argv);
  };
  slow('GET', 'k');
  assert.equal(node.latency.events.size, 0, 'threshold 0: off');
  run('CONFIG', 'SET', 'latency-monitor-threshold', '3');
  node.lastTick = performance.now();
  run('GET', 'k');
  assert.equal(node.latency.events.size, 0, 'under the threshold');
  slow('GET', 'k');
  slow('KEYS', '*');
  assert.deepEqual([...node.latency.events.keys()], ['fast-command', 'command']);
  for (const ts of node.latency.events.values()) assert.ok(ts.max >= 5 && ts.max < 1000, String(ts.max));
});

test("a transaction's time includes the commands it ran", () => {
  const { node, run } = nodeHarness();
  run('MULTI');
  run('GET', 'k');
  node.lastTick = performance.now() - 20;
  run('EXEC');
  const exec = node.table.get('exec')!;
  assert.ok(exec.usec >= 20000, String(exec.usec));
  assert.ok(node.table.get('get')!.usec >= 20000, 'the first queued command counts from the same start');
});

test('an eviction pass of at least the threshold is an "eviction-cycle" event', () => {
  const { node, run } = nodeHarness({ 'maxmemory-policy': 'allkeys-random', 'latency-monitor-threshold': '1' });
  const db = node.store.dbs[0];
  for (let i = 0; i < 200_000; i++) db.setString(`key:${i}`, 'x'.repeat(20), 0);
  node.store.maxmemory = 1;
  node.lastTick = performance.now();
  run('GET', 'k');
  assert.ok(node.store.stats.evictedKeys > 0);
  const ts = node.latency.events.get('eviction-cycle');
  assert.ok(ts !== undefined, JSON.stringify([...node.latency.events.keys()]));
  assert.ok(ts.max >= 1);
});
