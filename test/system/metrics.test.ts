// Prometheus metrics over real sockets (docs/operations.md#metrics): a `corral server` process
// with --metrics-port serves /metrics whose series move with GET/SET traffic, and `promtool check
// metrics` accepts the text (skipped without Debian's prometheus package); a 3-shard `corral up`
// serves every node's endpoint on its port + --metrics-offset and the merged one on
// --metrics-port, where per-shard keys and slots are a query.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { RawConnection, freePort } from '../support/servers.js';
import { CORRAL_MAIN, startCorralUp, until, freeRun, type CorralUp } from '../support/corral-up.js';

const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

/** `promtool check metrics` on the text: null if it passes, else its complaints. */
function promtoolProblems(text: string): string | null {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return r.status === 0 ? null : `${r.stdout}${r.stderr}`;
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** Every sample of `name` (exactly that series name), as [labels text, value]. */
function samples(text: string, name: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (m !== null && m[1] === name) out.push([m[2] ?? '', Number(m[3])]);
  }
  return out;
}

function value(text: string, name: string, labels = ''): number | undefined {
  return samples(text, name).find(([l]) => l === labels)?.[1];
}

describe('one node: corral server --metrics-port', () => {
  let child: ChildProcess;
  let port: number;
  let metricsPort: number;
  let out = '';

  before(async () => {
    port = await freePort();
    metricsPort = await freePort();
    child = spawn(process.execPath, [CORRAL_MAIN, 'server', '--port', String(port), '--metrics-port', String(metricsPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await until('the node and its metrics endpoint', () => out.includes(`:${metricsPort}/metrics`) || child.exitCode !== null, 20_000);
    assert.equal(child.exitCode, null, out);
  });

  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('series move with GET/SET traffic; HELP and TYPE lines; promtool passes', async (t) => {
    const before = await scrape(metricsPort);
    assert.equal(value(before, 'corral_node_keys'), 0);
    assert.equal(value(before, 'corral_keyspace_hits_total'), 0);
    assert.equal(value(before, 'corral_connected_clients'), 0);

    const c = await RawConnection.connect(port);
    try {
      for (let i = 0; i < 10; i++) assert.deepEqual(await c.call('SET', `k${i}`, `v${i}`), { simple: 'OK' });
      for (let i = 0; i < 10; i++) await c.call('GET', `k${i}`);
      for (let i = 0; i < 4; i++) await c.call('GET', `missing${i}`);
      const during = await scrape(metricsPort);
      assert.equal(value(during, 'corral_connected_clients'), 1);
    } finally {
      c.close();
    }
    const text = await scrape(metricsPort);
    assert.equal(value(text, 'corral_node_keys'), 10);
    assert.equal(value(text, 'corral_db_keys', '{db="0"}'), 10);
    assert.equal(value(text, 'corral_keyspace_hits_total'), 10);
    assert.equal(value(text, 'corral_keyspace_misses_total'), 4);
    assert.equal(value(text, 'corral_command_calls_total', '{cmd="set"}'), 10);
    assert.equal(value(text, 'corral_command_calls_total', '{cmd="get"}'), 14);
    assert.ok(value(text, 'corral_command_duration_seconds_total', '{cmd="get"}')! > 0);
    assert.ok(value(text, 'corral_commands_processed_total')! >= 24);
    assert.ok(value(text, 'corral_net_input_bytes_total')! > value(before, 'corral_net_input_bytes_total')!);
    assert.ok(value(text, 'corral_net_output_bytes_total')! > 0);
    assert.ok(value(text, 'corral_connections_received_total')! >= 1);
    assert.ok(value(text, 'corral_memory_used_bytes')! > value(before, 'corral_memory_used_bytes')!);
    assert.ok(value(text, 'corral_memory_rss_bytes')! > 0);
    assert.equal(value(text, 'corral_replication_role', '{role="primary"}'), 1);
    assert.ok(samples(text, 'corral_hotkey_ops_per_second').length >= 1);
    assert.ok(samples(text, 'corral_nodejs_eventloop_lag_p99_seconds').length === 1);
    assert.match(text, /^# TYPE corral_nodejs_gc_duration_seconds histogram$/m);
    for (const name of ['corral_keyspace_hits_total', 'corral_command_calls_total', 'corral_memory_used_bytes', 'corral_evicted_keys_total', 'corral_expired_keys_total']) {
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'), name);
    }
    if (PROMTOOL) assert.equal(promtoolProblems(text), null);
    else t.diagnostic('promtool not installed (apt-get install prometheus): its check is skipped');
  });

  test('anything but GET /metrics is 404', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status, 404);
  });
});

describe('corral up: every node and the merged endpoint', () => {
  let up: CorralUp;
  let aggregated: number;
  const offset = 1000;

  before(async () => {
    aggregated = await freeRun(1);
    up = await startCorralUp(3, 0, ['--metrics-port', String(aggregated), '--metrics-offset', String(offset)]);
  });

  after(async () => {
    await up?.stop();
  });

  test("each node's /metrics on port + offset; the merged one labels every node", async () => {
    assert.match(up.output(), new RegExp(`metrics: http://127\\.0\\.0\\.1:${aggregated}/metrics`));
    for (const p of up.ports) {
      const text = await scrape(p + offset);
      assert.equal(value(text, 'corral_replication_role', '{role="primary"}'), 1);
      assert.ok(value(text, 'corral_cluster_epoch')! >= 1);
      if (PROMTOOL) assert.equal(promtoolProblems(text), null, `node ${p}`);
    }
    let merged = '';
    await until('every node in the merged scrape with its slots', async () => {
      merged = await scrape(aggregated);
      const owned = samples(merged, 'corral_node_slots_owned');
      return owned.length === 3 && owned.reduce((n, [, v]) => n + v, 0) === 16384;
    });
    for (const p of up.ports) {
      assert.equal(value(merged, 'corral_node_up', `{node="127.0.0.1:${p}"}`), 1);
      assert.ok(samples(merged, 'corral_node_keys').some(([l]) => l === `{node="127.0.0.1:${p}"}`));
    }
    assert.equal(merged.split('\n').filter((l) => l === '# TYPE corral_node_keys gauge').length, 1, 'one TYPE line per family');
    if (PROMTOOL) assert.equal(promtoolProblems(merged), null, 'merged');
  });
});
