// Helper threads at a higher nice value: every thread of the process but the main one, on Linux.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { niceHelperThreads } from './helper-threads.js';

/** A thread's nice value, from /proc (field 19 of its stat line, after the command's parentheses). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

test('niceHelperThreads raises every thread but the main one, once', { skip: process.platform !== 'linux' }, async () => {
  // A worker thread is one more helper, started before the call.
  const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
  await new Promise((resolve) => worker.once('online', resolve));
  try {
    const tids = readdirSync(`/proc/${process.pid}/task`).map(Number);
    assert.ok(tids.length > 2, `threads: ${tids.length}`);
    const mainBefore = niceOf(process.pid);
    const changed = niceHelperThreads(7);
    assert.ok(changed >= tids.length - 2, `changed ${changed} of ${tids.length - 1} helpers`);
    for (const tid of tids) {
      if (tid === process.pid) assert.equal(niceOf(tid), mainBefore, 'the main thread keeps its nice value');
      else assert.equal(niceOf(tid), 7, `thread ${tid}`);
    }
    // Already there: nothing to change; a lower value is never asked for (it would need privileges).
    assert.equal(niceHelperThreads(7), 0);
    assert.equal(niceHelperThreads(3), 0);
    assert.equal(niceOf(tids.find((t) => t !== process.pid)!), 7);
  } finally {
    await worker.terminate();
  }
});

test('niceHelperThreads of a process that does not exist changes nothing', () => {
  assert.equal(niceHelperThreads(19, 2 ** 22 + 12345), 0);
});
