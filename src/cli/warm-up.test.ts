// The warm-up's rehearsal (warm-up.ts): it completes a real move on its scratch cluster (the
// documents went through the plan's switches) and leaves nothing behind in the process — no
// listening socket, no connection, no timer that keeps running.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rehearseMove } from './warm-up.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The process's sockets, servers and timers, by kind. */
function resources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

test('the rehearsal moves slots to an added shard and closes everything it opened', async () => {
  const before = resources();
  const r = await rehearseMove();
  // The plan's document, then one per batch's switch, then the plan's end.
  assert.ok(r.epochs >= 3, `epochs ${r.epochs}`);
  assert.ok(r.ms > 0);
  // Sockets finish closing on the next turns.
  let after = resources();
  for (let i = 0; i < 100 && !sameOrFewer(after, before); i++) {
    await sleep(20);
    after = resources();
  }
  assert.deepEqual(Object.fromEntries([...after].filter(([k, n]) => n > (before.get(k) ?? 0))), {});
});

function sameOrFewer(after: Map<string, number>, before: Map<string, number>): boolean {
  for (const [k, n] of after) if (n > (before.get(k) ?? 0)) return false;
  return true;
}
