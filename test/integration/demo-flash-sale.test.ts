// End-to-end test of `corral demo flash-sale --quick`: real node processes (a local 3-shard
// cluster the demo starts), real worker processes, PGlite. Checks that at the hot key's expiry
// the SDK run queried the database for it far less than naive cache-aside, that the row update
// shows the new price through the SDK right after invalidate() (and the old one through the
// naive path until its TTL), that the HTML report is written, and that Ctrl-C stops every
// process the demo started. With DEMO_TEST_DATABASE_URL set, also runs against that PostgreSQL
// (the demo creates and drops a table of its own there). Runs the CLI subcommand when it is registered, else the exported
// runFlashSaleDemo in a child process (same code path below the flag parsing).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FlashSaleReport } from '../../src/demo/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(here, '../../src/cli/main.js');
const DEMO = pathToFileURL(path.resolve(here, '../../src/demo/index.js')).href;
const dir = mkdtempSync(path.join(tmpdir(), 'corral-demo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// `corral --help` lists the subcommands (`corral demo flash-sale --help` would print the top-level
// help, exit 0, when `demo` is not registered).
const viaCli = /^\s+demo\b/m.test(spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8' }).stdout);

/** Spawns the demo with CLI-style flags. */
function startDemo(given: string[], databaseUrl = ''): ChildProcess {
  // --local: never the cluster a `corral up` on this machine may be running at 127.0.0.1:7000.
  const flags = ['--local', ...given];
  const env = { ...process.env, DATABASE_URL: databaseUrl };
  if (viaCli) return spawn(process.execPath, [MAIN, 'demo', 'flash-sale', ...flags], { stdio: ['ignore', 'pipe', 'pipe'], env });
  // Flags -> the camelCased options commander would hand runFlashSaleDemo.
  const opts: Record<string, string | boolean> = {};
  for (let i = 0; i < flags.length; i++) {
    const name = flags[i]!.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (i + 1 < flags.length && !flags[i + 1]!.startsWith('--')) opts[name] = flags[++i]!;
    else opts[name] = true;
  }
  const script = `const m = await import(${JSON.stringify(DEMO)}); process.exitCode = await m.runFlashSaleDemo(${JSON.stringify(opts)});`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

function collect(child: ChildProcess): { output: () => string; exit: Promise<number | null> } {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { output: () => out, exit };
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Pids whose parent is `pid` (Linux /proc; empty elsewhere). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test(`flash-sale --quick (${viaCli ? 'corral demo flash-sale' : 'runFlashSaleDemo'}): the SDK spares the database at expiry; invalidation shows the new price`, { timeout: 120_000 }, async () => {
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  const demo = collect(startDemo(['--quick', '--json', json, '--html', html]));
  const code = await demo.exit;
  assert.equal(code, 0, demo.output());
  const out = demo.output();
  assert.match(out, /database queries per second/);
  assert.match(out, /hot-product queries per expiry/);

  const r = JSON.parse(readFileSync(json, 'utf8')) as FlashSaleReport;
  const [naive, sdk, near] = r.runs;
  assert.equal(naive!.mode, 'naive');
  assert.equal(sdk!.mode, 'sdk');
  assert.equal(near!.mode, 'near');
  assert.equal(r.settings.database, 'pglite');
  for (const run of r.runs) {
    assert.equal(run.summary.errors, 0, `${run.label}: ${run.summary.firstError}`);
    assert.ok(run.summary.requests > 1000, `${run.label} made ${run.summary.requests} requests`);
  }
  // At every expiry, each naive caller that misses queries; the SDK's lease lets one through.
  const perExpiry = (p: typeof naive): number => p!.summary.hotQueries / r.expiries;
  assert.ok(perExpiry(sdk) <= 3, `SDK: ${perExpiry(sdk)} hot-product queries per expiry`);
  assert.ok(perExpiry(naive) >= 10, `naive: ${perExpiry(naive)} hot-product queries per expiry`);
  assert.ok(naive!.summary.hotQueries >= 5 * sdk!.summary.hotQueries, `naive ${naive!.summary.hotQueries} vs SDK ${sdk!.summary.hotQueries}`);
  assert.ok(sdk!.summary.peakHotQueriesPerSlot <= 3, `SDK burst ${sdk!.summary.peakHotQueriesPerSlot}`);
  // The near-cache keeps the lease's single flight, and serves the hot product in process.
  assert.ok(perExpiry(near) <= 3, `near-cache: ${perExpiry(near)} hot-product queries per expiry`);
  const served = /near-cache: (\d+) of (\d+) cache reads served in the workers' processes/.exec(out);
  assert.ok(served !== null, out);
  assert.ok(Number(served[1]) > 0, `no read was served from the near-cache: ${served[0]}`);

  const inv = r.invalidation;
  assert.notEqual(inv.newPrice, inv.oldPrice);
  assert.equal(inv.sdkPriceAfter, inv.newPrice, 'the SDK reads the new price right after invalidate()');
  assert.ok(inv.naiveStaleReads >= 1, 'the naive path served the old price after the update');
  assert.equal(inv.naivePriceAtEnd, inv.newPrice, 'and the new one once its TTL ran out');
  assert.match(out, new RegExp(`next read -> ${inv.newPrice.replace('.', '\\.')} \\(new price`));

  const page = readFileSync(html, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.equal((page.match(/<svg /g) ?? []).length, 4);
  assert.doesNotMatch(page, /<script|https?:\/\/(?!www\.w3\.org)/);
});

test('flash-sale: SIGINT stops the workers and the cluster nodes, exit 130', { timeout: 60_000 }, async () => {
  const child = startDemo(['--quick', '--seconds', '20']);
  const demo = collect(child);
  // Wait until the naive run is under way: cluster, database and workers are all up.
  const until = Date.now() + 40_000;
  while (!/ 1 s {2}database/.test(demo.output())) {
    assert.ok(Date.now() < until, `the run did not start: ${demo.output()}`);
    assert.equal(child.exitCode, null, demo.output());
    await new Promise((r) => setTimeout(r, 100));
  }
  const ports = [...new Set([...demo.output().matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])))]; // (the hot-keys hint repeats one)
  assert.equal(ports.length, 3, demo.output());
  const kids = childrenOf(child.pid!);
  if (process.platform === 'linux') assert.ok(kids.length >= 5, `3 nodes + 2 workers, got ${kids.length}`);
  child.kill('SIGINT');
  assert.equal(await demo.exit, 130, demo.output());
  await new Promise((r) => setTimeout(r, 300));
  for (const pid of kids) assert.ok(!alive(pid), `child ${pid} still running`);
  for (const port of ports) assert.ok(await canListen(port), `port ${port} released`);
});

const pgUrl = process.env.DEMO_TEST_DATABASE_URL;
test('flash-sale --quick against PostgreSQL (DEMO_TEST_DATABASE_URL)', { timeout: 120_000, skip: pgUrl === undefined || pgUrl === '' ? 'DEMO_TEST_DATABASE_URL not set' : false }, async () => {
  const json = path.join(dir, 'report-pg.json');
  const demo = collect(startDemo(['--quick', '--json', json], pgUrl));
  assert.equal(await demo.exit, 0, demo.output());
  const r = JSON.parse(readFileSync(json, 'utf8')) as FlashSaleReport;
  assert.equal(r.settings.database, 'postgres');
  assert.ok(r.runs[0]!.summary.hotQueries >= 5 * r.runs[1]!.summary.hotQueries);
  assert.equal(r.invalidation.sdkPriceAfter, r.invalidation.newPrice);
});
