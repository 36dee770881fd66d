// The web dashboard in a real browser (docs/operations.md#dashboard): `corral up` (3 shards, a
// replica each) serves it on --dashboard-port; headless Chromium (Debian's chromium package,
// driven by playwright-core) loads the page with no console error, sees the ops/s figure and chart
// move while ioredis runs a load, and sees a primary killed with SIGKILL in the timeline (the node
// restarted or down, then the failover of its shard). At a phone's viewport (390x844) the page
// does not scroll sideways. Skipped when /usr/bin/chromium is not installed.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Cluster } from 'ioredis';
import { freePort } from '../support/servers.js';
import { callOnce, startCorralUp, until, type CorralUp } from '../support/corral-up.js';

// The little of the DOM the page functions below use (they run in the browser; the project's
// TypeScript has no DOM library). Functions, not strings: the page's Content-Security-Policy
// forbids eval, which string predicates need.
declare const document: {
  querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
  getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
  documentElement: { scrollWidth: number };
  body: { scrollWidth: number };
};
declare const window: { innerWidth: number };

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (Debian package chromium): the dashboard's browser tests need it`;

/** A page that records console errors and uncaught exceptions. */
async function openPage(browser: Browser, url: string, viewport: { width: number; height: number }, mobile = false): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: mobile ? 2 : 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  const res = await page.goto(url);
  assert.equal(res?.status(), 200);
  return { page, errors };
}

describe('web dashboard', { skip }, () => {
  let up: CorralUp;
  let browser: Browser;
  let url: string;

  before(async () => {
    const dashboardPort = await freePort();
    up = await startCorralUp(3, 1, ['--dashboard-port', String(dashboardPort)]);
    url = `http://127.0.0.1:${dashboardPort}/`;
    await until('the dashboard line', () => up.output().includes(`dashboard: ${url}`), 10_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await up?.stop();
  });

  test('loads without console errors; ops/s moves under load; a killed primary shows in the timeline', async () => {
    const { page, errors } = await openPage(browser, url, { width: 1280, height: 900 });
    // Every node in the topology table, up.
    await page.waitForFunction(() => document.querySelectorAll('#topology tr[data-status="up"]').length === 6, undefined, { timeout: 15_000 });
    assert.equal(await page.textContent('#nodes-up'), '6 / 6');
    const idle = Number(await page.getAttribute('#total-ops', 'data-value'));
    const pointsBefore = Number(await page.getAttribute('#chart-ops', 'data-points'));

    // SETs and GETs in batches of 100 (auto-pipelined per node), for at most a minute even if the
    // test fails before it stops them.
    const client = new Cluster([{ host: '127.0.0.1', port: up.port }], { enableAutoPipelining: true });
    let running = true;
    const loadUntil = Date.now() + 60_000;
    const load = (async () => {
      for (let i = 0; running && Date.now() < loadUntil; ) {
        const batch: Array<Promise<unknown>> = [];
        for (let k = 0; k < 50; k++, i++) batch.push(client.set(`dash:${i % 5000}`, 'x'.repeat(64)), client.get(`dash:${(i * 7) % 5000}`));
        await Promise.all(batch).catch(() => new Promise((r) => setTimeout(r, 50)));
      }
    })();
    try {
      // The figure and the chart follow the load (each poll is one point).
      const busy = Math.max(300, idle * 3);
      await page.waitForFunction((min) => Number(document.getElementById('total-ops')!.dataset.value) > min, busy, { timeout: 15_000 });
      const pointsAfter = Number(await page.getAttribute('#chart-ops', 'data-points'));
      assert.ok(pointsAfter > pointsBefore, `chart points ${pointsBefore} -> ${pointsAfter}`);
      assert.notEqual(await page.textContent('#keys'), '0');
      assert.match((await page.textContent('#hit-ratio')) ?? '', /^\d+\.\d%$/);

      // Kill a primary that is neither the controller nor the dashboard's entry node.
      const control = await callOnce(up.port, 'CORRAL', 'CONTROL');
      const controller = Array.isArray(control) ? String(control[control.indexOf('controller') + 1]) : '';
      const views = await up.views();
      const victim = views.find((v) => v.role === 'master' && v.port !== up.port && `127.0.0.1:${v.port}` !== controller)!;
      assert.ok(victim !== undefined, 'a primary to kill');
      const address = `127.0.0.1:${victim.port}`;
      process.kill(victim.pid, 'SIGKILL');
      await page.waitForSelector(`#timeline li[data-node="${address}"]:is([data-kind="node-down"], [data-kind="node-restarted"], [data-kind="node-failed"])`, { timeout: 20_000 });
      const tookOver = `took over from ${address}`;
      await page.waitForFunction((text) => Array.from(document.querySelectorAll('#timeline li[data-kind="failover"]')).some((li) => (li.textContent ?? '').includes(text)), tookOver, { timeout: 20_000 });
      assert.deepEqual(errors, []);
    } finally {
      running = false;
      await load;
      client.disconnect();
      await page.context().close();
    }
  });

  test('at a phone viewport (390x844) nothing scrolls sideways', async () => {
    const { page, errors } = await openPage(browser, url, { width: 390, height: 844 }, true);
    try {
      await page.waitForFunction(() => document.querySelectorAll('#topology tbody tr').length >= 6, undefined, { timeout: 15_000 });
      const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, inner: window.innerWidth }));
      assert.equal(widths.inner, 390);
      assert.ok(widths.doc <= 390 && widths.body <= 390, `scroll widths ${JSON.stringify(widths)}`);
      assert.deepEqual(errors, []);
    } finally {
      await page.context().close();
    }
  });
});
