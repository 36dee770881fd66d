// Prometheus for real (docs/operations.md, "Prometheus and alerts"): Debian's `prometheus`
// scrapes a `corral up` cluster with the shipped deploy/prometheus/prometheus.yml (its targets
// rewritten to this test's ephemeral ports, its intervals to 1 s) and the shipped alerts.yml;
// the test waits for every target to be up, queries corral's series through the HTTP API, checks
// every alert rule evaluates without error, stops a node and sees `up == 0` and CorralNodeDown
// pending for it. promtool checks the shipped config and rules, runs the rules' unit tests
// (alerts.test.yml) and checks each endpoint's exposition. Every metric name the Grafana
// dashboard (deploy/grafana/corral.json) and the alert rules use must exist in a real scrape
// (less the per-command latency histogram another change adds), and every dashboard query must
// be valid PromQL to this Prometheus. Skipped when /usr/bin/prometheus is missing.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawConnection, freePort } from '../support/servers.js';
import { startCorralUp, until, freeRun, nodeView, type CorralUp } from '../support/corral-up.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DEPLOY = path.join(ROOT, 'deploy');
const SHIPPED_CONFIG = path.join(DEPLOY, 'prometheus/prometheus.yml');
const SHIPPED_RULES = path.join(DEPLOY, 'prometheus/alerts.yml');
const RULE_TESTS = path.join(DEPLOY, 'prometheus/alerts.test.yml');
const DASHBOARD = path.join(DEPLOY, 'grafana/corral.json');
const PROMETHEUS = '/usr/bin/prometheus';
const HAVE_PROMETHEUS = existsSync(PROMETHEUS) && spawnSync('promtool', ['--version']).status === 0;
/** The alert names alerts.yml must define. */
const ALERTS = ['CorralShardImbalance', 'CorralEvictionThrash', 'CorralMissRatioSurge', 'CorralReplicationLag', 'CorralFailover', 'CorralNodeDown', 'CorralMemoryNearMax'];
/** The shipped config's targets: the default `corral up` (nodes 7000-7005, metrics on port + 1000). */
const SHIPPED_NODES = 6;
const SHIPPED_BASE = 7000;
const OFFSET = 1000;

function promtool(...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', cwd: ROOT });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

/**
 * The shipped prometheus.yml for this test's cluster: every 127.0.0.1:<port> of the default
 * cluster mapped to this cluster's (node ports and their metrics ports), 1 s intervals, and the
 * rule file by absolute path (the copy lives elsewhere). Throws if the shipped file no longer has
 * what is rewritten, so the test follows the file rather than silently testing something else.
 */
function rewriteConfig(text: string, ports: number[]): string {
  const seen = new Set<number>();
  let out = text.replace(/'127\.0\.0\.1:(\d+)'/g, (all, p: string) => {
    const port = Number(p);
    const i = port >= SHIPPED_BASE + OFFSET ? port - SHIPPED_BASE - OFFSET : port - SHIPPED_BASE;
    if (i < 0 || i >= SHIPPED_NODES) return all;
    seen.add(port);
    return `'127.0.0.1:${ports[i] + (port >= SHIPPED_BASE + OFFSET ? OFFSET : 0)}'`;
  });
  assert.equal(seen.size, 2 * SHIPPED_NODES, 'the shipped config names each default node and its metrics port');
  const replace = (re: RegExp, by: string): void => {
    assert.match(out, re);
    out = out.replace(re, by);
  };
  replace(/^ {2}scrape_interval: .*$/m, '  scrape_interval: 1s');
  replace(/^ {2}scrape_timeout: .*$/m, '  scrape_timeout: 700ms');
  replace(/^ {2}evaluation_interval: .*$/m, '  evaluation_interval: 1s');
  replace(/^ {2}- alerts\.yml$/m, `  - ${SHIPPED_RULES}`);
  return out;
}

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

/** Metric names an expression uses: corral's (all named corral_...) and `up`. */
function metricNames(expr: string): string[] {
  const names = new Set(expr.match(/\bcorral_[a-zA-Z0-9_:]*/g) ?? []);
  if (/\bup\{/.test(expr)) names.add('up');
  return [...names];
}

/** Sample names and histogram families of an exposition text. */
function namesIn(text: string, into: Set<string>): void {
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) {
      // A histogram with no observation yet (GC pauses) has no samples, but its names are fixed.
      if (type[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) into.add(`${type[1]}${s}`);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m !== null) into.add(m[1]);
  }
}

describe('Prometheus scrapes a corral up cluster with the shipped config and alert rules', { skip: HAVE_PROMETHEUS ? false : `${PROMETHEUS} or promtool missing (apt-get install prometheus)` }, () => {
  let up: CorralUp;
  let aggregated: number;
  let prom: ChildProcess | null = null;
  let promPort: number;
  let promOut = '';
  let dir: string;
  const startedAt = Date.now();

  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${promPort}${pathAndQuery}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    assert.equal(body.status, 'success', `${pathAndQuery}: ${body.error ?? ''}`);
    return body.data;
  };
  const query = async (q: string): Promise<PromResult[]> => (await api<{ result: PromResult[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`)).result;
  const nodeLabel = (port: number): string => `127.0.0.1:${port}`;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'corral-prometheus-'));
    aggregated = await freeRun(1);
    up = await startCorralUp(3, 1, ['--metrics-port', String(aggregated), '--metrics-offset', String(OFFSET)]);
    const config = path.join(dir, 'prometheus.yml');
    writeFileSync(config, rewriteConfig(readFileSync(SHIPPED_CONFIG, 'utf8'), up.ports));
    const check = promtool('check', 'config', config);
    assert.ok(check.ok, check.out);
    promPort = await freePort();
    prom = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prom.stdout!.on('data', (d: Buffer) => (promOut += d.toString()));
    prom.stderr!.on('data', (d: Buffer) => (promOut += d.toString()));
    await until('Prometheus ready', async () => prom!.exitCode === null && (await fetch(`http://127.0.0.1:${promPort}/-/ready`)).ok, 20_000, 100);
  });

  after(async () => {
    if (prom !== null && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    await up?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('promtool: the shipped config and rules check, the rules unit tests pass', () => {
    for (const args of [
      ['check', 'config', SHIPPED_CONFIG],
      ['check', 'rules', SHIPPED_RULES],
      ['test', 'rules', RULE_TESTS],
    ]) {
      const r = promtool(...args);
      assert.ok(r.ok, `promtool ${args.join(' ')}:\n${r.out}`);
    }
    const rules = readFileSync(SHIPPED_RULES, 'utf8');
    for (const name of ALERTS) assert.match(rules, new RegExp(`^ +- alert: ${name}$`, 'm'), name);
  });

  test('every node is a target that is up; corral series per node are queryable', async () => {
    await until(
      'all 6 targets up',
      async () => {
        const data = await api<{ activeTargets: Array<{ health: string; labels: Record<string, string> }> }>('/api/v1/targets?state=active');
        return data.activeTargets.length === 6 && data.activeTargets.every((t) => t.health === 'up');
      },
      20_000,
      250,
    );
    const targets = await api<{ activeTargets: Array<{ labels: Record<string, string> }> }>('/api/v1/targets?state=active');
    assert.deepEqual(targets.activeTargets.map((t) => t.labels.node).sort(), up.ports.map(nodeLabel).sort(), 'each target labelled with its node');

    // Keys on every primary: SET each key on each primary; the one owning its slot takes it.
    const primaries = (await up.views()).filter((v) => v.role === 'master').map((v) => v.port);
    assert.equal(primaries.length, 3);
    let stored = 0;
    for (const port of primaries) {
      const c = await RawConnection.connect(port);
      try {
        for (let i = 0; i < 30; i++) {
          const reply = await c.call('SET', `prom:${i}`, 'v');
          if (typeof reply === 'object' && reply !== null && 'simple' in reply) {
            stored++;
            await c.call('GET', `prom:${i}`);
            await c.call('GET', `prom:missing:${i}`);
          }
        }
      } finally {
        c.close();
      }
    }
    assert.equal(stored, 30, 'every key stored on the primary owning its slot');

    await until(
      'the keys in Prometheus',
      async () => {
        const r = await query('sum(corral_node_keys and on (node) (corral_replication_role{role="primary"} == 1))');
        return r.length === 1 && Number(r[0].value[1]) === 30;
      },
      20_000,
      250,
    );
    const keys = await query('corral_node_keys');
    assert.deepEqual(keys.map((r) => r.metric.node).sort(), up.ports.map(nodeLabel).sort());
    const processed = await query('corral_commands_processed_total');
    assert.equal(processed.length, 6);
    assert.ok(processed.every((r) => Number(r.value[1]) > 0));
    const ranges = await query('corral_slot_range_accesses_total');
    assert.equal(ranges.length, 6 * 16, '16 slot ranges per node');
    const roles = await query('sum(corral_replication_role{role="primary"})');
    assert.equal(Number(roles[0].value[1]), 3);
    const lag = await query('corral_replica_lag_bytes');
    assert.equal(lag.length, 3, 'each primary reports its replica');
    for (const name of ['corral_leases_granted_total', 'corral_replication_promotions_total', 'corral_cluster_failovers_seen_total', 'corral_migration_bytes_moved_total']) {
      assert.ok((await query(name)).length >= 6, name);
    }
  });

  test('the alert rules are loaded and evaluate without error', async () => {
    type Rule = { name: string; type: string; health: string; lastError?: string; query: string };
    let rules: Rule[] = [];
    await until(
      'every rule evaluated',
      async () => {
        const data = await api<{ groups: Array<{ file: string; rules: Rule[] }> }>('/api/v1/rules');
        rules = data.groups.flatMap((g) => g.rules);
        return rules.length > 0 && rules.every((r) => r.health !== 'unknown');
      },
      20_000,
      250,
    );
    assert.deepEqual([...new Set(rules.map((r) => r.name))].sort(), [...ALERTS].sort());
    for (const r of rules) {
      assert.equal(r.type, 'alerting');
      assert.equal(r.health, 'ok', `${r.name}: ${r.lastError ?? ''}`);
      assert.ok((r.lastError ?? '') === '', `${r.name}: ${r.lastError}`);
    }
    // A healthy cluster: nothing firing (a pending alert may be a scrape that was late once).
    const alerts = await api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('/api/v1/alerts');
    assert.deepEqual(
      alerts.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname),
      [],
      'no alert firing on a healthy cluster',
    );
  });

  test('every metric the dashboard and the rules use exists in a real scrape; every dashboard query is valid PromQL', async () => {
    const names = new Set<string>(['up']);
    for (const port of up.ports) {
      const text = await (await fetch(`http://127.0.0.1:${port + OFFSET}/metrics`)).text();
      namesIn(text, names);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(check.status, 0, `promtool check metrics, node ${port}: ${check.stdout}${check.stderr}`);
    }
    const merged = await (await fetch(`http://127.0.0.1:${aggregated}/metrics`)).text();
    namesIn(merged, names);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: merged, encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool check metrics, merged: ${check.stdout}${check.stderr}`);

    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      schemaVersion: number;
      templating: { list: Array<{ name: string; type: string }> };
      panels: Array<{ type: string; title: string; datasource?: { uid: string }; targets?: Array<{ expr: string }> }>;
    };
    assert.ok(dashboard.schemaVersion >= 36, 'a current dashboard schema');
    assert.ok(dashboard.templating.list.some((v) => v.name === 'DS_PROMETHEUS' && v.type === 'datasource'), 'a Prometheus datasource variable');
    const exprs: Array<[string, string]> = [];
    for (const p of dashboard.panels) {
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, '${DS_PROMETHEUS}', p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title} has queries`);
      for (const t of p.targets ?? []) exprs.push([`dashboard panel "${p.title}"`, t.expr]);
    }
    for (const m of readFileSync(SHIPPED_RULES, 'utf8').matchAll(/expr: (\|\n(?: {10}.*\n)+|.*)/g)) exprs.push(['alerts.yml', m[1]]);
    assert.ok(exprs.length > 40, `${exprs.length} expressions`);

    const missing: string[] = [];
    for (const [where, expr] of exprs) {
      for (const name of metricNames(expr)) if (!names.has(name)) missing.push(`${where}: ${name}`);
    }
    assert.deepEqual(missing, [], 'metric names not in any scrape');

    for (const [where, expr] of exprs) {
      if (where === 'alerts.yml') continue;
      const q = expr.replaceAll('$__rate_interval', '1m').replaceAll('$node', '.*');
      const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { status: string; error?: string };
      assert.equal(body.status, 'success', `${where}: ${q}: ${body.error ?? ''}`);
    }
  });

  test('a stopped node is up == 0 and CorralNodeDown pending for it', async (t) => {
    // SIGSTOP rather than a kill: corral up restarts a dead node at once, which could hide the
    // gap between two 1 s scrapes; a stopped process does not answer its scrape until SIGCONT.
    const replica = (await up.views()).find((v) => v.role === 'slave')!;
    assert.ok(replica !== undefined && replica.pid > 0);
    process.kill(replica.pid, 'SIGSTOP');
    try {
      const node = nodeLabel(replica.port);
      await until(
        `up == 0 for ${node}`,
        async () => {
          const r = await query(`up{node="${node}"} == 0`);
          return r.length === 1;
        },
        20_000,
        250,
      );
      await until(
        'CorralNodeDown pending',
        async () => {
          const data = await api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('/api/v1/alerts');
          return data.alerts.some((a) => a.labels.alertname === 'CorralNodeDown' && a.labels.node === node && (a.state === 'pending' || a.state === 'firing'));
        },
        20_000,
        250,
      );
      await until('the other five nodes up', async () => (await query(`up{node!="${node}"} == 1`)).length === 5, 10_000, 250);
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }
    await until('the node up again', async () => (await query(`up{node="${nodeLabel(replica.port)}"} == 1`)).length === 1, 20_000, 250);
    assert.equal((await nodeView(replica.port)).role, 'slave');
    t.diagnostic(`prometheus.test: ${((Date.now() - startedAt) / 1000).toFixed(1)} s so far`);
    assert.equal(prom?.exitCode, null, promOut);
  });
});
