// Unit tests for corral_command_latency_seconds: a histogram family built at scrape time from the
// commands' latency counts, with exact cumulative buckets, _sum and _count from commandstats, in
// a text format promtool accepts (when promtool is installed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { Command } from '../commands/table.js';
import { recordLatency } from '../server/latency-histogram.js';
import { registerLatencyMetrics } from './latency-metrics.js';

function sourceOf(cmds: Command[]): { table: { all(): Iterable<Command> } } {
  return { table: { all: () => cmds } };
}

/** Records calls as dispatch does: calls, usec and the histogram together. */
function call(cmd: Command, micros: number): void {
  cmd.calls++;
  cmd.usec += micros;
  recordLatency(cmd, micros);
}

test('buckets at 2^k ns, cumulative; +Inf and _count are the calls, _sum the usec in seconds', async () => {
  const get = new Command({ name: 'get', arity: 2, flags: 0 });
  const client = new Command({ name: 'client', arity: -2, flags: 0, subcommands: [{ name: 'id', arity: 2, flags: 0 }] });
  const unused = new Command({ name: 'set', arity: -3, flags: 0 });
  call(get, 0.5);
  call(get, 1.5);
  call(get, 1.5);
  call(get, 3000);
  call(client.subcommands!.get('id')!, 2e6);
  const registry = new Registry();
  registerLatencyMetrics(registry, sourceOf([get, client, unused]));
  const text = await registry.metrics();
  const lines = text.split('\n');
  assert.equal(lines[0], '# HELP corral_command_latency_seconds Command execution time per command, in seconds (INFO latencystats / LATENCY HISTOGRAM; calls faster than each le).');
  assert.equal(lines[1], '# TYPE corral_command_latency_seconds histogram');
  const getLines = lines.filter((l) => l.includes('cmd="get"'));
  assert.deepEqual(getLines.slice(0, 3), [
    'corral_command_latency_seconds_bucket{cmd="get",le="0.000001024"} 1',
    'corral_command_latency_seconds_bucket{cmd="get",le="0.000002048"} 3',
    'corral_command_latency_seconds_bucket{cmd="get",le="0.000004096"} 3',
  ]);
  assert.ok(getLines.includes('corral_command_latency_seconds_bucket{cmd="get",le="0.002097152"} 3'));
  assert.ok(getLines.includes('corral_command_latency_seconds_bucket{cmd="get",le="0.004194304"} 4'));
  assert.deepEqual(getLines.slice(-3), [
    'corral_command_latency_seconds_bucket{cmd="get",le="+Inf"} 4',
    'corral_command_latency_seconds_sum{cmd="get"} 0.0030035',
    'corral_command_latency_seconds_count{cmd="get"} 4',
  ]);
  assert.equal(getLines.length, 21 + 3);
  const idLines = lines.filter((l) => l.includes('cmd="client|id"'));
  assert.ok(idLines.includes('corral_command_latency_seconds_bucket{cmd="client|id",le="1.073741824"} 1'), '2 s is clamped to 1 s');
  assert.ok(idLines.includes('corral_command_latency_seconds_bucket{cmd="client|id",le="0.536870912"} 0'));
  assert.ok(!text.includes('cmd="set"'), 'no histogram, no series');
  // Calls made while latency-tracking was off count in +Inf and _count only.
  get.calls++;
  get.usec += 10;
  const after = await registry.metrics();
  assert.ok(after.includes('corral_command_latency_seconds_bucket{cmd="get",le="+Inf"} 5'));
  assert.ok(after.includes('corral_command_latency_seconds_count{cmd="get"} 5'));

  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (promtool.error === undefined) assert.equal(promtool.status, 0, `${promtool.stdout}${promtool.stderr}`);
});

test('an empty table gives the family header and no samples', async () => {
  const registry = new Registry();
  registerLatencyMetrics(registry, sourceOf([]));
  assert.equal(await registry.metrics(), '# HELP corral_command_latency_seconds Command execution time per command, in seconds (INFO latencystats / LATENCY HISTOGRAM; calls faster than each le).\n# TYPE corral_command_latency_seconds histogram\n');
});
