// Takes the dashboard screenshots in docs/operations.md (docs/images/dashboard-desktop.png and
// dashboard-phone.png): starts `corral up` (3 shards, a replica each, from dist/: build first) with
// the dashboard on a free port, runs redis-benchmark --cluster plus a few hot keys through
// ioredis, kills one primary with SIGKILL (so the timeline shows the failover), and photographs
// the page in headless Chromium (/usr/bin/chromium, through playwright-core) at a desktop and a
// phone viewport. Usage: node scripts/dashboard-screenshot.mjs [--out docs/images] [--seconds 40]

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Cluster } from 'ioredis';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const OUT = path.resolve(arg('--out', path.join(ROOT, 'docs/images')));
const SECONDS = Number(arg('--seconds', '40'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function canListen(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freeRun(count) {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await canListen(base + i);
    if (ok) return base;
  }
}

function info(port, field) {
  const r = spawnSync('redis-cli', ['-p', String(port), 'info', 'all'], { encoding: 'utf8' });
  return new RegExp(`^${field}:(.*)\\r$`, 'm').exec(r.stdout ?? '')?.[1];
}

const base = await freeRun(7);
const dashboardPort = base + 6;
const up = spawn(process.execPath, [MAIN, 'up', '--port', String(base), '--metrics-port', '0', '--dashboard-port', String(dashboardPort), '--maxmemory', '8mb', '--maxmemory-policy', 'allkeys-lru'], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
up.stdout.on('data', (d) => (out += d));
up.stderr.on('data', (d) => (out += d));
const children = [up];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
};
process.on('exit', cleanup);

try {
  for (let i = 0; !/Ctrl-C stops the cluster/.test(out); i++) {
    if (up.exitCode !== null || i > 600) throw new Error(`corral up did not start:\n${out}`);
    await sleep(100);
  }
  const url = `http://127.0.0.1:${dashboardPort}/`;
  console.log(`cluster on ${base}-${base + 5}, dashboard ${url}`);

  // The load: redis-benchmark --cluster (SET and GET over 200k random keys; 8 MB per node, so
  // some evictions), and a handful of hot keys read through ioredis.
  // redis-benchmark runs its tests one after the other: one process SETs, another GETs; each is
  // started again when it stops (it gives up when a node it talks to dies).
  let running = true;
  const bench = (t) => {
    const child = spawn('redis-benchmark', ['--cluster', '-p', String(base), '-t', t, '-r', '200000', '-d', '100', '-n', '100000000', '-c', '4', '-P', '4', '-q'], { stdio: 'ignore' });
    children.push(child);
    child.once('exit', () => running && setTimeout(() => running && bench(t), 500));
  };
  bench('set');
  bench('get');
  const client = new Cluster([{ host: '127.0.0.1', port: base }], { enableAutoPipelining: true });
  const HOT = ['product:42', 'product:7', 'cart:1001', 'session:9f2c'];
  const hot = (async () => {
    for (let i = 0; running; i++) {
      const batch = [];
      for (let k = 0; k < 20; k++) batch.push(client.get(HOT[(i * k) % HOT.length === 0 ? 0 : (i + k) % HOT.length]));
      batch.push(client.set(HOT[i % HOT.length], 'in stock'));
      await Promise.all(batch).catch(() => sleep(100));
      await sleep(5);
    }
  })();

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const desktop = await browser.newPage({ viewport: { width: 1400, height: 1250 } });
  desktop.on('console', (m) => m.type() === 'error' && console.error(`page console error: ${m.text()}`));
  desktop.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await desktop.goto(url);

  // A primary killed half way: corral up restarts it, its replica takes over.
  await sleep(SECONDS * 0.6 * 1000);
  const victim = base + 2;
  const pid = Number(info(victim, 'process_id'));
  if (pid > 0) {
    process.kill(pid, 'SIGKILL');
    console.log(`killed the primary on ${victim} (pid ${pid})`);
  }
  await sleep(SECONDS * 0.4 * 1000);

  mkdirSync(OUT, { recursive: true });
  await desktop.screenshot({ path: path.join(OUT, 'dashboard-desktop.png'), fullPage: true });
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await phone.goto(url);
  await sleep(3000);
  await phone.screenshot({ path: path.join(OUT, 'dashboard-phone.png'), fullPage: false });
  // The whole phone page, for a look at every panel (not in the docs).
  await phone.screenshot({ path: path.join(os.tmpdir(), 'dashboard-phone-full.png'), fullPage: true });
  console.log(`wrote ${path.join(OUT, 'dashboard-desktop.png')} and ${path.join(OUT, 'dashboard-phone.png')}`);
  running = false;
  await browser.close();
  await hot;
  client.disconnect();
} finally {
  cleanup();
}
