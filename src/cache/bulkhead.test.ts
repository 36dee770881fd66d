import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bulkhead } from './bulkhead.js';
import { BulkheadFullError, CacheClosedError } from './errors.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

test('bulkhead: total limit, FIFO queue, rejection beyond the queue', async () => {
  const bh = new Bulkhead({ perKey: 10, total: 2, queue: 2 });
  const r1 = await bh.acquire('a');
  const r2 = await bh.acquire('b');
  let got3 = false;
  let got4 = false;
  const p3 = bh.acquire('c').then((r) => ((got3 = true), r));
  const p4 = bh.acquire('d').then((r) => ((got4 = true), r));
  await assert.rejects(bh.acquire('e'), (e: unknown) => e instanceof BulkheadFullError && e.code === 'E_BULKHEAD_FULL');
  assert.equal(bh.active, 2);
  assert.equal(bh.queued, 2);
  r1();
  r1(); // idempotent
  await tick();
  assert.equal(got3, true);
  assert.equal(got4, false);
  r2();
  await tick();
  assert.equal(got4, true);
  (await p3)();
  (await p4)();
  assert.equal(bh.active, 0);
  assert.equal(bh.peak, 2);
});

test('bulkhead: perKey limit lets other keys overtake a blocked key', async () => {
  const bh = new Bulkhead({ perKey: 1, total: 3, queue: 10 });
  const a1 = await bh.acquire('a');
  const order: string[] = [];
  const pa = bh.acquire('a').then((r) => (order.push('a2'), r));
  const pb = bh.acquire('b').then((r) => (order.push('b'), r));
  await tick();
  assert.deepEqual(order, ['b'], 'b runs while a is at its per-key limit');
  a1();
  await tick();
  assert.deepEqual(order, ['b', 'a2']);
  (await pa)();
  (await pb)();
  assert.equal(bh.active, 0);
});

test('bulkhead: rejectAll rejects the queue with CacheClosedError; queue 0 rejects at once', async () => {
  const bh = new Bulkhead({ total: 1, queue: 5 });
  const r = await bh.acquire('a');
  const q = bh.acquire('b');
  bh.rejectAll();
  await assert.rejects(q, CacheClosedError);
  r();
  const none = new Bulkhead({ total: 1, queue: 0 });
  const h = await none.acquire('x');
  await assert.rejects(none.acquire('y'), BulkheadFullError);
  h();
});
