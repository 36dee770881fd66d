import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refreshProbability, shouldRefreshEarly, xfetch } from './xfetch.js';

test('xfetch: the paper formula with an injected random', () => {
  const now = 1000;
  // delta 100, beta 1, random e^-1: now + 100 >= expiry?
  assert.equal(xfetch(now, 1100, 100, 1, () => Math.exp(-1)), true);
  assert.equal(xfetch(now, 1101, 100, 1, () => Math.exp(-1)), false);
  // beta scales: beta 2 reaches twice as far
  assert.equal(xfetch(now, 1200, 100, 2, () => Math.exp(-1)), true);
  // random 1: ln = 0, only at/after expiry
  assert.equal(xfetch(now, 1000, 100, 1, () => 1), true);
  assert.equal(xfetch(now, 1001, 100, 1, () => 1), false);
  // random 0: always
  assert.equal(xfetch(now, 1e15, 100, 1, () => 0), true);
  // disabled
  assert.equal(xfetch(now, 1000, 100, 0, () => 0), false);
  assert.equal(xfetch(now, 1000, 0, 1, () => 0), false);
});

test('xfetch: the remaining-ms form agrees with the paper form', () => {
  for (const r of [0.001, 0.1, 0.5, 0.9, 1]) {
    for (const remaining of [0, 1, 10, 50, 100, 500]) {
      for (const beta of [0.5, 1, 3]) {
        assert.equal(shouldRefreshEarly(remaining, 40, beta, () => r), xfetch(5000, 5000 + remaining, 40, beta, () => r));
      }
    }
  }
  assert.equal(shouldRefreshEarly(-1, 40, 1, () => 0), false, 'no TTL: never');
});

test('xfetch: empirical trigger rate matches exp(-remaining/(delta*beta))', () => {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed + 1) / 2 ** 31;
  };
  for (const remaining of [10, 50, 100, 200]) {
    let n = 0;
    const runs = 20000;
    for (let i = 0; i < runs; i++) if (shouldRefreshEarly(remaining, 50, 1, rnd)) n++;
    const p = refreshProbability(remaining, 50, 1);
    assert.ok(Math.abs(n / runs - p) < 0.02, `remaining ${remaining}: ${n / runs} vs ${p}`);
  }
});
