// Unit tests for TurnBudget: spent only past its time within one turn, a new turn starts afresh,
// and what waits to resume runs at the end of the turn.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TurnBudget } from './turn-budget.js';

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
  assert.deepEqual(order, ['resumed'], 'resumed at the end of the turn');
  budget.enter();
  assert.equal(budget.spent(), false, 'a new turn');
});
