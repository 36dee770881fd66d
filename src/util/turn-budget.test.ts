// Unit tests for TurnBudget and BudgetedStream: spent only past its time within one turn, a new turn starts afresh,
// and what waits to resume runs at the end of the turn.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BudgetedStream, TurnBudget } from './turn-budget.js';

// A clock the test moves by hand: no timed assertion depends on how busy the machine is.
let clock = 0;
function busy(ms: number): void {
  clock += ms;
}

test('a turn spends its budget; resumes run at its end; the next turn starts afresh', async () => {
  const budget = new TurnBudget(5, () => clock);
  const order: string[] = [];
  budget.enter();
  assert.equal(budget.spent(), false);
  busy(2);
  budget.enter(); // a second read in the same turn: the turn's start stays
  assert.equal(budget.spent(), false);
  busy(4);
  assert.equal(budget.spent(), true);
  budget.resumeLater(() => order.push('resumed'));
  assert.deepEqual(order, []);
  // The budget's end-of-turn callback was queued (setImmediate) before this one.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], 'this turn spent its budget: no resume in its check phase');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['resumed'], 'resumed at the end of the next turn');
  budget.enter();
  assert.equal(budget.spent(), false, 'a new turn');
});

test('a resume in the check phase shares the window of its turn with the reads before it', async () => {
  const budget = new TurnBudget(5, () => clock);
  const seen: boolean[] = [];
  budget.enter();
  busy(6);
  budget.resumeLater(() => {
    budget.enter(); // a resume: within the turn's window, not a fresh one
    busy(3);
    seen.push(budget.spent());
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, [], 'the spent turn resumes nothing');
  // The next turn: a read spends 3 ms before its check phase.
  budget.enter();
  busy(3);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, [true], '3 ms of reads and 3 ms of the resume spend the 5 ms window');
});

test('a budgeted stream stops mid-read when the turn is spent, applies the rest at the turn end, then reads again', async () => {
  const budget = new TurnBudget(5, () => clock);
  const events: string[] = [];
  const socket = { pause: () => events.push('pause'), resume: () => events.push('resume') };
  // Each "command" costs 2 ms of the hand clock; a read of n commands applies until the budget
  // is spent, keeping the rest, as a parser does (preserve).
  let left = 0;
  let live = true;
  let mayResume = true;
  const apply = (_chunk: Buffer, length: number): boolean => {
    left += length;
    while (left > 0) {
      left--;
      busy(2);
      events.push('cmd');
      if (budget.spent()) return left > 0;
    }
    return false;
  };
  const stream = new BudgetedStream(socket, apply, () => live, () => mayResume, budget);
  stream.read(Buffer.alloc(8), 5);
  assert.deepEqual(events, ['cmd', 'cmd', 'cmd', 'pause'], 'three commands spend 6 ms of 5: the read stops, the socket pauses');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events.length, 4, 'the turn spent its budget: nothing more in it');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events.slice(4), ['cmd', 'cmd', 'resume'], 'at the end of the next turn: the rest, then reading again');

  // A read whose commands all fit: no pause.
  events.length = 0;
  await new Promise((resolve) => setImmediate(resolve));
  stream.read(Buffer.alloc(8), 1);
  assert.deepEqual(events, ['cmd']);

  // A stream that may not read on (a held replica link) keeps its rest until resumed by hand.
  events.length = 0;
  await new Promise((resolve) => setImmediate(resolve));
  mayResume = false;
  stream.read(Buffer.alloc(8), 4);
  assert.deepEqual(events, ['cmd', 'cmd', 'cmd', 'pause']);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events.length, 4, 'nothing applied while it may not resume');
  mayResume = true;
  stream.resume();
  assert.deepEqual(events.slice(4), ['cmd', 'resume']);

  // A stream that ended (its socket failed or was replaced) does nothing more.
  events.length = 0;
  await new Promise((resolve) => setImmediate(resolve));
  stream.read(Buffer.alloc(8), 4);
  live = false;
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, ['cmd', 'cmd', 'cmd', 'pause'], 'no further command and no resume once it is not live');
});

test('spentAfter reads the clock only once 4 KB of commands were applied since it last did', () => {
  let reads = 0;
  const budget = new TurnBudget(5, () => {
    reads++;
    return clock;
  });
  budget.enter();
  const afterEnter = reads;
  busy(6);
  for (let i = 0; i < 100; i++) assert.equal(budget.spentAfter(40), false, 'small commands: no look yet');
  assert.equal(reads, afterEnter, 'the clock was not read for 4,000 bytes of commands');
  assert.equal(budget.spentAfter(100), true, 'past 4 KB: a look, and the turn is spent');
  assert.equal(reads, afterEnter + 1);
  assert.equal(budget.spentAfter(5000), true, 'a big command is followed by a look at once');
});
