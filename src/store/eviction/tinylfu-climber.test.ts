// Unit tests for allkeys-tinylfu's hill climber: the step rule on hand-fed samples, and the
// window it reaches inside TinyLfu on a recency-friendly and a frequency-friendly access pattern
// (deterministic: a seeded generator, no clock, no coin).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { HillClimber } from './tinylfu-climber.js';
import { TinyLfu, hashKey } from './tinylfu.js';

const OPTS = { initialStep: 0.1, decay: 0.5, restartThreshold: 0.2, tolerance: 0, batches: 1 };

/** Feeds one sample of `hits` hits out of `n` events and ends it. */
function sample(c: HillClimber, hits: number, n = 100): number {
  c.hits += hits;
  c.misses += n - hits;
  return c.adjust();
}

describe('HillClimber', () => {
  test('keeps its direction while the hit rate holds, reverses when it drops, and the step decays', () => {
    const c = new HillClimber(OPTS);
    // First sample: against a previous rate of 0, a gain of more than the threshold: the first
    // move (shrink by the initial step) is taken and the step restarts at full size.
    assert.equal(sample(c, 50), -0.1);
    assert.equal(c.stepShare, -0.1);
    assert.equal(sample(c, 55), -0.1); // better: same way; +0.05 < threshold, so it decays
    assert.equal(c.stepShare, -0.05);
    assert.equal(sample(c, 55), -0.05); // equal counts as "not worse"
    assert.equal(sample(c, 50), 0.025); // worse: reversed
    assert.equal(c.stepShare, 0.0125);
    assert.equal(c.samples, 4);
    assert.equal(c.events, 0, 'counts reset per sample');
  });

  test('a large hit-rate change restarts the step at full size, in the direction just taken', () => {
    const c = new HillClimber(OPTS);
    sample(c, 50);
    sample(c, 50);
    sample(c, 50); // step now -0.025
    assert.equal(c.stepShare, -0.025);
    assert.equal(sample(c, 10), 0.025); // dropped by 0.4: reverse, then restart
    assert.equal(c.stepShare, 0.1);
    assert.equal(sample(c, 80), 0.1); // jumped by 0.7: keep going, full step again
    assert.equal(c.stepShare, 0.1);
    c.restart();
    assert.equal(c.stepShare, -0.1);
    assert.equal(c.samples, 0);
  });
});

/** A cache of `cap` equal-size keys driven through the integer API; returns the TinyLfu. */
function run(cap: number, trace: number[], options: ConstructorParameters<typeof TinyLfu>[0]): TinyLfu {
  const t = new TinyLfu(options);
  t.random = () => 1;
  t.setMaxBytes(cap * 100);
  let n = 1;
  for (const k of trace) n = Math.max(n, k + 1);
  const hash = new Uint32Array(n);
  for (let k = 0; k < n; k++) hash[k] = hashKey(`k${k}`);
  t.columns(0, n, hash);
  const held = new Set<number>();
  for (const k of trace) {
    if (held.has(k)) {
      t.onAccess(0, k);
      continue;
    }
    held.add(k);
    t.add(0, k, 100);
    while (t.count > cap) {
      const v = t.handleId(t.pickVictim());
      held.delete(v);
      t.remove(0, v);
    }
  }
  return t;
}

describe('adaptive window in TinyLfu', () => {
  const climber = { initialStep: 0.05, decay: 0.98, restartThreshold: 0.05, tolerance: 0, batches: 1 };
  const options = { adaptive: true, sampleFactor: 2, minSample: 100, climber };

  test('grows on a recency-friendly pattern, where new keys lose their duels to older ones', () => {
    // Half the requests re-reference one of the last 100 requests, the rest are new keys: LRU's
    // ideal. The hit rate rises with the window share (0.17 at 1%, 0.50 at 80%), and the climber
    // follows the slope.
    let x = 12345;
    const rnd = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const trace: number[] = [];
    let fresh = 0;
    for (let i = 0; i < 100_000; i++) trace.push(i > 0 && rnd() < 0.5 ? trace[i - 1 - Math.floor(rnd() * Math.min(i, 100))] : fresh++);
    const adaptive = run(100, trace, options);
    assert.ok(adaptive.climber.samples > 100, `samples: ${adaptive.climber.samples}`);
    assert.ok(adaptive.windowShare >= 0.5, `window share ${adaptive.windowShare}`);
    const fixed = run(100, trace, { ...options, adaptive: false });
    assert.equal(fixed.windowShare, 0.01);
    assert.equal(fixed.climber.samples, 0);
  });

  test('stays small on a loop larger than the cache (frequency wins, LRU would miss every time)', () => {
    const trace: number[] = [];
    for (let r = 0; r < 300; r++) for (let i = 0; i < 150; i++) trace.push(i);
    const t = run(100, trace, options);
    assert.ok(t.climber.samples > 100);
    assert.ok(t.windowShare <= 0.2, `window share ${t.windowShare}`);
  });

  test('samples start only once the budget is reached, and a new budget starts over', () => {
    const t = run(1000, Array.from({ length: 5000 }, (_v, i) => i % 500), options);
    assert.equal(t.climber.samples, 0, 'never over budget: no sample');
    assert.equal(t.windowShare, 0.01);
    const u = run(100, Array.from({ length: 5000 }, (_v, i) => i % 500), options);
    assert.ok(u.climber.samples > 0);
    const samples = u.climber.samples;
    u.setMaxBytes(10_500); // the store's overhead moved the budget a little: keep sampling
    assert.equal(u.climber.samples, samples);
    u.setMaxBytes(50_000);
    assert.equal(u.climber.samples, 0);
    assert.equal(u.climber.events, 0);
  });
});
