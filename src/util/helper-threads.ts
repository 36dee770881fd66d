// The scheduling priority of a node process's helper threads: every thread but the one running
// JavaScript (V8's compiler and platform workers, libuv's thread pool) gets a higher nice value,
// so that on a busy machine they take the CPU the request path leaves.
//
// Why. A node's requests wait for a core, not for their own work, when the machine is busy: on
// a 2-core host during a slot move an old primary's event loop spent 380-1,245 ms in gaps over
// 8 ms, two thirds of it runnable but waiting for a CPU, and V8's worker threads (mostly
// TurboFan compiling the move's code) were running for a third of that wait (`perf sched`). A
// compile job is tens of milliseconds of work that nothing waits for; at nice 0 the scheduler
// shares the core with it as with a node serving requests. At nice 19 it gets ~1.5% of a
// contended core and all of an idle one. Measured: docs/benchmarks.md, "Helper threads at nice
// 19".
//
// Why the node runs V8 with --single-threaded-gc too (src/util/node-flags.ts): a parallel
// scavenge makes the JavaScript thread wait for its helpers' share of the work, which at nice 19
// could hold it for as long as the scheduler keeps them off the CPU. With one-threaded
// collections the JavaScript thread waits for no other thread.
//
// Linux gives each thread its own nice value (setpriority on a thread id, which is what
// os.setPriority calls); raising one needs no privilege. Threads started later (libuv's pool
// starts on its first use) are found by a scan every few seconds. Elsewhere this does nothing.

import { readdirSync } from 'node:fs';
import os from 'node:os';

/** How often new threads are looked for (ms). */
const RESCAN_MS = 5000;

/**
 * Raises the nice value of every thread of this process but the main one to `nice` (a thread
 * already at it or above is left alone); returns how many changed. 0 where there is no /proc.
 */
export function niceHelperThreads(nice: number, pid = process.pid): number {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  let changed = 0;
  for (const name of tids) {
    const tid = Number(name);
    if (tid === pid || !Number.isInteger(tid)) continue;
    try {
      if (os.getPriority(tid) >= nice) continue;
      os.setPriority(tid, nice);
      changed++;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return changed;
}

/** Keeps this process's helper threads at `nice` for as long as it runs (0: leaves them alone). */
export function keepHelperThreadsNice(nice: number): void {
  if (nice <= 0 || process.platform !== 'linux') return;
  niceHelperThreads(nice);
  setInterval(() => niceHelperThreads(nice), RESCAN_MS).unref();
}
