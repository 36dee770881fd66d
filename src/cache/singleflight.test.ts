import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SingleFlight } from './singleflight.js';

test('singleflight: concurrent calls share one run; a later call starts a new one', async () => {
  const sf = new SingleFlight<number>();
  let runs = 0;
  let release!: (v: number) => void;
  const fn = () => {
    runs++;
    return new Promise<number>((r) => (release = r));
  };
  const ps = Array.from({ length: 50 }, () => sf.do('k', fn));
  assert.equal(runs, 1);
  assert.equal(sf.joined, 49);
  assert.ok(sf.has('k'));
  release(7);
  assert.deepEqual(new Set(await Promise.all(ps)), new Set([7]));
  assert.equal(sf.size, 0);
  const again = sf.do('k', () => Promise.resolve(8));
  assert.equal(await again, 8);
  assert.equal(runs, 1);
});

test('singleflight: keys are independent; rejections are shared and cleared', async () => {
  const sf = new SingleFlight<string>();
  const a = sf.do('a', async () => 'A');
  const b = sf.do('b', async () => 'B');
  assert.deepEqual(await Promise.all([a, b]), ['A', 'B']);
  const e1 = sf.do('x', async () => {
    throw new Error('boom');
  });
  const e2 = sf.do('x', async () => 'never');
  await assert.rejects(e1, /boom/);
  await assert.rejects(e2, /boom/);
  assert.equal(await sf.do('x', async () => 'ok'), 'ok');
});

test('singleflight: a synchronous throw or an already-settled promise leaves no entry behind', async () => {
  const sf = new SingleFlight<number>();
  await assert.rejects(
    sf.do('k', () => {
      throw new Error('sync');
    }),
    /sync/,
  );
  assert.equal(sf.size, 0);
  assert.equal(await sf.do('k', () => Promise.resolve(1)), 1);
  assert.equal(sf.size, 0);
});

test('singleflight: finished flights keep their keys only up to a bound', async () => {
  const sf = new SingleFlight<number>();
  for (let i = 0; i < 10_000; i++) await sf.do(`seq${i}`, async () => i);
  assert.ok(sf.keysHeld <= 4097, `sequential: ${sf.keysHeld} keys held`);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const all = Array.from({ length: 10_000 }, (_, i) => sf.do(`par${i}`, () => gate.then(() => i)));
  assert.equal(sf.size, 10_000);
  release();
  await Promise.all(all);
  assert.equal(sf.size, 0);
  assert.ok(sf.keysHeld <= 4097, `concurrent: ${sf.keysHeld} keys held`);
  assert.ok(!sf.has('par1'));
});
