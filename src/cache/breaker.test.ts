import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../util/clock.js';
import { Breaker, type BreakerState } from './breaker.js';

function setup(opts = {}) {
  const clock = new ManualClock();
  const changes: string[] = [];
  const b = new Breaker({ failureThreshold: 3, resetAfter: 1000, ...opts }, clock, (f: BreakerState, t: BreakerState) => changes.push(`${f}->${t}`));
  return { clock, changes, b };
}

test('breaker: opens after threshold consecutive failures; a success resets the count', () => {
  const { b, changes } = setup();
  b.failure();
  b.failure();
  b.success();
  b.failure();
  b.failure();
  assert.equal(b.state, 'closed');
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.allow(), false);
  assert.deepEqual(changes, ['closed->open']);
});

test('breaker: half-open after resetAfter with one probe; success closes, failure reopens', () => {
  const { b, clock, changes } = setup();
  for (let i = 0; i < 3; i++) b.failure();
  clock.advance(999);
  assert.equal(b.allow(), false);
  clock.advance(1);
  assert.equal(b.allow(), true, 'the probe');
  assert.equal(b.state, 'half-open');
  assert.equal(b.allow(), false, 'only one probe at a time');
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.allow(), false);
  clock.advance(1000);
  assert.equal(b.allow(), true);
  b.success();
  assert.equal(b.state, 'closed');
  assert.equal(b.allow(), true);
  assert.deepEqual(changes, ['closed->open', 'open->half-open', 'half-open->open', 'open->half-open', 'half-open->closed']);
});

test('breaker: successThreshold and several probes', () => {
  const { b, clock } = setup({ halfOpenProbes: 2, successThreshold: 2 });
  for (let i = 0; i < 3; i++) b.failure();
  clock.advance(1000);
  assert.equal(b.allow(), true);
  assert.equal(b.allow(), true);
  assert.equal(b.allow(), false);
  b.success();
  assert.equal(b.state, 'half-open');
  assert.equal(b.allow(), true, 'the probe slot given back');
  b.success();
  assert.equal(b.state, 'closed');
});

test('breaker: late results while open are ignored; options validated', () => {
  const { b } = setup();
  for (let i = 0; i < 3; i++) b.failure();
  b.success();
  b.failure();
  assert.equal(b.state, 'open');
  assert.throws(() => new Breaker({ failureThreshold: 0 }, new ManualClock()), TypeError);
});
