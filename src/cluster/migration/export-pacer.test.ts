// The export pacer's rounds, on a hand-driven timer and throttle.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportPacer, type PacedExport } from './export-pacer.js';

/** A timer that runs only when the test says so, remembering each delay asked for. */
class HandTimer {
  pending: Array<() => void> = [];
  delays: number[] = [];
  readonly set = (run: () => void, ms: number): void => {
    this.pending.push(run);
    this.delays.push(ms);
  };
  fire(): void {
    const runs = this.pending;
    this.pending = [];
    for (const r of runs) r();
  }
}

/** A throttle that allows `budget` more steps, then waits `wait` ms. */
class CountingThrottle {
  asked = 0;
  constructor(
    public budget = Infinity,
    public wait = 5,
  ) {}
  allows(): boolean {
    this.asked++;
    return this.budget > 0;
  }
  waitMs(): number {
    return this.budget > 0 ? 0 : this.wait;
  }
}

/** An export with `steps` steps of work; throttled unless told otherwise; logs its steps. */
function exp(name: string, steps: number, log: string[], throttle: CountingThrottle | null, throttled = true): PacedExport & { left: number } {
  return {
    left: steps,
    get throttledWork() {
      return throttled;
    },
    step() {
      log.push(name);
      if (throttled && throttle !== null) throttle.budget--;
      return --this.left > 0;
    },
  };
}

test('one timer for many exports; each round gives each a step, in turn', () => {
  const timer = new HandTimer();
  const th = new CountingThrottle();
  const p = new ExportPacer(th, timer.set);
  const log: string[] = [];
  const a = exp('a', 2, log, th);
  const b = exp('b', 3, log, th);
  p.want(a);
  p.want(b);
  p.want(a); // asking twice is one step
  assert.equal(timer.pending.length, 1);
  timer.fire();
  assert.deepEqual(log, ['a', 'b']);
  assert.equal(timer.pending.length, 1);
  timer.fire();
  timer.fire();
  assert.deepEqual(log, ['a', 'b', 'a', 'b', 'b']);
  assert.equal(timer.pending.length, 0);
  assert.equal(p.waiting, 0);
});

test('once the throttle refuses, throttled exports wait without being asked, in their order; unthrottled ones still run', () => {
  const timer = new HandTimer();
  const th = new CountingThrottle(1, 7);
  const p = new ExportPacer(th, timer.set);
  const log: string[] = [];
  const a = exp('a', 5, log, th);
  const b = exp('b', 5, log, th);
  const c = exp('c', 5, log, th);
  const mark = exp('mark', 1, log, th, false);
  p.want(a);
  p.want(b);
  p.want(mark);
  p.want(c);
  timer.fire();
  // a spent the last step the throttle had; b and c are skipped (asked once in all), mark runs.
  assert.deepEqual(log, ['a', 'mark']);
  assert.equal(th.asked, 2);
  // Something ran: the next round in 1 ms. Order kept: the skipped first, then the one that ran.
  assert.deepEqual(timer.delays, [1, 1]);
  timer.fire();
  assert.deepEqual(log, ['a', 'mark']);
  // Nothing could run: the next round when the throttle has bytes again.
  assert.equal(timer.delays.at(-1), 7);
  th.budget = 2;
  timer.fire();
  assert.deepEqual(log, ['a', 'mark', 'b', 'c']);
  th.budget = 1;
  timer.fire();
  assert.deepEqual(log, ['a', 'mark', 'b', 'c', 'a'], 'a ran last time, so it comes after b and c');
});

test('a closed export gets no more steps; asking again after closing needs a new want', () => {
  const timer = new HandTimer();
  const th = new CountingThrottle();
  const p = new ExportPacer(th, timer.set);
  const log: string[] = [];
  const a = exp('a', 5, log, th);
  const b = exp('b', 5, log, th);
  p.want(a);
  p.want(b);
  p.forget(a);
  timer.fire();
  assert.deepEqual(log, ['b']);
  p.forget(b);
  timer.fire();
  assert.deepEqual(log, ['b']);
  assert.equal(timer.pending.length, 0);
});

test('an export asking for a step from inside a round gets it next round, after the others', () => {
  const timer = new HandTimer();
  const th = new CountingThrottle();
  const p = new ExportPacer(th, timer.set);
  const log: string[] = [];
  const b = exp('b', 2, log, th);
  const a: PacedExport = {
    throttledWork: true,
    step() {
      log.push('a');
      p.want(a); // as a step that queues a big key would
      return false;
    },
  };
  p.want(a);
  p.want(b);
  timer.fire();
  assert.deepEqual(log, ['a', 'b']);
  timer.fire();
  assert.deepEqual(log, ['a', 'b', 'a', 'b']);
});

test('a round stops at its time budget; the exports it did not reach go first in the next round', () => {
  const timer = new HandTimer();
  const th = new CountingThrottle();
  let clock = 0;
  const p = new ExportPacer(th, timer.set, () => clock);
  const log: string[] = [];
  const deadlines: number[] = [];
  // Each step takes 1.5 ms of the hand clock: a round of ROUND_MS (2) runs two of them.
  const slow = (name: string): PacedExport => ({
    throttledWork: false,
    step(deadline: number) {
      deadlines.push(deadline);
      log.push(name);
      clock += 1.5;
      return true;
    },
  });
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(slow);
  for (const e of [a, b, c, d]) p.want(e);
  timer.fire();
  assert.deepEqual(log, ['a', 'b'], 'the round ended once its 2 ms were spent');
  assert.deepEqual(deadlines, [2, 2], "each step is told the round's deadline");
  assert.deepEqual(timer.delays, [1, 1], 'the next round a millisecond later');
  timer.fire();
  assert.deepEqual(log, ['a', 'b', 'c', 'd'], 'then the ones not reached, ahead of those that asked again');
  timer.fire();
  assert.deepEqual(log.slice(4), ['a', 'b']);
  assert.equal(p.waiting, 4);
});
